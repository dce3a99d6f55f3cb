"""Folded light-curve and spectrum pictures: the shape lands where an astronomer expects it."""

import numpy as np

from astrodisc.app.thumbnails import MARGIN_PX, folded_thumbnail, spectrum_thumbnail
from astrodisc.data.varstars import LightCurve

RED = "#ff0000"


def _red_mask(image) -> np.ndarray:
    rgb = np.asarray(image, dtype=int)
    return (rgb[..., 0] > 200) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)


def test_maximum_light_is_at_the_top_at_phase_zero_and_one():
    time = np.linspace(0.0, 50.0, 400)
    period = 0.7
    mag = 12.0 + 0.5 * np.cos(2 * np.pi * time / period + np.pi)  # brightest at t = 0.35 mod P
    lc = LightCurve(time, mag, np.full_like(time, 0.01), np.zeros(time.size, np.uint8))
    image = folded_thumbnail(lc, period, [RED], size=(200, 100))
    red = _red_mask(image)
    rows, cols = np.nonzero(red)
    assert len(rows) > 300
    top = cols[rows < MARGIN_PX + 4]  # brightest points: near phase 0, 1 and 2 (x = margin, centre, right edge)
    assert set(np.round((top - MARGIN_PX) / (200 - 2 * MARGIN_PX) * 2).astype(int)) <= {0, 1, 2}
    bottom = cols[rows > 100 - MARGIN_PX - 4]  # faintest: phase 0.5 and 1.5
    assert np.allclose(np.sort(np.unique(np.round((bottom - MARGIN_PX) / (200 - 2 * MARGIN_PX) * 4))), [1, 3])


def test_a_light_curve_without_finite_values_gives_an_empty_frame():
    lc = LightCurve(np.array([1.0, 2.0]), np.array([np.nan, np.nan]), np.array([0.1, 0.1]), np.zeros(2, np.uint8))
    assert not _red_mask(folded_thumbnail(lc, 1.0, [RED])).any()


def test_a_spectrum_line_rises_where_the_flux_does():
    wavelength = np.linspace(4000.0, 8000.0, 500)
    flux = 1.0 + np.exp(-0.5 * ((wavelength - 6563.0) / 20.0) ** 2)  # an emission line at H-alpha
    flux[10] = np.nan  # a bad pixel is skipped
    image = spectrum_thumbnail(wavelength, flux, RED, size=(200, 100))
    rows, cols = np.nonzero(_red_mask(image))
    peak_x = MARGIN_PX + (6563.0 - 4000.0) / 4000.0 * (200 - 2 * MARGIN_PX)
    assert abs(cols[rows == rows.min()].mean() - peak_x) < 3  # the highest point of the line is the emission line
    assert rows.max() > 100 - MARGIN_PX - 3  # the continuum sits at the bottom
    assert not _red_mask(spectrum_thumbnail(wavelength, np.full(500, np.nan), RED)).any()
