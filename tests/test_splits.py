"""Splits by object id: seeded, stratified, disjoint, nested label fractions."""

import numpy as np
import pytest

from astrodisc.errors import UserError
from astrodisc.learn.splits import label_fraction, split_rows


def _survey(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    ids = np.array([f"OBJ-{i:05d}" for i in range(n)])
    labels = rng.choice(["EW", "SR", "M"], n, p=[0.6, 0.35, 0.05]).astype(object)
    labels[rng.random(n) < 0.05] = None
    return ids, labels


def test_split_is_disjoint_stratified_and_covers_the_labelled():
    ids, labels = _survey()
    s = split_rows(ids, labels, seed=1)
    parts = [set(s.train), set(s.val), set(s.test)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    labelled = {i for i, x in enumerate(labels) if x is not None}
    assert parts[0] | parts[1] | parts[2] == labelled
    assert abs(len(s.train) / len(labelled) - 0.8) < 0.01 and abs(len(s.test) / len(labelled) - 0.1) < 0.01

    def share(rows):
        return np.mean(labels[rows] == "M")

    assert abs(share(s.test) - share(s.train)) < 0.02


def test_split_depends_on_ids_not_row_order():
    ids, labels = _survey()
    order = np.random.default_rng(5).permutation(len(ids))
    a = split_rows(ids, labels, seed=3)
    b = split_rows(ids[order], labels[order], seed=3)
    assert set(ids[a.test]) == set(ids[order][b.test])
    assert set(ids[split_rows(ids, labels, seed=4).test]) != set(ids[a.test])


def test_label_fractions_nest():
    ids, labels = _survey()
    train = split_rows(ids, labels, seed=0).train
    f10, f50 = set(label_fraction(train, 0.1, 0)), set(label_fraction(train, 0.5, 0))
    assert f10 < f50 <= set(train) and abs(len(f10) - 0.1 * len(train)) <= 1


def test_tiny_surveys_with_a_singleton_class_still_split():
    ids = np.array([f"X{i}" for i in range(30)])
    labels = np.array(["EW"] * 15 + ["SR"] * 14 + ["DSCT"], dtype=object)
    s = split_rows(ids, labels, seed=0)
    assert len(s.train) + len(s.val) + len(s.test) == 30


def test_missing_labels_of_every_kind_are_unlabelled():
    import pandas as pd

    from astrodisc.learn.splits import is_labelled

    labels = np.array(["EW", None, float("nan"), pd.NA, "M"], dtype=object)
    assert is_labelled(labels).tolist() == [True, False, False, False, True]


def test_a_dataset_with_its_own_split_pretrains_on_train_and_evaluates_on_its_test():
    import pandas as pd

    from astrodisc.learn.splits import evaluation_splits, pretraining_rows

    ids, labels = _survey(n=200)
    split = np.random.default_rng(1).choice(["train", "val", "test"], len(ids), p=[0.8, 0.1, 0.1])
    objects = pd.DataFrame({"object_id": ids, "split": split})
    train, val = pretraining_rows(objects, seed=0, val_fraction=0.1)
    assert set(split[train]) == {"train"} and set(split[val]) == {"val"}
    assert len(train) + len(val) == int((split != "test").sum())
    (only,) = evaluation_splits(objects, labels, seeds=3)
    labelled = np.array([x is not None for x in labels])
    assert np.array_equal(only.test, np.flatnonzero((split == "test") & labelled))
    assert np.array_equal(only.train, np.flatnonzero((split == "train") & labelled))


def test_without_an_own_split_pretraining_holds_out_a_seeded_share_and_evaluation_has_one_split_per_seed():
    import pandas as pd

    from astrodisc.learn.splits import evaluation_splits, pretraining_rows

    ids, labels = _survey(n=200)
    objects = pd.DataFrame({"object_id": ids})
    train, val = pretraining_rows(objects, seed=0, val_fraction=0.1)
    assert len(val) == 20 and not set(train) & set(val) and len(train) + len(val) == 200
    assert not np.array_equal(val, pretraining_rows(objects, seed=1, val_fraction=0.1)[1])
    splits = evaluation_splits(objects, labels, seeds=3)
    assert len(splits) == 3 and np.array_equal(splits[1].test, split_rows(ids, labels, 1).test)


def test_an_unknown_split_name_is_refused():
    import pandas as pd
    import pytest

    from astrodisc.learn.splits import pretraining_rows

    with pytest.raises(ValueError, match="holdout"):
        pretraining_rows(pd.DataFrame({"object_id": ["a", "b"], "split": ["train", "holdout"]}), 0, 0.1)


def test_too_few_labels_to_split_are_a_user_error():
    ids = np.array([f"S{i}" for i in range(40)])
    with pytest.raises(UserError, match="3 of 40 objects carry a label"):
        split_rows(ids, np.array(["M", "EW", "SR"] + [None] * 37, dtype=object), seed=0)
