"""k-NN preservation of a map: 1 for a map that is the embedding, k / (N - 1) for a map unrelated to it."""

import numpy as np
import pandas as pd
import pytest

from astrodisc.chain.index import build_index
from astrodisc.eval.faithfulness import knn_preservation, map_drivers


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_a_map_that_is_the_embedding_keeps_every_neighbourhood():
    # a 2-D embedding on the unit circle: cosine order is Euclidean order, so the embedding is its own perfect map
    # (angles jittered on a grid, so no two neighbours are closer than float32 can tell apart)
    n = 600
    angle = 2 * np.pi * (np.arange(n) + np.random.default_rng(0).uniform(0, 0.5, n)) / n
    vectors = _unit(np.column_stack([np.cos(angle), np.sin(angle)]))
    result = knn_preservation(build_index(vectors), vectors, vectors, k=10, seed=1)
    assert result.k == 10 and result.rows.tolist() == list(range(n))  # fewer objects than the sample: all
    assert result.mean == 1.0 and (result.share == 1.0).all()


def test_a_shuffled_map_keeps_only_chance_neighbours():
    rng = np.random.default_rng(3)
    n, k = 5000, 10
    vectors = _unit(rng.normal(size=(n, 8)))
    shuffled = vectors[rng.permutation(n), :2]  # a map of other objects: unrelated to each object's neighbours
    result = knn_preservation(build_index(vectors), vectors, shuffled, k=k, seed=0)
    assert result.rows.shape == result.share.shape == (2000,)
    assert result.mean == pytest.approx(k / (n - 1), abs=0.0015)  # chance: 0.0020; the sample's std is 0.00035
    assert set(np.unique(result.share * k).tolist()) <= set(range(k + 1))  # shares are counts of k


def test_the_sample_is_fixed_by_the_seed_and_k_is_capped():
    rng = np.random.default_rng(4)
    vectors = _unit(rng.normal(size=(2500, 4)))
    index, xy = build_index(vectors), vectors[:, :2]
    first, again = knn_preservation(index, vectors, xy, seed=5), knn_preservation(index, vectors, xy, seed=5)
    np.testing.assert_array_equal(first.rows, again.rows)
    np.testing.assert_array_equal(first.share, again.share)
    other = knn_preservation(index, vectors, xy, seed=6)
    assert len(other.rows) == 2000 and not np.array_equal(first.rows, other.rows)
    assert 0.0 < first.mean < 1.0  # the first two coordinates keep some neighbours of a 4-D sphere, not all
    small = knn_preservation(build_index(vectors[:6]), vectors[:6], xy[:6], k=10)
    assert small.k == 5 and small.rows.tolist() == list(range(6))


def test_the_columns_a_map_is_laid_out_along_are_named_first():
    rng = np.random.default_rng(0)
    n = 3000
    xy = rng.uniform(0, 1, (n, 2))
    catalog = pd.DataFrame({"umap_x": xy[:, 0], "umap_y": xy[:, 1]})
    catalog["period"] = 10 ** (2 * xy[:, 0]) * rng.lognormal(0, 0.05, n)  # laid out along
    catalog["colour"] = rng.normal(size=n)  # ignored by the map
    catalog["mag"] = rng.normal(size=n)
    catalog.loc[xy[:, 1] > 0.7, "mag"] = np.nan  # missing in one region: the rows without it gather
    drivers = map_drivers(catalog, ["period", "colour", "mag"]).set_index("column")["r2"]
    assert drivers.index[0] in ("period", "mag missing") and drivers["period"] > 0.9 and drivers["mag missing"] > 0.8
    assert abs(drivers["colour"]) < 0.15 and abs(drivers["mag"]) < 0.15
