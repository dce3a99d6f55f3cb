"""A selection against the objects around it, column by column: what a person reads beside a scatter plot of two
catalogue columns with the selection highlighted (TOPCAT's and Embedding Atlas's "subset statistics").

For each column: how many of the selection and of the comparison set have a value, and their median and
16th-84th percentile range (the ±1σ range of a Gaussian, robust to outliers and to heavy tails)::

    table = selection_statistics(catalog, selected_rows, shown_rows, ["period", "j_k"])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

PERCENTILES = (16.0, 50.0, 84.0)  # the range and centre reported for each column


def selection_statistics(
    catalog: pd.DataFrame, selected: Sequence[int], compared: Sequence[int], columns: Sequence[str]
) -> pd.DataFrame:
    """One row per numeric column of ``columns``: ``n`` (selection members with a value), ``median``, ``p16``,
    ``p84`` of the selection (catalogue index labels ``selected``), and the same with the suffix ``_all`` for
    the comparison rows ``compared`` (e.g. everything on the map). Columns in the catalogue's units; NaN where a
    set has no value."""
    records = []
    for column in dict.fromkeys(columns):
        values = pd.to_numeric(catalog[column], errors="coerce")
        record: dict[str, object] = {"column": column}
        for suffix, rows in (("", selected), ("_all", compared)):
            part = values.loc[list(rows)].to_numpy(dtype=float)
            part = part[np.isfinite(part)]
            low, centre, high = np.percentile(part, PERCENTILES) if len(part) else (np.nan,) * 3
            record |= {f"n{suffix}": len(part), f"median{suffix}": centre, f"p16{suffix}": low, f"p84{suffix}": high}
        records.append(record)
    return pd.DataFrame.from_records(records)
