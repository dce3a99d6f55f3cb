"""Sub-clusters of a class in its catalogue columns (astrodisc.chain.subclusters): the columns with two modes are
found among unimodal ones, the mixture's size by ICL recovers 2, 3, 5 and 8 groups, flat and skewed columns split
nothing, missing values are marginalised (never a group), and the build records per class how it split it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from astrodisc.chain.subclusters import (
    ABSOLUTE_G,
    COLUMNS,
    REDUCED_PROPER_MOTION_G,
    class_subclusters,
    column_modes,
    descriptive_columns,
)

PER_GROUP = 150


def _unimodal(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Columns of one mode each: normal, heavy-tailed positive (read on a log scale), skewed, flat."""
    return {
        "normal": rng.normal(0, 1, n),
        "lognormal": rng.lognormal(0, 1, n),
        "skewed": rng.gamma(2.0, size=n),
        "flat": rng.uniform(0, 1, n),
    }


def _groups(k: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``k`` groups of PER_GROUP, centred at (8 (i mod 2), 8 (i div 2)) in columns a and b (unit spread), beside
    the unimodal columns."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(k), PER_GROUP)
    n = len(truth)
    table = pd.DataFrame(
        {"a": 8.0 * (truth % 2) + rng.normal(0, 1, n), "b": 8.0 * (truth // 2) + rng.normal(0, 1, n)}
        | _unimodal(rng, n)
    )
    return table, truth


@pytest.mark.parametrize("k", [2, 3, 5, 8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_mixture_recovers_2_3_5_and_8_groups_in_the_columns_that_hold_them(k, seed):
    table, truth = _groups(k, seed)
    modes = column_modes(table, seed=seed)
    assert modes is not None
    assert set(modes.columns) == ({"a"} if k == 2 else {"a", "b"})  # never a unimodal column
    assert modes.n_groups == k and len(modes.icl) >= k
    assert adjusted_rand_score(truth, modes.groups.labels) > 0.95
    assert np.bincount(modes.groups.labels).tolist() == sorted(np.bincount(modes.groups.labels), reverse=True)
    assert all(0.9 < p <= 1 for p in modes.groups.persistence)  # well separated: confident members


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unimodal_columns_split_nothing(seed):
    rng = np.random.default_rng(seed)
    assert column_modes(pd.DataFrame(_unimodal(rng, 600)), seed=seed) is None


def test_a_number_of_groups_can_be_fixed_instead_of_chosen():
    table, truth = _groups(3, 0)
    modes = column_modes(table, n_groups=2)
    assert modes is not None and modes.n_groups == 2 and modes.icl == ()
    assert column_modes(table[["normal", "skewed"]], n_groups=2) is None  # still needs a column with two modes


def test_missing_values_are_marginalised_never_a_group():
    table, truth = _groups(2, 0)
    table["c"] = table["a"] + np.random.default_rng(5).normal(0, 0.5, len(table))  # a second view of the split
    no_a = np.arange(len(table)) % 3 == 0
    table.loc[no_a, "a"] = np.nan
    none = np.arange(len(table)) == 7
    table.loc[none, ["a", "c"]] = np.nan
    modes = column_modes(table)
    assert modes is not None and set(modes.columns) == {"a", "c"} and modes.n_groups == 2
    placed = ~none
    assert adjusted_rand_score(truth[placed], modes.groups.labels[placed]) > 0.95  # rows without a, placed by c
    assert modes.groups.probabilities[none].tolist() == [0.0] and modes.groups.labels[none].tolist() == [0]
    assert np.isnan(modes.values[no_a, modes.columns.index("a")]).all()
    assert np.isfinite(modes.xy).all()


def test_descriptive_columns_leave_out_where_how_far_and_how_well_and_add_the_luminosity():
    objects = pd.DataFrame(
        {
            "object_id": ["a", "b", "c"],
            "label": ["M", "M", "M"],
            "ra": [1.0, 2.0, 3.0],
            "dec": [0.0, 1.0, 2.0],
            "period": [300.0, 400.0, 350.0],
            "j_k": [1.2, 2.0, 1.5],
            "phot_g_mean_mag": [10.0, 12.0, 11.0],
            "e_phot_g_mean_mag": [0.01, 0.01, 0.01],
            "k_mag": [5.0, 6.0, 5.5],
            "parallax": [1.0, 0.2, 2.0],
            "parallax_error": [0.1, 0.1, 0.1],
            "parallax_over_error": [10.0, 2.0, 20.0],
            "pm": [10.0, 0.3, 4.0],
            "pmra": [6.0, 0.2, 3.0],
            "pmra_error": [0.1, 0.1, 0.1],
            "anomaly_fused": [0.1, 0.5, 0.9],
            "nObs": [300, 120, 310],  # how often the survey looked, not what the star is
            "cluster": [0, 0, 1],
        }
    )
    table = descriptive_columns(objects)
    assert list(table.columns) == ["period", "j_k", ABSOLUTE_G, REDUCED_PROPER_MOTION_G]
    np.testing.assert_allclose(table[ABSOLUTE_G], [10 + 5 * np.log10(0.01), np.nan, 11 + 5 * np.log10(0.02)])
    np.testing.assert_allclose(table[REDUCED_PROPER_MOTION_G], [10 + 5 + 5, np.nan, 11 + 5 * np.log10(4.0) + 5])
    own = descriptive_columns(objects.assign(**{ABSOLUTE_G: [1.0, 2.0, 3.0]}))  # a catalogue's own column stands
    assert own[ABSOLUTE_G].tolist() == [1.0, 2.0, 3.0] and list(own.columns) == list(table.columns)


def test_the_build_splits_a_class_in_its_columns_or_else_in_its_layout():
    table, truth = _groups(2, 3)
    n = len(table)
    labels = np.array(["A"] * n + ["B"] * n, dtype=object)
    unimodal = pd.DataFrame(_unimodal(np.random.default_rng(4), n)).assign(a=0.0, b=0.0)
    columns = pd.concat([table, unimodal[table.columns]], ignore_index=True)
    rng = np.random.default_rng(6)
    points = np.vstack([rng.normal(0, 1, (n, 8)), rng.normal(0, 0.3, (n, 8)) + 20 * (np.arange(n) % 2)[:, None]])
    frame, split = class_subclusters(points.astype(np.float32), labels, columns, "fused")
    assert {k: split["A"][k] for k in ("basis", "columns", "n_subclusters")} == {
        "basis": COLUMNS,
        "columns": ["a"],
        "n_subclusters": 2,
    }
    assert split["B"]["basis"] == "fused" and split["B"]["n_subclusters"] == 2  # its two groups in the layout
    names = frame["subcluster"].to_numpy(object)
    assert set(names[:n]) == {"A #0", "A #1"} and set(names[n:]) == {"B #0", "B #1"}
    assert adjusted_rand_score(truth, names[:n]) > 0.95
    assert adjusted_rand_score(np.arange(n) % 2, names[n:]) > 0.95
    _, by_layout = class_subclusters(points.astype(np.float32), labels, None, "fused")  # a kind without columns
    assert {s["basis"] for s in by_layout.values()} == {"fused"}
