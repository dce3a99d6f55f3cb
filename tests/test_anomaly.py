"""Planted outliers get the top anomaly scores; planted label flips get high mislabel scores."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from astrodisc.chain.anomaly import anomaly_ranks, combine_ranks, knn_anomaly_score, knn_predict, percentile_rank
from astrodisc.chain.index import build_index


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _blobs(rng: np.random.Generator, n: int, n_blobs: int, dim: int, spread: float):
    truth = rng.integers(0, n_blobs, size=n)
    return _unit(rng.normal(size=(n_blobs, dim))[truth] + spread * rng.normal(size=(n, dim))), truth


def test_percentile_rank_spans_zero_to_one_with_shared_ties():
    np.testing.assert_allclose(percentile_rank(np.array([3.0, 1.0, 2.0, 2.0, 9.0])), [0.75, 0.0, 0.375, 0.375, 1.0])
    assert percentile_rank(np.array([5.0])).tolist() == [0.0]


def test_outliers_in_any_one_space_get_top_scores():
    rng = np.random.default_rng(0)
    n = 2000
    photometry, truth = _blobs(rng, n, 6, 24, 0.25)
    spectra = _unit(rng.normal(size=(6, 16))[truth] + 0.25 * rng.normal(size=(n, 16)))
    odd_in_photometry, odd_in_spectra = np.arange(0, 40, 2), np.arange(1, 40, 2)
    photometry[odd_in_photometry] = _unit(rng.normal(size=(20, 24)))  # random directions: far from every blob
    spectra[odd_in_spectra] = _unit(rng.normal(size=(20, 16)))
    spaces = {"photometry": photometry, "spectra": spectra}
    indexes = {name: build_index(v) for name, v in spaces.items()}

    ranks = anomaly_ranks(spaces, indexes, k=10)
    score = knn_anomaly_score(spaces, indexes, k=10)
    np.testing.assert_array_equal(score, combine_ranks(ranks))
    assert score.shape == (n,) and score.min() >= 0.0 and score.max() <= 1.0
    planted = np.zeros(n, dtype=bool)
    planted[:40] = True
    assert roc_auc_score(planted, score) > 0.95
    # each space alone sees only its own half of the outliers: the maximum is what catches both
    assert ranks["photometry"][odd_in_photometry].min() > 0.95 and ranks["spectra"][odd_in_spectra].min() > 0.95
    assert np.median(ranks["photometry"][odd_in_spectra]) < 0.9
    assert score[:40].min() > 0.95


def test_label_flips_get_high_mislabel_scores_and_votes_recover_the_class():
    rng = np.random.default_rng(1)
    n = 1500
    fused, truth = _blobs(rng, n, 5, 16, 0.3)
    names = np.array(["EW", "RRAB", "M", "SR", "DSCT"], dtype=object)
    labels = names[truth].copy()
    unlabelled = rng.random(n) < 0.3
    labels[unlabelled] = None
    flipped = rng.choice(np.flatnonzero(~unlabelled), size=30, replace=False)
    labels[flipped] = names[(truth[flipped] + 1) % 5]

    vote = knn_predict(fused, labels, k=10)
    assert np.isnan(vote.mislabel_score[unlabelled]).all()
    assert np.isfinite(vote.mislabel_score[~unlabelled]).all()
    is_flip = np.zeros(n, dtype=bool)
    is_flip[flipped] = True
    assert roc_auc_score(is_flip[~unlabelled], vote.mislabel_score[~unlabelled]) > 0.95
    assert np.mean(vote.pred_label[flipped] == names[truth[flipped]]) > 0.9  # the vote names the true class
    assert np.mean(vote.pred_label[unlabelled] == names[truth[unlabelled]]) > 0.95
    assert ((vote.pred_prob > 0) & (vote.pred_prob <= 1)).all()

    # with k=1 the only vote is the nearest *other* labelled object: a flip can never vote for itself
    one = knn_predict(fused, labels, k=1)
    assert np.mean(one.mislabel_score[flipped] == 1.0) > 0.9
    assert set(np.unique(one.mislabel_score[~unlabelled]).tolist()) <= {0.0, 1.0}


def test_no_labels_gives_no_votes():
    fused = _unit(np.random.default_rng(2).normal(size=(50, 4)))
    vote = knn_predict(fused, np.full(50, None, dtype=object), k=5)
    assert (vote.pred_label == None).all()  # noqa: E711 - elementwise on an object array
    assert np.isnan(vote.pred_prob).all() and np.isnan(vote.mislabel_score).all()
