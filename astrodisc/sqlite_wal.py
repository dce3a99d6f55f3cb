"""The SQLite plumbing under the app's own database (labels.sqlite: labels and saved subsets).

WAL mode and a busy timeout let several app sessions and processes read and write at once; ``transaction``
makes a block one immediate transaction, so a crash loses at most the write under way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from astrodisc.errors import UserError

BUSY_TIMEOUT_MS = 30_000


def create(path: Path, schema: str, what: str) -> None:
    """Create ``path`` (and its folder) if needed in WAL mode and apply ``schema`` (idempotent DDL).
    ``what`` names the contents in error messages ("labels", "saved subsets")."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
            raise UserError(f"cannot keep {what} at {path}: the file system does not allow SQLite's WAL mode")
        db.executescript(schema)  # a script is its own transaction
    except sqlite3.DatabaseError as err:
        raise UserError(f"{path} is not a readable database of {what}: {err}") from None
    finally:
        db.close()


@contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection whose block is one transaction (committed on success, rolled back on error)."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db.execute("BEGIN IMMEDIATE")
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()


def read_frame(path: Path, query: str, args: list) -> pd.DataFrame:
    """The rows of ``query`` as a DataFrame (a read needs no transaction under WAL)."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        return pd.read_sql_query(query, db, params=args)
    finally:
        db.close()
