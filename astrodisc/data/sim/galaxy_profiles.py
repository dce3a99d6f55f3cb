"""Surface-brightness profiles drawn on a supersampled pixel grid, a Moffat PSF, and strong lensing.

Every profile function returns an image that sums to 1 over the whole plane (the part outside the
stamp is lost, as it is for a real cutout), so a component's pixels are its flux times its profile.
Coordinates are in arcsec from the stamp centre; x grows with column, y with row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import gammainc

SUPERSAMPLE = 2  # sub-pixels per pixel along each axis


@dataclass(frozen=True)
class Grid:
    """Sub-pixel centre coordinates [arcsec] of a square stamp of ``n`` pixels of ``scale`` arcsec."""

    n: int
    scale: float

    @cached_property
    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y), each (n * SUPERSAMPLE, n * SUPERSAMPLE): computed once per grid, shared read-only."""
        m = self.n * SUPERSAMPLE
        axis = (np.arange(m) - (m - 1) / 2) * self.scale / SUPERSAMPLE
        x, y = np.meshgrid(axis, axis)
        x.flags.writeable = y.flags.writeable = False
        return x, y

    @property
    def half_width(self) -> float:
        return self.n * self.scale / 2


def _rotate(x: np.ndarray, y: np.ndarray, pa: float, x0: float, y0: float) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates along the major (u) and minor (v) axis of a component at (x0, y0) with position angle pa [rad]."""
    dx, dy = x - x0, y - y0
    c, s = np.cos(pa), np.sin(pa)
    return dx * c + dy * s, -dx * s + dy * c


def sersic_b(n: float) -> float:
    return 2 * n - 1 / 3 + 4 / (405 * n) + 46 / (25515 * n**2)


def _normalise(image: np.ndarray, inside_fraction: float) -> np.ndarray:
    """``image`` scaled to sum to ``inside_fraction``; a profile whose light all falls beyond the stamp (a sum
    too small to divide by) leaves nothing in it."""
    total = float(image.sum())
    with np.errstate(over="ignore", divide="ignore"):
        scale = inside_fraction / total if total > 0 else 0.0
    return image * scale if np.isfinite(scale) else np.zeros_like(image)


def sersic(grid: Grid, re: float, n: float, q: float, pa: float, x0: float = 0.0, y0: float = 0.0) -> np.ndarray:
    """Sersic profile of half-light radius ``re`` [arcsec] (major axis), index n, axis ratio q."""
    x, y = grid.xy
    u, v = _rotate(x, y, pa, x0, y0)
    r = np.hypot(u, v / q)
    b = sersic_b(n)
    image = np.exp(-b * (np.maximum(r, 0.05 * grid.scale) / re) ** (1 / n))
    inside = float(gammainc(2 * n, b * (grid.half_width / re) ** (1 / n)))
    return _normalise(image, inside)


def disc_plane(grid: Grid, q: float, pa: float, x0: float = 0.0, y0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Radius [arcsec] and azimuth [rad] in the plane of a thin disc seen with axis ratio q."""
    x, y = grid.xy
    u, v = _rotate(x, y, pa, x0, y0)
    v = v / q
    return np.hypot(u, v), np.arctan2(v, u)


def spiral_arms(
    grid: Grid,
    rd: float,
    q: float,
    pa: float,
    arms: int,
    pitch_deg: float,
    phase: float,
    sharpness: float,
    start: float | None = None,
    x0: float = 0.0,
    y0: float = 0.0,
) -> np.ndarray:
    """Logarithmic spiral arms on an exponential disc of scale length ``rd`` [arcsec], fading in inside
    ``start`` [arcsec] (0.7 rd if None; a bar's end where there is a bar)."""
    r, phi = disc_plane(grid, q, pa, x0, y0)
    r = np.maximum(r, 0.05 * grid.scale)
    wave = np.cos(arms * (phi - np.log(r / rd) / np.tan(np.radians(pitch_deg))) + phase)
    start = 0.7 * rd if start is None else start
    image = np.exp(-r / rd) * np.clip(wave, 0, None) ** sharpness * (1 - np.exp(-((r / start) ** 2)))
    return _normalise(image, 1.0)


def ring(grid: Grid, radius: float, width: float, q: float, pa: float, x0: float = 0.0, y0: float = 0.0) -> np.ndarray:
    """A Gaussian ring of ``radius`` and ``width`` [arcsec] in the disc plane."""
    r, _ = disc_plane(grid, q, pa, x0, y0)
    return _normalise(np.exp(-0.5 * ((r - radius) / width) ** 2), 1.0)


def shells(
    grid: Grid,
    radii: tuple[float, ...],
    width: float,
    axis: float,
    opening: float,
    x0: float = 0.0,
    y0: float = 0.0,
) -> np.ndarray:
    """Interleaved shells of a radial merger (Quinn 1984): arcs of ``radii`` [arcsec] on alternate sides of the
    ``axis`` [rad], each an angular half-width ``opening`` [rad], bright at a sharp outer edge and fading inwards
    over ``width`` [arcsec]; equal surface brightness at each edge."""
    x, y = grid.xy
    r = np.hypot(x - x0, y - y0)
    phi = np.arctan2(y - y0, x - x0)
    image = np.zeros_like(r)
    for k, radius in enumerate(radii):
        side = axis + np.pi * (k % 2)
        dphi = np.angle(np.exp(1j * (phi - side)))
        edge = np.where(r <= radius, np.exp(-(radius - r) / width), np.exp(-(((r - radius) / (0.2 * width)) ** 2)))
        image += edge * np.exp(-0.5 * (dphi / opening) ** 2)
    return _normalise(image, 1.0)


def gaussian_blob(grid: Grid, sigma: float, x0: float, y0: float) -> np.ndarray:
    x, y = grid.xy
    image = np.exp(-0.5 * ((x - x0) ** 2 + (y - y0) ** 2) / sigma**2)
    return _normalise(image, 1.0 if max(abs(x0), abs(y0)) < grid.half_width else 0.5)


def tidal_tail(
    grid: Grid,
    start: tuple[float, float],
    length: float,
    curvature: float,
    angle: float,
    width: float,
    x0: float = 0.0,
    y0: float = 0.0,
    blobs: int = 24,
) -> np.ndarray:
    """A curved stream of ``blobs`` Gaussians of ``width`` [arcsec] along a parabola of ``length`` from
    ``start`` (+ the offset x0, y0) [arcsec]."""
    s = np.linspace(0, length, blobs)
    bend = curvature * s**2 / max(length, 1e-6)
    c, si = np.cos(angle), np.sin(angle)
    xs, ys = x0 + start[0] + s * c - bend * si, y0 + start[1] + s * si + bend * c
    fade = np.exp(-s / length)
    image = sum(
        f * gaussian_blob(grid, width * (1 + 0.5 * k / blobs), x, y)
        for k, (f, x, y) in enumerate(zip(fade, xs, ys, strict=False))
    )
    return _normalise(image, 1.0)


def dust_lane(
    grid: Grid, q: float, pa: float, height: float, tau: float, x0: float = 0.0, y0: float = 0.0
) -> np.ndarray:
    """Transmission (0..1) of a dust lane of optical depth ``tau`` along the major axis, scale height ``height``."""
    x, y = grid.xy
    _, v = _rotate(x, y, pa, x0, y0)
    return np.exp(-tau * np.exp(-0.5 * (v / height) ** 2))


def moffat_kernel(grid: Grid, fwhm: float, beta: float = 3.5) -> np.ndarray:
    """Moffat PSF of ``fwhm`` [arcsec] on the supersampled grid, normalised to 1."""
    x, y = grid.xy
    alpha = fwhm / (2 * np.sqrt(2 ** (1 / beta) - 1))
    kernel = (1 + (x**2 + y**2) / alpha**2) ** -beta
    return kernel / kernel.sum()


def convolve(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Linear (zero-padded) convolution of two equal-size square arrays by FFT; kernel centred."""
    m = image.shape[0]
    size = 2 * m
    product = np.fft.rfft2(image, (size, size)) * np.fft.rfft2(
        np.fft.ifftshift(_pad_centre(kernel, size)), (size, size)
    )
    return np.fft.irfft2(product, (size, size))[:m, :m]


def _pad_centre(kernel: np.ndarray, size: int) -> np.ndarray:
    m = kernel.shape[0]
    out = np.zeros((size, size))
    lo = size // 2 - m // 2
    out[lo : lo + m, lo : lo + m] = kernel
    return out


def bin_pixels(image: np.ndarray) -> np.ndarray:
    """Sum SUPERSAMPLE x SUPERSAMPLE sub-pixels into pixels (flux is conserved)."""
    m = image.shape[-1] // SUPERSAMPLE
    return image.reshape(*image.shape[:-2], m, SUPERSAMPLE, m, SUPERSAMPLE).sum(axis=(-3, -1))


def lensed_source(
    grid: Grid,
    theta_e: float,
    source_re: float,
    source_xy: tuple[float, float],
    shear: tuple[float, float],
    x0: float = 0.0,
    y0: float = 0.0,
) -> np.ndarray:
    """Image of an exponential source of half-light radius ``source_re`` [arcsec] at ``source_xy`` behind a
    singular isothermal sphere of Einstein radius ``theta_e`` [arcsec] with external shear (g1, g2).

    Ray-shooting conserves surface brightness, so the image sums to the magnification (the source's own
    profile sums to 1)."""
    x, y = grid.xy
    dx, dy = x - x0, y - y0
    r = np.maximum(np.hypot(dx, dy), 1e-6)
    g1, g2 = shear
    bx = dx - theta_e * dx / r - (g1 * dx + g2 * dy)
    by = dy - theta_e * dy / r - (g2 * dx - g1 * dy)
    b = sersic_b(1.0)
    rs = np.hypot(bx - source_xy[0], by - source_xy[1])
    pixel_area = (grid.scale / SUPERSAMPLE) ** 2
    # An n = 1 Sersic profile of unit flux: I(r) = b^2 / (2 pi re^2) exp(-b r / re).
    return b**2 / (2 * np.pi * source_re**2) * np.exp(-b * rs / source_re) * pixel_area
