"""Colour pictures of cutouts: what lands in which channel, and what the app is sent."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from astrodisc.app.galaxy_rgb import band_grey, cutout_rgb, png_data_uri, resized
from astrodisc.data.galaxies import GalaxyImaging


def _blob(flux_per_band: tuple[float, float, float], size: int = 32) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size] - size / 2
    profile = np.exp(-(xx**2 + yy**2) / 20.0).astype(np.float32)
    return np.stack([f * profile for f in flux_per_band])


def test_a_red_galaxy_is_red_and_a_blue_one_blue():
    imaging = GalaxyImaging()
    red = cutout_rgb(_blob((0.2, 1.0, 5.0)), imaging)  # g, r, z fluxes rising to the red
    blue = cutout_rgb(_blob((5.0, 1.0, 0.2)), imaging)
    assert red.shape == (32, 32, 3) and red.dtype == np.uint8
    centre = (16, 16)
    assert red[centre][0] > red[centre][2] and blue[centre][2] > blue[centre][0]
    assert red[0, 0].max() < red[centre].max()  # the sky is darker than the galaxy


def test_missing_pixels_are_black_and_composites_pass_through():
    cutout = _blob((1.0, 1.0, 1.0))
    cutout[:, :4] = np.nan
    assert (cutout_rgb(cutout, GalaxyImaging())[:, :4] == 0).all()
    composite = np.stack([np.full((8, 8), v, np.float32) for v in (10, 120, 250)])
    rgb = cutout_rgb(composite, GalaxyImaging(pixel_unit="rgb8"))
    assert rgb[0, 0].tolist() == [10, 120, 250]
    with pytest.raises(ValueError, match="bands, height, width"):
        cutout_rgb(np.zeros((8, 8)), GalaxyImaging())


def test_band_grey_puts_the_sky_at_black_and_the_peak_at_white():
    rng = np.random.default_rng(0)
    image = _blob((3.0, 3.0, 3.0))[0] + rng.normal(0, 0.01, (32, 32))
    grey = band_grey(image)
    assert grey.dtype == np.uint8 and grey.max() == 255
    assert np.median(grey) < 10
    assert band_grey(np.full((4, 4), np.nan)).max() == 0


def test_png_data_uri_decodes_to_the_resized_picture():
    rgb = cutout_rgb(_blob((1.0, 2.0, 3.0)), GalaxyImaging())
    small = resized(rgb, 48)
    uri = png_data_uri(small)
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.size == (48, 48) and image.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(image), small)  # lossless
