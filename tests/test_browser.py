"""The app in a real browser: Debian's chromium driven by Playwright against `streamlit run app.py`.

A real mouse click on a point of the WebGL map must open that object and list exactly the neighbours
``Artifacts.neighbours`` returns; a deep link to the map page (pages/map.py, at /map) as a fresh server's first
request must still run through app.py. Screenshots go to test-artifacts/ (git-ignored).
Never `playwright install`: the browser is /usr/bin/chromium.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from astrodisc.app import figures as render
from astrodisc.app import state as app_state
from astrodisc.app import view_link
from astrodisc.app.pages.map import THUMBNAIL_CELLS
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.ops.browser import (
    READ_MAP,
    VIEWPORT,
    click_point,
    launch_chromium,
    map_page,
    neighbours_shown,
    screen_positions,
    serve,
    wait_until_idle,
)
from astrodisc.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

SHOTS = PROJECT_ROOT / "test-artifacts"
DEFAULT_K = 8  # the page's default number of neighbours (fused space)
PANEL_DEFAULTS = {"space": "fused", "k": str(DEFAULT_K), "period": "catalogue:P"}  # an opened object's panel
KEPT = "__astrodiscKept"  # a property set on the map's plot element: still there after a click if not redrawn
# The marks over the map (astrodisc.app.map_marks): kind, catalogue row and screen centre [px] of each.
MARKS = """() => [...document.querySelectorAll('svg.astrodisc-marks .astrodisc-mark')].map(m => {
  const box = m.getBoundingClientRect();
  return {kind: m.classList[1], row: Number(m.dataset.row), at: [box.x + box.width / 2, box.y + box.height / 2]};
})"""


@contextmanager
def _serve(data_root: Path, log_name: str) -> Iterator[str]:
    """The app served on ``data_root``, its log in test-artifacts/``log_name``."""
    with serve(data_root, SHOTS / log_name) as url:
        yield url


@pytest.fixture(scope="module")
def server(tiny_artifacts) -> Iterator[str]:
    """The app served on the fixture for this module's tests; yields its URL."""
    with _serve(tiny_artifacts.data_root, "streamlit.log") as url:
        yield url


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


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


def test_deep_link_to_map_page_first_on_a_fresh_server(tiny_artifacts):
    """/map?object=… as the very first request of a fresh server (when Streamlit still treats pages/ as an
    old-style multipage folder) runs the page through app.py: picker, simulated flag, map, the object's
    neighbours, no exception, and the URL keeps its query."""
    artifacts = load_artifacts(tiny_artifacts.artifact_dir)
    catalog = artifacts.catalog
    row = 0
    object_id = str(catalog.at[row, "object_id"])
    with (
        _serve(tiny_artifacts.data_root, "streamlit-deep-link.log") as url,
        map_page(f"{url}/map?{app_state.OBJECT_PARAM}={object_id}") as page,
    ):
        shown = neighbours_shown(page, DEFAULT_K)
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
    assert urlsplit(final_url).path in ("/", "/map")  # the map is the default page
    # the object's panel writes its choices (here the defaults) into the link
    assert _query(final_url) == {"object": object_id, "dataset": "tiny-sim", "model": "fake-encoder", **PANEL_DEFAULTS}


def test_click_on_map_point_opens_it_with_its_neighbours(server, tiny_artifacts):
    artifacts = load_artifacts(tiny_artifacts.artifact_dir)
    catalog = artifacts.catalog
    xy = catalog[["umap_x", "umap_y"]].to_numpy(dtype=float)
    row, gap = _isolated_row(xy)
    object_id = str(catalog.at[row, "object_id"])

    with map_page(server) as page:
        time.sleep(1.0)  # let WebGL draw the points
        view = page.evaluate(READ_MAP)
        left, top, width, height = view["box"]
        clip = {"x": left, "y": top, "width": width, "height": height}
        page.screenshot(path=SHOTS / "map.png", clip=clip)
        page.screenshot(path=SHOTS / "page-initial.png")
        coloured, variance = _coloured_pixels(SHOTS / "map.png")
        assert coloured > 200 and variance > 10.0, "the WebGL map canvas looks blank"
        page.evaluate(f"() => {{ document.getElementById('astrodisc-map').{KEPT} = true; }}")
        click_point(page, xy, row, gap)

        shown = neighbours_shown(page, DEFAULT_K)
        time.sleep(1.0)
        marks = page.evaluate(MARKS)
        clicked_at = screen_positions(page.evaluate(READ_MAP), xy[[row]])[0]
        kept = page.evaluate(f"() => document.getElementById('astrodisc-map').{KEPT} === true")
        page.screenshot(path=SHOTS / "page-clicked.png")
        assert page.locator("[data-testid='stException']").count() == 0
        url = page.url
        view = page.evaluate(READ_MAP)
        left, top, width, height = view["box"]
        page.screenshot(path=SHOTS / "map-clicked.png", clip={"x": left, "y": top, "width": width, "height": height})

    rows, _ = artifacts.neighbours("fused", row, DEFAULT_K)
    assert shown == [str(catalog.at[int(r), "object_id"]) for r in rows]
    query = _query(url)
    zoom = view_link.parse_zoom(query.pop("zoom"))  # the zoom the click needed is in the link
    assert zoom is not None and np.allclose(zoom, (view["x"], view["y"]), rtol=1e-4, atol=1e-4)
    assert query == {"object": object_id, "dataset": "tiny-sim", "model": "fake-encoder", **PANEL_DEFAULTS}
    assert _coloured_pixels(SHOTS / "map-clicked.png")[0] > 200
    # the map was not redrawn (same chart, zoom kept); the star sits on the clicked point, rings on its neighbours
    assert kept
    (star,) = [m for m in marks if m["kind"] == "selected"]
    assert star["row"] == row and np.hypot(*(np.array(star["at"]) - clicked_at)) < 2.0
    assert {m["row"] for m in marks if m["kind"] == "neighbour"} <= {int(r) for r in rows}


def test_box_selection_lists_the_objects_inside(server, tiny_artifacts):
    catalog = load_artifacts(tiny_artifacts.artifact_dir).catalog
    x = np.sort(catalog["umap_x"].to_numpy(dtype=float))
    widest = int(np.argmax(np.diff(x)))
    split = 0.5 * (x[widest] + x[widest + 1])  # a vertical line through the widest empty strip of the map
    expected = int((x < split).sum())

    with map_page(server) as page:
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
    from astrodisc.app.galaxies import CARD_PX
    from astrodisc.app.galaxy_rgb import cutout_rgb, resized
    from astrodisc.data.galaxies import DUPLICATE_RADIUS_ARCSEC, GalaxyStore

    artifacts = load_artifacts(tiny_sky.artifact_dir)
    catalog = artifacts.catalog
    store = GalaxyStore(tiny_sky.dataset_dir)
    xy = catalog[["umap_x", "umap_y"]].to_numpy(dtype=float)
    row, gap = _isolated_row(xy)
    n = len(catalog)

    with _serve(tiny_sky.data_root, "streamlit-galaxies.log") as url, map_page(url) as page:
        page.locator("[data-testid='stSidebar'] input[aria-label='Dataset · model']").click()
        page.get_by_role("option", name="tiny-sky · fake-encoder").click()
        page.get_by_text(f"{n} of {n} objects shown").wait_for(timeout=30_000)
        page.wait_for_function(f"({READ_MAP})() !== null", timeout=30_000)
        time.sleep(1.5)  # let WebGL draw the points and the browser the pictures
        view = page.evaluate(READ_MAP)
        left, top, width, height = view["box"]
        page.screenshot(path=SHOTS / "galaxy-map.png", clip={"x": left, "y": top, "width": width, "height": height})
        pictures_drawn = page.locator("#astrodisc-map svg image").count()
        click_point(page, xy, row, gap)
        shown = neighbours_shown(page, DEFAULT_K)
        time.sleep(1.0)
        page.screenshot(path=SHOTS / "galaxy-page-clicked.png", full_page=True)
        sources = [img.get_attribute("src") for img in page.locator(".st-key-neighbours img").all()]
        served = [
            np.asarray(Image.open(io.BytesIO(page.request.get(urljoin(url, src)).body())).convert("RGB"))
            for src in sources
        ]
        assert page.locator("[data-testid='stException']").count() == 0

    rows, _ = artifacts.neighbours("image", row, DEFAULT_K, min_separation_arcsec=DUPLICATE_RADIUS_ARCSEC)
    ids = [str(catalog.at[int(r), "object_id"]) for r in rows]
    assert shown == ids
    assert pictures_drawn == len(render.thumbnail_rows(catalog, THUMBNAIL_CELLS))
    assert len(served) == DEFAULT_K
    for object_id, picture in zip(ids, served, strict=False):
        np.testing.assert_array_equal(picture, resized(cutout_rgb(store.image(object_id), store.imaging), CARD_PX))


def test_a_label_given_in_one_browser_is_seen_in_another_after_a_reload(server, tiny_artifacts):
    """Two people label at once: ana saves an interest score with the mouse; ben, in another browser
    context, sees it on the same object after a reload, and it is in the database."""
    from astrodisc.discover.label_queue import queue_rows
    from astrodisc.labels.database import LabelDB

    catalog = load_artifacts(tiny_artifacts.artifact_dir).catalog
    first = str(catalog.at[int(queue_rows(catalog, "anomaly score")[0]), "object_id"])
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            pages = {}
            for name in ("ana", "ben"):
                page = browser.new_context(viewport=VIEWPORT).new_page()
                page.goto(f"{server}/label")
                page.locator("[data-testid='stSidebar'] input[aria-label='Annotator']").fill(name)
                page.keyboard.press("Enter")
                page.get_by_text(f"{name} · session").wait_for(timeout=30_000)
                pages[name] = page
            ana, ben = pages["ana"], pages["ben"]
            assert ana.get_by_role("heading", name=first).count() == 1
            ana.locator(".st-key-label_interest").get_by_role("radio", name="4", exact=True).click()
            time.sleep(0.5)  # the click's rerun starts; then wait for it to end, however slow the machine
            wait_until_idle(ana)
            ana.locator(".st-key-save button").click()
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
    from astrodisc.labels.database import LabelDB

    catalog = load_artifacts(tiny_artifacts.artifact_dir).catalog
    ids = catalog["object_id"].astype(str).tolist()
    faulty, good = tmp_path / "faulty.csv", tmp_path / "good.csv"
    pd.DataFrame({"object_id": [ids[5], "NOT-A-STAR"], "label": ["EW", "EW"]}).to_csv(faulty, index=False)
    pd.DataFrame({"object_id": [ids[5], ids[6]], "label": ["EW", None], "interest": [1, 5]}).to_csv(good, index=False)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"{server}/label")
            page.locator("[data-testid='stSidebar'] input[aria-label='Annotator']").fill("dee")
            page.keyboard.press("Enter")
            page.get_by_text("dee · session").wait_for(timeout=30_000)
            page.get_by_text("All labels of tiny-sim").click()
            outcomes = []
            for path in (faulty, good):
                page.locator(".st-key-labels_upload input[type='file']").set_input_files(str(path))
                # the upload reruns the page; click only once the button names this file, as a person would
                import_button = page.locator(".st-key-labels_import button", has_text=f"Import {path.name}")
                import_button.click(timeout=30_000)
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


def test_labels_typed_fast_with_keys_only_are_all_stored_with_their_class(server, tiny_artifacts):
    """Number key, Shift+number, Enter, as fast as the page allows: each label is one action, stored with the
    class and interest typed; a save without a class is refused in the browser; b steps back to the last
    object, whose new label replaces the old one."""
    from astrodisc.labels.database import LabelDB
    from astrodisc.ops.bench_labeling import DRAWN

    classes = list(load_artifacts(tiny_artifacts.artifact_dir).manifest["dataset"].get("classes", [])) or None
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.goto(f"{server}/label")
            page.locator("[data-testid='stSidebar'] input[aria-label='Annotator']").fill("kit")
            page.keyboard.press("Enter")
            shown = page.wait_for_function(DRAWN, arg="", timeout=60_000).json_value()
            page.mouse.click(VIEWPORT["width"] - 20, VIEWPORT["height"] - 20)  # out of the name field
            page.keyboard.press("Enter")  # no class chosen: refused, nothing sent
            page.get_by_text("choose a class first").wait_for(timeout=10_000)
            legend = page.locator(".astrodisc-label-keys .legend").inner_text()
            typed = []
            for i in range(4):
                page.keyboard.press(str(i + 1))
                page.keyboard.press(f"Shift+Digit{i + 2}")
                page.keyboard.press("Enter")
                typed.append((shown, i))
                shown = page.wait_for_function(DRAWN, arg=shown, timeout=60_000).json_value()
            page.keyboard.press("b")  # back to the fourth object, its label shown as the panel's choice
            back = page.wait_for_function(DRAWN, arg=shown, timeout=60_000).json_value()
            chosen = page.locator(".astrodisc-label-keys .chosen").inner_text()
            page.keyboard.press("Shift+Digit0")
            page.keyboard.press("Enter")
            page.wait_for_function(DRAWN, arg=back, timeout=60_000)
            page.screenshot(path=SHOTS / "label-keys.png")
        finally:
            browser.close()

    names = [line.split(" ", 1)[1] for line in legend.split("\n")[0].split(" · ")]  # "1 EW · 2 SR · ..."
    stored = LabelDB(tiny_artifacts.data_root / "labels.sqlite").latest("tiny-sim", "kit").set_index("object_id")
    assert classes is None or names == classes[: len(names)]
    assert back == typed[-1][0] and f"class {names[3]}" in chosen and "interest 5" in chosen
    assert len(stored) == 4
    for object_id, i in typed:
        assert stored.at[object_id, "label"] == names[i]
        assert stored.at[object_id, "interest"] == (0 if object_id == back else i + 2)
