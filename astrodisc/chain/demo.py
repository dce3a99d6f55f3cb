"""The demo, built on the machine in the order a first visitor needs it, its progress in a file the app reads.

On a fresh clone `make demo` serves the app at once and builds behind it (``astrodisc demo --serve``): first a
5,000-star variable-star survey and a 5,000-galaxy sky (a usable map within minutes), then the full 20,000-object
demos. Each step simulates its survey (seed 42) and builds its artifacts with the shipped encoder; the app lists
an artifact set as soon as its manifest is written, and shows this plan's progress meanwhile. A step whose set
already exists is skipped; the 5,000-object steps are skipped when the full demo of their kind exists (a later
`make demo` serves at once and builds nothing). Nothing here is committed data: every set is made on the machine.

The progress file (``<data>/demo-progress.json``, written atomically after each change) holds each step's state
(waiting, running, ready, failed), the running step's stage and start time, and its expected duration: measured
on an idle 2-core machine (docs/hosting.md), so the app can say "about N s left" without guessing.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from astrodisc.base.atomic import save_json

PROGRESS_FILE = "demo-progress.json"
SEED = 42  # every demo survey's seed
QUICK_N, FULL_N = 5_000, 20_000  # objects of the first, quick demo of each kind and of the full one
STALE_S = 15 * 60  # a running step not heard of for this long belongs to a builder that is gone
WAITING, RUNNING, READY, FAILED = "waiting", "running", "ready", "failed"


@dataclass(frozen=True)
class DemoStep:
    """One demo: a survey of ``n`` objects of ``kind`` in ``<data>/<dataset>``, built with the shipped ``model``;
    ``expected_s`` [s] is how long simulating and building it took on an idle 2-core machine."""

    kind: str
    dataset: str
    model: str
    n: int
    expected_s: float

    @property
    def title(self) -> str:
        return f"{self.n:,} {'variable stars' if self.kind == 'varstars' else 'galaxies'}"


# Seconds each step took on a 2-core machine (docs/hosting.md, docs/bench_demo.json: 178 s for the 5,000 stars;
# the 20,000-object builds as the README measured them before; the 5,000 galaxies scaled from the 20,000).
PLAN: tuple[DemoStep, ...] = (
    DemoStep("varstars", "varstars-demo-5k", "varstars-clip", QUICK_N, 180.0),
    DemoStep("galaxies", "galaxies-demo-5k", "galaxies-moco", QUICK_N, 90.0),
    DemoStep("varstars", "varstars-demo", "varstars-clip", FULL_N, 450.0),
    DemoStep("galaxies", "galaxies-demo", "galaxies-moco", FULL_N, 240.0),
)


@dataclass
class StepProgress:
    """Where one step stands: ``state`` (WAITING, RUNNING, READY, FAILED), the running ``stage`` in words,
    ``started`` and ``finished`` (Unix time [s]) and, for a failed step, the ``error`` in one line."""

    step: DemoStep
    state: str = WAITING
    stage: str = ""
    started: float | None = None
    finished: float | None = None
    error: str = ""


@dataclass
class DemoProgress:
    """The plan's progress, as the builder writes it and the app reads it."""

    steps: list[StepProgress]
    pid: int = field(default_factory=os.getpid)
    updated: float = field(default_factory=time.time)

    @property
    def finished(self) -> bool:
        return all(s.state in (READY, FAILED) for s in self.steps)

    def stale(self, now: float | None = None) -> bool:
        """Whether a builder that has not finished has not written for STALE_S (it stopped)."""
        return not self.finished and (now or time.time()) - self.updated > STALE_S

    def save(self, path: Path) -> None:
        self.updated = time.time()
        save_json(path, asdict(self))


def read_progress(data_root: Path) -> DemoProgress | None:
    """The demo build's progress under ``data_root``, None if there is none (or it cannot be read)."""
    path = Path(data_root) / PROGRESS_FILE
    try:
        raw = json.loads(path.read_text())
        steps = [StepProgress(**{**s, "step": DemoStep(**s["step"])}) for s in raw["steps"]]
        return DemoProgress(steps, int(raw["pid"]), float(raw["updated"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_building(progress: DemoProgress | None) -> bool:
    """Whether a demo build is under way: a progress file, not finished, its builder heard of lately."""
    return progress is not None and not progress.finished and not progress.stale()


def steps_to_build(data_root: Path, plan: tuple[DemoStep, ...] = PLAN) -> list[DemoStep]:
    """The steps of ``plan`` whose artifact set is missing under ``data_root``; a quick step only while the full
    demo of its kind is missing too."""

    def built(step: DemoStep) -> bool:
        return (Path(data_root) / step.dataset / step.model / "manifest.json").is_file()

    full_built = {s.kind for s in plan if s.n >= FULL_N and built(s)}
    return [s for s in plan if not built(s) and not (s.n < FULL_N and s.kind in full_built)]


def build_demos(
    data_root: Path,
    steps: list[DemoStep],
    simulate: Callable[[DemoStep, Path], None],
    build: Callable[[DemoStep, Path], None],
) -> DemoProgress:
    """Run ``steps`` in order: ``simulate(step, dataset_dir)`` unless the survey exists, then
    ``build(step, dataset_dir)``; the progress file is rewritten at every stage. A failed step is recorded with
    its error and the next one runs (the app still serves what is ready)."""
    path = Path(data_root) / PROGRESS_FILE
    progress = DemoProgress([StepProgress(s) for s in steps])
    progress.save(path)
    for current in progress.steps:
        dataset_dir = Path(data_root) / current.step.dataset
        current.state, current.started = RUNNING, time.time()
        try:
            if not (dataset_dir / "dataset.json").is_file():
                current.stage = f"simulating {current.step.title}"
                progress.save(path)
                simulate(current.step, dataset_dir)
            current.stage = "embedding with the shipped encoder, index, map, clusters and scores"
            progress.save(path)
            build(current.step, dataset_dir)
            current.state = READY
        except Exception as err:  # noqa: BLE001 - one failed demo must not stop the others or the server
            current.state, current.error = FAILED, f"{type(err).__name__}: {err}".splitlines()[0]
        current.finished, current.stage = time.time(), ""
        progress.save(path)
    return progress


def expected_left_s(progress: DemoProgress, now: float | None = None) -> float:
    """Seconds the plan still needs by the measured durations (the running step's elapsed time taken off, never
    below 10 % of its expected duration): an estimate, said as "about"."""
    now = now or time.time()
    left = 0.0
    for s in progress.steps:
        if s.state == WAITING:
            left += s.step.expected_s
        elif s.state == RUNNING:
            elapsed = now - (s.started or now)
            left += max(s.step.expected_s - elapsed, 0.1 * s.step.expected_s)
    return left
