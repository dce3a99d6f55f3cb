"""The classical baseline: Lomb-Scargle period, amplitude and shape features with gradient boosting."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from astrodisc.eval.metrics import classification_scores
from astrodisc.learn.splits import Split


def evaluate_baseline(
    features: np.ndarray, labels: np.ndarray, split: Split, seed: int, train_rows: np.ndarray | None = None
) -> dict:
    """Gradient boosting on ``features`` (N, F) fitted on the training rows (early stopping on an inner
    10 % hold-out), scored on the test rows. ``train_rows`` overrides ``split.train`` (label fractions)."""
    train = split.train if train_rows is None else train_rows
    model = HistGradientBoostingClassifier(
        max_iter=500,
        learning_rate=0.08,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=20,
        random_state=seed,
    )
    model.fit(features[train], labels[train].astype(str))
    return classification_scores(labels[split.test].astype(str), model.predict(features[split.test]))
