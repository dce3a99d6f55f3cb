"""Catalogue columns as an astronomer treats them: log scale for heavy tails, robust scaling, missing as missing."""

from __future__ import annotations

import numpy as np
import pytest

from astrodisc.learn.columns import ColumnScaler, heavy_tailed


def test_positive_heavy_tailed_columns_are_read_on_a_log_scale():
    rng = np.random.default_rng(0)
    period = 10 ** rng.uniform(-0.5, 3, 500)  # days: 0.3 to 1000
    colour = rng.normal(1.2, 0.3, 500)  # J-K: positive, but not heavy-tailed
    parallax = rng.normal(0.5, 1.0, 500)  # negative values: never logged
    assert heavy_tailed(period) and not heavy_tailed(colour) and not heavy_tailed(parallax)
    scaler = ColumnScaler.fit(np.column_stack([period, colour, parallax]))
    assert scaler.log.tolist() == [True, False, False]
    z = scaler.transform(np.column_stack([period, colour, parallax]))[:, 0]
    assert abs(z.mean()) < 1e-6 and z.std() == pytest.approx(1.0, rel=1e-4)  # logged, then standardised
    assert z.max() < 2  # a log-uniform column is uniform once logged: no long tail left


def test_missing_values_are_flagged_not_placed_and_extremes_clipped():
    column = np.random.default_rng(1).normal(0, 1, 1000)
    scaler = ColumnScaler.fit(np.r_[column, np.nan][:, None])  # a missing value does not move the fit
    assert scaler.centre[0] == pytest.approx(column.mean()) and scaler.scale[0] == pytest.approx(column.std())
    x = scaler.transform(np.array([[np.nan], [1e6], [-np.inf]]))
    assert x.tolist() == [[0.0, 1.0], [10.0, 0.0], [0.0, 1.0]]  # missing: 0 and flagged; the extreme clipped


def test_a_saved_scaler_round_trips_and_an_old_one_reads_as_before():
    raw = np.column_stack([10 ** np.linspace(0, 3, 50), np.linspace(-1, 1, 50)])
    scaler = ColumnScaler.fit(raw)
    again = ColumnScaler.from_json(scaler.to_json())
    np.testing.assert_array_equal(again.transform(raw), scaler.transform(raw))
    old = ColumnScaler.from_json({"mean": [1.0, 2.0], "std": [2.0, 4.0]})
    assert old.transform(np.array([[3.0, 2.0]])).tolist() == [[1.0, 0.0, 0.0, 0.0]]
