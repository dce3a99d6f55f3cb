"""Which module draws an object of each store kind on the pages (object panel, neighbour cards, sub-clusters).

Each view has the same interface: ``SPACES``, ``MIN_SEPARATION_ARCSEC``, ``object_view``, ``neighbour_preview``
and ``subcluster_view``. A variable-star store without light curves (a synthetic scale-test survey of
:mod:`astrodisc.data.sim.embeddings`: catalogue columns and ready embeddings only) is drawn by its catalogue columns.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from astrodisc.app import catalogs as catalog_view
from astrodisc.app import galaxies as galaxy_view
from astrodisc.app import varstars as varstar_view
from astrodisc.app.state import Current
from astrodisc.data.store import ObjectStore

LIGHTCURVE_DIR = "lightcurves"  # VarStarStore's folder of light-curve arrays


def has_lightcurves(store: ObjectStore) -> bool:
    """Whether the store's folder holds light curves."""
    return (store.root / LIGHTCURVE_DIR).is_dir()


class VarStarView:
    """The variable-star view: light curves and spectra (:mod:`astrodisc.app.varstars`) when the store has
    light curves, else the catalogue columns (:mod:`astrodisc.app.catalogs`); chosen per call from ``current``."""

    SPACES = varstar_view.SPACES
    MIN_SEPARATION_ARCSEC = varstar_view.MIN_SEPARATION_ARCSEC

    @staticmethod
    def _of(current: Current) -> ModuleType:
        return varstar_view if has_lightcurves(current.store) else catalog_view

    def object_view(self, current: Current, row: int) -> None:
        self._of(current).object_view(current, row)

    def neighbour_preview(self, current: Current, row: int, space: str | None = None) -> None:
        self._of(current).neighbour_preview(current, row, space)

    def subcluster_view(self, current: Current, rows: np.ndarray, color: str, key: str) -> None:
        self._of(current).subcluster_view(current, rows, color, key)


Panel = ModuleType | VarStarView  # what draws one kind: a module of the functions above, or the star dispatcher

VIEWS: dict[str, Panel] = {
    "varstars": VarStarView(),
    "galaxies": galaxy_view,
    "catalog": catalog_view,
}


def view_for(kind: str) -> Panel:
    """The view of a store ``kind`` (variable stars for kinds without their own)."""
    return VIEWS.get(kind, VIEWS["varstars"])
