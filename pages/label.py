"""The label page (drawn by :func:`astrodisc.app.pages.label.show`)."""

from astrodisc.app.pages.label import show

show()
