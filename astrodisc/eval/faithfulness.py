"""How faithful the 2-D map is to the embedding (k-nearest-neighbour preservation), and which catalogue columns
it is laid out along (:func:`map_drivers`).

For each object of a seeded sample, the share of its k nearest neighbours in the embedding (cosine, from the
artifact set's faiss index) that are also among its k nearest neighbours on the map (Euclidean on
``umap_x``, ``umap_y``), the object itself excluded in both. 1 means the map keeps every neighbourhood; a map
unrelated to the embedding keeps k / (N - 1) on average. This is the "KNN" preservation score with which
Kobak & Berens (2019, Nat. Commun. 10, 5416) compare t-SNE and UMAP maps, at their k = 10.

Example::

    result = map_faithfulness(load_artifacts(Path("data/varstars-demo/varstars-clip")))
    result.mean          # e.g. 0.3: on average 3 of an object's 10 neighbours stay its neighbours on the map
    result.share         # (S,) the per-object shares, for a histogram
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import faiss
import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from astrodisc.chain.artifacts import Artifacts
from astrodisc.chain.index import search
from astrodisc.chain.maps import sample_rows

K = 10  # neighbours compared per object
SAMPLE_SIZE = 2_000  # objects whose neighbourhoods are compared


@dataclass(frozen=True)
class Faithfulness:
    """k-NN preservation of a map for a sample of S objects."""

    k: int  # neighbours compared per object
    rows: np.ndarray  # (S,) int64 catalogue rows of the sample, sorted
    share: np.ndarray  # (S,) float64 in [0, 1]: share of each object's k embedding neighbours kept on the map

    @property
    def mean(self) -> float:
        """Mean share over the sample, in [0, 1]; NaN for an empty sample."""
        return float(self.share.mean()) if self.share.size else float("nan")


def knn_preservation(
    index: faiss.Index,
    vectors: np.ndarray,
    xy: np.ndarray,
    *,
    k: int = K,
    sample_size: int = SAMPLE_SIZE,
    seed: int = 0,
) -> Faithfulness:
    """k-NN preservation of the map ``xy`` (N, 2) of the embedding ``vectors`` (N, D), unit rows.

    ``index`` holds ``vectors`` (row i = object i) for inner-product (cosine) search. The sample is
    ``min(N, sample_size)`` rows drawn with ``seed`` (:func:`astrodisc.chain.maps.sample_rows`), so the result is
    reproducible; the map neighbours are searched exactly among all N >= 2 objects. k is capped at N - 1.
    """
    n = len(vectors)
    k = min(k, n - 1)
    rows = sample_rows(n, sample_size, seed)
    _, in_embedding = search(index, vectors[rows], k, exclude=rows)
    plane = faiss.IndexFlatL2(2)  # exact Euclidean search on the map; its scores (squared distances) are unused
    points = np.ascontiguousarray(xy, dtype=np.float32)
    plane.add(points)
    _, on_map = search(plane, points[rows], k, exclude=rows)
    kept = [np.intersect1d(a[a >= 0], b).size for a, b in zip(in_embedding, on_map, strict=False)]
    return Faithfulness(k, rows, np.asarray(kept, dtype=np.float64) / k)


def map_faithfulness(
    artifacts: Artifacts, *, k: int = K, sample_size: int = SAMPLE_SIZE, seed: int = 0
) -> Faithfulness:
    """:func:`knn_preservation` of an artifact set's map, in the space the build mapped (``map_space``)."""
    space = artifacts.map_space
    xy = artifacts.catalog[["umap_x", "umap_y"]].to_numpy(dtype=np.float32)
    return knn_preservation(
        artifacts.indexes[space], artifacts.embeddings[space], xy, k=k, sample_size=sample_size, seed=seed
    )


def map_section(artifacts: Artifacts) -> dict:
    """The ``map`` entry of an evaluation: the map's k-NN preservation (:func:`map_faithfulness`) beside what a map
    unrelated to the embedding would keep (``chance`` = k / (N - 1))."""
    result = map_faithfulness(artifacts)
    return {
        "space": artifacts.map_space,
        "k": result.k,
        "n_sample": int(len(result.rows)),
        "knn_preservation": result.mean,
        "chance": result.k / max(len(artifacts.catalog) - 1, 1),
    }


def map_drivers(
    catalog: pd.DataFrame, columns: list[str], k: int = 10, sample: int = 20_000, seed: int = 0
) -> pd.DataFrame:
    """Which catalogue columns drive the map: for each of ``columns`` (numeric), how much of its spread the map's
    neighbourhoods hold, R^2 = 1 - var(x - x_nbr) / var(x), with x_nbr the mean of x over an object's ``k`` nearest
    map neighbours (``umap_x``, ``umap_y``; those with a value), on a seeded sample of at most ``sample`` objects.
    1: the column changes smoothly across the map (the map is laid out along it); 0: the map ignores it. A column
    with missing values is also scored as ``<column> missing`` (its missingness indicator): a high score means
    rows without a value gather on the map. Rows: ``column``, ``r2``, ``n`` (objects with a value), highest first."""
    rows = sample_rows(len(catalog), sample, seed)
    xy = catalog[["umap_x", "umap_y"]].to_numpy(dtype=float)[rows]
    _, nearest = NearestNeighbors(n_neighbors=min(k + 1, len(rows))).fit(xy).kneighbors(xy)
    nearest = nearest[:, 1:]
    out = []
    for column in columns:
        values = pd.to_numeric(catalog[column], errors="coerce").to_numpy(dtype=float)[rows]
        scored = {column: values}
        if np.isnan(values).any() and not np.isnan(values).all():
            scored[f"{column} missing"] = np.isnan(values).astype(float)
        for name, x in scored.items():
            have = np.isfinite(x)
            if have.sum() < k + 2 or np.nanvar(x) == 0:
                continue
            neighbour_values = np.where(have[nearest], x[nearest], np.nan)
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                local = np.nanmean(neighbour_values, axis=1)
            used = have & np.isfinite(local)
            r2 = 1.0 - np.var(x[used] - local[used]) / np.var(x[used])
            out.append({"column": name, "r2": float(r2), "n": int(have.sum())})
    return pd.DataFrame(out, columns=["column", "r2", "n"]).sort_values("r2", ascending=False, ignore_index=True)
