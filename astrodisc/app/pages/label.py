"""Label page: a labeling session. An annotator walks a queue of objects and gives each a class (the
dataset's or a new name), an interest score 0-5 and a note, or marks it unsure, skips it or undoes the last
label, with the mouse or at keyboard speed (``astrodisc.app.label_keys``: number keys for classes, Shift+number
for interest, Enter to save, b to step back through the session). Every label goes to the label database at
once, keyed
by dataset and object id with annotator, session, time and the dataset and model versions; a returning
annotator resumes at the first object they have not labelled. Blind mode hides the model's prediction and
the other annotators' labels.
"""

import uuid
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc.app import public_mode
from astrodisc.app import state as app_state
from astrodisc.app.label_keys import label_keys
from astrodisc.app.more_like import more_like_section
from astrodisc.app.page_text import inert
from astrodisc.app.panels import view_for
from astrodisc.app.widgets import download_buttons, prediction_text
from astrodisc.base.tables import MAX_TABLE_BYTES, read_table
from astrodisc.discover import label_queue
from astrodisc.discover.active_learning import InterestModel, reasons
from astrodisc.errors import UserError
from astrodisc.labels.agreement import agreement
from astrodisc.labels.database import (
    INTEREST_SCORES,
    LABEL_TEXT_COLUMNS,
    Label,
    LabelDB,
    labels_from_table,
    manifest_versions,
)

ANNOTATOR_KEY = app_state.ANNOTATOR_KEY
SESSION_KEY, SKIPPED_KEY, MESSAGE_KEY = "label_session", "label_skipped", "label_message"
CLASS_KEY, NEW_CLASS_KEY, INTEREST_KEY, NOTE_KEY = "label_class", "label_new_class", "label_interest", "label_note"
IMPORT_KEY = "label_import_asked"
HISTORY_KEY, REVISIT_KEY = "label_history", "label_revisit"  # objects acted on this session; one stepped back to
KEYS_KEY = "label_keys"
LIKE_COLUMNS = ("object_id", "label", "pred_label", "anomaly_score")  # columns of the "more like" candidates
NEW_CLASS = "a new class…"


def show() -> None:
    """Draw the label page (every Streamlit run of pages/label.py)."""
    import_limit = public_mode.upload_limit(MAX_TABLE_BYTES)  # largest label table [bytes]: public mode caps it
    app_state.require_app()
    current = app_state.current()
    catalog, store = current.artifacts.catalog, current.store
    view = view_for(store.kind)
    dataset = store.info.name
    versions: dict[str, Any] = manifest_versions(current.artifacts.manifest)

    db = app_state.label_db()

    with st.sidebar:
        annotator = st.text_input("Annotator", key=ANNOTATOR_KEY, placeholder="your name").strip()
        order = st.selectbox("Queue order", label_queue.queue_orders(catalog), key="queue_order")
        blind = st.toggle(
            "Blind mode", key="blind", help="Hide the model's prediction and the other annotators' labels"
        )

    st.subheader(f"Labeling {dataset}")
    if not annotator:
        st.info("Enter your name in the sidebar to start (or resume) a labeling session.")
        st.stop()
    app_state.remember_annotator(annotator)
    session = st.session_state.setdefault(SESSION_KEY, uuid.uuid4().hex[:12])
    skipped: list[str] = st.session_state.setdefault(SKIPPED_KEY, [])
    index = app_state.catalogue_index(current)
    model = app_state.interest_model(current, annotator)
    step = label_queue.next_object(db, dataset, annotator, catalog, order, skipped=skipped, model=model, index=index)
    history: list[str] = st.session_state.setdefault(HISTORY_KEY, [])
    revisit = st.session_state.get(REVISIT_KEY)
    row = int(index.get_loc(revisit)) if revisit is not None else step.row
    st.caption(
        f"{inert(annotator)} · session {session} · {step.done:,} labelled by you in {dataset} · "
        f"{len(skipped)} skipped this session · queue of {step.queued:,} by {order}"
    )
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        st.toast(inert(message))
    if row is None:
        st.success("You have been through the whole queue.")
        st.stop()
    object_id = str(catalog.at[row, "object_id"])
    if revisit is not None:
        st.info(f"Back at {inert(object_id)}, labelled earlier this session: a new label replaces the old one.")

    def _label(**fields) -> Label:
        return Label(dataset, object_id, annotator, session, **versions, **fields)

    def _acted() -> None:
        """This object is done with (labelled or skipped): on to the queue, and into the session's history."""
        st.session_state[HISTORY_KEY] = [h for h in history if h != object_id] + [object_id]
        st.session_state[REVISIT_KEY] = None

    def _save(**fields) -> None:
        try:
            db.add(_label(**fields))
        except UserError as err:
            st.session_state[MESSAGE_KEY] = f"Not saved: {err}"
            return
        _acted()
        st.session_state[MESSAGE_KEY] = f"Saved {object_id}"
        st.session_state[NOTE_KEY], st.session_state[NEW_CLASS_KEY] = "", ""  # a fresh form for the next object
        st.session_state[CLASS_KEY], st.session_state[INTEREST_KEY] = None, None

    def _on_save() -> None:
        chosen = st.session_state.get(CLASS_KEY)
        name = (st.session_state.get(NEW_CLASS_KEY) or "").strip() if chosen == NEW_CLASS else chosen
        _save(
            label=name or None, interest=st.session_state.get(INTEREST_KEY), note=st.session_state.get(NOTE_KEY) or ""
        )

    def _on_unsure() -> None:
        _save(unsure=True, note=st.session_state.get(NOTE_KEY) or "")

    def _on_skip() -> None:
        if revisit is None:
            st.session_state[SKIPPED_KEY] = skipped + [object_id]
        _acted()

    def _on_back() -> None:
        earlier = [h for h in history if h != object_id]
        if not earlier:
            st.session_state[MESSAGE_KEY] = "Nothing earlier in this session"
            return
        st.session_state[REVISIT_KEY] = earlier[-1]
        st.session_state[HISTORY_KEY] = earlier[:-1]
        st.session_state[SKIPPED_KEY] = [s for s in skipped if s != earlier[-1]]

    def _on_key_action(action: dict[str, Any]) -> None:
        """One action from the keyboard panel, for the object it was given on (a stale one is dropped)."""
        if action.get("object_id") != object_id:
            return
        kind = action.get("kind")
        note = action.get("note") or ""
        if kind == "save":
            _save(label=action.get("label") or None, interest=action.get("interest"), note=note)
        elif kind == "unsure":
            _save(unsure=True, note=note)
        else:  # anything else a page could send is no action
            {"skip": _on_skip, "back": _on_back, "undo": _on_undo}.get(str(kind), lambda: None)()

    def _on_undo() -> None:
        undone = db.undo(annotator, session)
        st.session_state[MESSAGE_KEY] = "Nothing to undo in this session" if undone is None else "Undid the last label"

    def _import(upload) -> None:
        """Import the uploaded label table as this annotator's, in one transaction, with a progress bar."""
        refused = public_mode.take_heavy()
        if refused is not None:
            st.error(refused)
            return
        bar = st.progress(0.0, text=f"Reading {inert(upload.name)}")

        def _progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"Writing {done:,} of {total:,} labels")

        try:
            table = read_table(upload.getvalue(), upload.name, max_bytes=import_limit, text_columns=LABEL_TEXT_COLUMNS)
            labels = labels_from_table(
                table,
                dataset,
                set(catalog["object_id"].astype(str)),
                annotator,
                f"import-{session}",
                max_rows=public_mode.import_row_limit(),
            )
            imported = db.add_many(
                labels,
                progress=_progress,
            )
        except UserError as err:
            st.error(inert(f"Nothing imported: {err}"))
            return
        finally:
            bar.empty()
        st.success(f"Imported {len(imported):,} labels from {inert(upload.name)}")

    left, right = st.columns([3, 2], gap="medium")
    with right:
        st.markdown(f"### `{object_id}`")
        if not blind:
            if "label" in catalog and pd.notna(catalog.at[row, "label"]):
                st.markdown(f"survey: **{inert(str(catalog.at[row, 'label']))}**")
            if "pred_label" in catalog:
                st.markdown(f"model: {prediction_text(catalog, row)}")
            others = db.latest(dataset, object_id=object_id)
            others = others[others["annotator"] != annotator]
            for _, other in others.iterrows():
                label = other["label"] if pd.notna(other["label"]) else "—"
                interest = int(other["interest"]) if pd.notna(other["interest"]) else "—"
                st.caption(f"{inert(other['annotator'])}: {inert(label)} · interest {interest}")
        label_keys(
            KEYS_KEY, object_id, list(store.info.classes), _on_key_action, known=_known(db, dataset, annotator, revisit)
        )
        classes = list(store.info.classes) + [NEW_CLASS]
        st.selectbox("Class", classes, index=None, key=CLASS_KEY, placeholder="choose a class")
        if st.session_state.get(CLASS_KEY) == NEW_CLASS:
            st.text_input("New class name", key=NEW_CLASS_KEY)
        st.segmented_control(
            "Interest (0 = nothing to see … 5 = drop everything)", list(INTEREST_SCORES), key=INTEREST_KEY
        )
        st.text_input("Note", key=NOTE_KEY)
        save, unsure = st.columns(2)
        skip, undo = st.columns(2)
        save.button("Save", key="save", type="primary", on_click=_on_save)
        unsure.button("Unsure", key="unsure", on_click=_on_unsure)
        skip.button("Skip", key="skip", on_click=_on_skip)
        undo.button("Undo", key="undo", on_click=_on_undo)
        st.button("Back", key="back", on_click=_on_back, help="The previous object of this session")
        if order == label_queue.LEARNING and len(step.upcoming):
            _preview(current, step.upcoming, model)
        more = st.expander("More like this, or like your labels", key="label_more_like", on_change="rerun")
        if more.open:  # read only while open: it is not part of a label's rerun
            with more:
                _more_like(current, annotator, row)
    with left:
        view.object_view(current, row)

    def _all_labels() -> None:
        """Every annotator's standing labels of the dataset: counts, agreement, export and import."""
        standing = db.latest(dataset)
        st.caption(
            f"{_counted(len(standing), 'standing label')} by {_counted(standing['annotator'].nunique(), 'annotator')} "
            f"(the latest of each annotator for each object)"
        )
        if len(standing):
            result = agreement(standing)
            if result["pairs"]:
                st.dataframe(
                    pd.DataFrame(
                        [
                            {
                                "annotators": " · ".join(p["annotators"]),
                                "objects (class)": p["class_objects"],
                                "Cohen κ (class)": p["class_kappa"],
                                "objects (interest)": p["interest_objects"],
                                "weighted κ (interest)": p["interest_kappa"],
                            }
                            for p in result["pairs"]
                        ]
                    ),
                    hide_index=True,
                    key="agreement",
                )
            if "fleiss_kappa" in result:
                st.caption(
                    f"Fleiss' κ over the {result['fleiss_objects']} objects every annotator classed: "
                    f"{result['fleiss_kappa']:.3f}"
                )
            download_buttons(standing, f"{dataset}-labels", key="labels_download")
        limit = public_mode.import_row_limit()
        upload = st.file_uploader(
            "Import labels (a table with object_id and any of label, interest, note"
            + (f"; at most {limit:,} rows here)" if limit else ")"),
            type=["csv", "parquet", "vot", "xml"],
            key="labels_upload",
            max_upload_size=max(1, import_limit // 2**20),
        )
        if upload is not None:
            st.button(
                f"Import {inert(upload.name)} as {inert(annotator)}",
                key="labels_import",
                on_click=st.session_state.update,
                kwargs={IMPORT_KEY: True},
            )
            if st.session_state.pop(IMPORT_KEY, False):  # asked for in the click's callback, done here with progress
                _import(upload)

    # read only while open: with 10^6 labels the whole table takes a second to read (``astrodisc bench labels``)
    all_labels = st.expander(
        f"All labels of {dataset}: agreement, export and import", key="all_labels", on_change="rerun"
    )
    if all_labels.open:
        with all_labels:
            _all_labels()


def _preview(current: app_state.Current, rows: np.ndarray, interest_model: InterestModel) -> None:
    """The next objects of the learning queue, each with why it stands there (``active_learning.reasons``)."""
    catalog = current.artifacts.catalog
    text = reasons(
        rows,
        catalog["anomaly_score"].to_numpy(dtype=float),
        interest_model,
        current.artifacts.embeddings[current.artifacts.map_space],
        catalog["object_id"].astype(str),
    )
    with st.expander(f"Next {len(rows)} in the queue, and why", expanded=True):
        st.table(  # a plain table: no grid widget to mount on every label
            pd.DataFrame({"object": catalog.loc[rows, "object_id"].astype(str).to_numpy(), "why here": text}),
            hide_index=True,
        )


def _known(db: LabelDB, dataset: str, annotator: str, object_id: str | None) -> dict[str, Any] | None:
    """The annotator's standing label of ``object_id`` (an object stepped back to) as the keyboard panel's
    first choice; None for an object not stepped back to."""
    if object_id is None:
        return None
    mine = db.latest(dataset, annotator, object_id=object_id)
    if not len(mine):
        return None
    record = mine.iloc[-1]
    return {
        "label": record["label"] if pd.notna(record["label"]) else None,
        "interest": int(record["interest"]) if pd.notna(record["interest"]) else None,
        "note": record["note"] if pd.notna(record["note"]) else "",
    }


def _more_like(current: app_state.Current, annotator: str, row: int) -> None:
    """ "More like these" from the object shown, or from the objects the annotator labelled with one class
    (against the objects they labelled otherwise); the candidates can become the Map page's selection."""
    mine, at = app_state.annotator_labels(current, annotator, ("object_id", "label"))
    labelled = mine["label"].notna().to_numpy()
    mine, at = mine[labelled], at[labelled]
    given = sorted(mine["label"].astype(str).unique())
    start = st.selectbox("From", ["this object", *[f"your labels {c}" for c in given]], key="more_like_from")
    if start == "this object":
        examples, unlike = [row], []
    else:
        is_class = (mine["label"].astype(str) == start.removeprefix("your labels ")).to_numpy()
        examples, unlike = at[is_class].tolist(), at[~is_class].tolist()
    more_like_section(current, examples, "more_like_label", list(LIKE_COLUMNS), _select_on_map, unlike=unlike)


def _select_on_map(rows: list[int]) -> None:
    """The candidates become the Map page's box/lasso selection."""
    st.session_state[app_state.LASSO_KEY] = sorted(rows)
    st.session_state[MESSAGE_KEY] = f"{len(rows)} objects selected: open the Map page to see them"


def _counted(n: int, noun: str) -> str:
    """ "1 annotator", "1,203 annotators": ``n`` and ``noun``, plural unless one."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
