"""Atomic file writes: write beside the target, fsync, then rename, so a reader never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` (whatever it returns is ignored) then atomically move ``tmp_path`` onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; artifacts are read by other users (e.g. a server account)
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def save_json(path: Path, obj: Any) -> None:
    write_atomic(path, lambda p: p.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_jsonable)))


def save_npy(path: Path, array: np.ndarray) -> None:
    def write(p: Path) -> None:
        with open(p, "wb") as handle:
            np.save(handle, array)

    write_atomic(path, write)


def save_parquet(path: Path, frame: pd.DataFrame) -> None:
    write_atomic(path, lambda p: frame.to_parquet(p, index=False))


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
