"""The order a labeling session walks a catalogue in, and where a returning annotator resumes.

Functions over the catalogue (rows = catalogue rows), so the page stays layout only::

    queue = queue_rows(catalog, "anomaly score")
    row = next_row(queue, catalog["object_id"], done={"SIMV-42-0000007"}, skipped=set())
    step = next_object(db, "varstars-demo", "ana", catalog, "anomaly score")   # what the Label page shows

``next_object`` reads only the annotator's own standing labels (object id and interest) and works on
catalogue rows, so it stays fast with 10^6 labels in the database (``astrodisc bench --parts labels``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from astrodisc.data.red_sequence import LENS_SCORE
from astrodisc.discover.active_learning import HuntFeatures, InterestModel
from astrodisc.labels.database import LabelDB

LEARNING = "anomaly score, learning from your interest scores"
LENS_CANDIDATES = "lens candidates (lens_score)"  # galaxies: the arc finder on the red sequence (data.red_sequence)
QUEUE_ORDERS: tuple[str, ...] = (
    LEARNING,
    "anomaly score",
    LENS_CANDIDATES,
    "least confident prediction",
    "random",
    "catalogue order",
)
RANDOM_SEED = 0  # every annotator gets the same random order, so their labels overlap for agreement
PREVIEW = 10  # objects of the queue shown after the current one


def queue_orders(catalog: pd.DataFrame) -> tuple[str, ...]:
    """The ``QUEUE_ORDERS`` a catalogue can be walked in: the lens candidates only where the build made a
    ``lens_score``."""
    return tuple(order for order in QUEUE_ORDERS if order != LENS_CANDIDATES or LENS_SCORE in catalog)


def queue_rows(
    catalog: pd.DataFrame,
    order: str,
    features: HuntFeatures | None = None,
    scored: pd.DataFrame | None = None,
    model: InterestModel | None = None,
    index: pd.Index | None = None,
) -> np.ndarray:
    """Catalogue rows in the order ``order`` (one of QUEUE_ORDERS): the anomaly score re-ranked by the
    interest scores given so far (``scored``: object_id and interest columns; ``features``: what the interest
    model reads, ``active_learning.hunt_features``), highest anomaly score first, highest ``lens_score`` first
    (without one: the anomaly score), lowest prediction
    probability first, a seeded shuffle shared by all annotators, or the catalogue's own order. A ``model``
    kept between calls refits only when the scores changed; ``index`` is ``catalogue_index(catalog["object_id"])``,
    if kept."""
    if order == LEARNING and scored is not None:
        index = catalogue_index(catalog["object_id"]) if index is None else index
        at = index.get_indexer(_objects(scored["object_id"]))  # -1: not in the catalogue
        return _ordered(catalog, order, features, model, at, scored["interest"].to_numpy(dtype=float))
    return _ordered(catalog, order, features, model, np.array([], int), np.array([]))


def _ordered(
    catalog: pd.DataFrame,
    order: str,
    features: HuntFeatures | None,
    model: InterestModel | None,
    at: np.ndarray,
    interest: np.ndarray,
) -> np.ndarray:
    """``queue_rows`` with the interest scores given as catalogue positions ``at`` (-1: not in the catalogue)
    and their ``interest`` (NaN: no score given)."""
    rows = catalog.index.to_numpy()
    if order == LEARNING and model is not None and features is None:
        features = model.features
    if order == LEARNING and features is not None and "anomaly_score" in catalog:
        scored = (at >= 0) & ~np.isnan(interest)
        model = InterestModel(features) if model is None else model
        model.update(at[scored], interest[scored])
        score = model.relevance(catalog["anomaly_score"].to_numpy(dtype=float))
        return rows[np.argsort(-score, kind="stable")]
    if order == LENS_CANDIDATES and LENS_SCORE in catalog:
        return rows[np.argsort(-catalog[LENS_SCORE].to_numpy(dtype=float), kind="stable")]
    if order in (LEARNING, LENS_CANDIDATES):
        order = "anomaly score"
    if order == "anomaly score" and "anomaly_score" in catalog:
        return rows[np.argsort(-catalog["anomaly_score"].to_numpy(dtype=float), kind="stable")]
    if order == "least confident prediction" and "pred_prob" in catalog:
        return rows[np.argsort(catalog["pred_prob"].fillna(0.0).to_numpy(dtype=float), kind="stable")]
    if order == "random":
        return np.random.default_rng(RANDOM_SEED).permutation(rows)
    if order not in QUEUE_ORDERS:
        raise ValueError(f"unknown queue order {order!r}: one of {', '.join(QUEUE_ORDERS)}")
    return rows


def next_row(
    queue: np.ndarray,
    object_ids: pd.Series,
    done: Collection[str],
    skipped: Collection[str],
    index: pd.Index | None = None,
) -> int | None:
    """The first row of ``queue`` whose object the annotator has neither labelled (``done``) nor skipped this
    session; None when the queue is through. ``index``: ``catalogue_index(object_ids)``, if kept."""
    index = catalogue_index(object_ids) if index is None else index
    found = _open_rows(queue, object_ids, index.get_indexer(np.concatenate([_objects(done), _objects(skipped)])), 1)
    return int(found[0]) if len(found) else None


def _open_rows(queue: np.ndarray, object_ids: pd.Series, passed_at: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` rows of ``queue`` not at the catalogue positions ``passed_at`` (-1s ignored)."""
    passed = np.zeros(len(object_ids), bool)
    passed[passed_at[passed_at >= 0]] = True
    return queue[np.flatnonzero(~passed[object_ids.index.get_indexer(queue)])[:count]]


def _objects(ids: Collection[str]) -> np.ndarray:
    """``ids`` as an object array of str: hash lookups on it run in C (pandas' Arrow-backed strings look up a
    list of values one Python object at a time)."""
    if isinstance(ids, pd.Series):
        text = ids.dtype == object or isinstance(ids.dtype, pd.StringDtype)  # ids from the database are str
        return (ids if text else ids.astype(str)).to_numpy(dtype=object)
    return ids.astype(object) if isinstance(ids, np.ndarray) else np.array(list(ids), dtype=object)


def catalogue_index(object_ids: pd.Series) -> pd.Index:
    """A hash index of the catalogue's object ids (``get_indexer`` gives each id's catalogue position); worth
    keeping while the catalogue is (the app keeps it per artifact set), so a new label costs lookups, not a new
    hash of every id."""
    return pd.Index(_objects(object_ids), dtype=object)


@dataclass(frozen=True)
class NextObject:
    """What the Label page shows next: the catalogue ``row`` (None when the queue is through), the annotator's
    objects labelled so far, the queue's length, and the ``PREVIEW`` rows that follow ``row`` in the queue."""

    row: int | None
    done: int
    queued: int
    upcoming: np.ndarray


def next_object(
    db: LabelDB,
    dataset: str,
    annotator: str,
    catalog: pd.DataFrame,
    order: str,
    features: HuntFeatures | None = None,
    skipped: Collection[str] = (),
    model: InterestModel | None = None,
    index: pd.Index | None = None,
) -> NextObject:
    """The next object of ``annotator``'s queue in ``order`` (see ``queue_rows``), past what they labelled or
    skipped. What the app keeps between labels makes it cheap at scale: ``model``, the learning order's
    interest model, and ``index``, ``catalogue_index(catalog["object_id"])``."""
    index = catalogue_index(catalog["object_id"]) if index is None else index
    mine = db.latest(dataset, annotator, columns=("object_id", "interest"))
    at = index.get_indexer(_objects(mine["object_id"]))  # once, for the learning order and for what is done
    queue = _ordered(catalog, order, features, model, at, mine["interest"].to_numpy(dtype=float))
    passed_at = np.concatenate([at, index.get_indexer(_objects(skipped))])
    rows = _open_rows(queue, catalog["object_id"], passed_at, 1 + PREVIEW)
    return NextObject(int(rows[0]) if len(rows) else None, len(mine), len(queue), rows[1:])
