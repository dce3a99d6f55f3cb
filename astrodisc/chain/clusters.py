"""How many groups there are, by a stated criterion: density peaks of an embedding, chosen by their validity.

The criterion, the same for the build's clusters of a whole survey and for the sub-clusters of one class:

1. **A layout made for clustering.** UMAP of the (N, D) unit rows to ``LAYOUT_DIMS`` = 8 dimensions, cosine
   metric, ``min_dist = 0`` and 30 neighbours (the recipe of UMAP's documentation for clustering), fitted on at
   most ``sample_size`` rows (the rest placed as :func:`astrodisc.chain.maps.fit_map` places them). Density is
   judged there rather than on the 2-D map, whose layout tears some groups and presses others together.
2. **HDBSCAN, excess-of-mass selection** (Campello, Moulavi & Sander 2013), ``min_samples = MIN_SAMPLES``, for each
   smallest-cluster size of ``SIZE_FRACTIONS`` of N (never under ``MIN_SIZE``). Of these clusterings the one with
   the highest density-based validity (DBCV, Moulavi et al. 2014; HDBSCAN's ``relative_validity_``) is kept, so
   the number of groups is read from the data and not from one fixed size: a fixed 0.5 % of N split a real
   catalogue of three long-period-variable subtypes into 24 clusters.
   A clustering whose validity stays under ``MIN_VALIDITY`` is no evidence of groups: everything is then one
   group (a Gaussian blob laid out by UMAP scores 0.0-0.2, with 2-25 spurious clumps; the groups of the tests
   0.96-0.97; LINEAR's classes, read without their labels, 0.85).
3. **Every object in a group.** Objects HDBSCAN leaves as noise join the group most of their ``ASSIGN_K``
   nearest clustered neighbours in the layout belong to, with membership probability 0, so a weak member is told
   by its probability rather than made a group of its own. Each group carries HDBSCAN's persistence (its
   stability, in [0, 1]).

Chosen on simulated data only (tests: 2, 3, 5 and 8 groups, several seeds; the simulated surveys' classes and
Mira subtypes), never on a set whose figures are reported as held out.
"""

from __future__ import annotations

from dataclasses import dataclass

import hdbscan
import numpy as np
from sklearn.neighbors import NearestNeighbors

from astrodisc.chain.maps import MIN_MAP_OBJECTS, fit_map

LAYOUT_DIMS = 8
LAYOUT_NEIGHBOURS = 30
SIZE_FRACTIONS = (0.005, 0.01, 0.02, 0.05, 0.1)  # smallest cluster, as a share of the objects clustered
MIN_SIZE = 5  # members of the smallest group, however few the objects
MIN_SAMPLES = 10  # HDBSCAN's density smoothing (capped at the smallest cluster size)
ASSIGN_K = 10  # clustered neighbours that place a noise object
MIN_GROUPED = 2 * MIN_SIZE  # fewer objects cannot hold two groups
MIN_VALIDITY = 0.3  # DBCV below which the data are called one group


@dataclass(frozen=True)
class Groups:
    """The groups found among N objects by the criterion of the module docstring."""

    labels: np.ndarray  # (N,) int64 group of each object (0..K-1; all 0 when there is no evidence of groups);
    # -1 only when the objects are too few to group
    probabilities: np.ndarray  # (N,) float32 HDBSCAN membership strength in [0, 1]; 0 for objects placed by neighbours
    persistence: tuple[float, ...]  # (K,) each group's persistence (stability) in [0, 1]
    min_cluster_size: int  # the smallest-cluster size the validity chose
    validity: float  # its DBCV relative validity (higher is better; -1 when fewer than two groups)

    @property
    def n_groups(self) -> int:
        return len(self.persistence)


def layout(vectors: np.ndarray, *, seed: int = 0, sample_size: int = 50_000) -> np.ndarray:
    """(N, d) float32 UMAP layout, d = LAYOUT_DIMS (fewer for a handful of objects), of (N, D) unit rows for
    clustering (step 1 of the criterion)."""
    return fit_map(
        vectors,
        sample_size=sample_size,
        seed=seed,
        n_neighbors=LAYOUT_NEIGHBOURS,
        min_dist=0.0,
        n_components=min(LAYOUT_DIMS, max(len(vectors) - 2, 1)),
    )


def groups_in_layout(points: np.ndarray, *, size_fractions: tuple[float, ...] = SIZE_FRACTIONS) -> Groups:
    """Steps 2 and 3 of the criterion on (N, d) layout ``points``."""
    n = len(points)
    if n < MIN_GROUPED:
        return _no_groups(n)
    x = np.asarray(points, dtype=np.float64)
    best: tuple[float, hdbscan.HDBSCAN, int] | None = None
    for size in sorted({max(MIN_SIZE, round(f * n)) for f in size_fractions}):
        clusterer = hdbscan.HDBSCAN(
            min_cluster_size=size,
            min_samples=min(MIN_SAMPLES, size),
            cluster_selection_method="eom",
            gen_min_span_tree=True,
        ).fit(x)
        found = int(clusterer.labels_.max()) + 1
        validity = float(clusterer.relative_validity_) if found >= 2 else -1.0
        if best is None or validity > best[0]:
            best = (validity, clusterer, size)
    assert best is not None
    validity, clusterer, size = best
    labels = clusterer.labels_.astype(np.int64)
    if validity < MIN_VALIDITY:
        return Groups(np.zeros(n, np.int64), np.ones(n, np.float32), (0.0,), size, validity)
    probabilities = clusterer.probabilities_.astype(np.float32)
    labels = _place_noise(points, labels)
    return Groups(labels, probabilities, tuple(float(p) for p in clusterer.cluster_persistence_), size, validity)


def clustering_layout(vectors: np.ndarray, *, seed: int = 0, sample_size: int = 50_000) -> np.ndarray:
    """The (N, d <= LAYOUT_DIMS) :func:`layout` of (N, D) unit rows, or zeros when they are too few to lay out."""
    if _too_few(len(vectors)):
        return np.zeros((len(vectors), LAYOUT_DIMS), np.float32)
    return layout(vectors, seed=seed, sample_size=sample_size)


def find_groups(
    vectors: np.ndarray, *, seed: int = 0, sample_size: int = 50_000, sizes: tuple[float, ...] = SIZE_FRACTIONS
) -> tuple[Groups, np.ndarray]:
    """The groups of (N, D) unit rows by the whole criterion (smallest sizes from ``sizes``, shares of N), and the
    (N, d <= LAYOUT_DIMS) layout they were found in (:func:`clustering_layout`)."""
    points = clustering_layout(vectors, seed=seed, sample_size=sample_size)
    if _too_few(len(vectors)):
        return _no_groups(len(vectors)), points
    return groups_in_layout(points, size_fractions=sizes), points


def _too_few(n: int) -> bool:
    """Whether n objects are too few to lay out and group."""
    return n < max(MIN_GROUPED, MIN_MAP_OBJECTS)


def _place_noise(points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``labels`` with each noise object (-1) given the group most of its ASSIGN_K nearest clustered objects hold."""
    noise = np.flatnonzero(labels < 0)
    clustered = np.flatnonzero(labels >= 0)
    if not len(noise):
        return labels
    k = min(ASSIGN_K, len(clustered))
    _, nearest = NearestNeighbors(n_neighbors=k).fit(points[clustered]).kneighbors(points[noise])
    votes = labels[clustered][nearest]
    out = labels.copy()
    out[noise] = [np.bincount(row, minlength=labels.max() + 1).argmax() for row in votes]
    return out


def _no_groups(n: int, size: int = MIN_SIZE) -> Groups:
    return Groups(np.full(n, -1, np.int64), np.zeros(n, np.float32), (), size, -1.0)


@dataclass(frozen=True)
class SubclusterMap:
    """The sub-clusters of one class's n members, the layout they were found in, and a 2-D view of it."""

    xy: np.ndarray  # (n, 2) float32: the layout's first two principal components (what the Subclasses page draws)
    layout: np.ndarray  # (n, d) float32: the members' points in the clustering layout
    groups: Groups

    @property
    def labels(self) -> np.ndarray:
        """(n,) int64 sub-cluster of each member (-1: the class is too small to split)."""
        return self.groups.labels

    @property
    def probabilities(self) -> np.ndarray:
        return self.groups.probabilities

    @property
    def n_clusters(self) -> int:
        return self.groups.n_groups


def subcluster_map(points: np.ndarray, *, sizes: tuple[float, ...] = SIZE_FRACTIONS) -> SubclusterMap:
    """Sub-clusters of one class by the criterion's steps 2-3, from its members' (n, d) layout ``points`` (the
    survey's layout the build made, or :func:`layout` of the members alone in another space)."""
    points = np.asarray(points, dtype=np.float32)
    groups = groups_in_layout(points, size_fractions=sizes)
    centred = points - points.mean(axis=0) if len(points) else points
    if len(points) >= 2 and points.shape[1] >= 2:
        _, _, axes = np.linalg.svd(centred, full_matrices=False)
        xy = centred @ axes[:2].T
    else:
        xy = np.zeros((len(points), 2))
    return SubclusterMap(xy.astype(np.float32), points, groups)
