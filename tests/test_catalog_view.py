"""The catalogue object panel: an object's columns with their percentiles, a sub-cluster's medians against all."""

from __future__ import annotations

import numpy as np
import pandas as pd

from astrodisc.app.catalogs import feature_table, group_table


def test_feature_table_gives_values_and_percentiles():
    catalog = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [np.nan, 10.0, 20.0, 30.0]})
    table = feature_table(catalog, ("a", "b"), 1)
    assert table["column"].tolist() == ["a", "b"]
    np.testing.assert_allclose(table["value"], [2.0, 10.0])
    np.testing.assert_allclose(table["percentile"], [50.0, 100 / 3])
    assert np.isnan(feature_table(catalog, ("b",), 0)["percentile"][0])  # missing value: no percentile


def test_group_table_puts_the_distinctive_column_first():
    rng = np.random.default_rng(0)
    catalog = pd.DataFrame({"same": rng.normal(size=100), "shifted": rng.normal(size=100), "flat": np.ones(100)})
    catalog.loc[:9, "shifted"] += 5.0
    table = group_table(catalog, ("same", "shifted", "flat"), np.arange(10))
    assert table["column"].tolist() == ["shifted", "same", "flat"]
    assert table.at[0, "shift"] > 2 and np.isnan(table.at[2, "shift"])
