"""The link's length bound (astrodisc.app.view_link): a value over MAX_VALUE_CHARS is refused whole, in
microseconds whatever it holds, and every link the app writes for a view stays under the bound."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from astrodisc.app import view_link
from astrodisc.app.view_link import MAX_VALUE_CHARS, MapView, from_query, overlong, overlong_note, to_query

HUGE = 100_000  # the probe's link values [characters]
CLASSES = ["EW", "RRAB", "DSCT", "SR"]
CATALOG = pd.DataFrame({"label": ["EW", "SR", "RRAB"], "amplitude": [0.2, 0.5, 0.9]})


@pytest.mark.parametrize("value", ["x" * HUGE, "[" * HUGE, "a:" * (HUGE // 2), "," * HUGE])
@pytest.mark.parametrize("name", [view_link.RANGE, view_link.SUBSET, view_link.CLASSES, view_link.OBJECT])
def test_a_100_kB_value_is_refused_in_microseconds(name, value):
    params = {view_link.DATASET: ["tiny-sim"], name: [value]}
    started = time.perf_counter()
    refused = overlong(params)
    elapsed = time.perf_counter() - started
    assert refused == {name: HUGE}
    assert elapsed < 1e-3  # a len() per value: microseconds (1 ms leaves room for a busy machine)


def test_a_value_at_the_bound_is_kept_and_one_past_it_refused():
    assert overlong({"object": ["x" * MAX_VALUE_CHARS]}) == {}
    assert overlong({"object": ["x" * (MAX_VALUE_CHARS + 1)]}) == {"object": MAX_VALUE_CHARS + 1}
    assert overlong({"n" * (MAX_VALUE_CHARS + 1): ["1"]}) == {"n" * (MAX_VALUE_CHARS + 1): MAX_VALUE_CHARS + 1}
    assert overlong({"object": ["a", "b" * (MAX_VALUE_CHARS + 1)]}) == {"object": MAX_VALUE_CHARS + 1}  # any value


def test_the_note_is_one_line_naming_each_refused_parameter_shortly():
    note = overlong_note({"range": HUGE, "n" * 500: 500})
    assert "\n" not in note and len(note) < 200
    assert (
        note == f"range ({HUGE:,} characters), {'n' * view_link.SHOWN_NAME_CHARS}… (500 characters): "
        f"longer than {MAX_VALUE_CHARS:,} characters"
    )


def test_from_query_drops_an_overlong_value_with_a_note_before_reading_it():
    view, notes = from_query(
        {view_link.RANGE: "amplitude:0.3:" + "9" * HUGE, view_link.COLOUR: "amplitude"},
        CATALOG,
        CLASSES,
        ["label", "amplitude"],
        ["amplitude"],
    )
    assert view == MapView(colour="amplitude")
    assert notes == [overlong_note({view_link.RANGE: HUGE + len("amplitude:0.3:")})]


def test_the_links_the_app_writes_stay_under_the_bound():
    """The longest value the app writes is ``classes``: a hundred nine-character class names still fit."""
    names = tuple(f"class-{i:03d}" for i in range(100))
    query = to_query(
        MapView(colour="n" * 64, classes=names, range_column="c" * 64, low=-1.2345678e-300, high=np.finfo(float).max)
    )
    assert max(map(len, query.values())) <= MAX_VALUE_CHARS
    assert overlong({name: [value] for name, value in query.items()}) == {}


def test_a_range_keeping_the_objects_without_a_value_round_trips():
    catalog = pd.DataFrame({"label": ["EW", "SR", "RRAB"], "period": [0.3, np.nan, 9.0]})
    view = MapView(range_column="period", low=0.5, high=5.0, keep_missing=True)
    query = to_query(view)
    assert query == {view_link.RANGE: "period:0.5:5:keep-missing"}
    assert from_query(query, catalog, CLASSES, ["label"], ["period"]) == (view, [])
    dropped = to_query(MapView(range_column="period", low=0.5, high=5.0))
    assert from_query(dropped, catalog, CLASSES, ["label"], ["period"])[0].keep_missing is False


def test_a_lasso_travels_as_a_polygon_under_the_bound_and_selects_what_it_encloses():
    angle = np.linspace(0, 2 * np.pi, 5_000, endpoint=False)
    wiggle = np.column_stack([np.cos(angle), np.sin(angle)]) * (1 + 0.5 * np.sin(5 * angle))[:, None] * 123.456
    assert len(view_link.format_polygons([wiggle] * 20)) <= MAX_VALUE_CHARS  # however long the drawn paths
    ell = np.array([[0, 0], [3, 0], [3, 1], [1, 1], [1, 3], [0, 3]], dtype=float)  # an L: concave
    box = view_link.box_polygon([40.0, 10.0], [5.0, -3.0])
    polygons = view_link.parse_polygons(view_link.format_polygons([ell, box]))
    assert polygons is not None
    np.testing.assert_allclose(polygons[0], ell)
    np.testing.assert_allclose(polygons[1], [[10, -3], [40, -3], [40, 5], [10, 5]])
    x, y = np.random.default_rng(0).uniform(-5, 45, (2, 50_000))
    in_ell = (x > 0) & (y > 0) & (((x < 3) & (y < 1)) | ((x < 1) & (y < 3)))
    in_box = (x > 10) & (x < 40) & (y > -3) & (y < 5)
    np.testing.assert_array_equal(view_link.inside_polygons(np.column_stack([x, y]), polygons), in_ell | in_box)


@pytest.mark.parametrize("text", ["1,2;3,4", "1,2;3,x;5,6", "1,2;3,4;5,inf", "", "1,2;3,4;5,6|7,8"])
def test_an_unreadable_lasso_is_none(text):
    assert view_link.parse_polygons(text) is None


def test_zoom_and_panel_read_back_what_was_written_and_drop_the_rest_with_notes():
    zoom = view_link.format_zoom([-1.23456789, 2.5], [0.0, 1e-3])
    assert view_link.parse_zoom(zoom) == ((-1.2346, 2.5), (0.0, 0.001))
    assert view_link.parse_zoom("3:1:0:1") is None and view_link.parse_zoom("1:2:3") is None
    panel = view_link.PanelView("spectra", 12, "Lomb–Scargle", "2P")
    query = view_link.panel_to_query(panel)
    assert query == {"space": "spectra", "k": "12", "period": "lomb-scargle:2P"}
    assert view_link.panel_from_query(query, ["fused", "spectra"], 30, ["P", "2P"]) == (panel, [])
    read, notes = view_link.panel_from_query(
        {"space": "x", "k": "0", "period": "fourier:3P"}, ["fused"], 30, ["P", "2P"]
    )
    assert read == view_link.PanelView() and len(notes) == 3
    assert view_link.parse_group("subcluster:M #0", ["cluster", "subcluster"]) == ("subcluster", "M #0")
    assert view_link.parse_group("label:M", ["cluster", "subcluster"]) is None
