"""The 2-D map of an embedding space (UMAP); its clusters are :mod:`astrodisc.chain.clusters`.

UMAP (McInnes, Healy & Melville 2018, arXiv:1802.03426) is fitted with the cosine metric on a
random sample of at most ``sample_size`` objects and the rest are placed by ``transform``, so the
cost of a survey of millions stays that of the sample plus a cheap projection. ``transform`` costs
about 1 s per 1,000 objects on one core (18 min at 10^6), so above ``EXTEND_BY_NEIGHBOURS_ABOVE``
objects the rest are instead placed at the weighted mean map position of their ``EXTEND_K`` most
similar sample objects (:func:`extend_by_neighbours`, a faiss search over the sample; the weights are
UMAP's own membership strengths, exp(-(d - d_1) / sigma) with d the cosine distance, d_1 the nearest
one and sigma the mean of d - d_1), which is what ``transform`` starts from before its few epochs
of optimisation. Smaller surveys keep ``transform`` and their maps are unchanged.

umap is imported inside the functions: its import alone costs seconds.
"""

from __future__ import annotations

import warnings

import numpy as np
from tqdm import tqdm

from astrodisc.chain.index import build_index, search
from astrodisc.errors import UserError

MIN_MAP_OBJECTS = 4  # UMAP needs a few neighbours to lay anything out
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
    n_components: int = 2,
    extend_above: int = EXTEND_BY_NEIGHBOURS_ABOVE,
    progress: bool = False,
) -> np.ndarray:
    """UMAP coordinates (N, n_components) float32 of ``vectors`` (N, D) of unit rows, cosine metric: the 2-D map,
    or a layout for clustering (:mod:`astrodisc.chain.clusters`).

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
        n_components=n_components,
        n_neighbors=min(n_neighbors, len(rows) - 1),
        min_dist=min_dist,
        metric="cosine",
        random_state=seed,
        n_jobs=1,
    )
    xy = np.empty((n, n_components), dtype=np.float32)
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
    """Map positions (M, d) float32 of ``vectors[rows]`` (M rows of the (N, D) unit vectors, read in batches).

    Each object goes to the weighted mean of the positions ``sample_xy`` (S, d) of its ``k`` most similar
    rows of ``sample_vectors`` (S, D), found by a faiss index of the sample (:func:`astrodisc.chain.index.build_index`;
    IVF with nprobe tuned to recall@10 >= 0.99 from ``EXTEND_EXACT_BELOW`` sample rows, about ten times fewer
    operations than exact). Weights exp(-(d - d_1) / sigma) with d = 1 - cosine similarity, d_1 the nearest
    neighbour's and sigma the mean of d - d_1 over the k found (all 1 when they are equally near); an IVF
    probe's padding (id -1) gets weight 0.
    """
    index = build_index(sample_vectors, exact_below=EXTEND_EXACT_BELOW)
    out = np.empty((len(rows), sample_xy.shape[1]), dtype=np.float32)
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
