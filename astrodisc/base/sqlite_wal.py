"""The SQLite plumbing under the app's own database (labels.sqlite: labels and saved subsets).

WAL mode and a busy timeout let several app sessions and processes read and write at once; ``transaction``
makes a block one immediate transaction, so a crash loses at most the write under way.

Each part of the file (labels, saved subsets) has a ``Schema``: a component name and its migrations, the
SQL that brings it from version ``i`` to ``i + 1``. The versions reached are kept in the file's own
``schema_versions`` table (one file holds several components, so SQLite's single ``user_version`` cannot), and
every migration runs in one transaction with its version's update: a crash leaves the old version or the new.

A database is made on its first write, never by a read: reading a file that does not exist answers as an empty
database of the same schema would (the query runs on one in memory), so a visitor who only looks leaves no file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc.errors import UserError

BUSY_TIMEOUT_MS = 30_000
VERSIONS_TABLE = "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"


@dataclass(frozen=True)
class Schema:
    """A component of the database: ``migrations[i]`` is the SQL script from version ``i`` to ``i + 1``
    (version 0: no tables). ``component`` names the contents in error messages ("labels", "saved subsets")."""

    component: str
    migrations: tuple[str, ...]

    @property
    def version(self) -> int:
        return len(self.migrations)


_current: set[tuple[str, int, int, str]] = set()  # (path, device, inode, component) migrated in this process


def create(path: Path, schema: Schema) -> None:
    """Create ``path`` (and its folder) if needed, in WAL mode, and bring ``schema`` to its latest version.
    A UserError if the file is not a database, is of a newer version than this code knows, or the file system
    refuses WAL mode."""
    path = Path(path)
    if _stamp(path, schema) in _current:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
            raise UserError(
                f"cannot keep {schema.component} at {path}: the file system does not allow SQLite's WAL mode"
            )
        db.execute(VERSIONS_TABLE)
        while (version := _version(db, schema)) < schema.version:
            db.execute("BEGIN IMMEDIATE")
            if _version(db, schema) == version:  # another process may have migrated while this one waited
                _run_script(db, schema.migrations[version])
                db.execute("INSERT OR REPLACE INTO schema_versions VALUES (?, ?)", (schema.component, version + 1))
            db.execute("COMMIT")
        if version > schema.version:
            raise UserError(
                f"{path} holds {schema.component} of schema version {version}; this astrodisc knows up "
                f"to {schema.version}: update astrodisc"
            )
    except sqlite3.DatabaseError as err:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise UserError(f"{path} is not a readable database of {schema.component}: {err}") from None
    finally:
        db.close()
    _current.add(_stamp(path, schema))


def _stamp(path: Path, schema: Schema) -> tuple[str, int, int, str]:
    """What identifies a migrated file: a restored or replaced file is a new inode and is checked again."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return (str(path), -1, -1, schema.component)
    return (str(path), info.st_dev, info.st_ino, schema.component)


def _version(db: sqlite3.Connection, schema: Schema) -> int:
    found = db.execute("SELECT version FROM schema_versions WHERE component = ?", (schema.component,)).fetchone()
    return 0 if found is None else int(found[0])


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Each statement of ``script`` inside the open transaction (``executescript`` would commit it)."""
    for statement in (s.strip() for s in script.split(";")):
        if statement:
            db.execute(statement)


@contextmanager
def transaction(path: Path, schema: Schema, max_bytes: int | None = None) -> Iterator[sqlite3.Connection]:
    """A connection whose block is one transaction (committed on success, rolled back on error); the database
    is created or migrated first. With ``max_bytes``, a UserError instead once the file and its log hold more."""
    if max_bytes is not None:
        held = sum(p.stat().st_size for p in (Path(path), Path(f"{path}-wal")) if p.exists())
        if held > max_bytes:
            raise UserError(
                f"this database holds {held / 2**20:.1f} MB, the most it may hold here is "
                f"{max_bytes / 2**20:g} MB: nothing more is saved"
            )
    create(path, schema)
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


def read_frame(path: Path, schema: Schema, query: str, args: list) -> pd.DataFrame:
    """The rows of ``query`` as a DataFrame (a read needs no transaction under WAL); on a file that does not
    exist, the empty answer of a new database, and no file is made."""
    with _reading(path, schema) as db:
        return pd.read_sql_query(query, db, params=args)


def read_columns(
    path: Path,
    schema: Schema,
    columns: Sequence[str],
    source: str,
    args: list,
    numbers: Mapping[str, str] | None = None,
    expressions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``SELECT columns FROM source`` as a DataFrame, for reads of many rows (in the order SQLite scans them):
    the columns named in ``numbers`` with their NumPy dtype (NULL is NaN in a float column), the rest as Python
    objects (text, None for NULL); ``expressions`` gives the SQL read for a column instead of its name.

    SQLite gathers each column into one JSON array (``json_group_array``, all in one pass over the rows, so the
    columns stay aligned) and Python parses one string per column; JSON keeps any text intact. Turning each of
    10^6 values into a Python object through ``cursor.fetchall`` costs 2-3 times as long, and so does letting
    pandas infer Arrow strings from the parsed lists."""
    numbers, expressions = numbers or {}, expressions or {}
    query = f"SELECT {', '.join(f'json_group_array({expressions.get(c, c)})' for c in columns)} FROM {source}"
    with _reading(path, schema) as db:
        arrays = db.execute(query, args).fetchone()
    return pd.DataFrame(
        {
            c: pd.Series(np.array(json.loads(a), dtype=numbers.get(c, object)), dtype=numbers.get(c, object))
            for c, a in zip(columns, arrays, strict=True)
        },
        columns=list(columns),
    )


@contextmanager
def _reading(path: Path, schema: Schema) -> Iterator[sqlite3.Connection]:
    """A connection to ``path`` (migrated first), or to a new database of ``schema`` in memory if there is no
    such file (a read makes no file)."""
    path = Path(path)
    if path.exists():
        create(path, schema)
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        db = sqlite3.connect(":memory:")
        for script in schema.migrations:
            _run_script(db, script)
    try:
        yield db
    finally:
        db.close()
