"""Subclasses page: pick a class; its members are split without labels as the build split them — for variable
stars and catalogues in the catalogue columns whose values fall into two separated modes (a Gaussian mixture, its
size by ICL: :mod:`astrodisc.chain.subclusters`), else by the criterion of :mod:`astrodisc.chain.clusters` in the
map's space (read at once) — or in the columns or any embedding space picked here (another space's own layout is
made first, with a spinner). The number of sub-clusters (columns) or the smallest sub-cluster (a layout) can be
set instead of chosen, sub-clusters merged, a point clicked to open its object on the map, and the main map
coloured by the build's sub-clusters. Each sub-cluster is shown side by side: its size and stability, what
sets it apart (the catalogue columns that differ most from the rest of the class), what its members look like
(median folded light curve and mean spectrum, or a gallery of galaxies) and, in the colours of the sub-cluster
map, their metadata distributions. A sub-cluster can be downloaded, or saved as a new named label, which the
Label page then shows (labels are keyed by dataset and object id).

Layout only: the clustering is ``clusters.subcluster_map`` (layouts cached per artifact set, class and space),
the summaries come from ``discover.subclasses``, the figures from ``render``.
"""

import uuid

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc.app import figures as render
from astrodisc.app import public_mode
from astrodisc.app import state as app_state
from astrodisc.app.page_text import inert
from astrodisc.app.pages.map import follow_to_map, open_map
from astrodisc.app.panels import view_for
from astrodisc.app.widgets import download_buttons, show_outcome
from astrodisc.chain import clusters, subclusters
from astrodisc.chain.artifacts import Artifacts
from astrodisc.chain.subclusters import (
    COLUMNS,
    DESCRIBED_BY_COLUMNS,
    ColumnModes,
    column_modes,
    descriptive_columns,
    luminosity_columns,
)
from astrodisc.discover.subclasses import (
    NOISE,
    Subcluster,
    class_rows,
    class_sizes,
    distributions,
    group_names,
    merge_subclusters,
    subcluster_labels,
    subcluster_note,
    subclusters_of,
    what_sets_apart,
)
from astrodisc.errors import UserError
from astrodisc.labels.database import manifest_versions

CLASS_KEY, SPACE_KEY, MAP_KEY = "subclass_class", "subclass_space", "subclass_map"
SIZE_KEY, COUNT_KEY, MERGE_KEY = "subclass_smallest", "subclass_count", "subclass_merge"
BY_VALIDITY = "chosen by validity"
SMALLEST = {BY_VALIDITY: None, "1 %": 0.01, "2 %": 0.02, "5 %": 0.05, "10 %": 0.1, "20 %": 0.2}
SIZE_HELP = (
    "By validity: of the sizes 0.5–10 % of the class, the one whose sub-clusters are densest and best "
    "separated (DBCV). A share fixes the smallest sub-cluster instead: larger, fewer sub-clusters."
)
BY_ICL = "chosen by ICL"
COUNTS: dict[str, int | None] = {BY_ICL: None, **{str(k): k for k in range(2, subclusters.MAX_COMPONENTS + 1)}}
COUNT_HELP = (
    "By ICL: the number of components of a Gaussian mixture over the columns with two modes that best balances "
    "fit, size and how cleanly the groups separate. A number fixes it instead."
)
AS_BUILT = "as the build split it"
COLUMNS_OPTION = "catalogue columns"
PICK_KEY, NAME_KEY, ANNOTATOR_KEY, SAVE_KEY = "subclass_pick", "subclass_name", "subclass_annotator", "subclass_saved"
GROUP = "sub-cluster"  # column of the sub-cluster map's table naming each member's group
COLUMNS_PER_ROW = 3
SEED = 0


@st.cache_data(show_spinner=False, max_entries=16)
def _layout(_artifacts: Artifacts, root: str, built: str, cls: str, space: str) -> np.ndarray:
    """(n, d) clustering layout of class ``cls``'s members in ``space`` of the set at ``root`` (built at ``built``):
    the build's own in the map's space, else the members' own UMAP (seconds to a minute)."""
    rows = class_rows(_artifacts.catalog, cls)
    if space == _artifacts.map_space:
        return np.asarray(_artifacts.cluster_layout[rows])
    return clusters.layout(np.asarray(_artifacts.embeddings[space][rows]), seed=SEED)


@st.cache_data(show_spinner=False, max_entries=16)
def _column_modes(_artifacts: Artifacts, root: str, built: str, cls: str, count: int | None) -> ColumnModes | None:
    """Class ``cls``'s sub-clusters in its catalogue columns (``count`` of them, or chosen by ICL) in the set at
    ``root`` (built at ``built``): one mixture fit per choice, not one per rerun of the page."""
    rows = class_rows(_artifacts.catalog, cls)
    return column_modes(descriptive_columns(_artifacts.catalog.iloc[rows]), seed=SEED, n_groups=count)


def _how_split(cls: str, found: clusters.SubclusterMap, modes: ColumnModes | None, how: str, chosen: str) -> str:
    """One line on how the class was split: in which columns (``modes``) or layout (``how``), into how many
    groups, and how their number or smallest size was ``chosen``."""
    n, n_groups = len(found.labels), found.n_clusters
    plural = "s" * (n_groups != 1)
    if modes is not None:
        columns = ", ".join(f"{c} (D = {d:.1f})" for c, d in zip(modes.columns, modes.separation, strict=True))
        return (
            f"{n:,} {cls} members, split in their catalogue columns with two modes — {columns} — by a Gaussian "
            f"mixture of {n_groups} component{plural} ({chosen}); a member without a value is placed by the others; "
            "drawn on the two most separated columns · click a point to open it"
        )
    return (
        f"{n:,} {cls} members, split in {how}: {n_groups} sub-cluster{plural} · smallest "
        f"{found.groups.min_cluster_size} ({chosen}; validity {found.groups.validity:.2f}) · members that join by "
        "their neighbours rather than by density have probability 0 · click a point to open it"
    )


def _cells(n: int) -> list:
    """``n`` side-by-side cells, ``COLUMNS_PER_ROW`` to a row."""
    return [cell for _ in range(0, n, COLUMNS_PER_ROW) for cell in st.columns(COLUMNS_PER_ROW)][:n]


def show() -> None:
    """Draw the subclasses page (every Streamlit run of pages/subclasses.py)."""
    app_state.require_app()
    follow_to_map()  # a click on a member, or "colour the map by sub-cluster"
    current = app_state.current()
    artifacts, store, info = current.artifacts, current.store, current.store.info
    catalog = artifacts.catalog
    view = view_for(store.kind)

    def _on_save(cls: str, split_in: str, members: dict[int, list[str]]) -> None:
        number = st.session_state.get(PICK_KEY)
        try:
            if number not in members:
                raise UserError("pick a sub-cluster")
            labels = subcluster_labels(
                info.name,
                members[number],
                st.session_state.get(NAME_KEY) or "",
                st.session_state.get(ANNOTATOR_KEY) or "",
                f"subclusters-{uuid.uuid4().hex[:12]}",
                subcluster_note(cls, split_in, number),
                **manifest_versions(artifacts.manifest),
            )
            app_state.label_db().add_many(labels)
        except UserError as err:
            st.session_state[SAVE_KEY] = (False, f"Nothing saved: {err}")
            return
        saved = (
            f"Saved the {len(labels)} members of sub-cluster {number} as “{labels[0].label}” by "
            f"{labels[0].annotator}: the Label page shows them"
        )
        st.session_state[SAVE_KEY] = (True, saved)
        st.session_state[NAME_KEY] = ""

    @st.fragment
    def save_form(cls: str, split_in: str, groups: list[Subcluster]) -> None:
        """Save one sub-cluster as a new label (reruns alone while a name is typed)."""
        st.markdown("#### Save a sub-cluster as a label")
        if ANNOTATOR_KEY not in st.session_state:
            st.session_state[ANNOTATOR_KEY] = app_state.remembered_annotator()  # the Label page's name
        sizes = {g.number: g.size for g in groups}
        pick, name, annotator = st.columns(3)
        pick.selectbox(
            "Sub-cluster", list(sizes), key=PICK_KEY, format_func=lambda k: f"sub-cluster {k} ({sizes[k]:,} members)"
        )
        name.text_input("New label name", key=NAME_KEY, placeholder=f"e.g. {cls}-a")
        annotator.text_input("Annotator", key=ANNOTATOR_KEY, placeholder="your name")
        object_ids = catalog["object_id"].astype(str).to_numpy()
        members = {g.number: object_ids[g.rows].tolist() for g in groups}
        st.button(
            "Save sub-cluster as label",
            key="subclass_save",
            type="primary",
            on_click=_on_save,
            args=(cls, split_in, members),
        )
        show_outcome(SAVE_KEY)

    st.subheader(f"Sub-classes of {info.name} · {current.artifact_set.model}")
    sizes = class_sizes(catalog)
    left, right = st.columns(2)
    cls = left.selectbox(
        "Class",
        list(sizes.index),
        index=None,
        key=CLASS_KEY,
        placeholder="choose a class to split",
        format_func=lambda c: f"{c} ({sizes[c]:,} members)",
    )
    build_split = artifacts.manifest.get("clusters", {}).get("subclusters", {})
    described = store.kind in DESCRIBED_BY_COLUMNS
    bases = [AS_BUILT, *([COLUMNS_OPTION] if described else []), *artifacts.spaces]
    basis = right.selectbox(
        "Split in",
        bases,
        key=SPACE_KEY,
        help="As the build split the class: in its catalogue columns where some column's values fall into two "
        "separated modes (variable stars and catalogues), else in the map's space. Or pick the columns or any "
        "embedding space: each sees other traits.",
    )
    if cls is None:
        st.info(
            "Pick a class: its members are split again, without labels — in the catalogue columns that show two "
            "modes among them, or on their own map of an embedding space; each sub-cluster then shows what its "
            "members look like."
        )
        st.stop()
    rows = class_rows(catalog, cls)
    if len(rows) < clusters.MIN_GROUPED:
        st.info(
            f"{cls} has {len(rows)} members: too few to split. A sub-cluster needs {clusters.MIN_SIZE} "
            f"members, so a class needs at least {clusters.MIN_GROUPED}."
        )
        st.stop()
    space = build_split.get(cls, {}).get("basis", artifacts.map_space) if basis == AS_BUILT else basis
    space = COLUMNS if space == COLUMNS_OPTION else space
    size_choice, merge_choice, colour_choice = st.columns([2, 3, 2])
    modes = None
    if space == COLUMNS:
        count_choice = size_choice.selectbox("Sub-clusters", list(COUNTS), key=COUNT_KEY, help=COUNT_HELP)
        count = COUNTS[count_choice]
        modes = _column_modes(artifacts, str(artifacts.root), str(artifacts.manifest.get("created", "")), cls, count)
        if modes is None:
            st.info(
                f"No catalogue column of {cls} has two separated modes (Ashman's D over "
                f"{subclusters.MIN_SEPARATION:g}), or the mixture is best with one group: split in the map's "
                f"{artifacts.map_space} space instead."
            )
            space = artifacts.map_space
    if modes is not None:
        found = modes.subcluster_map()
        axis_titles = (f"{modes.axes[0]} (scaled)", f"{modes.axes[1]} (scaled)" if modes.axes[1] else "")
        how, chosen = "", BY_ICL if count is None else "set here"
    else:
        built = space == artifacts.map_space
        if not built and not public_mode.allow_heavy("subclusters", (str(artifacts.root), cls, space)):
            st.stop()  # rate-limited
        with st.spinner(
            f"Laying out the {len(rows):,} {cls} members in the {space} space (UMAP, up to a minute)…", show_time=True
        ):
            points = _layout(artifacts, str(artifacts.root), str(artifacts.manifest.get("created", "")), cls, space)
        smallest = SMALLEST[size_choice.selectbox("Smallest sub-cluster", list(SMALLEST), key=SIZE_KEY, help=SIZE_HELP)]
        found = clusters.subcluster_map(points, sizes=clusters.SIZE_FRACTIONS if smallest is None else (smallest,))
        axis_titles = ("layout PC 1", "layout PC 2")
        how = f"the build's layout of the {space} space" if built else f"their own UMAP of the {space} space"
        chosen = "chosen by validity" if smallest is None else "set here"
    merge = merge_choice.multiselect(
        "Merge sub-clusters",
        list(range(found.n_clusters)),
        key=MERGE_KEY,
        format_func=lambda k: f"sub-cluster {k}",
        placeholder="pick two or more to make one",
    )
    found = merge_subclusters(found, merge)
    colour_choice.button(
        "Colour the map by sub-cluster",
        key="subclass_colour_map",
        on_click=open_map,
        kwargs={"colour": "subcluster"},
        help="Opens the map coloured by the build's sub-clusters of every class (as the build split each class; "
        "merges made here are not in it).",
    )
    groups = subclusters_of(found, rows)
    described_catalog = catalog.join(luminosity_columns(catalog)) if described else catalog
    names = pd.Series(group_names(found), index=catalog.index[rows])
    colors = render.category_colors(names)
    st.caption(_how_split(cls, found, modes, how, chosen))
    members_map = catalog.iloc[rows].assign(umap_x=found.xy[:, 0], umap_y=found.xy[:, 1], **{GROUP: names.to_numpy()})

    def _on_click() -> None:
        points_clicked = st.session_state[MAP_KEY].selection.points
        if points_clicked:
            data = points_clicked[0].get("customdata")
            row = int(data[0] if isinstance(data, list) else data)
            open_map(object_id=str(catalog.at[row, "object_id"]))

    st.plotly_chart(
        render.map_figure(members_map, GROUP, height=420, axis_titles=axis_titles),
        key=MAP_KEY,
        on_select=_on_click,
        selection_mode="points",
        config=render.CHART_CONFIG,
    )
    if found.n_clusters < 2:
        st.info(
            f"One group: in the {space} space the {len(rows):,} {cls} members show no sub-clusters that are "
            "denser than chance (validity under 0.3). Try the catalogue columns or another space, or fix the "
            "smallest sub-cluster."
        )
        st.stop()

    st.markdown("#### Sub-clusters side by side")
    for cell, group in zip(_cells(len(groups)), groups, strict=False):
        rest = np.setdiff1d(rows, group.rows)
        apart = what_sets_apart(described_catalog, group.rows, rest)
        persistence = found.groups.persistence[group.number]
        with cell.container(border=True):
            st.markdown(
                f"<span style='color:{colors[group.name]}'>■</span> **{group.name}** · "
                f"{group.size:,} members ({group.size / len(rows):.0%} of {inert(cls)}) · "
                f"{'mean membership' if modes is not None else 'persistence'} {persistence:.2f}",
                unsafe_allow_html=True,
            )
            if apart and len(rest):
                st.caption("Against the rest of " + inert(cls) + ": " + ", ".join(inert(d.text) for d in apart))
            view.subcluster_view(current, group.rows, colors[group.name], key=f"subclass_{group.number}")
            download_buttons(
                catalog.iloc[group.rows],
                f"{info.name}-{cls}-subcluster-{group.number}",
                key=f"subclass_dl_{group.number}",
            )

    st.markdown("#### Metadata distributions")
    clustered = names[names != NOISE]
    cluster_colors = {name: color for name, color in colors.items() if name != NOISE}
    figures = []
    if {"period", "amplitude"} <= set(catalog.columns):
        figures.append(
            render.group_scatter_figure(
                catalog.loc[clustered.index, "period"],
                catalog.loc[clustered.index, "amplitude"],
                clustered,
                cluster_colors,
                x_title="period [days]",
                y_title="amplitude [mag]",
                log_x=True,
            )
        )
    for title, values in distributions(catalog, info.bands).items():
        figures.append(
            render.group_histogram_figure(values.loc[clustered.index], clustered, cluster_colors, x_title=title)
        )
    st.caption(
        "the sub-clusters' members (noise left out), in the colours of the map; histograms are shares of each "
        "sub-cluster, so groups of different size compare"
    )
    for i, (cell, figure) in enumerate(zip(_cells(len(figures)), figures, strict=False)):
        cell.plotly_chart(figure, config=render.CHART_CONFIG, key=f"subclass_meta_{i}")

    save_form(cls, COLUMNS_OPTION if modes is not None else f"{space} space", groups)
