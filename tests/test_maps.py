"""The UMAP map and its HDBSCAN clusters recover well-separated blobs, also for transformed points."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from astrodisc.chain.maps import cluster_map, fit_map, sample_rows, subclusters
from astrodisc.errors import UserError


def _blobs(n: int, n_blobs: int, dim: int, spread: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_blobs, dim))
    truth = rng.integers(0, n_blobs, size=n)
    x = centres[truth] + spread * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


def test_map_clusters_recover_blobs_and_transform_keeps_them():
    vectors, truth = _blobs(600, 5, 16, 0.15, seed=0)
    xy = fit_map(vectors, sample_size=250, seed=0)
    assert xy.shape == (600, 2) and xy.dtype == np.float32 and np.isfinite(xy).all()

    labels, probs = cluster_map(xy)
    assert adjusted_rand_score(truth, labels) > 0.9
    assert probs.shape == (600,) and ((probs >= 0) & (probs <= 1)).all()
    assert (probs[labels == -1] == 0).all()

    # points placed by transform land next to fitted points of their own blob
    fitted = sample_rows(600, 250, seed=0)
    placed = np.setdiff1d(np.arange(600), fitted)
    assert len(fitted) == 250 and len(placed) == 350
    d2 = ((xy[placed, None, :] - xy[None, fitted, :]) ** 2).sum(axis=2)
    nearest_fitted = fitted[np.argmin(d2, axis=1)]
    assert np.mean(truth[nearest_fitted] == truth[placed]) > 0.97

    # the same seed gives the same map
    np.testing.assert_array_equal(fit_map(vectors, sample_size=250, seed=0), xy)


def test_subclusters_split_one_class_into_its_subtypes():
    vectors, truth = _blobs(240, 3, 16, 0.12, seed=5)
    labels, probs = subclusters(vectors, seed=0)
    assert adjusted_rand_score(truth, labels) > 0.9
    assert len(set(labels.tolist()) - {-1}) == 3
    assert probs.shape == (240,)


def test_map_of_too_few_objects_is_a_user_error():
    with pytest.raises(UserError, match="at least"):
        fit_map(np.eye(3, dtype=np.float32))
