"""Nearest-neighbour indexes over L2-normalised embeddings: inner product = cosine similarity.

Below ``exact_below`` vectors the index is exact (``IndexFlatIP``); above it an inverted file
(``IVF-Flat``, Jegou et al. 2011, IEEE TPAMI 33, 117) with about 4*sqrt(N) lists, whose ``nprobe``
is raised until recall@10 against the exact answer reaches ``target_recall`` on a sample of queries.
The search cost then grows like sqrt(N) per query instead of N.

Example::

    index = build_index(vectors)                    # vectors (N, D) float32, rows of unit norm
    scores, ids = search(index, vectors[:5], k=10, exclude=np.arange(5))
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from astrodisc.base.atomic import write_atomic

RECALL_K = 10  # recall@k is measured at this k when tuning nprobe
TUNING_QUERIES = 1000  # database rows used as queries when tuning nprobe
TRAIN_SAMPLE = 2**18  # IVF k-means sample cap (vectors), see train_sample_per_list
MIN_TRAIN_PER_LIST = 39  # faiss warns below 39 training vectors per centroid


def build_index(
    vectors: np.ndarray,
    *,
    exact_below: int = 100_000,
    target_recall: float = 0.99,
    seed: int = 0,
    train_per_list: int | None = None,
) -> faiss.Index:
    """Index ``vectors`` (N, D) float32 of unit norm for inner-product search.

    Exact ``IndexFlatIP`` when N < ``exact_below``; otherwise ``IVF-Flat`` with round(4*sqrt(N)) lists,
    k-means trained on ``train_per_list`` vectors per list (default :func:`train_sample_per_list`), seeded by
    ``seed``, and the smallest power-of-two ``nprobe`` whose recall@10 on ``TUNING_QUERIES`` database rows is
    at least ``target_recall`` (so a coarser k-means costs probes, never recall).
    """
    x = _as_queries(vectors)
    n, dim = x.shape
    if n < exact_below:
        exact = faiss.IndexFlatIP(dim)
        exact.add(x)
        return exact
    nlist = max(1, round(4 * math.sqrt(n)))
    train_per_list = train_per_list or train_sample_per_list(nlist)
    index = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.extract_index_ivf(index)
    ivf.cp.seed = seed
    rng = np.random.default_rng(seed)
    ivf.cp.max_points_per_centroid = train_per_list
    train_rows = np.sort(rng.choice(n, size=min(n, nlist * train_per_list), replace=False))
    index.train(x[train_rows])
    index.add(x)
    ivf.nprobe = _tune_nprobe(index, x, target_recall, rng)
    return index


def train_sample_per_list(nlist: int) -> int:
    """Training vectors per IVF list: faiss' own cap of 256 while the sample stays within ``TRAIN_SAMPLE``
    vectors, then fewer, down to faiss' floor of 39 (k-means costs sample x nlist x D per iteration: at 10^6
    vectors, 4,000 lists, all 10^6 would be trained on; with 2^18 the k-means takes a quarter of the time)."""
    return int(np.clip(TRAIN_SAMPLE // nlist, MIN_TRAIN_PER_LIST, 256))


def _tune_nprobe(index: faiss.Index, x: np.ndarray, target_recall: float, rng: np.random.Generator) -> int:
    """Smallest power of two (capped at nlist) reaching ``target_recall`` at recall@RECALL_K, each query a
    database row whose own row is left out of both answers (finding itself would flatter the recall)."""
    ivf = faiss.extract_index_ivf(index)
    rows = rng.choice(len(x), size=min(len(x), TUNING_QUERIES), replace=False)
    queries = x[rows]
    k = min(RECALL_K, len(x) - 1)
    exact = faiss.IndexFlatIP(x.shape[1])
    exact.add(x)
    _, truth = search(exact, queries, k, exclude=rows)
    nprobe = 1
    while True:
        ivf.nprobe = nprobe
        _, found = search(index, queries, k, exclude=rows)
        if nprobe >= ivf.nlist or recall_at_k(found, truth) >= target_recall:
            return min(nprobe, ivf.nlist)
        nprobe *= 2


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row of ``truth`` (Q, k) ids present in the same row of ``found`` (Q, k')."""
    hits = [len(np.intersect1d(f, t)) for f, t in zip(found, truth, strict=False)]
    return float(np.sum(hits) / truth.size)


def save_index(index: faiss.Index, path: Path) -> None:
    """Write ``index`` to ``path`` atomically (a reader never sees half an index)."""
    write_atomic(Path(path), lambda tmp: faiss.write_index(index, str(tmp)))


def load_index(path: Path) -> faiss.Index:
    """Read an index written by :func:`save_index` (IVF keeps its tuned ``nprobe``)."""
    return faiss.read_index(str(path))


def search(
    index: faiss.Index, queries: np.ndarray, k: int, *, exclude: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar database rows of each query, best first.

    ``queries`` (Q, D) or (D,); ``exclude`` (Q,) int: a database row to drop from each query's
    answer (the query object itself), -1 for none. Returns ``scores`` (Q, k') float32 cosine
    similarities and ``ids`` (Q, k') int64 rows with k' = min(k, available); an IVF probe that finds
    fewer than k' rows pads with id -1 and score NaN.
    """
    q = _as_queries(queries)
    extra = 0 if exclude is None else 1
    k_out = max(0, min(k, index.ntotal - extra))
    scores, ids = index.search(q, min(k_out + extra, index.ntotal))
    if exclude is not None:
        drop = ids == np.asarray(exclude, dtype=np.int64).reshape(-1, 1)
        order = np.argsort(drop, axis=1, kind="stable")  # the excluded column (if any) moves last
        scores = np.take_along_axis(scores, order, axis=1)
        ids = np.take_along_axis(ids, order, axis=1)
    scores, ids = scores[:, :k_out].copy(), ids[:, :k_out].copy()
    scores[ids < 0] = np.nan
    return scores, ids


def index_description(index: faiss.Index) -> dict:
    """What the manifest records of an index: type, size, dimension, metric and IVF settings."""
    description = {
        "type": type(index).__name__,
        "ntotal": int(index.ntotal),
        "dim": int(index.d),
        "metric": "inner_product" if index.metric_type == faiss.METRIC_INNER_PRODUCT else "l2",
    }
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        description.update(nlist=int(ivf.nlist), nprobe=int(ivf.nprobe))
    return description


def _as_queries(vectors: np.ndarray) -> np.ndarray:
    """(Q, D) C-contiguous float32 view of ``vectors`` (a single (D,) vector becomes (1, D))."""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    return x.reshape(1, -1) if x.ndim == 1 else x
