"""Map page: every object on the embedding map; a click opens its panel and its nearest neighbours.

Layout only: the figures come from ``astrodisc.app.figures``, the state (picked set, selected object, filters)
from ``astrodisc.app.state``. The selected object lives in the ``?object=<id>`` query parameter, so a view
can be shared by URL; a lasso or box selection lists the objects it caught.
"""

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from astrodisc.app import annotator_colours, column_plot, view_link
from astrodisc.app import figures as render
from astrodisc.app import galaxies as galaxy_view
from astrodisc.app import state as app_state
from astrodisc.app.label_selection import label_selection_section
from astrodisc.app.map_marks import SelectedPicture, draw_marks, map_marks
from astrodisc.app.more_like import more_like_section
from astrodisc.app.page_text import inert
from astrodisc.app.panels import view_for
from astrodisc.app.varstars import PERIOD_FACTOR_KEY, PERIOD_FACTORS, PERIOD_SOURCE_KEY
from astrodisc.app.widgets import (
    download_buttons,
    link_notes,
    neighbour_cards,
    prediction_text,
    samp_button,
    show_outcome,
)
from astrodisc.data.links import sky_links
from astrodisc.data.sky import SKY_AXES, SKY_FRAMES, has_sky, sky_view
from astrodisc.discover.selection import selection_statistics
from astrodisc.discover.subclasses import what_sets_apart
from astrodisc.errors import UserError
from astrodisc.labels.subsets import Subset

FIRST_COLOURS = ("label", "cluster", "pred_label", "anomaly_score", "mislabel_score")
SUMMARY_COLUMNS = (
    "object_id",
    "label",
    "pred_label",
    "pred_prob",
    "label_distance",
    "ood",
    "cluster",
    "period",
    "amplitude",
    "z_spec",
    "mag_r",
    "anomaly_score",
    "mislabel_score",
)
HIDDEN_METADATA = ("object_id",)
MAP_KEY, SKY_KEY, PLOT_KEY, GOTO_KEY = "map", "sky", "column_plot", "goto_object"
PLOT_DEFAULTS = (("period", "amplitude"), ("z_spec", "mag_r"), ("umap_x", "umap_y"))  # the first pair present
LASSO_KEY, FOCUS_KEY, LAST_VIEW_KEY = app_state.LASSO_KEY, app_state.FOCUS_KEY, app_state.LAST_VIEW_KEY
COLOUR_KEY, CLASSES_KEY, RANGE_ON_KEY, RANGE_KEY = "colour_by", "classes", "range_on", "range_of_"
KEEP_MISSING_KEY = "keep_missing_"  # + the range's column
SEEDED_KEY, LINK_NOTES_KEY = "_view_seeded_for", "_link_notes"
SPACE_KEY, K_KEY = "space", "k"  # the neighbour controls
LINKED_LASSO_KEY = "_linked_lasso"  # a link's box/lasso polygons, waiting for the map's objects to be known
DEFAULT_K = 8  # neighbours listed for a clicked object
GROUP_PICK_KEY = "map_group_pick"
PANEL_KEYS = (SPACE_KEY, K_KEY, PERIOD_SOURCE_KEY, PERIOD_FACTOR_KEY)  # in PanelView's order
OPEN_MAP_KEY = "_open_map"  # set by another page's button: its next run switches to the map
MAP_PAGE = "pages/map.py"
MARKS_KEY = "marks_"  # key prefix of a chart's marks
SUBSET_NAME_KEY, SUBSET_PICK_KEY, SUBSET_OUTCOME_KEY = "subset_name", "subset_pick", "subset_outcome"
OPENED_PARTS = {"galaxies": "its image", "catalog": "its catalogue columns"}  # what a click shows, by kind
PANEL_SPLIT, NO_PANEL_SPLIT = (3, 2), (1, 1e-6)  # map : object panel widths, with and without an open object
THUMBNAIL_CELLS = 10  # galaxy maps: a picture mosaic of up to 10 x 10 galaxies over the region in view
PICTURE_POINT_OPACITY = 0.12  # markers over the pictures: faint, so the pictures show through


# ---- callbacks and helpers that read no page state ----------------------------------------------------------


def _forget_selection() -> None:
    """The selection is gone (cleared, replaced or consumed): so is its place in the link."""
    st.session_state[LASSO_KEY] = []
    app_state.write_link({}, view_link.SELECTION_PARAMS)


def _select_rows(rows: list[int]) -> None:
    """Make catalogue ``rows`` the selection (a list, not a shape: the link loses its selection; save it as a
    subset to share it)."""
    _forget_selection()
    st.session_state[LASSO_KEY] = sorted(rows)


def _on_focus() -> None:
    """Narrow the map to the box/lasso selection (which is then cleared)."""
    st.session_state[FOCUS_KEY] = st.session_state.get(LASSO_KEY) or []
    _forget_selection()
    st.query_params.pop(view_link.SUBSET, None)


def _on_zoom(zoom: list[float] | None) -> None:
    """The user zoomed or panned the map (None: back to its full extent): the link follows."""
    query = {} if zoom is None else {view_link.ZOOM: view_link.format_zoom(zoom[:2], zoom[2:])}
    app_state.write_link(query, (view_link.ZOOM,))


def _on_unfocus() -> None:
    st.session_state.pop(FOCUS_KEY, None)
    st.query_params.pop(view_link.SUBSET, None)


def _on_goto() -> None:
    object_id = st.session_state[GOTO_KEY].strip()
    if object_id:
        app_state.select_object(object_id)
    st.session_state[GOTO_KEY] = ""


def _on_open_subset() -> None:
    st.query_params[view_link.SUBSET] = st.session_state[SUBSET_PICK_KEY]
    st.session_state.pop(SEEDED_KEY, None)  # the next run seeds the widgets from the subset's view
    st.session_state[LASSO_KEY] = []


@st.cache_resource(max_entries=16, show_spinner=False)
def _shared_figure(
    set_label: str, built: float, chart_key: str, view_key: tuple, _build: Callable[[], go.Figure]
) -> go.Figure:
    """The figure of chart ``chart_key`` of a set (its label and manifest time ``built``) for ``view_key`` (what
    decides it: colouring, filters, narrowing, pictures), built once and shared by every session showing that
    view: a click then sends the very same figure, which Streamlit does not redraw, and only the marks change
    (``astrodisc.app.map_marks``); at 10^6 objects building it costs 0.3 s and redrawing it 0.5 s in chromium. Never
    changed once built, so sessions can share it; at most 16 are kept (a few MB each)."""
    return _build()


def open_map(object_id: str | None = None, colour: str | None = None) -> None:
    """A callback of another page: have its next run open the map (:func:`follow_to_map`; a callback cannot switch
    pages) on ``object_id`` and/or coloured by the catalogue column ``colour``."""
    if object_id is not None:
        app_state.select_object(object_id)
    if colour is not None:
        st.query_params[view_link.COLOUR] = colour
        st.session_state.pop(SEEDED_KEY, None)  # the map then reads its view from the URL again
    st.session_state[OPEN_MAP_KEY] = True


def follow_to_map() -> None:
    """At the top of another page's run: switch to the map if :func:`open_map` asked for it."""
    if st.session_state.pop(OPEN_MAP_KEY, False):
        st.switch_page(MAP_PAGE, query_params=st.query_params.to_dict())


def _plot_axes(catalog: pd.DataFrame, numeric: list[str]) -> tuple[str, str, bool, bool]:
    """The sidebar's choice of two of ``catalog``'s columns to plot: (x, y, log x, log y)."""
    choices = [*column_plot.MAP_COLUMNS, *(c for c in numeric if c not in column_plot.MAP_COLUMNS)]
    pair = next((p for p in PLOT_DEFAULTS if set(p) <= set(choices)), (choices[0], choices[-1]))
    x = st.selectbox("x", choices, index=choices.index(pair[0]), key="plot_x")
    y = st.selectbox("y", choices, index=choices.index(pair[1]), key="plot_y")
    left, right = st.columns(2)
    log_x = left.checkbox("log x", value=column_plot.logged_by_default(catalog, x), key=f"plot_log_x_{x}")
    log_y = right.checkbox("log y", value=column_plot.logged_by_default(catalog, y), key=f"plot_log_y_{y}")
    return x, y, log_x, log_y


def _meta(chart_key: str) -> str:
    """The token by which a chart's marks find it in the browser (its layout ``meta``)."""
    return f"astrodisc-{chart_key}"


def _format(value: object) -> str:
    if pd.isna(value):
        return "—"
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    return str(value)


def show() -> None:
    """Draw the map page (every Streamlit run of pages/map.py)."""
    app_state.require_app()
    current = app_state.current()
    artifacts, store, info = current.artifacts, current.store, current.store.info
    catalog = artifacts.catalog
    view = view_for(store.kind)

    # ---- selection callbacks ------------------------------------------------------------------------------------

    def _on_select(chart_key: str) -> None:
        """A click (one object) or a box/lasso (a selection) on the map or the sky view."""
        selection = st.session_state[chart_key].selection
        rows = []
        for point in selection.points:
            data = point.get("customdata")
            if data is not None:
                rows.append(int(data[0] if isinstance(data, list) else data))
        if selection.box or selection.lasso:
            st.session_state[LASSO_KEY] = sorted(set(rows))
            polygons = [view_link.box_polygon(b["x"], b["y"]) for b in selection.box or []]
            polygons += [np.column_stack([a["x"], a["y"]]) for a in selection.lasso or []]
            linked = {view_link.LASSO: view_link.format_polygons(polygons)} if chart_key == MAP_KEY else {}
            app_state.write_link(linked, view_link.SELECTION_PARAMS)  # a sky selection is not linked
        elif rows:
            _open_row(rows[0])

    def _selectable_chart(figure: go.Figure, chart_key: str) -> None:
        """A chart whose click opens an object and whose box or lasso selects (:func:`_on_select`)."""
        st.plotly_chart(
            figure,
            key=chart_key,
            on_select=functools.partial(_on_select, chart_key),
            selection_mode=("points", "box", "lasso"),
            config=render.CHART_CONFIG,
        )

    # ---- sidebar: colouring and filters -------------------------------------------------------------------------

    def _seed_view_from_link(colours: list[str], classes: list[str], numeric: list[str]) -> None:
        """On a set's first map run in this session, set the colouring and filter widgets from the URL's view
        parameters (a shared link), dropping what this catalogue lacks with a note. Back from another page
        (Streamlit has then dropped the widgets' state and the URL's parameters), the view last shown returns."""
        if st.session_state.get(SEEDED_KEY) == current.artifact_set.label:
            if CLASSES_KEY in st.session_state:  # the widgets are alive: they hold the view
                return
            st.query_params.update(st.session_state.get(LAST_VIEW_KEY, {}))
        st.session_state[SEEDED_KEY] = current.artifact_set.label
        for key in [
            k
            for k in st.session_state
            if k in (COLOUR_KEY, CLASSES_KEY, RANGE_ON_KEY, *PANEL_KEYS)
            or str(k).startswith((RANGE_KEY, KEEP_MISSING_KEY))
        ]:
            del st.session_state[key]
        notes = _open_linked_subset()
        params = st.query_params.to_dict()
        link, link_notes = view_link.from_query(params, catalog, classes, colours, numeric)
        panel, panel_notes = view_link.panel_from_query(params, spaces, max_k, list(PERIOD_FACTORS))
        notes += link_notes + panel_notes + _open_linked_selection(params)
        chosen = (panel.space, panel.k, panel.period_source, panel.period_factor)
        for key, value in zip(PANEL_KEYS, chosen, strict=True):
            if value is not None:
                st.session_state[key] = value
        if notes:
            st.session_state[LINK_NOTES_KEY] = notes
        if link.colour is not None:
            st.session_state[COLOUR_KEY] = link.colour
        st.session_state[CLASSES_KEY] = list(link.classes) if link.classes is not None else classes
        if link.range_column is not None:
            st.session_state[RANGE_ON_KEY] = link.range_column
            st.session_state[RANGE_KEY + link.range_column] = (link.low, link.high)
            st.session_state[KEEP_MISSING_KEY + link.range_column] = link.keep_missing

    def _open_linked_subset() -> list[str]:
        """Narrow the map to the subset the URL names (``?subset=``) and put its view into the URL; returns notes
        on what could not be opened."""
        name = st.query_params.get(view_link.SUBSET)
        if name is None:
            return []
        try:
            subset = app_state.subset_db().open(info.name, name)
        except UserError as err:
            st.query_params.pop(view_link.SUBSET, None)
            return [str(err)]
        for param in view_link.VIEW_PARAMS:
            st.query_params.pop(param, None)
        st.query_params.update(subset.view)
        st.session_state.pop(FOCUS_KEY, None)
        if subset.object_ids is None:
            return []
        ids = catalog["object_id"].astype(str)
        st.session_state[FOCUS_KEY] = catalog.index[ids.isin(subset.object_ids)].tolist()
        lost = len(set(subset.object_ids) - set(ids))
        return [f"{lost} objects of subset {name!r} that this catalogue no longer holds"] if lost else []

    def _open_linked_selection(params: dict[str, str]) -> list[str]:
        """The link's selection: a picked cluster's members at once; a box or lasso's polygons once the map's
        objects are known (LINKED_LASSO_KEY); without one, the session's selection stays. Returns a note if the
        link's selection cannot be read."""
        group = view_link.parse_group(params.get(view_link.GROUP), ["cluster", "subcluster"])
        if group is not None and group[0] in catalog:
            st.session_state[LASSO_KEY] = _members(*group)
        polygons = view_link.parse_polygons(params.get(view_link.LASSO))
        if polygons:
            st.session_state[LINKED_LASSO_KEY] = polygons
        unread = [p for p, ok in ((view_link.GROUP, group), (view_link.LASSO, polygons)) if p in params and not ok]
        return [f"unreadable selection {name}={params[name]!r}" for name in unread]

    def _members(column: str, value: str) -> list[int]:
        return np.flatnonzero(catalog[column].astype(str).to_numpy() == value).tolist()

    def _on_save_subset() -> None:
        """Save the view in the URL, with the box/lasso selection (else the narrowed map's objects) if any."""
        rows = st.session_state.get(LASSO_KEY) or st.session_state.get(FOCUS_KEY) or None
        view = {k: st.query_params[k] for k in view_link.VIEW_PARAMS if k in st.query_params}
        ids = None if rows is None else tuple(catalog.loc[rows, "object_id"].astype(str))
        subset = Subset(
            info.name, st.session_state.get(SUBSET_NAME_KEY, ""), app_state.remembered_annotator(), view, ids
        )
        try:
            app_state.subset_db().save(subset)
        except UserError as err:
            st.session_state[SUBSET_OUTCOME_KEY] = (False, f"Not saved: {err}")
            return
        what = f"{len(ids)} objects and the view" if ids else "the view (colouring and filters)"
        st.session_state[SUBSET_OUTCOME_KEY] = (True, f"Saved {what} as {subset.name.strip()!r}")
        st.query_params[view_link.SUBSET] = subset.name.strip()

    def _selected_picture(row: int, shown: pd.DataFrame, tiled: render.MapExtent | None) -> SelectedPicture:
        """The clicked galaxy's own picture, the size of a mosaic tile, drawn under its star (so the star never
        sits on another galaxy's tile)."""
        width, height = render.thumbnail_box(shown, THUMBNAIL_CELLS, tiled)
        return SelectedPicture(galaxy_view.map_picture_uri(current, str(catalog.at[row, "object_id"])), width, height)

    def _open_row(row: int) -> None:
        app_state.select_object(str(catalog.at[row, "object_id"]))

    spaces = [s for s in view.SPACES if s in artifacts.embeddings]
    max_k = min(30, max(1, len(catalog) - 1))
    colours: list[str] = [c for c in FIRST_COLOURS if c in catalog] + annotator_colours.colour_columns()
    colours += sorted(  # a column with no value at all (an imported set's z_spec, e_bv) colours nothing
        c for c in catalog.columns if c not in FIRST_COLOURS and c != "object_id" and catalog[c].notna().any()
    )
    classes = sorted(render.category_names(catalog["label"], "label").unique())
    numeric = [
        c
        for c in catalog.columns
        if pd.api.types.is_numeric_dtype(catalog[c].dtype) and not pd.api.types.is_bool_dtype(catalog[c].dtype)
    ]
    _seed_view_from_link(colours, classes, numeric)

    with st.sidebar:
        st.text_input("Go to object id", key=GOTO_KEY, on_change=_on_goto, placeholder="e.g. an object_id")
        colour_by = st.selectbox("Colour by", colours, key=COLOUR_KEY)
        st.markdown("**Filters**")
        chosen = st.multiselect("Classes", classes, key=CLASSES_KEY)
        filter_column = st.selectbox("Range on", numeric, index=None, placeholder="no numeric filter", key=RANGE_ON_KEY)
        low = high = None
        keep_missing = False
        if filter_column is not None:
            values = pd.to_numeric(catalog[filter_column], errors="coerce").to_numpy(dtype=float)
            missing = int(np.isnan(values).sum())
            values = values[np.isfinite(values)]
            if len(values) and values.min() < values.max():
                extent = (float(values.min()), float(values.max()))
                low, high = st.slider(filter_column, *extent, extent, key=RANGE_KEY + filter_column)
                if (low, high) == extent:  # the full extent filters nothing, objects without a value included
                    low = high = None
            if missing:
                keep_missing = st.checkbox(
                    f"Keep the {missing:,} objects without {filter_column}",
                    key=KEEP_MISSING_KEY + filter_column,
                    help="They have no value to compare with the range; at the range's full extent they always stay",
                )
        pictures = view is galaxy_view and st.toggle(
            "Galaxy pictures on the map",
            value=True,
            key="pictures",
            help="One galaxy per cell of a grid over the map (filters apply)",
        )
        sky_frame = None
        if has_sky(catalog) and st.toggle(
            "Sky view",
            key="sky_view",
            help="Objects on the sky, linked with the map: select on one, see it on the other",
        ):
            sky_frame = st.radio(
                "Sky frame",
                list(SKY_FRAMES),
                key="sky_frame",
                horizontal=True,
                format_func=lambda f: "RA, Dec" if f == "icrs" else "Galactic l, b",
            )
        plot_axes = None
        if st.toggle(
            "Plot two columns",
            key="plot_columns",
            help="Any two catalogue columns (or a map axis), linked with the map: select on one, see it on the other",
        ):
            plot_axes = _plot_axes(catalog, numeric)

    def _on_pick_group() -> None:
        """Select every member of the picked cluster or sub-cluster, as a box or lasso would."""
        picked_group = st.session_state.get(GROUP_PICK_KEY)
        if picked_group is not None:
            column, value = picked_group
            st.session_state[LASSO_KEY] = _members(column, value)
            app_state.write_link({view_link.GROUP: view_link.format_group(column, value)}, view_link.SELECTION_PARAMS)

    groups = [("cluster", str(c)) for c in sorted(catalog["cluster"].dropna().unique())] if "cluster" in catalog else []
    if "subcluster" in catalog:
        groups += [("subcluster", str(c)) for c in sorted(catalog["subcluster"].dropna().astype(str).unique())]
    if groups:
        st.sidebar.selectbox(
            "Select a cluster",
            groups,
            index=None,
            key=GROUP_PICK_KEY,
            placeholder="its members, as a lasso would",
            format_func=lambda g: f"cluster {g[1]}" if g[0] == "cluster" else f"sub-cluster {g[1]}",
            on_change=_on_pick_group,
            help="The build's clusters and each class's sub-clusters: the members become the selection, to list, "
            "export, send by SAMP, save as a subset or narrow the map to",
        )

    with st.sidebar.expander("Saved subsets"):
        st.text_input("Name", key=SUBSET_NAME_KEY, placeholder="e.g. red ellipticals")
        st.button(
            "Save this view",
            key="subset_save",
            on_click=_on_save_subset,
            help="The colouring and filters, with the box/lasso selection (or the narrowed map) if there is one",
        )
        saved = app_state.subset_db().names(info.name)
        if saved:
            st.selectbox("Saved", saved, key=SUBSET_PICK_KEY)
            st.button("Open", key="subset_open", on_click=_on_open_subset)
        show_outcome(SUBSET_OUTCOME_KEY)

    link_notes(st.session_state.pop(LINK_NOTES_KEY, []))
    class_filter = tuple(chosen) if len(chosen) < len(classes) else None
    map_view = view_link.MapView(
        colour_by if colour_by != colours[0] else None, class_filter, filter_column, low, high, keep_missing
    )
    app_state.write_link(view_link.to_query(map_view), view_link.VIEW_PARAMS)
    shown = app_state.filter_catalog(
        catalog, None if class_filter is None else list(class_filter), filter_column, low, high, keep_missing
    )
    focus = st.session_state.get(FOCUS_KEY)
    if focus:
        shown = shown[shown.index.isin(focus)]
    labels_token: tuple = ()
    if colour_by in annotator_colours.colour_columns():
        shown, labels_token = annotator_colours.with_colour(current, shown, colour_by)
    linked_lasso = st.session_state.pop(LINKED_LASSO_KEY, None)
    if linked_lasso:  # the objects a linked box or lasso holds, among those drawn as markers (as plotly selects)
        drawn = render.drawn_points(shown)
        inside = view_link.inside_polygons(drawn[list(render.MAP_AXES)].to_numpy(dtype=float), linked_lasso)
        st.session_state[LASSO_KEY] = drawn.index[inside].tolist()
    selected = app_state.selected_row(artifacts)
    requested = st.query_params.get(app_state.OBJECT_PARAM)
    if requested is not None and selected is None:
        st.warning(f"Object '{inert(requested)}' is not in {info.name}.")

    st.subheader(f"{info.name} · {current.artifact_set.model}")
    # The map takes the page's width until an object is opened, then shares it with the object's panel. The same
    # two columns either way (only their weights change), so the chart keeps its place and is not redrawn.
    left, right = st.columns(PANEL_SPLIT if selected is not None else NO_PANEL_SPLIT, gap="medium")
    with left:
        map_slot, below = st.container(), st.container()

    # ---- neighbour controls (drawn below the map, read before it so the map can ring the neighbours) -----------

    neighbour_rows: list[int] = []
    neighbour_scores: list[float] = []
    if selected is not None:
        with below:
            st.divider()
            c1, c2 = st.columns([1, 2])
            space = c1.selectbox("Neighbours in space", spaces, key=SPACE_KEY)
            st.session_state.setdefault(K_KEY, min(DEFAULT_K, max_k))
            k = c2.slider("Number of neighbours k", 1, max_k, key=K_KEY)
            panel_query = view_link.panel_to_query(view_link.PanelView(space, k))
            app_state.write_link(panel_query, (view_link.SPACE, view_link.K))
            rows, scores = artifacts.neighbours(space, selected, k, min_separation_arcsec=view.MIN_SEPARATION_ARCSEC)
            neighbour_rows = [int(r) for r in rows]
            neighbour_scores = [float(s) for s in scores]
    else:
        app_state.write_link({}, view_link.PANEL_PARAMS)

    # ---- neighbour cards (sent before the map and the object panel: the browser draws them first) -----------------

    if selected is not None:
        with below:
            st.markdown(
                f"**{len(neighbour_rows)} nearest neighbours** of `{catalog.at[selected, 'object_id']}` "
                f"in the {space} space (ringed on the map)"
            )
            neighbour_cards(
                current,
                view,
                neighbour_rows,
                neighbour_scores,
                key="neighbours",
                button="open",
                button_key="open",
                on_open=app_state.select_object,
                space=space,
            )

    def column_plot_section(axes: tuple[str, str, bool, bool]) -> None:
        """Two columns of the map's objects against each other, coloured like the map, the map's marks on it, and the
        selection's statistics beside everything shown."""
        x, y, log_x, log_y = axes
        frame, titles = column_plot.plotted(shown, x, y, log_x, log_y)
        st.caption(f"{len(frame):,} of {len(shown):,} objects shown have a value to plot on both axes")
        if not len(frame):
            return
        figure = _shared_figure(
            figure_of[0],
            figure_of[1],
            PLOT_KEY,
            (*view_key, *axes),
            lambda: column_plot.column_figure(frame, colour_by, titles, x, y, _meta(PLOT_KEY)),
        )
        _selectable_chart(figure, PLOT_KEY)
        axes_columns = (column_plot.X_COLUMN, column_plot.Y_COLUMN)
        draw_marks(
            MARKS_KEY + PLOT_KEY,
            _meta(PLOT_KEY),
            map_marks(frame, neighbour_rows, selected, picked, axes_columns),
            _open_row,
        )
        if picked:
            statistics = selection_statistics(catalog, picked, shown.index, [x, y])
            st.markdown(f"**The {len(picked):,} selected against all {len(shown):,} shown** (median, 16–84 %)")
            st.dataframe(statistics, hide_index=True, key="plot_statistics")
            rest = np.setdiff1d(shown.index.to_numpy(), picked)
            apart = what_sets_apart(catalog, np.asarray(picked), rest)
            if apart:
                st.caption("What sets the selection apart: " + ", ".join(d.text for d in apart))

    # ---- the map ------------------------------------------------------------------------------------------------

    with map_slot:
        what = OPENED_PARTS.get(store.kind, "its light curves, spectrum")
        st.caption(
            f"{len(shown):,} of {len(catalog):,} objects shown · click a point to open it ({what}, metadata and "
            "nearest neighbours), box or lasso to list several"
            + (" · the map is narrowed to a selection" if focus else "")
        )
        if focus:
            st.button("Show the whole map", key="unfocus", on_click=_on_unfocus)
        picked = st.session_state.get(LASSO_KEY) or []
        view_key = (
            colour_by,
            class_filter,
            filter_column,
            low,
            high,
            keep_missing,
            tuple(focus or ()),
            bool(pictures),
            labels_token,
        )
        figure_of = (current.artifact_set.label, (current.artifact_set.path / "manifest.json").stat().st_mtime)

        zoom = view_link.parse_zoom(st.query_params.get(view_link.ZOOM))  # the link's: ((x0, x1), (y0, y1))
        # Pictures are tiled over the region in view: a zoom re-tiles them (a new figure, drawn at that zoom)
        tiled = zoom if pictures else None

        def _map() -> go.Figure:
            thumbnails = galaxy_view.map_thumbnails(current, shown, THUMBNAIL_CELLS, tiled) if pictures else []
            return render.map_figure(
                shown,
                colour_by,
                thumbnails=thumbnails,
                thumbnail_size=render.thumbnail_box(shown, THUMBNAIL_CELLS, tiled),
                point_opacity=PICTURE_POINT_OPACITY if thumbnails else 1.0,
                meta=_meta(MAP_KEY),
                ranges=tiled,
            )

        _selectable_chart(_shared_figure(*figure_of, MAP_KEY, (*view_key, tiled), _map), MAP_KEY)
        draw_marks(
            MARKS_KEY + MAP_KEY,
            _meta(MAP_KEY),
            map_marks(shown, neighbour_rows, selected, picked),
            _open_row,
            zoom=None if zoom is None else [*zoom[0], *zoom[1]],
            on_zoom=_on_zoom,
            picture=None if selected is None or not pictures else _selected_picture(selected, shown, tiled),
        )
        if sky_frame is not None:
            sky_figure = _shared_figure(
                *figure_of,
                SKY_KEY,
                (*view_key, sky_frame),
                lambda: render.map_figure(
                    sky_view(shown, sky_frame),
                    colour_by,
                    axes=SKY_AXES,
                    axis_titles=SKY_FRAMES[sky_frame],
                    reversed_axes=(True, False),
                    height=420,
                    meta=_meta(SKY_KEY),
                ),
            )
            _selectable_chart(sky_figure, SKY_KEY)
            marked = shown[shown.index.isin([*neighbour_rows, *picked, *([] if selected is None else [selected])])]
            draw_marks(
                MARKS_KEY + SKY_KEY,
                _meta(SKY_KEY),  # sky positions of the marked objects only
                map_marks(sky_view(marked, sky_frame), neighbour_rows, selected, picked, axes=SKY_AXES),
                _open_row,
            )
        if plot_axes is not None:
            column_plot_section(plot_axes)
        if picked:
            st.markdown(f"**{len(picked)} objects in the box/lasso selection**")
            table = catalog.loc[picked, [c for c in SUMMARY_COLUMNS if c in catalog]]
            st.dataframe(table, hide_index=True, key="lasso_table")
            download_buttons(catalog.loc[picked], f"{info.name}-selection", key="selection_download")
            samp_button(catalog.loc[picked], f"{info.name} selection", key="samp_send")
            if view is galaxy_view:
                galaxy_view.selection_gallery(current, picked)
            more_like_section(current, picked, "more_like_selection", list(SUMMARY_COLUMNS), _select_rows)
            label_selection_section(current, picked)
            clear, narrow = st.columns(2)
            clear.button("Clear selection", key="clear_selection", on_click=_forget_selection)
            narrow.button(
                "Map only these",
                key="focus",
                on_click=_on_focus,
                help="Narrow the map (and its pictures) to this selection",
            )

    # ---- the object panel ---------------------------------------------------------------------------------------

    def object_panel(row: int) -> None:
        record = catalog.loc[row]
        object_id = str(record["object_id"])
        st.markdown(f"### `{object_id}`")
        facts = [f"label **{render.category_names(catalog.loc[[row], 'label'], 'label').iloc[0]}**"]
        if "pred_label" in catalog:
            facts.append(prediction_text(catalog, row))
        if "cluster" in catalog:
            facts.append(render.category_names(catalog.loc[[row], "cluster"], "cluster").iloc[0])
        for column in ("anomaly_score", "mislabel_score"):
            if column in catalog and pd.notna(record[column]):
                facts.append(f"{column.replace('_', ' ')} {record[column]:.3f}")
        st.markdown(" · ".join(facts))
        if np.isfinite(pd.to_numeric(record.reindex(["ra", "dec"]), errors="coerce").to_numpy(dtype=float)).all():
            for cell, (service, url) in zip(
                st.columns(3), sky_links(float(record["ra"]), float(record["dec"])).items(), strict=False
            ):
                cell.link_button(service, url, width="stretch")
        view.object_view(current, row)
        more_like_section(current, [row], "more_like_object", list(SUMMARY_COLUMNS), _select_rows)
        with st.expander("Metadata", expanded=True):
            fields = [c for c in catalog.columns if c not in HIDDEN_METADATA]
            st.dataframe(
                pd.DataFrame({"field": fields, "value": [_format(record[c]) for c in fields]}),
                hide_index=True,
                height=260,
                key="metadata",
            )

    if selected is not None:
        with right:
            object_panel(selected)
