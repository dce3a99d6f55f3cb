"""The galaxy evaluation's lens scores: the arc measures searched around the predicted early types first, the
arc finder weighed by the red sequence found in the survey's own colours (``data.red_sequence``, a build's
``lens_score``), each score saying what taught it, figures per arc-S/N bin."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from astrodisc.data.red_sequence import LENS_SCORE, lens_score, red_sequence_probability
from astrodisc.eval.galaxies import LENS_SCORE_LABELS, _anomaly, lens_scores


def _colours(label: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """g, r, z magnitudes (and their errors, which are not colours): ellipticals on a red sequence (g - r 0.8,
    r - z 1.0), spirals and irregulars bluer and broader, as on the simulated sky."""
    n = len(label)
    early = label == "elliptical"
    g_r = np.where(early, rng.normal(0.80, 0.05, n), rng.normal(0.55, 0.15, n))
    r_z = np.where(early, rng.normal(1.00, 0.05, n), rng.normal(0.80, 0.15, n))
    r = rng.uniform(16, 19, n)
    return pd.DataFrame({"mag_g": r + g_r, "mag_err_g": 0.01, "mag_r": r, "mag_err_r": 0.01, "mag_z": r - r_z})


def _sky(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2,000 galaxies with colours, 40 lenses (all predicted elliptical) whose arc probability is high only when
    the arc is bright; blue irregulars that the finder also likes (as on the simulated sky)."""
    rng = np.random.default_rng(seed)
    n = 2000
    label = rng.choice(["elliptical", "spiral", "irregular"], n, p=[0.3, 0.5, 0.2])
    lens = np.zeros(n, bool)
    lens[np.flatnonzero(label == "elliptical")[:40]] = True
    snr = np.where(lens, np.exp(rng.uniform(np.log(5), np.log(100), n)), np.nan)
    probability = rng.uniform(0, 0.3, n)
    probability[label == "irregular"] = rng.uniform(0.2, 0.9, (label == "irregular").sum())
    probability[lens] = np.clip(np.log(snr[lens]) / np.log(100), 0, 1)
    catalog = _colours(label, rng).assign(pred_label=label, arc_probability=probability, arc_signal=rng.normal(size=n))
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


def test_the_red_sequence_is_the_early_types_found_without_a_label():
    rng = np.random.default_rng(0)
    label = rng.choice(["elliptical", "spiral", "irregular"], 3000, p=[0.3, 0.5, 0.2])
    catalog = _colours(label, rng)
    red = red_sequence_probability(catalog)
    assert red is not None and roc_auc_score(label == "elliptical", red) > 0.95
    shuffled = red_sequence_probability(  # bands by wavelength; a magnitude system or another band is no colour
        catalog[["mag_z", "mag_err_g", "mag_g", "mag_r"]].assign(mag_system="AB", mag_v=0.0)
    )
    assert shuffled is not None and np.allclose(shuffled, red)
    catalog.loc[5, "mag_z"] = np.nan
    red = red_sequence_probability(catalog)
    assert red is not None and np.isnan(red[5]) and np.isfinite(np.delete(red, 5)).all()
    assert red_sequence_probability(catalog[["mag_r", "mag_err_r"]]) is None  # one band: no colour


def test_the_arc_finder_weighed_by_the_red_sequence_finds_lenses_with_no_survey_label():
    """Weighed by the red sequence of the survey's own colours, the arc finder ranks lenses higher than alone,
    with no label of any kind."""
    catalog, truth = _sky()
    score = lens_score(catalog, catalog["arc_probability"].to_numpy())
    assert score is not None and lens_score(catalog[["mag_r"]], score) is None
    scores = lens_scores(catalog.assign(**{LENS_SCORE: score}))
    result = _anomaly(np.zeros(len(catalog)), np.random.default_rng(1).normal(size=(len(catalog), 5)), truth, scores)
    assert result["arc_finder_red_sequence"]["lens_auroc"] > result["arc_finder"]["lens_auroc"] + 0.05
    assert result["arc_finder_red_sequence"]["trained_on"].endswith("survey labels used: 0")
