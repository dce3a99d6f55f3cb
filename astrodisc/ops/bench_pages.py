"""How long each page takes to settle, as JSON: ``astrodisc bench --parts pages`` (data root: ``--pages-data``).

For every artifact set under the data root and every page (Map, Label, Subclasses, Search, Model), a fresh browser
context (no cookies, no session) opens the page's link after the server's warm-up (what ``astrodisc serve`` does at
start: :func:`astrodisc.app.warm_up.warm_up`) and the time from navigation start until the page has **settled** is
recorded: Streamlit has finished the script run, every Plotly chart on the page has drawn its data (at least one
trace with points), no placeholder stands where a chart is still loading (Streamlit loads Plotly lazily), every
picture has loaded, and the run has drawn its widgets (the sidebar's picker at least; the Search page's first
content is its choice of what to search with, the Label page's its name field) — nothing deferred behind a button.
Pages are visited in a fixed order, each in its own context, so each is a first visit. The
target is 3 s on an idle 2-core machine. Example::

    figures = page_figures(Path("data"))
    max(f["settle_s"] for f in figures)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from astrodisc.app.state import find_artifact_sets
from astrodisc.app.warm_up import warm_up
from astrodisc.ops.browser import SCRIPT_IDLE, VIEWPORT, launch_chromium, serve, set_url

PAGES = ("", "label", "subclasses", "search", "model")  # "" is the map, the default page
TARGET_S = 3.0
# Seconds since navigation start once the page has settled (see the module docstring), else false.
INPUTS = ", ".join(f'[data-testid="{t}"]' for t in ("stRadio", "stFileUploader", "stTextInput", "stSelectbox"))
SETTLED = f"""() => {{
  const INPUTS = '{INPUTS}';
  if (!({SCRIPT_IDLE})()) return false;
  const charts = [...document.querySelectorAll('.js-plotly-plot')];
  const drawn = charts.every(gd => gd._fullData && gd._fullData.some(t =>
    (t.x && t.x.length) || (t.y && t.y.length) || (t.z && t.z.length) || t.type === 'image'));
  const main = document.querySelector('[data-testid="stMain"]');
  const pictures = [...main.querySelectorAll('img')];
  const loaded = pictures.every(img => img.complete && img.naturalWidth > 0);
  const inputs = document.querySelectorAll(INPUTS).length;
  const pending = main.querySelectorAll('[data-testid="stSkeleton"]').length;  // a chart still being loaded
  if (!(charts.length + pictures.length + inputs) || pending || !drawn || !loaded) return false;
  return performance.now() / 1000;
}}"""


def page_figures(data_root: Path, timeout_s: float = 120.0) -> list[dict]:
    """One record per (artifact set, page): seconds to settle on a first visit (NaN if it did not within
    ``timeout_s``, with the page's text), and whether within TARGET_S."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a benchmark dependency

    log = Path(tempfile.mkdtemp(prefix="astrodisc-pages-")) / "streamlit.log"
    sets = find_artifact_sets(data_root)
    with serve(data_root, log, timeout_s=timeout_s) as url:
        warm_up(url, [(s.dataset, s.model) for s in sets], timeout_s)  # what `astrodisc serve` does at start
        with sync_playwright() as p:
            browser = launch_chromium(p)
            out = [record for s in sets for record in _visit_pages(browser, url, s.dataset, s.model, timeout_s)]
            browser.close()
    return out


def _visit_pages(browser, url: str, dataset: str, model: str, timeout_s: float) -> list[dict]:
    """Each page of one set, each in a fresh browser context: its :func:`page_figures` record."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415 - a benchmark dependency

    out = []
    home = set_url(url, dataset, model)
    for name in PAGES:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(home.replace("/?", f"/{name}?", 1))
        try:
            seconds = float(page.wait_for_function(SETTLED, timeout=timeout_s * 1000).json_value())
        except PlaywrightTimeout:
            seconds = float("nan")  # never settled: what the page shows instead is in "text"
        out.append(
            {
                "dataset": dataset,
                "model": model,
                "page": name or "map",
                "settle_s": round(seconds, 2),
                "met": seconds <= TARGET_S,
                "exceptions": page.locator("[data-testid='stException']").count(),
                "text": None if seconds == seconds else page.inner_text("[data-testid='stMain']")[:500],
            }
        )
        context.close()
    return out
