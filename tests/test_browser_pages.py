"""The Search, Subclasses and Model pages' main actions in a real browser (Debian chromium under Playwright),
each checked against the data: an upload's neighbours against the index, a refused upload against the files
on disk, a saved sub-cluster against the label database, the faithfulness shown against the module."""

from __future__ import annotations

import sqlite3
import time

import numpy as np
import pytest
from playwright.sync_api import sync_playwright
from search_data import lightcurve_csv, real_sets
from test_app_search import _files
from test_app_subclasses import split_sim  # noqa: F401 - a fixture this module uses

from astrodisc.app.widgets import NEIGHBOUR_PREFIX
from astrodisc.chain import clusters
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.data.io.uploads import read_lightcurve
from astrodisc.data.varstars import VarStarStore
from astrodisc.discover.query import embed_upload, search_neighbours
from astrodisc.discover.subclasses import class_rows, subclusters_of
from astrodisc.eval.faithfulness import map_faithfulness
from astrodisc.ops.browser import VIEWPORT, launch_chromium, serve, wait_until_idle
from astrodisc.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

SHOTS = PROJECT_ROOT / "test-artifacts"
DEFAULT_K = 10  # the Search page's default number of neighbours


def _open(p, url: str):
    page = launch_chromium(p).new_page(viewport=VIEWPORT)
    page.goto(url)
    return page


def test_upload_a_malformed_then_a_good_light_curve_in_the_browser(tmp_path_factory, tmp_path):
    stars, _ = real_sets(tmp_path_factory)
    artifacts, store = load_artifacts(stars.artifact_dir), VarStarStore(stars.dataset_dir)
    good = lightcurve_csv(store, 7)
    query = embed_upload(read_lightcurve(good, "star.csv"), artifacts, store)
    rows, _ = search_neighbours(artifacts, query, "photometry", DEFAULT_K)
    expected = [str(artifacts.catalog.at[int(r), "object_id"]) for r in rows]
    labels = tmp_path / "labels.sqlite"

    with (
        serve(stars.data_root, SHOTS / "streamlit-search.log", env={"ASTRODISC_LABELS": str(labels)}) as url,
        sync_playwright() as p,
    ):
        page = _open(p, f"{url}/search")
        page.get_by_text("Upload a light curve", exact=True).wait_for(timeout=60_000)
        before = _files(stars.data_root)
        page.locator("input[type=file]").set_input_files(
            {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"hjd,flux\n1,2\n2,3\n"}
        )
        error = page.get_by_text("Not searched: bad.csv has no magnitude column")
        error.wait_for(timeout=60_000)
        wait_until_idle(page)
        page.screenshot(path=SHOTS / "search-bad-upload.png", full_page=True)
        cards_after_bad = page.get_by_text(NEIGHBOUR_PREFIX).count()
        after_bad = _files(stars.data_root)

        page.locator("input[type=file]").set_input_files({"name": "star.csv", "mimeType": "text/csv", "buffer": good})
        page.get_by_text(f"{NEIGHBOUR_PREFIX}{expected[-1]}").wait_for(timeout=60_000)
        shown = [t.removeprefix(NEIGHBOUR_PREFIX).strip() for t in page.get_by_text(NEIGHBOUR_PREFIX).all_inner_texts()]
        assert page.locator("[data-testid='stException']").count() == 0

    assert cards_after_bad == 0 and after_bad == before  # the refused file wrote nothing and found nothing
    assert not labels.exists()
    assert shown == expected and shown[0] == str(store.objects["object_id"].iloc[7])


def test_save_a_sub_cluster_as_a_label_in_the_browser(split_sim, tmp_path):  # noqa: F811 (the fixture is imported by name)
    artifacts = load_artifacts(split_sim.artifact_dir)
    rows = class_rows(artifacts.catalog, "EW")
    found = clusters.subcluster_map(np.asarray(artifacts.cluster_layout[rows]))  # the page's default
    ids = artifacts.catalog["object_id"].astype(str).to_numpy()
    groups = {frozenset(ids[g.rows]) for g in subclusters_of(found, rows)}
    assert len(groups) >= 2
    labels = tmp_path / "labels.sqlite"

    with (
        serve(split_sim.data_root, SHOTS / "streamlit-subclasses.log", env={"ASTRODISC_LABELS": str(labels)}) as url,
        sync_playwright() as p,
    ):
        page = _open(p, f"{url}/subclasses")
        page.get_by_text("Pick a class").wait_for(timeout=60_000)
        page.get_by_label("Class", exact=True).click()
        page.get_by_role("option", name="EW (12 members)").click()
        page.get_by_text("Sub-clusters side by side").wait_for(timeout=120_000)
        page.get_by_label("New label name").fill("EW-b")
        page.get_by_label("Annotator").fill("ana")
        page.keyboard.press("Tab")
        wait_until_idle(page)
        page.get_by_role("button", name="Save sub-cluster as label").click()
        page.get_by_text("Saved the").wait_for(timeout=60_000)
        page.screenshot(path=SHOTS / "subclasses-saved.png", full_page=True)

    with sqlite3.connect(labels) as db:
        saved = db.execute("SELECT object_id, annotator, note FROM labels WHERE label = 'EW-b'").fetchall()
    assert frozenset(r[0] for r in saved) in groups and len(saved) == len({r[0] for r in saved})
    assert {r[1] for r in saved} == {"ana"} and all("sub-clustering" in r[2] for r in saved)


def test_the_model_page_shows_the_faithfulness_of_this_map(tiny_artifacts):
    expected = map_faithfulness(load_artifacts(tiny_artifacts.artifact_dir)).mean
    with serve(tiny_artifacts.data_root, SHOTS / "streamlit-model.log") as url, sync_playwright() as p:
        page = _open(p, f"{url}/model")
        metric = page.locator("[data-testid='stMetric']").filter(has_text="Embedding neighbours kept on the map")
        metric.wait_for(timeout=60_000)
        time.sleep(0.5)
        value = metric.locator("[data-testid='stMetricValue']").inner_text()
        page.screenshot(path=SHOTS / "model-page.png", full_page=True)
        assert page.locator("[data-testid='stException']").count() == 0
    assert value == f"{expected:.1%}"
