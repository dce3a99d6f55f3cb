"""The 2-D map of an embedding space (UMAP) and its clusters (HDBSCAN).

UMAP (McInnes, Healy & Melville 2018, arXiv:1802.03426) is fitted with the cosine metric on a
random sample of at most ``sample_size`` objects and the rest are placed by ``transform``, so the
cost of a survey of millions stays that of the sample plus a cheap projection. ``transform`` costs
about 1 s per 1,000 objects on one core (18 min at 10^6), so above ``EXTEND_BY_NEIGHBOURS_ABOVE``
objects the rest are instead placed at the weighted mean map position of their ``EXTEND_K`` most
similar sample objects (:func:`extend_by_neighbours`, a faiss search over the sample; the weights are
UMAP's own membership strengths, exp(-(d - d_1) / sigma) with d the cosine distance, d_1 the nearest
one and sigma the mean of d - d_1), which is what ``transform`` starts from before its few epochs
of optimisation. Smaller surveys keep ``transform`` and their maps are unchanged. HDBSCAN (Campello,
Moulavi & Sander 2013; McInnes, Healy & Astels 2017, JOSS 2, 205) then finds dense groups on the map
and calls the rest noise (label -1).

Fixed parameters, recorded by the build in the manifest:

- map clusters: ``min_cluster_size = max(10, round(0.005 * N))`` (a group needs 0.5 % of the
  objects), ``min_samples = 10``;
- sub-clusters inside one class (e.g. Mira subtypes): the class's own UMAP with ``min_dist = 0``
  (tight clumps, as UMAP recommends for clustering), ``min_cluster_size = max(5, round(0.05 * n))``
  (a subtype needs 5 % of the class), ``min_samples = 5``.

umap is imported inside the functions: its import alone costs seconds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import hdbscan
import numpy as np
from tqdm import tqdm

from astrodisc.chain.index import build_index, search
from astrodisc.errors import UserError

MIN_MAP_OBJECTS = 4  # UMAP needs a few neighbours to lay anything out
MAP_MIN_SAMPLES = 10
SUBCLUSTER_MIN_DIST = 0.0
SUBCLUSTER_MIN_SAMPLES = 5
SUBCLUSTER_MIN_SIZE = 5  # members of the smallest sub-cluster, however small the class
MIN_SUBCLUSTER_MEMBERS = 2 * SUBCLUSTER_MIN_SIZE  # fewer members cannot hold two sub-clusters
EXTEND_BY_NEIGHBOURS_ABOVE = 200_000  # more objects than this: the rest placed by neighbours, not transform
EXTEND_K = 10  # sample neighbours averaged to place an object
EXTEND_BATCH = 65_536  # objects placed per faiss call
EXTEND_EXACT_BELOW = 10_000  # a smaller sample is searched exactly, a larger one through IVF


def sample_rows(n: int, sample_size: int, seed: int) -> np.ndarray:
    """Sorted rows (M,) int64, M = min(n, sample_size), of the objects UMAP is fitted on."""
    return np.sort(np.random.default_rng(seed).choice(n, size=min(n, sample_size), replace=False))


def fit_map(
    vectors: np.ndarray,
    *,
    sample_size: int = 50_000,
    seed: int = 0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    extend_above: int = EXTEND_BY_NEIGHBOURS_ABOVE,
    progress: bool = False,
) -> np.ndarray:
    """2-D UMAP coordinates (N, 2) float32 of ``vectors`` (N, D) of unit rows, cosine metric.

    Fitted on :func:`sample_rows` (at most ``sample_size`` objects, seeded), the rest placed by
    ``transform``, or by :func:`extend_by_neighbours` when N > ``extend_above``. ``n_neighbors``
    is capped at the sample size - 1. Deterministic for a given seed
    (UMAP then runs single-threaded).
    """
    import umap  # noqa: PLC0415 - slow import, only when a map is made

    n = len(vectors)
    if n < MIN_MAP_OBJECTS:
        raise UserError(f"a map needs at least {MIN_MAP_OBJECTS} objects, got {n}")
    rows = sample_rows(n, sample_size, seed)
    model = umap.UMAP(
        n_neighbors=min(n_neighbors, len(rows) - 1),
        min_dist=min_dist,
        metric="cosine",
        random_state=seed,
        n_jobs=1,
    )
    xy = np.empty((n, 2), dtype=np.float32)
    rest = np.ones(n, dtype=bool)
    rest[rows] = False
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
        xy[rows] = model.fit_transform(np.asarray(vectors[rows], dtype=np.float32))
        if rest.any() and n > extend_above:
            xy[rest] = extend_by_neighbours(
                np.asarray(vectors[rows], dtype=np.float32), xy[rows], vectors, np.flatnonzero(rest), progress=progress
            )
        elif rest.any():
            xy[rest] = model.transform(np.asarray(vectors[rest], dtype=np.float32))
    return xy


def extend_by_neighbours(
    sample_vectors: np.ndarray,
    sample_xy: np.ndarray,
    vectors: np.ndarray,
    rows: np.ndarray,
    *,
    k: int = EXTEND_K,
    progress: bool = False,
) -> np.ndarray:
    """Map positions (M, 2) float32 of ``vectors[rows]`` (M rows of the (N, D) unit vectors, read in batches).

    Each object goes to the weighted mean of the positions ``sample_xy`` (S, 2) of its ``k`` most similar
    rows of ``sample_vectors`` (S, D), found by a faiss index of the sample (:func:`astrodisc.chain.index.build_index`;
    IVF with nprobe tuned to recall@10 >= 0.99 from ``EXTEND_EXACT_BELOW`` sample rows, about ten times fewer
    operations than exact). Weights exp(-(d - d_1) / sigma) with d = 1 - cosine similarity, d_1 the nearest
    neighbour's and sigma the mean of d - d_1 over the k found (all 1 when they are equally near); an IVF
    probe's padding (id -1) gets weight 0.
    """
    index = build_index(sample_vectors, exact_below=EXTEND_EXACT_BELOW)
    out = np.empty((len(rows), 2), dtype=np.float32)
    for lo in tqdm(range(0, len(rows), EXTEND_BATCH), desc="map extend", disable=not progress):
        batch = rows[lo : lo + EXTEND_BATCH]
        scores, ids = search(index, np.asarray(vectors[batch], dtype=np.float32), k)
        found = ids >= 0
        gap = np.where(found, scores[:, :1] - scores, 0.0)  # d - d_1 >= 0, best first
        sigma = np.maximum(gap.sum(axis=1, keepdims=True) / np.maximum(found.sum(axis=1, keepdims=True), 1), 1e-12)
        weights = np.where(found, np.exp(-gap / sigma), 0.0)
        xy = (weights[:, :, None] * sample_xy[np.where(found, ids, 0)]).sum(axis=1)
        out[lo : lo + len(batch)] = xy / weights.sum(axis=1)[:, None]
    return out


def default_min_cluster_size(n: int) -> int:
    """Smallest map cluster for N objects: 0.5 % of them, at least 10."""
    return max(10, round(0.005 * n))


def cluster_map(
    xy: np.ndarray, *, min_cluster_size: int | None = None, min_samples: int = MAP_MIN_SAMPLES
) -> tuple[np.ndarray, np.ndarray]:
    """HDBSCAN clusters of map points ``xy`` (N, 2).

    Returns ``labels`` (N,) int64 (-1 = noise) and ``probabilities`` (N,) float32 in [0, 1], the
    strength of each point's membership (0 for noise). ``min_cluster_size`` defaults to
    :func:`default_min_cluster_size`.
    """
    size = default_min_cluster_size(len(xy)) if min_cluster_size is None else min_cluster_size
    clusterer = hdbscan.HDBSCAN(min_cluster_size=size, min_samples=min(min_samples, size))
    labels = clusterer.fit_predict(np.asarray(xy, dtype=np.float64))
    return labels.astype(np.int64), clusterer.probabilities_.astype(np.float32)


@dataclass(frozen=True)
class SubclusterMap:
    """The sub-clusters of one class's n members and the 2-D layout HDBSCAN found them on."""

    xy: np.ndarray  # (n, 2) float32: the class's own UMAP (or the 2-D points given)
    labels: np.ndarray  # (n,) int64 sub-cluster of each member, -1 = noise
    probabilities: np.ndarray  # (n,) float32 membership strength in [0, 1] (0 for noise)

    @property
    def n_clusters(self) -> int:
        """Number of sub-clusters (noise is none)."""
        return int(self.labels.max()) + 1 if len(self.labels) else 0


def subcluster_min_size(n: int) -> int:
    """Smallest sub-cluster of a class of n members: 5 % of them, at least ``SUBCLUSTER_MIN_SIZE``."""
    return max(SUBCLUSTER_MIN_SIZE, round(0.05 * n))


def subcluster_map(points: np.ndarray, *, seed: int = 0) -> SubclusterMap:
    """Clusters inside one class with their layout: ``points`` (n, D) unit vectors of its members, or their map (n, 2).

    Vectors (D > 2) are first laid out by their own UMAP (``min_dist = 0``, seeded); then HDBSCAN with
    ``min_cluster_size = subcluster_min_size(n)`` and ``min_samples = SUBCLUSTER_MIN_SAMPLES``. A class of
    fewer than ``MIN_SUBCLUSTER_MEMBERS`` cannot hold two sub-clusters: all its members come out as noise.
    """
    xy = points if points.shape[1] == 2 else fit_map(points, seed=seed, min_dist=SUBCLUSTER_MIN_DIST)
    labels, probabilities = cluster_map(
        xy, min_cluster_size=subcluster_min_size(len(points)), min_samples=SUBCLUSTER_MIN_SAMPLES
    )
    return SubclusterMap(np.asarray(xy, dtype=np.float32), labels, probabilities)


def subclusters(points: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clusters inside one class (see :func:`subcluster_map`): ``labels`` (n,) int64 (-1 = noise) and
    ``probabilities`` (n,) float32, as :func:`cluster_map`."""
    found = subcluster_map(points, seed=seed)
    return found.labels, found.probabilities
