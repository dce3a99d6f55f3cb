"""The subclasses page (drawn by :func:`astrodisc.app.pages.subclasses.show`)."""

from astrodisc.app.pages.subclasses import show

show()
