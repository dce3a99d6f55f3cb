"""Labels people give objects, in a SQLite database that keeps every label ever given.

One append-only table: a row per act of labelling (a class, an interest score 0-5, a note, or "unsure"),
keyed by dataset and object id — never by row number — so labels survive rebuilds, new models and reordered
catalogues. Undo appends a row that retracts an earlier one; nothing is updated or deleted. Views read the
latest standing label per object and annotator.

WAL mode and a busy timeout let several app sessions (and processes) write at once; each label is one
transaction, so a crash loses at most the label being written. Example::

    db = LabelDB(data_dir() / "labels.sqlite")
    db.add(Label("varstars-demo", "SIMV-42-0000613", "ana", "s1", label="M", interest=4))
    db.latest("varstars-demo")            # DataFrame: one row per (object, annotator)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc import sqlite_wal
from astrodisc.errors import UserError

INTEREST_SCORES = range(0, 6)  # 0 = nothing to see ... 5 = drop everything
_SCHEMA = """
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
CREATE INDEX IF NOT EXISTS labels_by_session ON labels (annotator, session);
"""
COLUMNS: tuple[str, ...] = ("id", "dataset", "object_id", "annotator", "session", "label", "interest", "unsure",
                            "note", "dataset_version", "model_version", "created_utc")


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
        """A UserError naming what is wrong with this label, if anything."""
        for name in ("dataset", "object_id", "annotator", "session"):
            if not str(getattr(self, name)).strip():
                raise UserError(f"a label needs a {name.replace('_', ' ')}")
        if self.interest is not None and self.interest not in INTEREST_SCORES:
            raise UserError(f"interest must be an integer from 0 to 5, got {self.interest!r}")
        if self.label is None and self.interest is None and not self.unsure and not self.note.strip():
            raise UserError("an empty label: give a class, an interest score, a note or 'unsure'")


def manifest_versions(manifest: dict) -> dict[str, str]:
    """The ``dataset_version`` and ``model_version`` a Label records, from an artifact set's manifest (the
    inputs its embeddings were computed from); empty strings where the manifest does not say."""
    inputs = manifest.get("stages", {}).get("embeddings", {}).get("inputs", {})
    return {"dataset_version": str(inputs.get("dataset", "")), "model_version": str(inputs.get("model", ""))}


def labels_from_table(table: pd.DataFrame, dataset: str, known_ids: set[str], annotator: str,
                      session: str) -> list[Label]:
    """Labels of an imported table with an ``object_id`` column and any of ``label``, ``interest`` (0-5),
    ``note``; a UserError names the first problem (missing column, unknown object, bad score) so nothing of a
    faulty file is stored."""
    if "object_id" not in table.columns:
        raise UserError("a label table needs an object_id column (and any of label, interest, note)")
    if not {"label", "interest", "note"} & set(table.columns):
        raise UserError("a label table needs at least one of the columns label, interest, note")
    if table["object_id"].isna().any():
        raise UserError(f"row {int(np.argmax(table['object_id'].isna().to_numpy())) + 1} has no object_id")
    ids = table["object_id"].astype(str)
    unknown = sorted(set(ids) - known_ids)
    if unknown:
        raise UserError(f"{len(unknown)} object ids are not in {dataset}, e.g. {unknown[0]!r}")
    labels = []
    for i, object_id in enumerate(ids):
        def value(column: str):
            return table[column].iloc[i] if column in table.columns and pd.notna(table[column].iloc[i]) else None

        interest = value("interest")
        score = pd.to_numeric(pd.Series([interest]), errors="coerce").iloc[0] if interest is not None else None
        if score is not None and not (np.isfinite(score) and float(score) == int(score)):
            raise UserError(f"row {i + 1}: interest must be an integer from 0 to 5, got {interest!r}")
        label = Label(dataset, object_id, annotator, session, label=None if value("label") is None else str(value("label")),
                      interest=None if score is None else int(score), note=str(value("note") or ""))
        try:
            label.check()
        except UserError as err:
            raise UserError(f"row {i + 1} ({object_id}): {err}") from None
        labels.append(label)
    return labels


class LabelDB:
    """The label database at ``path`` (created on first use, WAL mode)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        sqlite_wal.create(self.path, _SCHEMA, "labels")

    def add(self, label: Label) -> int:
        """Store ``label`` (checked first); returns its id."""
        return self.add_many([label])[0]

    def add_many(self, labels: list[Label]) -> list[int]:
        """Store ``labels`` in one transaction, all or none (each checked first); returns their ids."""
        for label in labels:
            label.check()
        now = time.time()
        ids = []
        with sqlite_wal.transaction(self.path) as db:
            for label in labels:
                row = {**asdict(label), "unsure": int(label.unsure), "created_utc": now}
                cursor = db.execute(f"INSERT INTO labels ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                                    tuple(row.values()))
                ids.append(int(cursor.lastrowid))
        return ids

    def undo(self, annotator: str, session: str) -> int | None:
        """Retract the annotator's last standing label of ``session``; returns its id (None if nothing to undo).
        The retracted label stays in the history."""
        with sqlite_wal.transaction(self.path) as db:
            found = db.execute(
                "SELECT id, dataset, object_id FROM labels l WHERE annotator = ? AND session = ? AND retracts IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM labels r WHERE r.retracts = l.id) ORDER BY id DESC LIMIT 1",
                (annotator, session)).fetchone()
            if found is None:
                return None
            db.execute("INSERT INTO labels (dataset, object_id, annotator, session, retracts, created_utc)"
                       " VALUES (?, ?, ?, ?, ?, ?)", (found[1], found[2], annotator, session, found[0], time.time()))
            return int(found[0])

    def history(self, dataset: str, object_id: str | None = None) -> pd.DataFrame:
        """Every row ever written for ``dataset`` (or one object), oldest first, retractions included."""
        query, args = "SELECT * FROM labels WHERE dataset = ?", [dataset]
        if object_id is not None:
            query, args = query + " AND object_id = ?", args + [object_id]
        return self._frame(query + " ORDER BY id", args)

    def latest(self, dataset: str, annotator: str | None = None) -> pd.DataFrame:
        """The standing (latest, not retracted) label of each object by each annotator, one row per pair, with
        the COLUMNS; only one annotator's with ``annotator``."""
        query = (f"SELECT {', '.join('l.' + c for c in COLUMNS)} FROM labels l WHERE l.dataset = ?"
                 " AND l.retracts IS NULL AND NOT EXISTS (SELECT 1 FROM labels r WHERE r.retracts = l.id)"
                 " AND l.id = (SELECT MAX(m.id) FROM labels m WHERE m.dataset = l.dataset"
                 " AND m.object_id = l.object_id AND m.annotator = l.annotator AND m.retracts IS NULL"
                 " AND NOT EXISTS (SELECT 1 FROM labels r2 WHERE r2.retracts = m.id))")
        args: list = [dataset]
        if annotator is not None:
            query, args = query + " AND l.annotator = ?", args + [annotator]
        return self._frame(query + " ORDER BY l.object_id, l.annotator", args)

    def _frame(self, query: str, args: list) -> pd.DataFrame:
        return sqlite_wal.read_frame(self.path, query, args)
