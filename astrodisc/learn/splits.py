"""Seeded, stratified 80/10/10 splits by object id, and nested label fractions of the training split.

A dataset that ships its own split (an AstroM3 import: an ``objects.parquet`` column ``split`` of train / val /
test, fixed by the release's split seed) is honoured instead: pretraining sees only its train rows and validates
on its val rows (:func:`pretraining_rows`), and the evaluation's one split is the release's
(:func:`evaluation_splits`), so pre-training and fine-tuning use the same seed and the test rows stay unseen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from astrodisc.errors import UserError


@dataclass(frozen=True)
class Split:
    """Row indices of the labelled objects in each part."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


MIN_LABELLED = 10  # labelled objects an 80/10/10 split needs: one in each of validation and test at the least


def is_labelled(labels: np.ndarray) -> np.ndarray:
    """(N,) bool: the label is a value, not None, NaN or pandas' NA."""
    return np.asarray(pd.notna(np.asarray(labels, dtype=object)), dtype=bool)


def split_rows(object_ids: np.ndarray, labels: np.ndarray, seed: int) -> Split:
    """Stratified 80/10/10 split of the labelled rows; the same ids and seed always give the same split.

    Rows are ordered by object id first, so the split depends on ids, not on row order. A UserError if fewer
    than MIN_LABELLED rows carry a label (an imported catalogue without labels cannot be evaluated).
    """
    labelled = np.flatnonzero(is_labelled(labels))
    if len(labelled) < MIN_LABELLED:
        raise UserError(
            f"{len(labelled)} of {len(labels):,} objects carry a label; an evaluation needs at least "
            f"{MIN_LABELLED} labelled objects (give the labels column when importing)"
        )
    labelled = labelled[np.argsort(np.asarray(object_ids)[labelled].astype(str), kind="stable")]
    y = np.asarray(labels)[labelled].astype(str)
    train, rest = train_test_split(labelled, test_size=0.2, stratify=_strata(y), random_state=seed)
    y_rest = np.asarray(labels)[rest].astype(str)
    val, test = train_test_split(rest, test_size=0.5, stratify=_strata(y_rest), random_state=seed)
    return Split(np.sort(train), np.sort(val), np.sort(test))


def own_split(objects: pd.DataFrame) -> pd.Series | None:
    """The dataset's own ``split`` column (train / val / test, lower case), or None if it has none."""
    if "split" not in objects.columns:
        return None
    split = objects["split"].astype("string").str.lower()
    unknown = sorted(set(split.dropna()) - {"train", "val", "test"})
    if unknown:
        raise ValueError(f"split column holds {unknown}: expected train, val or test")
    return split


def pretraining_rows(objects: pd.DataFrame, seed: int, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) row indices for self-supervised pretraining of a dataset of ``len(objects)`` rows.

    With the dataset's own split: its train rows and its val rows (test rows are never seen, labelled or
    not). Otherwise a ``seed``-ed permutation holds out ``val_fraction`` (at least 2 rows) for validation.
    """
    split = own_split(objects)
    if split is not None:
        return np.flatnonzero((split == "train").to_numpy(bool)), np.flatnonzero((split == "val").to_numpy(bool))
    order = np.random.default_rng(seed).permutation(len(objects))
    n_val = max(2, int(val_fraction * len(objects)))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def evaluation_splits(objects: pd.DataFrame, labels: np.ndarray, seeds: int) -> list[Split]:
    """The splits an evaluation averages over: the dataset's own one (its labelled rows), else ``seeds`` seeded
    :func:`split_rows` splits (seeds 0 ... seeds - 1)."""
    split = own_split(objects)
    if split is None:
        return [split_rows(objects["object_id"].to_numpy(), labels, seed) for seed in range(seeds)]
    labelled = is_labelled(labels)
    return [Split(*(np.flatnonzero((split == part).to_numpy(bool) & labelled) for part in ("train", "val", "test")))]


def label_fraction(train: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The first ``fraction`` of a seeded permutation of ``train``: smaller fractions nest in larger ones."""
    order = np.random.default_rng(seed).permutation(train)
    return np.sort(order[: max(1, int(round(fraction * len(train))))])


def _strata(y: np.ndarray) -> np.ndarray | None:
    """Stratify by class when every class has two members to share out (small surveys may not)."""
    return y if np.unique(y, return_counts=True)[1].min() >= 2 else None
