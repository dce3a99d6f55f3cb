"""The demo built behind the app (astrodisc.chain.demo): the quick 5,000-object demos first and only while the
full ones are missing, a failed demo recorded without stopping the others, and the progress the app shows
while nothing is ready and once a demo can be opened."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from astrodisc.chain import demo
from astrodisc.chain.demo import FAILED, PLAN, READY, RUNNING, WAITING, DemoProgress, StepProgress
from astrodisc.paths import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


def _built(root: Path, step: demo.DemoStep) -> None:
    folder = root / step.dataset / step.model
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")


def test_quick_demos_come_first_and_only_while_the_full_demo_of_their_kind_is_missing(tmp_path):
    assert demo.steps_to_build(tmp_path) == list(PLAN)
    assert [s.n for s in PLAN[:2]] == [demo.QUICK_N] * 2 and PLAN[0].kind == "varstars"
    (full_varstars,) = [s for s in PLAN if s.kind == "varstars" and s.n == demo.FULL_N]
    _built(tmp_path, full_varstars)
    assert [s.dataset for s in demo.steps_to_build(tmp_path)] == ["galaxies-demo-5k", "galaxies-demo"]
    for step in PLAN:
        if not (tmp_path / step.dataset / step.model).exists():
            _built(tmp_path, step)
    assert demo.steps_to_build(tmp_path) == []  # a later `make demo` builds nothing


def test_each_step_is_simulated_then_built_a_failure_is_recorded_and_the_rest_goes_on(tmp_path):
    seen: list[tuple[str, str, str]] = []

    def simulate(step, folder: Path) -> None:
        stage = demo.read_progress(tmp_path).steps[len({s for _, s, _ in seen})].stage
        seen.append(("simulate", step.dataset, stage))
        folder.mkdir()
        (folder / "dataset.json").write_text("{}")

    def build(step, folder: Path) -> None:
        seen.append(("build", step.dataset, ""))
        if step.kind == "galaxies" and step.n == demo.QUICK_N:
            raise RuntimeError("no space left on device\nsecond line")
        _built(tmp_path, step)

    (tmp_path / PLAN[2].dataset).mkdir()
    (tmp_path / PLAN[2].dataset / "dataset.json").write_text("{}")  # a survey simulated before: built only
    progress = demo.build_demos(tmp_path, list(PLAN), simulate, build)
    assert [s.state for s in progress.steps] == [READY, FAILED, READY, READY]
    assert progress.steps[1].error == "RuntimeError: no space left on device"
    assert [(kind, name) for kind, name, _ in seen] == [
        ("simulate", "varstars-demo-5k"),
        ("build", "varstars-demo-5k"),
        ("simulate", "galaxies-demo-5k"),
        ("build", "galaxies-demo-5k"),
        ("build", "varstars-demo"),
        ("simulate", "galaxies-demo"),
        ("build", "galaxies-demo"),
    ]
    assert seen[0][2] == "simulating 5,000 variable stars"
    read = demo.read_progress(tmp_path)
    assert read is not None and read.finished and not demo.is_building(read)
    assert [s.state for s in read.steps] == [READY, FAILED, READY, READY] and read.steps[0].step == PLAN[0]


def test_time_left_counts_waiting_steps_whole_and_the_running_one_by_its_elapsed_time():
    now = 1_000.0
    steps = [StepProgress(PLAN[0], READY), StepProgress(PLAN[1], RUNNING, "x", started=now - 30)]
    steps += [StepProgress(s) for s in PLAN[2:]]
    progress = DemoProgress(steps, updated=now)
    expected = (PLAN[1].expected_s - 30) + PLAN[2].expected_s + PLAN[3].expected_s
    assert demo.expected_left_s(progress, now) == pytest.approx(expected)
    late = DemoProgress([replace(steps[1], started=now - 10 * PLAN[1].expected_s)], updated=now)
    assert demo.expected_left_s(late, now) == pytest.approx(0.1 * PLAN[1].expected_s)  # never "0 s left"
    assert not progress.finished and not progress.stale(now + 60) and progress.stale(now + demo.STALE_S + 1)


def _progress(root: Path, states: list[str]) -> None:
    now = time.time()
    steps = [
        StepProgress(step, state, "simulating" if state == RUNNING else "", now - 20 if state != WAITING else None)
        for step, state in zip(PLAN, states, strict=True)
    ]
    DemoProgress(steps).save(root / demo.PROGRESS_FILE)


def test_the_page_shows_the_build_while_nothing_is_ready(tmp_path, monkeypatch):
    monkeypatch.setenv("ASTRODISC_DATA", str(tmp_path))
    _progress(tmp_path, [RUNNING, WAITING, WAITING, WAITING])
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert any(t.startswith("**Building the demo on this machine**") for t in texts)
    bars = [p.proto.text for p in at.get("progress")]
    assert len(bars) == 4 and bars[0].startswith("5,000 variable stars (`varstars-demo-5k`): simulating")
    assert not at.info  # no "nothing built" advice while the build runs


def test_the_sidebar_shows_the_build_once_a_demo_opens_and_a_failure_is_said(tiny_data):
    root = tiny_data.data_root
    _progress(root, [READY, RUNNING, WAITING, WAITING])
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.exception
        (bar,) = [p.proto.text for p in at.sidebar.get("progress")]
        assert bar.startswith("Demo build: 1 of 4 ready · 5,000 galaxies building · about")
        _progress(root, [READY, FAILED, READY, READY])
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.sidebar.get("progress") and "Demo build failed" in at.sidebar.warning[0].value
    finally:
        (root / demo.PROGRESS_FILE).unlink()
