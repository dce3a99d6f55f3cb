"""Map page: every object on the embedding map; a click opens its panel and its nearest neighbours.

Layout only: the figures come from ``astrodisc.render``, the state (picked set, selected object, filters)
from ``astrodisc.app_state``. The selected object lives in the ``?object=<id>`` query parameter, so a view
can be shared by URL; a lasso or box selection lists the objects it caught.
"""

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc import app_state, render
from astrodisc.datasets.store import LightCurve, VarStarStore
from astrodisc.errors import UserError
from astrodisc.period_search import PeriodSearch, lomb_scargle

SPACES = ("fused", "photometry", "spectra", "metadata")
FIRST_COLOURS = ("label", "cluster", "pred_label", "anomaly_score", "mislabel_score")
SUMMARY_COLUMNS = ("object_id", "label", "pred_label", "pred_prob", "cluster", "period", "amplitude",
                   "anomaly_score", "mislabel_score")
HIDDEN_METADATA = ("object_id",)
MAP_KEY, LASSO_KEY, GOTO_KEY = "map", "lasso_rows", "goto_object"
PERIOD_FACTORS = {"P": 1.0, "P/2": 0.5, "2P": 2.0}
CARDS_PER_ROW = 3

app_state.require_app()
current = app_state.current()
artifacts, store, info = current.artifacts, current.store, current.store.info
catalog = artifacts.catalog


# ---- cached per-object work (a rerun recomputes nothing it has seen) ----------------------------------------

def _period_band(lc: LightCurve) -> int:
    """The band searched and folded first: the encoder band if observed, else the best-sampled band."""
    if info.encoder_band in info.bands and np.any(lc.band == info.bands.index(info.encoder_band)):
        return info.bands.index(info.encoder_band)
    values, counts = np.unique(lc.band, return_counts=True)
    return int(values[np.argmax(counts)])


@st.cache_data(max_entries=512, show_spinner="Searching periods…")
def _period_search(_store: VarStarStore, dataset_dir: str, object_id: str) -> PeriodSearch:
    lc = _store.lightcurve(object_id)
    part = lc.in_band(_period_band(lc))
    return lomb_scargle(part.time, part.mag, part.mag_err)


def catalogue_period(row: int) -> float | None:
    value = catalog.at[row, "period"] if "period" in catalog else np.nan
    return float(value) if pd.notna(value) and float(value) > 0 else None


def default_period(row: int) -> float | None:
    """The catalogue period [days], else the Lomb-Scargle best period, else None (too few epochs to search)."""
    period = catalogue_period(row)
    if period is None:
        try:
            period = _period_search(store, str(store.root), str(catalog.at[row, "object_id"])).best_period
        except UserError:
            return None
    return float(period)


# ---- selection callbacks ------------------------------------------------------------------------------------

def _on_map_select() -> None:
    selection = st.session_state[MAP_KEY].selection
    rows = []
    for point in selection.points:
        data = point.get("customdata")
        if data is not None:
            rows.append(int(data[0] if isinstance(data, list) else data))
    if selection.box or selection.lasso:
        st.session_state[LASSO_KEY] = sorted(set(rows))
    elif rows:
        app_state.select_object(str(catalog.at[rows[0], "object_id"]))


def _on_goto() -> None:
    object_id = st.session_state[GOTO_KEY].strip()
    if object_id:
        app_state.select_object(object_id)
    st.session_state[GOTO_KEY] = ""


# ---- sidebar: colouring and filters -------------------------------------------------------------------------

with st.sidebar:
    st.text_input("Go to object id", key=GOTO_KEY, on_change=_on_goto, placeholder="e.g. an object_id")
    colours = [c for c in FIRST_COLOURS if c in catalog] + sorted(
        c for c in catalog.columns if c not in FIRST_COLOURS and c != "object_id")
    colour_by = st.selectbox("Colour by", colours)
    st.markdown("**Filters**")
    classes = sorted(render.category_names(catalog["label"], "label").unique())
    chosen = st.multiselect("Classes", classes, default=classes)
    numeric = [c for c in catalog.columns if pd.api.types.is_numeric_dtype(catalog[c].dtype)
               and not pd.api.types.is_bool_dtype(catalog[c].dtype)]
    filter_column = st.selectbox("Range on", numeric, index=None, placeholder="no numeric filter")
    low = high = None
    if filter_column is not None:
        values = pd.to_numeric(catalog[filter_column], errors="coerce").to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(values) and values.min() < values.max():
            low, high = st.slider(filter_column, float(values.min()), float(values.max()),
                                  (float(values.min()), float(values.max())))

shown = app_state.filter_catalog(catalog, chosen if len(chosen) < len(classes) else None, filter_column, low, high)
selected = app_state.selected_row(catalog)
requested = st.query_params.get(app_state.OBJECT_PARAM)
if requested is not None and selected is None:
    st.warning(f"Object `{requested}` is not in {info.name}.")

st.subheader(f"{info.name} · {current.artifact_set.model}")
left, right = st.columns([3, 2], gap="medium")
with left:
    map_slot, below = st.container(), st.container()

# ---- neighbour controls (drawn below the map, read before it so the map can ring the neighbours) -----------

neighbour_rows: list[int] = []
neighbour_scores: list[float] = []
if selected is not None:
    with below:
        st.divider()
        spaces = [s for s in SPACES if s in artifacts.embeddings]
        c1, c2 = st.columns([1, 2])
        space = c1.selectbox("Neighbours in space", spaces, key="space")
        k = c2.slider("Number of neighbours k", 1, min(30, max(1, len(catalog) - 1)),
                      min(8, len(catalog) - 1), key="k")
        rows, scores = artifacts.neighbours(space, selected, k)
        neighbour_rows = [int(r) for r in rows]
        neighbour_scores = [float(s) for s in scores]

# ---- the map ------------------------------------------------------------------------------------------------

with map_slot:
    st.caption(f"{len(shown):,} of {len(catalog):,} objects shown · click a point to open it, "
               "box or lasso to list several")
    figure = render.map_figure(shown, colour_by, highlight_rows=neighbour_rows, selected_row=selected)
    st.plotly_chart(figure, key=MAP_KEY, on_select=_on_map_select, selection_mode=("points", "box", "lasso"),
                    config={"displaylogo": False, "scrollZoom": True})
    picked = st.session_state.get(LASSO_KEY) or []
    if picked:
        st.markdown(f"**{len(picked)} objects in the box/lasso selection**")
        table = catalog.loc[picked, [c for c in SUMMARY_COLUMNS if c in catalog]]
        st.dataframe(table, hide_index=True, key="lasso_table")
        if st.button("Clear selection"):
            st.session_state[LASSO_KEY] = []
            st.rerun()


# ---- the object panel ---------------------------------------------------------------------------------------

@st.fragment
def folded_view(row: int) -> None:
    """Folded light curve with its period controls; reruns alone when the period choice changes."""
    object_id = str(catalog.at[row, "object_id"])
    lc = store.lightcurve(object_id)
    known = catalogue_period(row)
    source = st.radio("Period from", ["catalogue", "Lomb–Scargle"], horizontal=True, key="period_source",
                      index=0 if known is not None else 1)
    factor = st.segmented_control("Fold on", list(PERIOD_FACTORS), default="P", key="period_factor") or "P"
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
    st.plotly_chart(render.folded_figure(lc, info.bands, period, mag_system=info.mag_system),
                    config={"displaylogo": False}, key="folded")
    if search is not None:
        with st.expander(f"Periodogram (best {search.best_period:.6g} d)"):
            st.plotly_chart(render.periodogram_figure(search, chosen_period=period), config={"displaylogo": False},
                            key="periodogram")


def _format(value: object) -> str:
    if pd.isna(value):
        return "—"
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    return str(value)


def object_panel(row: int) -> None:
    record = catalog.loc[row]
    object_id = str(record["object_id"])
    st.markdown(f"### `{object_id}`")
    facts = [f"label **{render.category_names(catalog.loc[[row], 'label'], 'label').iloc[0]}**"]
    if "pred_label" in catalog:
        prob = f" ({record['pred_prob']:.2f})" if "pred_prob" in catalog and pd.notna(record["pred_prob"]) else ""
        facts.append(f"predicted **{record['pred_label']}**{prob}")
    if "cluster" in catalog:
        facts.append(render.category_names(catalog.loc[[row], "cluster"], "cluster").iloc[0])
    for column in ("anomaly_score", "mislabel_score"):
        if column in catalog and pd.notna(record[column]):
            facts.append(f"{column.replace('_', ' ')} {record[column]:.3f}")
    st.markdown(" · ".join(facts))
    folded_view(row)
    lc = store.lightcurve(object_id)
    st.plotly_chart(render.lightcurve_figure(lc, info.bands, time_system=info.time_system,
                                             mag_system=info.mag_system, title="light curve"),
                    config={"displaylogo": False}, key="raw_lc")
    spectrum = store.spectrum(object_id)
    if spectrum is None:
        st.caption("No spectrum for this object.")
    else:
        st.plotly_chart(render.spectrum_figure(*spectrum, title="spectrum"), config={"displaylogo": False},
                        key="spectrum")
    with st.expander("Metadata", expanded=True):
        fields = [c for c in catalog.columns if c not in HIDDEN_METADATA]
        st.dataframe(pd.DataFrame({"field": fields, "value": [_format(record[c]) for c in fields]}),
                     hide_index=True, height=260, key="metadata")


with right:
    if selected is None:
        st.info("Click a point on the map to open an object: its light curves, spectrum, metadata "
                "and nearest neighbours.")
    else:
        object_panel(selected)

# ---- neighbour cards ----------------------------------------------------------------------------------------

if selected is not None:
    with below:
        st.markdown(f"**{len(neighbour_rows)} nearest neighbours** of `{catalog.at[selected, 'object_id']}` "
                    f"in the {space} space (ringed on the map)")
        with st.container(key="neighbours"):
            for start in range(0, len(neighbour_rows), CARDS_PER_ROW):
                cells = st.columns(CARDS_PER_ROW)
                for cell, row, score in zip(cells, neighbour_rows[start:start + CARDS_PER_ROW],
                                            neighbour_scores[start:start + CARDS_PER_ROW]):
                    object_id = str(catalog.at[row, "object_id"])
                    label = render.category_names(catalog.loc[[row], "label"], "label").iloc[0]
                    with cell.container(border=True):
                        st.markdown(f"neighbour: `{object_id}`")
                        st.caption(f"{label} · similarity {score:.3f}")
                        period = default_period(row)
                        if period is None:
                            st.caption("too few epochs to fold")
                        else:
                            st.plotly_chart(render.folded_figure(store.lightcurve(object_id), info.bands, period,
                                                                 height=110, compact=True),
                                            config={"staticPlot": True}, key=f"nb_fold_{row}")
                        st.button("open", key=f"open_{row}", on_click=app_state.select_object, args=(object_id,))
