"""A million objects on one machine: search latency and recall, map faithfulness and build cost, as JSON.

``nice astrodisc bench --json --out bench_scale.json`` (about 30 min on
two cores). Parts (``--parts``):

- ``search``: per size N (10^4 ... 10^7 synthetic unit vectors, :mod:`astrodisc.data.sim.embeddings`, D = 64),
  the index the build makes (:func:`astrodisc.chain.index.build_index`) queried one held-out vector at a time
  on one thread, k = 10: p50 / p95 latency [ms], recall@10 against brute-force numpy on the same
  queries, and the latency of exact faiss (``IndexFlatIP``) and of numpy brute force [ms];
- ``own``: the same recall on the project's own embeddings: the 20k fused vectors of the variable-star demo
  (IVF forced, they are below the exact threshold) and the metadata embeddings of a simulated survey of
  10^6 stars (:mod:`astrodisc.ops.survey_scale`, written once into the work folder, ~10 min);
- ``map``: where :func:`astrodisc.chain.maps.extend_by_neighbours` puts objects compared with UMAP
  ``transform``, on the demo's embeddings (half fitted, half placed): median displacement relative to
  the map extent, and for both placements the share of each placed object's 10 nearest neighbours in
  the embedding (among the placed objects) that stay among its 10 nearest on the map;
- ``build``: ``astrodisc build --embeddings`` of 10^5 and 10^6 synthetic objects and of the 10^6-star
  survey, each from scratch in its own process: seconds per stage (from the manifest), wall time and peak
  resident memory [GB] of the build process (its VmHWM, polled every 0.5 s: ``ru_maxrss`` of a child
  started by vfork/exec inherits the parent's peak, here the 10^7-vector search part's).

- ``browser``: the map of the synthetic builds of 10^5 and 10^6 objects in headless chromium
  (:func:`astrodisc.ops.bench_browser.browser_figures`, built first if missing): first draw (cold: the server's
  first page, loading the artifacts; warm: a later visitor), click → neighbour cards and click → object
  p50 / p95 over 10 clicks, server resident memory and the page's JavaScript heap.

Datasets and builds go to the work folder (``--workdir``, default ``data/bench``) and are kept, so a rerun
skips simulating and embedding; each timed build starts from an empty artifact folder.
- ``speed``: per-step speed figures (:mod:`astrodisc.ops.bench_speed`: period search, galaxy simulation, a ResNet
  step, and unless ``--no-app`` the map click latency of the variable-star demo in chromium); not in the default
  parts (``make bench`` runs it alone)
- ``labels``: the label database with 10^6 labels on 10^5 objects (:mod:`astrodisc.ops.bench_labels`): the full
  latest labels, the Label page's next object and an export, each right after a new label, and a 261,111-row
  import
- ``framing``: how a viewer's picture is best brought to the encoder's stamp (:mod:`astrodisc.ops.bench_framing`);
  not in the default parts
- ``evaluate``: how long ``astrodisc evaluate`` takes, frozen and full, on the artifact folders of
  ``--evaluate-artifacts`` (:mod:`astrodisc.ops.bench_evaluate`); not in the default parts
- ``demo``: from ``git clone`` of this checkout to the first drawn map of ``make demo``
  (:mod:`astrodisc.ops.bench_demo`); not in the default parts
- ``pages``: seconds for each page of each artifact set under ``--pages-data`` to settle on a first visit
  (:mod:`astrodisc.ops.bench_pages`); not in the default parts
- ``labeling``: a 50-label session with keys only in chromium on the first artifact set under ``--pages-data``
  (:mod:`astrodisc.ops.bench_labeling`); not in the default parts
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from astrodisc.base.atomic import save_json
from astrodisc.chain.build import remove_artifact_set
from astrodisc.chain.index import build_index, index_description, recall_at_k, search
from astrodisc.chain.maps import extend_by_neighbours, sample_rows
from astrodisc.data.sim.embeddings import (
    EMBEDDINGS_DIR,
    SyntheticConfig,
    synthetic_embeddings,
    write_synthetic,
)
from astrodisc.errors import UserError
from astrodisc.ops.bench_demo import fresh_clone_demo
from astrodisc.ops.bench_evaluate import evaluate_figures
from astrodisc.ops.bench_framing import framing_figures
from astrodisc.ops.bench_labeling import labeling_figures
from astrodisc.ops.bench_labels import label_figures
from astrodisc.ops.bench_pages import page_figures
from astrodisc.ops.bench_speed import run as speed_figures
from astrodisc.ops.browser import rss_mb
from astrodisc.ops.survey_scale import SPACE as SURVEY_SPACE
from astrodisc.ops.survey_scale import write_catalogue_survey
from astrodisc.paths import data_dir, models_dir

K = 10
QUERIES = 200  # held-out queries per size
SLOW_QUERIES = 50  # of them timed on exact faiss and numpy (each scans all N vectors)
SLOW_WARMUP = 3  # untimed queries before those (each one touches every vector)
SEARCH_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
BUILD_SIZES = (100_000, 1_000_000)
SURVEY_N = 1_000_000  # stars of the simulated survey whose own embeddings are measured
SURVEY_MODEL = "varstars-clip"  # the shipped model whose metadata encoder embeds the survey
DEMO_EMBEDDINGS = Path("varstars-demo") / "varstars-clip" / "embeddings" / "fused.npy"
BROWSER_SIZES = (100_000, 1_000_000)
PARTS = (
    "search",
    "own",
    "map",
    "build",
    "browser",
    "labels",
    "speed",
    "framing",
    "evaluate",
    "demo",
    "pages",
    "labeling",
)


@dataclass(frozen=True)
class SearchFigures:
    """Latency [ms] of one k = 10 query, p50 / p95, and recall@10 of the build's index against brute force."""

    n: int
    dim: int
    index: dict  # astrodisc.chain.index.index_description
    index_build_s: float
    p50_ms: float
    p95_ms: float
    recall_at_10: float  # against numpy brute force on the same queries
    exact_faiss_p50_ms: float
    exact_faiss_p95_ms: float
    numpy_p50_ms: float
    numpy_p95_ms: float
    speedup_p50: float  # exact faiss p50 / index p50


def brute_force_top_k(x: np.ndarray, queries: np.ndarray, k: int, chunk: int = 250_000) -> np.ndarray:
    """(Q, k) int64 rows of ``x`` (N, D) with the highest inner product with each of ``queries`` (Q, D), by numpy."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    for lo in range(0, len(x), chunk):
        block = np.asarray(x[lo : lo + chunk])
        scores = np.concatenate([best_scores, queries @ block.T], axis=1)
        rows = np.broadcast_to(np.arange(lo, lo + len(block)), (len(queries), len(block)))
        ids = np.concatenate([best_ids, rows], axis=1)
        keep = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores, best_ids = np.take_along_axis(scores, keep, axis=1), np.take_along_axis(ids, keep, axis=1)
    return best_ids


def _latencies_ms(one_query, queries: np.ndarray, warmup: np.ndarray) -> tuple[float, float]:
    """p50, p95 [ms] of ``one_query(q)`` over the rows of ``queries``, faiss on one thread (the latency one user
    sees on a shared machine), after running the other queries ``warmup`` untimed: a serving index is warm, and
    a first pass over freshly built or read memory has a tail (p95 0.24 ms against 0.08 ms in the passes after
    it, at 10^6)."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    for q in warmup:
        one_query(q)
    times = []
    for q in queries:
        start = time.perf_counter()
        one_query(q)
        times.append(1000 * (time.perf_counter() - start))
    faiss.omp_set_num_threads(threads)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def _numpy_query(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    scores = x @ q
    return np.argpartition(-scores, K)[:K]


def search_figures(n: int, dim: int = 64, seed: int = 0) -> SearchFigures:
    """:class:`SearchFigures` of ``n`` synthetic vectors plus ``QUERIES`` held out from the same mixture."""
    vectors, _ = synthetic_embeddings(SyntheticConfig(n=n + QUERIES, dim=dim, seed=seed))
    x, queries = vectors[:n], np.ascontiguousarray(vectors[n:])
    start = time.perf_counter()
    index = build_index(x, seed=seed)
    build_s = time.perf_counter() - start
    truth = brute_force_top_k(x, queries, K)
    _, found = search(index, queries, K)
    p50, p95 = _latencies_ms(lambda q: search(index, q, K), queries, warmup=x[:QUERIES])
    exact_p50, exact_p95, numpy_p50, numpy_p95 = _exact_latencies_ms(x, queries[:SLOW_QUERIES])
    return SearchFigures(
        n,
        dim,
        index_description(index),
        round(build_s, 2),
        p50,
        p95,
        recall_at_k(found, truth),
        exact_p50,
        exact_p95,
        numpy_p50,
        numpy_p95,
        exact_p50 / p50,
    )


def _exact_latencies_ms(x: np.ndarray, queries: np.ndarray) -> tuple[float, float, float, float]:
    """p50, p95 [ms] of one exact faiss (``IndexFlatIP``) query over ``x`` (N, D), then of numpy brute force."""
    exact = faiss.IndexFlatIP(x.shape[1])
    exact.add(x)
    warmup = x[:SLOW_WARMUP]
    return (
        *_latencies_ms(lambda q: exact.search(q.reshape(1, -1), K), queries, warmup),
        *_latencies_ms(lambda q: _numpy_query(x, q), queries, warmup),
    )


def own_embeddings_recall(path: Path, seed: int = 0) -> dict:
    """Recall@10 and latency of an IVF index (forced) over real embeddings ``path`` (N, D), each query a row
    of the database itself (excluded from its own answer), beside exact faiss and numpy on the same rows."""
    x = np.ascontiguousarray(np.load(path), dtype=np.float32)
    rows = np.random.default_rng([seed, 1]).choice(len(x), size=min(len(x), 1000), replace=False)  # not the tuning rows
    index = build_index(x, exact_below=0, seed=seed)
    _, found = search(index, x[rows], K, exclude=rows)
    truth = brute_force_top_k(x, x[rows], K + 1)
    truth = np.array([[i for i in t if i != r][:K] for t, r in zip(truth, rows, strict=False)])
    p50, p95 = _latencies_ms(lambda q: search(index, q, K), x[rows[:QUERIES]], warmup=x[rows[QUERIES : 2 * QUERIES]])
    exact_p50, exact_p95, numpy_p50, numpy_p95 = _exact_latencies_ms(x, x[rows[:SLOW_QUERIES]])
    return {
        "embeddings": str(path),
        "n": len(x),
        "dim": x.shape[1],
        "index": index_description(index),
        "recall_at_10": recall_at_k(found, truth),
        "p50_ms": p50,
        "p95_ms": p95,
        "exact_faiss_p50_ms": exact_p50,
        "exact_faiss_p95_ms": exact_p95,
        "numpy_p50_ms": numpy_p50,
        "numpy_p95_ms": numpy_p95,
        "speedup_p50": exact_p50 / p50,
    }


def map_extension_faithfulness(path: Path, seed: int = 0) -> dict:
    """Neighbour placement against UMAP ``transform`` on embeddings ``path`` (N, D): half fitted, half placed."""
    import umap
    from sklearn.neighbors import NearestNeighbors

    x = np.ascontiguousarray(np.load(path), dtype=np.float32)
    fitted = sample_rows(len(x), len(x) // 2, seed)
    rest = np.setdiff1d(np.arange(len(x)), fitted)
    model = umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", random_state=seed, n_jobs=1)
    xy_fit = model.fit_transform(x[fitted]).astype(np.float32)
    start = time.perf_counter()
    by_transform = model.transform(x[rest])
    transform_s = time.perf_counter() - start
    start = time.perf_counter()
    by_neighbours = extend_by_neighbours(x[fitted], xy_fit, x, rest)
    neighbours_s = time.perf_counter() - start
    extent = float(np.max(np.percentile(xy_fit, 99, axis=0) - np.percentile(xy_fit, 1, axis=0)))
    shift = np.linalg.norm(by_transform - by_neighbours, axis=1)
    high = brute_force_top_k(x[rest], x[rest], K + 1)

    def preserved(xy: np.ndarray) -> float:
        low = NearestNeighbors(n_neighbors=K + 1).fit(xy).kneighbors(xy, return_distance=False)
        return float(np.mean([len(np.intersect1d(h, lo)) - 1 for h, lo in zip(high, low, strict=False)]) / K)

    return {
        "embeddings": str(path),
        "fitted": len(fitted),
        "placed": len(rest),
        "map_extent": extent,
        "median_displacement_over_extent": float(np.median(shift) / extent),
        "p90_displacement_over_extent": float(np.percentile(shift, 90) / extent),
        "knn10_preserved_transform": preserved(by_transform),
        "knn10_preserved_neighbours": preserved(by_neighbours),
        "transform_s_per_1000": 1000 * transform_s / len(rest),
        "neighbours_s_per_1000": 1000 * neighbours_s / len(rest),
    }


def synthetic_dataset(n: int, workdir: Path, seed: int = 0) -> Path:
    """The synthetic survey of ``n`` objects in ``workdir`` (written on first use)."""
    dataset = workdir / f"synthetic-{n}"
    return (
        dataset if (dataset / "dataset.json").is_file() else write_synthetic(SyntheticConfig(n=n, seed=seed), dataset)
    )


def survey_dataset(n: int, workdir: Path) -> Path:
    """The simulated variable-star survey of ``n`` stars with its own metadata embeddings (written on first use)."""
    dataset = workdir / f"survey-{n}"
    if not (dataset / "dataset.json").is_file():
        write_catalogue_survey(n, models_dir() / SURVEY_MODEL, dataset, progress=True)
    return dataset


def build_figures(dataset: Path, seed: int = 0) -> dict:
    """Seconds per stage, wall time and peak memory of ``astrodisc build --embeddings`` of ``dataset`` into
    ``dataset/artifacts``, from an empty artifact folder, in a process of its own."""
    artifacts = dataset / "artifacts"
    remove_artifact_set(artifacts)
    command = [
        sys.executable,
        "-m",
        "astrodisc",
        "build",
        "--dataset",
        str(dataset),
        "--embeddings",
        str(dataset / EMBEDDINGS_DIR),
        "--out",
        str(artifacts),
        "--seed",
        str(seed),
    ]
    start = time.perf_counter()
    process = subprocess.Popen(command)
    peak_mb = 0.0
    while process.poll() is None:  # VmHWM is the build's own peak; ru_maxrss would inherit this process's
        with contextlib.suppress(OSError, LookupError):
            peak_mb = max(peak_mb, rss_mb(process.pid, "VmHWM"))
        time.sleep(0.5)
    status = process.returncode
    wall = time.perf_counter() - start
    if status != 0:
        raise UserError(f"build of {dataset.name} failed (status {status})")
    manifest = json.loads((artifacts / "manifest.json").read_text())
    (space,) = manifest["spaces"]
    return {
        "dataset": dataset.name,
        "n": manifest["counts"]["objects"],
        "wall_s": round(wall, 1),
        "peak_rss_gb": round(peak_mb / 1024, 2),
        "stages_s": {name: r["seconds"] for name, r in manifest["stages"].items()},
        "index": manifest["spaces"][space]["index"],
        "clusters": manifest["counts"]["clusters"],
    }


def run(
    out_path: Path,
    parts: tuple[str, ...] = PARTS,
    search_sizes: tuple[int, ...] = SEARCH_SIZES,
    build_sizes: tuple[int, ...] = BUILD_SIZES,
    workdir: Path | None = None,
    survey_n: int = SURVEY_N,
    browser_sizes: tuple[int, ...] = BROWSER_SIZES,
    app: bool = True,
    evaluate_artifacts: tuple[Path, ...] = (),
    evaluate_modes: tuple[str, ...] = ("frozen", "full"),
    pages_data: Path | None = None,
) -> dict:
    """The figures of ``parts`` (see the module docstring) as a JSON-ready dict, also written to ``out_path``
    after every measurement (a long run stopped early keeps what it measured). The other parts already in
    ``out_path`` are kept, so one part can be measured again alone."""
    out: dict = json.loads(out_path.read_text()) if Path(out_path).is_file() else {}
    out["machine"] = {"cpu_count": os.cpu_count(), "platform": platform.platform()}
    demo = data_dir() / DEMO_EMBEDDINGS
    if ("own" in parts or "map" in parts) and not demo.is_file():
        raise UserError(f"the demo embeddings are missing ({demo}): run `astrodisc demo varstars` first")
    workdir = Path(workdir) if workdir else data_dir() / "bench"
    workdir.mkdir(parents=True, exist_ok=True)

    def survey() -> Path:
        return survey_dataset(survey_n, workdir)

    builds: list[Callable[[], Path]] = [
        *(functools.partial(synthetic_dataset, n, workdir) for n in build_sizes),
        survey,
    ]
    measures: dict[str, Callable[[], Iterable[SearchFigures | dict]]] = {
        "search": lambda: (search_figures(n) for n in search_sizes),
        "own": lambda: (own_embeddings_recall(p) for p in (demo, survey() / EMBEDDINGS_DIR / f"{SURVEY_SPACE}.npy")),
        "map": lambda: [map_extension_faithfulness(demo)],
        "build": lambda: (build_figures(d()) for d in builds),
    }
    measures["browser"] = lambda: (_browser(synthetic_dataset(n, workdir)) for n in browser_sizes)
    measures["labels"] = lambda: [label_figures(workdir=workdir)]
    measures["speed"] = lambda: [speed_figures(app=app)]
    measures["framing"] = lambda: [framing_figures(workdir)]
    measures["evaluate"] = lambda: evaluate_figures(list(evaluate_artifacts), evaluate_modes)
    measures["demo"] = lambda: [fresh_clone_demo()]
    measures["pages"] = lambda: page_figures(pages_data or data_dir())
    measures["labeling"] = lambda: [labeling_figures(pages_data or data_dir())]
    for part in tqdm(parts, desc="bench parts"):
        out[part] = []
        for figures in measures[part]():
            out[part].append(asdict(figures) if isinstance(figures, SearchFigures) else figures)
            save_json(out_path, out)
    return out


def _browser(dataset: Path) -> dict:
    """:func:`astrodisc.ops.bench_browser.browser_figures` of ``dataset``'s synthetic build (built now if missing)."""
    from astrodisc.ops.bench_browser import browser_figures

    if not (dataset / "artifacts" / "manifest.json").is_file():
        build_figures(dataset)
    return browser_figures(dataset.parent, dataset=dataset.name, model="artifacts", clicks=10)


def bench(args: argparse.Namespace) -> None:
    """Run the parts named in ``args`` (the options of ``astrodisc bench``) and write the JSON."""
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise UserError(f"unknown part(s) {', '.join(unknown)}: choose from {', '.join(PARTS)}")
    result = run(
        args.out,
        parts,
        _sizes(args.search_sizes),
        _sizes(args.build_sizes),
        args.workdir,
        _sizes(args.survey_size)[0],
        _sizes(args.browser_sizes),
        app=not args.no_app,
        evaluate_artifacts=tuple(Path(p) for p in args.evaluate_artifacts.split(",") if p),
        evaluate_modes=tuple(m.strip() for m in args.evaluate_modes.split(",") if m.strip()),
        pages_data=args.pages_data,
    )
    if args.json:
        print(json.dumps(result, indent=2))
    print(f"bench figures ({', '.join(parts)}) written to {args.out}", file=sys.stderr)


def _sizes(text: str) -> tuple[int, ...]:
    """Comma-separated object counts ("1e5,1e6" allowed); anything else is a UserError."""
    try:
        return tuple(int(float(v)) for v in text.split(","))
    except ValueError:
        raise UserError(f"sizes must be comma-separated numbers like 1e5,1e6, got {text!r}") from None
