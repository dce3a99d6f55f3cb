"""Labels people give objects, in a SQLite database that keeps every label ever given.

One append-only table: a row per act of labelling (a class, an interest score 0-5, a note, or "unsure"),
keyed by dataset and object id — never by row number — so labels survive rebuilds, new models and reordered
catalogues. Undo appends a row that retracts an earlier one; nothing in the history is updated or deleted.
Beside it, a ``standing`` table names the standing (latest, not retracted) label of each object and annotator,
written in the same transaction as the history, so reading the latest labels costs what they are, not a scan
of the history for each row (10^6 labels: ``astrodisc bench --parts labels``). The schema is versioned
(``sqlite_wal.Schema``); an older database is migrated when first opened.

WAL mode and a busy timeout let several app sessions (and processes) write at once; each label is one
transaction, so a crash loses at most the label being written. Example::

    db = LabelDB(data_dir() / "labels.sqlite")
    db.add(Label("varstars-demo", "SIMV-42-0000613", "ana", "s1", label="M", interest=4))
    db.latest("varstars-demo")            # DataFrame: one row per (object, annotator)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc.base import sqlite_wal
from astrodisc.errors import UserError

INTEREST_SCORES = range(0, 6)  # 0 = nothing to see ... 5 = drop everything
SCHEMA = sqlite_wal.Schema(
    "labels",
    (
        # 1: the history (append-only: a row per act of labelling; undo appends a row that retracts another)
        """
    CREATE TABLE IF NOT EXISTS labels (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dataset TEXT NOT NULL,
        object_id TEXT NOT NULL,
        annotator TEXT NOT NULL,
        session TEXT NOT NULL,
        label TEXT,
        interest INTEGER CHECK (interest IS NULL OR interest BETWEEN 0 AND 5),
        unsure INTEGER NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '',
        dataset_version TEXT NOT NULL DEFAULT '',
        model_version TEXT NOT NULL DEFAULT '',
        retracts INTEGER REFERENCES labels(id),
        created_utc REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS labels_by_object ON labels (dataset, object_id);
    CREATE INDEX IF NOT EXISTS labels_by_session ON labels (annotator, session)
    """,
        # 2: the standing label of each (dataset, object, annotator), a copy of its row kept in the transaction that
        # changes it, so reading the latest labels costs the number of standing labels, not a scan of the history
        # for each row, nor a lookup in the history for each standing label
        """
    CREATE INDEX IF NOT EXISTS labels_by_retracts ON labels (retracts) WHERE retracts IS NOT NULL;
    CREATE TABLE standing (
        id INTEGER NOT NULL REFERENCES labels(id),
        dataset TEXT NOT NULL,
        object_id TEXT NOT NULL,
        annotator TEXT NOT NULL,
        session TEXT NOT NULL,
        label TEXT,
        interest INTEGER,
        unsure INTEGER NOT NULL,
        note TEXT NOT NULL,
        dataset_version TEXT NOT NULL,
        model_version TEXT NOT NULL,
        created_utc REAL NOT NULL,
        PRIMARY KEY (dataset, object_id, annotator)
    ) WITHOUT ROWID;
    CREATE INDEX standing_by_annotator ON standing (dataset, annotator, object_id, interest);
    INSERT INTO standing SELECT id, dataset, object_id, annotator, session, label, interest, unsure, note,
        dataset_version, model_version, created_utc FROM labels WHERE id IN (
        SELECT MAX(id) FROM labels l WHERE retracts IS NULL
        AND NOT EXISTS (SELECT 1 FROM labels r WHERE r.retracts = l.id) GROUP BY dataset, object_id, annotator)
    """,
    ),
)
COLUMNS: tuple[str, ...] = (
    "id",
    "dataset",
    "object_id",
    "annotator",
    "session",
    "label",
    "interest",
    "unsure",
    "note",
    "dataset_version",
    "model_version",
    "created_utc",
)  # of a standing label
_MICROSECONDS = "CAST(ROUND(created_utc * 1e6) AS INTEGER)"  # JSON writes an integer 3x faster than a real
_NUMBERS = {"id": "int64", "interest": "float64", "unsure": "int64", "created_utc": "float64"}  # NumPy dtypes
_STANDS = (
    f"INSERT INTO standing ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM labels WHERE {{}}"
    " ON CONFLICT (dataset, object_id, annotator) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in ("dataset", "object_id", "annotator"))
)


MAX_CHARACTERS: dict[str, int] = {  # longest text a label may hold in each field [characters]
    "dataset": 200,
    "object_id": 200,
    "annotator": 100,
    "session": 100,
    "label": 100,
    "note": 2_000,
    "dataset_version": 200,
    "model_version": 200,
}


@dataclass(frozen=True)
class Label:
    """One act of labelling an object: a class and/or an interest score and/or a note, or "unsure"."""

    dataset: str
    object_id: str
    annotator: str
    session: str
    label: str | None = None
    interest: int | None = None  # 0-5
    unsure: bool = False
    note: str = ""
    dataset_version: str = ""
    model_version: str = ""

    def check(self) -> None:
        """A UserError naming what is wrong with this label, if anything: a missing key, text that is not
        text or longer than MAX_CHARACTERS, an interest score that is not an integer 0-5, nothing given."""
        for name, longest in MAX_CHARACTERS.items():
            value = getattr(self, name)
            if value is None and name == "label":
                continue
            if not isinstance(value, str):
                raise UserError(f"a label's {name.replace('_', ' ')} must be text, got {type(value).__name__}")
            if len(value) > longest:
                raise UserError(
                    f"a label's {name.replace('_', ' ')} has at most {longest:,} characters, got {len(value):,}"
                )
        for name in ("dataset", "object_id", "annotator", "session"):
            if not getattr(self, name).strip():
                raise UserError(f"a label needs a {name.replace('_', ' ')}")
        if self.interest is not None and (isinstance(self.interest, bool) or self.interest not in INTEREST_SCORES):
            raise UserError(f"interest must be an integer from 0 to 5, got {self.interest!r}")
        if self.label is None and self.interest is None and not self.unsure and not self.note.strip():
            raise UserError("an empty label: give a class, an interest score, a note or 'unsure'")

    def row(self, created_utc: float) -> tuple:
        """The values of the ``labels`` table's columns ``_WRITTEN`` for this label."""
        return (
            self.dataset,
            self.object_id,
            self.annotator,
            self.session,
            self.label,
            self.interest,
            int(self.unsure),
            self.note,
            self.dataset_version,
            self.model_version,
            created_utc,
        )


_WRITTEN = (
    "dataset",
    "object_id",
    "annotator",
    "session",
    "label",
    "interest",
    "unsure",
    "note",
    "dataset_version",
    "model_version",
    "created_utc",
)


def manifest_versions(manifest: dict) -> dict[str, str]:
    """The ``dataset_version`` and ``model_version`` a Label records, from an artifact set's manifest (the
    inputs its embeddings were computed from); empty strings where the manifest does not say."""
    inputs = manifest.get("stages", {}).get("embeddings", {}).get("inputs", {})
    return {"dataset_version": str(inputs.get("dataset", "")), "model_version": str(inputs.get("model", ""))}


LABEL_TEXT_COLUMNS = ("object_id", "label", "note")  # text in a label table (``export.read_table``'s text_columns)


def labels_from_table(
    table: pd.DataFrame, dataset: str, known_ids: set[str], annotator: str, session: str, max_rows: int | None = None
) -> list[Label]:
    """Labels of an imported table with an ``object_id`` column and any of ``label``, ``interest`` (0-5),
    ``note``; a UserError names the first problem (missing column, unknown object, a value of the wrong type,
    too long or out of range) so nothing of a faulty file is stored. Whole numbers are text where text is
    expected (a class named 3); bytes, booleans and fractions are not. More than ``max_rows`` rows are refused
    whole."""
    if max_rows is not None and len(table) > max_rows:
        raise UserError(f"the table has {len(table):,} rows; an import here takes at most {max_rows:,}")
    if "object_id" not in table.columns:
        raise UserError("a label table needs an object_id column (and any of label, interest, note)")
    if not {"label", "interest", "note"} & set(table.columns):
        raise UserError("a label table needs at least one of the columns label, interest, note")
    ids = _text_cells(table, "object_id")
    missing = [i for i, object_id in enumerate(ids) if object_id is None]
    if missing:
        raise UserError(f"row {missing[0] + 1} has no object_id")
    unknown = sorted({str(object_id) for object_id in ids} - known_ids)  # no None left: checked above
    if unknown:
        raise UserError(f"{len(unknown)} object ids are not in {dataset}, e.g. {unknown[0]!r}")
    classes, notes, scores = _text_cells(table, "label"), _text_cells(table, "note"), _interest_cells(table)
    labels = []
    for i, object_id in enumerate(ids):
        label = Label(
            dataset, str(object_id), annotator, session, label=classes[i], interest=scores[i], note=notes[i] or ""
        )
        try:
            label.check()
        except UserError as err:
            raise UserError(f"row {i + 1} ({object_id}): {err}") from None
        labels.append(label)
    return labels


def _missing(value: object) -> bool:
    """Whether a table cell holds no value (None, NaN or pandas' NA)."""
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _text_cells(table: pd.DataFrame, column: str) -> list[str | None]:
    """The cells of ``column`` as text (None where missing or where there is no such column); whole numbers
    become their digits; a UserError names the first cell of another type (bytes, a boolean, a fraction)."""
    if column not in table.columns:
        return [None] * len(table)
    cells: list[str | None] = []
    for i, value in enumerate(table[column].tolist()):
        if _missing(value):
            cells.append(None)
        elif isinstance(value, str):
            cells.append(value)
        elif isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
            cells.append(str(int(value)))
        elif isinstance(value, float) and value.is_integer():
            cells.append(str(int(value)))
        else:
            shown = repr(value)[:40]
            raise UserError(f"row {i + 1}: {column} must be text, got {type(value).__name__} {shown}")
    return cells


def _interest_cells(table: pd.DataFrame) -> list[int | None]:
    """The ``interest`` column as integers 0-5 (None where missing); a UserError names the first cell that is
    not a whole number (booleans and text included)."""
    if "interest" not in table.columns:
        return [None] * len(table)
    cells: list[int | None] = []
    for i, value in enumerate(table["interest"].tolist()):
        if _missing(value):
            cells.append(None)
        elif (
            isinstance(value, int | np.integer | float)
            and not isinstance(value, bool | np.bool_)
            and float(value).is_integer()
        ):
            cells.append(int(value))
        else:
            raise UserError(f"row {i + 1}: interest must be an integer from 0 to 5, got {repr(value)[:40]}")
    return cells


def _in_order(frame: pd.DataFrame, keys: list[str]) -> bool:
    """Whether ``frame`` is already sorted by ``keys`` (one or two columns): a table scan along its primary key
    usually is, and checking costs a fraction of sorting."""
    if len(frame) < 2 or not keys:
        return True
    first = frame[keys[0]].to_numpy(dtype=object)
    ahead = first[:-1] < first[1:]
    if len(keys) == 1:
        return bool(ahead.all())
    second = frame[keys[1]].to_numpy(dtype=object)
    return bool((ahead | ((first[:-1] == first[1:]) & (second[:-1] <= second[1:]))).all())


class LabelDB:
    """The label database at ``path`` (WAL mode), made by its first label: reading a database that does not
    exist yet answers with no labels and makes no file. Opening a database of an older schema migrates it."""

    IMPORT_BATCH = 10_000  # labels written per statement by ``add_many`` (the progress callback's step)

    def __init__(self, path: Path, max_bytes: int | None = None):
        self.path = Path(path)
        self.max_bytes = max_bytes  # refuse writes once the database holds more [bytes] (public mode)

    def add(self, label: Label) -> int:
        """Store ``label`` (checked first); returns its id."""
        return self.add_many([label])[0]

    def add_many(self, labels: list[Label], progress: Callable[[int, int], None] | None = None) -> list[int]:
        """Store ``labels`` in one transaction, all or none (each checked first); returns their ids.
        ``progress(done, total)`` is called after each batch of IMPORT_BATCH labels."""
        for label in labels:
            label.check()
        now = time.time()
        insert = f"INSERT INTO labels ({', '.join(_WRITTEN)}) VALUES ({', '.join('?' * len(_WRITTEN))})"
        with sqlite_wal.transaction(self.path, SCHEMA, self.max_bytes) as db:
            before = db.execute("SELECT COALESCE(MAX(id), 0) FROM labels").fetchone()[0]
            for start in range(0, len(labels), self.IMPORT_BATCH):
                batch = labels[start : start + self.IMPORT_BATCH]
                db.executemany(insert, (label.row(now) for label in batch))
                if progress is not None:
                    progress(start + len(batch), len(labels))
            # the write lock is ours: every row after ``before`` is one of these labels, in order
            db.execute(_STANDS.format("id > ? ORDER BY id"), (before,))
            return [int(r[0]) for r in db.execute("SELECT id FROM labels WHERE id > ? ORDER BY id", (before,))]

    def undo(self, annotator: str, session: str) -> int | None:
        """Retract the annotator's last standing label of ``session``; returns its id (None if nothing to undo).
        The retracted label stays in the history; the label it had replaced stands again."""
        if not self.path.exists():
            return None
        with sqlite_wal.transaction(self.path, SCHEMA, self.max_bytes) as db:
            found = db.execute(
                "SELECT id, dataset, object_id FROM labels l WHERE annotator = ? AND session = ? AND retracts IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM labels r WHERE r.retracts = l.id) ORDER BY id DESC LIMIT 1",
                (annotator, session),
            ).fetchone()
            if found is None:
                return None
            label_id, dataset, object_id = found
            db.execute(
                "INSERT INTO labels (dataset, object_id, annotator, session, retracts, created_utc)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (dataset, object_id, annotator, session, label_id, time.time()),
            )
            previous = db.execute(
                "SELECT MAX(id) FROM labels l WHERE dataset = ? AND object_id = ? AND annotator = ?"
                " AND retracts IS NULL AND NOT EXISTS (SELECT 1 FROM labels r WHERE r.retracts = l.id)",
                (dataset, object_id, annotator),
            ).fetchone()[0]
            key = (dataset, object_id, annotator)
            if previous is None:
                db.execute("DELETE FROM standing WHERE dataset = ? AND object_id = ? AND annotator = ?", key)
            else:
                db.execute(_STANDS.format("id = ?"), (previous,))
            return int(label_id)

    def history(self, dataset: str, object_id: str | None = None) -> pd.DataFrame:
        """Every row ever written for ``dataset`` (or one object), oldest first, retractions included."""
        query, args = "SELECT * FROM labels WHERE dataset = ?", [dataset]
        if object_id is not None:
            query, args = query + " AND object_id = ?", args + [object_id]
        return self._frame(query + " ORDER BY id", args)

    def latest(
        self,
        dataset: str,
        annotator: str | None = None,
        object_id: str | None = None,
        columns: tuple[str, ...] = COLUMNS,
    ) -> pd.DataFrame:
        """The standing (latest, not retracted) label of each object by each annotator, one row per pair,
        ordered by object and annotator, with ``columns`` (of COLUMNS); only one annotator's with
        ``annotator``, only one object's with ``object_id``."""
        unknown = set(columns) - set(COLUMNS)
        if unknown:
            raise ValueError(f"no label column {sorted(unknown)[0]!r}: one of {', '.join(COLUMNS)}")
        where, args = "dataset = ?", [dataset]
        for name, value in (("annotator", annotator), ("object_id", object_id)):
            if value is not None:
                where, args = where + f" AND {name} = ?", args + [value]
        fetched = [c for c in columns if c != "dataset"]  # the one asked for: not read 10^5 times
        frame = sqlite_wal.read_columns(
            self.path, SCHEMA, fetched, f"standing WHERE {where}", args, _NUMBERS, {"created_utc": _MICROSECONDS}
        )
        if "created_utc" in frame:
            frame["created_utc"] /= 1e6
        if "dataset" in columns:
            frame.insert(columns.index("dataset"), "dataset", np.full(len(frame), dataset, dtype=object))
        keys = [c for c in ("object_id", "annotator") if c in frame.columns]
        return frame if _in_order(frame, keys) else frame.sort_values(keys, kind="stable", ignore_index=True)

    def counts(self, dataset: str) -> tuple[int, int]:
        """(standing labels, annotators who gave them) in ``dataset``."""
        frame = self._frame(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT annotator) AS a FROM standing WHERE dataset = ?", [dataset]
        )
        return int(frame.at[0, "n"]), int(frame.at[0, "a"])

    def _frame(self, query: str, args: list) -> pd.DataFrame:
        return sqlite_wal.read_frame(self.path, SCHEMA, query, args)
