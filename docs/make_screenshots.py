"""README screenshots of the demo app: `python docs/make_screenshots.py` after `make demo-data`.

Starts `streamlit run app.py` on a free port with ASTRODISC_DATA=data, drives Debian's chromium with Playwright
(never `playwright install`) and writes docs/map.png (coloured by label), docs/map-clicked.png (a Mira opened by
a real click on the map, full page), docs/map-anomaly.png (coloured by anomaly_score), docs/galaxy-map.png (the
galaxy demo's picture mosaic), docs/galaxy-clicked.png (a spiral and its look-alikes) and docs/label.png (a
labeling session on the galaxy demo; its label database is a temporary file, not data/labels.sqlite).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CATALOG = ROOT / "data/varstars-demo/varstars-clip/catalog.parquet"
GALAXIES = ROOT / "data/galaxies-demo/galaxies-moco/catalog.parquet"
VARSTARS_SET, GALAXY_SET = "varstars-demo · varstars-clip", "galaxies-demo · galaxies-moco"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--enable-unsafe-swiftshader"]
MAP_BOX = """() => { const gd = [...document.querySelectorAll('.js-plotly-plot')]
  .find(d => d._fullLayout && d._fullLayout.xaxis.title.text === 'UMAP 1');
  if (!gd) return null; gd.id = 'astrodisc-map'; const b = gd.querySelector('.nsewdrag').getBoundingClientRect();
  return {x: gd._fullLayout.xaxis.range, y: gd._fullLayout.yaxis.range, box: [b.left, b.top, b.width, b.height]}; }"""
ZOOM = "([x, y]) => Plotly.relayout('astrodisc-map', {'xaxis.range': x, 'yaxis.range': y})"
UNZOOM = "() => Plotly.relayout('astrodisc-map', {'xaxis.autorange': true, 'yaxis.autorange': true})"


def isolated_mira(catalog: pd.DataFrame) -> tuple[int, float]:
    """Row of the confidently predicted Mira farthest from any other object on the map, and that distance."""
    xy = catalog[["umap_x", "umap_y"]].to_numpy(dtype=float)
    miras = np.flatnonzero((catalog["label"] == "M") & (catalog["pred_label"] == "M") & (catalog["pred_prob"] > 0.9))
    gaps = [np.partition(np.hypot(*(xy - xy[r]).T), 1)[1] for r in miras]
    return int(miras[int(np.argmax(gaps))]), float(max(gaps))


def settle(page, seconds: float = 2.0) -> None:
    """Wait until Streamlit stops running the script, then let WebGL draw."""
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    time.sleep(seconds)


def pick(page, label: str) -> None:
    """Choose an artifact set in the sidebar picker and wait for its map."""
    page.locator("[data-testid='stSidebar'] input[aria-label='Dataset · model']").click()
    page.get_by_role("option", name=label).click()
    page.get_by_role("heading", name=label).wait_for(timeout=120_000)
    page.wait_for_function(f"({MAP_BOX})() !== null", timeout=120_000)


def galaxy_shots(page, url: str) -> None:
    """The galaxy demo's mosaic, then a confidently predicted spiral opened by its link, full page (the galaxy
    demo sorts first in the picker, so a fresh session shows it)."""
    catalog = pd.read_parquet(GALAXIES)
    spirals = catalog.index[(catalog["label"] == "spiral") & (catalog["pred_prob"] > 0.9)]
    object_id = str(catalog.at[int(spirals[0]), "object_id"])
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_function(f"({MAP_BOX})() !== null", timeout=120_000)
    pick(page, GALAXY_SET)
    settle(page, 4.0)
    page.screenshot(path=DOCS / "galaxy-map.png")
    page.goto(f"{url}/?object={object_id}")  # a new session opens on the first set in the picker: the galaxies
    page.get_by_text("nearest neighbours of").wait_for(timeout=120_000)
    settle(page, 4.0)
    full = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1000, int(full))})
    settle(page, 2.0)
    page.screenshot(path=DOCS / "galaxy-clicked.png", full_page=True)


def label_shot(page, url: str) -> None:
    """The label page of the galaxy demo with a name entered, at the top of its anomaly-ranked queue."""
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{url}/label")
    page.locator("[data-testid='stSidebar'] input[aria-label='Annotator']").fill("ana")
    page.keyboard.press("Enter")
    page.get_by_text("ana · session").wait_for(timeout=120_000)
    settle(page, 3.0)
    page.screenshot(path=DOCS / "label.png")


def main() -> None:
    catalog = pd.read_parquet(CATALOG)
    row, gap = isolated_mira(catalog)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "ASTRODISC_DATA": str(ROOT / "data"),
                       "ASTRODISC_LABELS": tempfile.mkdtemp() + "/labels.sqlite"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            start = time.monotonic()
            page.goto(url)
            page.wait_for_function(f"({MAP_BOX})() !== null", timeout=120_000)
            print(f"first paint of the map: {time.monotonic() - start:.1f} s")
            pick(page, VARSTARS_SET)
            settle(page)
            page.screenshot(path=DOCS / "map.png")

            view = page.evaluate(MAP_BOX)  # zoom so the Mira's nearest neighbour is >= 30 px away, then click it
            half = 0.5 * np.array(view["box"][2:]) * gap / 45.0
            x, y = catalog.loc[row, ["umap_x", "umap_y"]].to_numpy(dtype=float)
            page.evaluate(ZOOM, [[x - half[0], x + half[0]], [y - half[1], y + half[1]]])
            time.sleep(1.0)
            view = page.evaluate(MAP_BOX)
            (x0, x1), (y0, y1), (left, top, width, height) = view["x"], view["y"], view["box"]
            page.mouse.click(left + (x - x0) * width / (x1 - x0), top + (y1 - y) * height / (y1 - y0))
            page.wait_for_url(f"**object={catalog.at[row, 'object_id']}", timeout=60_000)
            page.get_by_text("nearest neighbours of").wait_for(timeout=60_000)
            page.wait_for_function(f"({MAP_BOX})() !== null", timeout=60_000)
            page.evaluate(UNZOOM)
            settle(page)
            full = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            page.set_viewport_size({"width": 1400, "height": max(1000, int(full))})
            settle(page)
            page.screenshot(path=DOCS / "map-clicked.png", full_page=True)

            page.set_viewport_size({"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_function(f"({MAP_BOX})() !== null", timeout=60_000)
            pick(page, VARSTARS_SET)
            page.get_by_label("Colour by").click()
            page.get_by_role("option", name="anomaly_score", exact=True).click()
            page.wait_for_function("[...document.querySelectorAll('.cbtitle')].some(t => t.textContent"
                                   " === 'anomaly_score')", timeout=60_000)
            settle(page)
            page.screenshot(path=DOCS / "map-anomaly.png")
            galaxy_shots(page, url)
            label_shot(page, url)
            browser.close()
        print(f"clicked {catalog.at[row, 'object_id']}; wrote map.png, map-clicked.png, map-anomaly.png, "
              f"galaxy-map.png, galaxy-clicked.png, label.png in {DOCS}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
