"""Load test: concurrent Streamlit sessions against the app on localhost, bounded in count and time (not in CI).

Each session speaks Streamlit's websocket protocol itself (:mod:`astrodisc.app.client`: no browser, no
rendering), so the client costs the machine little and what is measured is the server. All sessions run in one
asyncio loop; each walks the same round of interactions (they start apart by a random think time), with a think
time of ``think_s`` between interactions, until ``minutes`` have passed or it has made ``max_interactions``.
An interaction is what a person does in the browser, sent as the widget states the frontend would send:

    open_map          open the map page of the artifact set by its link (a new connection and its first run)
    click_point       click a random marker of the map (the plotly selection of that point); the object opens:
                      the URL names it and its neighbour cards are drawn
    open_neighbour    press "open" on a random neighbour card; that object opens
    change_colouring  pick another "Colour by" column of COLOURINGS in the sidebar
    search_page       go to the Search page (sidebar navigation)
    label_page        go to the Label page, then type the annotator name if its box is empty
    save_label        pick an interest score and press Save (skipped in public mode)

Latency of an interaction: from sending it (open_map: from connecting) to the finish of the last script run it
caused, once QUIET_S passed without another. An interaction fails on a timeout, a lost connection, an exception
shown, a run that did not finish successfully, or the page not answering as in the browser (the widget to use
missing, the clicked object not opened, no "Saved"); the session then starts its round again from the map. The
server's resident memory is sampled every second; the server time per interaction is the server process's CPU
time over the run divided by the interactions (Streamlit runs every session's script in one process, so this is
the CPU it spends per interaction, whatever session it serves). Example::

    astrodisc load --sessions 10 --minutes 5 --out docs/load.json
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd

from astrodisc.app import public_mode
from astrodisc.app.client import (
    Run,
    SessionError,
    StreamlitSession,
    WidgetState,
    options,
    plotly_click,
    plotly_markers,
    trigger,
    widget_value,
)
from astrodisc.app.state import OBJECT_PARAM, find_artifact_sets
from astrodisc.ops.browser import cpu_s, rss_mb, serve_app, set_url

ROUND = (
    "open_map",
    "click_point",
    "open_neighbour",
    "change_colouring",
    "click_point",
    "search_page",
    "label_page",
    "save_label",
)
TIMEOUT_S = 60.0  # longest wait for any one interaction
RSS_EVERY_S = 1.0
COLOURINGS = ("label", "cluster", "pred_label", "anomaly_score", "mislabel_score", "period", "amplitude")
# Widget keys of the pages (pages/map.py, pages/search.py, pages/label.py) and the neighbour cards' container.
MAP_KEY, COLOUR_KEY, NEIGHBOURS, SEARCH_MODE_KEY = "map", "colour_by", "neighbours", "search_mode"
ANNOTATOR_KEY, INTEREST_KEY, SAVE_KEY = "annotator", "label_interest", "save"


@dataclass(frozen=True)
class LoadConfig:
    """How many sessions, for how long, and how they pace themselves."""

    sessions: int = 10
    minutes: float = 5.0
    max_interactions: int = 1000  # per session
    think_s: tuple[float, float] = (3.0, 10.0)  # pause between interactions, uniform [s]: a person reads the panel
    public: bool = False  # serve in public mode (ASTRODISC_PUBLIC=1, XSRF protection on): no label is saved
    seed: int = 0


@dataclass(frozen=True)
class Interaction:
    """One interaction of one session: its kind, latency [s] (None if it failed) and error (None if none)."""

    session: int
    kind: str
    latency_s: float | None
    error: str | None = None


@dataclass(frozen=True)
class Target:
    """What the sessions open: the server's ``url``, the ``query`` string of the map link of the artifact set,
    and the set's ``object_ids`` (N,) str by catalogue row (to check that a click opens the object clicked)."""

    url: str
    query: str
    object_ids: np.ndarray


@dataclass
class Session:
    """One load session: its number, random choices, Streamlit session and that session's last run."""

    number: int
    rng: random.Random
    client: StreamlitSession | None = None
    run: Run | None = None

    def connected(self) -> tuple[StreamlitSession, Run]:
        """The Streamlit session and its last run; SessionError before the map was opened."""
        if self.client is None or self.run is None:
            raise SessionError("no page open: the map was not opened")
        return self.client, self.run


async def _rerun(session: Session, changes: Sequence[WidgetState] = (), page: str | None = None) -> float:
    """Rerun ``session`` with widget ``changes`` (or on ``page``); its latency [s]."""
    client, _ = session.connected()
    session.run = await client.rerun(changes, page, TIMEOUT_S)
    return session.run.latency_s


def _expect_open(session: Session, target: Target, row: int) -> None:
    """SessionError unless the object of catalogue ``row`` is open: the URL names it, its neighbour cards drawn."""
    wanted = str(target.object_ids[row])
    client, run = session.connected()
    opened = parse_qs(client.query_string).get(OBJECT_PARAM, ["none"])[0]
    cards = len(run.find("button", within=NEIGHBOURS))
    if opened != wanted or not cards:
        raise SessionError(f"object {wanted} did not open (the URL names {opened}; {cards} neighbour cards)")


async def _open_map(session: Session, target: Target) -> float:
    if session.client is not None:  # the browser leaves the page it showed
        await session.client.close()
        session.client = None
    client, run = await StreamlitSession.open(target.url, target.query, TIMEOUT_S)
    session.client, session.run = client, run
    run.one("plotly_chart", key=MAP_KEY)
    return run.latency_s


async def _click_point(session: Session, target: Target) -> float:
    chart = session.connected()[1].one("plotly_chart", key=MAP_KEY)
    markers = plotly_markers(chart)
    if not markers:
        raise SessionError("the map has no marker to click")
    marker = session.rng.choice(markers)
    latency = await _rerun(session, [plotly_click(chart, marker)])
    data = marker.customdata
    _expect_open(session, target, int(data[0] if isinstance(data, list) else data))
    return latency


async def _open_neighbour(session: Session, target: Target) -> float:
    buttons = session.connected()[1].find("button", within=NEIGHBOURS)
    if not buttons:
        raise SessionError("no neighbour card to open")
    button = session.rng.choice(buttons)
    latency = await _rerun(session, [trigger(button)])
    if button.key is None:
        raise SessionError("a neighbour card's button has no key")
    _expect_open(session, target, int(button.key.rsplit("_", 1)[1]))  # the card's button key: open_<row>
    return latency


async def _change_colouring(session: Session, target: Target) -> float:
    client, run = session.connected()
    box = run.one("selectbox", key=COLOUR_KEY)
    shown = client.held(box)
    choices = [o for o in options(box) if o in COLOURINGS and (shown is None or o != shown.string_value)]
    if not choices:
        raise SessionError(f"Colour by offers none of {', '.join(COLOURINGS)} but the one shown")
    choice = session.rng.choice(choices)
    latency = await _rerun(session, [widget_value(box, choice)])
    client, run = session.connected()
    shown = client.held(run.one("selectbox", key=COLOUR_KEY))
    run.one("plotly_chart", key=MAP_KEY)
    if shown is None or shown.string_value != choice:
        raise SessionError(f"the map is not coloured by {choice} after picking it")
    return latency


async def _search_page(session: Session, target: Target) -> float:
    latency = await _rerun(session, page="Search")
    session.connected()[1].one("radio", key=SEARCH_MODE_KEY)
    return latency


async def _label_page(session: Session, target: Target) -> float:
    latency = await _rerun(session, page="Label")
    client, run = session.connected()
    name = run.one("text_input", key=ANNOTATOR_KEY)
    typed = client.held(name)
    if typed is None or not typed.string_value:
        latency += await _rerun(session, [widget_value(name, f"load-{session.number}")])
    session.connected()[1].one("button", key=SAVE_KEY)
    return latency


async def _save_label(session: Session, target: Target) -> float:
    scores = session.connected()[1].one("button_group", key=INTEREST_KEY)
    await _rerun(session, [widget_value(scores, [session.rng.choice(options(scores))])])  # untimed: choosing
    latency = await _rerun(session, [trigger(session.connected()[1].one("button", key=SAVE_KEY))])
    told = [toast.proto.body for toast in session.connected()[1].find("toast")]
    if not any(body.startswith("Saved") for body in told):
        raise SessionError(f"the label was not saved (toasts: {told})")
    return latency


INTERACTIONS: dict[str, Callable[[Session, Target], Awaitable[float]]] = {
    "open_map": _open_map,
    "click_point": _click_point,
    "open_neighbour": _open_neighbour,
    "change_colouring": _change_colouring,
    "search_page": _search_page,
    "label_page": _label_page,
    "save_label": _save_label,
}


async def _session(number: int, target: Target, config: LoadConfig, deadline: float) -> list[Interaction]:
    session = Session(number, random.Random(config.seed * 1000 + number))
    kinds = [k for k in ROUND if not (config.public and k == "save_label")]
    done: list[Interaction] = []
    step = 0
    await asyncio.sleep(session.rng.uniform(*config.think_s))
    try:
        while time.monotonic() < deadline and len(done) < config.max_interactions:
            kind = kinds[step]
            try:
                done.append(Interaction(number, kind, await INTERACTIONS[kind](session, target)))
            except Exception as err:  # noqa: BLE001 - any failure is a result of the load test, recorded
                done.append(Interaction(number, kind, None, f"{type(err).__name__}: {str(err).splitlines()[0][:300]}"))
                step = -1  # start the round again, from the map
            step = (step + 1) % len(kinds)
            await asyncio.sleep(session.rng.uniform(*config.think_s))
    finally:
        if session.client is not None:
            await session.client.close()
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
    return {
        "n": len(latencies),
        "min_s": float(min(latencies)),
        "p50_s": float(np.percentile(latencies, 50)),
        "p95_s": float(np.percentile(latencies, 95)),
    }


async def _drive(target: Target, pid: int, config: LoadConfig) -> tuple[list[Interaction], list[float], float]:
    """All sessions against the server of ``target`` (process ``pid``); the interactions, the RSS samples [MiB]
    and the server CPU time spent meanwhile [s]."""
    samples: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(_rss_sampler(pid, samples, stop))
    cpu_start = cpu_s(pid)
    deadline = time.monotonic() + 60.0 * config.minutes
    try:
        runs = await asyncio.wait_for(
            asyncio.gather(*(_session(i, target, config, deadline) for i in range(config.sessions))),
            timeout=60.0 * config.minutes + 2 * TIMEOUT_S + 60.0,
        )  # the time bound, whatever happens
        cpu = cpu_s(pid) - cpu_start
    finally:
        stop.set()
        await sampler
    return [i for run in runs for i in run], samples, cpu


def _server_env(config: LoadConfig, labels: Path) -> dict[str, str]:
    """The app's environment: labels into the scratch database ``labels``; in public mode ASTRODISC_PUBLIC=1 and
    the public server's options (``public_mode.streamlit_env``: XSRF protection on, ...) as Streamlit's
    environment variables, since ``serve_app`` passes only its own command-line options."""
    env = {"ASTRODISC_LABELS": str(labels)}
    if config.public:
        env[public_mode.PUBLIC_ENV] = "1"
        env.update(public_mode.streamlit_env(public_mode.settings()))
    return env


def _tracebacks(log: str) -> list[str]:
    """The tracebacks in a server log: each from its "Traceback" line to the exception line that ends it."""
    found, lines = [], log.splitlines()
    for start, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = next(
                (i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines) - 1
            )
            found.append("\n".join(lines[start : end + 1]))
    return found


def run_load(data_root: Path, config: LoadConfig, dataset: str | None = None, model: str | None = None) -> dict:
    """Serve the app on ``data_root`` (labels into a scratch database) and drive ``config.sessions`` sessions
    against the map of artifact set ``dataset`` · ``model`` (default: the first); the summary as a dict."""
    chosen = next(
        s for s in find_artifact_sets(Path(data_root)) if dataset in (None, s.dataset) and model in (None, s.model)
    )
    object_ids = pd.read_parquet(chosen.path / "catalog.parquet", columns=["object_id"])["object_id"]
    with tempfile.TemporaryDirectory() as tmp:
        env = _server_env(config, Path(tmp) / "labels.sqlite")
        with serve_app(Path(data_root), Path(tmp) / "streamlit.log", env=env, timeout_s=120) as server:
            target = Target(
                server.url,
                urlsplit(set_url(server.url, chosen.dataset, chosen.model)).query,
                object_ids.astype(str).to_numpy(),
            )
            started = time.monotonic()
            interactions, rss, cpu = asyncio.run(_drive(target, server.pid, config))
            wall = time.monotonic() - started
        server_errors = _tracebacks((Path(tmp) / "streamlit.log").read_text(errors="replace"))
    ok = [(i.kind, i.latency_s) for i in interactions if i.latency_s is not None]
    errors = [i for i in interactions if i.error is not None]
    return {
        "config": asdict(config),
        "artifact_set": chosen.label,
        "client": "streamlit websocket protocol",
        "wall_s": wall,
        "interactions": len(interactions),
        "errors": len(errors),
        "error_samples": [asdict(i) for i in errors[:20]],
        "server_tracebacks": server_errors[:20],  # what the server logged (a public page shows it redacted)
        "latency_s": {
            "all": _percentiles([latency for _, latency in ok]),
            **{k: _percentiles([latency for kind, latency in ok if kind == k]) for k in dict.fromkeys(ROUND)},
        },
        "server_rss_mb": {
            "start": rss[0],
            "max": max(rss),
            "end": rss[-1],
            "each_minute": rss[:: round(60 / RSS_EVERY_S)],
        },  # levels off if memory is bounded
        "server_cpu_s": cpu,
        "server_cpu_s_per_interaction": cpu / max(len(interactions), 1),
    }
