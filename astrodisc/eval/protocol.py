"""What every evaluation shares: a per-cell result cache, mean +- std over seeds, the linear probe, and the
rediscovery of hidden subtypes among the build's sub-clusters."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from astrodisc.base.atomic import save_json
from astrodisc.chain.artifacts import Artifacts
from astrodisc.chain.clusters import find_groups
from astrodisc.eval.logistic import fit_probe
from astrodisc.eval.metrics import ari_and_purity, classification_scores
from astrodisc.eval.result import SeedSummary, Spread


class ResultCache:
    """One JSON file per evaluated cell under ``root/<digest>``, so a rerun resumes where it stopped."""

    def __init__(self, root: Path, digest: str):
        self.root = root / digest

    def stored(self, key: str) -> dict | None:
        """The result kept for ``key``, or None."""
        path = self.root / f"{key}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def put(self, key: str, value: dict) -> None:
        save_json(self.root / f"{key}.json", value)


def cells_digest(paths: list[Path], settings: list) -> str:
    """Digest of the data and weights files (the first 4 MB and the size of each) and of the settings
    that change a cell's result."""
    h = hashlib.sha1()
    for path in paths:
        h.update(path.read_bytes()[: 1 << 22] if path.stat().st_size > 1 << 22 else path.read_bytes())
        h.update(str(path.stat().st_size).encode())
    h.update(json.dumps(settings).encode())
    return h.hexdigest()[:12]


def mean_std(runs: list[dict], keys: tuple[str, ...] = ("accuracy", "macro_f1")) -> SeedSummary:
    """Mean and std over seeds of ``keys`` (plus the first seed's classes and confusion matrix if present)."""
    spreads = {}
    for key in keys:
        values = np.array([r[key] for r in runs], dtype=float)
        spreads[key] = Spread(float(values.mean()), float(values.std()), tuple(values.tolist()))
    if "confusion" not in runs[0]:
        return SeedSummary(spreads)
    confusion = tuple(tuple(int(v) for v in row) for row in runs[0]["confusion"])
    return SeedSummary(spreads, tuple(runs[0]["classes"]), confusion)


def unit_rows(features: np.ndarray) -> np.ndarray:
    """(N, F) ``features`` with every row scaled to unit length (a zero row stays zero)."""
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def linear_probe(features: np.ndarray, labels: np.ndarray, train: np.ndarray, test: np.ndarray) -> dict:
    """Logistic-regression probe (:mod:`astrodisc.eval.logistic`) on frozen features (N, F), standardised on the
    training rows; scores on the test rows."""
    probe = fit_probe(features[train], labels[train])
    return classification_scores(labels[test].astype(str), probe.predict(features[test]))


def rediscovery(art: Artifacts, cls: str, subtypes: np.ndarray) -> dict:
    """How the sub-clusters of catalogue class ``cls`` match the hidden ``subtypes`` (N,) of its members: the
    build's own sub-clusters (the ``subcluster`` column, what the Subclasses page opens on: ``ari``, ``purity``,
    ``n_clusters``), and for each space the same criterion on the members' own layout there (``by_space``: ARI,
    sub-clusters, validity), with ``most_valid_space`` the space of highest validity (label-free)."""
    labels = art.catalog["label"].astype("string").fillna("")
    members = np.flatnonzero((labels == cls).to_numpy(dtype=bool))
    truth = np.asarray(subtypes, dtype=object)[members].astype(str)
    built = art.catalog["subcluster"].to_numpy(object)[members].astype(str)
    out: dict = {**ari_and_purity(truth, built), "n_members": int(len(members)), "n_clusters": len(set(built))}
    by_space = {}
    for space in art.spaces:
        groups, _ = find_groups(np.asarray(art.embeddings[space])[members], seed=0)
        by_space[space] = {
            "ari": ari_and_purity(truth, groups.labels)["ari"],
            "n_clusters": groups.n_groups,
            "validity": groups.validity,
        }
    out["by_space"] = by_space
    out["most_valid_space"] = max(by_space, key=lambda s: by_space[s]["validity"])
    return out
