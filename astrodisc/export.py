"""Tables in and out (labels, a selection of the catalogue) as CSV, Parquet or VOTable, by file suffix.

VOTable is what TOPCAT and Aladin read; columns keep their names, NaN and None become masked values.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from astropy.table import MaskedColumn, Table

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
        astropy_table(table).write(buffer, format="votable")
    return buffer.getvalue()


def astropy_table(table: pd.DataFrame) -> Table:
    """``table`` as an astropy Table; text columns become str columns masked where the value is missing
    (astropy's VOTable writer cannot take None, NaN or an all-missing object column)."""
    text = [c for c in table.columns if not (pd.api.types.is_numeric_dtype(table[c].dtype)
                                             or pd.api.types.is_bool_dtype(table[c].dtype))]
    plain = table.assign(**{c: table[c].astype(object).where(table[c].notna(), "").astype(str) for c in text})
    out = Table.from_pandas(plain)
    for c in text:
        out[c] = MaskedColumn(out[c], mask=table[c].isna().to_numpy())
    return out


MAX_TABLE_BYTES = 50 * 2**20  # largest table a user may upload


def read_table(data: bytes, name: str, max_bytes: int | None = MAX_TABLE_BYTES) -> pd.DataFrame:
    """The table in an uploaded file ``name`` (its suffix picks the format); a UserError if it is larger than
    ``max_bytes`` (None: no limit, for local files), of another format or unreadable."""
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"{name}: cannot read {suffix or 'a file without suffix'}; give one of {', '.join(FORMATS)}")
    if max_bytes is not None and len(data) > max_bytes:
        raise UserError(f"{name} is {len(data) / 2**20:.0f} MB; the limit is {max_bytes // 2**20} MB")
    try:
        if FORMATS[suffix] == "CSV":
            return pd.read_csv(io.BytesIO(data))
        if FORMATS[suffix] == "Parquet":
            return pd.read_parquet(io.BytesIO(data))
        return Table.read(io.BytesIO(data), format="votable").to_pandas()
    except Exception as err:  # noqa: BLE001 - any parser failure is the file's fault, reported in one line
        raise UserError(f"{name} is not a readable {FORMATS[suffix]} table: {type(err).__name__}") from None


def export_table(table: pd.DataFrame, path: Path) -> Path:
    """Write ``table`` to ``path`` in the format its suffix names; returns ``path``."""
    path = Path(path)
    path.write_bytes(table_bytes(table, path.suffix))
    return path
