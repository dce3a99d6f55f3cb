"""Saved subsets: named views and selections that reopen by name, survive restarts and keep their history."""

import sqlite3

import pytest

from astrodisc.errors import UserError
from astrodisc.labels.database import Label, LabelDB
from astrodisc.labels.subsets import Subset, SubsetDB


def test_a_subset_reopens_as_saved_and_the_newest_version_stands(tmp_path):
    path = tmp_path / "labels.sqlite"
    SubsetDB(path).save(Subset("sky", "red ellipticals", "ana", {"classes": "elliptical", "colour": "z_spec"}))
    SubsetDB(path).save(Subset("sky", " lensed? ", "ben", {}, ("G7", "G3")))
    SubsetDB(path).save(Subset("other", "lensed?", "ben", {}, ("X1",)))
    db = SubsetDB(path)  # a restart
    assert db.names("sky") == ["lensed?", "red ellipticals"]
    first = db.open("sky", "red ellipticals")
    assert first.view == {"classes": "elliptical", "colour": "z_spec"} and first.object_ids is None
    assert db.open("sky", "lensed?").object_ids == ("G7", "G3")  # kept in the order selected, name stripped
    db.save(Subset("sky", "lensed?", "ana", {"colour": "anomaly_score"}, ("G3",)))
    assert db.open("sky", "lensed?") == Subset("sky", "lensed?", "ana", {"colour": "anomaly_score"}, ("G3",))
    with sqlite3.connect(path) as raw:  # history kept, next to the labels in one database
        assert raw.execute("SELECT COUNT(*) FROM subsets WHERE name = 'lensed?'").fetchone()[0] == 3
    LabelDB(path).add(Label("sky", "G3", "ana", "s1", label="lens"))
    assert db.open("sky", "lensed?").object_ids == ("G3",)


@pytest.mark.parametrize(
    "bad, words",
    [
        (Subset("sky", "  "), "needs a name"),
        (Subset("sky", "x" * 81), "at most 80 characters"),
        (Subset("sky", "empty", object_ids=()), "the selection is empty"),
    ],
)
def test_bad_subsets_are_refused_and_nothing_is_written(tmp_path, bad, words):
    db = SubsetDB(tmp_path / "labels.sqlite")
    with pytest.raises(UserError, match=words):
        db.save(bad)
    assert db.names("sky") == []
    with pytest.raises(UserError, match="no saved subset 'empty' in sky"):
        db.open("sky", "empty")
