"""Where things live: the project root, its data/ and models/, and the shared/ folder of real samples."""

from __future__ import annotations

import os
from pathlib import Path

from astrodisc.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_ENV = "ASTRODISC_SHARED"


def data_dir() -> Path:
    """Root of datasets and build artifacts (``ASTRODISC_DATA`` or ``<project>/data``)."""
    return Path(os.environ.get("ASTRODISC_DATA", PROJECT_ROOT / "data"))


def labels_path() -> Path:
    """The label database (``ASTRODISC_LABELS`` or ``data_dir()/labels.sqlite``)."""
    return Path(os.environ.get("ASTRODISC_LABELS", data_dir() / "labels.sqlite"))


def models_dir() -> Path:
    """Root of shipped encoders (``<project>/models``)."""
    return PROJECT_ROOT / "models"


def shared_dir() -> Path:
    """The shared/ folder: ``$ASTRODISC_SHARED`` or ``<project>/../shared``; missing is an error, never a skip."""
    path = Path(os.environ.get(SHARED_ENV, PROJECT_ROOT.parent / "shared"))
    if not path.is_dir():
        raise UserError(f"shared folder not found at {path}: set {SHARED_ENV} to the shared/ checkout")
    return path
