"""Driving the app in a real browser: Debian's chromium under Playwright against ``streamlit run app.py``.

Shared by the browser tests, the click-latency and browser benchmarks and the load test. Never
``playwright install``: the browser is /usr/bin/chromium. The JavaScript conditions (``MAP_DRAWN``,
``SCRIPT_IDLE``) serve the sync and the async Playwright API alike. Example::

    with serve(data_root, log) as url, map_page(url) as page:
        click_point(page, xy, row, gap)
        ids = neighbours_shown(page, 8)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from astrodisc.app.view_link import DATASET, MODEL
from astrodisc.app.warm_up import wait_healthy
from astrodisc.app.widgets import NEIGHBOUR_PREFIX
from astrodisc.paths import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",
]
VIEWPORT = {"width": 1400, "height": 1000}
MIN_GAP_PX = 30.0  # a clicked point's nearest other point is at least this far on screen
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
ZOOM_MAP = "([x, y]) => Plotly.relayout(document.getElementById('astrodisc-map'), {'xaxis.range': x, 'yaxis.range': y})"
# The map's plot is there and every one of its layout images (a density image, galaxy pictures) is in the DOM.
MAP_DRAWN = f"""() => {{
  const view = ({READ_MAP})();
  if (!view) return false;
  const gd = document.getElementById('astrodisc-map');
  return gd.querySelectorAll('.imagelayer image').length >= (gd._fullLayout.images || []).length;
}}"""
# Streamlit is connected and not running the script (its own attribute on the app root, as in its e2e tests).
SCRIPT_IDLE = """() => { const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testScriptState === 'notRunning' && app.dataset.testConnectionState === 'CONNECTED'; }"""
# Seconds since navigation start once the map is drawn and the script idle (the first draw of a page).
FIRST_DRAW = f"() => ({MAP_DRAWN})() && ({SCRIPT_IDLE})() && performance.now() / 1000"
# Catalogue rows (customdata) and map positions of every marker of every trace on the map.
MAP_POINTS = """() => document.getElementById('astrodisc-map')._fullData.map(t => ({
  rows: Array.from(t.customdata || [], Number), x: Array.from(t.x || []), y: Array.from(t.y || [])}))"""
EXCEPTIONS = "[data-testid='stException']"  # an exception the script raised, shown on the page


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    """A running ``streamlit run app.py``: where it answers and its process id (for its memory and CPU time)."""

    url: str
    pid: int


@contextmanager
def serve(data_root: Path, log_path: Path, env: dict[str, str] | None = None, timeout_s: float = 30.0) -> Iterator[str]:
    """A freshly started ``streamlit run app.py`` on a free port with ASTRODISC_DATA at ``data_root`` (and
    ``env`` added); yields its URL once healthy (its output in ``log_path``) and stops it on exit."""
    with serve_app(data_root, log_path, env, timeout_s) as server:
        yield server.url


@contextmanager
def serve_app(
    data_root: Path, log_path: Path, env: dict[str, str] | None = None, timeout_s: float = 30.0
) -> Iterator[Server]:
    """As :func:`serve`, yielding the :class:`Server` (URL and process id)."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(PROJECT_ROOT / "app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=PROJECT_ROOT,
            env={**os.environ, "ASTRODISC_DATA": str(data_root), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_healthy(url, process, timeout_s)
            except RuntimeError as err:
                raise RuntimeError(f"{err}: {log_path.read_text()}") from None
            yield Server(url, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=10)


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    """Resident memory of process ``pid`` [MiB] (Linux: ``key`` of /proc/<pid>/status; VmHWM for its peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024.0
    raise LookupError(f"no {key} for process {pid}")


def cpu_s(pid: int) -> float:
    """CPU time process ``pid`` has used so far, user + system [s] (Linux: /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime [clock ticks]


def set_url(url: str, dataset: str, model: str) -> str:
    """The app's link opening the map of artifact set ``dataset`` · ``model``."""
    return f"{url}/?{urlencode({DATASET: dataset, MODEL: model})}"


def launch_chromium(playwright):
    """Debian's chromium under ``playwright`` (a sync_playwright() context; with async_playwright() await the
    result), with the flags it needs here."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def map_page(url: str, timeout_ms: int = 30_000) -> Iterator:
    """A chromium page at ``url`` once the map has been drawn (see first_draw); the browser closes afterwards."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a test and benchmark dependency

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            first_draw(page, url, timeout_ms)
            yield page
        finally:
            browser.close()


def first_draw(page, url: str, timeout_ms: int = 120_000) -> float:
    """Open ``url`` in ``page``; seconds from navigation start until the map and its layout images (a density
    image) are drawn and Streamlit has finished running the script."""
    page.goto(url)
    return float(page.wait_for_function(FIRST_DRAW, timeout=timeout_ms).json_value())


def map_points(page) -> tuple[np.ndarray, np.ndarray]:
    """The markers on the map: their catalogue ``rows`` (M,) int64 and map positions ``xy`` (M, 2) [map units];
    above the density threshold the clickable level-of-detail sample."""
    return points_of(page.evaluate(MAP_POINTS))


def points_of(traces: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` (M,) and ``xy`` (M, 2) of the traces MAP_POINTS read (see map_points)."""
    rows = np.concatenate([np.asarray(t["rows"], dtype=np.int64) for t in traces])
    xy = np.concatenate([np.column_stack([t["x"], t["y"]]).astype(float).reshape(-1, 2) for t in traces])
    return rows, xy


def wait_until_idle(page, settle_s: float = 0.5, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit has finished running the script (SCRIPT_IDLE), then ``settle_s``."""
    page.wait_for_function(SCRIPT_IDLE, timeout=timeout_ms)
    time.sleep(settle_s)


def neighbours_shown(page, k: int, timeout_ms: int = 30_000) -> list[str]:
    """Object ids of the neighbour cards, once ``k`` of them are drawn."""
    page.wait_for_function(
        f'[...document.querySelectorAll("{NEIGHBOUR_TEXT}")]'
        f".filter(e => e.innerText.startsWith('{NEIGHBOUR_PREFIX}')).length === {k}",
        timeout=timeout_ms,
    )
    return [
        t.removeprefix(NEIGHBOUR_PREFIX).strip()
        for t in page.locator(NEIGHBOUR_TEXT).all_inner_texts()
        if t.startswith(NEIGHBOUR_PREFIX)
    ]


def zoom_to_point(page, xy: np.ndarray, row: int, gap: float, settle_s: float = 0.5) -> tuple[float, float]:
    """Centre the map on point ``row``, zoomed in until its nearest other point (``gap`` map units away) is
    MIN_GAP_PX away on screen (the map keeps its zoom from click to click, so the point may be out of view);
    returns the point's (x, y) screen position [px]."""
    view = page.evaluate(READ_MAP)
    width, height = view["box"][2:]
    span = np.array([np.ptp(view["x"]), np.ptp(view["y"])])
    needed = np.array([width, height]) * gap / (1.5 * MIN_GAP_PX)  # the span that puts the gap at 1.5 MIN_GAP_PX
    half = 0.5 * (needed if gap * min(width / span[0], height / span[1]) < MIN_GAP_PX else span)
    page.evaluate(
        ZOOM_MAP, [[xy[row, 0] - half[0], xy[row, 0] + half[0]], [xy[row, 1] - half[1], xy[row, 1] + half[1]]]
    )
    time.sleep(settle_s)
    view = page.evaluate(READ_MAP)
    screen = screen_positions(view, xy)
    gap_px = np.min(np.hypot(*(np.delete(screen, row, 0) - screen[row]).T))
    if gap_px < MIN_GAP_PX:
        raise AssertionError(f"no unambiguous point to click (nearest other point {gap_px:.1f} px)")
    return float(screen[row, 0]), float(screen[row, 1])


def screen_positions(view: dict, xy: np.ndarray) -> np.ndarray:
    """Page positions (M, 2) [px] of map positions ``xy`` (M, 2) [map units] in the map ``view`` (READ_MAP's)."""
    (x0, x1), (y0, y1) = view["x"], view["y"]
    left, top, width, height = view["box"]
    return np.column_stack([left + (xy[:, 0] - x0) * width / (x1 - x0), top + (y1 - xy[:, 1]) * height / (y1 - y0)])


def click_point(page, xy: np.ndarray, row: int, gap: float) -> None:
    """Zoom on point ``row`` of the map (see zoom_to_point) and click it with the mouse."""
    x, y = zoom_to_point(page, xy, row, gap)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
