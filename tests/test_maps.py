"""The UMAP map keeps well-separated blobs apart, also for transformed points."""

from __future__ import annotations

import numpy as np
import pytest

from astrodisc.chain.maps import fit_map, sample_rows
from astrodisc.errors import UserError


def _blobs(n: int, n_blobs: int, dim: int, spread: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_blobs, dim))
    truth = rng.integers(0, n_blobs, size=n)
    x = centres[truth] + spread * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


def test_the_map_keeps_blobs_apart_and_transform_keeps_them():
    vectors, truth = _blobs(600, 5, 16, 0.15, seed=0)
    xy = fit_map(vectors, sample_size=250, seed=0)
    assert xy.shape == (600, 2) and xy.dtype == np.float32 and np.isfinite(xy).all()
    nearest = np.argsort(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2), axis=1)[:, 1:11]
    assert np.mean(truth[nearest] == truth[:, None]) > 0.95  # map neighbours share a blob

    # points placed by transform land next to fitted points of their own blob
    fitted = sample_rows(600, 250, seed=0)
    placed = np.setdiff1d(np.arange(600), fitted)
    assert len(fitted) == 250 and len(placed) == 350
    d2 = ((xy[placed, None, :] - xy[None, fitted, :]) ** 2).sum(axis=2)
    nearest_fitted = fitted[np.argmin(d2, axis=1)]
    assert np.mean(truth[nearest_fitted] == truth[placed]) > 0.97

    # the same seed gives the same map
    np.testing.assert_array_equal(fit_map(vectors, sample_size=250, seed=0), xy)


def test_a_layout_for_clustering_has_its_dimensions():
    vectors, _ = _blobs(200, 3, 16, 0.12, seed=5)
    assert fit_map(vectors, seed=0, n_components=8, min_dist=0.0).shape == (200, 8)


def test_map_of_too_few_objects_is_a_user_error():
    with pytest.raises(UserError, match="at least"):
        fit_map(np.eye(3, dtype=np.float32))
