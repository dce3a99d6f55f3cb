"""Write a table (labels, a selection of the catalogue) as CSV, Parquet or VOTable, chosen by file suffix.

VOTable is what TOPCAT and Aladin read; columns keep their names, NaN and None become masked values.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from astropy.table import Table

from astrodisc.errors import UserError

FORMATS: dict[str, str] = {".csv": "CSV", ".parquet": "Parquet", ".vot": "VOTable", ".xml": "VOTable"}


def table_bytes(table: pd.DataFrame, suffix: str) -> bytes:
    """``table`` encoded in the format of ``suffix`` (one of FORMATS), e.g. for a download button."""
    kind = FORMATS.get(suffix.lower())
    if kind is None:
        raise UserError(f"cannot export as {suffix!r}: choose one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    if kind == "CSV":
        table.to_csv(buffer, index=False)
    elif kind == "Parquet":
        table.to_parquet(buffer, index=False)
    else:
        plain = table.astype({c: object for c in table.columns if table[c].dtype == "string"})
        Table.from_pandas(plain).write(buffer, format="votable")
    return buffer.getvalue()


def export_table(table: pd.DataFrame, path: Path) -> Path:
    """Write ``table`` to ``path`` in the format its suffix names; returns ``path``."""
    path = Path(path)
    path.write_bytes(table_bytes(table, path.suffix))
    return path
