"""Astronomy-aware augmentations of galaxy cutouts: geometry, flux, noise, colour and reproducibility."""

import math

import pytest
import torch

from astrodisc.errors import UserError
from astrodisc.learn.galaxy_augment import (
    COMPOSITE_REDRAW,
    FWHM_PER_SIGMA,
    AugmentConfig,
    add_survey_noise,
    asinh_scale,
    augment,
    center_crop,
    deredden,
    gaussian_blur,
    inference_view,
    jitter_crop,
    psf_blur,
    redden,
    redraw,
    rotate,
    rotate_flip,
    size_scale,
)

COEFF = (3.214, 2.165, 1.211)  # DECaLS g, r, z


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def gaussian(n: int = 1, size: int = 64, sigma: float = 4.0, dx: float = 0.0, dy: float = 0.0) -> torch.Tensor:
    """(n, 3, size, size) unit-flux round Gaussians [nanomaggy] centred (dx, dy) px off the stamp centre."""
    axis = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    image = torch.exp(-0.5 * (((axis[None, :] - dx) ** 2 + (axis[:, None] - dy) ** 2) / sigma**2))
    return (image / image.sum()).expand(n, 3, size, size).clone()


def second_moment(x: torch.Tensor) -> torch.Tensor:
    """Flux-weighted <(col - mean)^2> [px^2] per sample and band."""
    cols = torch.arange(x.shape[-1], dtype=torch.float32)
    profile = x.sum(-2)
    mean = (profile * cols).sum(-1) / profile.sum(-1)
    return (profile * (cols - mean[..., None]) ** 2).sum(-1) / profile.sum(-1)


def half_light_radius(x: torch.Tensor) -> float:
    """Radius [px] about the stamp centre enclosing half the flux of the first band of the first sample."""
    image = x[0, 0]
    axis = torch.arange(image.shape[-1], dtype=torch.float32) - (image.shape[-1] - 1) / 2
    radius = torch.sqrt(axis[None, :] ** 2 + axis[:, None] ** 2).flatten()
    order = torch.argsort(radius)
    cumulative = torch.cumsum(image.flatten()[order], 0)
    return float(radius[order][torch.searchsorted(cumulative, 0.5 * cumulative[-1])])


def test_rotate_matches_rot90_per_sample_and_flip_is_a_mirror():
    x = torch.rand(4, 3, 16, 16, generator=gen())  # asymmetric
    out = rotate(x, torch.tensor([0.0, 90.0, 180.0, 270.0]))
    for k in range(4):
        assert torch.allclose(out[k], torch.rot90(x[k], k, (-2, -1)), atol=1e-5)
    mirrored = rotate(x, torch.tensor([0.0, 90.0, 0.0, 0.0]), torch.tensor([True, True, False, False]))
    assert torch.allclose(mirrored[0], torch.flip(x[0], (-1,)), atol=1e-5)
    assert torch.allclose(mirrored[1], torch.rot90(torch.flip(x[1], (-1,)), 1, (-2, -1)), atol=1e-5)
    assert torch.allclose(mirrored[2], x[2], atol=1e-6)


def test_rotation_conserves_flux_and_keeps_a_centred_source_centred():
    x = gaussian(n=64, dx=2.0, dy=-1.0)
    out = rotate_flip(x, gen(1))
    assert torch.allclose(out.sum((-2, -1)), torch.ones(64, 3), rtol=0.01)
    centred = rotate_flip(gaussian(n=64), gen(2))
    assert torch.allclose(second_moment(centred), torch.full((64, 3), 16.0), rtol=0.05)  # sigma 4 px kept
    assert not torch.allclose(out[0], out[1])  # per-sample angles


def test_jitter_crop_offsets_are_integers_within_bounds():
    n, size, out_px, shift = 400, 64, 48, 4
    x = torch.zeros(n, 3, size, size)
    x[:, :, 32, 31] = 1.0  # a delta 8 px into the central crop: (row 24, col 23)
    crops = jitter_crop(x, gen(), out_px, shift)
    assert crops.shape == (n, 3, out_px, out_px)
    flat = crops[:, 0].flatten(1)
    assert torch.equal(flat.sum(1), torch.ones(n))  # the delta is never lost nor interpolated
    row, col = flat.argmax(1) // out_px, flat.argmax(1) % out_px
    assert torch.equal(crops[:, 1], crops[:, 0])  # all bands shifted together
    dy, dx = 24 - row, 23 - col
    assert set(dy.tolist()) == set(range(-shift, shift + 1)) == set(dx.tolist())
    with pytest.raises(UserError, match="shift"):
        jitter_crop(x, gen(), out_px, 9)
    with pytest.raises(UserError, match="does not fit"):
        jitter_crop(x, gen(), 65, 0)


@pytest.mark.parametrize("size,out_px,first", [(64, 48, 8), (65, 49, 8), (65, 48, 8), (64, 33, 15), (5, 5, 0)])
def test_center_crop_of_odd_and_even_sizes(size, out_px, first):
    axis = torch.arange(size, dtype=torch.float32)
    x = (1000.0 * axis[:, None] + axis[None, :]).expand(2, 3, size, size)  # value = 1000 row + col
    out = center_crop(x, out_px)
    assert out.shape == (2, 3, out_px, out_px)
    kept = torch.arange(first, first + out_px, dtype=torch.float32)
    assert torch.equal(out[1, 2, 0], 1000.0 * first + kept)
    assert torch.equal(out[1, 2, :, 0], 1000.0 * kept + first)


def test_survey_noise_level_and_zero_sky():
    n = 3000
    x = torch.full((n, 3, 8, 8), 5.0)
    sky = torch.tensor([0.01, 0.05, 0.2]).expand(n, 3)
    noise = add_survey_noise(x, gen(), sky) - x
    rms = noise.pow(2).mean((0, 2, 3)).sqrt()
    assert torch.allclose(rms, sky[0] / math.sqrt(3.0), rtol=0.06)  # sigma ~ U(0, s): E[sigma^2] = s^2 / 3
    assert noise.mean().abs() < 1e-3
    assert torch.equal(add_survey_noise(x, gen(), torch.zeros(n, 3)), x)


def test_redden_deredden_roundtrip_and_colour():
    x = gaussian(n=5) + 0.1
    ebv = torch.full((5,), 0.12)
    back = deredden(redden(x, gen(), torch.tensor([0.12]), COEFF), ebv, COEFF)
    assert torch.allclose(back, x, rtol=1e-5)
    reddened = redden(x, gen(), torch.tensor([0.3, 0.3]), COEFF)
    g_over_z = reddened[:, 0] / reddened[:, 2] / (x[:, 0] / x[:, 2])
    assert torch.allclose(g_over_z, torch.full_like(g_over_z, 10 ** (-0.4 * (3.214 - 1.211) * 0.3)), rtol=1e-5)
    assert float(g_over_z.max()) < 1.0  # redder
    with pytest.raises(UserError, match="empty"):
        redden(x, gen(), torch.tensor([]), COEFF)


def test_gaussian_blur_conserves_flux_and_adds_the_expected_variance():
    x = gaussian(n=3, sigma=2.0)
    fwhm = torch.tensor([0.0, 3.0, 6.0])
    out = gaussian_blur(x, fwhm)
    assert torch.allclose(out.sum((-2, -1)), x.sum((-2, -1)), rtol=1e-4)
    added = second_moment(out) - second_moment(x)
    expected = (fwhm / FWHM_PER_SIGMA) ** 2
    assert torch.allclose(added, expected[:, None].expand(3, 3), atol=2e-3)
    assert torch.allclose(out[0], x[0], atol=1e-7)


def test_psf_blur_draws_fwhm_within_range():
    x = gaussian(n=200, sigma=2.0)
    added = second_moment(psf_blur(x, gen(), 2.0)) - second_moment(x)
    assert float(added.min()) > -1e-4 and float(added.max()) <= (2.0 / FWHM_PER_SIGMA) ** 2 + 1e-3
    assert torch.allclose(added[:, 0], added[:, 2], atol=1e-5)  # one PSF for all bands of a sample
    assert float(added.std()) > 0.05  # per-sample widths


def test_size_scale_doubles_half_light_radius_and_keeps_surface_brightness():
    x = gaussian(n=2, sigma=3.0)
    out = size_scale(x, gen(), 2.0, 2.0)
    assert half_light_radius(out) / half_light_radius(x) == pytest.approx(2.0, rel=0.05)
    assert torch.allclose(out[:, :, 31, 31], x[:, :, 31, 31], rtol=1e-4)  # the central pixel keeps its value
    assert float(out.sum() / x.sum()) == pytest.approx(4.0, rel=0.02)  # flux grows as factor^2
    factors = []
    for seed in range(3):
        r = size_scale(gaussian(n=1, sigma=3.0), gen(seed), 0.8, 1.25)
        factors.append(half_light_radius(r) / half_light_radius(x))
    assert all(0.75 <= f <= 1.3 for f in factors)
    with pytest.raises(UserError, match="size scale"):
        size_scale(x, gen(), 1.5, 1.0)


def test_asinh_scale_is_monotonic_and_linear_for_faint_pixels():
    sky = torch.tensor([[0.01, 0.02, 0.04]])
    x = torch.linspace(-1, 100, 1001).expand(1, 3, 1, 1001).clone()
    out = asinh_scale(x, sky)
    assert bool((out.diff(dim=-1) > 0).all())
    faint = torch.full((1, 3, 1, 1), 1e-4)
    assert torch.allclose(asinh_scale(faint, sky)[..., 0, 0], 1e-4 / (3.0 * sky), rtol=1e-4)
    rgb = torch.full((1, 3, 2, 2), 51.0)
    assert torch.allclose(asinh_scale(rgb, torch.zeros(1, 3)), torch.full_like(rgb, 0.2))
    with pytest.raises(UserError, match="sky_sigma"):
        asinh_scale(x, torch.tensor([[0.01, 0.0, 0.04]]))


def flux_batch(n: int = 8):
    x = gaussian(n=n, sigma=5.0) * 100.0
    sky = torch.tensor([0.005, 0.008, 0.02]).expand(n, 3).clone()
    return x, sky, torch.full((n,), 0.05), torch.tensor([0.01, 0.03, 0.1])


def test_augment_shape_reproducibility_and_input_untouched():
    x, sky, ebv, pool = flux_batch()
    before = x.clone()
    config = AugmentConfig(size_scale=(0.9, 1.1))
    a = augment(x, gen(7), config, sky, ebv, pool, COEFF)
    assert a.shape == (8, 3, 56, 56) and bool(torch.isfinite(a).all())
    assert torch.equal(a, augment(x, gen(7), config, sky, ebv, pool, COEFF))
    assert not torch.allclose(a, augment(x, gen(8), config, sky, ebv, pool, COEFF))
    assert torch.equal(x, before)


def test_augment_with_everything_off_equals_inference_view():
    x, sky, ebv, pool = flux_batch()
    off = AugmentConfig(rotate=False, jitter_px=0, noise=False, redden=False, blur_fwhm_px=0.0)
    view = inference_view(x, off, sky, ebv, COEFF)
    assert torch.equal(augment(x, gen(), off, sky, ebv, pool, COEFF), view)
    assert torch.allclose(view, torch.asinh(center_crop(x, 56) / (3.0 * sky[:, :, None, None])))
    dereddened = inference_view(x, AugmentConfig(), sky, ebv, COEFF)
    assert torch.allclose(dereddened, asinh_scale(center_crop(deredden(x, ebv, COEFF), 56), sky))
    assert bool((dereddened >= view).all())


def test_composite_config_without_redraw_keeps_colours_of_a_flat_image():
    config = AugmentConfig().for_composites()
    assert not config.noise and not config.redden and config.rotate and config.redraw == COMPOSITE_REDRAW
    config = AugmentConfig(redraw=0.0).for_composites()  # redraw turned off stays off
    x = torch.tensor([100.0, 150.0, 200.0])[None, :, None, None].expand(4, 3, 64, 64).clone()
    out = augment(x, gen(), config, torch.zeros(4, 3), torch.zeros(4), torch.zeros(1), COEFF)
    assert out.shape == (4, 3, 56, 56)
    lit = out[:, 2] > 0.1  # mirrored corners of a rotation are lit too
    assert bool(lit.float().mean() > 0.99)
    assert torch.allclose((out[:, 0] / out[:, 2])[lit], torch.tensor(0.5), rtol=1e-4)
    assert torch.allclose((out[:, 1] / out[:, 2])[lit], torch.tensor(0.75), rtol=1e-4)
    assert float(out.max()) <= 200.0 / 255.0 + 1e-5


def test_redraw_is_one_monotone_stretch_per_picture_that_keeps_colour_order():
    ramp = torch.linspace(0.0, 255.0, 64)
    x = torch.stack([0.6 * ramp, 0.8 * ramp, ramp])[None, :, None, :].expand(200, 3, 4, 64).clone()
    out = redraw(x, gen(), 0.3)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 255.0
    assert bool((out.diff(dim=-1) >= 0).all())  # brighter stays brighter, in every channel
    assert bool((out[:, 0] <= out[:, 1]).all() and (out[:, 1] <= out[:, 2]).all())  # and redder stays redder
    assert torch.equal(out[:, :, 0], out[:, :, 3])  # the same drawing for every pixel of a picture
    assert float(out[:, 2, 0, 32].std()) > 10.0  # a mid-grey is drawn differently from picture to picture
    assert torch.allclose(redraw(x, gen(), 0.0), x, atol=1e-4)
    assert torch.equal(out, redraw(x, gen(), 0.3))
    with pytest.raises(UserError, match="strength"):
        redraw(x, gen(), -0.1)


def test_composite_views_are_redrawn_and_flux_views_cannot_be():
    ramp = torch.linspace(0.0, 255.0, 64)
    x = torch.stack([0.6 * ramp, 0.8 * ramp, ramp])[None, :, None, :].expand(6, 3, 64, 64).clone()
    no_sky, zeros = torch.zeros(6, 3), torch.zeros(6)
    redrawn, plain = AugmentConfig().for_composites(), AugmentConfig(redraw=0.0).for_composites()
    a = augment(x, gen(), redrawn, no_sky, zeros, zeros, COEFF)
    b = augment(x, gen(), plain, no_sky, zeros, zeros, COEFF)
    assert a.shape == b.shape == (6, 3, 56, 56)
    assert float((a - b).abs().amax(dim=(1, 2, 3)).min()) > 0.01  # every view drawn in another stretch
    flux, sky, ebv, pool = flux_batch()
    with pytest.raises(UserError, match="composites"):
        augment(flux, gen(), AugmentConfig(redraw=0.3), sky, ebv, pool, COEFF)
