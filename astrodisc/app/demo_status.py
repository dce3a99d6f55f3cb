"""The demo build's progress in the browser (``astrodisc demo --serve`` builds behind the app): each demo's
state and stage, a bar per demo and the time left by the measured durations. The status redraws itself every
REFRESH_S seconds and reruns the whole app when another demo is ready, so it joins the picker at once.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from astrodisc.chain.demo import (
    FAILED,
    READY,
    RUNNING,
    DemoProgress,
    StepProgress,
    expected_left_s,
    is_building,
    read_progress,
)

REFRESH_S = 3.0  # how often the status reads the progress file again
RUNNING_CAP = 0.95  # a running step's bar stops here until it is ready (its duration is an estimate)


def show_demo_build(data_root: Path, *, compact: bool) -> bool:
    """The progress of a demo build still running under ``data_root`` (nothing if there is none): the full list
    (``compact`` False, the page a first visitor sees while nothing is ready) or one line and a bar (the
    sidebar, once a demo can be opened). A build that failed is said. Returns whether a build is under way."""
    progress = read_progress(data_root)
    if progress is None:
        return False
    failed = [s for s in progress.steps if s.state == FAILED]
    if failed:
        st.warning("Demo build failed: " + "; ".join(f"`{s.step.dataset}`: {s.error}" for s in failed))
    if not is_building(progress):
        return False
    ready = _ready(progress)

    @st.fragment(run_every=REFRESH_S)
    def status() -> None:
        latest = read_progress(data_root) or progress
        if _ready(latest) != ready or latest.finished:
            st.rerun(scope="app")  # a demo is ready: the picker lists it
        (_compact if compact else _full)(latest)

    status()
    return True


def _ready(progress: DemoProgress) -> int:
    return sum(s.state == READY for s in progress.steps)


def _left(progress: DemoProgress) -> str:
    minutes = expected_left_s(progress) / 60
    return f"about {minutes:.0f} min left" if minutes >= 1.5 else "about a minute left"


def _share(step: StepProgress, now: float) -> float:
    """How far one step is, in [0, 1]: its elapsed time over its expected duration while it runs."""
    if step.state in (READY, FAILED):
        return 1.0
    if step.state == RUNNING and step.started is not None:
        return min((now - step.started) / step.step.expected_s, RUNNING_CAP)
    return 0.0


def _compact(progress: DemoProgress) -> None:
    running = next((s for s in progress.steps if s.state == RUNNING), None)
    now = time.time()
    done = sum(_share(s, now) * s.step.expected_s for s in progress.steps)
    total = sum(s.step.expected_s for s in progress.steps)
    what = f"{running.step.title} building" if running else "starting"
    st.progress(
        done / total,
        text=f"Demo build: {_ready(progress)} of {len(progress.steps)} ready · {what} · {_left(progress)}",
    )


def _full(progress: DemoProgress) -> None:
    st.markdown(f"**Building the demo on this machine** · {_left(progress)}; each demo opens here when it is ready.")
    now = time.time()
    for step in progress.steps:
        words = {
            READY: "ready",
            FAILED: f"failed: {step.error}",
            RUNNING: f"{step.stage} ({now - (step.started or now):.0f} s)",
        }.get(step.state, "waiting")
        st.progress(_share(step, now), text=f"{step.step.title} (`{step.step.dataset}`): {words}")
