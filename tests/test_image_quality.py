"""The data-quality measurements find the simulator's missing-data strips and one-band trails, in flux cutouts and
in 8-bit pictures, and nothing on clean sky."""

from __future__ import annotations

import numpy as np

from astrodisc.data.image_quality import QUALITY_COLUMNS, image_quality
from astrodisc.data.sim.galaxies import add_artefact


def _sky(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3, 64, 64) noise around a round blob, and the per-band sky sigma."""
    rng = np.random.default_rng(seed)
    sigma = np.array([0.004, 0.006, 0.01])
    rows, cols = np.mgrid[0:64, 0:64]
    blob = np.exp(-0.5 * ((rows - 31.5) ** 2 + (cols - 31.5) ** 2) / 4.0**2)
    images = blob[None, None] * np.array([0.2, 0.5, 0.8])[None, :, None, None]
    return (images + rng.normal(size=(n, 3, 64, 64)) * sigma[None, :, None, None]).astype(np.float32), sigma


def test_strips_and_trails_stand_out_and_clean_sky_does_not():
    images, sigma = _sky(60, 0)
    rng = np.random.default_rng(1)
    for i in range(20):
        add_artefact(rng, images[i], "missing_data", sigma)
    for i in range(20, 40):
        add_artefact(rng, images[i], "satellite_trail", sigma)
    measured = image_quality(images)
    assert list(measured.columns) == list(QUALITY_COLUMNS) and len(measured) == 60
    blank, streak = measured["blank_fraction"].to_numpy(), measured["streak_fraction"].to_numpy()
    assert blank[:20].min() >= 0.15 and blank[20:].max() == 0.0  # strips of 15-40 % of the stamp
    assert np.median(streak[20:40]) > 10 * max(streak[40:].max(), 1e-3)
    assert streak[40:].max() < 0.005  # a 4-sigma excess of one band by chance: a few pixels in a thousand


def test_eight_bit_pictures_are_measured_alike_and_one_band_has_no_streak():
    images, sigma = _sky(10, 2)
    add_artefact(np.random.default_rng(3), images[0], "missing_data", sigma)
    pictures = np.clip(images / images.max() * 255, 0, 255).astype(np.uint8)
    measured = image_quality(pictures)
    assert measured.at[0, "blank_fraction"] >= 0.15 and (measured["blank_fraction"][1:] < 0.01).all()
    single = image_quality(images[:, :1])
    assert single["streak_fraction"].isna().all() and single.at[0, "blank_fraction"] >= 0.15
