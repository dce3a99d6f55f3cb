"""Agreement between annotators on objects they both labelled: Cohen's kappa per pair, Fleiss' kappa for
more than two, weighted kappa for the ordinal 0-5 interest scores.

Inputs are the standing labels of ``LabelDB.latest`` (one row per object and annotator)::

    agreement(db.latest("varstars-demo"))   # {"pairs": [...], "fleiss_kappa": ..., ...}
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa of an (objects, categories) table of how many raters put each object in each category;
    every object must have the same number of raters (at least two)."""
    counts = np.asarray(counts, dtype=float)
    raters = counts.sum(axis=1)
    if len(counts) == 0 or raters.min() < 2 or not np.all(raters == raters[0]):
        raise ValueError("Fleiss' kappa needs the same number (>= 2) of raters for every object")
    n = raters[0]
    p_category = counts.sum(axis=0) / counts.sum()
    p_object = ((counts * (counts - 1)).sum(axis=1)) / (n * (n - 1))
    expected = float((p_category**2).sum())
    if expected == 1.0:
        return 1.0
    return float((p_object.mean() - expected) / (1.0 - expected))


def _kappa(a: pd.Series, b: pd.Series, weights: str | None = None) -> float | None:
    if len(a) < 2:
        return None
    if a.nunique() == 1 and b.nunique() == 1:  # one category throughout: agreement is total or nil
        return 1.0 if a.iloc[0] == b.iloc[0] else 0.0
    return float(cohen_kappa_score(a, b, weights=weights))


def agreement(latest: pd.DataFrame) -> dict:
    """Cohen's kappa of the class labels and linearly weighted kappa of the interest scores for each pair of
    annotators (over the objects both gave one), and Fleiss' kappa over the objects every annotator labelled
    (when there are more than two annotators). Unsure marks and missing values are left out."""
    classes = latest[latest["label"].notna() & (latest["unsure"] == 0)].pivot(
        index="object_id", columns="annotator", values="label"
    )
    interest = latest[latest["interest"].notna()].pivot(index="object_id", columns="annotator", values="interest")
    annotators = sorted(set(latest["annotator"]))
    pairs = []
    for first, second in combinations(annotators, 2):
        row: dict = {"annotators": [first, second]}
        for name, table, weights in (("class", classes, None), ("interest", interest, "linear")):
            both = table[[first, second]].dropna() if {first, second} <= set(table.columns) else table.iloc[:0]
            row[f"{name}_objects"] = int(len(both))
            row[f"{name}_kappa"] = _kappa(both[first], both[second], weights) if len(both) else None
        pairs.append(row)
    out: dict = {"annotators": annotators, "pairs": pairs}
    if len(annotators) > 2 and set(annotators) <= set(classes.columns):
        everyone = classes[annotators].dropna()
        if len(everyone):
            categories = sorted(set(everyone.to_numpy().ravel()))
            counts = np.stack([(everyone.to_numpy() == c).sum(axis=1) for c in categories], axis=1)
            out["fleiss_kappa"], out["fleiss_objects"] = fleiss_kappa(counts), int(len(everyone))
    return out
