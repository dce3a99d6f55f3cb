"""The order a labeling session walks a catalogue in, and where a returning annotator resumes.

Pure functions over the catalogue (rows = catalogue rows), so the page stays layout only::

    queue = queue_rows(catalog, "anomaly score")
    row = next_row(queue, catalog["object_id"], done={"SIMV-42-0000007"}, skipped=set())
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from astrodisc.active_learning import relevance

LEARNING = "anomaly score, learning from your interest scores"
QUEUE_ORDERS: tuple[str, ...] = (LEARNING, "anomaly score", "least confident prediction", "random", "catalogue order")
RANDOM_SEED = 0  # every annotator gets the same random order, so their labels overlap for agreement


def queue_rows(catalog: pd.DataFrame, order: str, embedding: np.ndarray | None = None,
               scored: pd.DataFrame | None = None) -> np.ndarray:
    """Catalogue rows in the order ``order`` (one of QUEUE_ORDERS): the anomaly score re-ranked by the
    interest scores given so far (``scored``: object_id and interest columns; ``embedding``: (N, D) unit rows
    of the catalogue; see ``active_learning.relevance``), highest anomaly score first, lowest prediction
    probability first, a seeded shuffle shared by all annotators, or the catalogue's own order."""
    rows = catalog.index.to_numpy()
    if order == LEARNING and embedding is not None and "anomaly_score" in catalog:
        given = pd.DataFrame({"object_id": [], "interest": []}) if scored is None else scored
        given = given[given["interest"].notna() & given["object_id"].astype(str).isin(catalog["object_id"].astype(str))]
        row_of = pd.Series(np.arange(len(catalog)), index=catalog["object_id"].astype(str).to_numpy())
        at = row_of[given["object_id"].astype(str)].to_numpy()
        score = relevance(embedding, catalog["anomaly_score"].to_numpy(dtype=float), at,
                          given["interest"].to_numpy(dtype=float))
        return rows[np.argsort(-score, kind="stable")]
    if order == LEARNING:
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


def next_row(queue: np.ndarray, object_ids: pd.Series, done: Collection[str], skipped: Collection[str]) -> int | None:
    """The first row of ``queue`` whose object the annotator has neither labelled (``done``) nor skipped this
    session; None when the queue is through."""
    ids = object_ids.loc[queue].astype(str).to_numpy()
    open_ = ~np.isin(ids, list(done)) & ~np.isin(ids, list(skipped))
    hits = np.flatnonzero(open_)
    return int(queue[hits[0]]) if len(hits) else None
