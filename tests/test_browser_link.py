"""A shared link restores the whole view, field by field, in a fresh browser.

One person sets up a view by hand in chromium — a colour, a class filter and a range, a clicked object, its
neighbours in another space and another k, the period folded on twice the Lomb–Scargle period, a zoom and a
box selection — and copies the link with the page's button. A second browser context (no cookies, no session)
opens the copied link; every field of the view is read back from the page itself (widgets, the selected
object, the neighbour cards, the chart's axis ranges, the selection's table) and must equal the first.
Never `playwright install`: the browser is /usr/bin/chromium.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from playwright.sync_api import sync_playwright

from astrodisc.app import view_link
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.ops.browser import (
    READ_MAP,
    VIEWPORT,
    ZOOM_MAP,
    first_draw,
    launch_chromium,
    screen_positions,
    serve,
    wait_until_idle,
)
from astrodisc.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

SHOTS = PROJECT_ROOT / "test-artifacts"
SIDEBAR = "[data-testid='stSidebar']"
# The view as the page shows it, read from the DOM: every widget of the view and the panel, the map's ranges.
READ_VIEW = f"""() => {{
  const input = label => document.querySelector(`input[aria-label="${{label}}"]`);
  const checked = [...document.querySelectorAll('.st-key-period_source input[type=radio]')]
    .filter(r => r.checked).map(r => r.closest('label').innerText.trim());
  const fold = [...document.querySelectorAll('.st-key-period_factor button')]
    .filter(b => b.getAttribute('aria-checked') === 'true')
    .map(b => b.innerText.trim());
  const map = ({READ_MAP})();
  const classes = [...document.querySelectorAll('.st-key-classes [data-baseweb="tag"]')].map(t => t.innerText.trim());
  const slider = q => [...document.querySelectorAll(`.st-key-${{q}} input[type=range]`)].map(i => i.value);
  const selection = [...document.querySelectorAll('[data-testid="stMarkdownContainer"] p')]
    .map(p => p.innerText).find(t => t.endsWith('objects in the box/lasso selection')) || null;
  const heading = [...document.querySelectorAll('h3 code')].map(c => c.innerText)[0] || null;
  const neighbours = [...document.querySelectorAll('.st-key-neighbours [data-testid="stMarkdownContainer"] p')]
    .map(p => p.innerText).filter(t => t.startsWith('#'));
  return {{
    colour: input('Colour by')?.value ?? null,
    classes,
    range_on: input('Range on')?.value ?? null,
    range: slider('range_of_amplitude'),
    object: heading,
    space: input('Neighbours in space')?.value ?? null,
    k: slider('k'),
    period_source: checked,
    period_factor: fold,
    neighbours,
    x_range: map && map.x.map(v => Number(v).toPrecision(4)),
    y_range: map && map.y.map(v => Number(v).toPrecision(4)),
    selection,
    marks: [...document.querySelectorAll('svg.astrodisc-marks .astrodisc-mark')]
      .map(m => m.classList[1] + ':' + m.dataset.row).sort(),
  }};
}}"""


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox labelled ``label``."""
    field = page.locator(f"input[aria-label='{label}']")
    field.click()
    field.fill(option)
    page.get_by_role("option", name=option, exact=True).wait_for(timeout=30_000)
    page.keyboard.press("Enter")
    wait_until_idle(page)


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_a_copied_link_opens_the_same_view_in_a_fresh_browser(tiny_artifacts):
    artifacts = load_artifacts(tiny_artifacts.artifact_dir)
    catalog = artifacts.catalog
    classes = sorted(catalog["label"].dropna().unique())
    kept = classes[:-1]  # a class filter: every class but the last
    amplitude = catalog["amplitude"].to_numpy(dtype=float)
    low, high = np.nanquantile(amplitude, [0.1, 0.9])
    start = (
        f"?colour=amplitude&classes={','.join(kept)}&range=amplitude:{low:.4g}:{high:.4g}"
        f"&dataset={tiny_artifacts.dataset_dir.name}"
    )
    with serve(tiny_artifacts.data_root, SHOTS / "streamlit-link.log") as url, sync_playwright() as p:
        browser = launch_chromium(p)
        first = browser.new_context(viewport=VIEWPORT, permissions=["clipboard-read", "clipboard-write"])
        page = first.new_page()
        first_draw(page, url + "/" + start)
        shown = catalog.index[
            catalog["label"].isin(kept).to_numpy()
            & (amplitude >= float(f"{low:.4g}"))
            & (amplitude <= float(f"{high:.4g}"))
        ]
        row = int(shown[len(shown) // 2])
        page.goto(f"{page.url}&object={catalog.at[row, 'object_id']}")  # the object, as a click would
        page.get_by_text("nearest neighbours").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        _pick(page, "Neighbours in space", "photometry")
        page.locator(".st-key-k input[type=range]").focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        wait_until_idle(page)
        page.locator(".st-key-period_source").get_by_text("Lomb–Scargle").click()
        wait_until_idle(page)
        page.locator(".st-key-period_factor").get_by_role("radio", name="2P", exact=True).click()
        wait_until_idle(page)
        # zoom on the drawn objects, then box-select those left of their median x
        xy = catalog.loc[shown, ["umap_x", "umap_y"]].to_numpy(dtype=float)
        low_xy, high_xy = xy.min(axis=0), xy.max(axis=0)
        margin = 0.1 * (high_xy - low_xy) + 1e-3
        zoom = [[low_xy[0] - margin[0], high_xy[0] + margin[0]], [low_xy[1] - margin[1], high_xy[1] + margin[1]]]
        page.evaluate(READ_MAP)
        page.evaluate(ZOOM_MAP, zoom)
        wait_until_idle(page, settle_s=1.0)
        page.locator("#astrodisc-map").hover()
        page.locator("#astrodisc-map .modebar-btn[data-title='Box Select']").click()
        view = page.evaluate(READ_MAP)
        split = float(np.median(xy[:, 0]))
        corners = screen_positions(
            view,
            np.array(
                [[zoom[0][0] + 0.5 * margin[0], zoom[1][1] - 0.5 * margin[1]], [split, zoom[1][0] + 0.5 * margin[1]]]
            ),
        )
        page.mouse.move(*corners[0])
        page.mouse.down()
        page.mouse.move(*corners[1], steps=12)
        page.mouse.up()
        page.get_by_text("objects in the box/lasso selection").wait_for(timeout=30_000)
        wait_until_idle(page, settle_s=1.0)
        original = page.evaluate(READ_VIEW)
        page.screenshot(path=SHOTS / "link-original.png", full_page=True)
        page.locator(".astrodisc-copy-link button").click()
        page.get_by_text("Link copied").wait_for(timeout=10_000)
        copied = page.evaluate("() => navigator.clipboard.readText()")
        address = page.url

        fresh = browser.new_context(viewport=VIEWPORT)
        other = fresh.new_page()
        first_draw(other, copied)
        other.get_by_text("objects in the box/lasso selection").wait_for(timeout=60_000)
        wait_until_idle(other, settle_s=1.5)
        restored = other.evaluate(READ_VIEW)
        other.screenshot(path=SHOTS / "link-restored.png", full_page=True)
        restored_address = other.url
        exceptions = (
            page.locator("[data-testid='stException']").count() + other.locator("[data-testid='stException']").count()
        )
        browser.close()

    assert copied == address  # the button copies the page's address
    query = _query(address)
    for name in (view_link.SPACE, view_link.K, view_link.PERIOD, view_link.ZOOM, view_link.LASSO, view_link.OBJECT):
        assert name in query, f"{name} missing from {address}"
    assert len(max(query[view_link.LASSO], key=len)) <= view_link.MAX_VALUE_CHARS
    assert _query(restored_address) == query
    # the hand-made view really is the one asked for, and the fresh browser shows the same, field by field
    assert original["space"] == "photometry" and original["k"] == ["11"]
    assert original["period_source"] == ["Lomb–Scargle"] and original["period_factor"] == ["2P"]
    assert original["selection"] is not None and original["object"] == str(catalog.at[row, "object_id"])
    for field, value in original.items():
        assert restored[field] == value, f"{field}: {restored[field]!r} != {value!r}"
    assert exceptions == 0
    # the selection is what the box holds: the drawn objects inside the linked polygon
    (polygon,) = view_link.parse_polygons(query[view_link.LASSO][0])
    inside = view_link.inside_polygons(xy, [polygon])
    assert original["selection"] == f"{int(inside.sum())} objects in the box/lasso selection"
