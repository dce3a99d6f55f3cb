"""Browser figures of an artifact set at scale: the map's first draw and click → object in headless chromium.

The app is served on a data root (``ASTRODISC_DATA``), and the map of one of its artifact sets opened by its
link, twice: once as the fresh server's first page (``first_draw_cold_s``: it loads the artifacts) and once
more in a new page (``first_draw_warm_s``: what every later visitor waits), each from navigation start until
the map's plot and its layout images (above ``density_map.DENSITY_ABOVE`` objects the density image under the
level-of-detail sample) are drawn and Streamlit has finished the script run. On the second page ``clicks``
different markers of the map are clicked (:func:`astrodisc.ops.click_latency.click_timings`, after one untimed
click): click → the neighbour cards list exactly the index's neighbours of the clicked object, and click → the
map stars it, its object panel is drawn and the run has finished. Then the server's resident memory and the
page's JavaScript heap are read. Example::

    figures = browser_figures(Path("data/bench-1e5"), clicks=10)
    figures["first_draw_warm_s"], figures["click_to_object_p95_s"]
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from astrodisc.app.state import find_artifact_sets
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.chain.density_map import DENSITY_ABOVE
from astrodisc.data.store import read_info
from astrodisc.ops.browser import (
    VIEWPORT,
    first_draw,
    launch_chromium,
    map_points,
    rss_mb,
    serve_app,
    set_url,
)
from astrodisc.ops.click_latency import click_timings

JS_HEAP = "() => performance.memory ? performance.memory.usedJSHeapSize : null"  # [bytes]; chromium only
MIB = 2.0**20


@dataclass(frozen=True)
class BrowserFigures:
    """What :func:`browser_figures` measured (times in seconds, memory in MiB)."""

    dataset: str
    model: str
    objects: int  # objects in the catalogue
    density_image: bool  # drawn as a density image under a level-of-detail sample
    markers: int  # clickable markers on the map
    first_draw_cold_s: float  # navigation start → map drawn, script idle: the fresh server's first page
    first_draw_warm_s: float  # the same, a second page (artifacts already loaded)
    clicks: int
    click_to_neighbours_p50_s: float  # click → the clicked object's neighbour cards
    click_to_neighbours_p95_s: float
    click_to_object_p50_s: float  # click → object starred, its panel drawn, script idle
    click_to_object_p95_s: float
    server_rss_mb: float  # the Streamlit server's resident memory after the clicks
    js_heap_mb: float | None  # the page's used JavaScript heap after the clicks (None if not reported)


def browser_figures(
    data_root: Path,
    dataset: str | None = None,
    model: str | None = None,
    clicks: int = 10,
    seed: int = 0,
    timeout_s: float = 300.0,
) -> dict:
    """Serve the app on ``data_root``, open the map of its artifact set ``dataset`` · ``model`` (default: the first
    under ``data_root``) in headless chromium and measure it (see the module docstring); a BrowserFigures as a
    dict. ``timeout_s`` bounds the server start and each first draw."""
    from playwright.sync_api import sync_playwright

    chosen = next(
        s for s in find_artifact_sets(Path(data_root)) if dataset in (None, s.dataset) and model in (None, s.model)
    )
    artifacts = load_artifacts(chosen.path)
    kind = read_info(chosen.dataset_dir).kind
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_app(Path(data_root), Path(tmp) / "streamlit.log", timeout_s=timeout_s) as server,
        sync_playwright() as p,
    ):
        browser = launch_chromium(p)
        try:
            url = set_url(server.url, chosen.dataset, chosen.model)
            cold = first_draw(browser.new_page(viewport=VIEWPORT), url, int(timeout_s * 1000))
            page = browser.new_page(viewport=VIEWPORT)
            warm = first_draw(page, url, int(timeout_s * 1000))
            markers = len(map_points(page)[0])
            cards, done = click_timings(page, artifacts, kind, clicks, seed, warmup=1)
            heap = page.evaluate(JS_HEAP)
            rss = rss_mb(server.pid)
        finally:
            browser.close()
    cards_p50, cards_p95, done_p50, done_p95 = (float(np.percentile(t, q)) for t in (cards, done) for q in (50, 95))
    return asdict(
        BrowserFigures(
            chosen.dataset,
            chosen.model,
            len(artifacts.catalog),
            len(artifacts.catalog) > DENSITY_ABOVE,
            markers,
            cold,
            warm,
            clicks,
            cards_p50,
            cards_p95,
            done_p50,
            done_p95,
            rss,
            None if heap is None else heap / MIB,
        )
    )
