"""Click latency of the map page in a real browser: mouse click on a map point → its neighbour panel drawn.

The app is served on a built artifact set (by default the 20,000-star variable-star demo); for each of
``clicks`` objects, drawn at random from the markers on the map (above the density threshold the clickable
level-of-detail sample) whose nearest other marker can be made at least MIN_GAP_PX away on screen, the map is
zoomed onto it (untimed), then the clock runs from the mouse click until the page shows that object's neighbour
cards (the page sends them before the map and the object panel), and on until the map shows the object starred,
its panel is drawn and the rerun has finished. Part of ``astrodisc bench --parts speed`` (a benchmark, not a
timed test) and of :mod:`astrodisc.ops.bench_browser`.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from astrodisc.app.panels import view_for
from astrodisc.chain.artifacts import Artifacts, load_artifacts
from astrodisc.data.store import read_info
from astrodisc.ops.browser import (
    EXCEPTIONS,
    NEIGHBOUR_PREFIX,
    NEIGHBOUR_TEXT,
    map_page,
    map_points,
    serve,
    set_url,
    wait_until_idle,
    zoom_to_point,
)

DEFAULT_K = 8  # the map page's default number of neighbours
MAP_SHOWS_SELECTED = """row => [...document.querySelectorAll('svg.astrodisc-marks .selected')].some(
  mark => Number(mark.dataset.row) === row)"""  # the map's star (astrodisc.app.map_marks) is on catalogue ``row``


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


@dataclass(frozen=True)
class ClickTarget:
    """An object to click: its catalogue ``row``, ``object_id`` and the ids of the ``neighbours`` the page must list."""

    row: int
    object_id: str
    neighbours: list[str]


def click_target(artifacts: Artifacts, kind: str, row: int, k: int = DEFAULT_K) -> ClickTarget:
    """Catalogue ``row`` of a store of ``kind`` and the ``k`` neighbours the map page lists for it: in its default
    space (the view's first space this build has), without same-sky entries where the view drops them."""
    view = view_for(kind)
    space = next(s for s in view.SPACES if s in artifacts.embeddings)
    rows, _ = artifacts.neighbours(space, row, k, min_separation_arcsec=view.MIN_SEPARATION_ARCSEC)
    catalog = artifacts.catalog
    return ClickTarget(row, str(catalog.at[row, "object_id"]), [str(catalog.at[int(r), "object_id"]) for r in rows])


def time_click(page, xy: np.ndarray, index: int, gap: float, target: ClickTarget) -> tuple[float, float]:
    """Zoom onto marker ``index`` of the map's markers ``xy`` (M, 2), the ``target`` object (untimed; ``gap``: its
    nearest other marker [map units]) and click it; returns seconds from the click to the neighbour cards listing
    the target's neighbours, and to the map starring it, its object panel drawn and the rerun finished. A script
    exception on the page is an AssertionError."""
    cards_shown = [NEIGHBOUR_PREFIX + i for i in target.neighbours]
    x, y = zoom_to_point(page, xy, index, gap)  # untimed
    page.mouse.move(x, y)
    start = time.perf_counter()
    page.mouse.click(x, y)
    page.wait_for_function(
        f'JSON.stringify([...document.querySelectorAll("{NEIGHBOUR_TEXT}")].map(e => e.innerText)'
        f".filter(t => t.startsWith('{NEIGHBOUR_PREFIX}'))) === "
        f"{json.dumps(json.dumps(cards_shown, separators=(',', ':')))}",
        timeout=60_000,
    )
    cards = time.perf_counter() - start
    page.wait_for_function(MAP_SHOWS_SELECTED, arg=target.row, timeout=60_000)  # the map redrawn
    page.get_by_role("heading", name=target.object_id, exact=True).wait_for(timeout=60_000)  # the object panel
    wait_until_idle(page, settle_s=0.0)  # and the rest of the rerun
    done = time.perf_counter() - start
    if page.locator(EXCEPTIONS).count():
        raise AssertionError(f"the page shows an exception: {page.locator(EXCEPTIONS).first.inner_text()[:500]}")
    return cards, done


def click_timings(
    page, artifacts: Artifacts, kind: str, clicks: int, seed: int = 0, warmup: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Click ``warmup`` (untimed) then ``clicks`` distinct random markers of the map on ``page`` (a map page of
    ``artifacts``, a store of ``kind``); returns the seconds (clicks,) to the neighbour cards and to the page done
    (see time_click)."""
    rows, xy = map_points(page)
    gaps = cKDTree(xy).query(xy, k=2)[0][:, 1]
    picks = np.random.default_rng(seed).choice(np.flatnonzero(gaps > 0), size=clicks + warmup, replace=False)
    timings = []
    for index in picks:
        timings.append(
            time_click(page, xy, int(index), float(gaps[index]), click_target(artifacts, kind, int(rows[index])))
        )
        time.sleep(0.5)
    cards, done = np.array(timings[warmup:]).T
    return cards, done


def measure(artifact_dir: Path, clicks: int = 30, seed: int = 0, warmup: int = 2) -> ClickLatency:
    """Serve the app on the data root holding ``artifact_dir`` (``<root>/<dataset>/<model>``), open that set by
    its link, and time ``clicks`` clicks after ``warmup`` untimed ones."""
    artifact_dir = Path(artifact_dir)
    artifacts = load_artifacts(artifact_dir)
    kind = read_info(artifact_dir.parent).kind
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve(artifact_dir.parent.parent, Path(tmp) / "streamlit.log", timeout_s=120) as url,
        map_page(set_url(url, artifact_dir.parent.name, artifact_dir.name), timeout_ms=120_000) as page,
    ):
        times, done = click_timings(page, artifacts, kind, clicks, seed, warmup)
    return ClickLatency(
        len(artifacts.catalog),
        len(times),
        float(np.percentile(times, 50)),
        float(np.percentile(times, 95)),
        float(times.max()),
        float(np.percentile(done, 50)),
        float(np.percentile(done, 95)),
    )
