"""Running an evaluation as a list of cells: two caches, one progress bar, a progress file the Model page reads.

A cell is one number-producing unit of an evaluation (a probe at one label fraction and split seed, a network
trained from scratch, a section such as the anomaly AUROC). Where its result is kept:

- ``"artifacts"``: in the artifact set's own cache (``<artifacts>/evaluation-cache/<digest>``): cells that read
  the encoder (probes, fine-tuning);
- ``"dataset"``: in the dataset's baseline cache (``<dataset>/evaluation-baselines/<key>``): cells that do not
  depend on the encoder at all (networks from scratch, classical and pixel baselines), shared by every encoder
  evaluated on that dataset. The key digests the dataset's content (:func:`astrodisc.base.digests.dataset_digest`),
  the settings that change a baseline's result and ``BASELINE_VERSION``; it is printed, and written into the
  result (``baselines``), so a reader knows which run a figure came from;
- ``"never"``: recomputed each time (sections that read the build's catalogue, which a rebuild changes).

Cached cells are read first; the rest run in the order given (cheap frozen-embedding cells before networks, so
partial results come early). One bar counts cells done and left, its time-left estimate weighted by each cell's
rough ``cost`` (seconds on 2 cores). After every cell ``<artifacts>/evaluation-progress.json`` is rewritten
(:class:`EvaluationProgress`), which the Model page shows while an evaluation runs.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from astrodisc.base.atomic import save_json
from astrodisc.base.digests import dataset_digest
from astrodisc.eval.protocol import ResultCache
from astrodisc.eval.result import plain_json

BASELINE_VERSION = 1  # raise when a baseline's code changes its result: older cached baselines are then not read
BASELINES_DIR = "evaluation-baselines"
ARTIFACT_CACHE_DIR = "evaluation-cache"
PROGRESS_FILE = "evaluation-progress.json"

Keep = Literal["artifacts", "dataset", "never"]


@dataclass(frozen=True)
class Cell:
    key: str  # unique within its evaluation, e.g. "scratch-photometry-0.1-0"
    compute: Callable[[], Any]  # a dict or SeedSummary: its plain JSON (astrodisc.eval.result.plain_json) is kept
    keep: Keep = "artifacts"
    cost: float = 1.0  # rough seconds on 2 cores, for the time-left estimate only


@dataclass
class EvaluationProgress:
    """What ``evaluation-progress.json`` holds: the cells done so far and their headline figures."""

    total: int
    done: int = 0
    reused: int = 0  # cells read from a cache
    seconds: float = 0.0  # wall time so far
    seconds_left: float | None = None  # estimate
    baselines: str = ""  # the baseline cache's folder
    updated: float = 0.0  # Unix time of the last write
    finished: list[dict] = field(default_factory=list)  # per cell done, in order: {"cell": key, its numbers...}

    @property
    def complete(self) -> bool:
        return self.done >= self.total


def artifact_cache(artifacts_dir: Path, digest: str) -> ResultCache:
    """The artifact set's cache of the cells that read its encoder, under ``digest`` (data, weights, settings)."""
    return ResultCache(Path(artifacts_dir) / ARTIFACT_CACHE_DIR, digest)


def baseline_cache(dataset_dir: Path, settings: dict) -> ResultCache:
    """The dataset's cache of encoder-independent cells for ``settings`` (JSON-able: architecture, epochs ...)."""
    dataset_dir = Path(dataset_dir)
    text = json.dumps(
        {"dataset": dataset_digest(dataset_dir), "settings": settings, "version": BASELINE_VERSION}, sort_keys=True
    )
    return ResultCache(dataset_dir / BASELINES_DIR, hashlib.blake2b(text.encode(), digest_size=6).hexdigest())


def run_cells(
    cells: list[Cell], own: ResultCache, baselines: ResultCache, progress_file: Path, progress: bool
) -> dict[str, dict]:
    """Every cell's result by key (see the module docstring); rewrites ``progress_file`` after each cell."""
    caches: dict[Keep, ResultCache | None] = {"artifacts": own, "dataset": baselines, "never": None}
    status = EvaluationProgress(total=len(cells), baselines=str(baselines.root))
    results: dict[str, dict] = {}
    to_run = []
    for cell in cells:
        cache = caches[cell.keep]
        stored = cache.stored(cell.key) if cache is not None else None
        if stored is None:
            to_run.append(cell)
            continue
        results[cell.key] = stored
        status.reused += 1
        status.finished.append(_figures(cell.key, stored))
    status.done = status.reused
    if progress:
        print(
            f"[evaluate] {len(cells)} cells, {status.reused} read from the caches; baselines kept in {baselines.root}",
            flush=True,
        )
    budget = sum(cell.cost for cell in to_run)
    spent_cost = 0.0
    start = time.time()
    _write(progress_file, status)
    bar_format = "{desc}: {n_fmt}/{total_fmt} cells |{bar:20}| {elapsed} spent{postfix}"
    with tqdm(total=len(to_run), desc="evaluate", bar_format=bar_format, disable=not progress) as bar:
        for cell in to_run:
            value = plain_json(cell.compute())
            cache = caches[cell.keep]
            if cache is not None:
                cache.put(cell.key, value)
            results[cell.key] = value
            spent_cost += cell.cost
            status.done += 1
            status.seconds = time.time() - start
            status.seconds_left = status.seconds / spent_cost * (budget - spent_cost) if spent_cost else None
            status.finished.append(_figures(cell.key, value))
            _write(progress_file, status)
            left = status.total - status.done
            bar.set_postfix_str(f"{left} left, about {_minutes(status.seconds_left)} (last: {cell.key})", refresh=False)
            bar.update(1)
    return results


def read_progress(progress_file: Path) -> EvaluationProgress | None:
    """The progress an evaluation wrote, or None when there is none (or it is unreadable)."""
    try:
        return EvaluationProgress(**json.loads(Path(progress_file).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _figures(key: str, result: Any) -> dict:
    """The cell's key and the top-level numbers of its result (accuracy, macro F1, sigma_MAD ...)."""
    numbers = {k: v for k, v in result.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    return {"cell": key, **numbers}


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _write(progress_file: Path, status: EvaluationProgress) -> None:
    status.updated = time.time()
    save_json(progress_file, asdict(status))
