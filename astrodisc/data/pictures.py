"""Galaxy pictures as survey viewers make them, and brought to the encoder's stamp without losing the galaxy.

Two halves, shared by the importer of real pictures (:mod:`astrodisc.data.io.galaxies`) and the simulator's
viewer rendering (:mod:`astrodisc.data.sim.viewer`), so what the encoder is trained on and what it reads pass
through the same code:

- :func:`viewer_rgb`: flux cutouts (nanomaggies, bands blue to red: g, r, z or g, r, i) as an 8-bit colour
  picture the way the survey viewers draw them, the reddest band in the red channel, in one of three styles
  (``VIEWER_STYLES``): ``"lupton"``, astropy's Lupton et al. (2004) asinh stretch with the bands weighted as the
  Legacy Survey viewer weights g, r, z (a black sky; the app draws flux cutouts so); ``"legacy"``, the Legacy
  Survey viewer's own drawing (legacypipe's ``sdss_rgb`` by D. Lang with its DR2-on band scales, a grey, noisy
  sky); ``"sdss"``, the same asinh with the SDSS-like scales of g, r, i.
- :func:`to_stamp`: any (B, H, W) picture, of any size and pixel scale, to a (B, S, S) stamp by resampling, never
  by a silent crop. ``field="extent"`` (the default for colour pictures) measures the central galaxy's extent
  (:func:`galaxy_extent`) and frames a square of ``EXTENT_FIELD`` times its 90 %-light radius, so a galaxy fills
  the stamp alike whatever scale and size the user asked the viewer for; ``field="picture"`` keeps the user's own
  framing (the whole picture, resampled). Pixels outside the picture (a galaxy near an edge) take the picture's
  sky level.

Example::

    stamp = to_stamp(np.asarray(Image.open("cutout.jpg").convert("RGB")).transpose(2, 0, 1), 64)  # (3, 64, 64)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image
from scipy import ndimage

Field = Literal["extent", "picture"]
FIELDS: tuple[Field, ...] = ("extent", "picture")
Style = Literal["lupton", "legacy", "sdss"]
VIEWER_STYLES: tuple[Style, ...] = ("lupton", "legacy", "sdss")
# Multipliers of the blue, green and red channels' bands (g, r, z in DECaLS), after the Legacy Surveys viewer.
CHANNEL_WEIGHTS: tuple[float, float, float] = (1.7, 1.0, 0.6)
LUPTON_STRETCH = 0.3  # [nanomaggy]: linear below, logarithmic above
LUPTON_Q = 8.0
# legacypipe's sdss_rgb: per style, the blue, green and red bands' multipliers and the offset m added to each
# [scaled nanomaggy]; the mean scaled band I is drawn as asinh(ASINH_Q I) / sqrt(ASINH_Q), colours kept.
ASINH_SCALES: dict[Style, tuple[tuple[float, float, float], float]] = {
    "legacy": ((6.0, 3.4, 2.2), 0.03),  # g, r, z: the Legacy Survey viewer (DR2 on)
    "sdss": ((2.5, 1.5, 1.0), 0.02),  # g, r, i: SDSS-like
}
ASINH_Q = 20.0
EXTENT_FIELD = 1.7  # stamp side = EXTENT_FIELD x 2 x r90: the simulated sky's median framing (1.67 on 400 stamps)
MIN_EXTENT_PX = 2.0  # a smaller measured r90 [picture px] is taken as this (a point-like or undetected source)
DETECT_SIGMA = 2.0  # a pixel belongs to the galaxy above sky + DETECT_SIGMA x the sky's robust noise
COLOUR_MODES = ("RGB", "RGBA", "P")  # Pillow modes of a colour picture file (alpha is dropped, a palette expanded)


@dataclass(frozen=True)
class StampFraming:
    """How one picture became its stamp: the square taken [picture px] around the centre, the galaxy's measured
    90 %-light radius [picture px] (None unless framed by extent), and the picture's sky level (the median of its
    outer eighth, averaged over bands; in the picture's own units)."""

    side_px: float
    r90_px: float | None
    sky_level: float


def viewer_rgb(cutout: np.ndarray, style: Style = "lupton") -> np.ndarray:
    """(S, S, 3) uint8 colour picture of one (B, S, S) flux cutout [nanomaggy], north up: the last three bands
    (or the one band, repeated) drawn in ``style`` (see the module's docstring); NaN pixels (missing data) as
    zero flux."""
    from astropy.visualization import make_lupton_rgb  # noqa: PLC0415 - astropy loads in ~0.5 s; not on import

    cutout = np.asarray(cutout, dtype=np.float32)
    if cutout.ndim != 3:
        raise ValueError(f"a cutout is (bands, height, width); got shape {cutout.shape}")
    if style not in VIEWER_STYLES:
        raise ValueError(f"unknown viewer style {style!r}: choose one of {', '.join(VIEWER_STYLES)}")
    bands = np.nan_to_num(cutout[-3:] if len(cutout) >= 3 else np.repeat(cutout[:1], 3, axis=0), nan=0.0)
    if style != "lupton":
        return _asinh_rgb(bands, *ASINH_SCALES[style])
    blue, green, red = (b * w for b, w in zip(bands, CHANNEL_WEIGHTS, strict=True))
    with np.errstate(invalid="ignore", divide="ignore"):  # blank (zero-intensity) pixels: 0/0, drawn black
        return make_lupton_rgb(red, green, blue, minimum=0.0, stretch=LUPTON_STRETCH, Q=LUPTON_Q)


def _asinh_rgb(bands: np.ndarray, scales: tuple[float, float, float], offset: float) -> np.ndarray:
    """(S, S, 3) uint8 of (3, S, S) bands blue to red [nanomaggy] as legacypipe's ``sdss_rgb`` draws them."""
    planes = bands.astype(np.float64) * np.asarray(scales)[:, None, None] + offset
    mean = np.maximum(planes, 0.0).mean(axis=0)
    gain = np.arcsinh(ASINH_Q * mean) / np.sqrt(ASINH_Q) / np.where(mean == 0.0, 1e-6, mean)
    rgb = np.clip(planes[::-1] * gain, 0.0, 1.0).transpose(1, 2, 0)  # red channel: the reddest band
    return np.round(rgb * 255).astype(np.uint8)


def _sky(picture: np.ndarray) -> tuple[np.ndarray, float]:
    """(B,) per-band sky level and the robust noise of the bands' sum, from the picture's outer eighth."""
    b, h, w = picture.shape
    edge = max(1, min(h, w) // 8)
    border = np.concatenate(
        [picture[:, :edge].reshape(b, -1), picture[:, -edge:].reshape(b, -1)]
        + [picture[:, :, :edge].reshape(b, -1), picture[:, :, -edge:].reshape(b, -1)],
        axis=1,
    )
    level = np.median(border, axis=1)
    total = border.sum(axis=0)
    centre = float(np.median(total))
    # 1.4826 MAD; where a viewer clipped the sky at black (more than half the border 0) the MAD is 0, and the
    # upper half of the noise (84th percentile - median) measures it instead
    noise = max(1.4826 * float(np.median(np.abs(total - centre))), float(np.percentile(total, 84)) - centre)
    return level, max(noise, 1e-6)


def galaxy_extent(picture: np.ndarray) -> float:
    """The 90 %-light radius [px] of the galaxy at the centre of a (B, H, W) picture: the connected region above
    sky + DETECT_SIGMA sigma (bands summed, lightly smoothed) that holds the centre (or the region nearest to it),
    its light in circles about its light-weighted centre; at least MIN_EXTENT_PX."""
    picture = np.nan_to_num(np.asarray(picture, dtype=np.float64))
    level, noise = _sky(picture)
    light = ndimage.gaussian_filter((picture - level[:, None, None]).sum(axis=0), 1.0)
    regions, n = ndimage.label(light > DETECT_SIGMA * noise)
    if n == 0:
        return MIN_EXTENT_PX
    h, w = light.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    central = regions[int(round(cy)), int(round(cx))]
    if central == 0:  # the centre pixel is sky: take the region nearest to it
        _, (iy, ix) = ndimage.distance_transform_edt(regions == 0, return_indices=True)
        central = regions[iy[int(round(cy)), int(round(cx))], ix[int(round(cy)), int(round(cx))]]
    member = regions == central
    weight = np.where(member, np.clip(light, 0, None), 0.0)
    total = weight.sum()
    if total <= 0:
        return MIN_EXTENT_PX
    yy, xx = np.indices(light.shape)
    gy, gx = (weight * yy).sum() / total, (weight * xx).sum() / total
    radius = np.hypot(yy - gy, xx - gx)[member]
    order = np.argsort(radius)
    cumulative = np.cumsum(weight[member][order])
    r90 = float(radius[order][np.searchsorted(cumulative, 0.9 * total)])
    return max(r90, MIN_EXTENT_PX)


def to_stamp(
    picture: np.ndarray, stamp_px: int, field: Field = "extent", side_px: float | None = None
) -> tuple[np.ndarray, StampFraming]:
    """A (B, H, W) picture as a (B, stamp_px, stamp_px) float32 stamp (see the module docstring) and how it was
    framed; ``side_px`` [picture px], when given, is the square taken about the centre whatever ``field`` says (a
    fixed angular field). Resampling is area-weighted when shrinking (PIL's box filter), bicubic when enlarging."""
    picture = np.asarray(picture, dtype=np.float32)
    if picture.ndim != 3:
        raise ValueError(f"a picture is (bands, height, width); got shape {picture.shape}")
    b, h, w = picture.shape
    if side_px is not None:
        side, r90 = float(side_px), None
    elif field == "picture":
        side, r90 = float(max(h, w)), None
    elif field == "extent":
        r90 = galaxy_extent(picture)
        side = EXTENT_FIELD * 2 * r90
    else:
        raise ValueError(f"field is one of {', '.join(FIELDS)}, not {field!r}")
    level, _ = _sky(picture)
    cy, cx = h / 2, w / 2
    box = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)  # PIL: (left, upper, right, lower)
    shrinking = side > stamp_px
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC
    out = np.empty((b, stamp_px, stamp_px), np.float32)
    for band in range(b):
        # pad by the sky level so a box reaching past the picture's edge sees sky, not black
        pad = int(np.ceil(max(0.0, side / 2 - min(cx, cy)))) + 1
        plane = np.pad(picture[band], pad, constant_values=level[band])
        image = Image.fromarray(plane, mode="F")
        shifted = (box[0] + pad, box[1] + pad, box[2] + pad, box[3] + pad)
        out[band] = np.asarray(image.resize((stamp_px, stamp_px), resample, box=shifted), dtype=np.float32)
    return out, StampFraming(side, r90, float(level.mean()))


def decode_picture(data: bytes) -> np.ndarray:
    """(3, H, W) float32 R, G, B levels of a PNG or JPEG picture held in memory (one the project drew)."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), np.float32).transpose(2, 0, 1)


def as_rgb8(stamp: np.ndarray) -> np.ndarray:
    """A stamp of 8-bit levels (float, from :func:`to_stamp`) rounded back to uint8 (0-255) for storing."""
    return np.clip(np.rint(stamp), 0, 255).astype(np.uint8)
