"""The app's pages, one module per page: each ``show()`` draws its page; ``pages/*.py`` and ``app.py`` only call it."""
