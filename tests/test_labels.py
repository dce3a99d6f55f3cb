"""The label database keeps every label, survives restarts and concurrent writers; agreement statistics."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from astrodisc.errors import UserError
from astrodisc.labels.agreement import agreement, fleiss_kappa
from astrodisc.labels.database import Label, LabelDB


def test_latest_label_stands_history_keeps_all_and_undo_restores_the_one_before(tmp_path):
    db = LabelDB(tmp_path / "labels.sqlite")
    db.add(Label("sky", "G1", "ana", "s1", label="spiral", interest=2))
    db.add(Label("sky", "G1", "ana", "s1", label="merger", interest=4, note="tidal tail"))
    db.add(Label("sky", "G1", "ben", "s9", label="spiral"))
    db.add(Label("sky", "G2", "ana", "s1", unsure=True))
    db.add(Label("other", "G1", "ana", "s2", label="elliptical"))  # another dataset: its own labels

    latest = db.latest("sky")
    assert latest[["object_id", "annotator"]].values.tolist() == [["G1", "ana"], ["G1", "ben"], ["G2", "ana"]]
    assert latest["label"].tolist()[:2] == ["merger", "spiral"] and pd.isna(latest.loc[2, "label"])
    assert latest.loc[0, "note"] == "tidal tail" and latest.loc[2, "unsure"] == 1

    assert db.undo("ana", "s1") is not None  # retracts G2's "unsure"
    assert db.undo("ana", "s1") is not None  # retracts "merger": "spiral" stands again
    mine = db.latest("sky", annotator="ana")
    assert mine[["object_id", "label", "interest"]].values.tolist() == [["G1", "spiral", 2]]
    history = db.history("sky", "G1")
    assert history["label"].tolist()[:3] == ["spiral", "merger", "spiral"] and len(history) == 4  # + retraction
    assert history["retracts"].notna().sum() == 1
    assert db.undo("ana", "s1") is not None and db.latest("sky", "ana").empty
    assert db.undo("ana", "s1") is None  # nothing left to undo
    assert db.latest("other")["label"].tolist() == ["elliptical"]  # another session, untouched


def test_labels_survive_a_restart(tmp_path):
    path = tmp_path / "labels.sqlite"
    LabelDB(path).add(Label("sky", "G7", "ana", "s1", label="irregular"))
    assert LabelDB(path).latest("sky")["label"].tolist() == ["irregular"]
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    "bad, words",
    [
        (Label("sky", "G1", "ana", "s1", interest=7), "interest must be an integer from 0 to 5"),
        (Label("sky", "G1", "ana", "s1"), "an empty label"),
        (Label("sky", "G1", " ", "s1", label="spiral"), "needs a annotator"),
    ],
)
def test_bad_labels_are_refused_and_nothing_is_written(tmp_path, bad, words):
    db = LabelDB(tmp_path / "labels.sqlite")
    with pytest.raises(UserError, match=words):
        db.add(bad)
    assert db.history("sky").empty


# A writer is a fresh interpreter, not a multiprocessing child: spawn re-runs the parent's __main__, which
# after an AppTest is the Streamlit script itself.
_WRITER = """
import sys
from astrodisc.labels.database import Label, LabelDB
path, annotator, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = LabelDB(path)
for i in range(n):
    db.add(Label("sky", f"G{i:04d}", annotator, "s1", label="spiral", interest=i % 6))
"""


def test_concurrent_writer_processes_lose_nothing(tmp_path):
    path = str(tmp_path / "labels.sqlite")
    LabelDB(path)
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, path, f"w{k}", "150"]) for k in range(4)]
    for w in writers:
        assert w.wait(timeout=120) == 0
    latest = LabelDB(path).latest("sky")
    assert len(latest) == 4 * 150
    assert latest.groupby("annotator").size().tolist() == [150] * 4
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_fleiss_kappa_of_the_textbook_example():
    # Fleiss (1971) as reproduced by Wikipedia: 10 subjects, 14 raters, 5 categories, kappa = 0.210
    table = np.array(
        [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ]
    )
    assert fleiss_kappa(table) == pytest.approx(0.2099, abs=1e-4)
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa(np.array([[1, 1], [2, 0], [1, 0]]))


def test_agreement_per_pair_and_across_three_annotators():
    objects = [f"G{i}" for i in range(6)]
    rows = []
    for annotator, classes, scores in (
        ("ana", "AABBCC", [0, 1, 2, 3, 4, 5]),
        ("ben", "AABBCC", [0, 1, 2, 3, 4, 4]),  # agrees on every class
        ("cy", "ABABCA", [5, 4, 3, 2, 1, 0]),
    ):
        for obj, c, s in zip(objects, classes, scores, strict=False):
            rows.append({"object_id": obj, "annotator": annotator, "label": c, "interest": s, "unsure": 0})
    rows.append({"object_id": "G9", "annotator": "ana", "label": None, "interest": None, "unsure": 1})
    result = agreement(pd.DataFrame(rows))
    pairs = {tuple(p["annotators"]): p for p in result["pairs"]}
    assert pairs[("ana", "ben")]["class_kappa"] == pytest.approx(1.0)
    assert pairs[("ana", "ben")]["class_objects"] == 6
    assert 0.8 < pairs[("ana", "ben")]["interest_kappa"] < 1.0  # off by one on one object
    assert pairs[("ana", "cy")]["interest_kappa"] < 0  # reversed scores
    assert pairs[("ana", "cy")]["class_kappa"] < pairs[("ana", "ben")]["class_kappa"]
    assert result["fleiss_objects"] == 6 and 0 < result["fleiss_kappa"] < 1


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".vot"])
def test_standing_labels_export_and_read_back(tmp_path, suffix):
    from astropy.table import Table

    from astrodisc.base.tables import export_table

    db = LabelDB(tmp_path / "labels.sqlite")
    db.add(Label("sky", "G1", "ana", "s1", label="spiral", interest=3, note="bar?"))
    db.add(Label("sky", "G2", "ana", "s1", interest=5))
    db.add(Label("other", "G5", "ana", "s1", interest=1))  # a table whose label column is all missing
    assert len(export_table(db.latest("other"), tmp_path / f"only-scores{suffix}").read_bytes()) > 0
    latest = db.latest("sky")
    path = export_table(latest, tmp_path / f"labels{suffix}")
    back = {
        ".csv": pd.read_csv,
        ".parquet": pd.read_parquet,
        ".vot": lambda p: Table.read(p, format="votable").to_pandas(),
    }[suffix](path)
    assert back["object_id"].astype(str).tolist() == ["G1", "G2"]
    assert back["interest"].tolist() == [3, 5] and str(back["label"][0]) == "spiral"
    assert str(back["note"][0]) == "bar?"


def test_export_names_the_formats_it_knows(tmp_path):
    from astrodisc.base.tables import export_table

    with pytest.raises(UserError, match=".csv, .parquet"):
        export_table(pd.DataFrame({"a": [1]}), tmp_path / "x.xlsx")


def test_a_label_table_imports_whole_or_not_at_all(tmp_path):
    from astrodisc.labels.database import labels_from_table

    db = LabelDB(tmp_path / "labels.sqlite")
    known = {"G1", "G2", "G3"}
    good = pd.DataFrame({"object_id": ["G1", "G2"], "label": ["spiral", None], "interest": [3, 5.0]})
    db.add_many(labels_from_table(good, "sky", known, "ana", "import-1"))
    assert db.latest("sky")[["object_id", "interest"]].values.tolist() == [["G1", 3], ["G2", 5]]
    for table, words in (
        (pd.DataFrame({"id": ["G1"], "label": ["x"]}), "needs an object_id column"),
        (pd.DataFrame({"object_id": ["G1", "G9"], "label": ["x", "y"]}), "not in sky, e.g. 'G9'"),
        (pd.DataFrame({"object_id": ["G3"], "interest": [2.5]}), "row 1: interest must be"),
        (pd.DataFrame({"object_id": ["G3"], "interest": [9]}), r"row 1 \(G3\): interest must"),
        (pd.DataFrame({"object_id": ["G3"]}), "at least one of the columns"),
    ):
        with pytest.raises(UserError, match=words):
            db.add_many(labels_from_table(table, "sky", known, "ana", "import-2"))
    assert len(db.history("sky")) == 2  # nothing of a faulty table was stored
    bad_second = [Label("sky", "G3", "ana", "s", label="a"), Label("sky", "G3", "ana", "s", interest=8)]
    with pytest.raises(UserError):
        db.add_many(bad_second)
    assert len(db.history("sky")) == 2


def test_uploaded_tables_are_read_or_refused_in_one_line():
    from astrodisc.base.tables import read_table, table_bytes

    table = pd.DataFrame({"object_id": ["G1"], "interest": [2]})
    for suffix in (".csv", ".parquet", ".vot"):
        back = read_table(table_bytes(table, suffix), f"mine{suffix}")
        assert back["object_id"].astype(str).tolist() == ["G1"] and back["interest"].tolist() == [2]
    with pytest.raises(UserError, match="not a readable Parquet table"):
        read_table(b"PAR1 but not really", "x.parquet")
    with pytest.raises(UserError, match="cannot read .xlsx"):
        read_table(b"", "x.xlsx")
    with pytest.raises(UserError, match="the limit is 50 MB"):
        read_table(b"0" * (51 * 2**20), "big.csv")
