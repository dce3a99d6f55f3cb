"""What the app is looking at: the artifact sets on disk, the one picked in the sidebar, and cached loading.

An artifact set is the output of ``astrodisc build`` for one dataset and one model, at
``data_dir()/<dataset>/<model>/manifest.json``; its dataset folder is ``data_dir()/<dataset>/``.
Loading goes through ``st.cache_resource`` keyed by path and manifest time, so a rerun (a click, a slider)
never reloads data and a rebuilt set is picked up.

The pages (``pages/``) run inside app.py's script run: app.py draws the picker, then ``run_page``; every page
starts with ``require_app``, which hands a run that skipped app.py back to it (see app.py's comment).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc.app import public_mode, view_link
from astrodisc.chain.artifacts import Artifacts, load_artifacts
from astrodisc.data.open_store import Store, open_store
from astrodisc.discover import label_queue
from astrodisc.discover.active_learning import HuntFeatures, InterestModel, hunt_features, likeness_features
from astrodisc.labels.database import LabelDB
from astrodisc.labels.subsets import SubsetDB
from astrodisc.paths import data_dir, labels_path

PICKER_KEY = "artifact_set"  # widget key of the sidebar picker
PICKED_KEY = "picked_set"  # session-state key of the picked ArtifactSet.label (outlives the widget, see picker)
OBJECT_PARAM = view_link.OBJECT  # query parameter holding the selected object's id
LASSO_KEY = "lasso_rows"  # catalogue rows of the map's last box/lasso selection
FOCUS_KEY = "focus_rows"  # catalogue rows the map is narrowed to ("map only these"), or absent
LAST_VIEW_KEY = "_last_map_view"  # the map's link parameters as last written (write_link)
FROM_APP_KEY = "_page_run_by_app"  # session-state flag: app.py set up this script run before running the page
DB = TypeVar("DB", LabelDB, SubsetDB)


@dataclass(frozen=True)
class ArtifactSet:
    """One built dataset × model pair on disk."""

    dataset: str
    model: str
    path: Path  # folder holding manifest.json

    @property
    def label(self) -> str:
        return f"{self.dataset} · {self.model}"

    @property
    def dataset_dir(self) -> Path:
        return self.path.parent


@dataclass(frozen=True)
class Current:
    """The artifact set being viewed, its artifacts and its dataset store."""

    artifact_set: ArtifactSet
    artifacts: Artifacts
    store: Store


def find_artifact_sets(root: Path | None = None) -> list[ArtifactSet]:
    """Every ``<root>/<dataset>/<model>/manifest.json`` under ``root`` (default ``data_dir()``), sorted."""
    root = data_dir() if root is None else Path(root)
    if not root.is_dir():
        return []
    return [ArtifactSet(m.parent.parent.name, m.parent.name, m.parent) for m in sorted(root.glob("*/*/manifest.json"))]


@st.cache_resource(show_spinner="Loading artifacts…", show_time=True, max_entries=4)
def _load(path: str, stamp: float) -> Artifacts:
    return load_artifacts(Path(path))


@st.cache_resource(max_entries=4)
def _open_store(path: str, stamp: float) -> Store:
    return open_store(Path(path))


@st.cache_resource
def _label_db(path: str) -> LabelDB:
    return LabelDB(Path(path))


@st.cache_resource
def _subset_db(path: str) -> SubsetDB:
    return SubsetDB(Path(path))


def label_db() -> LabelDB:
    """The label database at ``labels_path()`` (opened once per process and path), or in public mode this
    browser session's own (``public_mode.session_db_path``), so a public demo never writes the shared one."""
    return _database(LabelDB, _label_db)


def subset_db() -> SubsetDB:
    """The saved subsets, in the same database file as the labels."""
    return _database(SubsetDB, _subset_db)


def _database(kind: type[DB], shared: Callable[[str], DB]) -> DB:
    """The shared database (``shared``: its opener, cached by path), or in public mode this session's, opened
    afresh each time (a millisecond): nothing per session stays cached, and a file removed as stale comes back
    empty rather than broken."""
    public = public_mode.settings()
    if public.enabled:
        return kind(public_mode.session_db_path(public), max_bytes=public_mode.session_db_limit())
    return shared(str(labels_path()))


@st.cache_resource(max_entries=4)
def _catalogue_index(path: str, stamp: float) -> pd.Index:
    return label_queue.catalogue_index(_load(path, stamp).catalog["object_id"])


def catalogue_index(current: Current) -> pd.Index:
    """``label_queue.catalogue_index`` of the catalogue, kept per process while the artifact set is."""
    path = current.artifact_set.path
    return _catalogue_index(str(path), _manifest_stamp(current.artifact_set))


ANNOTATOR_KEY = "annotator"  # the Label page's name field
ANNOTATOR_NAME_KEY = "_annotator_name"  # not a widget's key: it outlives the Label page's run


def remember_annotator(name: str) -> None:
    """Keep the Label page's annotator ``name`` for the session's other pages (a widget's own state goes when
    its page is left)."""
    st.session_state[ANNOTATOR_NAME_KEY] = name


def remembered_annotator() -> str:
    """The name last given on the Label page in this session (its field's own state while it has one), or ""."""
    return str(st.session_state.get(ANNOTATOR_KEY) or st.session_state.get(ANNOTATOR_NAME_KEY) or "")


def annotator_labels(current: Current, annotator: str, columns: tuple[str, ...]) -> tuple[pd.DataFrame, np.ndarray]:
    """``annotator``'s standing labels (``columns``, object_id first) of objects in the current catalogue, and
    those objects' catalogue rows."""
    mine = label_db().latest(current.store.info.name, annotator, columns=columns)
    at = catalogue_index(current).get_indexer(mine["object_id"].astype(str).to_numpy(dtype=object))
    return mine[at >= 0], at[at >= 0]


@st.cache_resource(max_entries=8)
def _hunt_features(path: str, stamp: float) -> HuntFeatures:
    art = _load(path, stamp)
    return hunt_features(art.embeddings, art.catalog)


@st.cache_resource(max_entries=8)
def _likeness_features(path: str, stamp: float) -> HuntFeatures:
    return likeness_features(_hunt_features(path, stamp), _load(path, stamp).catalog)


@st.cache_resource(max_entries=8)
def _interest_model(path: str, stamp: float, annotator: str) -> InterestModel:
    return InterestModel(_hunt_features(path, stamp))


def likeness_features_of(current: Current) -> HuntFeatures:
    """What "more like these" reads for the current artifact set (``active_learning.likeness_features``), kept
    per process."""
    return _likeness_features(str(current.artifact_set.path), _manifest_stamp(current.artifact_set))


def interest_model(current: Current, annotator: str) -> InterestModel:
    """The learning queue's interest model for ``annotator`` (``active_learning.InterestModel``), kept per
    process over the artifact set's features (kept once for every annotator): refitted only when their scores
    change."""
    path = current.artifact_set.path
    return _interest_model(str(path), _manifest_stamp(current.artifact_set), annotator)


def _manifest_stamp(artifact_set: ArtifactSet) -> float:
    """The time [s] the set's manifest was written: what every per-set cache is keyed by, so a rebuild reloads."""
    return (artifact_set.path / "manifest.json").stat().st_mtime


def open_set(artifact_set: ArtifactSet) -> Current:
    """Load (once per process, until the manifest or dataset changes) the artifacts and store of a set."""
    stamp = _manifest_stamp(artifact_set)
    store_stamp = (artifact_set.dataset_dir / "dataset.json").stat().st_mtime
    return Current(
        artifact_set, _load(str(artifact_set.path), stamp), _open_store(str(artifact_set.dataset_dir), store_stamp)
    )


def picker(sets: list[ArtifactSet]) -> ArtifactSet:
    """The sidebar's dataset · model picker; returns the picked set, kept under ``PICKED_KEY`` and in the URL.

    A session's first run opens the set the URL names (``?dataset=…&model=…``, a shared link), else the first.
    The pick is kept outside the widget's own state: with the widget's state alone, the first pick of a
    session on a fresh server (and every first pick under AppTest, which runs each rerun's page without app.py
    first; see app.py) was lost and the picker fell back to the first set. Picking another set clears the
    selected object, the map's selections and the view parameters of the last set.
    """
    labels = [s.label for s in sets]
    picked = st.session_state.get(PICKED_KEY)
    if picked is None:
        linked = [
            s.label
            for s in sets
            if s.dataset == st.query_params.get(view_link.DATASET)
            and st.query_params.get(view_link.MODEL) in (None, s.model)
        ]
        picked = linked[0] if linked else None
    index = labels.index(picked) if picked in labels else 0
    label = st.selectbox("Dataset · model", labels, index=index, key=PICKER_KEY, on_change=_on_pick)
    st.session_state[PICKED_KEY] = label
    chosen = sets[labels.index(label)]
    for name, value in ((view_link.DATASET, chosen.dataset), (view_link.MODEL, chosen.model)):
        if st.query_params.get(name) != value:
            st.query_params[name] = value
    return chosen


def _on_pick() -> None:
    """Another set: its rows are not the last set's, so the selection, the narrowing, the object and the
    view parameters go."""
    st.session_state[PICKED_KEY] = st.session_state[PICKER_KEY]
    for key in (LASSO_KEY, FOCUS_KEY):
        st.session_state.pop(key, None)
    for name in view_link.SET_PARAMS:
        st.query_params.pop(name, None)
    st.session_state.pop(LAST_VIEW_KEY, None)


def current() -> Current:
    """The set picked in the sidebar by app.py (pages run after app.py within the same script run)."""
    label = st.session_state.get(PICKED_KEY)
    for artifact_set in find_artifact_sets():
        if artifact_set.label == label:
            return open_set(artifact_set)
    raise LookupError(f"no artifact set picked (got {label!r})")


def navigation() -> st.Page:
    """Register the app's pages with ``st.navigation``; returns the page this run should show."""
    return st.navigation(
        [
            st.Page("pages/map.py", title="Map", icon=":material/map:", default=True),
            st.Page("pages/label.py", title="Label", icon=":material/label:"),
            st.Page("pages/subclasses.py", title="Subclasses", icon=":material/account_tree:"),
            st.Page("pages/search.py", title="Search", icon=":material/search:"),
            st.Page("pages/model.py", title="Model", icon=":material/monitoring:"),
        ]
    )


def run_page(page: st.Page) -> None:
    """Run the page ``navigation`` returned, telling it that app.py set up this run (picker, picked set)."""
    st.session_state[FROM_APP_KEY] = True
    page.run()


def require_app() -> None:
    """First call of every page: return if app.py runs this page, else rerun the same page through app.py.

    Streamlit runs a page without app.py while it still treats ``pages/`` as an old-style multipage folder
    (until the process's first ``st.navigation`` call; AppTest resets that on every run). Registering the
    pages switches that mode off for good; the rerun then keeps the page, query parameters and widget state.
    """
    if st.session_state.pop(FROM_APP_KEY, False):
        return
    navigation()
    st.rerun()


def selected_row(artifacts: Artifacts) -> int | None:
    """Catalogue row of the object named by the ``?object=`` query parameter, None if absent or unknown."""
    object_id = st.query_params.get(OBJECT_PARAM)
    return None if object_id is None else artifacts.row_of(object_id)


def write_link(query: Mapping[str, str], names: Sequence[str]) -> None:
    """Make the URL's parameters ``names`` equal to ``query`` (a name absent from it is removed), and remember
    them for this session: Streamlit drops the URL's parameters on the way to another page, and the map brings
    its last view back from this memory (``LAST_VIEW_KEY``)."""
    remembered = st.session_state.setdefault(LAST_VIEW_KEY, {})
    for name in names:
        if name in query:
            remembered[name] = query[name]
            if st.query_params.get(name) != query[name]:
                st.query_params[name] = query[name]
        else:
            remembered.pop(name, None)
            st.query_params.pop(name, None)


def select_object(object_id: str | None) -> None:
    """Make ``object_id`` the selected object (None clears the selection)."""
    if object_id is None:
        st.query_params.pop(OBJECT_PARAM, None)
    else:
        st.query_params[OBJECT_PARAM] = str(object_id)


def filter_catalog(
    catalog: pd.DataFrame,
    classes: list[str] | None = None,
    column: str | None = None,
    low: float | None = None,
    high: float | None = None,
    keep_missing: bool = False,
) -> pd.DataFrame:
    """Rows whose label is in ``classes`` (None keeps all; "unlabelled" matches missing labels) and whose
    numeric ``column`` lies in [low, high] (rows without a value drop out once a range is set, unless
    ``keep_missing``).

    The result keeps the catalogue's index, i.e. each object's row in the full catalogue. With nothing filtered
    out it is the (shared, cached) catalogue itself, not a per-session copy.
    """
    keep = np.ones(len(catalog), dtype=bool)
    if classes is not None:
        labels = catalog["label"].astype("string").fillna("unlabelled").to_numpy(dtype=object)
        keep &= np.isin(labels, list(classes))
    if column is not None and (low is not None or high is not None):
        values = pd.to_numeric(catalog[column], errors="coerce").to_numpy(dtype=float)
        inside = np.ones(len(catalog), dtype=bool)
        with np.errstate(invalid="ignore"):
            if low is not None:
                inside &= values >= low
            if high is not None:
                inside &= values <= high
        keep &= inside | (keep_missing & np.isnan(values))
    return catalog if keep.all() else catalog[keep]
