"""README screenshots of every page of the demo app: ``astrodisc screenshots`` after ``make demo-data``.

Serves `streamlit run app.py` on the demo data (ASTRODISC_DATA=data, a temporary label database, never
data/labels.sqlite) and drives Debian's chromium with Playwright (astrodisc.ops.browser; never `playwright install`).
Views are opened by their links (?dataset=…&model=…&colour=…), as a colleague would. Writes into docs/:

- map.png, map-anomaly.png, map-clicked.png (a Mira opened by a real mouse click), map-sky.png (the sky view
  linked with the map), galaxy-map.png (the picture mosaic), galaxy-clicked.png (a spiral and its look-alikes);
- label.png (a labeling session's first object) and label-50.png (the same session after 50 labels saved
  with the keyboard, its agreement/export panel open);
- subclasses.png (the Miras split in the spectra space), search.png (a sky-position query),
  search-crossmodal.png (spectra neighbours of a light curve), model.png (the model page).
"""

import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from playwright.sync_api import sync_playwright
from scipy.spatial import cKDTree

from astrodisc.ops.browser import READ_MAP, launch_chromium, serve, zoom_to_point
from astrodisc.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT
DOCS = ROOT / "docs"
STARS = ("varstars-demo", "varstars-clip")
GALAXIES = ("galaxies-demo", "galaxies-moco")
SESSION_LABELS = 50


def link(url: str, page: str, dataset: tuple[str, str], **params: str) -> str:
    return f"{url}/{page}?{urlencode({'dataset': dataset[0], 'model': dataset[1], **params})}"


def catalog_of(dataset: tuple[str, str]) -> pd.DataFrame:
    return pd.read_parquet(ROOT / "data" / dataset[0] / dataset[1] / "catalog.parquet")


def settle(page, seconds: float = 2.0) -> None:
    """Wait until Streamlit stops running the script, then let WebGL draw."""
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    time.sleep(seconds)


def open_view(page, address: str, wait_for: str | None = None, seconds: float = 2.0) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(address)
    if wait_for is None:
        page.wait_for_function(f"({READ_MAP})() !== null", timeout=120_000)
    else:
        page.get_by_text(wait_for).first.wait_for(timeout=120_000)
    settle(page, seconds)


def full_page(page, path: Path) -> None:
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1000, int(height))})
    settle(page, 2.0)
    page.screenshot(path=path, full_page=True)


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    page.get_by_label(label, exact=True).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def map_shots(page, url: str) -> None:
    catalog = catalog_of(STARS)
    open_view(page, link(url, "", STARS))
    page.screenshot(path=DOCS / "map.png")
    open_view(page, link(url, "", STARS, colour="anomaly_score"))
    page.screenshot(path=DOCS / "map-anomaly.png")

    xy = catalog[["umap_x", "umap_y"]].to_numpy(dtype=float)
    gaps = cKDTree(xy).query(xy, k=2)[0][:, 1]
    miras = np.flatnonzero((catalog["label"] == "M") & (catalog["pred_label"] == "M") & (catalog["pred_prob"] > 0.9))
    row = int(miras[np.argmax(gaps[miras])])  # the most isolated confidently predicted Mira: easy to click
    open_view(page, link(url, "", STARS))
    x, y = zoom_to_point(page, xy, row, float(gaps[row]))
    page.mouse.click(x, y)
    page.get_by_text(f"nearest neighbours of {catalog.at[row, 'object_id']}").wait_for(timeout=120_000)
    page.evaluate("() => Plotly.relayout('astrodisc-map', {'xaxis.autorange': true, 'yaxis.autorange': true})")
    full_page(page, DOCS / "map-clicked.png")

    open_view(page, link(url, "", STARS, colour="label", classes="M,SR,RRAB"))
    page.get_by_text("Sky view").click()
    page.get_by_text("RA [deg]").first.wait_for(timeout=60_000)
    settle(page)
    full_page(page, DOCS / "map-sky.png")


def galaxy_shots(page, url: str) -> None:
    catalog = catalog_of(GALAXIES)
    open_view(page, link(url, "", GALAXIES), seconds=4.0)
    page.screenshot(path=DOCS / "galaxy-map.png")
    spiral = catalog.index[(catalog["label"] == "spiral") & (catalog["pred_prob"] > 0.9)][0]
    open_view(page, link(url, "", GALAXIES, object=str(catalog.at[spiral, "object_id"])), seconds=4.0)
    full_page(page, DOCS / "galaxy-clicked.png")


def label_shots(page, url: str) -> float:
    """A session of SESSION_LABELS objects on the variable stars, each given the model's prediction as its
    class with the keyboard (s saves); returns seconds per label."""
    open_view(page, link(url, "label", STARS), wait_for="Enter your name")
    page.locator("[data-testid='stSidebar'] input[aria-label='Annotator']").fill("ana")
    page.keyboard.press("Enter")
    page.get_by_text("ana · session").wait_for(timeout=120_000)
    settle(page, 2.0)
    page.screenshot(path=DOCS / "label.png")
    start = time.monotonic()
    for done in range(1, SESSION_LABELS + 1):
        prediction = page.get_by_text("model: predicted").inner_text().split("predicted ")[1].split(" ")[0]
        choose(page, "Class", prediction)
        page.evaluate("document.activeElement.blur()")  # keys go to the page's shortcuts, not the select box
        page.keyboard.press("s")
        page.get_by_text(f"{done} labelled by you").wait_for(timeout=120_000)
        settle(page, 0.2)
    seconds = (time.monotonic() - start) / SESSION_LABELS
    page.get_by_text("All labels of").click()
    settle(page, 1.0)
    full_page(page, DOCS / "label-50.png")
    return seconds


def page_shots(page, url: str) -> None:
    miras = int((catalog_of(STARS)["label"] == "M").sum())
    open_view(page, link(url, "subclasses", STARS), wait_for="Pick a class")
    page.get_by_label("Class", exact=True).click()
    page.get_by_role("option", name=f"M ({miras:,} members)").click()
    choose(page, "Embedding space", "spectra")
    page.get_by_text("Sub-clusters side by side").wait_for(timeout=300_000)
    settle(page, 3.0)
    full_page(page, DOCS / "subclasses.png")

    catalog = catalog_of(STARS)
    target = catalog[catalog["label"] == "RRAB"].iloc[0]
    open_view(page, link(url, "search", STARS), wait_for="Search with")
    page.get_by_text("a sky position").click()
    page.get_by_label("Sky position (ICRS)").fill(f"{target['ra'] + 0.001:.5f} {target['dec']:+.5f}")
    page.keyboard.press("Enter")
    page.get_by_text(str(target["object_id"])).first.wait_for(timeout=120_000)
    settle(page, 3.0)
    full_page(page, DOCS / "search.png")

    open_view(page, link(url, "search", STARS), wait_for="Search with")
    page.get_by_text("a catalogue object").click()
    page.get_by_label("Object id").fill(str(target["object_id"]))
    page.keyboard.press("Enter")
    page.get_by_text("embedding searched in the spectra space").wait_for(timeout=120_000)  # the default pair
    settle(page, 3.0)
    full_page(page, DOCS / "search-crossmodal.png")

    open_view(page, link(url, "model", STARS), wait_for="Map faithfulness", seconds=3.0)
    full_page(page, DOCS / "model.png")


def make_screenshots() -> None:
    """Every screenshot of the module docstring, written into docs/."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve(
            ROOT / "data", Path(tmp) / "streamlit.log", env={"ASTRODISC_LABELS": f"{tmp}/labels.sqlite"}, timeout_s=120
        ) as url,
        sync_playwright() as p,
    ):
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        map_shots(page, url)
        galaxy_shots(page, url)
        seconds = label_shots(page, url)
        page_shots(page, url)
        browser.close()
    print(f"labeling session: {SESSION_LABELS} labels, {seconds:.1f} s per label with the keyboard")
    print(f"wrote every page's screenshots in {DOCS}")
