"""Pictures to stamps: the extent a galaxy is framed by, and a framing that does not depend on the request."""

from __future__ import annotations

import numpy as np
import pytest

from astrodisc.data.pictures import EXTENT_FIELD, VIEWER_STYLES, decode_picture, galaxy_extent, to_stamp, viewer_rgb
from astrodisc.data.sim.viewer import ViewerConfig, viewer_picture


def _galaxy(size: int, sigma_px: float, noise: float = 0.5, seed: int = 0, sky: float = 10.0) -> np.ndarray:
    """(3, size, size) a round Gaussian galaxy of peak 200 on a sky of ``sky`` with Gaussian noise."""
    y, x = np.indices((size, size)) - (size - 1) / 2
    light = 200.0 * np.exp(-(x**2 + y**2) / (2 * sigma_px**2))
    rng = np.random.default_rng(seed)
    return np.stack([light * w + sky + rng.normal(0, noise, light.shape) for w in (1.0, 0.8, 0.6)])


@pytest.mark.parametrize("sigma_px", [3.0, 6.0, 12.0])
def test_the_extent_is_the_90_percent_light_radius(sigma_px):
    """A Gaussian holds 90 % of its light within sigma * sqrt(2 ln 10) = 2.146 sigma. The 1-px smoothing before
    detection widens it to sqrt(sigma^2 + 1) and the threshold cuts its faintest wings: within 15 % below, 6 %
    above."""
    r90 = galaxy_extent(_galaxy(128, sigma_px))
    assert 0.85 * 2.146 * sigma_px <= r90 <= 1.06 * 2.146 * sigma_px


def test_framing_by_extent_does_not_depend_on_the_request():
    """The same galaxy asked for at two pixel scales (sigma 4 px in a 96-px picture, 10 px in a 240-px one):
    framed by extent, both stamps show it alike; framed as whole pictures too (same field), but a picture with
    twice the field shows it at half the size, which the extent framing undoes."""
    small, large = _galaxy(96, 4.0), _galaxy(240, 10.0)
    a, frame_a = to_stamp(small, 64, "extent")
    b, frame_b = to_stamp(large, 64, "extent")
    assert frame_a.side_px == pytest.approx(EXTENT_FIELD * 2 * frame_a.r90_px)
    assert np.abs(a - b).mean() < 2.0  # levels 0-210: the two stamps agree to ~1 %
    wide = _galaxy(192, 4.0)  # the small request's pixels, twice the field
    c, _ = to_stamp(wide, 64, "extent")
    assert np.abs(a - c).mean() < 2.0
    size = {name: galaxy_extent(to_stamp(p, 64, "picture")[0]) for name, p in (("small", small), ("wide", wide))}
    assert size["wide"] < 0.6 * size["small"]  # whole pictures: about half the size (1-px smoothing widens it)
    assert galaxy_extent(c) == pytest.approx(galaxy_extent(a), rel=0.05)  # by extent: the same


def test_a_frame_past_the_edge_is_sky_not_black():
    """A galaxy filling its picture: the frame reaches beyond the edges and the outside takes the sky level."""
    crowded = _galaxy(40, 8.0, sky=30.0)
    stamp, frame = to_stamp(crowded, 64, "extent")
    assert frame.side_px > 40
    assert stamp[:, 0, 0] == pytest.approx(np.median(crowded[:, :5], axis=(1, 2)), abs=5)


def test_an_8_bit_picture_with_a_black_sky_still_finds_its_galaxy():
    """Viewers clip the sky at black: half the border is 0, its MAD is 0, and the noise is measured from the
    upper half instead (else every noise pixel would join the galaxy)."""
    clipped = np.clip(_galaxy(128, 5.0, noise=4.0, sky=0.0), 0, 255)
    assert 0.85 * 2.146 * 5 <= galaxy_extent(clipped) <= 1.3 * 2.146 * 5


@pytest.mark.parametrize("style", VIEWER_STYLES)
def test_viewer_colours_put_the_reddest_band_in_red(style):
    cutout = np.full((3, 8, 8), -0.5, np.float32)  # well below the sky: drawn black in every style
    cutout[2] = 5.0  # z only
    rgb = viewer_rgb(cutout, style)
    assert rgb.shape == (8, 8, 3) and rgb[..., 0].min() > 0 and rgb[..., 1:].max() == 0


def test_the_asinh_drawings_follow_legacypipes_sdss_rgb():
    """Zero flux is the offset m through the asinh: 255 * asinh(Q m) / sqrt(Q) (m = 0.03 for the Legacy Survey
    viewer: 32; 0.02 for the SDSS-like scales: 22); a grey source keeps each band's scaled share in its channel."""
    blank = np.zeros((3, 4, 4), np.float32)
    assert (viewer_rgb(blank, "legacy") == 32).all() and (viewer_rgb(blank, "sdss") == 22).all()
    grey = np.full((3, 1, 1), 0.05, np.float32)  # g = r = z = 0.05 nanomaggy
    planes = 0.05 * np.array([6.0, 3.4, 2.2]) + 0.03  # g, r, z scaled, plus m
    level = np.arcsinh(20 * planes.mean()) / np.sqrt(20) / planes.mean()
    assert viewer_rgb(grey, "legacy")[0, 0].tolist() == np.round(255 * np.clip(planes[::-1] * level, 0, 1)).tolist()
    with pytest.raises(ValueError, match="unknown viewer style 'hsc'"):
        viewer_rgb(blank, "hsc")  # type: ignore[arg-type]


def test_a_simulated_picture_is_drawn_in_its_style_and_cut_at_the_requested_field():
    """The drawing a ViewerConfig names is the one the picture gets (a grey sky or a black one), and a request
    smaller than the flux stamp cuts it at the picture's edge: a source in the stamp's corner is then not drawn."""
    stamp = np.zeros((3, 128, 128), np.float32)
    stamp[:, :8, :8] = 50.0  # a bright source in a corner, 60 px from the centre
    sky = np.array([0.007, 0.012, 0.027], np.float32)
    near = dict(scale_range=(0.1, 0.1), sizes=(128,), jpeg_fraction=0.0)  # 12.8 arcsec: 49 stamp px
    for style, dark in (("legacy", False), ("lupton", True)):
        config = ViewerConfig(styles=(style,), **near)  # type: ignore[arg-type]
        picture = decode_picture(viewer_picture(stamp, sky, 0.262, np.random.default_rng(0), config))
        assert picture.max() == (0 if dark else 32)  # the corner source lies outside the picture
    wide = ViewerConfig(styles=("lupton",), scale_range=(0.5, 0.5), sizes=(128,), jpeg_fraction=0.0)
    picture = decode_picture(viewer_picture(stamp, sky, 0.262, np.random.default_rng(0), wide))
    assert picture.max() == 255  # 64 arcsec asked for: the whole stamp, its corner source included


def test_the_legacy_survey_viewer_draws_a_grey_noisy_sky_where_lupton_draws_black():
    """Sky noise alone at the viewers' depth (sigma 0.01-0.03 nanomaggy): legacypipe's sdss_rgb adds an offset
    before its asinh, so its sky is dark grey with the noise visible; Lupton's stretch from a minimum of 0
    leaves half the pixels black."""
    sky = np.random.default_rng(0).normal(0.0, 1.0, (3, 64, 64)) * np.array([0.007, 0.012, 0.027])[:, None, None]
    legacy, lupton = viewer_rgb(sky, "legacy"), viewer_rgb(sky, "lupton")
    assert 15 < np.median(legacy) < 80 and legacy.std() > 5
    assert np.median(lupton) < 5 and (lupton == 0).mean() > 0.3
