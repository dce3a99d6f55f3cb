from astrodisc.cli import main

raise SystemExit(main())
