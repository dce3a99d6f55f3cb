"""A freshly started server made ready for its first visitor: wait until it answers its health check, then open
its default page once, as a browser would, so that the app's imports and the artifact load (``st.cache_resource``,
shared by every later session) are paid before anyone comes; then every other page of every artifact set, so no
first visitor of a page waits for what it computes once per set. On the demo map a fresh server's first page took
4.2 s and later sessions' first pages 0.8-1.1 s; warmed, the first visitor's took 0.7 s (the load client of
:mod:`astrodisc.app.client`).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlencode

from astrodisc.app.view_link import DATASET, MODEL

HEALTH_POLL_S = 0.3  # between health checks [s]
PAGES = ("Label", "Subclasses", "Search", "Model")  # the pages after the default one (the map), by title


def wait_healthy(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    """Return once the Streamlit server at ``url`` answers ``/_stcore/health`` with ok; RuntimeError if
    ``process`` (the server) exits first, TimeoutError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"streamlit did not answer within {timeout_s:.0f} s")
        time.sleep(HEALTH_POLL_S)


def warm_up(url: str, sets: Sequence[tuple[str, str]] = (), timeout_s: float = 60.0) -> float:
    """Open the default page of the server at ``url`` once, then every page of each artifact set of ``sets``
    ((dataset, model) pairs), so what each page computes once per set and keeps for every session (the Model
    page's map faithfulness, the Search page's encoder, the Subclasses page's profiles) is computed before anyone
    comes; seconds from connecting to the default page's run settling. :class:`astrodisc.app.client.SessionError`
    if a page showed an exception or did not finish within ``timeout_s``."""
    from astrodisc.app.client import StreamlitSession  # noqa: PLC0415 - protobufs and websockets: not for wait_healthy's users

    async def visit() -> float:
        session, run = await StreamlitSession.open(url, timeout_s=timeout_s)
        await session.close()
        for dataset, model in sets:
            session, _ = await StreamlitSession.open(url, urlencode({DATASET: dataset, MODEL: model}), timeout_s)
            try:
                for page in PAGES:
                    await session.rerun(page=page, timeout_s=timeout_s)
            finally:
                await session.close()
        return run.latency_s

    return asyncio.run(visit())
