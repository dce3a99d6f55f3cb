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


def test_every_page_of_every_set_settles_on_a_first_visit(tiny_sky):
    """The pages benchmark's settle criterion is reached on every page of both kinds (no page waits on a
    button), without an exception; its times go to the benchmark's JSON, not to a test's threshold."""
    from astrodisc.ops.bench_pages import PAGES, page_figures

    figures = page_figures(tiny_sky.data_root, timeout_s=60)
    unsettled = [(f["dataset"], f["page"], f["text"]) for f in figures if f["text"] is not None]
    assert not unsettled, "\n\n".join(map(str, unsettled))
    assert {(f["dataset"], f["page"]) for f in figures} == {
        (s, p or "map") for s in ("tiny-sim", "tiny-sky") for p in PAGES
    }
    assert all(f["exceptions"] == 0 and f["settle_s"] > 0 for f in figures)
