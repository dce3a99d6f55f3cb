"""Load test: concurrent browser sessions against the app on localhost, bounded in count and time (not in CI).

One headless chromium holds ``sessions`` browser contexts (one Streamlit session each), all driven from one
asyncio loop (Playwright's async API), so the client costs one browser process rather than one per session.
Each session walks the same round of interactions (they start apart by a random think time), with a think time
of ``think_s`` between interactions, until ``minutes`` have passed or it has made ``max_interactions``:

    open_map          load the map page of the artifact set by its link (a full page load)
    click_point       click a random marker of the map (the object, its neighbours and its panel open)
    open_neighbour    press "open" on a random neighbour card
    change_colouring  pick another "Colour by" column of COLOURINGS in the sidebar
    search_page       go to the Search page (sidebar navigation)
    label_page        go to the Label page, then give the annotator name if not yet given
    save_label        pick an interest score and press Save (skipped in public mode)

Latency of an interaction: from the action to the end of the last script run it caused, read in the page
(a MutationObserver on Streamlit's ``data-test-script-state``), after QUIET_S without a new run; for open_map,
navigation start → map drawn and script idle. An interaction fails on a timeout, an exception shown on the
page, or a rerun that never comes; console errors, page errors and websocket errors count as errors too.
The server's resident memory is sampled every second; the server time per interaction is the server
process's CPU time over the run divided by the interactions (Streamlit runs every session's script in one
process, so this is the CPU it spends per interaction, whatever session it serves). Example::

    python -m astrodisc.load_test --sessions 10 --minutes 5 --out docs/load.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from astrodisc.app_state import find_artifact_sets
from astrodisc.browser import (
    EXCEPTIONS,
    FIRST_DRAW,
    MAP_POINTS,
    READ_MAP,
    SCRIPT_IDLE,
    VIEWPORT,
    cpu_s,
    launch_chromium,
    points_of,
    rss_mb,
    screen_positions,
    serve_app,
    set_url,
)
from astrodisc.paths import data_dir

ROUND = ("open_map", "click_point", "open_neighbour", "change_colouring", "click_point", "search_page",
         "label_page", "save_label")
QUIET_S = 0.3  # no new script run for this long after the last one: the interaction is over
TIMEOUT_MS = 60_000  # longest wait for any one interaction
RSS_EVERY_S = 1.0
HOVER_LABEL = "#astrodisc-map .hoverlayer .hovertext"  # the map's label of the point under the mouse
BLUR = "() => document.activeElement && document.activeElement.blur()"
HOVER_TRIES = 6  # markers tried for a hover label before a click counts as failed
COLOURINGS = ("label", "cluster", "pred_label", "anomaly_score", "mislabel_score", "period", "amplitude")
# Counts the script runs of a page and when the last one ended [ms since navigation start].
RUN_COUNTER = """(() => {
  window.__runs = {started: 0, finished: 0, end: 0};
  new MutationObserver(records => { for (const r of records) {
    const state = r.target.getAttribute('data-test-script-state');
    if (state === r.oldValue) continue;
    if (state === 'running') window.__runs.started += 1;
    if (state === 'notRunning') { window.__runs.finished += 1; window.__runs.end = performance.now(); }
  } }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                          attributeFilter: ['data-test-script-state']});
})()"""
RUNS = "() => window.__runs"
RERUN_DONE = f"started => window.__runs.started > started && ({SCRIPT_IDLE})()"


@dataclass(frozen=True)
class LoadConfig:
    """How many sessions, for how long, and how they pace themselves."""

    sessions: int = 10
    minutes: float = 5.0
    max_interactions: int = 1000  # per session
    think_s: tuple[float, float] = (3.0, 10.0)  # pause between interactions, uniform [s]: a person reads the panel
    public: bool = False  # serve in public mode (ASTRODISC_PUBLIC=1): no label is saved
    seed: int = 0


@dataclass(frozen=True)
class Interaction:
    """One interaction of one session: its kind, latency [s] (None if it failed) and error (None if none)."""

    session: int
    kind: str
    latency_s: float | None
    error: str | None = None


@dataclass
class Session:
    """A session's page and what it has seen: its markers (rows, xy), whether it has an annotator, its errors."""

    number: int
    page: object
    rng: random.Random
    markers: tuple[np.ndarray, np.ndarray] | None = None
    annotated: bool = False
    errors: list[str] = field(default_factory=list)  # console, page and websocket errors since the last look


class NoRerun(RuntimeError):
    """The action caused no script run."""


async def _rerun_latency(page, act) -> float:
    """Run the coroutine function ``act`` (the action) and return seconds from just before it to the end of
    the last script run it caused (none for QUIET_S)."""
    started = (await page.evaluate(RUNS))["started"]
    start_ms = await page.evaluate("performance.now()")
    await act()
    try:
        await page.wait_for_function(RERUN_DONE, arg=started, timeout=TIMEOUT_MS, polling=100)
    except Exception as err:
        raise NoRerun(f"no script run finished within {TIMEOUT_MS / 1000:.0f} s ({str(err).splitlines()[0]})") from err
    while True:
        runs = await page.evaluate(RUNS)
        await asyncio.sleep(QUIET_S)
        if (await page.evaluate(RUNS))["started"] == runs["started"]:
            await page.wait_for_function(SCRIPT_IDLE, timeout=TIMEOUT_MS, polling=100)
            return ((await page.evaluate(RUNS))["end"] - start_ms) / 1000.0


async def _open_map(session: Session, url: str) -> float:
    page = session.page
    await page.goto(url)
    drawn = await page.wait_for_function(FIRST_DRAW, timeout=TIMEOUT_MS, polling=100)
    session.markers = points_of(await page.evaluate(MAP_POINTS))
    return float(await drawn.json_value())


async def _click_point(session: Session) -> float:
    from playwright.async_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415 - as in _drive

    page = session.page
    rows, xy = session.markers
    for _ in range(HOVER_TRIES):  # untimed: a marker whose hover label shows (one under an overlay may not)
        view = await page.evaluate(READ_MAP)
        x, y = (float(v) for v in screen_positions(view, xy[[session.rng.randrange(len(rows))]])[0])
        await page.evaluate(BLUR)
        await page.mouse.move(x + 6, y + 6)
        await page.mouse.move(x, y, steps=4)
        try:
            await page.locator(HOVER_LABEL).first.wait_for(timeout=TIMEOUT_MS / HOVER_TRIES)
            return await _rerun_latency(page, lambda: page.mouse.click(x, y))
        except PlaywrightTimeout:
            continue
    raise NoRerun(f"no hover label over {HOVER_TRIES} markers in {TIMEOUT_MS / 1000:.0f} s")


async def _open_neighbour(session: Session) -> float:
    buttons = session.page.locator(".st-key-neighbours button")
    button = buttons.nth(session.rng.randrange(await buttons.count()))
    return await _rerun_latency(session.page, button.click)


async def _change_colouring(session: Session) -> float:
    page = session.page
    await page.locator("[data-testid='stSidebar'] input[aria-label='Colour by']").click()
    options = page.get_by_role("option")
    await options.first.wait_for(timeout=TIMEOUT_MS)
    choices = [o for o in await options.all()
               if await o.inner_text() in COLOURINGS and await o.get_attribute("aria-selected") != "true"]
    if not choices:  # the menu opened on another list (a page still redrawing): a failed interaction, said so
        await page.keyboard.press("Escape")
        raise NoRerun(f"the Colour by menu offered none of {', '.join(COLOURINGS)}")
    latency = await _rerun_latency(page, session.rng.choice(choices).click)
    await page.evaluate(BLUR)  # untimed: the focused menu keeps the map from hovering, as a person clicks away
    return latency


async def _go_to(session: Session, title: str) -> float:
    link = session.page.locator("[data-testid='stSidebarNav'] a", has_text=title)
    return await _rerun_latency(session.page, link.click)


async def _label_page(session: Session) -> float:
    latency = await _go_to(session, "Label")
    if not session.annotated:
        name = session.page.locator("[data-testid='stSidebar'] input[aria-label='Annotator']")
        await name.fill(f"load-{session.number}")
        latency += await _rerun_latency(session.page, lambda: name.press("Enter"))
        session.annotated = True
    return latency


async def _save_label(session: Session) -> float:
    page = session.page
    score = page.locator(".st-key-label_interest").get_by_role("radio", name=str(session.rng.randint(1, 5)),
                                                                 exact=True)
    await _rerun_latency(page, score.click)  # untimed: choosing is thinking
    return await _rerun_latency(page, page.locator(".st-key-save button").click)


async def _interact(session: Session, kind: str, url: str) -> float:
    """Make one interaction of ``kind``; its latency [s]."""
    if kind == "open_map":
        return await _open_map(session, url)
    if kind == "click_point":
        return await _click_point(session)
    if kind == "open_neighbour":
        return await _open_neighbour(session)
    if kind == "change_colouring":
        return await _change_colouring(session)
    if kind == "search_page":
        return await _go_to(session, "Search")
    if kind == "label_page":
        return await _label_page(session)
    return await _save_label(session)


def _watch(session: Session, origin: str) -> None:
    """Collect the page's console errors, uncaught page errors and websocket errors into ``session.errors``;
    not a resource of another host than ``origin`` that failed to load (a sky-survey link offline)."""
    page = session.page

    def console(message) -> None:
        source = message.location.get("url") or origin
        if message.type == "error" and source.startswith(origin):
            session.errors.append(f"console: {message.text[:300]}")

    page.on("console", console)
    page.on("pageerror", lambda e: session.errors.append(f"page: {str(e)[:300]}"))
    page.on("websocket", lambda ws: ws.on("socketerror", lambda e: session.errors.append(f"websocket: {e}")))


async def _session(context, number: int, url: str, config: LoadConfig, deadline: float) -> list[Interaction]:
    page = await context.new_page()
    await page.add_init_script(RUN_COUNTER)
    session = Session(number, page, random.Random(config.seed * 1000 + number))
    _watch(session, urlsplit(url)._replace(path="", query="").geturl())
    kinds = [k for k in ROUND if not (config.public and k == "save_label")]
    done: list[Interaction] = []
    step = 0
    await asyncio.sleep(session.rng.uniform(*config.think_s))
    while time.monotonic() < deadline and len(done) < config.max_interactions:
        try:
            kind = kinds[step]
            latency = await _interact(session, kind, url)
            if await page.locator(EXCEPTIONS).count():
                shown = await page.locator(EXCEPTIONS).first.inner_text()
                raise RuntimeError(f"exception on the page: {shown[:300]}")
            error = "; ".join(session.errors) or None
            done.append(Interaction(number, kind, latency, error))
        except Exception as err:  # noqa: BLE001 - any failure is a result of the load test, recorded
            done.append(Interaction(number, kind, None, f"{type(err).__name__}: {str(err).splitlines()[0][:300]}"))
            step = -1  # start the round again, from the map
        session.errors.clear()
        step = (step + 1) % len(kinds)
        await asyncio.sleep(session.rng.uniform(*config.think_s))
    return done


async def _rss_sampler(pid: int, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(rss_mb(pid))
        try:
            await asyncio.wait_for(stop.wait(), RSS_EVERY_S)
        except TimeoutError:
            pass


def _percentiles(latencies: list[float]) -> dict:
    """Count, smallest, median and 95th percentile [s] of ``latencies`` (None without any)."""
    if not latencies:
        return {"n": 0, "min_s": None, "p50_s": None, "p95_s": None}
    return {"n": len(latencies), "min_s": float(min(latencies)), "p50_s": float(np.percentile(latencies, 50)),
            "p95_s": float(np.percentile(latencies, 95))}


async def _drive(url: str, pid: int, config: LoadConfig) -> tuple[list[Interaction], list[float], float]:
    """All sessions against the server at ``url`` (process ``pid``); the interactions, the RSS samples [MiB]
    and the server CPU time spent meanwhile [s]."""
    from playwright.async_api import async_playwright

    samples: list[float] = []
    stop = asyncio.Event()
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        try:
            contexts = [await browser.new_context(viewport=VIEWPORT) for _ in range(config.sessions)]
            sampler = asyncio.create_task(_rss_sampler(pid, samples, stop))
            cpu_start = cpu_s(pid)
            deadline = time.monotonic() + 60.0 * config.minutes
            runs = await asyncio.wait_for(
                asyncio.gather(*(_session(c, i, url, config, deadline) for i, c in enumerate(contexts))),
                timeout=60.0 * config.minutes + 2 * TIMEOUT_MS / 1000 + 60.0)  # the time bound, whatever happens
            cpu = cpu_s(pid) - cpu_start
            stop.set()
            await sampler
        finally:
            await browser.close()
    return [i for run in runs for i in run], samples, cpu


def run_load(data_root: Path, config: LoadConfig, dataset: str | None = None, model: str | None = None) -> dict:
    """Serve the app on ``data_root`` (labels into a scratch database) and drive ``config.sessions`` sessions
    against the map of artifact set ``dataset`` · ``model`` (default: the first); the summary as a dict."""
    chosen = next(s for s in find_artifact_sets(Path(data_root))
                  if dataset in (None, s.dataset) and model in (None, s.model))
    with tempfile.TemporaryDirectory() as tmp:
        env = {"ASTRODISC_LABELS": f"{tmp}/labels.sqlite", **({"ASTRODISC_PUBLIC": "1"} if config.public else {})}
        with serve_app(Path(data_root), Path(tmp) / "streamlit.log", env=env, timeout_s=120) as server:
            started = time.monotonic()
            interactions, rss, cpu = asyncio.run(_drive(set_url(server.url, chosen.dataset, chosen.model),
                                                        server.pid, config))
            wall = time.monotonic() - started
    ok = [i for i in interactions if i.latency_s is not None]
    errors = [i for i in interactions if i.error is not None]
    return {
        "config": asdict(config), "artifact_set": chosen.label, "wall_s": wall,
        "interactions": len(interactions), "errors": len(errors),
        "error_samples": [asdict(i) for i in errors[:20]],
        "latency_s": {"all": _percentiles([i.latency_s for i in ok]),
                      **{k: _percentiles([i.latency_s for i in ok if i.kind == k]) for k in dict.fromkeys(ROUND)}},
        "server_rss_mb": {"start": rss[0], "max": max(rss), "end": rss[-1]},
        "server_cpu_s": cpu, "server_cpu_s_per_interaction": cpu / max(len(interactions), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--max-interactions", type=int, default=1000, help="per session")
    parser.add_argument("--data", type=Path, default=None, help="data root (default: ASTRODISC_DATA or data/)")
    parser.add_argument("--dataset", default=None, help="artifact set's dataset (default: the first set)")
    parser.add_argument("--model", default=None, help="artifact set's model")
    parser.add_argument("--public", action="store_true", help="serve in public mode (no labels saved)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--think", default="3,10", help="pause between a session's interactions: min,max [s]")
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write (else printed)")
    args = parser.parse_args(argv)
    think = tuple(float(v) for v in args.think.split(","))
    config = LoadConfig(args.sessions, args.minutes, args.max_interactions, think_s=think, public=args.public,
                        seed=args.seed)
    result = run_load(args.data or data_dir(), config, args.dataset, args.model)
    text = json.dumps(result, indent=2)
    if args.out is None:
        print(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
        print(f"{result['interactions']} interactions, {result['errors']} errors -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
