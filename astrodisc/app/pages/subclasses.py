"""Subclasses page: pick a class and an embedding space; the class's members are clustered again without
labels (their own UMAP, then HDBSCAN) and each sub-cluster is shown side by side: its size, what its members
look like (median folded light curve and mean spectrum, or a gallery of galaxies) and, overlaid in the colours
of the sub-cluster map, their metadata distributions. A sub-cluster can be saved as a new named label, which
the Label page then shows (labels are keyed by dataset and object id).

Layout only: the clustering is ``maps.subcluster_map`` (cached per artifact set, class and space), the
summaries come from ``subclass_profiles``, the figures from ``render``.
"""

import uuid

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc.app import figures as render
from astrodisc.app import public_mode
from astrodisc.app import state as app_state
from astrodisc.app.page_text import inert
from astrodisc.app.panels import view_for
from astrodisc.app.widgets import show_outcome
from astrodisc.chain import maps
from astrodisc.chain.artifacts import Artifacts
from astrodisc.discover.subclasses import (
    NOISE,
    Subcluster,
    class_rows,
    class_sizes,
    distributions,
    group_names,
    subcluster_labels,
    subcluster_note,
    subclusters_of,
)
from astrodisc.errors import UserError
from astrodisc.labels.database import manifest_versions

CLASS_KEY, SPACE_KEY, MAP_KEY = "subclass_class", "subclass_space", "subclass_map"
PICK_KEY, NAME_KEY, ANNOTATOR_KEY, SAVE_KEY = "subclass_pick", "subclass_name", "subclass_annotator", "subclass_saved"
LABEL_PAGE_ANNOTATOR = "annotator"  # the Label page's annotator field: its name is the default here
GROUP = "sub-cluster"  # column of the sub-cluster map's table naming each member's group
COLUMNS_PER_ROW = 3
SEED = 0


@st.cache_data(show_spinner=False, max_entries=16)
def _subclusters(_artifacts: Artifacts, root: str, built: str, cls: str, space: str) -> maps.SubclusterMap:
    """Sub-clusters of class ``cls`` in ``space`` of the artifact set at ``root`` (built at ``built``)."""
    rows = class_rows(_artifacts.catalog, cls)
    return maps.subcluster_map(np.asarray(_artifacts.embeddings[space][rows]), seed=SEED)


def _cells(n: int) -> list:
    """``n`` side-by-side cells, ``COLUMNS_PER_ROW`` to a row."""
    return [cell for _ in range(0, n, COLUMNS_PER_ROW) for cell in st.columns(COLUMNS_PER_ROW)][:n]


def show() -> None:
    """Draw the subclasses page (every Streamlit run of pages/subclasses.py)."""
    app_state.require_app()
    current = app_state.current()
    artifacts, store, info = current.artifacts, current.store, current.store.info
    catalog = artifacts.catalog
    view = view_for(store.kind)

    def _on_save(cls: str, space: str, members: dict[int, list[str]]) -> None:
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
                subcluster_note(cls, space, number),
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
    def save_form(cls: str, space: str, groups: list[Subcluster]) -> None:
        """Save one sub-cluster as a new label (reruns alone while a name is typed)."""
        st.markdown("#### Save a sub-cluster as a label")
        if ANNOTATOR_KEY not in st.session_state:
            st.session_state[ANNOTATOR_KEY] = st.session_state.get(LABEL_PAGE_ANNOTATOR) or ""
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
            args=(cls, space, members),
        )
        show_outcome(SAVE_KEY)

    st.subheader(f"Sub-classes of {info.name} · {current.artifact_set.model}")
    sizes = class_sizes(catalog)
    spaces = list(artifacts.spaces)
    left, right = st.columns(2)
    cls = left.selectbox(
        "Class",
        list(sizes.index),
        index=None,
        key=CLASS_KEY,
        placeholder="choose a class to split",
        format_func=lambda c: f"{c} ({sizes[c]:,} members)",
    )
    space = right.selectbox(
        "Embedding space",
        spaces,
        index=spaces.index(artifacts.map_space),
        key=SPACE_KEY,
        help="The map's space by default. Each space sees other traits: on the variable-star demo "
        "the spectra space separates the Mira subtypes better than the fused one.",
    )
    if cls is None:
        st.info(
            "Pick a class: its members are clustered again, without labels, on their own map of the chosen space; "
            "each sub-cluster then shows what its members look like."
        )
        st.stop()
    rows = class_rows(catalog, cls)
    if len(rows) < maps.MIN_SUBCLUSTER_MEMBERS:
        st.info(
            f"{cls} has {len(rows)} members: too few to split. A sub-cluster needs {maps.SUBCLUSTER_MIN_SIZE} "
            f"members, so a class needs at least {maps.MIN_SUBCLUSTER_MEMBERS}."
        )
        st.stop()
    if not public_mode.allow_heavy("subclusters", (str(artifacts.root), cls, space)):  # rate-limited in public mode
        st.stop()
    with st.spinner(f"Clustering the {len(rows):,} {cls} members in the {space} space (UMAP, then HDBSCAN)…"):
        found = _subclusters(artifacts, str(artifacts.root), str(artifacts.manifest.get("created", "")), cls, space)
    groups = subclusters_of(found, rows)
    names = pd.Series(group_names(found), index=catalog.index[rows])
    colors = render.category_colors(names)

    noise = int(np.sum(found.labels < 0))
    st.caption(
        f"{len(rows):,} {cls} members on their own UMAP of the {space} space: {len(groups)} sub-clusters, "
        f"{noise:,} members in none (noise, grey) · minimum sub-cluster {maps.subcluster_min_size(len(rows))}"
    )
    members_map = catalog.iloc[rows].assign(umap_x=found.xy[:, 0], umap_y=found.xy[:, 1], **{GROUP: names.to_numpy()})
    st.plotly_chart(
        render.map_figure(members_map, GROUP, height=420),
        key=MAP_KEY,
        config={"displaylogo": False, "scrollZoom": True},
    )
    if not groups:
        st.info(
            f"No sub-clusters: HDBSCAN calls all {len(rows)} {cls} members noise in the {space} space. "
            "Try another space."
        )
        st.stop()

    st.markdown("#### Sub-clusters side by side")
    for cell, group in zip(_cells(len(groups)), groups, strict=False):
        with cell.container(border=True):
            st.markdown(
                f"<span style='color:{colors[group.name]}'>■</span> **{group.name}** · "
                f"{group.size:,} members ({group.size / len(rows):.0%} of {inert(cls)})",
                unsafe_allow_html=True,
            )
            view.subcluster_view(current, group.rows, colors[group.name], key=f"subclass_{group.number}")

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
        cell.plotly_chart(figure, config={"displaylogo": False}, key=f"subclass_meta_{i}")

    save_form(cls, space, groups)
