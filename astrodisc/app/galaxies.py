"""The galaxy parts of the pages: the cutout as a colour picture with its bands, image thumbnails for
neighbour cards and for the map, galleries of a selection or a sub-cluster. Streamlit code; the pictures come
from ``galaxy_rgb``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc.app import figures as render
from astrodisc.app.galaxy_rgb import ARC_VIEW_PX, ARC_VIEW_SIGMA, arc_view, band_grey, cutout_rgb, png_data_uri, resized
from astrodisc.app.state import Current
from astrodisc.data.arcs import PIXEL_SCALE_DEFAULT
from astrodisc.data.galaxies import DUPLICATE_RADIUS_ARCSEC, GalaxyStore

SPACES = ("image", "arcs")  # arcs: the arc finder's space, when the model has one (learn.arc_finder)
MIN_SEPARATION_ARCSEC = DUPLICATE_RADIUS_ARCSEC  # neighbours closer than this on the sky are the same galaxy
PANEL_PX, CARD_PX, MAP_THUMB_PX = 320, 120, 96  # a map tile is drawn at up to ~110 px
SUBCLUSTER_GALLERY = 6  # pictures of a sub-cluster: its most typical members


def galaxy_store(current: Current) -> GalaxyStore:
    """The store of ``current``, a GalaxyStore (this view draws galaxy sets only; a TypeError otherwise)."""
    store = current.store
    if not isinstance(store, GalaxyStore):
        raise TypeError(f"the galaxy view draws a GalaxyStore, not a {type(store).__name__}")
    return store


@st.cache_data(max_entries=4096, show_spinner=False)
def picture(_store: GalaxyStore, dataset_dir: str, object_id: str, size_px: int) -> np.ndarray:
    """(size_px, size_px, 3) uint8 colour picture of one galaxy (cached per dataset, object and size)."""
    return resized(cutout_rgb(_store.image(object_id), _store.imaging), size_px)


@st.cache_data(max_entries=4096, show_spinner=False)
def _picture_uri(_store: GalaxyStore, dataset_dir: str, object_id: str, size_px: int) -> str:
    return png_data_uri(picture(_store, dataset_dir, object_id, size_px))


def map_thumbnails(
    current: Current, shown: pd.DataFrame, cells: int, extent: render.MapExtent | None = None
) -> list[tuple[int, str]]:
    """(catalogue row, picture URI) of one galaxy per occupied cell of a ``cells`` x ``cells`` grid over the map
    (or over the zoomed region ``extent``)."""
    rows = render.thumbnail_rows(shown, cells, extent)
    return [(row, map_picture_uri(current, str(shown.at[row, "object_id"]))) for row in rows]


def map_picture_uri(current: Current, object_id: str) -> str:
    """The picture of one galaxy as the map's mosaic draws it (a PNG data URI of MAP_THUMB_PX pixels)."""
    store = galaxy_store(current)
    return _picture_uri(store, str(store.root), object_id, MAP_THUMB_PX)


def object_view(current: Current, row: int) -> None:
    """The cutout of catalogue ``row`` as a colour composite, its size on the sky, and each band alone."""
    store = galaxy_store(current)
    info = store.info
    object_id = str(current.artifacts.catalog.at[row, "object_id"])
    cutout = store.image(object_id)
    scale = store.imaging.pixel_scale_arcsec
    field = (
        f"{store.stamp_px * scale:.1f}″ × {store.stamp_px * scale:.1f}″" if scale else "framed by the galaxy's extent"
    )
    st.image(
        picture(store, str(store.root), object_id, PANEL_PX),
        width=PANEL_PX,
        output_format="PNG",
        caption=f"{'+'.join(info.bands)} composite · {field} · north up",
    )
    if store.imaging.is_flux:
        with st.expander("Each band (asinh scale)"):
            columns = st.columns(len(info.bands))
            for column, band, image in zip(columns, info.bands, cutout, strict=False):
                column.image(band_grey(image), caption=band, width="stretch", output_format="PNG")
        _arc_view(store, object_id, cutout)


def _arc_view(store: GalaxyStore, object_id: str, cutout: np.ndarray) -> None:
    """The centre of the cutout as the arc finder reads it, the galaxy's own light nulled (flux cutouts whose
    catalogue gives PSF and sky); pixels only, no model output (the Label page's blind mode hides those)."""
    inputs = store.psf_and_sky()
    if inputs is None:
        return
    at = store.row_of[object_id]
    view = arc_view(cutout, inputs[0][at], inputs[1][at], store.imaging.pixel_scale_arcsec or PIXEL_SCALE_DEFAULT)
    if view is None:
        return
    with st.expander("Arc view: the centre with the galaxy's own light nulled"):
        left, right = st.columns(2)
        left.image(resized(view[0], PANEL_PX // 2), caption=f"central {ARC_VIEW_PX} px", output_format="PNG")
        right.image(
            resized(np.repeat(view[1][:, :, None], 3, axis=2), PANEL_PX // 2),
            caption=f"nulled, {ARC_VIEW_SIGMA[0]:g} to +{ARC_VIEW_SIGMA[1]:g} σ",
            output_format="PNG",
        )


def selection_gallery(
    current: Current, rows: list[int], columns: int = 6, most: int = 24, what: str = "selected galaxies"
) -> None:
    """Pictures of the first ``most`` galaxies of ``rows`` (a box/lasso selection: ``what`` names them in the
    caption), ``columns`` to a row, captioned by id."""
    catalog, store = current.artifacts.catalog, galaxy_store(current)
    shown = rows[:most]
    if len(rows) > most:
        st.caption(f"the first {most} of {len(rows)} {what}")
    for start in range(0, len(shown), columns):
        for cell, row in zip(st.columns(columns), shown[start : start + columns], strict=False):
            object_id = str(catalog.at[row, "object_id"])
            cell.image(
                picture(store, str(store.root), object_id, CARD_PX),
                caption=object_id,
                width="stretch",
                output_format="PNG",
            )


def neighbour_preview(current: Current, row: int, space: str | None = None) -> None:
    """The colour picture of catalogue ``row`` for its neighbour card (whatever the ``space`` searched: a galaxy's
    spaces all read its picture)."""
    store = galaxy_store(current)
    object_id = str(current.artifacts.catalog.at[row, "object_id"])
    st.image(picture(store, str(store.root), object_id, CARD_PX), width=CARD_PX, output_format="PNG")


def subcluster_view(current: Current, rows: np.ndarray, color: str, key: str) -> None:
    """Pictures of a sub-cluster's ``SUBCLUSTER_GALLERY`` most typical members (``rows``: catalogue rows, most
    typical first), three to a row; ``color`` and ``key`` are unused (pictures carry their own colours and need
    no key) but keep the signature of the variable-star view."""
    selection_gallery(
        current, [int(r) for r in rows], columns=3, most=SUBCLUSTER_GALLERY, what="galaxies, most typical first"
    )
