"""Two catalogue columns against each other (astrodisc.app.column_plot): magnitudes run bright-up, heavy-tailed
columns are offered on a log scale, and only objects with a value on both axes are drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from astrodisc.app import column_plot


@pytest.mark.parametrize(
    ("column", "magnitude"),
    [
        ("mag_r", True),
        ("phot_g_mean_mag", True),
        ("k_mag", True),
        ("e_k_mag", False),
        ("mag_err", False),
        ("j_k", False),
        ("bp_rp", False),
        ("period", False),
        ("abs_mag_g", True),
    ],
)
def test_magnitudes_are_told_from_colours_and_errors(column, magnitude):
    assert column_plot.is_magnitude(column) is magnitude


def test_log_scale_drops_what_has_no_logarithm_and_a_magnitude_axis_is_reversed():
    rng = np.random.default_rng(1)
    catalog = pd.DataFrame(
        {
            "period": np.r_[10 ** rng.normal(0, 1.5, 200), 0.0, -1.0, np.nan],
            "mag_r": rng.normal(17, 1, 203),
            "label": ["A"] * 203,
            "object_id": [f"X-{i}" for i in range(203)],
            "umap_x": rng.normal(size=203),
            "umap_y": rng.normal(size=203),
        }
    )
    positive = catalog.iloc[:200]
    assert column_plot.logged_by_default(positive, "period") and not column_plot.logged_by_default(positive, "mag_r")
    frame, titles = column_plot.plotted(catalog, "period", "mag_r", True, False)
    assert titles == ("log10 period", "mag_r") and list(frame.index) == list(range(200))
    np.testing.assert_allclose(frame[column_plot.X_COLUMN], np.log10(catalog["period"][:200]))
    figure = column_plot.column_figure(frame, "label", titles, "period", "mag_r", meta="m")
    assert figure.layout.yaxis.autorange == "reversed" and figure.layout.xaxis.autorange is True
