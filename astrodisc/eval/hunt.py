"""The ``active_learning`` entry of ``evaluate --json``: the simulated anomaly hunt of
``astrodisc.discover.active_learning`` on an artifact set of a simulated survey, whose injected rare objects (hidden
truth, read only here and by the other evaluation modules) are what the simulated user finds interesting.

    astrodisc hunt --artifacts data/varstars-demo/varstars-clip     # prints the JSON entry
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc.chain.artifacts import load_artifacts
from astrodisc.data.open_store import open_store
from astrodisc.data.truth import read_truth
from astrodisc.discover.active_learning import (
    BLEND,
    HuntFeatures,
    hunt_features,
    likeness_features,
    more_like,
    simulate_user,
)


def interesting_in_truth(truth: pd.DataFrame) -> np.ndarray:
    """(N,) bool: the injected rare objects of either kind of survey (galaxies: ``anomaly`` other than none;
    variable stars: a non-empty ``rare_type``)."""
    column = "anomaly" if "anomaly" in truth.columns else "rare_type"
    values = truth[column].astype(object).to_numpy()
    return np.array([isinstance(v, str) and v not in ("", "none") for v in values])


def active_learning_section(artifacts_dir: Path, is_interesting: np.ndarray) -> dict:
    """The simulated hunt on everything the interest model reads (``active_learning.hunt_features``)."""
    art = load_artifacts(artifacts_dir)
    features = hunt_features(art.embeddings, art.catalog)
    anomaly_score = art.catalog["anomaly_score"].to_numpy(dtype=float)
    result = simulate_user(features, anomaly_score, np.asarray(is_interesting, bool))
    return {
        "features": list(features.names),
        "reviewed": result.reviewed,
        "interesting_in_survey": result.n_interesting,
        "found_with_retraining": result.found_with_retraining,
        "found_without_retraining": result.found_without,
        "gain": result.gain,
        "blend": BLEND,
        "reranked_every": 1,
    }


def hunt_section(artifacts_dir: Path) -> dict:
    """The ``active_learning`` entry of ``evaluate --json`` for the artifact set at ``artifacts_dir`` alone
    (``astrodisc hunt``)."""
    art = load_artifacts(Path(artifacts_dir))
    truth = read_truth(open_store(Path(art.manifest["dataset"]["path"])))
    return active_learning_section(Path(artifacts_dir), interesting_in_truth(truth))


def more_like_figures(
    features: HuntFeatures, members: np.ndarray, examples: int = 5, draws: int = 3, top: int = 50
) -> dict:
    """ "More like these" from ``examples`` objects of one kind (``members``, (N,) bool) drawn at random (seeded,
    ``draws`` times): the share of that kind among the ``top`` objects ``active_learning.more_like`` ranks first,
    the examples left out of the ranking, and the share of the kind's other members found there; ``features``:
    ``active_learning.likeness_features`` of the artifact set."""
    pool = np.flatnonzero(members)
    if len(pool) < examples:
        return {"examples": examples, "draws": 0, "members": int(len(pool))}
    rng = np.random.default_rng(0)
    shares, recalls = [], []
    for _ in range(draws):
        picked = rng.choice(pool, examples, replace=False)
        order = np.argsort(-more_like(features, picked), kind="stable")
        found = int(members[order[~np.isin(order, picked)][:top]].sum())
        shares.append(found / top)
        recalls.append(found / (len(pool) - examples) if len(pool) > examples else 0.0)
    return {
        "examples": examples,
        "draws": draws,
        "members": int(len(pool)),
        f"precision_at_{top}": shares,
        "mean": float(np.mean(shares)),
        f"recall_at_{top}": recalls,  # of the members not drawn: with fewer than top left, precision cannot reach 1
    }


def more_like_kinds(artifacts_dir: Path, kinds: np.ndarray) -> dict:
    """``more_like_figures`` for each injected rare kind (``kinds``: (N,) names, "" or "none" for the rest)."""
    art = load_artifacts(artifacts_dir)
    features = likeness_features(hunt_features(art.embeddings, art.catalog), art.catalog)
    names = sorted({k for k in kinds.tolist() if isinstance(k, str) and k not in ("", "none")})
    return {name: more_like_figures(features, kinds == name) for name in names}
