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

Every neighbour comes from a faiss index (:mod:`astrodisc.chain.index`), queried in batches: memory and
time grow with N, never N^2 beyond what the index itself costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import faiss
import numpy as np
import pandas as pd
from scipy.stats import rankdata

from astrodisc.chain.index import build_index, search

BATCH = 65_536  # queries per faiss call
WEIGHT_FLOOR = 1e-6
OOD_QUANTILE = 0.99  # label distances above this quantile of the labelled objects' own are out of distribution
OOD_RULE = (
    "ood = label_distance > threshold; threshold = the {quantile} quantile (numpy linear interpolation) "
    "of the labelled objects' own label_distance, each to its nearest other labelled object"
)


def mean_knn_distance(vectors: np.ndarray, index: faiss.Index, k: int = 10) -> np.ndarray:
    """(N,) float64 mean cosine distance (1 - similarity) of each row of ``vectors`` (N, D) to its
    k nearest other rows of ``index`` (row i of ``vectors`` is row i of the index), ``BATCH`` rows at a time."""
    parts = [knn_distances(vectors[lo:hi], index, np.arange(lo, hi), k) for lo, hi in batches(len(vectors))]
    return np.concatenate(parts) if parts else np.empty(0)


def knn_distances(queries: np.ndarray, index: faiss.Index, rows: np.ndarray, k: int = 10) -> np.ndarray:
    """(Q,) float64 mean cosine distance of each query (Q, D), itself row ``rows[i]`` of ``index``, to its k
    nearest other rows; a query whose IVF probe found no other row gets +inf (isolated). Queries are
    independent: any split of the rows into chunks gives the same distances."""
    scores, _ = search(index, queries, k, exclude=rows)
    found = np.isfinite(scores).any(axis=1)
    out = np.full(len(rows), np.inf)
    out[found] = 1.0 - np.nanmean(scores[found], axis=1)
    return out


def batches(n: int) -> list[tuple[int, int]]:
    """``[(lo, hi), ...]`` of at most ``BATCH`` rows covering 0..n: the chunks of one faiss call each."""
    return [(lo, min(lo + BATCH, n)) for lo in range(0, n, BATCH)]


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


def knn_anomaly_score(spaces: Mapping[str, np.ndarray], indexes: Mapping[str, faiss.Index], k: int = 10) -> np.ndarray:
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

    @classmethod
    def unvoted(cls, n: int) -> LabelVote:
        """The vote of ``n`` objects in a survey without labelled objects: nothing predicted."""
        return cls(np.full(n, None, dtype=object), np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan))

    @classmethod
    def concat(cls, parts: list[LabelVote]) -> LabelVote:
        """The votes of consecutive chunks of rows, as one."""
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))


@dataclass(frozen=True)
class LabelCoding:
    """The labels of N objects as class codes, and the rows of the labelled-only index."""

    classes: np.ndarray  # (C,) str, sorted
    own_code: np.ndarray  # (N,) int64: each object's label as an index into classes, -1 if unlabelled

    @property
    def labelled_rows(self) -> np.ndarray:
        """(L,) int64 rows of the labelled objects, in the order of the labelled index."""
        return np.flatnonzero(self.own_code >= 0)

    @property
    def position(self) -> np.ndarray:
        """(N,) int64 row of each labelled object inside the labelled index, -1 if unlabelled."""
        return np.where(self.own_code >= 0, np.cumsum(self.own_code >= 0) - 1, -1)


def label_coding(labels: np.ndarray) -> LabelCoding:
    """``labels`` (N,) of class names or missing values (None/NaN) as a :class:`LabelCoding`."""
    labelled = ~pd.isna(pd.Series(labels, dtype=object)).to_numpy()
    classes, codes = np.unique(np.asarray(labels, dtype=object)[labelled].astype(str), return_inverse=True)
    own_code = np.full(len(labelled), -1, dtype=np.int64)
    own_code[labelled] = codes
    return LabelCoding(classes, own_code)


def knn_predict(
    vectors: np.ndarray, labels: np.ndarray, *, k: int = 10, exact_below: int = 100_000, seed: int = 0
) -> LabelVote:
    """Vote of the k nearest labelled other objects for every row of ``vectors`` (N, D) unit norm.

    ``labels`` (N,) holds a class name or a missing value (None/NaN) per row. The neighbours come
    from an index of the labelled rows only (:func:`astrodisc.chain.index.build_index` with
    ``exact_below`` and ``seed``), so a sparsely labelled survey still gets k labelled votes.
    """
    coding = label_coding(labels)
    labelled_rows = coding.labelled_rows
    if labelled_rows.size == 0:
        return LabelVote.unvoted(len(vectors))
    index = build_index(np.asarray(vectors[labelled_rows]), exact_below=exact_below, seed=seed)
    position = coding.position
    return LabelVote.concat(
        [
            vote(
                vectors[lo:hi],
                index,
                position[lo:hi],
                coding.own_code[lo:hi],
                coding.own_code[labelled_rows],
                coding.classes,
                k,
            )
            for lo, hi in batches(len(vectors))
        ]
    )


def vote(
    queries: np.ndarray,
    index: faiss.Index,
    exclude: np.ndarray,
    own_code: np.ndarray,
    index_codes: np.ndarray,
    classes: np.ndarray,
    k: int = 10,
) -> LabelVote:
    """The vote for Q objects ``queries`` (Q, D) among the labelled objects of ``index``, whose class codes are
    ``index_codes`` (L,) into ``classes`` (C,). ``exclude`` (Q,): each query's own row in the index (-1 if it
    is unlabelled); ``own_code`` (Q,): its own class code (-1 if unlabelled). Queries are independent."""
    q = len(queries)
    pred_label = np.full(q, None, dtype=object)
    pred_prob, own_share, label_distance = np.full(q, np.nan), np.full(q, np.nan), np.full(q, np.nan)
    scores, ids = search(index, queries, k, exclude=exclude)
    if ids.shape[1]:  # best first: column 0 is the nearest labelled other object (NaN if none was found)
        label_distance = 1.0 - scores[:, 0].astype(np.float64)
    valid = ids >= 0
    weights = np.where(valid, np.maximum(np.nan_to_num(scores), 0.0) + WEIGHT_FLOOR, 0.0)
    votes = np.zeros((q, len(classes)))
    np.add.at(
        votes, (np.repeat(np.arange(q), ids.shape[1]), index_codes[np.where(valid, ids, 0)].ravel()), weights.ravel()
    )
    total = votes.sum(axis=1)
    voted = total > 0
    best = np.argmax(votes, axis=1)
    pred_label[voted] = classes[best[voted]]
    pred_prob[voted] = votes[voted, best[voted]] / total[voted]
    mine = voted & (own_code >= 0)
    own_share[mine] = votes[mine, own_code[mine]] / total[mine]
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
