"""Fixtures of the app tests: a tiny simulated store and its artifacts, built with a deterministic fake encoder.

The fake encoder maps each object to its class centroid plus small noise in every space, so neighbours
are (mostly) objects of the same class and the map shows one island per class, plus a few loners
(the unlabelled objects) that a browser test can click unambiguously.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from astrodisc.data.store import DatasetInfo
from astrodisc.data.varstars import CLASSES, WAVELENGTH_GRID, LightCurve, VarStarStore, write_store

DATASET, MODEL = "tiny-sim", "fake-encoder"
SKY = "tiny-sky"  # the galaxy fixture; sorts after DATASET, so the picker still opens the variable stars first
SKY_N, SKY_SEED = 240, 5
FIXTURE_CLASSES: dict[str, tuple[float, float]] = {  # class: period range [days]
    "EW": (0.3, 0.45),
    "RRAB": (0.5, 0.7),
    "DSCT": (0.05, 0.1),
    "SR": (40.0, 90.0),
}
PER_CLASS, UNLABELLED, EPOCHS, EMBED_DIM = 12, 4, 90, 16
SPACES = ("photometry", "spectra", "metadata")


@dataclass(frozen=True)
class Fixture:
    """Where the fixture lives: ``data_root`` is what ASTRODISC_DATA points at."""

    data_root: Path
    dataset_dir: Path
    artifact_dir: Path
    n_objects: int


def _tiny_store(root: Path) -> None:
    rng = np.random.default_rng(7)
    labels = [c for c in FIXTURE_CLASSES for _ in range(PER_CLASS)] + [None] * UNLABELLED
    n = len(labels)
    periods = np.array([rng.uniform(*FIXTURE_CLASSES[c]) if c else rng.uniform(1.0, 5.0) for c in labels])
    amplitudes = rng.uniform(0.2, 0.8, n)
    lightcurves = []
    for i in range(n):
        time = np.sort(rng.uniform(2_458_000.0, 2_458_400.0, EPOCHS))
        mag = 13.0 + rng.uniform(0, 3) + amplitudes[i] / 2 * np.sin(2 * np.pi * time / periods[i])
        err = np.full(EPOCHS, 0.02)
        lightcurves.append(LightCurve(time, mag + rng.normal(0, err), err, np.zeros(EPOCHS, np.uint8)))
    catalogue_period = np.where(np.arange(n) % 5 == 4, np.nan, periods)  # some objects lack a period
    objects = pd.DataFrame(
        {
            "object_id": [f"TINY-{i:04d}" for i in range(n)],
            "ra": rng.uniform(0, 360, n),
            "dec": rng.uniform(-60, 60, n),
            "label": pd.array(labels, dtype="string"),
            "period": catalogue_period,
            "amplitude": amplitudes,
            "j_k": rng.normal(0.4, 0.2, n),
            "parallax": rng.uniform(0.1, 3.0, n),
        }
    )
    flux = 1.0 + 0.2 * np.sin(WAVELENGTH_GRID[None, :] / (200.0 + 10.0 * np.arange(n)[:, None]))
    flux[np.arange(n) % 3 == 2] = np.nan  # a third of the objects have no spectrum
    info = DatasetInfo(name=DATASET, classes=CLASSES, simulated=True, seed=7, source="tests/conftest.py")
    write_store(root, info, objects, lightcurves, spectra=(flux, np.full_like(flux, 0.02)))


def fake_embed(store: VarStarStore, model_dir: Path) -> dict[str, np.ndarray]:
    """Deterministic stand-in encoder: class centroid (one per class and space) + noise, (N, EMBED_DIM) float32
    per modality, each unlabelled object its own centroid (an isolated point on the map); the fused space is the
    concatenation of the unit-normalised modality vectors."""
    labels = [
        label if isinstance(label, str) else f"unlabelled-{i}"  # each unlabelled object is a loner
        for i, label in enumerate(store.objects["label"].astype(object))
    ]
    classes = sorted(set(labels))
    out = {}
    for s, space in enumerate(SPACES):
        rng = np.random.default_rng(100 + s)
        centroids = {c: rng.normal(0, 3.0, EMBED_DIM) for c in classes}
        noise = rng.normal(0, 0.5, (len(labels), EMBED_DIM))
        out[space] = np.stack([centroids[c] for c in labels]) + noise
    out["fused"] = np.concatenate([v / np.linalg.norm(v, axis=1, keepdims=True) for v in out.values()], axis=1)
    return {space: vectors.astype(np.float32) for space, vectors in out.items()}


@pytest.fixture(scope="session")
def tiny_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """The tiny store and its artifacts under a fresh data root (built once per session)."""
    from astrodisc.chain.build import build_artifacts  # imported here so other test modules collect without it

    data_root = tmp_path_factory.mktemp("data")
    dataset_dir = data_root / DATASET
    model_dir = tmp_path_factory.mktemp("models") / MODEL
    model_dir.mkdir()
    _tiny_store(dataset_dir)
    artifact_dir = dataset_dir / MODEL
    build_artifacts(dataset_dir, model_dir, artifact_dir, embed=fake_embed, seed=0, progress=False)
    return Fixture(data_root, dataset_dir, artifact_dir, PER_CLASS * len(FIXTURE_CLASSES) + UNLABELLED)


def fake_image_embed(store, model_dir: Path) -> dict[str, np.ndarray]:
    """Stand-in galaxy encoder: morphology centroid + noise in one ``image`` space, the edge-on discs in two
    sub-groups (by row parity) for the Subclasses page to find; a galaxy catalogued twice (two entries within
    2 arcsec, found from ra/dec alone) gets its twin's vector, so its twin is its most similar object unless the
    search drops same-sky entries."""
    from astrodisc.data.galaxies import DUPLICATE_RADIUS_ARCSEC

    labels = store.objects["label"].astype(object).fillna("unlabelled").to_numpy()
    rng = np.random.default_rng(9)
    centroids = {c: rng.normal(0, 3.0, EMBED_DIM) for c in sorted(set(labels))}
    vectors = np.stack([centroids[c] for c in labels]) + rng.normal(0, 1.0, (len(labels), EMBED_DIM))
    split = rng.normal(0, 2.0, EMBED_DIM)
    vectors[labels == "edge_on"] += np.where(np.arange(len(labels)) % 2, 1.0, -1.0)[labels == "edge_on", None] * split
    for a, b in sky_twins(store.objects, DUPLICATE_RADIUS_ARCSEC):
        vectors[b] = vectors[a] + rng.normal(0, 1e-3, EMBED_DIM)
    return {"image": vectors.astype(np.float32)}


def sky_twins(objects: pd.DataFrame, radius_arcsec: float) -> list[tuple[int, int]]:
    """Row pairs (a < b) of catalogue entries closer than ``radius_arcsec`` on the sky."""
    from astropy.coordinates import SkyCoord

    sky = SkyCoord(objects["ra"].to_numpy(), objects["dec"].to_numpy(), unit="deg")
    first, second, _, _ = sky.search_around_sky(sky, radius_arcsec / 3600.0 * sky.ra.unit)
    return sorted({(int(a), int(b)) for a, b in zip(first, second, strict=False) if a < b})


@pytest.fixture(scope="session")
def tiny_sky(tiny_artifacts: Fixture, tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """A small simulated galaxy sky and its artifacts (fake image encoder), under a data root that also holds
    the variable-star fixture, so the app's picker offers both kinds."""
    from astrodisc.chain.build import build_artifacts
    from astrodisc.data.sim.galaxies import GalaxySimConfig, simulate_galaxies

    data_root = tmp_path_factory.mktemp("data-both")
    (data_root / DATASET).symlink_to(tiny_artifacts.dataset_dir, target_is_directory=True)
    dataset_dir = data_root / SKY
    simulate_galaxies(
        GalaxySimConfig(n=SKY_N, seed=SKY_SEED, duplicate_rate=0.03, workers=1), dataset_dir, progress=False
    )
    model_dir = tmp_path_factory.mktemp("models") / MODEL
    model_dir.mkdir()
    artifact_dir = dataset_dir / MODEL
    build_artifacts(dataset_dir, model_dir, artifact_dir, embed=fake_image_embed, seed=0, progress=False)
    return Fixture(data_root, dataset_dir, artifact_dir, SKY_N)


@pytest.fixture
def tiny_data(tiny_artifacts: Fixture, monkeypatch: pytest.MonkeyPatch) -> Fixture:
    """``tiny_artifacts`` with ASTRODISC_DATA pointing at its data root for the duration of one test."""
    monkeypatch.setenv("ASTRODISC_DATA", str(tiny_artifacts.data_root))
    return tiny_artifacts


class _OpenRecorder:
    """Every path opened through Python's open/os.open (audit hook) or pandas/pyarrow parquet readers."""

    paths: list[str] | None = None

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if cls.paths is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
            cls.paths.append(str(args[0]))


sys.addaudithook(_OpenRecorder.hook)  # audit hooks cannot be removed; it records only while paths is a list


def _record_opens(patch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    _OpenRecorder.paths = []
    for module, name in ((pd, "read_parquet"), (pq, "read_table"), (pq, "ParquetFile")):
        original = getattr(module, name)
        patch.setattr(
            module,
            name,
            lambda source, *a, _f=original, **kw: (_OpenRecorder.paths.append(str(source)), _f(source, *a, **kw))[1],
        )
    yield _OpenRecorder.paths
    _OpenRecorder.paths = None


@pytest.fixture()
def record_opens(monkeypatch) -> Iterator[list[str]]:
    """Paths opened during one test (to prove a step never reads the hidden truth)."""
    yield from _record_opens(monkeypatch)


@pytest.fixture(scope="module")
def record_opens_module() -> Iterator[list[str]]:
    """As ``record_opens``, for module-scoped fixtures."""
    with pytest.MonkeyPatch.context() as patch:
        yield from _record_opens(patch)
