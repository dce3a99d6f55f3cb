"""Content digests of a dataset store and of model folders: what the build's stage hashes and the training
checkpoints compare, so that a changed file (not only a changed name or row count) reruns what read it.

Only the store's own files are read (dataset.json, objects.parquet, lightcurves/, spectra/, images/), never a
simulator's hidden truth nor artifact sets kept beside the store. Names are taken relative to the folder, so
moving a dataset or a model keeps its digest.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

STORE_FILES = ("dataset.json", "objects.parquet")
STORE_DIRS = ("lightcurves", "spectra", "images")


def store_files(dataset_dir: Path) -> list[Path]:
    """The dataset files a build or a training run may read."""
    files = [dataset_dir / name for name in STORE_FILES]
    for folder in STORE_DIRS:
        if (dataset_dir / folder).is_dir():
            files += [p for p in (dataset_dir / folder).rglob("*") if is_data_file(p)]
    return files


def is_data_file(path: Path) -> bool:
    """A regular file that is not hidden (atomic writes leave ``.name.tmp`` files only while writing)."""
    return path.is_file() and not path.name.startswith(".")


def files_digest(root: Path, paths: list[Path], chunk: int = 1 << 23) -> str:
    """BLAKE2b (32 hex digits) of the names (relative to ``root``), sizes and contents of ``paths``."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(paths):
        digest.update(f"{path.relative_to(root)}\0{path.stat().st_size}\0".encode())
        with open(path, "rb") as handle:
            while block := handle.read(chunk):
                digest.update(block)
    return digest.hexdigest()


def dataset_digest(dataset_dir: Path) -> str:
    """The digest of a dataset store's own files (:func:`store_files`)."""
    dataset_dir = Path(dataset_dir)
    return files_digest(dataset_dir, store_files(dataset_dir))
