"""Placing objects on the map by their nearest fitted neighbours instead of UMAP transform."""

from __future__ import annotations

import numpy as np

from astrodisc.chain.maps import extend_by_neighbours, fit_map, sample_rows


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, size=n)
    x = rng.normal(size=(4, 16))[truth] + 0.15 * rng.normal(size=(n, 16))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


def test_placed_objects_land_among_the_fitted_objects_of_their_blob():
    vectors, truth = _blobs(500, seed=1)
    xy = fit_map(vectors, sample_size=200, seed=0, extend_above=300)  # 500 > 300: extended by neighbours
    assert xy.shape == (500, 2) and xy.dtype == np.float32 and np.isfinite(xy).all()
    fitted = sample_rows(500, 200, seed=0)
    placed = np.setdiff1d(np.arange(500), fitted)
    d2 = ((xy[placed, None, :] - xy[None, fitted, :]) ** 2).sum(axis=2)
    assert np.mean(truth[fitted[np.argmin(d2, axis=1)]] == truth[placed]) > 0.97
    np.testing.assert_array_equal(fit_map(vectors, sample_size=200, seed=0, extend_above=300), xy)


def test_an_object_equal_to_a_fitted_one_is_placed_near_it():
    sample, _ = _blobs(100, seed=2)
    sample_xy = np.random.default_rng(0).uniform(-5, 5, (100, 2)).astype(np.float32)
    placed = extend_by_neighbours(sample, sample_xy, sample, np.arange(100), k=1)
    np.testing.assert_allclose(placed, sample_xy, atol=1e-5)
    # k neighbours at equal distance: their plain mean
    twin = np.repeat(sample[:1], 3, axis=0)
    mean = extend_by_neighbours(twin, sample_xy[:3], sample[:1], np.arange(1), k=3)
    np.testing.assert_allclose(mean[0], sample_xy[:3].mean(axis=0), atol=1e-5)
