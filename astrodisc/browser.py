"""Driving the app in a real browser: Debian's chromium under Playwright against ``streamlit run app.py``.

Shared by the browser tests and the click-latency benchmark. Never ``playwright install``: the browser is
/usr/bin/chromium. Example::

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
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from astrodisc.paths import PROJECT_ROOT
from astrodisc.widgets import NEIGHBOUR_PREFIX

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--enable-unsafe-swiftshader"]
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
ZOOM_MAP = "([x, y]) => Plotly.relayout(document.getElementById('astrodisc-map'), " \
           "{'xaxis.range': x, 'yaxis.range': y})"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(data_root: Path, log_path: Path, env: dict[str, str] | None = None,
          timeout_s: float = 30.0) -> Iterator[str]:
    """A freshly started ``streamlit run app.py`` on a free port with ASTRODISC_DATA at ``data_root`` (and
    ``env`` added); yields its URL once healthy (its output in ``log_path``) and stops it on exit."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.headless", "true",
             "--server.port", str(port), "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, env={**os.environ, "ASTRODISC_DATA": str(data_root), **(env or {})},
            stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                        break
                except OSError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError(f"streamlit exited: {log_path.read_text()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"streamlit did not answer within {timeout_s:.0f} s")
                time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def launch_chromium(playwright):
    """Debian's chromium under ``playwright`` (a sync_playwright() context), with the flags it needs here."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def map_page(url: str, timeout_ms: int = 30_000) -> Iterator:
    """A chromium page at ``url`` once the map has been drawn; the browser closes afterwards."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a test and benchmark dependency

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            page.wait_for_function(f"({READ_MAP})() !== null", timeout=timeout_ms)
            yield page
        finally:
            browser.close()


def wait_until_idle(page, settle_s: float = 0.5, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit has finished running the script (its status widget gone), then ``settle_s``."""
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)
    time.sleep(settle_s)


def neighbours_shown(page, k: int, timeout_ms: int = 30_000) -> list[str]:
    """Object ids of the neighbour cards, once ``k`` of them are drawn."""
    page.wait_for_function(
        f"[...document.querySelectorAll(\"{NEIGHBOUR_TEXT}\")]"
        f".filter(e => e.innerText.startsWith('{NEIGHBOUR_PREFIX}')).length === {k}",
        timeout=timeout_ms)
    return [t.removeprefix(NEIGHBOUR_PREFIX).strip() for t in page.locator(NEIGHBOUR_TEXT).all_inner_texts()
            if t.startswith(NEIGHBOUR_PREFIX)]


def zoom_to_point(page, xy: np.ndarray, row: int, gap: float, settle_s: float = 0.5) -> tuple[float, float]:
    """Zoom the map on point ``row`` until its nearest other point (``gap`` map units away) is MIN_GAP_PX away
    on screen; returns the point's (x, y) screen position [px]."""
    view = page.evaluate(READ_MAP)
    left, top, width, height = view["box"]
    px_per_unit = min(width / np.ptp(view["x"]), height / np.ptp(view["y"]))
    if gap * px_per_unit < MIN_GAP_PX:
        half = 0.5 * np.array([width, height]) * gap / (1.5 * MIN_GAP_PX)
        page.evaluate(ZOOM_MAP, [[xy[row, 0] - half[0], xy[row, 0] + half[0]],
                                 [xy[row, 1] - half[1], xy[row, 1] + half[1]]])
        time.sleep(settle_s)
        view = page.evaluate(READ_MAP)
    (x0, x1), (y0, y1) = view["x"], view["y"]
    left, top, width, height = view["box"]
    sx, sy = width / (x1 - x0), height / (y1 - y0)
    others = np.delete(xy, row, 0)
    gap_px = np.min(np.hypot((others[:, 0] - xy[row, 0]) * sx, (others[:, 1] - xy[row, 1]) * sy))
    if gap_px < MIN_GAP_PX:
        raise AssertionError(f"no unambiguous point to click (nearest other point {gap_px:.1f} px)")
    return float(left + (xy[row, 0] - x0) * sx), float(top + (y1 - xy[row, 1]) * sy)


def click_point(page, xy: np.ndarray, row: int, gap: float) -> None:
    """Zoom on point ``row`` of the map (see zoom_to_point) and click it with the mouse."""
    x, y = zoom_to_point(page, xy, row, gap)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
