"""The catalogue parts of the pages: an object is its row of numeric columns, each with its percentile in the
catalogue; a sub-cluster is the median of its members' columns beside the whole catalogue's. Streamlit code;
the tables come from the pure functions :func:`feature_table` and :func:`group_table`, the columns from
:func:`feature_columns` (a catalogue store's features, else the numeric columns of any store's object table, e.g.
a synthetic survey's, which has no light curves).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc.app.state import Current
from astrodisc.data.catalogs import CatalogStore
from astrodisc.data.store import ObjectStore

SPACES = ("metadata",)
MIN_SEPARATION_ARCSEC = 0.0  # every catalogue row is its own object
PREVIEW_COLUMNS = 3  # columns shown on a neighbour card
POSITION_COLUMNS = ("ra", "dec")  # numeric, but where the object is rather than what it is


def feature_columns(store: ObjectStore) -> tuple[str, ...]:
    """The columns shown for an object: a catalogue store's features, else the numeric columns of the store's
    object table other than ra/dec (in table order)."""
    if isinstance(store, CatalogStore):
        return store.feature_columns
    objects = store.objects
    return tuple(
        c
        for c in objects.columns
        if c not in POSITION_COLUMNS
        and pd.api.types.is_numeric_dtype(objects[c])
        and not pd.api.types.is_bool_dtype(objects[c])
    )


def feature_table(catalog: pd.DataFrame, features: tuple[str, ...], row: int) -> pd.DataFrame:
    """One row per feature of catalogue ``row``: ``column``, ``value`` (NaN = missing, units of the source table)
    and ``percentile`` [0-100] of the value among the catalogue's finite values of that column (NaN if missing)."""
    values = catalog.loc[row, list(features)].to_numpy(dtype=float)
    percentiles = []
    for column, value in zip(features, values, strict=False):
        present = catalog[column].to_numpy(dtype=float)
        present = present[np.isfinite(present)]
        percentiles.append(100.0 * np.mean(present <= value) if np.isfinite(value) else np.nan)
    return pd.DataFrame({"column": list(features), "value": values, "percentile": percentiles})


def group_table(catalog: pd.DataFrame, features: tuple[str, ...], rows: np.ndarray) -> pd.DataFrame:
    """One row per feature: ``column``, the ``members`` median over catalogue ``rows``, the ``catalogue`` median,
    and their difference in catalogue standard deviations (``shift``), largest shifts first: what sets a
    sub-cluster apart."""
    members = catalog.loc[np.asarray(rows), list(features)].median()
    everyone = catalog[list(features)].median()
    spread = catalog[list(features)].std().replace(0.0, np.nan)
    table = pd.DataFrame(
        {
            "column": list(features),
            "members": members.to_numpy(),
            "catalogue": everyone.to_numpy(),
            "shift": ((members - everyone) / spread).to_numpy(),
        }
    )
    return table.sort_values("shift", key=np.abs, ascending=False, na_position="last").reset_index(drop=True)


def object_view(current: Current, row: int) -> None:
    """The numeric columns of catalogue ``row`` with their percentiles in the catalogue."""
    table = feature_table(current.artifacts.catalog, feature_columns(current.store), row)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "percentile": st.column_config.ProgressColumn("percentile", min_value=0, max_value=100, format="%.0f")
        },
    )


def neighbour_preview(current: Current, row: int, space: str | None = None) -> None:
    """The first ``PREVIEW_COLUMNS`` columns of catalogue ``row`` for its neighbour card (whatever the ``space``
    searched: a catalogue's one space reads its columns)."""
    table = feature_table(current.artifacts.catalog, feature_columns(current.store)[:PREVIEW_COLUMNS], row)
    st.caption(" · ".join(f"{c} {v:.4g}" for c, v in zip(table["column"], table["value"], strict=False)))


def subcluster_view(current: Current, rows: np.ndarray, color: str, key: str) -> None:
    """The members' medians against the catalogue's, most distinctive column first (``rows``: catalogue rows;
    ``color`` and ``key`` are unused but keep the signature of the variable-star view)."""
    st.dataframe(
        group_table(current.artifacts.catalog, feature_columns(current.store), rows), hide_index=True, width="stretch"
    )
