"""Open any dataset folder as the store of its kind."""

from __future__ import annotations

from pathlib import Path

from astrodisc.datasets.galaxy_store import GalaxyStore
from astrodisc.datasets.store import VarStarStore, read_info

Store = VarStarStore | GalaxyStore


def open_store(root: Path) -> Store:
    """The VarStarStore or GalaxyStore of ``root``, by the kind its dataset.json names."""
    return GalaxyStore(root) if read_info(Path(root)).kind == "galaxies" else VarStarStore(root)
