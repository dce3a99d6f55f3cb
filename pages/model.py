"""The model page (drawn by :func:`astrodisc.app.pages.model.show`)."""

from astrodisc.app.pages.model import show

show()
