"""astrodisc: interactive data discovery for astronomers on self-supervised embeddings.

``astrodisc.open(artifacts_dir)`` opens a built artifact set for notebooks (:mod:`astrodisc.api`); the command
line is ``astrodisc`` (:mod:`astrodisc.cli`)."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``astrodisc.open``, imported when first asked for: ``import astrodisc`` alone stays instant."""
    if name == "open":
        from astrodisc.api import open

        return open
    raise AttributeError(f"module 'astrodisc' has no attribute {name!r}")
