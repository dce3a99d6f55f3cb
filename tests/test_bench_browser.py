"""The browser figures of the scale bench on the test fixture (astrodisc.ops.bench_browser): the map's first draw
and click → object in headless chromium, where every timed click only ends once the page lists exactly the
index's neighbours of the clicked object."""

from __future__ import annotations

import pytest

from astrodisc.chain.artifacts import load_artifacts
from astrodisc.ops.bench_browser import browser_figures
from astrodisc.ops.click_latency import DEFAULT_K, click_target

pytestmark = pytest.mark.browser


def test_click_targets_are_the_index_neighbours(tiny_artifacts):
    """What a timed click waits for is the index's answer in the map page's default (fused) space."""
    artifacts = load_artifacts(tiny_artifacts.artifact_dir)
    catalog = artifacts.catalog
    for row in (0, 17, len(catalog) - 1):
        rows, _ = artifacts.neighbours("fused", row, DEFAULT_K)
        target = click_target(artifacts, "varstars", row)
        assert target.object_id == catalog.at[row, "object_id"]
        assert target.neighbours == [str(catalog.at[int(r), "object_id"]) for r in rows]


def test_browser_figures_of_the_fixture(tiny_artifacts):
    figures = browser_figures(tiny_artifacts.data_root, clicks=3)

    assert (figures["dataset"], figures["objects"], figures["markers"]) == (
        "tiny-sim",
        tiny_artifacts.n_objects,
        tiny_artifacts.n_objects,
    )
    assert not figures["density_image"] and figures["clicks"] == 3
    assert 0 < figures["first_draw_warm_s"] and 0 < figures["first_draw_cold_s"]
    assert 0 < figures["click_to_neighbours_p50_s"] <= figures["click_to_neighbours_p95_s"]
    assert 0 < figures["click_to_object_p50_s"] <= figures["click_to_object_p95_s"]
    assert figures["click_to_neighbours_p50_s"] <= figures["click_to_object_p50_s"]
    assert figures["server_rss_mb"] > 50 and figures["js_heap_mb"] > 0
