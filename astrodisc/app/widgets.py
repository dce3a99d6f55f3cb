"""Small Streamlit widgets the pages share. Text a visitor or a link supplied is shown through
``astrodisc.app.page_text.inert``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc.app import public_mode
from astrodisc.app.figures import category_names
from astrodisc.app.page_text import inert
from astrodisc.app.panels import Panel
from astrodisc.app.state import Current
from astrodisc.base.samp import send_to_samp
from astrodisc.base.tables import FORMATS, table_bytes
from astrodisc.chain.artifacts import Artifacts, nearest_pair_share
from astrodisc.errors import UserError

NEIGHBOUR_PREFIX = "neighbour: "  # each neighbour card's first line (browser tests and the benchmark find cards by it)
CARDS_PER_ROW = 3
SCALE_HELP = (
    "Cosine similarities differ from space to space, so each is also said on one scale: the share of the "
    "survey's nearest pairs (a sample of 5,000 objects and their nearest other object in this space) that are "
    "less alike than this pair."
)
MIME = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet", ".vot": "application/x-votable+xml"}


def download_buttons(table: pd.DataFrame, stem: str, key: str) -> None:
    """One download button per export format (CSV, Parquet, VOTable) for ``table``, files named ``stem.*``.

    In public mode the table is cut to ``max_export_rows``, a file is made only when its button is clicked,
    each click counts as a heavy action, and the buttons are disabled while the session's budget is spent (a
    disabled button leaves no file to fetch)."""
    suffixes = [s for s in FORMATS if s in MIME]
    public = public_mode.settings()
    blocked = public_mode.heavy_blocked()
    if public.enabled and len(table) > public.max_export_rows:
        st.caption(f"Public demo: exports hold the first {public.max_export_rows:,} of these {len(table):,} rows.")
        table = table.head(public.max_export_rows)
    if blocked is not None:
        st.info(blocked, icon=":material/hourglass:")
    for column, suffix in zip(st.columns(len(suffixes)), suffixes, strict=False):
        data = functools.partial(table_bytes, table, suffix) if public.enabled else table_bytes(table, suffix)
        column.download_button(
            f"{FORMATS[suffix]}",
            data,
            file_name=f"{stem}{suffix}",
            mime=MIME[suffix],
            key=f"{key}_{suffix[1:]}",
            disabled=blocked is not None,
            on_click=_take_heavy if public.enabled else "ignore",
        )


def _take_heavy() -> None:
    """A public-mode download's ``on_click``: spend one heavy action (a callback's answer goes nowhere; the
    button is disabled while the budget is spent)."""
    public_mode.take_heavy()


def neighbour_cards(
    current: Current,
    view: Panel,
    rows: Sequence[int],
    scores: Sequence[float],
    *,
    key: str,
    button: str,
    button_key: str,
    on_open: Callable[[str], None],
    space: str | None = None,
) -> None:
    """A grid of cards, one per neighbour (catalogue ``rows``, cosine ``scores``): id, label, similarity, the
    view's preview (in the modality of the ``space`` searched) and a ``button`` calling ``on_open(object_id)``;
    the grid's container has ``key`` and each button the key ``{button_key}_{row}``."""
    catalog = current.artifacts.catalog
    with st.container(key=key):
        for start in range(0, len(rows), CARDS_PER_ROW):
            for cell, row, score in zip(
                st.columns(CARDS_PER_ROW),
                rows[start : start + CARDS_PER_ROW],
                scores[start : start + CARDS_PER_ROW],
                strict=False,
            ):
                row = int(row)
                object_id = str(catalog.at[row, "object_id"])
                with cell.container(border=True):
                    st.markdown(f"{NEIGHBOUR_PREFIX}`{object_id}`")
                    label = category_names(catalog.loc[[row], "label"], "label").iloc[0]
                    share = "" if space is None else _share_text(current, space, score)
                    beaten = f" · closer than {share} of nearest pairs" if share else ""
                    st.caption(f"{label} · similarity {score:.3f}{beaten}", help=SCALE_HELP if space else None)
                    view.neighbour_preview(current, row, space)
                    st.button(button, key=f"{button_key}_{row}", on_click=on_open, args=(object_id,))


def _share_text(current: Current, space: str, score: float) -> str:
    """ "97 %": the share of ``space``'s nearest pairs less alike than cosine ``score`` (one scale for all spaces)."""
    built = current.artifacts.manifest["created"]
    share = float(
        nearest_pair_share(_scale(current.artifact_set.label, built, current.artifacts, space), np.array([score]))[0]
    )
    return "—" if np.isnan(share) else f"{100 * share:.0f} %"


@st.cache_resource(max_entries=32, show_spinner=False)
def _scale(set_label: str, built: str, _artifacts: Artifacts, space: str) -> np.ndarray:
    """The nearest-pair scale of ``space`` in a set as built at ``built`` (the manifest's time; a rebuild gets its
    own) (:meth:`Artifacts.nearest_pair_scale`), computed once."""
    return _artifacts.nearest_pair_scale(space)


def prediction_text(catalog: pd.DataFrame, row: int) -> str:
    """Markdown of the model's prediction for catalogue ``row``: class, vote share, the cosine distance to the
    nearest labelled object and, when that is beyond the build's threshold, a flag that the prediction stands
    far from every label (out of distribution for the k-NN classifier)."""
    record = catalog.loc[row]
    text = f"predicted **{record['pred_label']}**"
    if pd.notna(record.get("pred_prob")):
        text += f" ({record['pred_prob']:.2f})"
    if pd.notna(record.get("label_distance")):
        text += f", {record['label_distance']:.3f} from the nearest label"
    if bool(record.get("ood", False)):
        text += " · :orange[**far from every label**] (out of distribution)"
    return text


def samp_button(table: pd.DataFrame, name: str, key: str) -> None:
    """A button that sends ``table`` (named ``name``) to TOPCAT / Aladin over SAMP, and what came of it; off in
    public mode (it would act on the server's machine)."""
    if not public_mode.offline_only("Sending to TOPCAT / Aladin (SAMP)"):
        return
    outcome = f"{key}_outcome"

    def _send() -> None:
        try:
            clients = send_to_samp(table, name)
        except UserError as err:
            st.session_state[outcome] = (False, f"Not sent: {err}")
            return
        st.session_state[outcome] = (True, f"Sent {len(table)} objects to {clients} SAMP client(s)")

    st.button(
        "Send to TOPCAT / Aladin (SAMP)",
        key=key,
        on_click=_send,
        help="Needs a SAMP hub on this machine: TOPCAT and Aladin start one",
    )
    show_outcome(outcome)


def show_outcome(key: str) -> None:
    """Show, once, the (succeeded, message) a callback left under ``key`` in session state. The message is plain
    text (it may quote what a visitor typed or uploaded) and is shown as such."""
    outcome = st.session_state.pop(key, None)
    if outcome is not None:
        succeeded, message = outcome
        (st.success if succeeded else st.error)(inert(message))


def link_notes(notes: Sequence[str]) -> None:
    """One warning per note on what a link asked for and did not get (plain text quoting the link's values)."""
    for note in notes:
        st.warning(f"From the link: {inert(note)} (shown without it).")
