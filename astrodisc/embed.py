"""Batch inference: every object of a store into each embedding space of a model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from astrodisc.datasets.store import VarStarStore
from astrodisc.encoders.clip_model import MODALITIES, fuse
from astrodisc.preprocess import ModelInputs, model_inputs
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


def embed_store(store: VarStarStore, model_dir: Path, progress: bool = True) -> dict[str, np.ndarray]:
    """Embeddings of every object of ``store`` with the model in ``model_dir``; a dataset without spectra
    gets no ``spectra`` space."""
    model, scaler, _ = load_model(model_dir)
    inputs = model_inputs(store, progress)
    spaces = embed_inputs(model, scaler.transform(inputs.meta_raw), inputs, progress=progress)
    if not inputs.has_spec.any():
        spaces.pop("spectra")
    return spaces
