"""Splits by object id: seeded, stratified, disjoint, nested label fractions."""

import numpy as np

from astrodisc.splits import label_fraction, split_rows


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
    share = lambda rows: np.mean(labels[rows] == "M")  # noqa: E731
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

    from astrodisc.splits import is_labelled

    labels = np.array(["EW", None, float("nan"), pd.NA, "M"], dtype=object)
    assert is_labelled(labels).tolist() == [True, False, False, False, True]
