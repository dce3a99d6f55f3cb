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


def show_outcome(key: str) -> None:
    """Show, once, the (succeeded, message) a callback left under ``key`` in session state."""
    outcome = st.session_state.pop(key, None)
    if outcome is not None:
        succeeded, message = outcome
        (st.success if succeeded else st.error)(message)
