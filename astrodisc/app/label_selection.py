"""Label a whole selection at once (Map page): one class (and optionally an interest score and a note) for every
object of a box/lasso selection, a cluster or "more like these" candidates, stored in one transaction."""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from astrodisc.app import state as app_state
from astrodisc.app.page_text import inert
from astrodisc.errors import UserError
from astrodisc.labels.database import INTEREST_SCORES, Label, manifest_versions

OUTCOME_KEY = "label_selection_outcome"


def label_selection_section(current: app_state.Current, rows: list[int]) -> None:
    """An expander that labels catalogue ``rows`` with one class; says what it stored (or why not)."""
    with st.expander(f"Label these {len(rows):,}"):
        with st.form("label_selection"):
            st.text_input("Annotator", value=app_state.remembered_annotator(), key="sel_annotator")
            st.selectbox(
                "Class", list(current.store.info.classes), index=None, accept_new_options=True, key="sel_class"
            )
            st.segmented_control("Interest (optional)", list(INTEREST_SCORES), key="sel_interest")
            st.text_input("Note", key="sel_note")
            st.form_submit_button(f"Label all {len(rows):,}", on_click=_label_all, args=(current, list(rows)))
        outcome = st.session_state.get(OUTCOME_KEY)
        if outcome is not None:
            (st.success if outcome[0] else st.error)(inert(outcome[1]))


def _label_all(current: app_state.Current, rows: list[int]) -> None:
    """The form's submit: every object of ``rows`` gets the form's class, interest and note, all or none."""
    annotator = (st.session_state.get("sel_annotator") or "").strip()
    label = st.session_state.get("sel_class")
    session = f"selection-{uuid.uuid4().hex[:8]}"
    versions: dict[str, Any] = manifest_versions(current.artifacts.manifest)
    fields = {
        "label": label,
        "interest": st.session_state.get("sel_interest"),
        "note": st.session_state.get("sel_note") or "",
        **versions,
    }
    objects = current.artifacts.catalog.loc[rows, "object_id"].astype(str)
    try:
        if not annotator or not label:
            raise UserError("give your name and a class")
        dataset = current.store.info.name
        ids = app_state.label_db().add_many([Label(dataset, o, annotator, session, **fields) for o in objects])
    except UserError as err:
        st.session_state[OUTCOME_KEY] = (False, f"Nothing labelled: {err}")
    else:
        st.session_state[OUTCOME_KEY] = (True, f"Labelled {len(ids):,} objects {label} (session {session})")
