"""astrodisc web app: `streamlit run app.py` (or `astrodisc serve`), drawn by :func:`astrodisc.app.pages.home.show`."""

from astrodisc.app.pages.home import show

show()
