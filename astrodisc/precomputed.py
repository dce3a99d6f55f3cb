"""Embeddings computed elsewhere: a folder of ``<space>.npy`` files taken by the build instead of an encoder.

Each file holds an (N, D) array, row i = object i of the dataset; the folder must hold the ``fused``
space or exactly one space. ``astrodisc build --dataset DIR --embeddings FOLDER --out ART`` passes
:func:`load_precomputed` as the build's ``embed`` and FOLDER as its model folder, so the embeddings
stage is rerun exactly when the files change (their content digest is its input).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from astrodisc.datasets.open_store import Store
from astrodisc.errors import UserError


def load_precomputed(store: Store, folder: Path) -> dict[str, np.ndarray]:
    """``{space: (N, D) array}`` memory-mapped from ``folder/<space>.npy``; a wrong row count is a UserError."""
    paths = sorted(Path(folder).glob("*.npy"))
    if not paths:
        raise UserError(f"no <space>.npy embeddings in {folder}")
    spaces = {p.stem: np.load(p, mmap_mode="r") for p in paths}
    for space, array in spaces.items():
        if array.ndim != 2 or len(array) != len(store):
            raise UserError(f"{folder}/{space}.npy has shape {array.shape}, the dataset has {len(store)} objects")
    return spaces
