"""Which structures of a simulated galaxy a set of features can tell: bars, rings, arm number, tidal debris.

Each structure is a question asked of one population in the hidden truth (:mod:`astrodisc.data.sim.galaxies`):

- ``bar``, ``inner_ring``, ``outer_ring``: among spirals (discs seen below 75 deg), present or not;
- ``arm_count``: among spirals, 2, 3 or 4 arms (accuracy; the majority count is the floor);
- ``tidal``: among undisturbed ellipticals and discs (mergers left out: their tails are their label), shells or
  a stream present or not.

The answer is the k-fold linear probe of :func:`astrodisc.eval.labelled.kfold_probe` (standardised logistic
regression, 5 stratified folds, C = 1, nothing tuned): ``auc`` (one-vs-rest AUC of "present") and ``accuracy``
per feature set, mean and spread over the folds. The same function scores the frozen embedding in an evaluation
and the raw pixels and catalogue in the simulator's calibration, so the two read alike. Example::

    structure_section({"embedding": x, "pixel_pca": pixel_pca(data)}, read_truth(store))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from astrodisc.eval.labelled import MIN_PER_CLASS, kfold_probe
from astrodisc.eval.protocol import mean_std

PRESENT, ABSENT = "present", "absent"
SPIRAL_FEATURES = ("bar", "inner_ring", "outer_ring")


def _questions(truth: pd.DataFrame) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
    """Per structure: the population's name, its rows (M,) and the answer of each (M,) as strings."""
    label = truth["label"].to_numpy(object)
    spirals = np.flatnonzero(label == "spiral")
    undisturbed = np.flatnonzero(np.isin(label, ["elliptical", "spiral", "edge_on"]) & (truth["anomaly"] == "none"))
    questions = {
        name: ("spiral", spirals, np.where(truth[name].to_numpy(bool)[spirals], PRESENT, ABSENT))
        for name in SPIRAL_FEATURES
    }
    questions["arm_count"] = ("spiral", spirals, truth["arm_count"].to_numpy(int)[spirals].astype(str))
    tidal = truth["tidal"].to_numpy(object)[undisturbed] != "none"
    questions["tidal"] = ("undisturbed elliptical or disc", undisturbed, np.where(tidal, PRESENT, ABSENT))
    return questions


def structure_section(feature_sets: dict[str, np.ndarray], truth: pd.DataFrame) -> dict:
    """The ``structure`` entry of an evaluation or calibration: per structure its population, counts, and for
    each of ``feature_sets`` ((N, D) arrays aligned with ``truth``) the k-fold probe's ``auc`` (binary questions)
    or ``accuracy`` (arm count); a structure with fewer than MIN_PER_CLASS of a class is left out."""
    out: dict = {}
    for name, (population, rows, answers) in _questions(truth).items():
        values, counts = np.unique(answers, return_counts=True)
        if len(values) < 2 or counts.min() < MIN_PER_CLASS:
            continue
        entry: dict = {
            "population": population,
            "n": int(len(rows)),
            "counts": dict(zip(values.tolist(), counts.tolist(), strict=True)),
            "majority": float(counts.max() / counts.sum()),
        }
        for set_name, features in feature_sets.items():
            probe = kfold_probe(np.asarray(features, dtype=np.float64)[rows], answers)
            if PRESENT in values:
                auc = probe.metrics[f"auc_{PRESENT}"]
                entry[set_name] = mean_std([{"auc": a} for a in auc.runs], ("auc",))
            else:
                entry[set_name] = mean_std([{"accuracy": a} for a in probe.metrics["accuracy"].runs], ("accuracy",))
        out[name] = entry
    return out
