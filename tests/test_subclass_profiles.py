"""Sub-cluster summaries recover what was put in: the shape of folded sinusoids, the mean of the spectra there
are, two groups of known membership, the colours a catalogue holds; a sub-cluster saved as a label stores
exactly its members."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from astrodisc.chain.clusters import layout, subcluster_map
from astrodisc.data.varstars import WAVELENGTH_GRID, LightCurve
from astrodisc.discover.subclasses import (
    N_PHASE_BINS,
    aligned_phase,
    class_rows,
    class_sizes,
    distributions,
    group_names,
    mean_spectrum,
    median_folded_curve,
    subcluster_labels,
    subcluster_note,
    subclusters_of,
    what_sets_apart,
)
from astrodisc.errors import UserError
from astrodisc.labels.database import LabelDB


def _sinusoid(rng: np.random.Generator, period: float, amplitude: float, epochs: int = 150) -> LightCurve:
    """Irregularly sampled sinusoid [mag] of peak-to-peak ``amplitude`` at a random phase, with 2 % noise."""
    time = np.sort(rng.uniform(2_458_000.0, 2_459_000.0, epochs))
    mag = 14.0 + amplitude / 2 * np.sin(2 * np.pi * (time / period + rng.uniform()))
    err = np.full(epochs, 0.02 * amplitude)
    return LightCurve(time, mag + rng.normal(0, err), err, np.zeros(epochs, np.uint8))


def test_median_folded_curve_of_sinusoids_recovers_their_shape():
    rng = np.random.default_rng(0)
    periods = rng.uniform(0.3, 300.0, 40)
    curves = [_sinusoid(rng, p, a) for p, a in zip(periods, rng.uniform(0.05, 3.0, 40), strict=False)]
    profile = median_folded_curve(curves, list(periods))
    assert profile.phase.shape == profile.median.shape == profile.low.shape == (N_PHASE_BINS,)
    expected = (1 - np.cos(2 * np.pi * profile.phase)) / 2  # 0 at maximum light (phase 0), 1 at minimum
    np.testing.assert_allclose(profile.median, expected, atol=0.08)
    assert np.all(profile.low <= profile.median) and np.all(profile.median <= profile.high)
    assert np.max(profile.high - profile.low) < 0.25  # one shape, whatever the amplitude and period
    assert (profile.n_used, profile.n_skipped) == (40, 0)


def test_members_without_period_or_epochs_are_skipped_and_counted():
    rng = np.random.default_rng(1)
    good = [_sinusoid(rng, 2.0, 0.5) for _ in range(5)]
    sparse = _sinusoid(rng, 2.0, 0.5, epochs=3)
    profile = median_folded_curve(good + [good[0], sparse], [2.0] * 5 + [None, 2.0])
    assert (profile.n_used, profile.n_skipped) == (5, 2)
    assert median_folded_curve([sparse], [2.0]) is None


def test_aligned_phase_puts_maximum_light_at_phase_zero():
    time = np.linspace(0.0, 30.0, 400)
    mag = 12.0 + 0.4 * np.cos(2 * np.pi * (time - 1.3) / 3.0)  # faintest at t = 1.3 (mod 3), brightest at 2.8
    phase = aligned_phase(time, mag, 3.0)
    brightest = phase[np.argmin(mag)]
    assert min(brightest, 1 - brightest) < 0.01


def test_mean_spectrum_ignores_members_without_spectra():
    shape = 1.0 + 0.2 * np.sin(WAVELENGTH_GRID / 150.0)
    flux = np.stack([3.0 * shape, np.full_like(shape, np.nan), 0.5 * shape, np.full_like(shape, np.nan)])
    spectrum = mean_spectrum(flux, WAVELENGTH_GRID)
    assert (spectrum.n_used, spectrum.n_skipped) == (2, 2)
    np.testing.assert_allclose(spectrum.mean, shape / np.median(shape))  # bright and faint alike, NaN rows out
    np.testing.assert_allclose(spectrum.spread, 0.0, atol=1e-12)
    assert spectrum.wavelength.shape == spectrum.spread.shape == WAVELENGTH_GRID.shape
    assert mean_spectrum(flux[[1, 3]], WAVELENGTH_GRID) is None


def test_two_groups_of_known_membership_are_split():
    rng = np.random.default_rng(3)
    truth = np.repeat([0, 1], 40)
    centres = rng.normal(size=(2, 16))
    vectors = centres[truth] + 0.15 * rng.normal(size=(80, 16))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    found = subcluster_map(layout(vectors, seed=0))
    assert found.xy.shape == (80, 2) and found.xy.dtype == np.float32
    assert adjusted_rand_score(truth, found.labels) >= 0.9 and found.n_clusters == 2

    rows = np.arange(100, 180)  # the members' catalogue rows
    groups = subclusters_of(found, rows)
    assert [g.number for g in groups] == [0, 1] and sum(g.size for g in groups) == np.sum(found.labels >= 0)
    for group in groups:
        assert set(group.rows) == set(rows[found.labels == group.number])
        member_probability = found.probabilities[group.rows - 100]
        assert np.all(np.diff(member_probability) <= 0)  # most typical first
    assert set(group_names(found)) <= {"sub-cluster 0", "sub-cluster 1", "noise"}


def test_classes_and_their_rows_skip_unlabelled_objects():
    catalog = pd.DataFrame({"label": pd.array(["M", None, "ROT", "M", None], dtype="string")})
    assert class_sizes(catalog).to_dict() == {"M": 2, "ROT": 1}
    assert class_rows(catalog, "M").tolist() == [0, 3]


def test_distributions_are_the_colours_the_catalogue_holds():
    stars = pd.DataFrame({"j_k": [1.2, 0.9], "bp_rp": [2.0, 1.0], "period": [300.0, 200.0]})
    assert list(distributions(stars, ("V",))) == ["J−K [mag]", "BP−RP [mag]"]
    galaxies = pd.DataFrame(
        {"mag_g": [20.0, 19.0], "mag_r": [19.2, 18.9], "mag_z": [18.5, 18.7], "z_spec": [0.1, None]}
    )
    found = distributions(galaxies, ("g", "r", "z"))
    assert list(found) == ["g−r [mag]", "r−z [mag]", "spectroscopic redshift z"]
    np.testing.assert_allclose(found["g−r [mag]"], [0.8, 0.1])


def test_a_sub_cluster_saved_as_a_label_stores_exactly_its_members(tmp_path):
    db = LabelDB(tmp_path / "labels.sqlite")
    members = ["S-3", "S-7", "S-9"]
    note = subcluster_note("M", "spectra space", 1)
    db.add_many(subcluster_labels("demo", members, "  M-carbon ", "ana", "s1", note, model_version="v2"))
    standing = db.latest("demo")
    assert standing["object_id"].tolist() == members
    assert set(standing["label"]) == {"M-carbon"} and set(standing["model_version"]) == {"v2"}
    assert set(standing["note"]) == {"from sub-clustering: class M, spectra space, sub-cluster 1"}


@pytest.mark.parametrize(
    "name,annotator,problem",
    [
        ("", "ana", "a name"),
        ("   ", "ana", "a name"),
        ("x" * 65, "ana", "at most 64"),
        ("M\ncarbon", "ana", "control characters"),
        ("M-carbon", " ", "annotator"),
    ],
)
def test_a_label_needs_a_proper_name_and_an_annotator(name, annotator, problem):
    with pytest.raises(UserError, match=problem):
        subcluster_labels("demo", ["S-3"], name, annotator, "s1", "note")


def test_what_sets_a_subcluster_apart_is_said_in_the_columns_units():
    """Carbon-rich Miras: redder in J-K by 0.8 mag and 1.4 times the period of the oxygen-rich ones; the position
    and the build's outputs are never offered as a difference."""
    rng = np.random.default_rng(0)
    n = 2000
    carbon = np.arange(n) < 700
    catalog = pd.DataFrame(
        {
            "j_k": rng.normal(1.2, 0.1, n) + 0.8 * carbon,
            "period": 300 * rng.lognormal(0, 0.7, n) * np.where(carbon, 1.4, 1.0),  # [days], heavy-tailed: logged
            "amplitude": rng.normal(3.0, 0.3, n),
            "w1_w2": rng.lognormal(-1.0, 1.0, n),  # a colour, positive and spread wide: still a difference
            "ra": np.where(carbon, 10.0, 200.0),
            "umap_x": np.where(carbon, -5.0, 5.0),
            "name": ["x"] * n,
        }
    )
    catalog.loc[catalog.index[:5], "period"] = np.nan  # a missing value is left out, not compared
    found = what_sets_apart(catalog, np.flatnonzero(carbon), np.flatnonzero(~carbon), top=4)
    assert [d.column for d in found[:2]] == ["j_k", "period"] and {found[2].column, found[3].column} == {
        "amplitude",
        "w1_w2",
    }
    assert found[0].text == "j_k +0.8" and found[0].effect > 3  # in spreads of the whole class
    assert found[1].text.startswith("period ×") and 1.25 <= float(found[1].text.split("×")[1]) <= 1.55
    assert abs(found[2].effect) < 0.5  # the same amplitude on both sides
    assert "×" not in next(d.text for d in found if d.column == "w1_w2")
    assert what_sets_apart(catalog, np.flatnonzero(carbon)[:2], np.flatnonzero(~carbon)) == []  # too few to compare
