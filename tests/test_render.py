"""The app's figures: checked through their data, not by eye."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from astrodisc.app import figures as render
from astrodisc.data.period_search import lomb_scargle
from astrodisc.data.varstars import LightCurve


def _lightcurve(n: int = 120, period: float = 0.7, bands: int = 2, seed: int = 0) -> LightCurve:
    rng = np.random.default_rng(seed)
    time = np.sort(rng.uniform(0.0, 300.0, n))
    band = (np.arange(n) % bands).astype(np.uint8)
    mag = 14.0 + 0.5 * band + 0.4 * np.sin(2 * np.pi * time / period) + rng.normal(0, 0.01, n)
    return LightCurve(time, mag.astype(np.float32), np.full(n, 0.02, np.float32), band)


def _catalog(n: int = 40, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.array(["EW", "RRAB", "SR", None], dtype=object)[np.arange(n) % 4]
    return pd.DataFrame(
        {
            "object_id": [f"obj{i:03d}" for i in range(n)],
            "label": labels,
            "cluster": np.where(np.arange(n) % 5 == 0, -1, np.arange(n) % 3),
            "anomaly_score": np.where(np.arange(n) % 7 == 0, np.nan, rng.uniform(0, 1, n)),
            "umap_x": rng.normal(size=n),
            "umap_y": rng.normal(size=n),
        }
    )


def _rows(fig: go.Figure) -> np.ndarray:
    return np.concatenate([np.asarray(t.customdata) for t in fig.data])


def test_raw_lightcurve_reverses_magnitudes_and_keeps_every_epoch_per_band():
    lc = _lightcurve()
    fig = render.lightcurve_figure(lc, ("V", "g"))
    assert fig.layout.yaxis.autorange == "reversed"
    assert [t.name for t in fig.data] == ["V", "g"]
    for b, trace in enumerate(fig.data):
        part = lc.in_band(b)
        np.testing.assert_array_equal(trace.x, part.time)
        np.testing.assert_allclose(trace.y, part.mag)
        np.testing.assert_allclose(trace.error_y.array, part.mag_err)


def test_raw_lightcurve_of_julian_dates_is_drawn_from_a_round_offset():
    lc = _lightcurve(bands=1)
    jd = LightCurve(lc.time + 2_458_123.4, lc.mag, lc.mag_err, lc.band)
    fig = render.lightcurve_figure(jd, ("V",), time_system="HJD")
    np.testing.assert_allclose(np.asarray(fig.data[0].x) + 2_458_000.0, jd.time)
    assert fig.layout.xaxis.title.text == "time [HJD − 2458000, days]"


def test_folded_lightcurve_spans_phase_0_to_2_with_each_epoch_twice():
    lc = _lightcurve(bands=1)
    fig = render.folded_figure(lc, ("V",), 0.7)
    (trace,) = fig.data
    x = np.asarray(trace.x)
    assert len(x) == 2 * len(lc.time)
    assert x.min() >= 0.0 and x.max() < 2.0
    np.testing.assert_allclose(x[len(lc.time) :] - x[: len(lc.time)], 1.0)
    assert tuple(fig.layout.xaxis.range) == (0.0, 2.0)
    assert fig.layout.yaxis.autorange == "reversed"
    # phase 0 is the brightest epoch
    assert x[int(np.argmin(lc.mag))] == 0.0
    # folded on the true period the curve is coherent: neighbours in phase have close magnitudes
    order = np.argsort(x[: len(lc.time)])
    coherent = np.median(np.abs(np.diff(np.asarray(trace.y)[order])))
    wrong = render.folded_figure(lc, ("V",), 0.7 * 1.37).data[0]
    order_w = np.argsort(np.asarray(wrong.x)[: len(lc.time)])
    assert coherent < 0.3 * np.median(np.abs(np.diff(np.asarray(wrong.y)[order_w])))


def test_compact_folded_figure_has_no_error_bars_or_legend():
    fig = render.folded_figure(_lightcurve(), ("V", "g"), 0.7, compact=True, height=110)
    assert fig.layout.showlegend is False and fig.layout.height == 110
    assert all(t.error_y.array is None for t in fig.data)


def test_periodogram_is_an_envelope_that_keeps_the_peak_and_marks_candidates():
    lc = _lightcurve(bands=1)
    search = lomb_scargle(lc.time, lc.mag, lc.mag_err)
    fig = render.periodogram_figure(search, chosen_period=search.best_period)
    trace, *marks = fig.data
    assert len(trace.x) <= render.PERIODOGRAM_POINTS < len(search.frequency)
    assert np.max(trace.y) == pytest.approx(np.max(search.power))
    assert abs(trace.x[int(np.argmax(trace.y))] - 0.7) < 0.01
    assert fig.layout.xaxis.type == "log"
    marked = {m.name.split()[0]: m.x for m in marks}
    assert set(marked) == {"best", "half", "double", "chosen"}
    for name, period in {**search.candidates, "chosen": search.best_period}.items():
        assert marked[name] == pytest.approx((period, period))
    assert marked["half"][0] == pytest.approx(marked["best"][0] / 2)


def test_spectrum_has_flux_line_and_one_sigma_band():
    wave = np.linspace(3850, 9000, 50)
    flux = 1.0 + 0.1 * np.sin(wave / 300)
    err = np.full(50, 0.05)
    fig = render.spectrum_figure(wave, flux, err)
    upper, lower, line = fig.data
    np.testing.assert_allclose(line.y, flux)
    np.testing.assert_allclose(np.asarray(upper.y) - np.asarray(lower.y), 2 * err)
    assert lower.fill == "tonexty"
    assert "Å" in fig.layout.xaxis.title.text


def test_map_categorical_draws_every_object_once_with_row_customdata():
    catalog = _catalog()
    fig = render.map_figure(catalog, "label")
    assert all(isinstance(t, go.Scattergl) for t in fig.data)
    rows = _rows(fig)
    assert sorted(rows.tolist()) == list(range(len(catalog)))
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {"EW", "RRAB", "SR", "unlabelled"}
    for trace in fig.data:  # every point sits at its catalogue row's coordinates
        np.testing.assert_allclose(trace.x, catalog.loc[trace.customdata, "umap_x"])
        np.testing.assert_allclose(trace.y, catalog.loc[trace.customdata, "umap_y"])
    assert by_name["unlabelled"].marker.color == render.MISSING_COLOR


def test_map_cluster_colouring_names_noise():
    fig = render.map_figure(_catalog(), "cluster")
    names = {t.name for t in fig.data}
    assert names == {"noise", "cluster 0", "cluster 1", "cluster 2"}
    assert len(next(t for t in fig.data if t.name == "noise").customdata) == 8  # rows 0, 5, ..., 35


def test_map_continuous_colouring_uses_a_scale_and_greys_missing_values():
    catalog = _catalog()
    fig = render.map_figure(catalog, "anomaly_score")
    scaled, missing = fig.data
    np.testing.assert_allclose(scaled.marker.color, catalog.loc[scaled.customdata, "anomaly_score"])
    assert scaled.marker.showscale is True
    assert sorted(missing.customdata) == [i for i in range(len(catalog)) if i % 7 == 0]


def test_thumbnail_rows_take_the_object_nearest_each_occupied_cells_centre():
    # a 2 x 2 grid over [0, 1]^2: cell (0, 0) holds rows 10 and 11, cell (1, 1) rows 12 and 13, others empty
    catalog = pd.DataFrame({"umap_x": [0.0, 0.2, 1.0, 0.9], "umap_y": [0.0, 0.3, 1.0, 0.7]}, index=[10, 11, 12, 13])
    rows = render.thumbnail_rows(catalog, cells=2)
    assert sorted(rows) == [11, 13]  # (0.2, 0.3) is nearer (0.25, 0.25); (0.9, 0.7) nearer (0.75, 0.75)
    assert render.thumbnail_box(catalog, 2) == pytest.approx((0.45, 0.45))
    many = _catalog(n=400)
    assert len(render.thumbnail_rows(many, 5)) <= 25
    assert set(render.thumbnail_rows(many, 5)) <= set(many.index)


def test_map_thumbnails_are_pictures_under_faint_markers():
    catalog = _catalog()
    shown = catalog[catalog["label"] != "SR"]
    pictures = [(0, "data:image/png;base64,AAAA"), (2, "data:image/png;base64,BBBB")]  # row 2 is filtered out
    fig = render.map_figure(shown, "label", thumbnails=pictures, thumbnail_size=(0.3, 0.2), point_opacity=0.3)
    assert len(fig.layout.images) == 1
    image = fig.layout.images[0]
    assert (image.x, image.y) == (catalog.at[0, "umap_x"], catalog.at[0, "umap_y"])
    assert (image.sizex, image.sizey, image.xref, image.layer) == (0.3, 0.2, "x", "below")
    assert image.source == pictures[0][1]
    assert {t.marker.opacity for t in fig.data} == {0.3}  # pictures show through
    # a click selects a point in plotly too: nothing dims (the page draws its own marks, astrodisc.app.map_marks)
    assert {t.selected.marker.opacity for t in fig.data} == {t.unselected.marker.opacity for t in fig.data} == {0.3}
