"""Search page: find the catalogue objects most like your own data, search across modalities, or look up a
sky position. Every result opens on the map.

* Your data: a light curve or a spectrum (variable stars) or a cutout (galaxies), embedded by the model that
  built the set and searched in a space of your choice (a light curve can search the spectra space).
* A catalogue object: one of its modalities searched in another modality's space (``Artifacts.neighbours``).
* A sky position: the nearest catalogue object and its separation, or with a radius every object within it (a
  cone search), nearest first, as a table to download.

Layout only: files are read and checked by ``astrodisc.data.io.uploads``, embedded and searched by
``astrodisc.discover.query``, positions parsed and matched by ``astrodisc.data.coordinates``. A bad file or
position shows its one-line message and changes nothing; in public mode uploads are capped and rate-limited
(``astrodisc.app.public_mode``). Choices are kept outside the widgets' own state, so they survive a visit to the map.
"""

import hashlib
from typing import cast

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc.app import figures as render
from astrodisc.app import public_mode, widgets
from astrodisc.app import state as app_state
from astrodisc.app.galaxy_rgb import cutout_rgb
from astrodisc.app.page_text import inert
from astrodisc.app.pages.map import follow_to_map, open_map
from astrodisc.app.panels import view_for
from astrodisc.chain.artifacts import Artifacts
from astrodisc.data.coordinates import EXAMPLES, CatalogueSky, position_of
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.io import uploads
from astrodisc.data.open_store import Store
from astrodisc.data.varstars import WAVELENGTH_GRID, LightCurve
from astrodisc.discover.query import Query, embed_upload, model_dir, search_neighbours
from astrodisc.errors import UserError

MODE_KEY, KIND_KEY, EBV_KEY = "search_mode", "search_upload_kind", "search_ebv"
OBJECT_KEY, QUERY_SPACE_KEY, TARGET_KEY = "search_object", "search_query_space", "search_target"
POSITION_KEY = "search_position"
RADIUS_KEY = "search_cone_radius"
QUERY_PICTURE_PX = 240  # an uploaded cutout, drawn above what it found
KEPT = "_kept_"  # prefix of the session-state copies that outlive the widgets
SET_KEY = "_search_set"  # the set the choices below were made for
PER_SET = (OBJECT_KEY, QUERY_SPACE_KEY, TARGET_KEY, "search_k_")  # choices (key prefixes) that belong to one set
MODES = ("your data", "a catalogue object", "a sky position")
KINDS = {  # upload kind: (query space, accepted suffixes, what the file must hold)
    "light curve": (
        "photometry",
        uploads.LIGHTCURVE_SUFFIXES,
        (
            f"CSV with a header: time ({', '.join(uploads.TIME_COLUMNS)}) [days], magnitude "
            f"({', '.join(uploads.MAG_COLUMNS)}) [mag] and optionally its error ({', '.join(uploads.ERR_COLUMNS)}) "
            f"[mag]; one band, the survey's. Rows with a missing time or magnitude are dropped; at least "
            f"{uploads.MIN_EPOCHS} epochs."
        ),
    ),
    "spectrum": (
        "spectra",
        uploads.SPECTRUM_SUFFIXES,
        (
            "FITS: a 1-D image with wavelength keywords (CRVAL1, CDELT1 or CD1_1, CRPIX1; log10 with DC-FLAG = 1; "
            "or COEFF0, COEFF1 as LAMOST), or a binary table with wavelength and flux columns (and ivar or error). "
            f"Or CSV: {', '.join(uploads.WAVELENGTH_COLUMNS)} [Å], flux and optionally error. It must cover "
            f"at least {uploads.MIN_GRID_COVERAGE:.0%} of the model's grid, {WAVELENGTH_GRID[0]:.0f}–"
            f"{WAVELENGTH_GRID[-1]:.0f} Å (air); without errors they are estimated from the flux's scatter."
        ),
    ),
    "cutout": (
        "image",
        uploads.CUTOUT_SUFFIXES,
        (
            "FITS image or NPY array of (bands, H, W) or (H, W, bands) in the survey's bands and pixel unit "
            "(FITS: BUNIT nanomaggies or a flux density). The central crop the model reads must fit; no NaN pixels."
        ),
    ),
    "picture": (  # a survey of 8-bit colour pictures
        "image",
        uploads.PICTURE_SUFFIXES,
        (
            "An 8-bit colour picture as a survey viewer saves it (JPEG or PNG, any size and pixel scale), framed by "
            "its galaxy's extent as the survey's pictures were on import."
        ),
    ),
}


def _kept(key: str, default: object) -> None:
    """Give widget ``key`` its last value (kept under KEPT + key by ``_keep``), else ``default``: Streamlit
    drops a widget's own state on a run of a page that does not draw it."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(KEPT + key, default)


def _keep(key: str) -> None:
    st.session_state[KEPT + key] = st.session_state[key]


@st.cache_data(max_entries=16, show_spinner="Reading and embedding your file…", show_time=True)
def _embedded(
    kind: str, data: bytes, name: str, ebv: float, set_path: str, stamp: float, _artifacts: Artifacts, _store: Store
) -> tuple[uploads.Upload, Query]:
    """(upload as read, query) of an upload, cached per file content and set build; a UserError is not cached.
    The set's ``_artifacts`` and ``_store`` are not hashed: ``set_path`` and ``stamp`` (its build) stand for them."""
    upload: uploads.Upload
    if kind == "light curve":
        upload = uploads.read_lightcurve(data, name)
    elif kind == "spectrum":
        upload = uploads.read_spectrum(data, name)
    else:  # a cutout or a colour picture: only galaxy sets take one
        galaxies = cast(GalaxyStore, _store)
        upload = uploads.read_cutout(data, name, galaxies.info.bands, galaxies.imaging.pixel_unit)
    return upload, embed_upload(upload, _artifacts, _store, ebv)


def _draw_query(upload: uploads.Upload, store: Store) -> None:
    """The uploaded light curve, spectrum or cutout as read (units converted), above what it found."""
    if isinstance(upload, uploads.LightCurveUpload):
        lc = LightCurve(upload.time, upload.mag, upload.mag_err, np.zeros(len(upload.time), np.uint8))
        figure = render.lightcurve_figure(lc, [upload.name], time_system=upload.time_system, title="your light curve")
        st.plotly_chart(figure, config=render.CHART_CONFIG, key="search_query_figure")
    elif isinstance(upload, uploads.SpectrumUpload):
        figure = render.spectrum_figure(
            upload.wavelength, upload.flux, upload.flux_err, title="your spectrum", y_title=f"flux [{upload.flux_unit}]"
        )
        st.plotly_chart(figure, config=render.CHART_CONFIG, key="search_query_figure")
    else:
        imaging = cast(GalaxyStore, store).imaging
        st.image(cutout_rgb(upload.pixels, imaging), width=QUERY_PICTURE_PX, caption="your cutout", output_format="PNG")


@st.cache_resource(max_entries=4)
def _catalogue_sky(path: str, stamp: float, _catalog) -> CatalogueSky:
    return CatalogueSky(_catalog)


def show() -> None:
    """Draw the search page (every Streamlit run of pages/search.py)."""
    app_state.require_app()
    follow_to_map()  # an "open on map" button was pressed: object selected in the URL
    current = app_state.current()
    artifacts, store, info = current.artifacts, current.store, current.store.info
    catalog = artifacts.catalog
    view = view_for(store.kind)
    spaces = [s for s in view.SPACES if s in artifacts.embeddings] or list(artifacts.spaces)
    if st.session_state.get(SET_KEY) != current.artifact_set.label:  # another set: its own objects, spaces and k
        for key in [k for k in st.session_state if str(k).removeprefix(KEPT).startswith(PER_SET)]:
            del st.session_state[key]
        st.session_state[SET_KEY] = current.artifact_set.label

    def _stamp() -> float:
        """When the set was built (its manifest's time): results cached for a set are its build's."""
        return (artifacts.root / "manifest.json").stat().st_mtime

    def _searchable_from(query_space: str) -> list[str]:
        """The spaces a query in ``query_space`` can search: those of its dimension (the CLIP spaces share one;
        a galaxy's image and arcs spaces do not)."""
        width = artifacts.embeddings[query_space].shape[1]
        return [s for s in spaces if artifacts.embeddings[s].shape[1] == width]

    def _label(row: int) -> str:
        return render.category_names(catalog.loc[[row], "label"], "label").iloc[0]

    def _k_slider(key: str) -> int:
        most = max(1, min(50, len(catalog) - 1))
        _kept(key, min(10, most))
        return st.slider("Number of neighbours k", 1, most, key=key, on_change=_keep, args=(key,))

    def neighbour_cards(rows: np.ndarray, scores: np.ndarray, space: str) -> None:
        """One card per neighbour: id, label, similarity, a preview in the modality of the ``space`` searched and a
        button that opens it on the map."""
        st.markdown(f"**{len(rows)} nearest neighbours**")
        widgets.neighbour_cards(
            current,
            view,
            rows.tolist(),
            scores.tolist(),
            key="search_neighbours",
            button="open on map",
            button_key="search_open",
            on_open=open_map,
            space=space,
        )

    # ---- your data ----------------------------------------------------------------------------------------------

    def upload_section() -> None:
        if store.kind == "catalog":
            st.info("A catalogue dataset has only its columns: search by a catalogue object or a sky position.")
            return
        try:
            model_dir(artifacts)
        except UserError as err:
            st.warning(inert(err))
            return
        if store.kind == "galaxies":
            kind = "cutout" if cast(GalaxyStore, store).imaging.is_flux else "picture"
        else:
            _kept(KIND_KEY, "light curve")
            kind = st.radio(
                "Your data",
                ["light curve", "spectrum"],
                key=KIND_KEY,
                horizontal=True,
                on_change=_keep,
                args=(KIND_KEY,),
            )
        query_space, suffixes, accepted = KINDS[kind]
        limit = public_mode.upload_limit(uploads.MAX_UPLOAD_BYTES)
        upload = st.file_uploader(
            f"Upload a {kind}",
            type=[s.lstrip(".") for s in suffixes],
            key=f"search_upload_{kind.replace(' ', '_')}",
            max_upload_size=max(1, limit // 2**20),
        )
        st.caption(accepted)
        ebv = 0.0
        if kind == "cutout":  # flux cutouts are dereddened; colour pictures are not
            _kept(EBV_KEY, 0.0)
            ebv = st.number_input(
                "Galactic E(B−V) towards it [mag]",
                min_value=0.0,
                max_value=5.0,
                step=0.01,
                key=EBV_KEY,
                on_change=_keep,
                args=(EBV_KEY,),
                help="Its cutout is dereddened by this, as the survey's were (0 if unknown)",
            )
        left, right = st.columns(2)
        target_key = f"{TARGET_KEY}_{query_space}"
        _kept(target_key, query_space if query_space in spaces else spaces[0])
        target = left.selectbox(
            "Search the space of",
            _searchable_from(query_space) if query_space in spaces else spaces,
            key=target_key,
            on_change=_keep,
            args=(target_key,),
            help=f"Your {kind} is a query in the {query_space} space; the CLIP spaces share "
            f"one dimension, so it can search the others too",
        )
        with right:
            k = _k_slider("search_k_upload")
        if upload is None:
            st.info(f"Upload a {kind} to find the catalogue objects most like it.")
            return
        try:
            data = upload.getvalue()
            public_mode.check_upload(data, upload.name, limit)
            request = (kind, hashlib.sha256(data).hexdigest(), float(ebv), str(artifacts.root))
            if not public_mode.allow_heavy("upload", request):  # a rerun of the same upload is no new action
                return
            read, query = _embedded(
                kind, data, upload.name, float(ebv), str(artifacts.root), _stamp(), artifacts, store
            )
            rows, scores = search_neighbours(artifacts, query, target, k)
        except UserError as err:
            st.error(f"Not searched: {inert(err)}")
            return
        st.caption(
            f"Your {inert(read.describe())} · a query in the {query.space} space, searched in the {target} space"
        )
        _draw_query(read, store)
        neighbour_cards(rows, scores, target)

    # ---- a catalogue object -------------------------------------------------------------------------------------

    def object_section() -> None:
        selected = app_state.selected_row(current.artifacts)
        _kept(OBJECT_KEY, str(catalog.at[selected if selected is not None else catalog.index[0], "object_id"]))
        object_id = st.text_input("Object id", key=OBJECT_KEY, on_change=_keep, args=(OBJECT_KEY,)).strip()
        first, second, third = st.columns(3)
        _kept(QUERY_SPACE_KEY, "photometry" if "photometry" in spaces else spaces[0])
        query_space = first.selectbox(
            "Query with its", spaces, key=QUERY_SPACE_KEY, on_change=_keep, args=(QUERY_SPACE_KEY,)
        )
        targets = _searchable_from(query_space)
        target_key = TARGET_KEY if len(targets) == len(spaces) else f"{TARGET_KEY}_{query_space}"
        _kept(target_key, "spectra" if "spectra" in targets else query_space)
        target = second.selectbox("Search the space of", targets, key=target_key, on_change=_keep, args=(target_key,))
        with third:
            k = _k_slider("search_k_object")
        hits = np.flatnonzero(catalog["object_id"].astype(str).to_numpy() == object_id)
        if not len(hits):
            st.error(f"No object {inert(repr(object_id))} in {info.name}.")
            return
        row = int(catalog.index[hits[0]])
        try:
            rows, scores = artifacts.neighbours(
                target, row, k, query_space=query_space, min_separation_arcsec=view.MIN_SEPARATION_ARCSEC
            )
        except UserError as err:
            st.error(f"Not searched: {inert(err)}")
            return
        st.markdown(f"query: `{object_id}` ({_label(row)}), its {query_space} embedding searched in the {target} space")
        st.button("open the query object on the map", key="search_open_query", on_click=open_map, args=(object_id,))
        neighbour_cards(rows, scores, target)

    # ---- a sky position -----------------------------------------------------------------------------------------

    def position_section() -> None:
        _kept(POSITION_KEY, "")
        text = st.text_input(
            "Sky position (ICRS) or object name",
            key=POSITION_KEY,
            on_change=_keep,
            args=(POSITION_KEY,),
            placeholder="150.1 2.2   or   10h00m24s +02d12m00s   or   M31",
        )
        st.caption(
            f"Right ascension and declination in {EXAMPLES}. Frame: ICRS (J2000); RA in hours when "
            "sexagesimal unless marked in degrees. A name (M31, RR Lyr) is resolved by CDS Sesame when there is a "
            "network."
        )
        if not text.strip():
            st.info("Type a position to find the nearest catalogue object.")
            return
        radius = st.number_input(
            "Cone radius [arcsec]",
            min_value=0.0,
            max_value=648_000.0,  # 180 degrees: the whole sky
            value=0.0,
            step=10.0,
            key=RADIUS_KEY,
            help="0: the nearest object only; above 0: every object within the radius, nearest first",
        )
        try:
            with st.spinner(f"Looking up {text.strip()!r}…", show_time=True):
                position = position_of(text)
            sky = _catalogue_sky(str(artifacts.root), _stamp(), catalog)
            match = sky.nearest(position)
            cone = sky.within(position, radius) if radius > 0 else []
        except UserError as err:
            st.error(f"Not searched: {inert(err)}")
            return
        where = f"RA {position.ra.deg:.6f}°, Dec {position.dec.deg:+.6f}° (ICRS)"
        if radius > 0:
            _cone_table(cone, radius, where)
        object_id = str(catalog.at[match.row, "object_id"])
        st.markdown(f"nearest: `{object_id}`")
        st.caption(f"{_label(match.row)} · {match.separation_arcsec:.2f}″ from {where}")
        with st.columns(3)[0]:  # a card's width, as in the neighbour lists
            view.neighbour_preview(current, match.row)
        st.button("open on map", key="search_open_position", on_click=open_map, args=(object_id,))

    def _cone_table(cone: list, radius: float, where: str) -> None:
        """Every object of the cone: id, label and separation, nearest first, with a CSV download."""
        st.markdown(f"**{len(cone):,} objects within {radius:g}″** of {where}")
        if not cone:
            return
        rows = [m.row for m in cone]
        table = pd.DataFrame(
            {
                "object_id": catalog.loc[rows, "object_id"].astype(str).to_numpy(),
                "label": render.category_names(catalog.loc[rows, "label"], "label").to_numpy(),
                "separation_arcsec": [round(m.separation_arcsec, 3) for m in cone],
            }
        )
        st.dataframe(table, hide_index=True)
        st.download_button(
            "Download the cone (CSV)",
            table.to_csv(index=False),
            file_name=f"cone-{radius:g}arcsec.csv",
            mime="text/csv",
            key="search_cone_csv",
        )

    st.subheader(f"Search {info.name} · {current.artifact_set.model}")
    _kept(MODE_KEY, MODES[0])
    mode = st.radio("Search with", MODES, key=MODE_KEY, horizontal=True, on_change=_keep, args=(MODE_KEY,))
    {MODES[0]: upload_section, MODES[1]: object_section, MODES[2]: position_section}[mode]()
