"""Colour pictures of galaxy cutouts: Lupton et al. (2004) asinh RGB composites and PNG data URIs for the app.

Flux cutouts (nanomaggies, bands blue to red, e.g. g, r, z) are drawn as the survey viewers draw them
(:func:`astrodisc.data.pictures.viewer_rgb`); imported 8-bit composites are shown as they are. Example::

    rgb = cutout_rgb(store.image(object_id), store.imaging)   # (S, S, 3) uint8
    uri = png_data_uri(resized(rgb, 48))                      # "data:image/png;base64,..."
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from astrodisc.data.arcs import central, measurable, nulled_snr
from astrodisc.data.galaxies import GalaxyImaging
from astrodisc.data.pictures import viewer_rgb

ARC_VIEW_PX = 32  # the centre the shipped arc finder reads (8.4 arcsec at 0.262 arcsec per pixel)
ARC_VIEW_SIGMA = (-2.0, 4.0)  # the grey scale of the host-nulled image [noise sigma]


def cutout_rgb(cutout: np.ndarray, imaging: GalaxyImaging) -> np.ndarray:
    """(S, S, 3) uint8 colour picture of one (B, S, S) cutout, north up (row 0 at the top).

    Flux cutouts: the last three bands (or the one band, repeated) through ``make_lupton_rgb``; NaN pixels
    (missing data) are drawn black. Composites (``imaging.pixel_unit == "rgb8"``): the three channels as stored.
    """
    cutout = np.asarray(cutout, dtype=np.float32)
    if cutout.ndim != 3:
        raise ValueError(f"a cutout is (bands, height, width); got shape {cutout.shape}")
    if not imaging.is_flux:
        channels = cutout[:3] if len(cutout) >= 3 else np.repeat(cutout[:1], 3, axis=0)
        return np.clip(np.nan_to_num(channels), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return viewer_rgb(cutout)


def band_grey(image: np.ndarray, softening: float = 3.0) -> np.ndarray:
    """(S, S) uint8 grey picture of one band: asinh(x / (softening * sigma)), sigma the image's robust noise
    (1.4826 MAD), stretched from the median (sky) to the brightest pixel; NaN pixels black."""
    image = np.asarray(image, dtype=np.float64)
    finite = image[np.isfinite(image)]
    if not len(finite):
        return np.zeros(image.shape, np.uint8)
    sky = float(np.median(finite))
    sigma = max(1.4826 * float(np.median(np.abs(finite - sky))), 1e-12)
    scaled = np.arcsinh((np.nan_to_num(image, nan=sky) - sky) / (softening * sigma))
    top = max(float(scaled.max()), 1e-12)
    return np.clip(255.0 * scaled / top, 0, 255).astype(np.uint8)


def arc_view(
    cutout: np.ndarray, psf_fwhm: np.ndarray, sky_sigma: np.ndarray, pixel_scale: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """What the arc finder reads of one (3, S, S) g, r, z flux cutout: ((W, W, 3) uint8 colour picture, (W, W)
    uint8 grey host-nulled S/N image, ``ARC_VIEW_SIGMA`` black to white) of its central ``ARC_VIEW_PX`` pixels,
    where an arc of another colour than the galaxy's core stands out; None when its (3,) PSF FWHM [arcsec] or sky
    sigma are not measured."""
    if not measurable(psf_fwhm[None], sky_sigma[None])[0]:
        return None
    cutout = np.asarray(cutout, np.float32)
    nulled = central(nulled_snr(cutout[None], psf_fwhm[None], sky_sigma[None], pixel_scale)[0], ARC_VIEW_PX)
    low, high = ARC_VIEW_SIGMA
    grey = (np.clip((nulled - low) / (high - low), 0, 1) * 255).astype(np.uint8)
    return viewer_rgb(central(cutout, ARC_VIEW_PX)), grey


def resized(rgb: np.ndarray, size_px: int) -> np.ndarray:
    """An (H, W, 3) uint8 picture resampled (Lanczos) to ``size_px`` square."""
    image = Image.fromarray(np.ascontiguousarray(rgb))
    if image.size != (size_px, size_px):
        image = image.resize((size_px, size_px), Image.Resampling.LANCZOS)
    return np.asarray(image)


def png_data_uri(rgb: np.ndarray) -> str:
    """A ``data:image/png;base64`` URI of an (H, W, 3) uint8 picture (lossless)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
