"""Seeded, stratified 80/10/10 splits by object id, and nested label fractions of the training split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split


@dataclass(frozen=True)
class Split:
    """Row indices of the labelled objects in each part."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def is_labelled(labels: np.ndarray) -> np.ndarray:
    """(N,) bool: the label is a value, not None, NaN or pandas' NA."""
    return np.asarray(pd.notna(np.asarray(labels, dtype=object)), dtype=bool)


def split_rows(object_ids: np.ndarray, labels: np.ndarray, seed: int) -> Split:
    """Stratified 80/10/10 split of the labelled rows; the same ids and seed always give the same split.

    Rows are ordered by object id first, so the split depends on ids, not on row order.
    """
    labelled = np.flatnonzero(is_labelled(labels))
    labelled = labelled[np.argsort(np.asarray(object_ids)[labelled].astype(str), kind="stable")]
    y = np.asarray(labels)[labelled].astype(str)
    train, rest = train_test_split(labelled, test_size=0.2, stratify=_strata(y), random_state=seed)
    y_rest = np.asarray(labels)[rest].astype(str)
    val, test = train_test_split(rest, test_size=0.5, stratify=_strata(y_rest), random_state=seed)
    return Split(np.sort(train), np.sort(val), np.sort(test))


def label_fraction(train: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The first ``fraction`` of a seeded permutation of ``train``: smaller fractions nest in larger ones."""
    order = np.random.default_rng(seed).permutation(train)
    return np.sort(order[: max(1, int(round(fraction * len(train))))])


def _strata(y: np.ndarray) -> np.ndarray | None:
    """Stratify by class when every class has two members to share out (small surveys may not)."""
    return y if np.unique(y, return_counts=True)[1].min() >= 2 else None
