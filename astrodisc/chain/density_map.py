"""A large map drawn as a density image plus a clickable level-of-detail sample of its points.

Past about 10^5 points a WebGL scatter is unusable in the browser (10^6 points took 23 s to draw), so
:func:`astrodisc.app.figures.map_figure` draws a catalogue of more than ``DENSITY_ABOVE`` objects as a
``DENSITY_BINS`` x ``DENSITY_BINS`` 2-D histogram of all of them (log counts, grey, a PNG behind the axes)
with at most ``LOD_POINTS`` of them on top as markers, a seeded random sample, which stay clickable
through their ``customdata`` like every map point.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from PIL import Image

DENSITY_ABOVE = 100_000  # more objects than this: density image + sample
LOD_POINTS = 20_000  # markers drawn over the density image
DENSITY_BINS = 512  # histogram cells per axis


@dataclass(frozen=True)
class DensityImage:
    """A PNG of point counts and where it sits on the map."""

    uri: str  # data:image/png;base64,...
    x0: float  # left edge [map units]
    y1: float  # top edge [map units]
    width: float  # [map units]
    height: float  # [map units]


def lod_sample(catalog: pd.DataFrame, n: int = LOD_POINTS, seed: int = 0) -> pd.DataFrame:
    """At most ``n`` rows of ``catalog``, a seeded random sample in catalogue order (all rows if fewer)."""
    if len(catalog) <= n:
        return catalog
    rows = np.sort(np.random.default_rng(seed).choice(len(catalog), size=n, replace=False))
    return catalog.iloc[rows]


def density_image(x: np.ndarray, y: np.ndarray, bins: int = DENSITY_BINS) -> DensityImage:
    """The ``bins`` x ``bins`` histogram of points (x, y) (N,) each, as a grey PNG (darker = more, log scale)."""
    x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
    width, height = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    column = np.minimum(((x - x0) / width * bins).astype(np.int64), bins - 1)  # uniform bins: no search
    row = np.minimum(((y - y0) / height * bins).astype(np.int64), bins - 1)
    counts = np.bincount(row * bins + column, minlength=bins * bins).reshape(bins, bins)  # [y bin, x bin]
    level = np.log1p(counts) / max(np.log1p(counts.max()), 1e-12)  # 0 (empty) .. 1 (densest)
    grey = (255 - 200 * level).astype(np.uint8)[::-1]  # image rows run top (high y) to bottom
    alpha = np.where(counts[::-1] > 0, 255, 0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(np.dstack([grey, grey, grey, alpha]), mode="RGBA").save(buffer, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return DensityImage(uri, x0, y0 + height, width, height)
