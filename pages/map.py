"""The map page (drawn by :func:`astrodisc.app.pages.map.show`)."""

from astrodisc.app.pages.map import show

show()
