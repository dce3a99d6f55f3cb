"""The arc measurement sees a blue ring around a red galaxy, not the galaxy alone, and says nothing without the
catalogue's PSF and sky noise."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from astrodisc.data.arcs import arc_signal, nulled_snr

SKY = np.array([0.007, 0.012, 0.027])  # nanomaggy per pixel, g r z
FWHM = np.array([1.33, 1.25, 1.16])  # arcsec


def _galaxy(rng: np.random.Generator, ring: bool) -> np.ndarray:
    """(3, 64, 64) a red round galaxy (g : r : z = 0.4 : 1 : 1.6) with or without a blue ring
    of radius 8 px (2.1 arcsec), each band seen through its own PSF, plus sky noise."""
    rows, cols = np.mgrid[0:64, 0:64]
    radius = np.hypot(rows - 31.5, cols - 31.5)
    host = 2.0 * np.exp(-radius / 2.5)
    image = host[None] * np.array([0.4, 1.0, 1.6])[:, None, None]
    if ring:
        image += 0.03 * np.exp(-0.5 * ((radius - 8.0) / 1.2) ** 2)[None] * np.array([0.8, 1.0, 1.1])[:, None, None]
    seen = np.stack([gaussian_filter(image[b], f / 2.355 / 0.262) for b, f in enumerate(FWHM)])
    return seen + rng.normal(size=image.shape) * SKY[:, None, None]


def test_a_blue_ring_around_a_red_galaxy_stands_out_and_the_galaxy_alone_does_not():
    rng = np.random.default_rng(0)
    cutouts = np.stack([_galaxy(rng, ring=i % 2 == 1) for i in range(20)])
    signal = arc_signal(cutouts, np.tile(FWHM, (20, 1)), np.tile(SKY, (20, 1)))
    plain, ringed = signal[0::2], signal[1::2]
    assert ringed.min() > plain.max() + 3  # every ring above every plain galaxy, by a margin
    assert plain.max() < 4  # the best of ~200 annulus cells on noise alone: a few sigma, not tens


def test_without_a_psf_or_sky_noise_there_is_no_measurement():
    rng = np.random.default_rng(1)
    cutouts = np.stack([_galaxy(rng, ring=True) for _ in range(3)])
    fwhm = np.tile(FWHM, (3, 1))
    fwhm[1, 0] = np.nan
    sky = np.tile(SKY, (3, 1))
    sky[2, 2] = 0.0
    signal = arc_signal(cutouts, fwhm, sky)
    assert np.isfinite(signal[0]) and np.isnan(signal[1:]).all()


def test_the_nulled_image_keeps_the_blue_ring_and_cancels_the_red_galaxy():
    """In noise units: the galaxy's own light (one colour) is gone to within the noise, pixel by pixel and
    summed along the ring's radius; the ring (another colour) sums to many sigma there."""
    rng = np.random.default_rng(2)
    cutouts = np.stack([_galaxy(rng, ring=False), _galaxy(rng, ring=True)])
    nulled = nulled_snr(cutouts, np.tile(FWHM, (2, 1)), np.tile(SKY, (2, 1)))
    rows, cols = np.mgrid[0:64, 0:64]
    on_ring = np.abs(np.hypot(rows - 31.5, cols - 31.5) - 8.0) < 1.0
    ring_snr = nulled[:, on_ring].sum(axis=1) / np.sqrt(on_ring.sum())
    assert abs(ring_snr[0]) < 3 and 0.8 < nulled[0].std() < 1.2  # noise: mean 0, sigma 1
    assert ring_snr[1] > 6
