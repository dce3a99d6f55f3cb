"""The app in a real browser: Debian's chromium driven by Playwright against `streamlit run app.py`.

A real mouse click on a point of the WebGL map must open that object and list exactly the neighbours
``Artifacts.neighbours`` returns; a deep link to the map page (pages/map.py, at /map) as a fresh server's first
request must still run through app.py. Screenshots go to test-artifacts/ (git-ignored).
Never `playwright install`: the browser is /usr/bin/chromium.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from astrodisc import app_state, render
from astrodisc.artifacts import load_artifacts
from astrodisc.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--enable-unsafe-swiftshader"]
SHOTS = PROJECT_ROOT / "test-artifacts"
MIN_GAP_PX = 30.0  # the clicked point's nearest other point is at least this far on screen
DEFAULT_K = 8  # the page's default number of neighbours (fused space)
NEIGHBOUR_TEXT = ".st-key-neighbours [data-testid='stMarkdownContainer'] p"  # the neighbour cards' lines

# Marks the map's plot div (the one whose x axis is "UMAP 1") and returns its axis ranges and plot-area box.
READ_MAP = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')]
    .find(d => d._fullLayout && d._fullLayout.xaxis.title.text === 'UMAP 1');
  if (!gd) return null;
  gd.id = 'astrodisc-map';
  const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
  return {x: gd._fullLayout.xaxis.range, y: gd._fullLayout.yaxis.range,
          box: [box.left, box.top, box.width, box.height]};
}"""
ZOOM_MAP = "([x, y]) => Plotly.relayout(document.getElementById('astrodisc-map'), " \
           "{'xaxis.range': x, 'yaxis.range': y})"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _serve(data_root: Path, log_name: str) -> Iterator[str]:
    """A freshly started `streamlit run app.py` on a free port with ASTRODISC_DATA at ``data_root``; yields its
    URL once healthy (log in test-artifacts/``log_name``) and stops it on exit."""
    port = _free_port()
    SHOTS.mkdir(exist_ok=True)
    log = open(SHOTS / log_name, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=PROJECT_ROOT, env={**os.environ, "ASTRODISC_DATA": str(data_root)},
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                pass
            assert process.poll() is None, (SHOTS / log_name).read_text()
            assert time.monotonic() < deadline, "streamlit did not answer within 30 s"
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def server(tiny_artifacts) -> Iterator[str]:
    """The app served on the fixture for this module's tests; yields its URL."""
    with _serve(tiny_artifacts.data_root, "streamlit.log") as url:
        yield url


@contextmanager
def _map_page(url: str) -> Iterator:
    """A chromium page at ``url`` once the map has been drawn; the browser closes afterwards."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_function(f"({READ_MAP})() !== null", timeout=30_000)
            yield page
        finally:
            browser.close()


def _coloured_pixels(path) -> tuple[int, float]:
    """(pixels with a saturated colour, grey-level variance) of a screenshot: markers are coloured, axes grey."""
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    return int((saturation > 60).sum()), float(rgb.mean(axis=2).var())


def _isolated_row(xy: np.ndarray) -> tuple[int, float]:
    """The point farthest from its nearest neighbour, and that distance (map units)."""
    distance = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    np.fill_diagonal(distance, np.inf)
    nearest = distance.min(axis=1)
    row = int(np.argmax(nearest))
    return row, float(nearest[row])


def _neighbours_shown(page, k: int) -> list[str]:
    """Object ids of the neighbour cards, once ``k`` of them are drawn."""
    page.wait_for_function(
        f"[...document.querySelectorAll(\"{NEIGHBOUR_TEXT}\")]"
        f".filter(e => e.innerText.startsWith('neighbour: ')).length === {k}",
        timeout=30_000)
    return [t.removeprefix("neighbour: ").strip() for t in page.locator(NEIGHBOUR_TEXT).all_inner_texts()
            if t.startswith("neighbour: ")]


def _click_point(page, xy: np.ndarray, row: int, gap: float) -> None:
    """Zoom the map on point ``row`` until its nearest other point (``gap`` map units away) is MIN_GAP_PX away on
    screen, then click it with the mouse."""
    view = page.evaluate(READ_MAP)
    left, top, width, height = view["box"]
    px_per_unit = min(width / np.ptp(view["x"]), height / np.ptp(view["y"]))
    if gap * px_per_unit < MIN_GAP_PX:
        half = 0.5 * np.array([width, height]) * gap / (1.5 * MIN_GAP_PX)
        page.evaluate(ZOOM_MAP, [[xy[row, 0] - half[0], xy[row, 0] + half[0]],
                                 [xy[row, 1] - half[1], xy[row, 1] + half[1]]])
        time.sleep(0.5)
        view = page.evaluate(READ_MAP)
    (x0, x1), (y0, y1) = view["x"], view["y"]
    left, top, width, height = view["box"]
    sx, sy = width / (x1 - x0), height / (y1 - y0)
    gap_px = np.min(np.hypot((np.delete(xy, row, 0)[:, 0] - xy[row, 0]) * sx,
                             (np.delete(xy, row, 0)[:, 1] - xy[row, 1]) * sy))
    assert gap_px >= MIN_GAP_PX, f"no unambiguous point to click (nearest other point {gap_px:.1f} px)"
    click_x = float(left + (xy[row, 0] - x0) * sx)
    click_y = float(top + (y1 - xy[row, 1]) * sy)
    page.mouse.move(click_x, click_y)
    page.mouse.click(click_x, click_y)


def test_deep_link_to_map_page_first_on_a_fresh_server(tiny_artifacts):
    """/map?object=… as the very first request of a fresh server (when Streamlit still treats pages/ as an
    old-style multipage folder) runs the page through app.py: picker, simulated flag, map, the object's
    neighbours, no exception, and the URL keeps its query."""
    artifacts = load_artifacts(tiny_artifacts.artifact_dir)
    catalog = artifacts.catalog
    row = 0
    object_id = str(catalog.at[row, "object_id"])
    with (_serve(tiny_artifacts.data_root, "streamlit-deep-link.log") as url,
          _map_page(f"{url}/map?{app_state.OBJECT_PARAM}={object_id}") as page):
        shown = _neighbours_shown(page, DEFAULT_K)
        page.screenshot(path=SHOTS / "page-deep-link.png")
        picker = page.locator("[data-testid='stSidebar'] input[aria-label='Dataset · model']").input_value()
        caption = page.get_by_text("objects shown").inner_text()
        simulated = page.get_by_text("Simulated data").count()
        exceptions = page.locator("[data-testid='stException']").count()
        final_url = page.url

    assert picker == "tiny-sim · fake-encoder"
    assert caption.startswith(f"{len(catalog)} of {len(catalog)} objects shown")
    assert simulated == 1 and exceptions == 0
    rows, _ = artifacts.neighbours("fused", row, DEFAULT_K)
    assert shown == [str(catalog.at[int(r), "object_id"]) for r in rows]
    assert final_url.endswith(f"?{app_state.OBJECT_PARAM}={object_id}")  # the map is the default page: / or /map


def test_click_on_map_point_opens_it_with_its_neighbours(server, tiny_artifacts):
    artifacts = load_artifacts(tiny_artifacts.artifact_dir)
    catalog = artifacts.catalog
    xy = catalog[["umap_x", "umap_y"]].to_numpy(dtype=float)
    row, gap = _isolated_row(xy)
    object_id = str(catalog.at[row, "object_id"])

    with _map_page(server) as page:
        time.sleep(1.0)  # let WebGL draw the points
        view = page.evaluate(READ_MAP)
        left, top, width, height = view["box"]
        clip = {"x": left, "y": top, "width": width, "height": height}
        page.screenshot(path=SHOTS / "map.png", clip=clip)
        page.screenshot(path=SHOTS / "page-initial.png")
        coloured, variance = _coloured_pixels(SHOTS / "map.png")
        assert coloured > 200 and variance > 10.0, "the WebGL map canvas looks blank"
        _click_point(page, xy, row, gap)

        shown = _neighbours_shown(page, DEFAULT_K)
        time.sleep(1.0)
        page.screenshot(path=SHOTS / "page-clicked.png")
        assert page.locator("[data-testid='stException']").count() == 0
        url = page.url
        view = page.evaluate(READ_MAP)
        left, top, width, height = view["box"]
        page.screenshot(path=SHOTS / "map-clicked.png",
                        clip={"x": left, "y": top, "width": width, "height": height})

    rows, _ = artifacts.neighbours("fused", row, DEFAULT_K)
    assert shown == [str(catalog.at[int(r), "object_id"]) for r in rows]
    assert url.endswith(f"?{app_state.OBJECT_PARAM}={object_id}")
    assert _coloured_pixels(SHOTS / "map-clicked.png")[0] > 200


def test_box_selection_lists_the_objects_inside(server, tiny_artifacts):
    catalog = load_artifacts(tiny_artifacts.artifact_dir).catalog
    x = np.sort(catalog["umap_x"].to_numpy(dtype=float))
    widest = int(np.argmax(np.diff(x)))
    split = 0.5 * (x[widest] + x[widest + 1])  # a vertical line through the widest empty strip of the map
    expected = int((x < split).sum())

    with _map_page(server) as page:
        page.locator("#astrodisc-map").hover()
        page.locator("#astrodisc-map .modebar-btn[data-title='Box Select']").click()
        view = page.evaluate(READ_MAP)
        (x0, x1), _ = view["x"], view["y"]
        left, top, width, height = view["box"]
        split_px = float(left + (split - x0) * width / (x1 - x0))
        page.mouse.move(left + 2, top + 2)
        page.mouse.down()
        page.mouse.move(split_px, top + height - 2, steps=12)
        page.mouse.up()
        caption = page.get_by_text("objects in the box/lasso selection")
        caption.wait_for(timeout=30_000)
        page.screenshot(path=SHOTS / "page-box-selection.png")
        text = caption.inner_text()
        with page.expect_download(timeout=30_000) as download:
            page.locator(".st-key-selection_download_csv button").click()
        exported = pd.read_csv(download.value.path())
        assert page.locator("[data-testid='stException']").count() == 0

    assert text == f"{expected} objects in the box/lasso selection"
    assert 0 < expected < len(catalog)
    inside = catalog.loc[catalog["umap_x"] < split, "object_id"].astype(str)
    assert sorted(exported["object_id"].astype(str)) == sorted(inside)  # exactly the objects in the box


def test_galaxy_set_from_the_picker_click_a_galaxy_and_see_its_look_alikes(tiny_sky):
    """Pick the galaxy set in the sidebar, click a galaxy on the map (drawn with galaxy pictures): its
    neighbour cards are the index's answer without same-sky twins, and each card's picture is that galaxy."""
    from astrodisc.datasets.galaxy_store import DUPLICATE_RADIUS_ARCSEC, GalaxyStore
    from astrodisc.galaxy_rgb import cutout_rgb, resized
    from astrodisc.galaxy_view import CARD_PX

    artifacts = load_artifacts(tiny_sky.artifact_dir)
    catalog = artifacts.catalog
    store = GalaxyStore(tiny_sky.dataset_dir)
    xy = catalog[["umap_x", "umap_y"]].to_numpy(dtype=float)
    row, gap = _isolated_row(xy)
    n = len(catalog)

    with _serve(tiny_sky.data_root, "streamlit-galaxies.log") as url, _map_page(url) as page:
        page.locator("[data-testid='stSidebar'] input[aria-label='Dataset · model']").click()
        page.get_by_role("option", name="tiny-sky · fake-encoder").click()
        page.get_by_text(f"{n} of {n} objects shown").wait_for(timeout=30_000)
        page.wait_for_function(f"({READ_MAP})() !== null", timeout=30_000)
        time.sleep(1.5)  # let WebGL draw the points and the browser the pictures
        view = page.evaluate(READ_MAP)
        left, top, width, height = view["box"]
        page.screenshot(path=SHOTS / "galaxy-map.png", clip={"x": left, "y": top, "width": width, "height": height})
        pictures_drawn = page.locator("#astrodisc-map svg image").count()
        _click_point(page, xy, row, gap)
        shown = _neighbours_shown(page, DEFAULT_K)
        time.sleep(1.0)
        page.screenshot(path=SHOTS / "galaxy-page-clicked.png", full_page=True)
        sources = [img.get_attribute("src") for img in page.locator(".st-key-neighbours img").all()]
        served = [np.asarray(Image.open(io.BytesIO(page.request.get(urljoin(url, src)).body())).convert("RGB"))
                  for src in sources]
        assert page.locator("[data-testid='stException']").count() == 0

    rows, _ = artifacts.neighbours("image", row, DEFAULT_K, min_separation_arcsec=DUPLICATE_RADIUS_ARCSEC)
    ids = [str(catalog.at[int(r), "object_id"]) for r in rows]
    assert shown == ids
    assert pictures_drawn == len(render.thumbnail_rows(catalog, 14))
    assert len(served) == DEFAULT_K
    for object_id, picture in zip(ids, served):
        np.testing.assert_array_equal(picture, resized(cutout_rgb(store.image(object_id), store.imaging), CARD_PX))


def test_a_label_given_in_one_browser_is_seen_in_another_after_a_reload(server, tiny_artifacts):
    """Two people label at once: ana saves an interest score with the keyboard; ben, in another browser
    context, sees it on the same object after a reload, and it is in the database."""
    from astrodisc.label_queue import queue_rows
    from astrodisc.labels import LabelDB

    catalog = load_artifacts(tiny_artifacts.artifact_dir).catalog
    first = str(catalog.at[int(queue_rows(catalog, "anomaly score")[0]), "object_id"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pages = {}
            for name in ("ana", "ben"):
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.goto(f"{server}/label")
                page.locator("[data-testid='stSidebar'] input[aria-label='Annotator']").fill(name)
                page.keyboard.press("Enter")
                page.get_by_text(f"{name} · session").wait_for(timeout=30_000)
                pages[name] = page
            ana, ben = pages["ana"], pages["ben"]
            assert ana.get_by_role("heading", name=first).count() == 1
            ana.locator(".st-key-label_interest").get_by_role("radio", name="4", exact=True).click()
            time.sleep(1.0)
            ana.mouse.click(1000, 40)  # out of any text field, so the key reaches the page
            ana.keyboard.press("s")
            ana.get_by_text("1 labelled by you").wait_for(timeout=30_000)
            ben.reload()
            ben.locator("[data-testid='stSidebar'] input[aria-label='Annotator']").fill("ben")
            ben.keyboard.press("Enter")
            ben.get_by_text("ana: — · interest 4").wait_for(timeout=30_000)
            ben.screenshot(path=SHOTS / "label-second-browser.png")
            seen_by_ben = ben.get_by_role("heading", name=first).count()
        finally:
            browser.close()

    assert seen_by_ben == 1
    stored = LabelDB(tiny_artifacts.data_root / "labels.sqlite").latest("tiny-sim", "ana")
    assert stored[["object_id", "interest"]].values.tolist() == [[first, 4]]


def test_label_import_refuses_a_faulty_table_whole_and_takes_a_good_one(server, tiny_artifacts, tmp_path):
    from astrodisc.labels import LabelDB

    catalog = load_artifacts(tiny_artifacts.artifact_dir).catalog
    ids = catalog["object_id"].astype(str).tolist()
    faulty, good = tmp_path / "faulty.csv", tmp_path / "good.csv"
    pd.DataFrame({"object_id": [ids[5], "NOT-A-STAR"], "label": ["EW", "EW"]}).to_csv(faulty, index=False)
    pd.DataFrame({"object_id": [ids[5], ids[6]], "label": ["EW", None], "interest": [1, 5]}).to_csv(good, index=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server}/label")
            page.locator("[data-testid='stSidebar'] input[aria-label='Annotator']").fill("dee")
            page.keyboard.press("Enter")
            page.get_by_text("dee · session").wait_for(timeout=30_000)
            page.get_by_text("All labels of tiny-sim").click()
            outcomes = []
            for path in (faulty, good):
                page.locator(".st-key-labels_upload input[type='file']").set_input_files(str(path))
                page.locator(".st-key-labels_import button").click()
                message = page.get_by_text("Nothing imported" if path is faulty else "Imported 2 labels")
                message.wait_for(timeout=30_000)
                outcomes.append(message.inner_text())
            page.screenshot(path=SHOTS / "label-import.png", full_page=True)
            assert page.locator("[data-testid='stException']").count() == 0
        finally:
            browser.close()

    assert "1 object ids are not in tiny-sim, e.g. 'NOT-A-STAR'" in outcomes[0]
    stored = LabelDB(tiny_artifacts.data_root / "labels.sqlite").latest("tiny-sim", "dee")
    assert stored[["object_id", "interest"]].values.tolist() == [[ids[5], 1], [ids[6], 5]]
