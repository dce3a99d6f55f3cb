"""Anomaly hunting that learns what the user finds interesting (after Astronomaly's Protege, Lochner & Bassett
2021).

The queue starts as the anomaly score. Each interest score the user gives (0-5) trains a logistic regression
that predicts interest from everything the build knows about an object (``HuntFeatures``): every embedding
space, the per-space anomaly ranks, and the cutouts' data-quality measurements where the build made them, each
column standardised. The scores are soft targets (interest / 5 is the probability of "interesting", a 3 counts
six tenths towards it), the two sides weighted equally however lopsided the scores are. The ranking blends::

    relevance = BLEND * predicted_interest + (1 - BLEND) * anomaly_rank

once something was scored above 0 (before that, the anomaly rank alone; while nothing was scored 0, random
unscored objects stand for the dull side). The model is refitted after every score, as the Label page
re-ranks after every label. ``more_like`` is the same classifier for "more like these (and not like those)",
over ``likeness_features``: these features and the class the build predicts for each object.

Why this model (chosen on the variable-star surveys of seeds 101 and 102 and the galaxy calibration sky of
seed 7; never on a survey reported as held out): a simulated user reviewing 100 objects one at a time found
84 / 86 of the 100 injected rare stars with it, against 47 / 55 with a Gaussian kernel average of the scores
in the map's embedding (this module's previous model, which cannot learn that one space or one anomaly rank
matters more than another) and 45 / 44 by anomaly rank alone; a random forest on the same features found
65 / 63, on the map embedding alone 67 / 60. C from 0.1 to 10 and blends from 0.7 to the product with the
rank all found 82-86. On the galaxies every model found 5-6 of 159 rare objects from the embedding alone;
with the data-quality columns, 38 (docs/workflow.md).

``simulate_user`` measures it (``astrodisc.eval.hunt`` runs it on a simulated survey's hidden truth).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression

from astrodisc.data.arcs import ARC_PROBABILITY
from astrodisc.data.image_quality import QUALITY_COLUMNS
from astrodisc.data.store import ANOMALY_RANK_PREFIX

BLEND = 0.7  # weight of the predicted interest once it can be fitted
C = 1.0  # inverse L2 strength of the logistic regression on standardised columns
ROW_CHUNK = 65_536  # rows per block when scoring every object
BACKGROUND = 256  # unscored objects standing for "the survey at large" while nothing was scored dull
MIN_EXAMPLES_TO_CHOOSE = 3  # "more like these" chooses its blocks by leaving each example out from this many
LIKENESS_FACTOR = 2.0  # left-out ranks within this factor of the best: the fewer columns win
PREDICTED_CLASS = "predicted class"  # the likeness block of the build's predicted class (one column per class)


def anomaly_rank(anomaly_score: np.ndarray) -> np.ndarray:
    """(N,) the anomaly score as a rank in [0, 1] (1 = most anomalous; ties share their mean rank, missing
    scores rank lowest), so blends do not depend on the score's scale."""
    ranks = rankdata(np.nan_to_num(np.asarray(anomaly_score, float), nan=-np.inf), method="average") - 1.0
    return ranks / max(1, len(ranks) - 1)


@dataclass(frozen=True)
class HuntFeatures:
    """What the interest model reads, as named blocks of (N, d) columns kept as they are (memory maps stay
    memory maps: nothing of size N x all columns is made), with each column's mean and spread over the N
    objects; ``rows`` standardises a few rows, ``linear`` scores every row block by block."""

    blocks: tuple[np.ndarray, ...]
    names: tuple[str, ...]
    means: tuple[np.ndarray, ...]
    scales: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, blocks: Mapping[str, np.ndarray]) -> HuntFeatures:
        """From named (N, d) blocks (missing values as NaN: they become the column's mean)."""
        arrays = [np.asarray(b, np.float32).reshape(len(b), -1) for b in blocks.values()]
        means, scales, counts = [], [], []
        for block in arrays:
            mean = np.zeros(block.shape[1])
            square = np.zeros(block.shape[1])
            count = np.zeros(block.shape[1])
            for lo in range(0, len(block), ROW_CHUNK):
                part = np.asarray(block[lo : lo + ROW_CHUNK], np.float64)
                mean += np.nansum(part, axis=0)
                square += np.nansum(part**2, axis=0)
                count += np.sum(~np.isnan(part), axis=0)
            counts.append(count)
            mean = mean / np.maximum(count, 1)
            spread = np.sqrt(np.maximum(square / np.maximum(count, 1) - mean**2, 0.0))
            means.append(mean)
            scales.append(np.where(spread > 1e-12, spread, 1.0))
        filled = [  # a block with missing values (catalogue columns: small) is copied with the means put in
            np.where(np.isnan(b), m, b).astype(np.float32) if (c < len(b)).any() else b
            for b, m, c in zip(arrays, means, counts, strict=True)
        ]
        return cls(tuple(filled), tuple(blocks), tuple(means), tuple(scales))

    def __len__(self) -> int:
        return len(self.blocks[0])

    def joined(self, other: HuntFeatures) -> HuntFeatures:
        """These blocks and then ``other``'s (nothing copied)."""
        return HuntFeatures(
            self.blocks + other.blocks, self.names + other.names, self.means + other.means, self.scales + other.scales
        )

    def only(self, names: tuple[str, ...]) -> HuntFeatures:
        """The blocks named ``names`` alone (nothing copied)."""
        keep = [i for i, name in enumerate(self.names) if name in names]
        return HuntFeatures(
            tuple(self.blocks[i] for i in keep),
            tuple(self.names[i] for i in keep),
            tuple(self.means[i] for i in keep),
            tuple(self.scales[i] for i in keep),
        )

    @property
    def width(self) -> int:
        return sum(b.shape[1] for b in self.blocks)

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """(n, width) standardised columns of catalogue ``rows`` (a missing value is its column's mean: 0)."""
        blocks = zip(self.blocks, self.means, self.scales, strict=True)
        parts = [(np.asarray(block[rows], np.float64) - mean) / scale for block, mean, scale in blocks]
        return np.concatenate(parts, axis=1)

    def linear(self, coef: np.ndarray, intercept: float) -> np.ndarray:
        """(N,) ``standardised columns @ coef + intercept`` for every row, with the standardisation folded into
        the weights (one pass over each block)."""
        out = np.full(len(self), float(intercept))
        start = 0
        for block, mean, scale in zip(self.blocks, self.means, self.scales, strict=True):
            weights = coef[start : start + block.shape[1]] / scale
            out -= float(mean @ weights)
            start += block.shape[1]
            weights32 = weights.astype(np.float32)
            for lo in range(0, len(block), ROW_CHUNK):
                part = block[lo : lo + ROW_CHUNK]
                out[lo : lo + len(part)] += part @ weights32
        return out


def hunt_features(embeddings: Mapping[str, np.ndarray], catalog: pd.DataFrame) -> HuntFeatures:
    """The interest model's features of an artifact set: each embedding space (N, D), the per-space anomaly
    ranks (``anomaly_<space>`` columns), the data-quality columns the build measured and the arc finder's
    ``arc_probability``, when present."""
    blocks: dict[str, np.ndarray] = {f"embedding {space}": embeddings[space] for space in sorted(embeddings)}
    ranks = [name for name in (f"{ANOMALY_RANK_PREFIX}{space}" for space in sorted(embeddings)) if name in catalog]
    if ranks:
        blocks["anomaly ranks"] = catalog[ranks].to_numpy(np.float32)
    quality = [c for c in QUALITY_COLUMNS if c in catalog and catalog[c].notna().any()]
    if quality:
        blocks["data quality"] = catalog[quality].to_numpy(np.float32)
    if ARC_PROBABILITY in catalog:  # as a logit: the finder's confident end spread out, not squeezed below 1
        probability = np.clip(catalog[ARC_PROBABILITY].to_numpy(np.float64), 1e-6, 1 - 1e-6)
        blocks["arc finder"] = np.log(probability / (1 - probability)).astype(np.float32)[:, None]
    return HuntFeatures.of(blocks)


def likeness_features(hunt: HuntFeatures, catalog: pd.DataFrame) -> HuntFeatures:
    """What "more like these" reads: the interest model's features ``hunt`` (``hunt_features``) and, when the
    build predicted at least two classes (``pred_label``), the ``PREDICTED_CLASS`` block: one 0/1 column per
    class (an object without a prediction: all 0). The examples of a kind are mostly of a few classes (lenses are
    massive early types), which no single other block says."""
    if "pred_label" not in catalog or catalog["pred_label"].nunique() < 2:
        return hunt
    one_hot = pd.get_dummies(catalog["pred_label"].astype("string"), dtype=np.float32).to_numpy()
    return hunt.joined(HuntFeatures.of({PREDICTED_CLASS: one_hot}))


class InterestModel:
    """The interest model of one annotator, kept from call to call: ``update`` refits only when the scores
    changed; ``relevance`` blends its prediction with the anomaly rank. Thread-safe (one model may serve several
    app sessions of one annotator)."""

    def __init__(self, features: HuntFeatures):
        self.features = features
        self.scores: dict[int, float] = {}  # catalogue row -> interest 0-5 the model was fitted on
        self.predicted: np.ndarray | None = None  # (N,) P(interesting), None until something is scored above 0
        self.lock = threading.Lock()
        self._ranked: tuple[np.ndarray, np.ndarray] | None = None  # (anomaly score, its rank) last asked for

    def update(self, scored_rows: np.ndarray, interest: np.ndarray) -> None:
        """Fit on exactly these scores (``interest`` 0-5 of catalogue ``scored_rows``)."""
        wanted = dict(zip(np.asarray(scored_rows, int).tolist(), np.asarray(interest, float).tolist(), strict=True))
        with self.lock:
            if wanted == self.scores:
                return
            self.scores = wanted
            self.predicted = _fit(self.features, np.array(list(wanted), int), np.array(list(wanted.values())))

    def relevance(self, anomaly_score: np.ndarray) -> np.ndarray:
        """(N,) the ranking score for the scores the model was last fitted on (see the module docstring)."""
        anomaly_score = np.asarray(anomaly_score, float)
        if self._ranked is None or not np.array_equal(self._ranked[0], anomaly_score, equal_nan=True):
            self._ranked = (anomaly_score.copy(), anomaly_rank(anomaly_score))  # a sort: kept while the score is
        if self.predicted is None:
            return self._ranked[1].copy()  # the caller's to change (a hunt marks what it reviewed): not the cache
        return BLEND * self.predicted + (1.0 - BLEND) * self._ranked[1]


def _fit(features: HuntFeatures, rows: np.ndarray, interest: np.ndarray) -> np.ndarray | None:
    """(N,) predicted probability of interest from a soft-target logistic regression on ``rows`` scored
    ``interest`` 0-5, each side (interesting, dull) weighted to half the total; None when nothing is of any
    interest. While nothing was scored dull, ``BACKGROUND`` unscored objects drawn at random (seeded) stand for
    the dull side: rare objects are rare, so the survey at large is what "not like these" means."""
    share = np.clip(interest / 5.0, 0.0, 1.0)
    if share.sum() <= 0:
        return None
    if (1.0 - share).sum() <= 0:
        others = np.setdiff1d(np.arange(len(features)), rows)
        drawn = np.random.default_rng(0).choice(others, min(BACKGROUND, len(others)), replace=False)
        rows, share = np.concatenate([rows, np.sort(drawn)]), np.concatenate([share, np.zeros(len(drawn))])
    liked, dull = share.sum(), (1.0 - share).sum()
    x = features.rows(rows)
    weights = np.concatenate([share / liked, (1.0 - share) / dull]) * len(rows) / 2
    keep = weights > 0
    model = LogisticRegression(C=C, max_iter=1000).fit(
        np.concatenate([x, x])[keep], np.repeat([1, 0], len(rows))[keep], sample_weight=weights[keep]
    )
    return 1.0 / (1.0 + np.exp(-features.linear(model.coef_[0], float(model.intercept_[0]))))


def relevance(
    features: HuntFeatures, anomaly_score: np.ndarray, scored_rows: np.ndarray, interest: np.ndarray
) -> np.ndarray:
    """(N,) ranking score from the anomaly score and interest scores 0-5 given to ``scored_rows`` (a model
    fitted afresh); with nothing scored, the anomaly rank."""
    model = InterestModel(features)
    model.update(scored_rows, interest)
    return model.relevance(anomaly_score)


def more_like(features: HuntFeatures, like_rows: ArrayLike, unlike_rows: ArrayLike = ()) -> np.ndarray:
    """(N,) probability that each object is like the objects at ``like_rows`` rather than those at
    ``unlike_rows`` (or, with none given, the survey at large): "more like these" from a click, a selection or
    a label, with the interest model's classifier over the blocks of ``features`` (``likeness_features``) that
    ``likeness_blocks`` chooses. ``like_rows`` must not be empty."""
    like_rows, unlike_rows = np.asarray(like_rows, int), np.setdiff1d(np.asarray(unlike_rows, int), like_rows)
    if not len(like_rows):
        raise ValueError("more_like needs at least one object to be like")
    return likeness(features.only(likeness_blocks(features, like_rows, unlike_rows)), like_rows, unlike_rows)


def likeness_candidates(names: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The block choices "more like these" weighs: every block together, and each block alone — beside the
    ``PREDICTED_CLASS`` block when there is one."""
    others = tuple(name for name in names if name != PREDICTED_CLASS)
    beside = (PREDICTED_CLASS,) if PREDICTED_CLASS in names else ()
    return list(dict.fromkeys([names] + [(name, *beside) for name in others]))  # one block: the same choice once


def left_out_miss(features: HuntFeatures, like_rows: np.ndarray, unlike_rows: np.ndarray) -> np.ndarray:
    """(n,) for each of the n ``like_rows`` left out in turn, the share of the other N - 1 objects ranked above
    it by ``likeness`` fitted on the rest (ties counted half): 0 when it is ranked first."""
    miss = []
    for i, left_out in enumerate(like_rows):
        score = likeness(features, np.delete(like_rows, i), unlike_rows)
        above, tied = np.sum(score > score[left_out]), np.sum(score == score[left_out]) - 1
        miss.append((above + 0.5 * tied) / max(1, len(score) - 1))
    return np.array(miss)


def left_out_summary(miss: np.ndarray, n_objects: int) -> float:
    """The geometric mean of the left-out misses (``left_out_miss``), each floored at 1 / ``n_objects`` (ranked
    first): what ``likeness_blocks`` compares."""
    return float(np.exp(np.mean(np.log(np.maximum(miss, 1.0 / n_objects)))))


def likeness_blocks(features: HuntFeatures, like_rows: np.ndarray, unlike_rows: np.ndarray) -> tuple[str, ...]:
    """Which blocks "more like these" reads (one of ``likeness_candidates``): the one that ranks the examples,
    each left out in turn, highest among all objects (``left_out_miss``, by the geometric mean over the
    examples: an example found near the top counts for more than one found in the bulk, as precision at the top
    is what a hunter reads); among choices within ``LIKENESS_FACTOR`` of the best, which a few examples cannot
    tell apart, the one with the fewest columns. A few examples of a kind that one block sees (lenses: the arc
    finder, among the predicted early types) are otherwise drowned by the columns of blocks that do not see it.
    Needs ``MIN_EXAMPLES_TO_CHOOSE`` examples; with fewer, every block. Chosen on the galaxy skies of seeds 7
    and 8 and the variable stars of seed 101 (choice sets; docs/more_like_choice.py)."""
    if len(like_rows) < MIN_EXAMPLES_TO_CHOOSE or len(features.names) < 2:
        return features.names
    candidates = likeness_candidates(features.names)
    misses = [
        left_out_summary(left_out_miss(features.only(names), like_rows, unlike_rows), len(features))
        for names in candidates
    ]
    close = [i for i, miss in enumerate(misses) if miss <= LIKENESS_FACTOR * min(misses)]
    return candidates[min(close, key=lambda i: (features.only(candidates[i]).width, misses[i]))]


def likeness(features: HuntFeatures, like_rows: np.ndarray, unlike_rows: np.ndarray) -> np.ndarray:
    """(N,) "more like these" over every block of ``features`` (no choice of blocks)."""
    rows = np.concatenate([like_rows, unlike_rows])
    predicted = _fit(features, rows, np.r_[np.full(len(like_rows), 5.0), np.zeros(len(unlike_rows))])
    assert predicted is not None  # at least one object liked
    return predicted


def reasons(
    rows: np.ndarray, anomaly_score: np.ndarray, model: InterestModel, embedding: np.ndarray, names: pd.Series
) -> list[str]:
    """Why each of ``rows`` stands where it does in the learning queue: its anomaly rank among N (1 = most
    anomalous), its predicted interest, and the scored object nearest to it in ``embedding`` (N, D unit rows)
    with the score it was given; ``names`` gives each row's object id."""
    score = np.nan_to_num(np.asarray(anomaly_score, float), nan=-np.inf)
    everything = np.arange(len(score))
    place = {  # 1 + those ahead of it in the anomaly queue (a higher score, or the same and an earlier row)
        int(r): 1 + int(np.count_nonzero((score > score[r]) | ((score == score[r]) & (everything < r))))
        for r in np.asarray(rows, int)
    }
    scored = np.array(list(model.scores), int)
    nearest = (
        scored[np.argmax(np.asarray(embedding[rows], np.float32) @ np.asarray(embedding[scored], np.float32).T, axis=1)]
        if len(scored)
        else None
    )
    out = []
    for i, row in enumerate(np.asarray(rows, int)):
        text = f"anomaly rank {place[row]:,}"
        if model.predicted is not None:
            text += f"; predicted interest {5 * model.predicted[row]:.1f} of 5"
        if nearest is not None:
            text += f"; near {names.iloc[nearest[i]]}, which you scored {model.scores[int(nearest[i])]:g}"
        out.append(text)
    return out


@dataclass(frozen=True)
class HuntResult:
    found_with_retraining: int
    found_without: int
    reviewed: int
    n_interesting: int

    @property
    def gain(self) -> float | None:
        return self.found_with_retraining / self.found_without if self.found_without else None


def simulate_user(
    features: HuntFeatures, anomaly_score: np.ndarray, is_interesting: np.ndarray, budget: int = 100, batch: int = 1
) -> HuntResult:
    """A user reviews ``budget`` objects from the top of the queue, ``batch`` at a time (1: re-ranked after every
    score, as the Label page does), scoring the interesting ones 5 and the rest 0; without learning the queue
    stays the anomaly ranking. Returns how many interesting objects each way found."""
    without = int(is_interesting[np.argsort(-anomaly_rank(anomaly_score), kind="stable")[:budget]].sum())
    model = InterestModel(features)
    reviewed: list[int] = []
    while len(reviewed) < budget:
        scored = np.array(reviewed, dtype=int)
        model.update(scored, np.where(is_interesting[scored], 5, 0))
        score = model.relevance(anomaly_score)
        score[scored] = -np.inf
        reviewed += [int(r) for r in np.argsort(-score, kind="stable")[: min(batch, budget - len(reviewed))]]
    found = int(is_interesting[np.array(reviewed)].sum())
    return HuntResult(found, without, budget, int(is_interesting.sum()))
