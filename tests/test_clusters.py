"""The cluster criterion recovers how many groups there are, whatever the number: 2, 3, 5 and 8 groups of unequal
size and shape, seen through a non-linear 32-D embedding (as an encoder's), each found with ARI > 0.9; one
Gaussian blob is not split; every object ends in a group, the weak ones with probability 0."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from astrodisc.chain.clusters import MIN_GROUPED, find_groups, groups_in_layout


def grouped_embedding(k: int, seed: int, n: int = 1500, d: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(N, 32) unit rows of ``k`` anisotropic Gaussian groups of Dirichlet-drawn sizes in ``d`` dimensions, passed
    through a random tanh layer with noise; and each row's group."""
    rng = np.random.default_rng(seed)
    sizes = np.maximum((rng.dirichlet(np.full(k, 2.0)) * n).astype(int), 40)
    centres = rng.normal(0, 2.2, (k, d))
    parts = [
        centres[j] + rng.normal(size=(m, d)) @ (rng.normal(size=(d, d)) * rng.uniform(0.2, 1.0, d)).T * 0.5
        for j, m in enumerate(sizes)
    ]
    x = np.vstack(parts)
    embedded = np.tanh(x @ rng.normal(size=(d, 32)) / np.sqrt(d)) + 0.05 * rng.normal(size=(len(x), 32))
    return embedded / np.linalg.norm(embedded, axis=1, keepdims=True), np.repeat(np.arange(k), sizes)


@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_the_number_of_groups_is_read_from_the_data(k):
    vectors, truth = grouped_embedding(k, seed=k)
    groups, layout = find_groups(vectors, seed=0)
    assert layout.shape == (len(vectors), 8)
    assert groups.n_groups == k, (groups.n_groups, groups.min_cluster_size)
    assert adjusted_rand_score(truth, groups.labels) > 0.9
    assert (groups.labels >= 0).all()  # noise placed in its neighbours' group
    assert len(groups.persistence) == k and all(0.0 <= p <= 1.0 for p in groups.persistence)
    assert ((groups.probabilities >= 0) & (groups.probabilities <= 1)).all()


def test_one_blob_is_not_split_and_too_few_objects_make_no_groups():
    rng = np.random.default_rng(0)
    on_sphere = rng.normal(size=(1500, 32))
    blob, _ = find_groups(on_sphere / np.linalg.norm(on_sphere, axis=1, keepdims=True), seed=0)
    assert blob.n_groups == 1 and (blob.labels == 0).all() and blob.validity < 0.3  # UMAP's clumps are not groups
    assert groups_in_layout(rng.normal(size=(800, 6))).n_groups == 1
    few = groups_in_layout(rng.normal(size=(MIN_GROUPED - 1, 2)))
    assert few.n_groups == 0 and (few.labels == -1).all()
