"""Invariants of the simulated variable-star survey."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from astrodisc.data.sim.varstars import CONFUSED_WITH, VarStarSimConfig, simulate_varstars
from astrodisc.data.varstars import CLASSES, METADATA_COLUMNS, VarStarStore


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> VarStarStore:
    return VarStarStore(
        simulate_varstars(VarStarSimConfig(n=1500, seed=3), tmp_path_factory.mktemp("sim") / "s", progress=False)
    )


def test_deterministic_for_a_seed(tmp_path, survey):
    again = VarStarStore(simulate_varstars(VarStarSimConfig(n=1500, seed=3), tmp_path / "again", progress=False))
    pd.testing.assert_frame_equal(survey.objects, again.objects)
    assert np.array_equal(survey.lightcurve_at(17).mag, again.lightcurve_at(17).mag)
    other = VarStarStore(simulate_varstars(VarStarSimConfig(n=50, seed=4), tmp_path / "other", progress=False))
    assert not np.array_equal(other.lightcurve_at(0).mag, survey.lightcurve_at(0).mag)


def test_catalogue_columns_classes_and_missing_values(survey):
    objects = survey.objects
    assert list(objects.columns[:4]) == ["object_id", "ra", "dec", "label"]
    assert set(METADATA_COLUMNS) <= set(objects.columns) and len(METADATA_COLUMNS) == 38
    assert set(objects["label"].dropna()) <= set(CLASSES)
    counts = objects["label"].value_counts()
    assert counts["EW"] > counts["SR"] > counts["RRAB"] > counts["DSCT"]  # AstroM3 imbalance
    assert 0.02 < objects["w3_mag"].isna().mean() < 0.3 and objects["parallax"].isna().mean() < 0.1
    assert objects["ra"].between(0, 360).all() and objects["dec"].between(-90, 90).all()


def test_light_curves_have_survey_cadence(survey):
    lengths = [len(survey.lightcurve_at(i).time) for i in range(200)]
    assert min(lengths) >= 30 and max(lengths) <= 1000 and np.median(lengths) > 100
    lc = survey.lightcurve_at(0)
    assert np.all(np.diff(lc.time) > 0) and 2455900 < lc.time[0] < 2456500  # HJD in 2012
    assert 4 * 365 * 0.7 < lc.time[-1] - lc.time[0] < 6 * 365 + 50
    gaps = np.diff(lc.time)
    assert gaps.max() > 40  # seasonal gap
    assert np.all(lc.mag_err > 0)


def test_hidden_truth_subtypes_wrong_labels_and_rare_objects(survey):
    truth = pd.read_parquet(survey.root / "truth.parquet")
    objects = survey.objects
    assert (truth["object_id"] == objects["object_id"]).all()
    wrong = truth["wrong_label"].to_numpy()
    assert 0.01 < wrong.mean() < 0.035
    labelled_wrong = wrong & objects["label"].notna().to_numpy()
    for true, given in zip(truth["true_class"][labelled_wrong], objects["label"][labelled_wrong], strict=False):
        assert given in CONFUSED_WITH[true]  # neighbouring-class confusions, not uniform flips
    assert set(truth["subclass"][truth["true_class"] == "M"]) == {"M-Orich", "M-Crich"}
    rare = truth["rare_type"] != ""
    assert 3 <= rare.sum() <= 15
    # rare objects carry ordinary labels (or none) at the ordinary rate
    assert objects.loc[rare.to_numpy(), "label"].dropna().isin(CLASSES).all()


def test_carbon_miras_are_redder_and_longer_period(tmp_path):
    store = VarStarStore(simulate_varstars(VarStarSimConfig(n=6000, seed=5), tmp_path / "m", progress=False))
    truth = pd.read_parquet(store.root / "truth.parquet")
    o = store.objects
    c = (truth["subclass"] == "M-Crich").to_numpy()
    orich = (truth["subclass"] == "M-Orich").to_numpy()
    assert o["j_k"][c].median() > o["j_k"][orich].median() + 0.3
    assert truth["true_period"][c].median() > truth["true_period"][orich].median()
    # TiO band at 7054 A deepens the flux drop in O-rich spectra; C2 at 5165 A in C-rich ones
    wl = np.arange(3850.0, 9000.0 + 1e-9, 2.0)

    def depth(rows, head, width):
        f = np.asarray(store.spectra_flux[np.flatnonzero(rows)])
        blue = f[:, (wl > head - width - 20) & (wl < head - width)].mean(1)
        red = f[:, (wl > head + 5) & (wl < head + width)].mean(1)
        return np.median(red / blue)

    assert depth(orich, 7054, 60) < depth(c, 7054, 60)
