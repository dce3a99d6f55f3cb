"""Tables in and out (labels, a selection of the catalogue) as CSV, Parquet or VOTable, by file suffix.

VOTable is what TOPCAT and Aladin read; columns keep their names, NaN and None become masked values.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from astrodisc.base.csv_dialect import check_csv_dialect
from astrodisc.errors import UserError

if TYPE_CHECKING:
    from astropy.table import Table

FORMATS: dict[str, str] = {".csv": "CSV", ".parquet": "Parquet", ".vot": "VOTable", ".xml": "VOTable"}


def table_bytes(table: pd.DataFrame, suffix: str) -> bytes:
    """``table`` encoded in the format of ``suffix`` (one of FORMATS), e.g. for a download button."""
    kind = FORMATS.get(suffix.lower())
    if kind is None:
        raise UserError(f"cannot export as {suffix!r}: choose one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    if kind == "CSV":
        inert_cells(table).to_csv(buffer, index=False, quoting=csv.QUOTE_NONNUMERIC)  # a text's \r stays in it
    elif kind == "Parquet":
        table.to_parquet(buffer, index=False)
    else:
        astropy_table(table).write(buffer, format="votable")
    return buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)


def inert_cells(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell that a spreadsheet would run as a formula (one starting with one of
    FORMULA_STARTS, after any leading apostrophes) given a leading apostrophe, as OWASP's CSV-injection advice
    says; numbers are left alone, so a declination of -12.5 stays a number. ``restored_cells`` undoes it."""
    return _map_text(table, lambda text: (_formula_like(text), "'" + text))


def restored_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The inverse of ``inert_cells``: the apostrophe it added taken off again, so an export read back gives the
    text written (a cell that only looks made inert, ``'=1``, is read as ``=1``, as a spreadsheet shows it)."""
    return _map_text(table, lambda text: (text.str.startswith("'") & _formula_like(text.str[1:]), text.str[1:]))


def _formula_like(text: pd.Series) -> pd.Series:
    """Whether each str of ``text`` starts, after any apostrophes, as a formula does."""
    return text.str.lstrip("'").str.startswith(FORMULA_STARTS)


def _map_text(table: pd.DataFrame, change: Callable[[pd.Series], tuple[pd.Series, pd.Series]]) -> pd.DataFrame:
    """``table`` with the str cells of its text columns replaced where ``change`` says: given a column's str
    cells, it returns (which to replace, their replacements); other cells are kept."""
    changed = {}
    for column in table.columns:
        if pd.api.types.is_numeric_dtype(table[column].dtype) or pd.api.types.is_bool_dtype(table[column].dtype):
            continue
        values = table[column]
        is_text = np.fromiter((isinstance(v, str) for v in values.tolist()), bool, len(values))
        text = values[is_text].astype(str)
        replace, replacement = change(text)
        if replace.any():
            where = pd.Series(False, index=values.index)
            where[replace[replace].index] = True
            changed[column] = values.astype(object).mask(where, replacement.reindex(values.index))
    return table.assign(**changed) if changed else table


def astropy_table(table: pd.DataFrame) -> Table:
    """``table`` as an astropy Table; text columns become str columns masked where the value is missing
    (astropy's VOTable writer cannot take None, NaN or an all-missing object column)."""
    from astropy.table import MaskedColumn, Table  # noqa: PLC0415 - astropy loads in ~0.5 s; not on the map's first draw

    text = [
        c
        for c in table.columns
        if not (pd.api.types.is_numeric_dtype(table[c].dtype) or pd.api.types.is_bool_dtype(table[c].dtype))
    ]
    plain = table.assign(**{c: table[c].astype(object).where(table[c].notna(), "").astype(str) for c in text})
    out = Table.from_pandas(plain)
    for c in text:
        out[c] = MaskedColumn(out[c], mask=table[c].isna().to_numpy())
    return out


MAX_TABLE_BYTES = 50 * 2**20  # largest table a user may upload


def check_upload_size(data: bytes, name: str, max_bytes: int) -> None:
    """A UserError if the uploaded file ``name`` is empty or larger than ``max_bytes``, sizes in words."""
    if len(data) == 0:
        raise UserError(f"{name} is empty")
    if len(data) > max_bytes:
        raise UserError(f"{name} is {_in_words(len(data))}; the limit is {_in_words(max_bytes)}")


def _in_words(n_bytes: int) -> str:
    """A size [bytes] as "12 MB", "3.4 kB" or "512 bytes"."""
    for unit, size in (("MB", 2**20), ("kB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{n_bytes} bytes"


def read_table(
    data: bytes, name: str, max_bytes: int | None = MAX_TABLE_BYTES, text_columns: Collection[str] = ()
) -> pd.DataFrame:
    """The table in an uploaded file ``name`` (its suffix picks the format); a UserError if it is larger than
    ``max_bytes`` (None: no limit, for local files), of another format or unreadable. In a CSV, the
    ``text_columns`` are read as the text written (``007``, ``1.5`` and ``NA`` stay text; an empty cell is
    missing) and cells made inert by ``inert_cells`` are restored."""
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"{name}: cannot read {suffix or 'a file without suffix'}; give one of {', '.join(FORMATS)}")
    if max_bytes is not None:
        check_upload_size(data, name, max_bytes)
    try:
        if FORMATS[suffix] == "CSV":
            return restored_cells(read_csv_rows(data, name, **_text_options(data, name, text_columns)))
        if FORMATS[suffix] == "Parquet":
            parquet = pq.read_table(io.BytesIO(data))
            parquet.validate(full=True)  # e.g. text that is not UTF-8, which would only fail later
            return parquet.to_pandas()
        from astropy.table import Table  # noqa: PLC0415 - astropy loads in ~0.5 s; not on the map's first draw

        return Table.read(io.BytesIO(data), format="votable").to_pandas()
    except UserError:
        raise
    except Exception as err:  # noqa: BLE001 - any parser failure is the file's fault, reported in one line
        raise UserError(f"{name} is not a readable {FORMATS[suffix]} table: {type(err).__name__}") from None


MISSING_WORDS = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)  # pandas' default missing values


def _text_options(data: bytes, name: str, text_columns: Collection[str]) -> dict:
    """``pd.read_csv`` options that read ``text_columns`` verbatim (only an empty cell missing) and the other
    columns as pandas does by default."""
    if not text_columns:
        return {}
    header = read_csv_rows(data, name, nrows=0).columns
    text = [c for c in header if c in text_columns]
    return {
        "dtype": dict.fromkeys(text, str),
        "keep_default_na": False,
        "na_values": {c: [""] if c in text else list(MISSING_WORDS) for c in header},
    }


def read_csv_rows(data: bytes, name: str, **options) -> pd.DataFrame:
    """``pd.read_csv`` of ``data`` (with ``options``) taking no column as the index: a row with more fields than
    the header is a UserError, where pandas would silently shift every column by one, and so is a dialect that
    would misread (``csv_dialect``: semicolons with decimal commas, UTF-16)."""
    check_csv_dialect(data, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(io.BytesIO(data), index_col=False, **options)
        except pd.errors.ParserWarning:
            raise UserError(f"{name}: some rows have more fields than the header has column names") from None


def export_table(table: pd.DataFrame, path: Path) -> Path:
    """Write ``table`` to ``path`` in the format its suffix names; returns ``path``."""
    path = Path(path)
    path.write_bytes(table_bytes(table, path.suffix))
    return path
