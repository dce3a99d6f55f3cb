"""Open any dataset folder as the store of its kind."""

from __future__ import annotations

from pathlib import Path

from astrodisc.data.catalogs import CatalogStore
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.store import read_info
from astrodisc.data.varstars import VarStarStore

Store = VarStarStore | GalaxyStore | CatalogStore
STORES: dict[str, type[Store]] = {"galaxies": GalaxyStore, "catalog": CatalogStore}  # any other kind: variable stars


def open_store(root: Path) -> Store:
    """The VarStarStore, GalaxyStore or CatalogStore of ``root``, by the kind its dataset.json names."""
    return STORES.get(read_info(Path(root)).kind, VarStarStore)(root)
