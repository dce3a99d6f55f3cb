"""Back up and restore the label database (labels and saved subsets), each one command::

    astrodisc labels backup labels-2026-12-05.sqlite      # a consistent copy, while the app writes
    astrodisc labels restore labels-2026-12-05.sqlite     # the copy back; the replaced one is kept aside

Both go through SQLite's online backup API, which copies a consistent snapshot page by page while other
connections go on reading and writing (a plain file copy of a WAL database can miss the log or catch a write
half-done). A backup is written to a temporary file and renamed into place. A restore checks the copy first
(a database of labels, of a schema this astrodisc can read, migrated if older) before the live database is
touched, keeps the database it replaces as ``<name>.before-restore-<UTC time>.sqlite``, and replaces it in one
transaction, so the app's sessions see the old labels or the restored ones, never a mixture.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from astrodisc.base import sqlite_wal
from astrodisc.errors import UserError
from astrodisc.labels.database import SCHEMA


def backup(database: Path, out: Path, force: bool = False) -> int:
    """Copy ``database`` to ``out`` (refused if ``out`` exists, unless ``force``); returns the label rows copied."""
    database, out = Path(database), Path(out)
    if not database.is_file():
        raise UserError(f"no label database at {database}")
    if out.exists() and not force:
        raise UserError(f"{out} exists: choose another name, or --force to replace it")
    if out.resolve() == database.resolve():
        raise UserError("a backup cannot replace the database it copies")
    _check(database)
    partial = out.with_name(f".{out.name}.partial")
    _copy(database, partial)
    os.replace(partial, out)
    return _label_rows(out)


def restore(backup_file: Path, database: Path) -> tuple[int, Path | None]:
    """Put the labels of ``backup_file`` into ``database`` (made if missing); returns the label rows restored
    and where the replaced database was kept (None if there was none)."""
    backup_file, database = Path(backup_file), Path(database)
    if not backup_file.is_file():
        raise UserError(f"no backup at {backup_file}")
    _check(backup_file)
    checked = database.with_name(f".{database.name}.restoring")
    try:
        _copy(backup_file, checked)
        sqlite_wal.create(checked, SCHEMA)  # an older backup is migrated here, before the live file is touched
        kept = None
        if database.is_file():
            kept = database.with_name(
                f"{database.stem}.before-restore-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}{database.suffix}"
            )
            _copy(database, kept)
        database.parent.mkdir(parents=True, exist_ok=True)
        _copy(checked, database)
    finally:
        for part in (checked, Path(f"{checked}-wal"), Path(f"{checked}-shm")):
            part.unlink(missing_ok=True)
    return _label_rows(database), kept


def _check(path: Path) -> None:
    """A UserError unless ``path`` is an intact SQLite database holding a labels table."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise UserError(f"{path} is a damaged database")
            if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'labels'").fetchone() is None:
                raise UserError(f"{path} holds no labels")
        finally:
            db.close()
    except sqlite3.DatabaseError as err:
        raise UserError(f"{path} is not a label database: {err}") from None


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup of ``source`` into ``target`` (one transaction on ``target``)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=sqlite_wal.BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(target, timeout=sqlite_wal.BUSY_TIMEOUT_MS / 1000)
    try:
        src.backup(dst)
    except sqlite3.DatabaseError as err:
        raise UserError(f"cannot copy {source}: {err}") from None
    finally:
        dst.close()
        src.close()


def _label_rows(path: Path) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT COUNT(*) FROM labels").fetchone()[0])
    finally:
        db.close()
