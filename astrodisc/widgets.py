"""Small Streamlit widgets the pages share."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from astrodisc.export import FORMATS, table_bytes

MIME = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet", ".vot": "application/x-votable+xml"}


def download_buttons(table: pd.DataFrame, stem: str, key: str) -> None:
    """One download button per export format (CSV, Parquet, VOTable) for ``table``, files named ``stem.*``."""
    suffixes = [s for s in FORMATS if s in MIME]
    for column, suffix in zip(st.columns(len(suffixes)), suffixes):
        column.download_button(f"{FORMATS[suffix]}", table_bytes(table, suffix), file_name=f"{stem}{suffix}",
                               mime=MIME[suffix], key=f"{key}_{suffix[1:]}", on_click="ignore")


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


def show_outcome(key: str) -> None:
    """Show, once, the (succeeded, message) a callback left under ``key`` in session state."""
    outcome = st.session_state.pop(key, None)
    if outcome is not None:
        succeeded, message = outcome
        (st.success if succeeded else st.error)(message)
