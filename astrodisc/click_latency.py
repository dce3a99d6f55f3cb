"""Click latency of the map page in a real browser: mouse click on a map point → its neighbour panel drawn.

The app is served on a built artifact set (by default the 20,000-star variable-star demo); for each of
``clicks`` objects, drawn at random from those whose nearest other point can be made at least MIN_GAP_PX away
on screen, the map is zoomed onto it (untimed), then the clock runs from the mouse click until the page shows
that object's neighbour cards (the page sends them before the map and the object panel), and on until the
map shows the object starred and the rerun has finished. Part of ``python -m astrodisc.benchmark`` (a benchmark, not a timed test).
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from scipy.spatial import cKDTree

from astrodisc.artifacts import load_artifacts
from astrodisc.view_link import DATASET, MODEL
from astrodisc.browser import NEIGHBOUR_PREFIX, NEIGHBOUR_TEXT, map_page, serve, wait_until_idle, zoom_to_point

DEFAULT_K = 8  # the map page's default number of neighbours
MAP_SHOWS_SELECTED = """row => [...document.querySelectorAll('.js-plotly-plot')].some(gd => gd._fullLayout
  && gd._fullLayout.xaxis.title.text === 'UMAP 1' && (gd._fullData || []).some(t => t.name === 'selected'
  && Number(Array.from(t.customdata)[0]) === row))"""  # the map's star is on catalogue ``row``


@dataclass(frozen=True)
class ClickLatency:
    """Seconds from a click on the map to the clicked object's neighbour cards (p50, p95, max), and to the
    map redrawn with the clicked object starred and the rerun finished (object panel drawn), over ``clicks``."""

    objects_on_map: int
    clicks: int
    p50_s: float
    p95_s: float
    max_s: float
    page_done_p50_s: float
    page_done_p95_s: float


def measure(artifact_dir: Path, clicks: int = 30, seed: int = 0, warmup: int = 2) -> ClickLatency:
    """Serve the app on the data root holding ``artifact_dir`` (``<root>/<dataset>/<model>``), open that set by
    its link, and time ``clicks`` clicks after ``warmup`` untimed ones."""
    artifacts = load_artifacts(artifact_dir)
    catalog = artifacts.catalog
    xy = catalog[["umap_x", "umap_y"]].to_numpy(dtype=float)
    gaps = cKDTree(xy).query(xy, k=2)[0][:, 1]
    rng = np.random.default_rng(seed)
    rows = rng.choice(np.flatnonzero(gaps > 0), size=clicks + warmup, replace=False)
    artifact_dir = Path(artifact_dir)
    data_root = artifact_dir.parent.parent
    seconds, settled = [], []
    with tempfile.TemporaryDirectory() as tmp, serve(data_root, Path(tmp) / "streamlit.log", timeout_s=120) as url, \
            map_page(f"{url}/?{urlencode({DATASET: artifact_dir.parent.name, MODEL: artifact_dir.name})}",
                     timeout_ms=120_000) as page:
        for i, row in enumerate(rows):
            expected = [f"{NEIGHBOUR_PREFIX}{catalog.at[int(r), 'object_id']}"
                        for r in artifacts.neighbours("fused", int(row), DEFAULT_K)[0]]
            x, y = zoom_to_point(page, xy, int(row), float(gaps[row]))  # untimed
            page.mouse.move(x, y)
            start = time.perf_counter()
            page.mouse.click(x, y)
            page.wait_for_function(
                f"JSON.stringify([...document.querySelectorAll(\"{NEIGHBOUR_TEXT}\")].map(e => e.innerText)"
                f".filter(t => t.startsWith('{NEIGHBOUR_PREFIX}'))) === {json.dumps(json.dumps(expected, separators=(',', ':')))}",
                timeout=60_000)
            cards = time.perf_counter() - start
            page.wait_for_function(MAP_SHOWS_SELECTED, arg=int(row), timeout=60_000)  # the map redrawn
            wait_until_idle(page, settle_s=0.0)  # and the rest of the rerun (the object panel)
            if i >= warmup:
                seconds.append(cards)
                settled.append(time.perf_counter() - start)
            time.sleep(0.5)
    times, done = np.array(seconds), np.array(settled)
    return ClickLatency(len(catalog), len(times), float(np.percentile(times, 50)), float(np.percentile(times, 95)),
                        float(times.max()), float(np.percentile(done, 50)), float(np.percentile(done, 95)))
