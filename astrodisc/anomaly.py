"""Scores from nearest neighbours: how odd an object is, and how likely its label is wrong.

Anomaly: in each embedding space the mean cosine distance to the k nearest other objects, turned
into a percentile rank; an object's score is its highest rank over the spaces, because an object
odd in one modality is odd (a microlensing event on an ordinary star is odd only in photometry).

Labels: each object's k nearest *labelled* other objects in the fused space vote with weight
max(cosine similarity, 0) + 1e-6 (so a row of orthogonal neighbours still votes evenly). The vote
gives a predicted label with its share of the weight, and the mislabel score
1 - (share of the weight agreeing with the object's own label). A labelled object never votes for
itself, so its prediction is a leave-one-out k-NN prediction.

Out of distribution: every prediction carries its label distance, the cosine distance (1 - cos) to
the nearest labelled other object. An object is flagged out of distribution for the vote when that
distance exceeds the ``OOD_QUANTILE`` quantile of the labelled objects' own label distances (each
measured leave-one-out, like their votes): by construction at most ceil((n - 1)(1 - OOD_QUANTILE)) of
the n labelled objects are flagged (1 % for large n), and the threshold is fixed by the labels alone.

Every neighbour comes from a faiss index (:mod:`astrodisc.index`), queried in batches: memory and
time grow with N, never N^2 beyond what the index itself costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import faiss
import numpy as np
import pandas as pd
from scipy.stats import rankdata

from astrodisc.index import build_index, search

BATCH = 65_536  # queries per faiss call
WEIGHT_FLOOR = 1e-6
OOD_QUANTILE = 0.99  # label distances above this quantile of the labelled objects' own are out of distribution
OOD_RULE = ("ood = label_distance > threshold; threshold = the {quantile} quantile (numpy linear interpolation) "
            "of the labelled objects' own label_distance, each to its nearest other labelled object")


def mean_knn_distance(vectors: np.ndarray, index: faiss.Index, k: int = 10) -> np.ndarray:
    """(N,) float64 mean cosine distance (1 - similarity) of each row of ``vectors`` (N, D) to its
    k nearest other rows of ``index`` (row i of ``vectors`` is row i of the index). A row whose
    IVF probe found no other row gets +inf (isolated)."""
    out = np.empty(len(vectors), dtype=np.float64)
    for lo in range(0, len(vectors), BATCH):
        rows = np.arange(lo, min(lo + BATCH, len(vectors)))
        scores, _ = search(index, vectors[rows], k, exclude=rows)
        found = np.isfinite(scores).any(axis=1)
        out[rows] = np.inf
        out[rows[found]] = 1.0 - np.nanmean(scores[found], axis=1)
    return out


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """(N,) float64 in [0, 1]: 0 for the smallest value, 1 for the largest, ties share the mean rank."""
    if len(values) < 2:
        return np.zeros(len(values))
    return (rankdata(values, method="average") - 1.0) / (len(values) - 1.0)


def anomaly_ranks(
    spaces: Mapping[str, np.ndarray], indexes: Mapping[str, faiss.Index], k: int = 10
) -> dict[str, np.ndarray]:
    """Per space, the (N,) percentile rank of the mean cosine distance to the k nearest neighbours."""
    return {name: percentile_rank(mean_knn_distance(vectors, indexes[name], k)) for name, vectors in spaces.items()}


def combine_ranks(ranks: Mapping[str, np.ndarray]) -> np.ndarray:
    """(N,) float64 in [0, 1]: the maximum over spaces of per-space ranks (odd in one modality = odd),
    itself re-ranked, so the score reads as a percentile (0.99 = odder than 99 % of the survey)."""
    return percentile_rank(np.max(np.stack(list(ranks.values())), axis=0))


def knn_anomaly_score(
    spaces: Mapping[str, np.ndarray], indexes: Mapping[str, faiss.Index], k: int = 10
) -> np.ndarray:
    """(N,) float64 in [0, 1], higher = more anomalous: :func:`combine_ranks` of :func:`anomaly_ranks`."""
    return combine_ranks(anomaly_ranks(spaces, indexes, k))


@dataclass(frozen=True)
class LabelVote:
    """The k-NN vote of labelled neighbours for N objects."""

    pred_label: np.ndarray  # (N,) object: the label with most weight; None without labelled neighbours
    pred_prob: np.ndarray  # (N,) float64 in [0, 1]: share of the weight for pred_label; NaN likewise
    own_share: np.ndarray  # (N,) float64 in [0, 1]: share for the object's own label; NaN if unlabelled
    #                        (or, for a lone labelled object, without labelled neighbours)
    label_distance: np.ndarray  # (N,) float64 in [0, 2]: cosine distance 1 - cos to the nearest labelled
    #                             other object; NaN without labelled neighbours

    @property
    def mislabel_score(self) -> np.ndarray:
        """(N,) float64 in [0, 1], higher = own label more likely wrong; NaN where unlabelled."""
        return 1.0 - self.own_share


def knn_predict(
    vectors: np.ndarray, labels: np.ndarray, *, k: int = 10, exact_below: int = 100_000, seed: int = 0
) -> LabelVote:
    """Vote of the k nearest labelled other objects for every row of ``vectors`` (N, D) unit norm.

    ``labels`` (N,) holds a class name or a missing value (None/NaN) per row. The neighbours come
    from an index of the labelled rows only (:func:`astrodisc.index.build_index` with
    ``exact_below`` and ``seed``), so a sparsely labelled survey still gets k labelled votes.
    """
    n = len(vectors)
    labelled = ~pd.isna(pd.Series(labels, dtype=object)).to_numpy()
    pred_label = np.full(n, None, dtype=object)
    pred_prob = np.full(n, np.nan)
    own_share = np.full(n, np.nan)
    label_distance = np.full(n, np.nan)
    labelled_rows = np.flatnonzero(labelled)
    if labelled_rows.size == 0:
        return LabelVote(pred_label, pred_prob, own_share, label_distance)
    classes, codes = np.unique(np.asarray(labels, dtype=object)[labelled_rows].astype(str), return_inverse=True)
    own_code = np.full(n, -1, dtype=np.int64)
    own_code[labelled_rows] = codes
    position = np.full(n, -1, dtype=np.int64)  # row of each labelled object inside the labelled index
    position[labelled_rows] = np.arange(labelled_rows.size)
    index = build_index(np.asarray(vectors[labelled_rows]), exact_below=exact_below, seed=seed)
    for lo in range(0, n, BATCH):
        rows = np.arange(lo, min(lo + BATCH, n))
        scores, ids = search(index, vectors[rows], k, exclude=position[rows])
        if ids.shape[1]:  # best first: column 0 is the nearest labelled other object (NaN if none was found)
            label_distance[rows] = 1.0 - scores[:, 0].astype(np.float64)
        valid = ids >= 0
        weights = np.where(valid, np.maximum(np.nan_to_num(scores), 0.0) + WEIGHT_FLOOR, 0.0)
        votes = np.zeros((len(rows), len(classes)))
        np.add.at(votes, (np.repeat(np.arange(len(rows)), ids.shape[1]), codes[np.where(valid, ids, 0)].ravel()),
                  weights.ravel())
        total = votes.sum(axis=1)
        voted = total > 0
        best = np.argmax(votes, axis=1)
        pred_label[rows[voted]] = classes[best[voted]]
        pred_prob[rows[voted]] = votes[voted, best[voted]] / total[voted]
        mine = voted & (own_code[rows] >= 0)
        own_share[rows[mine]] = votes[mine, own_code[rows[mine]]] / total[mine]
    return LabelVote(pred_label, pred_prob, own_share, label_distance)


def ood_threshold(label_distance: np.ndarray, labelled: np.ndarray, quantile: float = OOD_QUANTILE) -> float:
    """The label distance above which an object is out of distribution for the k-NN vote.

    ``label_distance`` (N,) from :func:`knn_predict`, ``labelled`` (N,) bool. Returns the ``quantile`` of the
    labelled objects' own (leave-one-out) label distances, a cosine distance in [0, 2]; NaN when no labelled
    object has another labelled object to measure to (then nothing is flagged). Flag with
    ``label_distance > threshold`` (see ``OOD_RULE``): at most ceil((n - 1)(1 - ``quantile``)) of the n labelled
    objects with a distance exceed it, whatever the unlabelled objects look like.
    """
    own = label_distance[np.asarray(labelled, dtype=bool)]
    own = own[np.isfinite(own)]
    return float(np.quantile(own, quantile)) if own.size else float("nan")
