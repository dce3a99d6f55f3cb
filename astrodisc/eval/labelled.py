"""Evaluation on any labelled set, no hidden truth needed: what a frozen embedding tells apart, against a baseline.

For an imported folder of labelled pictures, an HDF5 set or a catalogue, the labels the user holds are the only
truth there is. On the frozen embedding (the artifact set's own space) and on each baseline's features alike:

- ``probe``: a standardised logistic regression, ``K_FOLDS``-fold stratified cross-validation: accuracy, and the
  one-vs-rest AUC of each class (``auc_<class>``), mean and spread over folds;
- ``precision_at_10``: for each labelled object, the share of its 10 nearest labelled neighbours (cosine, itself
  excluded) that share its label, averaged per class and over all.

Every number is on held-out folds; nothing here is tuned (logistic regression at C = 1, as the other probes).
Example::

    labelled_section(embedding, labels, {"pixel_pca": pixel_pca_features})
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from astrodisc.chain.index import build_index, search
from astrodisc.errors import UserError
from astrodisc.eval.logistic import fit_probe
from astrodisc.eval.protocol import mean_std, unit_rows
from astrodisc.eval.result import SeedSummary
from astrodisc.learn.splits import is_labelled

K_FOLDS = 5
NEIGHBOURS = 10
MIN_PER_CLASS = K_FOLDS  # a class needs a member in every fold


def kfold_probe(features: np.ndarray, labels: np.ndarray, seed: int = 0) -> SeedSummary:
    """Accuracy and per-class one-vs-rest AUC of a standardised logistic regression over stratified folds;
    ``features`` (N, D) and ``labels`` (N,) of labelled objects only."""
    classes = sorted(set(labels))
    runs = []
    for train, test in StratifiedKFold(K_FOLDS, shuffle=True, random_state=seed).split(features, labels):
        probe = fit_probe(features[train], labels[train])
        probability = probe.probability(features[test])
        run = {"accuracy": float(np.mean(probe.classes[probability.argmax(1)] == labels[test]))}
        for cls in classes:
            column = probability[:, list(probe.classes).index(cls)]
            run[f"auc_{cls}"] = float(roc_auc_score(labels[test] == cls, column))
        runs.append(run)
    return mean_std(runs, ("accuracy", *(f"auc_{c}" for c in classes)))


def neighbour_precision(features: np.ndarray, labels: np.ndarray, k: int = NEIGHBOURS) -> dict[str, float]:
    """Mean share of each object's ``k`` nearest neighbours (cosine, itself excluded) with its label: per class
    (the class's members as queries) and ``all``."""
    unit = unit_rows(features)
    _, nearest = search(build_index(unit), unit, k, exclude=np.arange(len(unit)))  # the app's own search
    shares = (labels[nearest] == labels[:, None]).mean(axis=1)
    out = {str(cls): float(shares[labels == cls].mean()) for cls in sorted(set(labels))}
    out["all"] = float(shares.mean())
    return out


def labelled_section(embedding: np.ndarray, labels: np.ndarray, baselines: dict[str, np.ndarray]) -> dict:
    """The ``labelled`` entry of ``evaluate --json``: probe and neighbour precision of ``embedding`` (N, D) and of
    each baseline's (N, D') features, on the labelled rows; a UserError when too few labels to fold."""
    rows = np.flatnonzero(is_labelled(labels))
    y = labels[rows].astype(str)
    names, counts = np.unique(y, return_counts=True)
    if len(names) < 2 or counts.min() < MIN_PER_CLASS:
        raise UserError(
            f"a labelled-set evaluation needs two or more classes of at least {MIN_PER_CLASS} members each; "
            f"the labels are {dict(zip(names.tolist(), counts.tolist(), strict=True))}"
        )
    section: dict = {
        "k_folds": K_FOLDS,
        "n_labelled": int(len(rows)),
        "class_counts": dict(zip(names.tolist(), counts.tolist(), strict=True)),
    }
    for name, features in {"embedding": embedding, **baselines}.items():
        x = np.asarray(features, dtype=np.float64)[rows]
        section[name] = {"probe": kfold_probe(x, y), "precision_at_10": neighbour_precision(x, y)}
    return section
