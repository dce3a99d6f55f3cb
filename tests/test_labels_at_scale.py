"""The label database as it grows: the standing table always equals what the history says, an old database
migrates to it, reads make no file, backups restore exactly, imports are typed and capped, CSV exports are
inert and read back to the labels written, and the Label page's next object is the naive queue's."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from astrodisc.base import sqlite_wal
from astrodisc.base.tables import read_table, table_bytes
from astrodisc.cli import main
from astrodisc.discover.active_learning import HuntFeatures, InterestModel
from astrodisc.discover.label_queue import (
    LEARNING,
    LENS_CANDIDATES,
    QUEUE_ORDERS,
    next_object,
    next_row,
    queue_orders,
    queue_rows,
)
from astrodisc.errors import UserError
from astrodisc.labels.database import COLUMNS, LABEL_TEXT_COLUMNS, SCHEMA, Label, LabelDB, labels_from_table
from astrodisc.labels.subsets import Subset, SubsetDB
from astrodisc.ops.bench_labels import DATASET, object_ids, write_history

HOSTILE = (
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("https://evil.example","x")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "'=already",
    "[login](https://evil.example/login) ![p](https://evil.example/p.png)",
    "007",
    "1.5",
    "NA",
    "None",
    "ñame ☄",
    "M",
)


def standing_from_history(history: pd.DataFrame) -> pd.DataFrame:
    """The standing labels as the history defines them, computed the slow, obvious way."""
    retracted = set(history["retracts"].dropna().astype(int))
    alive = history[history["retracts"].isna() & ~history["id"].isin(retracted)]
    last = alive.sort_values("id").groupby(["object_id", "annotator"]).tail(1)
    return last.sort_values(["object_id", "annotator"])[list(COLUMNS)].reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True).astype(object).where(a.notna().to_numpy(), None),
        b.reset_index(drop=True).astype(object).where(b.notna().to_numpy(), None),
        check_dtype=False,
    )


def test_the_standing_labels_are_what_the_history_says_through_adds_imports_and_undos(tmp_path):
    db = LabelDB(tmp_path / "labels.sqlite")
    rng = np.random.default_rng(3)
    objects, people = [f"O{i}" for i in range(12)], ["ana", "ben", "cai"]
    for step in range(300):
        who = people[rng.integers(3)]
        kind = rng.random()
        if kind < 0.5:
            db.add(
                Label(
                    "sky",
                    objects[rng.integers(12)],
                    who,
                    f"s{who}",
                    label=f"c{rng.integers(4)}",
                    interest=int(rng.integers(6)) if rng.random() < 0.5 else None,
                )
            )
        elif kind < 0.65:
            db.add_many(
                [
                    Label("sky", objects[rng.integers(12)], who, f"s{who}", note=f"n{step}-{k}")
                    for k in range(int(rng.integers(1, 5)))
                ]
            )
        else:
            db.undo(who, f"s{who}")
    history = db.history("sky")
    assert history["retracts"].notna().sum() > 50  # the walk undid plenty
    _same(db.latest("sky"), standing_from_history(history))
    _same(db.latest("sky", "ben"), standing_from_history(history[history["annotator"] == "ben"]))
    _same(db.latest("sky", object_id="O3"), standing_from_history(history[history["object_id"] == "O3"]))
    assert db.counts("sky") == (len(standing_from_history(history)), 3)


def test_a_database_of_the_first_schema_migrates_once_and_keeps_its_history(tmp_path):
    """A database as astrodisc wrote it before the standing table (no schema_versions table at all)."""
    path = tmp_path / "labels.sqlite"
    old = sqlite3.connect(path)
    old.execute("PRAGMA journal_mode=WAL")
    old.executescript(SCHEMA.migrations[0])
    rows = [
        ("sky", "G1", "ana", "s1", "spiral", 2, None),
        ("sky", "G1", "ana", "s1", "merger", None, None),
        ("sky", "G2", "ben", "s2", "ring", 5, None),
        ("sky", "G1", "ana", "s1", None, None, 2),
    ]  # undo "merger"
    old.executemany(
        "INSERT INTO labels (dataset, object_id, annotator, session, label, interest, retracts,"
        " created_utc) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
        rows,
    )
    old.commit()
    history_before = old.execute("SELECT * FROM labels ORDER BY id").fetchall()
    old.close()

    db = LabelDB(path)
    latest = db.latest("sky")
    assert latest[["object_id", "annotator", "label"]].values.tolist() == [
        ["G1", "ana", "spiral"],
        ["G2", "ben", "ring"],
    ]
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT * FROM labels ORDER BY id").fetchall() == history_before
        assert raw.execute("SELECT version FROM schema_versions WHERE component = 'labels'").fetchone() == (2,)
    db.add(Label("sky", "G2", "ben", "s2", label="lens"))  # the migrated database takes new labels as ever
    assert db.latest("sky", "ben")["label"].tolist() == ["lens"]


def test_a_database_of_a_newer_schema_is_refused_untouched(tmp_path):
    path = tmp_path / "labels.sqlite"
    LabelDB(path).add(Label("sky", "G1", "ana", "s1", label="spiral"))
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE schema_versions SET version = 99 WHERE component = 'labels'")
    sqlite_wal._current.clear()  # as a new process would see it
    before = path.read_bytes()
    with pytest.raises(UserError, match="schema version 99.*update astrodisc"):
        LabelDB(path).latest("sky")
    assert path.read_bytes() == before


def test_reading_makes_no_database_and_a_write_makes_it(tmp_path):
    path = tmp_path / "session" / "labels.sqlite"
    labels, subsets = LabelDB(path), SubsetDB(path)
    assert labels.latest("sky").empty and labels.history("sky").empty and labels.counts("sky") == (0, 0)
    assert list(labels.latest("sky").columns) == list(COLUMNS)
    assert subsets.names("sky") == [] and labels.undo("ana", "s1") is None
    assert not (tmp_path / "session").exists()  # a visit that only looks leaves nothing
    subsets.save(Subset("sky", "rings", view={"colour": "label"}))
    assert path.is_file() and subsets.names("sky") == ["rings"] and labels.latest("sky").empty


def test_a_database_over_its_size_limit_takes_nothing_more(tmp_path):
    path = tmp_path / "labels.sqlite"
    LabelDB(path).add(Label("sky", "G1", "ana", "s1", label="spiral"))
    limited = LabelDB(path, max_bytes=1_000)
    with pytest.raises(UserError, match="the most it may hold here is"):
        limited.add(Label("sky", "G2", "ana", "s1", label="ring"))
    with pytest.raises(UserError, match="the most it may hold here is"):
        SubsetDB(path, max_bytes=1_000).save(Subset("sky", "rings"))
    assert LabelDB(path).latest("sky")["object_id"].tolist() == ["G1"]


def test_backup_while_writing_and_restore_give_back_exactly_the_labels_backed_up(tmp_path):
    path, copy = tmp_path / "labels.sqlite", tmp_path / "backup.sqlite"
    db = LabelDB(path)
    db.add_many([Label("sky", f"G{i}", "ana", "s1", label="spiral", note=HOSTILE[i % len(HOSTILE)]) for i in range(50)])
    writer = sqlite3.connect(path)  # another session in the middle of a write: the backup copies the last commit
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO labels (dataset, object_id, annotator, session, label, created_utc)"
        " VALUES ('sky', 'G999', 'zed', 's', 'x', 0)"
    )
    assert main(["labels", "backup", str(copy), "--db", str(path)]) == 0
    writer.rollback()
    writer.close()
    backed_up = db.latest("sky")
    assert len(backed_up) == 50 and "G999" not in set(backed_up["object_id"])

    db.add(Label("sky", "G1", "ben", "s2", label="ring"))
    db.undo("ana", "s1")
    assert main(["labels", "restore", str(copy), "--db", str(path)]) == 0
    _same(LabelDB(path).latest("sky"), backed_up)
    (kept,) = tmp_path.glob("labels.before-restore-*.sqlite")
    assert LabelDB(kept).latest("sky", "ben")["label"].tolist() == ["ring"]  # nothing of the replaced one lost
    assert main(["labels", "backup", str(copy), "--db", str(path)]) == 2  # an existing backup is not replaced


def test_a_restore_from_a_file_that_is_no_label_database_changes_nothing(tmp_path, capsys):
    path = tmp_path / "labels.sqlite"
    LabelDB(path).add(Label("sky", "G1", "ana", "s1", label="spiral"))
    (tmp_path / "text.sqlite").write_bytes(b"just some text\n" * 100)
    (tmp_path / "empty.sqlite").write_bytes(b"")
    with sqlite3.connect(tmp_path / "other.sqlite") as other:
        other.execute("CREATE TABLE t (x)")
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for name, words in (
        ("text.sqlite", "not a label database"),
        ("empty.sqlite", "holds no labels"),
        ("other.sqlite", "holds no labels"),
        ("missing.sqlite", "no backup at"),
    ):
        assert main(["labels", "restore", str(tmp_path / name), "--db", str(path)]) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files


@pytest.mark.parametrize(
    "column, values, words",
    [
        ("label", [b"\xff\xfe"], "label must be text, got bytes"),
        ("label", [True], "label must be text, got bool"),
        ("interest", [True], "interest must be an integer from 0 to 5, got True"),
        ("interest", ["high"], "interest must be an integer"),
        ("interest", [2.5], "interest must be an integer"),
        ("note", ["x" * 2_001], "note has at most 2,000 characters"),
        ("label", ["c" * 101], "label has at most 100 characters"),
    ],
)
def test_label_imports_are_checked_by_type_and_length(column, values, words):
    table = pd.DataFrame({"object_id": ["G1"], column: pd.Series(values, dtype=object)})
    with pytest.raises(UserError, match=words):
        labels_from_table(table, "sky", {"G1"}, "ana", "s1")


def test_an_import_above_the_row_cap_is_refused_whole():
    table = pd.DataFrame({"object_id": ["G1"] * 11, "label": "spiral"})
    with pytest.raises(UserError, match="11 rows; an import here takes at most 10"):
        labels_from_table(table, "sky", {"G1"}, "ana", "s1", max_rows=10)
    assert len(labels_from_table(table, "sky", {"G1"}, "ana", "s1", max_rows=11)) == 11


def test_a_csv_export_is_inert_in_a_spreadsheet_and_reads_back_to_the_labels_written(tmp_path):
    db, again = LabelDB(tmp_path / "labels.sqlite"), LabelDB(tmp_path / "again.sqlite")
    written = [
        Label("sky", f"G{i}", "ana", "s1", label=text, note=HOSTILE[-1 - i], interest=i % 6)
        for i, text in enumerate(HOSTILE)
    ]
    db.add_many(written)
    exported = db.latest("sky").assign(dec=-12.5)  # a negative number stays a number
    data = table_bytes(exported, ".csv")
    cells = [line.split(",") for line in data.decode().splitlines()]
    assert all(
        not cell.lstrip('"').startswith(("=", "+", "-", "@", "\t", "\r"))
        for row in cells
        for cell in row
        if not cell.lstrip("-").replace(".", "").isdigit()
    )
    assert "-12.5" in data.decode()
    table = read_table(data, "labels.csv", text_columns=LABEL_TEXT_COLUMNS)
    again.add_many(labels_from_table(table, "sky", {f"G{i}" for i in range(len(HOSTILE))}, "ana", "s1"))
    columns = ["object_id", "label", "interest", "note"]
    _same(again.latest("sky")[columns], db.latest("sky")[columns])


@pytest.mark.parametrize("order", QUEUE_ORDERS)
def test_the_next_object_is_the_first_of_the_queue_not_labelled_or_skipped(tmp_path, order):
    path = tmp_path / "labels.sqlite"
    write_history(path, n_objects=300, n_labels=600, retracted=0.05)
    db = LabelDB(path)
    rng = np.random.default_rng(1)
    embedding = rng.normal(size=(300, 8)).astype(np.float32)
    embedding /= np.linalg.norm(embedding, axis=1, keepdims=True)
    catalog = pd.DataFrame(
        {"object_id": object_ids(300), "anomaly_score": rng.random(300), "pred_prob": rng.random(300)}
    )
    skipped = [str(catalog.at[r, "object_id"]) for r in (5, 17)]
    features = HuntFeatures.of({"embedding": embedding})
    model = InterestModel(features)
    for _ in range(3):  # the kept model and a new label each time
        step = next_object(db, DATASET, "ana", catalog, order, features, skipped, model=model)
        mine = db.latest(DATASET, "ana")
        queue = queue_rows(catalog, order, features, mine)
        passed = set(mine["object_id"]) | set(skipped)
        naive = next(r for r in queue if catalog.at[r, "object_id"] not in passed)
        assert step.row == naive and step.done == len(mine) and step.queued == 300
        assert next_row(queue, catalog["object_id"], set(mine["object_id"]), skipped) == naive
        db.add(Label(DATASET, str(catalog.at[naive, "object_id"]), "ana", "s", label="M", interest=5))
    assert order != LEARNING or model.scores  # the learning order did learn


def test_a_galaxy_build_offers_its_lens_candidates_highest_lens_score_first():
    rng = np.random.default_rng(2)
    catalog = pd.DataFrame({"object_id": object_ids(50), "anomaly_score": rng.random(50)})
    assert LENS_CANDIDATES not in queue_orders(catalog)  # no lens_score: not offered, and the anomaly order if asked
    assert queue_rows(catalog, LENS_CANDIDATES).tolist() == queue_rows(catalog, "anomaly score").tolist()
    catalog["lens_score"] = rng.random(50)
    assert queue_orders(catalog) == QUEUE_ORDERS
    queue = queue_rows(catalog, LENS_CANDIDATES)
    assert np.all(np.diff(catalog["lens_score"].to_numpy()[queue]) <= 0)


def test_a_label_table_saved_by_a_european_spreadsheet_is_named_in_the_message():
    data = b"object_id;label;interest\nG1;M;2,5\nG2;SR;3,0\n"
    with pytest.raises(UserError, match=r"^mine\.csv looks semicolon-separated with decimal commas"):
        read_table(data, "mine.csv", text_columns=LABEL_TEXT_COLUMNS)
