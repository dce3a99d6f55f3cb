"""Astronomy-aware augmentations of galaxy cutouts for contrastive training (after Hayat et al. 2021,
Stein et al. 2021).

Every function takes a float32 batch ``x`` of shape (N, B, H, W) in the store's pixel unit (nanomaggy fluxes,
or 0-255 values of an 8-bit composite cast to float) before any asinh scaling, and returns a new tensor.
Randomness comes only from the ``torch.Generator`` passed in, so a seed reproduces a view exactly.
Rotation and rescaling turn about the stamp's geometric centre ((S - 1) / 2 px), as the renderer draws it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from astrodisc.errors import UserError

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
COMPOSITE_REDRAW = 0.3  # redraw strength for 8-bit composites, chosen on choice skies (docs/galaxies.md)


def _affine(x: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """Bilinear resampling: output pixel at normalised position p reads input at ``matrix @ p``; positions off
    the stamp read its mirror image, so rotated corners hold sky (and its noise), never a blank the network
    could learn to spot.

    ``matrix`` is (N, 2, 2) acting on (column, row) coordinates normalised to [-1, 1] about the stamp centre.
    """
    theta = torch.cat([matrix, torch.zeros(len(x), 2, 1, dtype=x.dtype)], dim=2)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def rotate(x: torch.Tensor, angles_deg: torch.Tensor, flip: torch.Tensor | None = None) -> torch.Tensor:
    """Rotate sample i by ``angles_deg[i]`` [deg] (90 equals ``torch.rot90(x, 1, (-2, -1))``), after a
    left-right mirror where the boolean ``flip[i]`` is set. Square stamps only (pixels are square)."""
    if x.shape[-1] != x.shape[-2]:
        raise UserError(f"cutouts must be square, got {tuple(x.shape[-2:])} pixels")
    a = torch.deg2rad(angles_deg.to(x.dtype))
    cos, sin = torch.cos(a), torch.sin(a)
    matrix = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
    if flip is not None:
        mirror = torch.stack([torch.where(flip, -1.0, 1.0), torch.ones(len(x))], -1).to(x.dtype)
        matrix = matrix * mirror[:, :, None]  # negate the input column: the mirror is applied first
    return _affine(x, matrix)


def rotate_flip(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Rotation by an angle uniform in [0, 360) deg and a left-right flip with p = 0.5, drawn per sample."""
    angles = torch.rand(len(x), generator=gen) * 360.0
    flip = torch.rand(len(x), generator=gen) < 0.5
    return rotate(x, angles, flip)


def _crop_start(size: int, out_px: int) -> int:
    if not 0 < out_px <= size:
        raise UserError(f"crop of {out_px} px does not fit a {size} px cutout")
    return (size - out_px) // 2


def jitter_crop(x: torch.Tensor, gen: torch.Generator, out_px: int, max_shift_px: int) -> torch.Tensor:
    """(N, B, out_px, out_px) crops about the centre, each shifted by integer offsets [px] uniform in
    [-max_shift_px, max_shift_px] along rows and columns independently, drawn per sample."""
    start = _crop_start(x.shape[-1], out_px)
    if not 0 <= max_shift_px <= min(start, x.shape[-1] - out_px - start):
        raise UserError(f"a shift of {max_shift_px} px moves a {out_px} px crop off a {x.shape[-1]} px cutout")
    top, left = torch.randint(-max_shift_px, max_shift_px + 1, (2, len(x)), generator=gen) + start
    span = torch.arange(out_px)
    rows, cols = (top[:, None] + span)[:, :, None], (left[:, None] + span)[:, None, :]
    return x[torch.arange(len(x))[:, None, None], :, rows, cols].permute(0, 3, 1, 2).contiguous()


def center_crop(x: torch.Tensor, out_px: int) -> torch.Tensor:
    """(N, B, out_px, out_px) central crop; when sizes differ in parity the extra pixel is left on the far side."""
    start = _crop_start(x.shape[-1], out_px)
    return x[..., start : start + out_px, start : start + out_px].clone()


def add_survey_noise(x: torch.Tensor, gen: torch.Generator, sky_sigma: torch.Tensor) -> torch.Tensor:
    """Add Gaussian pixel noise whose sigma [pixel unit] is uniform in [0, sky_sigma[i, b]] per sample and band;
    ``sky_sigma`` (N, B) is the survey's own per-pixel noise, so the added noise stays at survey-like levels."""
    sigma = torch.rand(sky_sigma.shape, generator=gen) * sky_sigma.to(x.dtype)
    return x + torch.randn(x.shape, generator=gen) * sigma[:, :, None, None]


def _extinction(coeff: Sequence[float] | torch.Tensor, ebv: torch.Tensor, sign: float) -> torch.Tensor:
    """(N, B, 1, 1) flux factors 10**(sign * 0.4 * A_b) with A_b = coeff[b] * ebv[i] [mag]."""
    a_mag = ebv.to(torch.float32)[:, None] * torch.as_tensor(coeff, dtype=torch.float32)[None, :]
    return (10.0 ** (sign * 0.4 * a_mag))[:, :, None, None]


def deredden(x: torch.Tensor, ebv: torch.Tensor, coeff: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Undo Galactic extinction: band b of sample i times 10**(0.4 coeff[b] ebv[i]); ebv (N,) E(B-V) [mag],
    coeff (B,) A_band / E(B-V)."""
    return x * _extinction(coeff, ebv, +1.0)


def redden(
    x: torch.Tensor, gen: torch.Generator, ebv_pool: torch.Tensor, coeff: Sequence[float] | torch.Tensor
) -> torch.Tensor:
    """Apply the extinction of an E(B-V) [mag] drawn per sample from ``ebv_pool`` (the survey's values) to a
    de-reddened batch: band b times 10**(-0.4 coeff[b] E(B-V))."""
    if len(ebv_pool) == 0:
        raise UserError("the E(B-V) pool to draw reddening from is empty")
    ebv = ebv_pool[torch.randint(len(ebv_pool), (len(x),), generator=gen)]
    return x * _extinction(coeff, ebv, -1.0)


def gaussian_blur(x: torch.Tensor, fwhm_px: torch.Tensor) -> torch.Tensor:
    """Convolve sample i with a unit-sum Gaussian of FWHM ``fwhm_px[i]`` [px] (0 = unchanged; zero padding, so
    flux is kept away from the edges). The kernel spans +-4 sigma of the widest (odd size, >= 8 sigma)."""
    n, b, h, w = x.shape
    sigma = (fwhm_px.to(x.dtype) / FWHM_PER_SIGMA).clamp_min(1e-6)
    radius = max(1, math.ceil(4.0 * float(sigma.max())))
    r = torch.arange(-radius, radius + 1, dtype=x.dtype)
    profile = torch.exp(-0.5 * (r[None, :] / sigma[:, None]) ** 2)  # (N, K): the Gaussian is separable
    profile = profile / profile.sum(1, keepdim=True)
    kernel = (profile[:, :, None] * profile[:, None, :]).repeat_interleave(b, 0)[:, None]  # (N*B, 1, K, K)
    return F.conv2d(x.reshape(1, n * b, h, w), kernel, padding=radius, groups=n * b).reshape(n, b, h, w)


def psf_blur(x: torch.Tensor, gen: torch.Generator, max_extra_fwhm_px: float) -> torch.Tensor:
    """Degrade the seeing: Gaussian blur of FWHM [px] uniform in [0, max_extra_fwhm_px], drawn per sample."""
    return gaussian_blur(x, torch.rand(len(x), generator=gen) * max_extra_fwhm_px)


def size_scale(x: torch.Tensor, gen: torch.Generator, low: float, high: float) -> torch.Tensor:
    """Magnify each sample about the centre by a factor log-uniform in [low, high] (> 1 enlarges), keeping
    surface brightness (pixel values) rather than flux. It erases angular size, a redshift cue: optional."""
    if not 0 < low <= high:
        raise UserError(f"size scale range must satisfy 0 < low <= high, got ({low}, {high})")
    factor = torch.exp(math.log(low) + torch.rand(len(x), generator=gen) * math.log(high / low))
    return _affine(x, torch.eye(2, dtype=x.dtype) / factor.to(x.dtype)[:, None, None])


def redraw(x: torch.Tensor, gen: torch.Generator, strength: float) -> torch.Tensor:
    """A batch (N, B, H, W) of 8-bit colour composites (0-255 values as floats) drawn again with another viewer's
    black level and stretch, the composites' stand-in for a flux survey's noise and reddening; returns the same
    shape and unit. Per sample, the black level moves by d uniform in [-strength/3, strength/3] (v -> (v - d) /
    (1 - d), v = x / 255) and the stretch bends by a gamma log-uniform in [exp(-strength), exp(strength)]; values
    clip to [0, 255]. The same for every channel and pixel of a picture, so brighter stays brighter and colours keep
    their order: a per-channel gain, tried as well, cost spirals neighbours of their kind (docs/galaxies.md)."""
    if strength < 0:
        raise UserError(f"redraw strength must be >= 0, got {strength}")
    shape = (len(x), 1, 1, 1)
    black = (torch.rand(shape, generator=gen) * 2 - 1) * strength / 3
    gamma = torch.exp((torch.rand(shape, generator=gen) * 2 - 1) * strength)
    return ((x / 255.0 - black) / (1 - black)).clamp(0.0, 1.0) ** gamma * 255.0


def asinh_scale(x: torch.Tensor, sky_sigma: torch.Tensor, softening: float = 3.0) -> torch.Tensor:
    """Network input: asinh(x / (softening * sky_sigma[i, b])), linear within a few sky sigma and logarithmic
    above; for composites (sky_sigma all zero) x / 255 instead."""
    if not bool(sky_sigma.any()):
        return x / 255.0
    if bool((sky_sigma <= 0).any()):
        raise UserError("sky_sigma must be positive for every flux cutout and band")
    return torch.asinh(x / (softening * sky_sigma.to(x.dtype)[:, :, None, None]))


@dataclass(frozen=True)
class AugmentConfig:
    """Which augmentations make a contrastive view, and the network's input size [px]."""

    rotate: bool = True
    jitter_px: int = 4  # max centre shift of the crop [px]
    crop_px: int = 56  # network input size [px]
    noise: bool = True
    redden: bool = True
    blur_fwhm_px: float = 1.5  # max extra PSF FWHM [px]; 0 = off
    size_scale: tuple[float, float] | None = None  # (low, high) magnification range; None = off
    redraw: float | None = None  # strength of redraw for 8-bit composites; None = COMPOSITE_REDRAW; 0 = off

    def for_composites(self) -> AugmentConfig:
        """These settings for 8-bit colour composites: no flux noise or reddening (they have no flux to vary),
        drawn again instead in another black level and stretch (``redraw``, ``COMPOSITE_REDRAW`` unless set)."""
        return replace(self, noise=False, redden=False, redraw=COMPOSITE_REDRAW if self.redraw is None else self.redraw)


def augment(
    x: torch.Tensor,
    gen: torch.Generator,
    config: AugmentConfig,
    sky_sigma: torch.Tensor,
    ebv: torch.Tensor,
    ebv_pool: torch.Tensor,
    coeff: Sequence[float] | torch.Tensor,
) -> torch.Tensor:
    """One random view (N, B, crop_px, crop_px), asinh-scaled: deredden, redden, rotate/flip, size scale,
    PSF blur, survey noise, jittered crop, redraw, asinh. ``sky_sigma`` (N, B) [pixel unit], ``ebv`` (N,) [mag]."""
    if config.redden:
        x = redden(deredden(x, ebv, coeff), gen, ebv_pool, coeff)
    if config.rotate:
        x = rotate_flip(x, gen)
    if config.size_scale is not None:
        x = size_scale(x, gen, *config.size_scale)
    if config.blur_fwhm_px > 0:
        x = psf_blur(x, gen, config.blur_fwhm_px)
    if config.noise:
        x = add_survey_noise(x, gen, sky_sigma)
    x = jitter_crop(x, gen, config.crop_px, config.jitter_px)
    if config.redraw:  # per pixel, so drawn on the crop alone (the fewest pixels)
        if bool(sky_sigma.any()):
            raise UserError("redraw is for 8-bit composites; flux cutouts vary by survey noise and reddening")
        x = redraw(x, gen, config.redraw)
    return asinh_scale(x, sky_sigma)


def inference_view(
    x: torch.Tensor,
    config: AugmentConfig,
    sky_sigma: torch.Tensor,
    ebv: torch.Tensor,
    coeff: Sequence[float] | torch.Tensor,
) -> torch.Tensor:
    """The deterministic view for embedding: deredden (if config.redden), central crop, asinh scale."""
    if config.redden:
        x = deredden(x, ebv, coeff)
    return asinh_scale(center_crop(x, config.crop_px), sky_sigma)
