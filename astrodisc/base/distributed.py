"""Where per-object work runs: in this process (the default) or on a Dask cluster.

The per-object stages of the build (embedding, light-curve features, the k-NN searches of the anomaly and
label stages) are written as a function applied to chunks of rows; a :class:`Runner` decides where the
chunks go and hands the results back in chunk order, so the result does not depend on where it ran.

* :class:`LocalRunner` runs the chunks here, one after the other (``processes`` > 1: a local process pool).
* :class:`DaskRunner` sends them to a Dask cluster (Rocklin 2015, SciPy, "Dask: parallel computation
  with blocked algorithms and task scheduling"): the scheduler at ``address`` (``dask scheduler`` /
  ``dask worker`` on the machines of a cluster that share a filesystem), or a ``LocalCluster`` of
  ``workers`` processes with one thread each. It connects on its first chunk, so a build whose stages
  are all up to date never starts a cluster.

Tasks ship file paths and row ranges, not data: a worker memory-maps the embeddings (:func:`rows_of`)
and loads each faiss index once per process (:func:`cached_index`), as it loads an encoder once from its
model folder. Example::

    with open_runner(workers=2) as runner:
        squares = list(runner.map_chunks(np.square, [np.arange(3), np.arange(3, 5)]))
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import faiss
import numpy as np

from astrodisc.errors import UserError

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")
CONNECT_TIMEOUT_S = 10.0  # a scheduler that does not answer within this is unreachable
CHUNKS_PER_WORKER = 4  # a cluster gets about this many chunks per worker (load balance vs task overhead)


class Runner(Protocol):
    """Applies a function to chunks somewhere and yields the results in chunk order."""

    @property
    def workers(self) -> int:
        """Chunks that run at once (1 for the serial local runner)."""

    def map_chunks(self, func: Callable[..., Result], chunks: Sequence[Chunk], **shared: Any) -> Iterator[Result]:
        """``func(chunk, **shared)`` for every chunk, yielded in chunk order; ``shared`` is sent once per worker."""


def row_ranges(n: int, runner: Runner, max_rows: int) -> list[tuple[int, int]]:
    """``[(lo, hi), ...]`` covering rows 0..n: ``max_rows`` per chunk, fewer on a cluster so that every worker
    gets about ``CHUNKS_PER_WORKER`` chunks (the serial runner keeps ``max_rows``, its batches of old)."""
    size = (
        max_rows if runner.workers == 1 else min(max_rows, max(1, math.ceil(n / (CHUNKS_PER_WORKER * runner.workers))))
    )
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


@dataclass(frozen=True)
class LocalRunner:
    """Chunks run in this process, one after the other; or, with ``processes`` > 1, in a local process pool."""

    processes: int = 1

    @property
    def workers(self) -> int:
        return self.processes

    def map_chunks(self, func: Callable[..., Result], chunks: Sequence[Chunk], **shared: Any) -> Iterator[Result]:
        if self.processes == 1:
            yield from (func(chunk, **shared) for chunk in chunks)
            return
        with ProcessPoolExecutor(self.processes) as pool:
            yield from pool.map(_call, [(func, chunk, shared) for chunk in chunks])


def _call(job: tuple[Callable, Any, dict]) -> Any:
    func, chunk, shared = job
    return func(chunk, **shared)


@dataclass
class DaskRunner:
    """Chunks run on Dask workers: the scheduler at ``address``, else a ``LocalCluster`` of ``n_workers``
    single-threaded processes. Connects on first use; :meth:`close` ends what it started."""

    address: str | None = None
    n_workers: int = 2
    _client: Any = field(default=None, repr=False)
    _cluster: Any = field(default=None, repr=False)

    @property
    def workers(self) -> int:
        """Worker threads the scheduler knows (connecting to ask), or ``n_workers`` of a local cluster not started."""
        if self._client is None and self.address is None:
            return self.n_workers
        return max(1, sum(self.client().nthreads().values()))

    def client(self) -> Any:
        """The ``distributed.Client``, connecting (or starting the local cluster) on the first call."""
        if self._client is None:
            from dask.distributed import Client, LocalCluster  # noqa: PLC0415 - only when asked for

            if self.address is None:
                self._cluster = LocalCluster(
                    n_workers=self.n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
                )
                self._client = Client(self._cluster)
            else:
                try:
                    self._client = Client(self.address, timeout=CONNECT_TIMEOUT_S)
                except (OSError, TimeoutError, ValueError) as exc:
                    raise UserError(
                        f"cannot reach the Dask scheduler at {self.address} "
                        f"within {CONNECT_TIMEOUT_S:g} s ({type(exc).__name__})"
                    ) from None
        return self._client

    def map_chunks(self, func: Callable[..., Result], chunks: Sequence[Chunk], **shared: Any) -> Iterator[Result]:
        client = self.client()
        sent = {
            k: client.scatter([v], broadcast=True)[0] if isinstance(v, np.ndarray) else v for k, v in shared.items()
        }
        futures = client.map(func, list(chunks), pure=False, **sent)
        for future in futures:
            yield future.result()

    def close(self) -> None:
        for part in (self._client, self._cluster):
            if part is not None:
                part.close()
        self._client = self._cluster = None


_ACTIVE: ContextVar[Runner] = ContextVar("astrodisc_runner")


def active_runner() -> Runner:
    """The runner of the enclosing :func:`running_on` (a serial :class:`LocalRunner` outside any)."""
    return _ACTIVE.get(LocalRunner())


@contextmanager
def running_on(runner: Runner) -> Iterator[Runner]:
    """Make ``runner`` the :func:`active_runner` inside the block: how an ``embed(store, model_dir)`` callable,
    whose signature has no room for it, learns where its per-object work goes."""
    token = _ACTIVE.set(runner)
    try:
        yield runner
    finally:
        _ACTIVE.reset(token)


@contextmanager
def open_runner(scheduler: str | None = None, workers: int | None = None) -> Iterator[Runner]:
    """The runner a command line asks for: ``scheduler`` (``tcp://host:8786``) a Dask cluster, ``workers`` a
    local Dask cluster of that many processes (started when first needed), neither the serial local runner.
    An unreachable scheduler is a UserError within ``CONNECT_TIMEOUT_S``. Closed on exit."""
    if scheduler is not None and workers is not None:
        raise UserError("give either --scheduler ADDRESS (a running Dask cluster) or --workers N (a local one)")
    if workers is not None and workers < 1:
        raise UserError("--workers must be at least 1")
    if scheduler is None and workers is None:
        yield LocalRunner()
        return
    runner = DaskRunner(address=scheduler, n_workers=workers or 1)
    try:
        if scheduler is not None:
            runner.client()  # a scheduler that cannot be reached fails the command now, not after the first stages
        yield runner
    finally:
        runner.close()


def is_local(runner: Runner) -> bool:
    """True for a runner whose chunks run in this very process (results need not travel)."""
    return isinstance(runner, LocalRunner) and runner.processes == 1


def rows_of(path: str, lo: int, hi: int) -> np.ndarray:
    """Rows ``lo:hi`` of the ``.npy`` file at ``path``, read through a memory map (only those rows are read)."""
    return np.asarray(np.load(path, mmap_mode="r")[lo:hi])


def cached_index(path: str) -> faiss.Index:
    """The faiss index at ``path``, read once per process and file version (a rewritten file is read again)."""
    stat = os.stat(path)
    return _read_index(str(Path(path).resolve()), stat.st_ino, stat.st_mtime_ns)


@lru_cache(maxsize=1)  # tasks come space by space: one index at a time per process
def _read_index(path: str, inode: int, mtime_ns: int) -> faiss.Index:
    return faiss.read_index(path)
