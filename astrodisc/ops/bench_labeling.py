"""A labeling session at keyboard speed, timed in chromium, as JSON: ``astrodisc bench --parts labeling
--pages-data DIR`` (the first artifact set under DIR, or ``--labeling-set dataset/model``).

A fresh browser context opens the Label page with a fresh label database, gives a name, and labels
``n_labels`` objects with keys only (``astrodisc.app.label_keys``): a number key for the class, Shift+number for
the interest, Enter. For each label, the time from the Enter key until the next object is drawn: its heading
shown, the keyboard panel on it, the script run finished and every chart of the page drawn (``SETTLED`` of
``bench_pages``). At the end every label must be in the database with the class and interest typed. The
target is a p95 of 1 s on an idle 2-core machine.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from astrodisc.app.label_keys import CLASS_KEYS
from astrodisc.app.state import find_artifact_sets
from astrodisc.app.warm_up import warm_up
from astrodisc.labels.database import LabelDB
from astrodisc.ops.bench_pages import SETTLED
from astrodisc.ops.browser import VIEWPORT, launch_chromium, serve

TARGET_P95_S = 1.0
HEADING = "[data-testid='stMain'] h3:has(code)"  # the object's heading
# The object whose panel is drawn and settled, or false: the heading's object id once the keyboard panel shows it.
DRAWN = f"""(previous) => {{
  const heading = document.querySelector("{HEADING}");
  const panel = document.querySelector('.astrodisc-label-keys');
  if (!heading || !panel || !({SETTLED})()) return false;
  const shown = heading.innerText.trim();
  return shown !== previous && panel.__object === shown && !panel.__state.busy ? shown : false;
}}"""


def labeling_figures(data_root: Path, n_labels: int = 50, picked: str | None = None, timeout_s: float = 120.0) -> dict:
    """Seconds from Enter to the next object drawn, per label (p50, p95, max), and whether every label was
    stored with its class and interest."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a benchmark dependency

    sets = [s for s in find_artifact_sets(data_root) if picked in (None, f"{s.dataset}/{s.model}")]
    if not sets:
        raise ValueError(f"no artifact set {picked or ''} under {data_root}")
    chosen = sets[0]
    scratch = Path(tempfile.mkdtemp(prefix="astrodisc-labeling-"))
    labels_path = scratch / "labels.sqlite"
    classes = _classes(chosen.path)
    typed: list[tuple[str, str, int]] = []
    seconds: list[float] = []
    env = {**os.environ, "ASTRODISC_LABELS": str(labels_path)}
    with serve(data_root, scratch / "streamlit.log", env=env, timeout_s=timeout_s) as url:
        warm_up(url, [(chosen.dataset, chosen.model)], timeout_s)
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.goto(f"{url}/label?dataset={chosen.dataset}&model={chosen.model}", timeout=timeout_s * 1000)
            page.locator("[data-testid='stSidebar'] input[aria-label='Annotator']").fill("bench")
            page.keyboard.press("Enter")
            shown = page.wait_for_function(DRAWN, arg="", timeout=timeout_s * 1000).json_value()
            page.mouse.click(VIEWPORT["width"] - 20, VIEWPORT["height"] - 20)  # out of the name field
            for i in range(n_labels):
                label, interest = classes[i % len(classes)], i % 6
                page.keyboard.press(CLASS_KEYS[i % len(classes)])
                page.keyboard.press(f"Shift+Digit{interest}")
                start = time.perf_counter()
                page.keyboard.press("Enter")
                after = page.wait_for_function(DRAWN, arg=shown, timeout=timeout_s * 1000).json_value()
                seconds.append(time.perf_counter() - start)
                typed.append((shown, label, interest))
                shown = after
            browser.close()
    stored = LabelDB(labels_path).latest(chosen.dataset, "bench")
    got = {(o, str(c), int(i)) for o, c, i in stored[["object_id", "label", "interest"]].itertuples(index=False)}
    return {
        "artifact_set": f"{chosen.dataset}/{chosen.model}",
        "labels": n_labels,
        "seconds": {
            "p50": round(float(np.percentile(seconds, 50)), 3),
            "p95": round(float(np.percentile(seconds, 95)), 3),
            "max": round(float(np.max(seconds)), 3),
        },
        "target_p95_s": TARGET_P95_S,
        "met": float(np.percentile(seconds, 95)) <= TARGET_P95_S,
        "stored": len(stored),
        "stored_as_typed": len(got & set(typed)),
        "every_label_stored_with_its_class": got == set(typed) and len(stored) == n_labels,
    }


def _classes(artifact_dir: Path) -> list[str]:
    """The dataset's classes on keys 1-9, 0 (as the Label page lists them)."""
    from astrodisc.chain.artifacts import load_artifacts  # noqa: PLC0415
    from astrodisc.data.open_store import open_store  # noqa: PLC0415

    store = open_store(Path(load_artifacts(artifact_dir).manifest["dataset"]["path"]))
    return list(store.info.classes)[: len(CLASS_KEYS)]
