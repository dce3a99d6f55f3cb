"""Batch inference: every object of a store into each embedding space of a model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from astrodisc.datasets.catalog_store import CatalogStore
from astrodisc.datasets.galaxy_store import GalaxyStore
from astrodisc.datasets.open_store import Store
from astrodisc.encoders.clip_model import MODALITIES, fuse
from astrodisc.preprocess import ModelInputs, model_inputs
from astrodisc.errors import UserError
from astrodisc.train import load_model, to_batch


def embed_inputs(model, meta: np.ndarray, inputs: ModelInputs, batch_size: int = 1024,
                 progress: bool = False, representations: bool = False) -> dict[str, np.ndarray]:
    """{space: (N, D) float32}: L2-normalised shared-space embeddings per modality plus ``fused``
    (or, with ``representations``, the encoder outputs (N, hidden) per modality, for probes)."""
    out: dict[str, list[np.ndarray]] = {m: [] for m in MODALITIES}
    if not representations:
        out["fused"] = []
    model.eval()
    with torch.no_grad():
        for i in tqdm(range(0, len(inputs), batch_size), desc="embed", disable=not progress):
            batch = to_batch(inputs, meta, np.arange(i, min(i + batch_size, len(inputs))))
            if representations:
                for m in MODALITIES:
                    out[m].append(model.represent(batch, m).numpy())
                continue
            emb = model(batch)
            emb["fused"] = fuse(emb, batch["has_spec"])
            for space, value in emb.items():
                out[space].append(value.numpy())
    return {space: np.concatenate(parts).astype(np.float32) for space, parts in out.items()}


def embed_store(store: Store, model_dir: Path, progress: bool = True) -> dict[str, np.ndarray]:
    """Embeddings of every object of ``store`` with the model in ``model_dir``; a variable-star dataset
    without spectra gets no ``spectra`` space, a galaxy dataset has the one space ``image``, a catalogue the one
    space ``metadata``."""
    if isinstance(store, GalaxyStore):
        return embed_galaxies(store, model_dir, progress)
    if isinstance(store, CatalogStore):
        from astrodisc.train_tabular import embed_catalog  # noqa: PLC0415

        return embed_catalog(store, model_dir, progress)
    model, scaler, _ = load_model(model_dir)
    inputs = model_inputs(store, progress)
    spaces = embed_inputs(model, scaler.transform(inputs.meta_raw), inputs, progress=progress)
    if not inputs.has_spec.any():
        spaces.pop("spectra")
    return spaces


def embed_galaxies(store: GalaxyStore, model_dir: Path, progress: bool = True) -> dict[str, np.ndarray]:
    """{"image": (N, D)} backbone features of every cutout's centre crop (the representation that the
    probes, the similarity search and the map use, as Stein et al. 2021 search on it)."""
    from astrodisc.train_images import ImageData, encode, load_image_model  # noqa: PLC0415

    encoder, aug, config = load_image_model(model_dir)
    if encoder.config.in_channels != len(store.info.bands) or config.get("pixel_unit", store.imaging.pixel_unit) != store.imaging.pixel_unit:
        raise UserError(f"model {Path(model_dir).name} reads {encoder.config.in_channels}-band "
                        f"{config.get('pixel_unit')} cutouts; {store.info.name} has {len(store.info.bands)}-band "
                        f"{store.imaging.pixel_unit} cutouts")
    data = ImageData(store)
    rows = np.arange(len(data))
    chunks = [rows[i:i + 2048] for i in range(0, len(rows), 2048)]
    return {"image": np.concatenate([encode(encoder, data, c, aug) for c in tqdm(chunks, desc="embed", disable=not progress)])}
