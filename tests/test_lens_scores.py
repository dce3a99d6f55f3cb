"""The galaxy evaluation's lens scores: the arc measures searched around the predicted early types first, each
score saying what taught it, figures per arc-S/N bin."""

from __future__ import annotations

import numpy as np
import pandas as pd

from astrodisc.eval.galaxies import LENS_SCORE_LABELS, _anomaly, lens_scores


def _sky(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2,000 galaxies, 40 lenses (all predicted elliptical) whose arc probability is high only when the arc is
    bright; blue irregulars that the finder also likes (as on the simulated sky)."""
    rng = np.random.default_rng(seed)
    n = 2000
    label = rng.choice(["elliptical", "spiral", "irregular"], n, p=[0.3, 0.5, 0.2])
    lens = np.zeros(n, bool)
    lens[np.flatnonzero(label == "elliptical")[:40]] = True
    snr = np.where(lens, np.exp(rng.uniform(np.log(5), np.log(100), n)), np.nan)
    probability = rng.uniform(0, 0.3, n)
    probability[label == "irregular"] = rng.uniform(0.2, 0.9, (label == "irregular").sum())
    probability[lens] = np.clip(np.log(snr[lens]) / np.log(100), 0, 1)
    catalog = pd.DataFrame({"pred_label": label, "arc_probability": probability, "arc_signal": rng.normal(size=n)})
    truth = pd.DataFrame({"anomaly": np.where(lens, "lens", "none"), "arc_snr": snr, "label": label})
    return catalog, truth


def test_the_arc_finder_around_predicted_ellipticals_beats_it_alone_and_every_score_says_what_taught_it():
    catalog, truth = _sky()
    scores = lens_scores(catalog)
    assert set(scores) == {"arc_signal_early_types", "arc_finder", "arc_finder_early_types"}
    gated = scores["arc_finder_early_types"]
    early = (catalog["pred_label"] == "elliptical").to_numpy()
    assert gated[early].min() > gated[~early].max()  # the early types first, then the rest
    result = _anomaly(np.zeros(len(catalog)), np.random.default_rng(1).normal(size=(len(catalog), 5)), truth, scores)
    assert result["n_lenses"] == 40
    assert result["arc_finder_early_types"]["lens_auroc"] > result["arc_finder"]["lens_auroc"] + 0.05
    assert result["arc_finder_early_types"]["lens_auroc_snr_30_100"] > 0.95  # bright arcs: found
    assert all(result[name]["trained_on"] == LENS_SCORE_LABELS[name] for name in scores)
    assert lens_scores(catalog.drop(columns=["arc_probability", "arc_signal"])) == {}
