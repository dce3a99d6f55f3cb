"""Whether the picture encoder should learn from pairs of two renderings of one galaxy (``astrodisc train
--pair-with``, :class:`astrodisc.learn.galaxies.Renderings`), measured on choice skies only (writes
docs/viewer-pairs-choice.json), on the sets and scores of docs/viewer_redraw_choice.py: 600 picture files per
choice sky (seeds 8, 9, 10 on 128-px stamps), imported with defaults, in the Legacy Survey viewer's drawing, the
three drawings mixed, and a drawing none of the encoders saw.

The encoders, MoCo v2 on the demo sky's viewer pictures with redrawn views (``--objective moco --epochs 18
--seed 0 --batch-size 256 --patience 5``): ``galaxies-viewer-moco`` as shipped in session 20 (each pair two
views of one picture; ``git show 97b5974:models/galaxies-viewer-moco/...`` into a folder of that name, as in
docs/viewer_rendering_choice.py); ``viewer-pair``, the same with ``--pair-with data/galaxies-viewer-demo-b``, the
same sky drawn again with other requests (``astrodisc simulate viewer --sky data/galaxies-demo-wide --seed 43 --out
data/galaxies-viewer-demo-b``); and ``viewer-pair3``, with a third drawing as well (``--pair-with ...-demo-c``,
request seed 44).

    python docs/viewer_pairs_choice.py galaxies-viewer-moco viewer-pair viewer-pair3
"""

from __future__ import annotations

import sys

from viewer_redraw_choice import write_choice

if __name__ == "__main__":
    write_choice("viewer-pairs-choice.json", sys.argv[1:])
