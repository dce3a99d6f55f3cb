"""The variable-star parts of the pages: folded light curve with its period controls, the raw light curve,
the spectrum, a folded thumbnail for neighbour cards, and a sub-cluster's median folded light curve and mean
spectrum. Streamlit code; the figures come from ``render``, the group summaries from ``subclass_profiles``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc.app import figures as render
from astrodisc.app import view_link
from astrodisc.app.state import Current, write_link
from astrodisc.app.thumbnails import folded_thumbnail, png_bytes, spectrum_thumbnail
from astrodisc.app.view_link import PanelView
from astrodisc.data.period_search import PeriodSearch, lomb_scargle
from astrodisc.data.varstars import WAVELENGTH_GRID, LightCurve, VarStarStore
from astrodisc.discover.subclasses import mean_spectrum, median_folded_curve
from astrodisc.errors import UserError

SPACES = ("fused", "photometry", "spectra", "metadata")
MIN_SEPARATION_ARCSEC = 0.0  # every catalogue entry is its own star
PERIOD_FACTORS = {"P": 1.0, "P/2": 0.5, "2P": 2.0}
PERIOD_SOURCES = tuple(view_link.PERIOD_SOURCES.values())  # "catalogue", "Lomb–Scargle"
PERIOD_SOURCE_KEY, PERIOD_FACTOR_KEY = "period_source", "period_factor"
MAX_PROFILED = 200  # members in a sub-cluster's median light curve and mean spectrum: its most typical


def varstar_store(current: Current) -> VarStarStore:
    """The store of ``current``, a VarStarStore (this view draws variable-star sets only; a TypeError otherwise)."""
    store = current.store
    if not isinstance(store, VarStarStore):
        raise TypeError(f"the variable-star view draws a VarStarStore, not a {type(store).__name__}")
    return store


def period_band(store: VarStarStore, lc: LightCurve) -> int:
    """The band searched and folded first: the encoder band if observed, else the best-sampled band."""
    info = store.info
    if info.encoder_band in info.bands and np.any(lc.band == info.bands.index(info.encoder_band)):
        return info.bands.index(info.encoder_band)
    values, counts = np.unique(lc.band, return_counts=True)
    return int(values[np.argmax(counts)])


@st.cache_data(max_entries=512, show_spinner="Searching periods…", show_time=True)
def _period_search(_store: VarStarStore, dataset_dir: str, object_id: str) -> PeriodSearch:
    """The object's period search, its periodogram kept as drawn (at most PERIODOGRAM_POINTS, 64 kB: the full
    one runs to 200,000 frequencies, 3 MB, and 512 of them would hold 1.6 GB on a busy server)."""
    lc = _store.lightcurve(object_id)
    part = lc.in_band(period_band(_store, lc))
    return lomb_scargle(part.time, part.mag, part.mag_err).envelope(render.PERIODOGRAM_POINTS)


def catalogue_period(catalog: pd.DataFrame, row: int) -> float | None:
    value = catalog.at[row, "period"] if "period" in catalog else np.nan
    return float(value) if pd.notna(value) and float(value) > 0 else None


def default_period(current: Current, row: int) -> float | None:
    """The catalogue period [days], else the Lomb-Scargle best period, else None (too few epochs to search)."""
    catalog, store = current.artifacts.catalog, varstar_store(current)
    period = catalogue_period(catalog, row)
    if period is None:
        try:
            period = _period_search(store, str(store.root), str(catalog.at[row, "object_id"])).best_period
        except UserError:
            return None
    return float(period)


@st.fragment
def folded_view(current: Current, row: int) -> None:
    """Folded light curve with its period controls; reruns alone when the period choice changes."""
    catalog, store = current.artifacts.catalog, varstar_store(current)
    object_id = str(catalog.at[row, "object_id"])
    lc = store.lightcurve(object_id)
    known = catalogue_period(catalog, row)
    st.session_state.setdefault(PERIOD_SOURCE_KEY, PERIOD_SOURCES[0] if known is not None else PERIOD_SOURCES[1])
    st.session_state.setdefault(PERIOD_FACTOR_KEY, "P")
    source = st.radio("Period from", PERIOD_SOURCES, horizontal=True, key=PERIOD_SOURCE_KEY)
    factor = st.segmented_control("Fold on", list(PERIOD_FACTORS), key=PERIOD_FACTOR_KEY) or "P"
    write_link(view_link.panel_to_query(PanelView(period_source=source, period_factor=factor)), (view_link.PERIOD,))
    search = None
    if source == "catalogue" and known is not None:
        base = known
    else:
        if source == "catalogue":
            st.caption("No catalogue period: using the Lomb–Scargle period.")
        try:
            search = _period_search(store, str(store.root), object_id)
        except UserError as err:
            st.info(f"No folded light curve: {err}.")
            return
        base = float(search.best_period)
    period = base * PERIOD_FACTORS[factor]
    st.plotly_chart(
        render.folded_figure(lc, store.info.bands, period, mag_system=store.info.mag_system),
        config=render.CHART_CONFIG,
        key="folded",
    )
    if search is not None:
        with st.expander(f"Periodogram (best {search.best_period:.6g} d)", expanded=True):
            st.plotly_chart(
                render.periodogram_figure(search, chosen_period=period),
                config=render.CHART_CONFIG,
                key="periodogram",
            )


def object_view(current: Current, row: int) -> None:
    """Folded and raw light curves and the spectrum of catalogue ``row``."""
    store = varstar_store(current)
    info = store.info
    object_id = str(current.artifacts.catalog.at[row, "object_id"])
    folded_view(current, row)
    lc = store.lightcurve(object_id)
    st.plotly_chart(
        render.lightcurve_figure(
            lc, info.bands, time_system=info.time_system, mag_system=info.mag_system, title="light curve"
        ),
        config=render.CHART_CONFIG,
        key="raw_lc",
    )
    spectrum = store.spectrum(object_id)
    if spectrum is None:
        st.caption("No spectrum for this object.")
    else:
        st.plotly_chart(render.spectrum_figure(*spectrum, title="spectrum"), config=render.CHART_CONFIG, key="spectrum")


@st.cache_data(max_entries=4096, show_spinner=False)
def _folded_png(_store: VarStarStore, dataset_dir: str, object_id: str, period: float) -> bytes:
    colors = [render.band_color(b) for b in range(len(_store.info.bands))]
    return png_bytes(folded_thumbnail(_store.lightcurve(object_id), period, colors))


@st.cache_data(max_entries=4096, show_spinner=False)
def _spectrum_png(_store: VarStarStore, dataset_dir: str, object_id: str) -> bytes | None:
    spectrum = _store.spectrum(object_id)
    return None if spectrum is None else png_bytes(spectrum_thumbnail(spectrum[0], spectrum[1]))


def neighbour_preview(current: Current, row: int, space: str | None = None) -> None:
    """A small picture of catalogue ``row`` for its neighbour card, in the modality of the ``space`` searched: its
    spectrum for ``spectra``, else its folded light curve (drawn once, cached)."""
    object_id = str(current.artifacts.catalog.at[row, "object_id"])
    if space == "spectra":
        spectrum = _spectrum_png(varstar_store(current), str(current.store.root), object_id)
        if spectrum is None:
            st.caption("no spectrum")
        else:
            st.image(spectrum, width="stretch", caption="spectrum")
        return
    period = default_period(current, row)
    if period is None:
        st.caption("too few epochs to fold")
        return
    st.image(
        _folded_png(varstar_store(current), str(current.store.root), object_id, period),
        width="stretch",
        caption=f"folded on P = {period:.6g} d",
    )


def subcluster_view(current: Current, rows: np.ndarray, color: str, key: str) -> None:
    """The median folded light curve and the mean spectrum of a sub-cluster, in its map ``color``, from its
    ``MAX_PROFILED`` most typical members (``rows``: catalogue rows, most typical first); ``key`` prefixes the
    charts' keys. Each member is folded on its catalogue period, else its Lomb-Scargle period."""
    catalog, store = current.artifacts.catalog, varstar_store(current)
    profiled = [int(r) for r in rows[:MAX_PROFILED]]
    if len(rows) > len(profiled):
        st.caption(f"profiles of the {len(profiled)} most typical of {len(rows):,} members")
    lightcurves = []
    for row in profiled:
        lc = store.lightcurve(str(catalog.at[row, "object_id"]))
        lightcurves.append(lc.in_band(period_band(store, lc)))
    profile = median_folded_curve(lightcurves, [default_period(current, row) for row in profiled])
    if profile is None:
        st.caption("No member has a light curve to fold.")
    else:
        st.plotly_chart(
            render.folded_profile_figure(profile, color=color, title="median folded light curve"),
            config=render.CHART_CONFIG,
            key=f"{key}_folded",
        )
        st.caption(
            f"median of {profile.n_used} members, 16–84 % band; each scaled to its own amplitude, "
            f"maximum light at phase 0"
            + (f"; {profile.n_skipped} without a usable period or light curve" if profile.n_skipped else "")
        )
    spectrum = mean_spectrum(store.spectra_flux[profiled], WAVELENGTH_GRID) if store.has_spectra else None
    if spectrum is None:
        st.caption("No member has a spectrum.")
        return
    st.plotly_chart(
        render.spectrum_figure(
            spectrum.wavelength,
            spectrum.mean,
            spectrum.spread,
            color=color,
            title="mean spectrum",
            y_title="flux / median flux",
        ),
        config=render.CHART_CONFIG,
        key=f"{key}_spectrum",
    )
    st.caption(
        f"mean of {spectrum.n_used} spectra ± member scatter"
        + (f"; {spectrum.n_skipped} members without a spectrum skipped" if spectrum.n_skipped else "")
    )
