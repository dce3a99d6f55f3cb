"""The project's own embeddings of a million simulated stars: the variable-star survey's catalogue at scale.

A survey of 10^6 stars with light curves and spectra costs hours here (Lomb-Scargle alone is ~17 ms a star
on these cores), so the scale benchmark takes the part of the survey that scales: its catalogue (the 38
Gaia / 2MASS / WISE / ASAS-SN metadata columns of :func:`astrodisc.data.sim.varstars.simulate_catalogue`),
embedded by the shipped CLIP model's metadata encoder into its 64-d shared space. These vectors are what the
build indexes and maps for a catalogue-only survey, so their recall@10 under IVF is the recall a user meets —
unlike synthetic Gaussian mixtures (:mod:`astrodisc.data.sim.embeddings`), whose neighbourhoods are shaped by a choice.

Layout written by :func:`write_catalogue_survey` (a precomputed-embeddings dataset, as
:func:`astrodisc.data.sim.embeddings.write_synthetic`)::

    dataset.json               kind "varstars", simulated, source naming the seed and the model
    objects.parquet            object_id, ra, dec [deg], label, the 38 metadata columns
    embeddings/metadata.npy    (N, 64) float32 unit rows, row i = object i

Example::

    write_catalogue_survey(1_000_000, Path("models/varstars-clip"), Path("data/bench/survey-1000000"))
    # about 10 min on one core; then astrodisc build --dataset ... --embeddings .../embeddings --out ...
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from astrodisc.base.atomic import save_json, save_npy, save_parquet
from astrodisc.data.sim.embeddings import EMBEDDINGS_DIR
from astrodisc.data.sim.varstars import VarStarSimConfig, simulate_catalogue
from astrodisc.data.store import DatasetInfo
from astrodisc.learn.preprocess import metadata_matrix
from astrodisc.learn.varstars import load_varstar_model

SPACE = "metadata"
BATCH = 8192


def embed_metadata(model_dir: Path, raw: np.ndarray, progress: bool = False) -> np.ndarray:
    """(N, D) float32 unit rows: the metadata embeddings of ``raw`` (N, 38) (NaN = missing) by the CLIP model
    in ``model_dir``, scaled with the model's own metadata scaler."""
    model, scaler, _ = load_varstar_model(model_dir)
    model.eval()
    meta = scaler.transform(raw)
    with torch.no_grad():
        parts = [
            model.embed({"meta": torch.from_numpy(meta[lo : lo + BATCH])}, SPACE).numpy()
            for lo in tqdm(range(0, len(meta), BATCH), desc="embed metadata", disable=not progress)
        ]
    return np.concatenate(parts).astype(np.float32)


def write_catalogue_survey(n: int, model_dir: Path, out: Path, seed: int = 2027, progress: bool = False) -> Path:
    """Simulate the catalogue of ``n`` variable stars (``seed``), embed it with ``model_dir`` and write the
    dataset folder ``out`` (layout in the module docstring); dataset.json last, so a half-written folder
    never opens as a dataset. Returns ``out``."""
    out = Path(out)
    objects = simulate_catalogue(VarStarSimConfig(n=n, seed=seed), progress=progress)
    vectors = embed_metadata(model_dir, metadata_matrix(objects), progress)
    save_npy(out / EMBEDDINGS_DIR / f"{SPACE}.npy", vectors)
    save_parquet(out / "objects.parquet", objects)
    classes = tuple(sorted(objects["label"].dropna().unique()))
    info = DatasetInfo(
        name=out.name,
        classes=classes,
        simulated=True,
        seed=seed,
        source=f"simulate_catalogue(n={n}, seed={seed}) embedded by {Path(model_dir).name} "
        "(astrodisc.ops.survey_scale)",
        extra={"model": str(model_dir)},
    )
    save_json(out / "dataset.json", asdict(info))
    return out
