"""The precompute chain: dataset + encoder -> the artifact set the app reads.

Stages, in order, each reading the files its upstream stages wrote::

    embeddings  embeddings/<space>.npy      (N, D) float32, unit rows, one file per space
    index       index/<space>.faiss         astrodisc.chain.index.build_index per space
    map         stages/map.parquet          umap_x, umap_y of the fused space (astrodisc.chain.maps.fit_map)
    clusters    stages/clusters.parquet     cluster, cluster_prob (astrodisc.chain.clusters: HDBSCAN on an 8-D
                                            UMAP of the mapped space, its size chosen by validity; a catalogue:
                                            astrodisc.chain.column_clusters, a mixture over the columns chosen
                                            by variable selection, when it finds groups); subcluster,
                                            subcluster_prob (astrodisc.chain.subclusters: in a class's catalogue
                                            columns where they show two modes, else that criterion inside it)
                stages/cluster_layout.npy   (N, 8) float32 that layout (the Subclasses page re-splits in it)
                stages/cluster_choice.json  the criterion's choice: size, validity, each cluster's persistence;
                                            per class, how its sub-clusters were found
    anomaly     stages/anomaly.parquet      anomaly_score, anomaly_<space> (astrodisc.chain.anomaly)
    labels      stages/labels.parquet       pred_label, pred_prob, mislabel_score (fused-space k-NN vote),
                                            label_distance, ood (distance to the nearest labelled object,
                                            out-of-distribution flag; astrodisc.chain.anomaly)
                stages/labelled.faiss       the index of the labelled objects that the vote searched
                stages/ood.json             the ood threshold and its rule (copied into the manifest)
    catalog     catalog.parquet             objects.parquet + every column above
    manifest.json                           written last: what was built from what, how, and how long

After Astronomaly (Lochner & Bassett 2021, A&C 36, 100481): each stage hashes its inputs (content
digests of the dataset and model files, or the hashes of its upstream stages) with its parameters,
and is skipped when the hash matches the record in ``stages/<stage>.json`` and its outputs exist.
A stage's record is deleted before it runs and written after its outputs, so an interrupted build
resumes where it stopped and never trusts a half-finished stage.

Publication is atomic. ``out`` is a symbolic link to a complete artifact set in a hidden sibling folder,
``<parent>/.<name>.builds/v<ns>/``. The chain works in ``<parent>/.<name>.builds/staging/``, seeded from
the current set by hard links (no second copy of a 10^6-object set; a copy only where links fail, across
filesystems). Every file is written atomically (:mod:`astrodisc.base.atomic`), a new inode, so a linked file of
the live set is never changed through the staging folder. When the manifest is written, the staging folder
is renamed to a new version and a new link replaces ``out`` in one ``os.replace``; the older versions are
then removed. A reader of ``out`` sees the complete old set or the complete new set, never a mixture
(:func:`astrodisc.chain.artifacts.load_artifacts` resolves the link once); after a kill the staging folder stays and
the next build resumes in it. The staging lives beside ``out`` rather than inside it so that it is on the
same filesystem (links and renames work), outlives the version it was seeded from, and stays out of
``<data>/<dataset>/<model>/manifest.json``, where the app looks for artifact sets. An ``out`` left as a
plain folder by an older build is moved into the versions on the first build (a moment without ``out``).
One build at a time writes an ``out``: a build holds an exclusive ``flock`` on ``<parent>/.<name>.lock`` from
its staging to its publication, and a second build into the same ``out`` stops at once with a message naming
the first (its process id). The kernel drops the lock when its holder dies, however it dies, so a killed build
never leaves a stale lock behind.

The per-object work (the encoder, the k-NN searches of the anomaly and label stages) goes in chunks of rows
to a :class:`astrodisc.base.distributed.Runner`: this process by default, or a Dask cluster. Stage hashes do not
depend on it: a build on a cluster and a build here skip each other's stages.

The dataset's hidden truth (``truth.parquet``) is never opened: only the store's own files
(dataset.json, objects.parquet, lightcurves/, spectra/, images/) are read or hashed.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc.base.atomic import save_json, save_npy, save_parquet
from astrodisc.base.digests import dataset_digest, files_digest, is_data_file
from astrodisc.base.distributed import (
    LocalRunner,
    Runner,
    cached_index,
    row_ranges,
    rows_of,
    running_on,
)
from astrodisc.chain.anomaly import (
    BATCH,
    OOD_QUANTILE,
    OOD_RULE,
    LabelVote,
    combine_ranks,
    knn_distances,
    label_coding,
    ood_threshold,
    percentile_rank,
    vote,
)
from astrodisc.chain.artifacts import CLUSTER_LAYOUT_FILE
from astrodisc.chain.clusters import SIZE_FRACTIONS, clustering_layout, find_groups
from astrodisc.chain.column_clusters import column_clusters
from astrodisc.chain.index import build_index, index_description, load_index, save_index
from astrodisc.chain.maps import fit_map
from astrodisc.chain.subclusters import COLUMNS, DESCRIBED_BY_COLUMNS, class_subclusters, descriptive_columns
from astrodisc.data.arcs import ARC_PROBABILITY, PIXEL_SCALE_DEFAULT, arc_signal
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.image_quality import image_quality
from astrodisc.data.open_store import Store, open_store
from astrodisc.data.red_sequence import LENS_SCORE, lens_score
from astrodisc.data.store import ANOMALY_RANK_PREFIX
from astrodisc.errors import UserError

Embed = Callable[[Store, Path], dict[str, np.ndarray]]

MAP_SPACE = "fused"  # the space that is mapped, clustered and voted in (without it: the first space embedded)
EMBED_CODE = (
    "learn.embed",
    "learn.preprocess",
    "learn.encoders",
    "data.lc_features",
    "data.period_search",
    "learn.varstars",
    "learn.galaxies",
    "learn.galaxy_augment",
    "learn.catalogs",
    "learn.arc_finder",
    "data.arcs",
)  # what embeddings depend on
NORM_TOLERANCE = 1e-3
VERSIONED_PACKAGES = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "faiss-cpu",
    "umap-learn",
    "hdbscan",
    "torch",
    "astrodisc",
)


@dataclass(frozen=True)
class BuildParams:
    """Every setting of the chain after the encoder; each stage hashes the ones it reads."""

    exact_below: int = 100_000  # exact index below this many objects, IVF above
    target_recall: float = 0.99  # IVF nprobe is raised until recall@10 reaches this
    umap_sample_size: int = 50_000  # UMAP is fitted on at most this many objects, the rest transformed
    umap_n_neighbors: int = 15
    umap_min_dist: float = 0.1
    cluster_sizes: tuple[float, ...] = SIZE_FRACTIONS  # smallest-cluster sizes (shares of N) the validity chooses from
    k_anomaly: int = 10  # neighbours averaged for the anomaly distance
    k_label: int = 10  # labelled neighbours voting for pred_label / mislabel_score
    ood_quantile: float = OOD_QUANTILE  # ood: label_distance above this quantile of the labelled objects' own


@dataclass(frozen=True)
class StageRecord:
    """What ``stages/<name>.json`` holds about the last completed run of a stage."""

    name: str
    hash: str  # digest of the stage's inputs and parameters
    inputs: dict  # those inputs and parameters
    outputs: tuple[str, ...]  # files written, relative to the artifact folder
    seconds: float  # wall time of the run that wrote the outputs
    finished: str  # ISO time (UTC) of that run
    ran: bool  # True if this build ran the stage, False if it was skipped as unchanged


def build_artifacts(
    dataset_dir: Path,
    model_dir: Path,
    out_dir: Path,
    *,
    embed: Embed | None = None,
    params: BuildParams = BuildParams(),
    seed: int = 0,
    progress: bool = True,
    runner: Runner | None = None,
) -> Path:
    """Build (or bring up to date) the artifact set of ``dataset_dir`` under ``model_dir`` in ``out_dir``.

    ``embed(store, model_dir)`` returns ``{space: (N, D) array}`` with row i = object i and at least
    the ``fused`` space; it defaults to :func:`astrodisc.learn.embed.embed_store`. Rows are L2-normalised
    here. ``seed`` fixes the IVF k-means and the UMAP sample and layout. ``runner`` is where the
    per-object work runs (default: this process; see :mod:`astrodisc.base.distributed`); ``embed`` runs inside
    :func:`astrodisc.base.distributed.running_on` it. Returns ``out_dir``, a link to the new set (see the
    module docstring), whose manifest.json lists each stage with ``ran`` = False where it was skipped.
    """
    dataset_dir, model_dir, out_dir = Path(dataset_dir), Path(model_dir), Path(out_dir)
    store = open_store(dataset_dir)
    if not model_dir.is_dir():
        raise UserError(f"model folder not found: {model_dir}")
    runner = LocalRunner() if runner is None else runner
    if embed is None:
        from astrodisc.learn.embed import embed_store  # noqa: PLC0415 - loads torch, only when embedding

        embed = functools.partial(embed_store, progress=progress)  # any kind of store
    versions = _Versions(out_dir)
    with versions.locked():
        return _build_locked(store, dataset_dir, model_dir, versions, embed, params, seed, progress, runner)


def _build_locked(
    store: Store,
    dataset_dir: Path,
    model_dir: Path,
    versions: _Versions,
    embed: Embed,
    params: BuildParams,
    seed: int,
    progress: bool,
    runner: Runner,
) -> Path:
    """The chain of :func:`build_artifacts`, run while this build holds the lock of ``versions.out``."""
    model_digest = files_digest(model_dir, _model_files(model_dir, versions.owned()))
    work = versions.staging()
    chain = _Chain(work, progress)
    embedded = chain.run(
        "embeddings",
        {
            "dataset": dataset_digest(dataset_dir),
            "model": model_digest,
            "embed": _callable_name(embed),
            "code": _code_digest(*EMBED_CODE),
        },
        lambda: _embed_stage(store, model_dir, embed, work, runner),
    )
    spaces = [Path(p).stem for p in embedded.outputs]
    map_space = MAP_SPACE if MAP_SPACE in spaces else spaces[0]
    indexed = chain.run(
        "index",
        {
            "embeddings": embedded.hash,
            "exact_below": params.exact_below,
            "target_recall": params.target_recall,
            "seed": seed,
            "code": _code_digest("chain.index"),
        },
        lambda: _index_stage(work, spaces, params, seed),
    )
    mapped = chain.run(
        "map",
        {
            "embeddings": embedded.hash,
            "space": map_space,
            "sample_size": params.umap_sample_size,
            "n_neighbors": params.umap_n_neighbors,
            "min_dist": params.umap_min_dist,
            "metric": "cosine",
            "seed": seed,
            "code": _code_digest("chain.maps", "chain.index"),
        },
        lambda: _map_stage(work, map_space, params, seed),
    )
    clustered = chain.run(
        "clusters",
        {
            "embeddings": embedded.hash,
            "space": map_space,
            "sizes": list(params.cluster_sizes),
            "sample_size": params.umap_sample_size,
            "seed": seed,
            "code": _code_digest("chain.clusters", "chain.column_clusters", "chain.subclusters", "chain.maps"),
        },
        lambda: _cluster_stage(store, work, map_space, params, seed),
    )
    scored = chain.run(
        "anomaly",
        {
            "embeddings": embedded.hash,
            "index": indexed.hash,
            "k": params.k_anomaly,
            "combine": "max",
            "code": _code_digest("chain.anomaly"),
        },
        lambda: _anomaly_stage(work, spaces, params.k_anomaly, runner),
    )
    voted = chain.run(
        "labels",
        {
            "embeddings": embedded.hash,
            "space": map_space,
            "k": params.k_label,
            "exact_below": params.exact_below,
            "target_recall": params.target_recall,
            "seed": seed,
            "ood_quantile": params.ood_quantile,
            "code": _code_digest("chain.anomaly"),
        },
        lambda: _label_stage(store, work, map_space, params, seed, runner),
    )
    measured = chain.run(
        "quality",
        {
            "dataset": dataset_digest(dataset_dir),
            "model": model_digest,
            "code": _code_digest("data.image_quality", "data.arcs", "data.red_sequence", "learn.arc_finder"),
        },
        lambda: _quality_stage(store, work, model_dir, progress),
    )
    chain.run(
        "catalog",
        {
            "stages": [r.hash for r in (embedded, mapped, clustered, scored, voted, measured)],
            "code": _code_digest("chain.build"),
        },
        lambda: _catalog_stage(store, work),
    )
    _write_manifest(store, model_dir, work, spaces, chain.records, params, seed)
    versions.publish()
    return versions.out


def remove_artifact_set(out_dir: Path) -> None:
    """Delete the artifact set at ``out_dir``: the link, every version and an unfinished staging folder
    (``shutil.rmtree`` refuses the link itself). A plain folder of an older build goes too. A UserError while a
    build is writing it; the empty lock file ``.<name>.lock`` is left."""
    out_dir = Path(out_dir)
    versions = _Versions(out_dir)
    with versions.locked():  # never under a running build; the lock file stays (removing it would split the lock)
        shutil.rmtree(versions.root, ignore_errors=True)
        if out_dir.is_symlink():
            out_dir.unlink()
        else:
            shutil.rmtree(out_dir, ignore_errors=True)


class _Versions:
    """The versions of the artifact set at ``out`` (layout and guarantees in the module docstring)."""

    def __init__(self, out: Path):
        self.out = out
        self.root = out.parent / f".{out.name}.builds"  # on the same filesystem as out: links and renames work
        self.lock = out.parent / f".{out.name}.lock"  # outside root, which publish() empties

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the exclusive lock of ``out`` while the block runs; a UserError at once if another build holds it."""
        self.lock.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise UserError(
                    f"another build is writing {self.out} (process {holder}): wait for it to finish, "
                    f"or build into another --out"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            try:
                yield
            finally:
                handle.truncate(0)
                handle.flush()

    def owned(self) -> list[Path]:
        """The folders this artifact set occupies (resolved), which no input digest may read."""
        return [p.resolve() for p in (self.out, self.root) if p.exists()]

    def staging(self) -> Path:
        """The staging folder: the one an interrupted build left (resumed as it is), else a new one seeded
        from the current set by hard links. Seeding goes to a temporary name first, so a kill while seeding
        never leaves a half-seeded folder to be trusted."""
        staging = self.root / "staging"
        if staging.is_dir():
            return staging
        if self.out.exists() and not self.out.is_dir():
            raise UserError(f"{self.out} exists and is not an artifact folder")
        if (
            self.out.is_dir()
            and not self.out.is_symlink()
            and any(self.out.iterdir())
            and not (self.out / "stages").is_dir()
        ):
            raise UserError(f"{self.out} is a folder with other files in it, not an artifact set: choose a new --out")
        seeding = self.root / ".seeding"
        shutil.rmtree(seeding, ignore_errors=True)
        if self.out.is_dir():
            shutil.copytree(self.out.resolve(), seeding, copy_function=_link_or_copy)
        else:
            seeding.mkdir(parents=True)
        os.rename(seeding, staging)
        return staging

    def publish(self) -> None:
        """Make the staging folder the current set with one atomic ``os.replace`` of the link ``out``, then
        remove the older versions."""
        version = self.root / f"v{time.time_ns()}"
        os.rename(self.root / "staging", version)
        link = self.out.parent / f".{self.out.name}.link"
        link.unlink(missing_ok=True)
        link.symlink_to(version.relative_to(self.out.parent), target_is_directory=True)
        if self.out.is_dir() and not self.out.is_symlink():  # the plain folder of an older build (or empty)
            os.rename(self.out, self.root / f"plain-{time.time_ns()}")
        os.replace(link, self.out)
        _fsync_dir(self.out.parent)
        for old in self.root.iterdir():
            if old != version:
                shutil.rmtree(old)


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link ``src`` to ``dst``; copy where a link cannot be made (another filesystem)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename in it survives a power cut)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _code_digest(*modules: str) -> str:
    """Digest of the source of ``astrodisc.<module>`` files (or packages): a code change reruns its stage."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for module in modules:
        path = root / module.replace(".", "/")
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]:
            h.update(file.read_bytes())
    return h.hexdigest()[:16]


def _read_record(path: Path) -> StageRecord | None:
    """The record of a stage's last completed run (``ran`` = False), or None if absent or unreadable."""
    try:
        raw = json.loads(path.read_text())
        return StageRecord(**{**raw, "outputs": tuple(raw["outputs"]), "ran": False})
    except (OSError, json.JSONDecodeError, KeyError, TypeError):
        return None


class _Chain:
    """Runs stages in order in ``out_dir`` (the staging folder), skipping each whose input hash and outputs are
    unchanged."""

    def __init__(self, out_dir: Path, progress: bool):
        self.out_dir = out_dir
        self.progress = progress
        self.records: list[StageRecord] = []

    def run(self, name: str, inputs: dict, compute: Callable[[], list[Path]]) -> StageRecord:
        key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:20]
        record_path = self.out_dir / "stages" / f"{name}.json"
        old = _read_record(record_path)
        if old and old.hash == key and all((self.out_dir / p).is_file() for p in old.outputs):
            record = old
            self._say(f"{name:<11} skipped (inputs unchanged)")
        else:
            record_path.unlink(missing_ok=True)
            self._say(f"{name:<11} running ...")
            start = time.perf_counter()
            outputs = tuple(str(p.relative_to(self.out_dir)) for p in compute())
            record = StageRecord(name, key, inputs, outputs, round(time.perf_counter() - start, 3), _now(), ran=True)
            save_json(record_path, {k: v for k, v in asdict(record).items() if k != "ran"})
            self._say(f"{name:<11} done in {record.seconds:.1f} s")
        self.records.append(record)
        return record

    def _say(self, line: str) -> None:
        if self.progress:
            print(f"[build] {line}", file=sys.stderr, flush=True)


def _embed_stage(store: Store, model_dir: Path, embed: Embed, out_dir: Path, runner: Runner) -> list[Path]:
    with running_on(runner):
        vectors = embed(store, model_dir)
    unit = {space: _unit_rows(space, np.asarray(array), len(store)) for space, array in vectors.items()}
    paths = [out_dir / "embeddings" / f"{space}.npy" for space in unit]
    _remove_stale(out_dir / "embeddings", paths)
    for path, array in zip(paths, unit.values(), strict=False):
        save_npy(path, array)
    return paths


def _remove_stale(folder: Path, keep: list[Path]) -> None:
    """Delete files of spaces an earlier build had and this one lacks (e.g. spectra)."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and path not in keep:
                path.unlink()


def _unit_rows(space: str, array: np.ndarray, n: int) -> np.ndarray:
    """(N, D) float32 rows of unit L2 norm; a wrong shape, non-finite value or zero row is an error."""
    if array.ndim != 2 or array.shape[0] != n:
        raise ValueError(f"embedding {space!r} has shape {array.shape}, expected ({n}, D)")
    bad = ~np.isfinite(array).all(axis=1)
    norms = np.linalg.norm(np.where(bad[:, None], 0.0, array), axis=1, keepdims=True)
    bad |= norms[:, 0] == 0
    if bad.any():
        raise ValueError(f"embedding {space!r}: {bad.sum()} of {n} rows are non-finite or zero")
    return (array / norms).astype(np.float32)


def _embedding_path(out_dir: Path, space: str) -> Path:
    return out_dir / "embeddings" / f"{space}.npy"


def _load_embedding(out_dir: Path, space: str) -> np.ndarray:
    return np.load(_embedding_path(out_dir, space), mmap_mode="r")


def _index_stage(out_dir: Path, spaces: list[str], params: BuildParams, seed: int) -> list[Path]:
    paths = [out_dir / "index" / f"{space}.faiss" for space in spaces]
    _remove_stale(out_dir / "index", paths)
    for space, path in zip(spaces, paths, strict=False):
        save_index(
            build_index(
                _load_embedding(out_dir, space),
                exact_below=params.exact_below,
                target_recall=params.target_recall,
                seed=seed,
            ),
            path,
        )
    return paths


def _map_stage(out_dir: Path, space: str, params: BuildParams, seed: int) -> list[Path]:
    xy = fit_map(
        _load_embedding(out_dir, space),
        sample_size=params.umap_sample_size,
        seed=seed,
        n_neighbors=params.umap_n_neighbors,
        min_dist=params.umap_min_dist,
    )
    return [_save_stage_frame(out_dir, "map", pd.DataFrame({"umap_x": xy[:, 0], "umap_y": xy[:, 1]}))]


def _cluster_stage(store: Store, out_dir: Path, space: str, params: BuildParams, seed: int) -> list[Path]:
    columns = descriptive_columns(store.objects) if store.info.kind in DESCRIBED_BY_COLUMNS else None
    in_columns = column_clusters(columns, seed=seed) if columns is not None and store.info.kind == "catalog" else None
    vectors = _load_embedding(out_dir, space)
    if in_columns is None:
        groups, points = find_groups(
            vectors, seed=seed, sample_size=params.umap_sample_size, sizes=params.cluster_sizes
        )
    else:  # the layout is still made: the Subclasses page re-splits in it
        groups, points = in_columns.groups, clustering_layout(vectors, seed=seed, sample_size=params.umap_sample_size)
    layout_path = out_dir / "stages" / CLUSTER_LAYOUT_FILE
    save_npy(layout_path, points)
    choice: dict = {
        "criterion": "HDBSCAN (excess of mass) on an 8-D UMAP of the space; smallest size by DBCV validity",
        "space": space,
    }
    if store.info.kind == "catalog" and in_columns is None:
        choice["why"] = "no groups in the catalogue columns (no column chosen, or ICL kept one group)"
    if in_columns is not None:
        choice = {
            "criterion": "a Gaussian mixture over the catalogue columns chosen by variable selection (Raftery & Dean "
            "2006); number of groups by ICL",
            "space": COLUMNS,
            "columns": list(in_columns.columns),
            "evidence": list(in_columns.evidence),
            "icl": [v if np.isfinite(v) else None for v in in_columns.icl],  # None: a component under 5 members
        }
    subclusters, split = class_subclusters(points, store.objects["label"].to_numpy(object), columns, space)
    record = out_dir / "stages" / "cluster_choice.json"
    save_json(
        record,
        {
            **choice,
            "min_cluster_size": groups.min_cluster_size,
            "validity": groups.validity if np.isfinite(groups.validity) else None,  # None: ICL chose the number
            "persistence": list(groups.persistence),
            "subclusters": split,  # per class: split in its catalogue columns or in the space (chain.subclusters)
        },
    )
    frame = pd.concat(
        [pd.DataFrame({"cluster": groups.labels, "cluster_prob": groups.probabilities}), subclusters], axis=1
    )
    return [_save_stage_frame(out_dir, "clusters", frame), record, layout_path]


def _anomaly_stage(out_dir: Path, spaces: list[str], k: int, runner: Runner) -> list[Path]:
    ranks = {}
    for space in spaces:
        embeddings = _embedding_path(out_dir, space)
        chunks = row_ranges(len(np.load(embeddings, mmap_mode="r")), runner, BATCH)
        distances = runner.map_chunks(
            _knn_distance_chunk,
            chunks,
            embeddings=str(embeddings),
            index=str(out_dir / "index" / f"{space}.faiss"),
            k=k,
        )
        ranks[space] = percentile_rank(np.concatenate([np.empty(0), *distances]))
    frame = pd.DataFrame(
        {"anomaly_score": combine_ranks(ranks), **{f"{ANOMALY_RANK_PREFIX}{s}": r for s, r in ranks.items()}}
    )
    return [_save_stage_frame(out_dir, "anomaly", frame)]


def _knn_distance_chunk(rows: tuple[int, int], *, embeddings: str, index: str, k: int) -> np.ndarray:
    """:func:`astrodisc.chain.anomaly.knn_distances` of rows ``lo:hi``, read from their files (a task of any worker)."""
    lo, hi = rows
    return knn_distances(rows_of(embeddings, lo, hi), cached_index(index), np.arange(lo, hi), k)


def _label_stage(store: Store, out_dir: Path, space: str, params: BuildParams, seed: int, runner: Runner) -> list[Path]:
    """The k-NN vote of labelled neighbours (pred_label, pred_prob, mislabel_score) and, per object, the cosine
    distance to the nearest labelled other object (``label_distance``, in [0, 2]) with the out-of-distribution
    flag ``ood`` = label_distance > the ``params.ood_quantile`` quantile of the labelled objects' own distances
    (:func:`astrodisc.chain.anomaly.ood_threshold`; no truth is read). The threshold and the rule go to
    ``stages/ood.json`` and from there into the manifest. As :func:`astrodisc.chain.anomaly.knn_predict`, with the
    index of the labelled objects saved to ``stages/labelled.faiss`` so that the runner's workers can read it."""
    embeddings = _embedding_path(out_dir, space)
    n = len(np.load(embeddings, mmap_mode="r"))
    coding = label_coding(store.objects["label"].to_numpy(dtype=object))
    labelled_rows = coding.labelled_rows
    index_path = out_dir / "stages" / "labelled.faiss"
    index_path.unlink(missing_ok=True)
    if labelled_rows.size == 0:
        vote_of_all = LabelVote.unvoted(n)
    else:
        save_index(
            build_index(
                np.asarray(np.load(embeddings, mmap_mode="r")[labelled_rows]),
                exact_below=params.exact_below,
                target_recall=params.target_recall,
                seed=seed,
            ),
            index_path,
        )
        position = coding.position
        chunks = [(lo, hi, position[lo:hi], coding.own_code[lo:hi]) for lo, hi in row_ranges(n, runner, BATCH)]
        vote_of_all = LabelVote.concat(
            list(
                runner.map_chunks(
                    _vote_chunk,
                    chunks,
                    embeddings=str(embeddings),
                    index=str(index_path),
                    index_codes=coding.own_code[labelled_rows],
                    classes=coding.classes,
                    k=params.k_label,
                )
            )
        )
    labelled = coding.own_code >= 0
    threshold = ood_threshold(vote_of_all.label_distance, labelled, params.ood_quantile)
    ood = vote_of_all.label_distance > threshold  # NaN distance or threshold: not flagged
    frame = pd.DataFrame(
        {
            "pred_label": pd.Series(vote_of_all.pred_label, dtype=object),
            "pred_prob": vote_of_all.pred_prob,
            "mislabel_score": vote_of_all.mislabel_score,
            "label_distance": vote_of_all.label_distance,
            "ood": ood,
        }
    )
    summary = {
        "rule": OOD_RULE.format(quantile=params.ood_quantile),
        "quantile": params.ood_quantile,
        "threshold": None if np.isnan(threshold) else threshold,
        "space": space,
        "flagged": int(ood.sum()),
        "labelled_flagged": int(ood[labelled].sum()),
    }
    summary_path = out_dir / "stages" / "ood.json"
    save_json(summary_path, summary)
    return [_save_stage_frame(out_dir, "labels", frame), summary_path] + ([index_path] if labelled_rows.size else [])


def _vote_chunk(
    chunk: tuple[int, int, np.ndarray, np.ndarray],
    *,
    embeddings: str,
    index: str,
    index_codes: np.ndarray,
    classes: np.ndarray,
    k: int,
) -> LabelVote:
    """:func:`astrodisc.chain.anomaly.vote` of rows ``lo:hi`` (with their positions in the labelled index and their own
    class codes), read from their files (a task of any worker)."""
    lo, hi, exclude, own_code = chunk
    return vote(rows_of(embeddings, lo, hi), cached_index(index), exclude, own_code, index_codes, classes, k)


def _quality_stage(store: Store, out_dir: Path, model_dir: Path, progress: bool) -> list[Path]:
    """What the build measures in the pixels: the cutouts' data-quality columns (``data.image_quality``) and,
    for 3-band flux cutouts whose catalogue gives each band's PSF and sky noise, ``arc_signal``
    (``data.arcs``) and, when the model folder holds an arc finder, ``arc_probability``
    (``learn.arc_finder``) and, from it and the catalogue's colours, ``lens_score`` (``data.red_sequence``); no
    columns for stores without pictures."""
    if not isinstance(store, GalaxyStore):
        return [_save_stage_frame(out_dir, "quality", pd.DataFrame(index=range(len(store))))]
    frame = image_quality(store.cutouts)
    inputs = store.psf_and_sky()
    if inputs is not None:
        from astrodisc.learn.arc_finder import arc_outputs  # noqa: PLC0415 - loads torch, only for flux cutouts

        frame["arc_signal"] = arc_signal(
            store.cutouts, *inputs, store.imaging.pixel_scale_arcsec or PIXEL_SCALE_DEFAULT
        )
        found = arc_outputs(store, model_dir, progress)
        if found is not None:
            frame[ARC_PROBABILITY] = found[1]
            score = lens_score(store.objects, found[1])
            if score is not None:
                frame[LENS_SCORE] = score
    return [_save_stage_frame(out_dir, "quality", frame)]


def _catalog_stage(store: Store, out_dir: Path) -> list[Path]:
    stages = ("map", "clusters", "anomaly", "labels", "quality")
    added = pd.concat([_load_stage_frame(out_dir, s) for s in stages], axis=1)
    catalog = store.objects.drop(columns=[c for c in added.columns if c in store.objects.columns])
    catalog = pd.concat([catalog.reset_index(drop=True), added], axis=1)
    path = out_dir / "catalog.parquet"
    save_parquet(path, catalog)
    return [path]


def _save_stage_frame(out_dir: Path, name: str, frame: pd.DataFrame) -> Path:
    path = out_dir / "stages" / f"{name}.parquet"
    save_parquet(path, frame)
    return path


def _load_stage_frame(out_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(out_dir / "stages" / f"{name}.parquet")


def _write_manifest(
    store: Store,
    model_dir: Path,
    out_dir: Path,
    spaces: list[str],
    records: list[StageRecord],
    params: BuildParams,
    seed: int,
) -> None:
    catalog = pd.read_parquet(out_dir / "catalog.parquet", columns=["label", "cluster"])
    indexes = {s: load_index(out_dir / "index" / f"{s}.faiss") for s in spaces}
    save_json(
        out_dir / "manifest.json",
        {
            "dataset": {"name": store.info.name, "kind": store.info.kind, "path": str(store.root.resolve())},
            "model": {"name": model_dir.name, "path": str(model_dir.resolve())},
            "spaces": {s: {"dim": indexes[s].d, "index": index_description(indexes[s])} for s in spaces},
            "counts": {
                "objects": len(catalog),
                "labelled": int(catalog["label"].notna().sum()),
                "clusters": int(catalog["cluster"].max() + 1) if len(catalog) else 0,
                "noise": int((catalog["cluster"] == -1).sum()),
            },
            "clusters": json.loads((out_dir / "stages" / "cluster_choice.json").read_text()),
            "ood": json.loads((out_dir / "stages" / "ood.json").read_text()),
            "params": asdict(params),
            "seed": seed,
            "stages": {r.name: asdict(r) for r in records},
            "versions": {"python": platform.python_version(), **{p: _version(p) for p in VERSIONED_PACKAGES}},
            "created": _now(),
        },
    )


def _model_files(model_dir: Path, excluded: list[Path]) -> list[Path]:
    """The files of ``model_dir`` except those under ``excluded`` folders (artifacts built inside it)."""
    return [
        p for p in model_dir.rglob("*") if is_data_file(p) and not any(p.resolve().is_relative_to(x) for x in excluded)
    ]


def _callable_name(func: Callable) -> str:
    """``module.qualname`` of a function (also inside a partial), or of the class of a callable object."""
    func = func.func if isinstance(func, functools.partial) else func
    named = func if hasattr(func, "__qualname__") else type(func)
    return f"{named.__module__}.{named.__qualname__}"


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
