"""The importers' one reader of local CSV files: the dialect checked first (:mod:`astrodisc.base.csv_dialect`),
a row with more fields than the header refused (:func:`astrodisc.base.tables.read_csv_rows`), and whatever pandas
fails with turned into one line that names the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from astrodisc.base.tables import read_csv_rows
from astrodisc.errors import UserError


def read_csv_file(path: Path, what: str, **options: Any) -> pd.DataFrame:
    """The CSV file ``path`` as a DataFrame (``options`` go to ``pd.read_csv``; no column becomes the index).

    A misreading dialect, a row with more fields than the header, a column of ``usecols`` missing from the header,
    or any parser failure (bad numbers, binary garbage, an empty file) is a one-line UserError, the last three
    "unreadable <what> <file name>: <the cause>". Example:
    ``read_csv_file(Path("w_uma_1.csv"), "Catalina file", usecols=["MJD", "Mag"], dtype=float)``.
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        if "usecols" in options:  # pandas names missing ones in set order, which changes from run to run
            header = read_csv_rows(data, path.name, nrows=0).columns
            missing = [str(c) for c in options["usecols"] if c not in header]
            if missing:
                raise UserError(
                    f"unreadable {what} {path.name}: it lacks column(s) {', '.join(missing)} (its columns: "
                    f"{_listing(header)})"
                )
        return read_csv_rows(data, path.name, **options)
    except UserError:
        raise
    except UnicodeDecodeError as error:
        raise UserError(
            f"unreadable {what} {path.name}: byte {error.start} is not UTF-8 text (a binary file?); "
            "save it as a UTF-8 CSV"
        ) from None
    except (ValueError, TypeError, OverflowError) as error:  # pandas' ParserError and EmptyDataError among them
        raise UserError(f"unreadable {what} {path.name}: {first_line(error)}") from None


def first_line(error: Exception) -> str:
    """The first line of an exception's message (pandas' and numpy's run over several, or end in a newline)."""
    return next(iter(str(error).strip().splitlines()), type(error).__name__)


def _listing(columns: pd.Index, most: int = 8, width: int = 24) -> str:
    """The first ``most`` column names, each cut to ``width`` characters (a binary file's header is one long name)."""
    names = [str(c).strip()[:width] for c in columns[:most]]
    return ", ".join(names) + (", ..." if len(columns) > most else "")
