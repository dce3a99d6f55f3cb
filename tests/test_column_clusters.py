"""A catalogue's clusters in its columns (astrodisc.chain.column_clusters): variable selection keeps the columns
that hold the groups and leaves out noise, a column that only follows a chosen one, and a column most objects
lack; ICL recovers 2, 3, 5 and 8 groups; one blob is no groups; the simulated LPV subtypes are found in period and
amplitude, and the simulated catalogue has the published properties of its subtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from astrodisc.chain.column_clusters import column_clusters
from astrodisc.chain.subclusters import descriptive_columns
from astrodisc.data.io.catalogs import later_of_a_series
from astrodisc.data.sim.lpv_catalog import MIRA_AMPLITUDE, SUBTYPES, V_LIMIT, simulate_lpv_catalog

PER_GROUP = 120


def _grouped(k: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``k`` groups of PER_GROUP at (6 (i mod 3), 6 (i div 3)) in columns a and b (unit spread); beside them pure
    noise, a column that follows a (a + small noise, no group of its own), and a column holding the groups that
    only a fifth of the objects have."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(k), PER_GROUP)
    n = len(truth)
    a = 6.0 * (truth % 3) + rng.normal(0, 1, n)
    b = 6.0 * (truth // 3) + rng.normal(0, 1, n)
    sparse = np.where(rng.random(n) < 0.2, 6.0 * truth + rng.normal(0, 1, n), np.nan)
    table = pd.DataFrame(
        {"a": a, "b": b, "noise": rng.normal(0, 1, n), "follows_a": 2 * a + rng.normal(0, 0.3, n), "sparse": sparse}
    )
    return table, truth


@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_the_columns_that_hold_the_groups_are_chosen_and_the_groups_recovered(k):
    table, truth = _grouped(k, seed=k)
    found = column_clusters(table, seed=0)
    assert found is not None
    assert set(found.columns) == ({"a"} if k <= 3 else {"a", "b"})  # never noise, follows_a or sparse
    assert found.groups.n_groups == k
    assert adjusted_rand_score(truth, found.groups.labels) > 0.95
    assert all(0.9 < p <= 1 for p in found.groups.persistence)


def test_one_blob_is_no_groups():
    rng = np.random.default_rng(0)
    blob = pd.DataFrame(
        rng.multivariate_normal([0, 0, 0], [[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]], 800), columns=list("xyz")
    )
    assert column_clusters(blob) is None


def test_the_simulated_lpv_subtypes_are_found_in_period_and_amplitude():
    table, subtype = simulate_lpv_catalog(3000, seed=11)
    found = column_clusters(descriptive_columns(table.rename(columns={"RA": "ra", "Dec": "dec"})))
    assert found is not None
    assert set(found.columns) == {"P_1", "A_1"}  # never the apparent magnitudes I and V, nor V-I or P_2
    assert found.groups.n_groups == 3
    assert adjusted_rand_score(subtype, found.groups.labels) > 0.75


def test_the_later_periods_of_a_series_are_left_out_even_when_every_star_lists_them():
    named = ["P_1", "A_1", "P_2", "A_2", "P_3", "V-I", "Per1", "Per2", "R21", "R31", "x2", "col1", "col2", "PC1", "PC2"]
    assert later_of_a_series(named) == [
        "P_2",
        "A_2",
        "P_3",
        "Per2",
    ]  # R21, R31: Fourier ratios; x2 without an x1; col2, PC2: numbered, but not periods or amplitudes
    table, subtype = simulate_lpv_catalog(3000, seed=12, every_period_listed=True)
    assert table[["P_2", "A_2", "P_3", "A_3"]].notna().all().all()
    found = column_clusters(descriptive_columns(table.rename(columns={"RA": "ra", "Dec": "dec"})))
    assert found is not None and set(found.columns) == {"P_1", "A_1"}  # the long secondary periods group too
    assert adjusted_rand_score(subtype, found.groups.labels) > 0.75


def test_the_simulated_lpv_catalogue_has_its_subtypes_published_properties():
    table, subtype = simulate_lpv_catalog(3000, seed=5)
    again, same = simulate_lpv_catalog(3000, seed=5)
    pd.testing.assert_frame_equal(table, again)
    assert (subtype == same).all() and set(subtype) == set(SUBTYPES)
    assert min(np.mean(subtype == s) for s in SUBTYPES) >= 0.09
    amplitude = table["A_1"].to_numpy()
    assert (amplitude[subtype == "Mira"] >= MIRA_AMPLITUDE).all() and (
        amplitude[subtype != "Mira"] < MIRA_AMPLITUDE
    ).all()
    period = table["P_1"].to_numpy()
    assert (
        np.median(period[subtype == "OSARG"])
        < np.median(period[subtype == "SRV"])
        < np.median(period[subtype == "Mira"])
    )
    assert (table["V"].isna() == table["V-I"].isna()).all() and (table["V"].dropna() <= V_LIMIT).all()
    assert 0.05 < table["V"].isna().mean() < 0.6  # the faint red stars have no V
    assert table["P_2"].notna().mean() < 0.9  # a second period for some stars only
