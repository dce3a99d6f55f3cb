"""`astrodisc serve` as an operator runs it: the server comes up, warms itself by opening its default page once
(the page ran without an exception), and a SIGTERM to `astrodisc serve` (what `docker stop` sends) stops the
Streamlit server under it too."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import Fixture

from astrodisc.chain import demo
from astrodisc.ops.browser import free_port
from astrodisc.paths import PROJECT_ROOT


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
            return answer.read() == b"ok"
    except OSError:
        return False


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


@contextmanager
def _serving(
    data_root: Path, *options: str, verb: tuple[str, ...] = ("serve",)
) -> Iterator[tuple[str, subprocess.Popen, list[str]]]:
    """``astrodisc serve`` (or another serving ``verb``) on a free port over ``data_root`` until it says it warmed
    up: (its url, the process, its output lines)."""
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "astrodisc", *verb, "--port", str(port), *options],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "ASTRODISC_DATA": str(data_root)},
        start_new_session=True,
    )  # a group of its own: a failed test kills the server too
    try:
        output: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [output.put(line.rstrip()) for line in serve.stdout], daemon=True).start()
        lines, deadline = [], time.monotonic() + 180
        while not (lines and lines[-1].startswith(("warmed up", "warm-up failed"))):
            lines.append(output.get(timeout=max(0.0, deadline - time.monotonic())))
        yield f"http://127.0.0.1:{port}", serve, lines
    finally:
        try:
            os.killpg(serve.pid, signal.SIGKILL)  # whatever of the group is left (nothing, when the test passed)
        except ProcessLookupError:
            pass
        serve.wait()


def test_serve_warms_its_default_page_and_a_sigterm_stops_the_server(tiny_artifacts: Fixture):
    with _serving(tiny_artifacts.data_root) as (url, serve, lines):
        assert lines[-1].startswith("warmed up: the first page ran in"), "\n".join(lines)
        assert _answers(url)
        assert _status(f"{url}/_stcore/metrics") == 200  # Streamlit's metrics, open on a labeling server
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0
        assert not _answers(url)  # the server went with it, not left running as an orphan


def test_a_public_server_closes_streamlits_metrics(tiny_artifacts: Fixture):
    with _serving(tiny_artifacts.data_root, "--public") as (url, _, lines):
        assert lines[-1].startswith("warmed up: the first page ran in"), "\n".join(lines)
        assert _answers(url) and _status(f"{url}/_stcore/metrics") == 404
        assert _status(f"{url}/_stcore/metrics?families=session_uploaded_file_bytes") == 404


def test_demo_serve_answers_at_once_and_a_sigterm_mid_build_stops_the_build_and_the_server(tmp_path):
    """`make demo` on a fresh data root: the app answers while the first demo is being built, the build's progress
    is on disk for the app, and a SIGTERM stops the build and the server alike, leaving no artifact set behind."""
    with _serving(tmp_path, verb=("demo", "--serve")) as (url, serve, lines):
        assert _answers(url)
        deadline = time.monotonic() + 120
        while not ((progress := demo.read_progress(tmp_path)) and progress.steps[0].stage.startswith("embedding")):
            assert time.monotonic() < deadline, "\n".join(lines)
            time.sleep(0.5)
        assert [s.step.dataset for s in progress.steps] == [s.dataset for s in demo.PLAN]
        assert progress.steps[0].state == demo.RUNNING and (tmp_path / demo.PLAN[0].dataset / "dataset.json").is_file()
        time.sleep(5)  # well into the build: its worker threads busy
        assert _answers(url)  # serving while it builds
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0
        assert not _answers(url)
    assert not list(tmp_path.glob("*/*/manifest.json"))
