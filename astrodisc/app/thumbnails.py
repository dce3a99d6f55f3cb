"""Folded light curves and spectra as small PNG pictures, for neighbour cards and galleries.

A neighbour card shows the shape of a light curve or a spectrum, not its numbers; a picture is drawn once on the server
(and cached by the page) and costs the browser nothing, where a chart per card cost it a plot each click.
Phase runs 0-2 left to right (every epoch twice), magnitudes increase downward, one colour per band; a spectrum
runs blue to red left to right, flux upward.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageColor, ImageDraw

from astrodisc.data.period_search import brightest_epoch, fold
from astrodisc.data.varstars import LightCurve

THUMBNAIL_SIZE = (240, 110)  # (width, height) [px]
MARGIN_PX = 6
FRAME_COLOR = (210, 210, 210)


def folded_thumbnail(
    lc: LightCurve, period: float, colors: Sequence[str], size: tuple[int, int] = THUMBNAIL_SIZE
) -> Image.Image:
    """RGB picture (``size`` = width, height px) of ``lc`` folded on ``period`` [days] with maximum light at
    phase 0; ``colors`` (CSS hex per band index) colour the points. Magnitudes span the 1st-99th percentile of
    the finite values, so one outlier does not flatten the curve."""
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width - 1, height - 1], outline=FRAME_COLOR)
    finite = np.isfinite(lc.time) & np.isfinite(lc.mag)
    if not finite.any():
        return image
    time, mag, band = lc.time[finite], lc.mag[finite], lc.band[finite]
    phase = fold(time, period, brightest_epoch(time, mag))
    low, high = np.percentile(mag, [1, 99])
    span = max(high - low, 1e-6)
    x = MARGIN_PX + np.concatenate([phase, phase + 1.0]) / 2.0 * (width - 2 * MARGIN_PX)
    y = MARGIN_PX + np.clip((np.concatenate([mag, mag]) - low) / span, 0, 1) * (height - 2 * MARGIN_PX)
    bands = np.concatenate([band, band])
    for b in np.unique(bands):
        rgb = ImageColor.getrgb(colors[int(b) % len(colors)])
        for px, py in zip(x[bands == b], y[bands == b], strict=False):
            draw.ellipse([px - 1.5, py - 1.5, px + 1.5, py + 1.5], fill=rgb)
    return image


def spectrum_thumbnail(
    wavelength: np.ndarray, flux: np.ndarray, color: str = "#444444", size: tuple[int, int] = THUMBNAIL_SIZE
) -> Image.Image:
    """RGB picture (``size`` = width, height px) of a spectrum, ``flux`` against ``wavelength`` (any units) as a
    line through its finite pixels; flux spans its 1st-99th percentile, so one spike does not flatten it."""
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width - 1, height - 1], outline=FRAME_COLOR)
    finite = np.isfinite(wavelength) & np.isfinite(flux)
    if finite.sum() < 2:
        return image
    w, f = wavelength[finite], flux[finite]
    low, high = np.percentile(f, [1, 99])
    x = MARGIN_PX + (w - w.min()) / max(np.ptp(w), 1e-12) * (width - 2 * MARGIN_PX)
    y = height - MARGIN_PX - np.clip((f - low) / max(high - low, 1e-12), 0, 1) * (height - 2 * MARGIN_PX)
    draw.line(list(zip(x.tolist(), y.tolist(), strict=True)), fill=ImageColor.getrgb(color), width=1)
    return image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
