"""Which module draws an object of each store kind on the pages (object panel, neighbour cards, sub-clusters).

Each view module has the same interface: ``SPACES``, ``MIN_SEPARATION_ARCSEC``, ``object_view``,
``neighbour_preview`` and ``subcluster_view``.
"""

from __future__ import annotations

from types import ModuleType

from astrodisc import catalog_view, galaxy_view, varstar_view

VIEWS: dict[str, ModuleType] = {"varstars": varstar_view, "galaxies": galaxy_view, "catalog": catalog_view}


def view_for(kind: str) -> ModuleType:
    """The view module of a store ``kind`` (variable stars for kinds without their own)."""
    return VIEWS.get(kind, varstar_view)
