"""The search page (drawn by :func:`astrodisc.app.pages.search.show`)."""

from astrodisc.app.pages.search import show

show()
