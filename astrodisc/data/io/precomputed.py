"""Embeddings computed elsewhere: a folder of ``<space>.npy`` files taken by the build instead of an encoder.

Each file holds an (N, D) array of numbers, row i = object i of the dataset, every row finite and non-zero; the
folder must hold the ``fused`` space or exactly one space. ``astrodisc build --dataset DIR --embeddings FOLDER
--out ART`` checks the files with :func:`load_precomputed` before the build makes anything, then passes it as the
build's ``embed`` and FOLDER as its model folder, so the embeddings stage is rerun exactly when the files change
(their content digest is its input). The files are opened memory-mapped with ``allow_pickle=False``: an object
array (a pickle inside an .npy) is refused from its header and never unpickled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from astrodisc.data.open_store import Store
from astrodisc.errors import UserError

CHECK_ROWS = 65_536  # rows checked for finite values at a time (bounds the memory of the check)
HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def load_precomputed(store: Store, folder: Path) -> dict[str, np.ndarray]:
    """``{space: (N, D) array}`` memory-mapped from ``folder/<space>.npy``; a UserError for a file that is no
    numeric .npy array, has another shape than (len(store), D), or has a row that is not finite and non-zero."""
    paths = sorted(Path(folder).glob("*.npy"))
    if not paths:
        raise UserError(f"no <space>.npy embeddings in {folder}")
    spaces = {p.stem: read_embedding(p) for p in paths}
    for space, array in spaces.items():
        if array.ndim != 2 or len(array) != len(store):
            raise UserError(f"{folder}/{space}.npy has shape {array.shape}, the dataset has {len(store)} objects")
        _check_rows(array, f"{folder}/{space}.npy")
    return spaces


def read_embedding(path: Path) -> np.ndarray:
    """The numeric array of the .npy file ``path``, memory-mapped read-only; a UserError for anything else (not
    NumPy's format, truncated, an object array, an .npz archive, text or complex values)."""
    dtype = _header_dtype(path)
    if dtype.hasobject:
        raise UserError(
            f"{path.name} holds Python objects (an object array), which are never loaded; save a numeric array"
        )
    if dtype.kind not in "iuf":
        raise UserError(f"{path.name} holds {dtype} values; embeddings are integer or floating-point numbers")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise UserError(
            f"{path.name} is not a readable .npy array (truncated or corrupt: {type(error).__name__})"
        ) from None


def _header_dtype(path: Path) -> np.dtype:
    """The dtype an .npy file's header declares, read without loading (nor unpickling) its data."""
    with open(path, "rb") as handle:
        try:
            read_header = HEADER_READERS.get(np.lib.format.read_magic(handle))
            if read_header is None:
                raise ValueError("an .npy format version numpy does not write for numeric arrays")
            _, _, dtype = read_header(handle)
        except (ValueError, OSError, EOFError, SyntaxError) as error:
            raise UserError(f"{path.name} is not a NumPy .npy array ({type(error).__name__})") from None
    return dtype


def _check_rows(array: np.ndarray, name: str) -> None:
    """A UserError if a row of the (N, D) ``array`` holds NaN or infinity or is all zeros (no direction to map)."""
    bad = np.concatenate(
        [_bad_rows(np.asarray(array[start : start + CHECK_ROWS])) for start in range(0, len(array), CHECK_ROWS)]
        or [np.zeros(0, bool)]
    )
    if bad.any():
        raise UserError(
            f"{name}: {int(bad.sum())} of {len(array)} rows are NaN, infinite or all zero (first: row "
            f"{int(np.argmax(bad))}); every object needs a finite, non-zero embedding"
        )


def _bad_rows(rows: np.ndarray) -> np.ndarray:
    """(n,) True where a row of ``rows`` (n, D) holds a non-finite value or only zeros."""
    return ~np.isfinite(rows).all(axis=1) | ~rows.any(axis=1)
