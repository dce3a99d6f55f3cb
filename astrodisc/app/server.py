"""The Streamlit server ``astrodisc serve`` starts: Streamlit's own command line (``run app.py`` and its
options), with the public demo's server changes that no Streamlit option makes (``public_mode.close_metrics``)
applied first when ``ASTRODISC_PUBLIC`` is on."""

from __future__ import annotations

from astrodisc.app import public_mode


def main() -> None:
    if public_mode.enabled():
        public_mode.close_metrics()
    from streamlit.web.cli import main as streamlit_main  # noqa: PLC0415 - after the patch above

    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
