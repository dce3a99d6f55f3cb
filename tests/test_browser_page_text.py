"""Text that cannot act, in a real browser (Debian chromium under Playwright), in normal and public mode.

Hostile strings (markdown links and images, raw HTML, bare URLs, www. and e-mail literals, Streamlit's
directives, icons and emoji, LaTeX, headings, lists, tables) go through every place where a visitor's or a
link's text reaches a page: class names, notes and annotator names on the Label page, an imported label table
(its file name and content), saved subset names, every link parameter, and the file names of the Search page's
light-curve and picture uploads. After each step the page must hold no link, image or other fetching element
built from them, the browser must have requested nothing from them, and the typed characters must be shown as
typed. Labels and subsets go to a scratch database (normal mode) or the session's own (public mode).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pandas as pd
import pytest
from playwright.sync_api import sync_playwright
from search_data import real_sets

from astrodisc.app import public_mode, view_link
from astrodisc.ops.browser import VIEWPORT, launch_chromium, serve, wait_until_idle
from astrodisc.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

SHOTS = PROJECT_ROOT / "test-artifacts"
EVIL = "evil.example"
HOSTILE = (  # each at most 64 characters (a label's longest class name and annotator), no comma, quote or backslash
    "[in](https://evil.example/in) ![p](https://evil.example/p.png)",
    "1. <img src=https://evil.example/h.png> <b>b</b> &lt;i&gt;",
    "- https://evil.example/u www.evil.example me@evil.example",
    "# h :red[r] :material/star: :smile: $x^2$ **b** `c` | t |",
)
EVERYTHING = " ".join(HOSTILE)
FILE_STEM = "[f](https://evil.example/f) ![i](https://evil.example/i.png) www.evil.example"
NEW_CLASS = "a new class…"
VIEWER = "ben"  # the annotator who sees the others' labels
HUGE = 100_000  # characters of an overlong link value
# Every element that links or fetches, with an attribute naming the hostile host.
ACTING = """() => [...document.querySelectorAll(
    'a, img, image, picture, source, iframe, video, audio, object, embed, link, area, use, form, [style], [srcset]')]
  .flatMap(e => [...e.attributes]
    .filter(a => a.value.toLowerCase().includes('evil') && !a.value.startsWith('data:image/'))
  .map(a => `<${e.tagName.toLowerCase()} ${a.name}="${a.value}">`))"""
# The page's visible text as a reader sees it: word joiners dropped, whitespace runs as one space.
SHOWS = "text => document.body.innerText.replaceAll('\\u2060', '').replace(/\\s+/g, ' ').includes(text)"


@dataclass(frozen=True)
class App:
    """A served app: its URL, mode, and where its labels and subsets go (a file, or public mode's folder)."""

    url: str
    mode: str
    databases: Path

    def stored(self, table: str, columns: str) -> list[tuple]:
        """``columns`` of every row of ``table`` in the databases this app wrote (public mode: one per session,
        each holding the tables its session used)."""
        files = sorted(self.databases.glob("*.sqlite")) if self.databases.is_dir() else [self.databases]
        rows = []
        for path in files:
            with sqlite3.connect(path) as db:
                if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone():
                    rows += db.execute(f"SELECT {columns} FROM {table}").fetchall()
        return rows


@pytest.fixture(scope="module", params=["normal", "public"])
def app(request, tmp_path_factory) -> Iterator[App]:
    """The app on the search tests' variable-star and galaxy sets (the galaxies open first), in normal mode with
    a scratch label database or in public mode with a scratch session folder."""
    stars, sky = real_sets(tmp_path_factory)
    root = tmp_path_factory.mktemp("page-text-data")
    for built in (stars, sky):
        (root / built.dataset_dir.name).symlink_to(built.dataset_dir, target_is_directory=True)
    scratch = tmp_path_factory.mktemp(f"page-text-{request.param}")
    env = {"ASTRODISC_LABELS": str(scratch / "labels.sqlite")}
    databases = scratch / "labels.sqlite"
    if request.param == "public":
        databases = scratch / "sessions"
        config = scratch / "astrodisc.toml"
        config.write_text(f'[public]\nheavy_actions = 100\nsession_dir = "{databases}"\n')
        env.update({public_mode.PUBLIC_ENV: "1", public_mode.CONFIG_ENV: str(config)})
    with serve(root, SHOTS / f"streamlit-page-text-{request.param}.log", env=env) as url:
        yield App(url, request.param, databases)


@contextmanager
def _page(url: str) -> Iterator:
    """A chromium page at ``url``; on leaving, asserts that nothing hostile acted (see _assert_inert)."""
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            page.goto(url)
            wait_until_idle(page)
            yield page
            _assert_inert(page)
            assert [u for u in requested if EVIL in (urlsplit(u).hostname or "")] == []  # nothing fetched from it
        finally:
            browser.close()


def _assert_inert(page) -> None:
    """No element of ``page`` links to or fetches from the hostile host, and no exception is shown (an inline
    ``data:image/`` picture fetches nothing; its base64 may spell "evil" by chance, as a galaxy thumbnail once did)."""
    wait_until_idle(page, settle_s=0.2)
    assert page.evaluate(ACTING) == []
    assert page.locator("[data-testid='stException']").count() == 0


def _shown(page, text: str, timeout_ms: int = 60_000) -> None:
    """Wait until ``page`` shows ``text`` literally (whitespace runs as one space), then check it is inert."""
    page.wait_for_function(SHOWS, arg=" ".join(text.split()), timeout=timeout_ms)
    _assert_inert(page)


def _enter(page, locator, text: str) -> None:
    """Type ``text`` into a text input and commit it (Enter), then wait for the rerun."""
    locator.fill(text)
    locator.press("Enter")
    time.sleep(0.3)
    wait_until_idle(page, settle_s=0.2)


def _query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _label_table(object_id: str, label: str, note: str) -> bytes:
    return pd.DataFrame({"object_id": [object_id], "label": [label], "note": [note]}).to_csv(index=False).encode()


def test_labels_notes_annotators_and_an_imported_table_show_as_typed(app, tmp_path_factory):
    """Four hostile annotators each give the first object of their queue a hostile new class and note; a fifth
    sees all four, then imports a hostile-named table (a faulty one quoting a hostile id, then a good one)."""
    _, sky = real_sets(tmp_path_factory)
    object_ids = pd.read_parquet(sky.artifact_dir / "catalog.parquet", columns=["object_id"])["object_id"]
    with _page(f"{app.url}/label") as page:
        annotator = page.locator("[data-testid='stSidebar'] input[aria-label='Annotator']")
        for name, label in zip(HOSTILE, HOSTILE[1:] + HOSTILE[:1], strict=False):
            _enter(page, annotator, name)
            _shown(page, f"{name} · session")
            page.get_by_label("Class", exact=True).click()
            page.get_by_role("option", name=NEW_CLASS).click()
            wait_until_idle(page, settle_s=0.2)
            _enter(page, page.get_by_label("New class name", exact=True), label)
            _enter(page, page.get_by_label("Note", exact=True), EVERYTHING)
            page.locator(".st-key-save button").click()
            _shown(page, "1 labelled by you")
        _enter(page, annotator, VIEWER)
        for name, label in zip(HOSTILE, HOSTILE[1:] + HOSTILE[:1], strict=False):
            _shown(page, f"{name}: {label} · interest —")
        page.screenshot(path=SHOTS / f"label-hostile-{app.mode}.png", full_page=True)

        page.get_by_text("All labels of").click()
        uploader = page.locator(".st-key-labels_upload input[type='file']")
        for table, outcome in (
            (
                _label_table(HOSTILE[0], "x", ""),
                f"Nothing imported: 1 object ids are not in {sky.dataset_dir.name}, e.g. '{HOSTILE[0]}'",
            ),
            (_label_table(str(object_ids.iloc[-1]), HOSTILE[1], EVERYTHING), f"Imported 1 labels from {FILE_STEM}.csv"),
        ):
            uploader.set_input_files({"name": f"{FILE_STEM}.csv", "mimeType": "text/csv", "buffer": table})
            _shown(page, f"Import {FILE_STEM}.csv as {VIEWER}")
            page.locator(".st-key-labels_import button").click()
            _shown(page, outcome)

    stored = app.stored("labels", "annotator, label, note")
    typed = {(name, label, EVERYTHING) for name, label in zip(HOSTILE, HOSTILE[1:] + HOSTILE[:1], strict=False)}
    assert set(stored) == typed | {(VIEWER, HOSTILE[1], EVERYTHING)}  # stored exactly as typed, nothing else


def test_every_link_parameter_is_shown_as_typed(app):
    """Each parameter the app reads (and one it does not) carries every hostile string: each note quotes it."""
    names = (
        view_link.DATASET,
        view_link.MODEL,
        view_link.OBJECT,
        view_link.COLOUR,
        view_link.CLASSES,
        view_link.RANGE,
        view_link.SUBSET,
        "anything",
    )
    with _page(f"{app.url}/map?{urlencode({name: EVERYTHING for name in names})}") as page:
        for note in (
            f"Object '{EVERYTHING}' is not in",
            f"no column '{EVERYTHING}' to colour by",
            f"no class '{EVERYTHING}'",
            f"unreadable range '{EVERYTHING}'",
            f"no saved subset '{EVERYTHING}'",
        ):
            _shown(page, note)


def test_an_overlong_link_value_is_refused_at_once_with_one_line(app):
    """A 100 kB ``range`` or ``subset`` is dropped from the link before any page reads it (app.py), with one note;
    the page never holds it and is ready about as soon as without it (the Search page: the lightest to draw)."""
    started = time.monotonic()
    with _page(f"{app.url}/search"):
        plain = time.monotonic() - started
    for name, value in ((view_link.RANGE, "[" * HUGE), (view_link.SUBSET, "*" * HUGE)):
        started = time.monotonic()
        # the browser's first request: Uvicorn refuses a 100 kB request line on a kept-alive connection
        with _page(f"{app.url}/search?{name}={value}") as page:
            _shown(
                page,
                f"From the link: {name} ({HUGE:,} characters): longer than "
                f"{view_link.MAX_VALUE_CHARS:,} characters (shown without it).",
            )
            refused = time.monotonic() - started
            text = page.evaluate("() => document.body.innerText")
            query = _query(page.url)
        assert value[:100] not in text and name not in query
        assert refused < plain + 3.0  # the probe's 100 kB values kept the tab busy for 13-19 s


def test_saved_subset_names_show_as_typed(app):
    """Each hostile name saves a subset: the outcome quotes it, the link names it, the saved list holds it."""
    with _page(app.url) as page:
        page.locator("[data-testid='stSidebar']").get_by_text("Saved subsets", exact=True).click()
        name_box = page.locator("[data-testid='stSidebar'] input[aria-label='Name']")
        for name in HOSTILE:
            _enter(page, name_box, name)
            page.get_by_role("button", name="Save this view").click()
            _shown(page, f"Saved the view (colouring and filters) as '{name}'")
            assert _query(page.url)[view_link.SUBSET] == name
        page.locator(".st-key-subset_pick").click()  # the saved names, listed
        for name in HOSTILE:
            _shown(page, name)
    assert sorted(name for (name,) in app.stored("subsets", "DISTINCT name")) == sorted(HOSTILE)


def test_search_uploads_ids_and_positions_show_as_typed(app, tmp_path_factory):
    """A hostile-named light curve (variable stars) and picture (galaxies) with bad content, and a hostile object
    id and sky position: each message quotes them as typed."""
    stars, sky = real_sets(tmp_path_factory)
    for built, suffix, message in ((stars, "csv", "has no magnitude column"), (sky, "png", "is not a readable PNG")):
        model = built.artifact_dir.name
        with _page(f"{app.url}/search?{urlencode({'dataset': built.dataset_dir.name, 'model': model})}") as page:
            page.locator("input[type=file]").set_input_files(
                {"name": f"{FILE_STEM}.{suffix}", "mimeType": "application/octet-stream", "buffer": b"hjd,flux\n1,2\n"}
            )
            _shown(page, f"Not searched: {FILE_STEM}.{suffix} {message}")
            if built is stars:
                page.get_by_text("a catalogue object", exact=True).click()
                _enter(page, page.get_by_label("Object id"), EVERYTHING)
                _shown(page, f"No object '{EVERYTHING}' in {built.dataset_dir.name}.")
                page.get_by_text("a sky position", exact=True).click()
                _enter(page, page.get_by_label("Sky position (ICRS)"), EVERYTHING)
                _shown(page, f"Not searched: cannot read '{EVERYTHING}' as a position")
