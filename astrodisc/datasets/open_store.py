"""Open any dataset folder as the store of its kind."""

from __future__ import annotations

from pathlib import Path

from astrodisc.datasets.catalog_store import CatalogStore
from astrodisc.datasets.galaxy_store import GalaxyStore
from astrodisc.datasets.store import VarStarStore, read_info

Store = VarStarStore | GalaxyStore | CatalogStore
STORES: dict[str, type[Store]] = {"galaxies": GalaxyStore, "catalog": CatalogStore}  # any other kind: variable stars


def open_store(root: Path) -> Store:
    """The VarStarStore, GalaxyStore or CatalogStore of ``root``, by the kind its dataset.json names."""
    return STORES.get(read_info(Path(root)).kind, VarStarStore)(root)
