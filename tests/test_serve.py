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
import urllib.request

from conftest import Fixture

from astrodisc.browser import free_port
from astrodisc.paths import PROJECT_ROOT


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
            return answer.read() == b"ok"
    except OSError:
        return False


def test_serve_warms_its_default_page_and_a_sigterm_stops_the_server(tiny_artifacts: Fixture):
    port = free_port()
    serve = subprocess.Popen([sys.executable, "-m", "astrodisc", "serve", "--port", str(port), "--data",
                              str(tiny_artifacts.data_root)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                             start_new_session=True)  # a group of its own: a failed test kills the server too
    url = f"http://127.0.0.1:{port}"
    try:
        output: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [output.put(line.rstrip()) for line in serve.stdout], daemon=True).start()
        lines, deadline = [], time.monotonic() + 180
        while not (lines and lines[-1].startswith(("warmed up", "warm-up failed"))):
            lines.append(output.get(timeout=max(0.0, deadline - time.monotonic())))
        assert lines[-1].startswith("warmed up: the first page ran in"), "\n".join(lines)
        assert _answers(url)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0
        assert not _answers(url)  # the server went with it, not left running as an orphan
    finally:
        try:
            os.killpg(serve.pid, signal.SIGKILL)  # whatever of the group is left (nothing, when the test passed)
        except ProcessLookupError:
            pass
        serve.wait()
