"""Labels at scale: a label database of 10^6 labels on 10^5 objects by 3 annotators, 5 % of them retracted,
timed as a labeling session meets it (the ``labels`` part of ``astrodisc bench``).

The history is written straight into a database of schema version 1 (the history alone, as databases made
before the ``standing`` table were), so opening it runs the real migration (``migration_s``). Then, 20 times,
one new label is written through ``LabelDB.add`` and right after it are timed:

- ``latest_s``: the full ``LabelDB.latest`` of the dataset (every standing label, all columns);
- ``next_object_s``: what the Label page computes for its next object (``label_queue.next_object``) in the
  default order, the anomaly score learning from the annotator's interest scores, with the interest field kept
  between labels as the app keeps it (``queue_cold_s``: its first computation, once per server and annotator);
- ``export_s``: the full latest labels as CSV bytes (``export.table_bytes``), what the export button sends;

each as p50 / p95 / max [s]. ``import_s``: a CSV of 261,111 labels read, checked and written into the same
database in one transaction (``export.read_table``, ``labels_from_table``, ``LabelDB.add_many``);
``backup_s``: ``label_backup.backup`` of the whole database.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc.base import sqlite_wal
from astrodisc.base.tables import read_table, table_bytes
from astrodisc.discover.active_learning import HuntFeatures, InterestModel
from astrodisc.discover.label_queue import LEARNING, catalogue_index, next_object
from astrodisc.labels import backup as label_backup
from astrodisc.labels.database import LABEL_TEXT_COLUMNS, SCHEMA, Label, LabelDB, labels_from_table

DATASET = "bench-labels"
CLASSES = ("EW", "SR", "EA", "RRAB", "EB", "ROT", "RRC", "HADS", "M", "DSCT")
ANNOTATORS = ("ana", "ben", "cai")


def object_ids(n_objects: int) -> np.ndarray:
    """(n,) the bench's object ids, ``OBJ-0000000`` ..."""
    return np.char.add("OBJ-", np.char.zfill(np.arange(n_objects).astype(str), 7))


def write_history(path: Path, n_objects: int, n_labels: int, retracted: float, seed: int = 0) -> None:
    """A label database of schema version 1 at ``path``: ``n_labels`` labels on random objects by the
    ANNOTATORS (a class each, an interest score 0-5 on 30 %, a note on 10 %), then retraction rows for a
    random ``retracted`` fraction of them."""
    rng = np.random.default_rng(seed)
    ids = object_ids(n_objects)
    objects = ids[rng.integers(0, n_objects, n_labels)]
    annotators = np.asarray(ANNOTATORS)[rng.integers(0, len(ANNOTATORS), n_labels)]
    classes = np.asarray(CLASSES)[rng.integers(0, len(CLASSES), n_labels)]
    interest = np.where(rng.random(n_labels) < 0.3, rng.integers(0, 6, n_labels), -1)
    notes = np.where(rng.random(n_labels) < 0.1, "looks odd", "")
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("BEGIN")
        db.execute(sqlite_wal.VERSIONS_TABLE)
        for statement in SCHEMA.migrations[0].split(";"):
            db.execute(statement)
        db.execute("INSERT INTO schema_versions VALUES (?, 1)", (SCHEMA.component,))
        db.executemany(
            "INSERT INTO labels (dataset, object_id, annotator, session, label, interest, note, created_utc)"
            " VALUES (?, ?, ?, 'bench', ?, ?, ?, ?)",
            (
                (DATASET, o, a, c, None if i < 0 else int(i), n, float(t))
                for t, (o, a, c, i, n) in enumerate(zip(objects, annotators, classes, interest, notes, strict=True))
            ),
        )
        undone = np.sort(rng.choice(n_labels, int(retracted * n_labels), replace=False)) + 1  # ids start at 1
        db.executemany(
            "INSERT INTO labels (dataset, object_id, annotator, session, retracts, created_utc)"
            " VALUES (?, ?, ?, 'bench', ?, ?)",
            ((DATASET, objects[i - 1], annotators[i - 1], int(i), float(n_labels + k)) for k, i in enumerate(undone)),
        )
        db.execute("COMMIT")
    finally:
        db.close()


def _summary(seconds: list[float]) -> dict[str, float]:
    return {
        "p50": round(float(np.percentile(seconds, 50)), 4),
        "p95": round(float(np.percentile(seconds, 95)), 4),
        "max": round(float(np.max(seconds)), 4),
    }


def _timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def import_table(n_rows: int, n_objects: int, seed: int = 1) -> bytes:
    """CSV bytes of ``n_rows`` labels (object_id, label, interest, note) on the bench's objects."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "object_id": object_ids(n_objects)[rng.integers(0, n_objects, n_rows)],
            "label": np.asarray(CLASSES)[rng.integers(0, len(CLASSES), n_rows)],
            "interest": rng.integers(0, 6, n_rows),
            "note": "imported",
        }
    )
    return table.to_csv(index=False).encode()


def label_figures(
    n_objects: int = 100_000,
    n_labels: int = 1_000_000,
    retracted: float = 0.05,
    repeats: int = 20,
    import_rows: int = 261_111,
    dim: int = 32,
    seed: int = 0,
    workdir: Path | None = None,
) -> dict:
    """The figures of the module docstring, as a JSON-ready dict."""
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        path = Path(scratch) / "labels.sqlite"
        start = time.perf_counter()
        write_history(path, n_objects, n_labels, retracted, seed)
        written_s = time.perf_counter() - start
        db = LabelDB(path)
        migration_s = _timed(lambda: sqlite_wal.create(path, SCHEMA))
        rng = np.random.default_rng(seed + 1)
        embedding = rng.normal(size=(n_objects, dim)).astype(np.float32)
        embedding /= np.linalg.norm(embedding, axis=1, keepdims=True)
        catalog = pd.DataFrame({"object_id": object_ids(n_objects), "anomaly_score": rng.random(n_objects)})
        model = InterestModel(HuntFeatures.of({"embedding": embedding}))
        index = catalogue_index(catalog["object_id"])  # what the app keeps
        queue_cold_s = _timed(lambda: next_object(db, DATASET, "ana", catalog, LEARNING, model=model, index=index))
        times: dict[str, list[float]] = {"latest_s": [], "next_object_s": [], "export_s": []}
        for k in range(repeats):
            step = next_object(db, DATASET, "ana", catalog, LEARNING, model=model, index=index)
            object_id = (
                str(catalog.at[step.row, "object_id"]) if step.row is not None else str(catalog.at[k, "object_id"])
            )
            db.add(Label(DATASET, object_id, "ana", "bench-session", label=CLASSES[k % len(CLASSES)], interest=k % 6))
            times["latest_s"].append(_timed(lambda: db.latest(DATASET)))
            times["next_object_s"].append(
                _timed(lambda: next_object(db, DATASET, "ana", catalog, LEARNING, model=model, index=index))
            )
            times["export_s"].append(_timed(lambda: table_bytes(db.latest(DATASET), ".csv")))
        standing, annotators = db.counts(DATASET)
        data = import_table(import_rows, n_objects)
        known = set(catalog["object_id"])
        start = time.perf_counter()
        table = read_table(data, "import.csv", max_bytes=None, text_columns=LABEL_TEXT_COLUMNS)
        labels = labels_from_table(table, DATASET, known, "dee", "bench-import")
        checked_s = time.perf_counter() - start
        db.add_many(labels)
        import_s = time.perf_counter() - start
        backup_s = _timed(lambda: label_backup.backup(path, Path(scratch) / "backup.sqlite"))
        history_rows = len(db.history(DATASET))
    return {
        "objects": n_objects,
        "labels": n_labels,
        "retracted": retracted,
        "annotators": len(ANNOTATORS),
        "standing_labels": standing,
        "standing_annotators": annotators,
        "history_rows_at_end": history_rows,
        "history_written_s": round(written_s, 1),
        "migration_s": round(migration_s, 2),
        "queue_cold_s": round(queue_cold_s, 2),
        "repeats": repeats,
        **{name: _summary(values) for name, values in times.items()},
        "import_rows": import_rows,
        "import_checked_s": round(checked_s, 2),
        "import_s": round(import_s, 2),
        "backup_s": round(backup_s, 2),
    }
