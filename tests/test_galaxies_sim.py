"""The simulated sky: determinism, units, physics the encoders must learn from, and hidden truth kept apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammainc

from astrodisc.data.galaxies import MORPHOLOGIES, GalaxyStore
from astrodisc.data.sim import galaxies as sim
from astrodisc.data.sim import galaxy_profiles as gr
from astrodisc.data.sim.galaxies import PIXEL_SCALE, R_LIMIT, STAMP_PX, Z_RANGE, GalaxySimConfig, simulate_galaxies
from astrodisc.data.sim.galaxy_sed import StellarPopulation, apparent_mags, kpc_per_arcsec
from astrodisc.data.store import TRUTH_FILE


@pytest.fixture(scope="module")
def sky(tmp_path_factory) -> GalaxyStore:
    return GalaxyStore(
        simulate_galaxies(
            GalaxySimConfig(n=400, seed=3, chunk=100), tmp_path_factory.mktemp("sky") / "s", progress=False
        )
    )


def test_deterministic_for_a_seed_whatever_the_worker_count(sky, tmp_path):
    again = GalaxyStore(
        simulate_galaxies(GalaxySimConfig(n=400, seed=3, chunk=100, workers=1), tmp_path / "again", progress=False)
    )
    assert np.array_equal(np.asarray(sky.cutouts), np.asarray(again.cutouts))
    pd.testing.assert_frame_equal(sky.objects, again.objects)
    other = GalaxyStore(
        simulate_galaxies(GalaxySimConfig(n=100, seed=4, chunk=100), tmp_path / "other", progress=False)
    )
    assert not np.array_equal(np.asarray(sky.cutouts[:100]), np.asarray(other.cutouts))


def test_wider_stamps_hold_the_light_a_64_px_stamp_cuts(tmp_path):
    """The viewer pictures are drawn from 128-px stamps: around the central 64 px lies light (mergers, big
    discs, neighbours) that a 64-px stamp would cut into a square edge."""
    wide = GalaxyStore(simulate_galaxies(GalaxySimConfig(n=60, seed=6, stamp_px=128), tmp_path / "w", progress=False))
    assert wide.cutouts.shape == (60, 3, 128, 128) and wide.info.extra["stamp_px"] == 128
    assert "--stamp-px 128" in wide.info.source
    pixels = np.asarray(wide.cutouts[:, 1])
    outside = pixels.sum(axis=(1, 2)) - pixels[:, 32:96, 32:96].sum(axis=(1, 2))  # r-band flux beyond 64 px
    noise = wide.sky_sigma()[:, 1] * np.sqrt(128**2 - 64**2)
    assert (outside > 5 * noise).mean() > 0.25  # a 64-px stamp holds none there


def test_layout_units_and_catalogue(sky):
    assert sky.cutouts.shape == (400, 3, STAMP_PX, STAMP_PX) and sky.cutouts.dtype == np.float32
    assert np.isfinite(np.asarray(sky.cutouts)).all()
    assert sky.imaging.pixel_unit == "nanomaggy" and sky.imaging.zero_point == 22.5
    assert sky.imaging.pixel_scale_arcsec == pytest.approx(PIXEL_SCALE)
    o = sky.objects
    assert set(o["label"]) <= set(MORPHOLOGIES) and len(set(o["label"])) == 5
    assert o["z_spec"].between(*Z_RANGE).all()
    assert (o["mag_r"].dropna() < R_LIMIT + 0.5).mean() > 0.97  # selected at r < 17.77 (+ noise, K-corr. scatter)
    assert "subclass" not in o and "anomaly" not in o  # truth stays in its own file
    assert (sky.root / TRUTH_FILE).is_file()


def test_image_flux_matches_catalogue_magnitudes(sky):
    """Summed pixels inside the stamp agree with the catalogue's total flux for compact, clean galaxies."""
    truth = pd.read_parquet(sky.root / TRUTH_FILE)
    clean = ((truth["anomaly"] == "none") & (truth["re_arcsec"] < 1.5) & (truth["label"] == "elliptical")).to_numpy()
    image_mag = 22.5 - 2.5 * np.log10(np.asarray(sky.cutouts)[clean, 1].sum(axis=(1, 2)))
    offset = image_mag - sky.objects["mag_r"].to_numpy()[clean]
    assert clean.sum() > 10
    assert abs(np.median(offset)) < 0.15  # neighbours and stars add a little light, clipping removes a little


def test_redder_and_smaller_with_redshift():
    old = StellarPopulation(0.03, 0.45, 0.0, 0.1)
    g_r = [np.subtract(*apparent_mags(old, -21.0, z)[:2]) for z in (0.05, 0.2, 0.35)]
    assert g_r[0] < g_r[1] < g_r[2]  # the 4000 A break moves from g into r
    assert kpc_per_arcsec(0.05) < kpc_per_arcsec(0.3)
    sky_mag = [apparent_mags(old, -21.0, z)[1] for z in (0.05, 0.1)]
    assert 1.4 < sky_mag[1] - sky_mag[0] < 2.0  # inverse-square dimming plus K-correction


def test_profiles_conserve_flux_and_the_psf_has_its_fwhm():
    grid = gr.Grid(64, PIXEL_SCALE)
    inside = gammainc(8, gr.sersic_b(4.0) * grid.half_width**0.25)  # de Vaucouleurs light within 8.4"
    assert gr.sersic(grid, re=1.0, n=4.0, q=0.7, pa=0.3).sum() == pytest.approx(inside, rel=1e-6)
    assert gr.sersic(grid, re=0.5, n=1.0, q=0.5, pa=1.0).sum() == pytest.approx(1.0, abs=1e-6)
    assert gr.sersic(grid, re=20.0, n=1.0, q=1.0, pa=0.0).sum() < 0.6  # a huge disc spills out of the stamp
    kernel = gr.bin_pixels(gr.moffat_kernel(grid, fwhm=1.3))
    row = kernel[31:33].sum(0)
    above = np.flatnonzero(row >= row.max() / 2)
    assert (above[-1] - above[0] + 1) * PIXEL_SCALE == pytest.approx(1.3, abs=2 * PIXEL_SCALE)
    image = np.zeros((64, 64))
    image[32, 32] = 5.0
    assert gr.convolve(image, kernel).sum() == pytest.approx(5.0, rel=1e-3)


def test_a_lens_magnifies_its_source_into_a_ring_at_the_einstein_radius():
    grid = gr.Grid(64, PIXEL_SCALE)
    ring = gr.bin_pixels(gr.lensed_source(grid, 1.5, 0.2, (0.0, 0.0), (0.0, 0.0)))
    yy, xx = np.mgrid[0:64, 0:64]
    radius = np.hypot(xx - 31.5, yy - 31.5) * PIXEL_SCALE
    assert ring.sum() > 5  # magnification
    assert np.average(radius, weights=ring) == pytest.approx(1.5, abs=0.2)


def test_a_profile_beyond_the_stamp_leaves_nothing_in_it():
    """Shells or a stream drawn far outside the stamp sum to almost nothing inside it: no overflow, no NaN."""
    grid = gr.Grid(64, PIXEL_SCALE)
    far = gr.shells(grid, radii=(83.2,), width=0.1, axis=0.0, opening=0.5)  # sums to ~1e-310: 1 / sum overflows
    assert np.isfinite(far).all() and far.sum() <= 1.0
    stream = gr.tidal_tail(grid, start=(80.0, 80.0), length=30.0, curvature=0.5, angle=0.3, width=0.5)
    assert np.isfinite(stream).all() and stream.sum() <= 1.0


def test_shells_interleave_with_sharp_outer_edges():
    grid = gr.Grid(64, PIXEL_SCALE)
    image = gr.shells(grid, radii=(2.0, 3.0, 4.0), width=0.5, axis=0.0, opening=0.6)
    assert image.sum() == pytest.approx(1.0, abs=1e-6)
    x, y = grid.xy
    r = np.hypot(x, y)
    right, left = image[(x > 0) & (np.abs(y) < 0.3)], r[(x > 0) & (np.abs(y) < 0.3)]
    assert left[right.argmax()] == pytest.approx(2.0, abs=0.2) or left[right.argmax()] == pytest.approx(4.0, abs=0.2)
    west = image[(x < 0) & (np.abs(y) < 0.3)]
    assert r[(x < 0) & (np.abs(y) < 0.3)][west.argmax()] == pytest.approx(3.0, abs=0.2)  # the next shell, opposite
    beyond = image[(r > 4.6) & (r < 5.0)].mean()
    assert beyond < 0.01 * image[(r > 3.7) & (r < 4.0) & (x > 0)].mean()  # sharp outer edge


def test_a_bar_raises_the_inner_m2_amplitude_of_a_face_on_disc():
    """Face-on barred discs drawn with and without their bar component: the bar's m = 2 Fourier amplitude of the
    light between 0.2 and 0.7 half-light radii (the usual bar strength, A2) stands above what the arms make."""
    grid = gr.Grid(STAMP_PX, PIXEL_SCALE)
    x, y = grid.xy
    radius, azimuth = np.hypot(x, y), np.arctan2(y, x)

    def a2(seed: int, with_bar: bool) -> float:
        comps, re, _ = sim._disc(np.random.default_rng(seed), 0.05, -21.5, 1.0, 5.0, sim.DiscStructure(bar=True))
        assert comps[-1].profile == "sersic" and comps[-1].args["n"] == 0.5  # the bar is drawn last
        image = sum(
            10 ** (-0.4 * c.mags[1]) * getattr(gr, c.profile)(grid, **c.args)
            for c in comps[: len(comps) - (not with_bar)]
        )
        inner = (radius > 0.2 * re) & (radius < 0.7 * re)
        return float(abs((image[inner] * np.exp(2j * azimuth[inner])).sum()) / image[inner].sum())

    barred = np.mean([a2(seed, True) for seed in range(10)])
    assert barred > np.mean([a2(seed, False) for seed in range(10)]) + 0.07 and barred > 0.2


def test_hidden_truth_has_subclasses_rare_objects_and_duplicates(tmp_path):
    store = GalaxyStore(
        simulate_galaxies(
            GalaxySimConfig(
                n=600, seed=9, lens_rate=0.03, trail_rate=0.01, missing_rate=0.01, duplicate_rate=0.03, chunk=300
            ),
            tmp_path / "t",
            progress=False,
        )
    )
    truth = pd.read_parquet(store.root / TRUTH_FILE)
    spirals = truth[truth["label"] == "spiral"]
    assert set(spirals["subclass"]) == {"unbarred", "barred", "ringed", "barred_ringed"}
    assert (spirals["subclass"].str.startswith("barred") == spirals["bar"]).all()
    discs = truth["label"].isin(["spiral", "edge_on"])
    assert not truth.loc[~discs, ["bar", "inner_ring", "outer_ring"]].any().any()  # structure only in discs
    assert 0.25 < truth.loc[discs, "bar"].mean() < 0.45 and set(truth.loc[discs, "arm_count"]) == {2, 3, 4}
    assert truth.loc[discs, "arm_pitch_deg"].between(8, 35).all() and truth.loc[~discs, "arm_pitch_deg"].isna().all()
    assert truth.loc[discs, "inner_ring"].mean() > truth.loc[discs, "outer_ring"].mean() > 0
    assert (truth.loc[truth["label"] == "merger", "tidal"] == "tails").all()
    debris = truth.loc[truth["label"] != "merger", "tidal"]
    assert set(debris) == {"none", "shells", "stream"} and 0.02 < (debris != "none").mean() < 0.12
    lenses = truth[truth["anomaly"] == "lens"]
    assert len(lenses) >= 8 and (lenses["label"] == "elliptical").all()
    assert lenses["theta_e"].between(0.5, 3.0).all() and lenses["arc_snr"].between(5, 100).all()
    assert {"satellite_trail", "missing_data"} <= set(truth["anomaly"])
    dup = truth.dropna(subset=["duplicate_of"])
    assert len(dup) >= 5
    o = store.objects.set_index("object_id")
    sep = (
        np.hypot(
            (o.loc[dup["object_id"], "ra"].to_numpy() - o.loc[dup["duplicate_of"], "ra"].to_numpy())
            * np.cos(np.radians(o.loc[dup["object_id"], "dec"].to_numpy())),
            o.loc[dup["object_id"], "dec"].to_numpy() - o.loc[dup["duplicate_of"], "dec"].to_numpy(),
        )
        * 3600
    )
    assert (sep < 3.0).all()  # the same galaxy twice sits within a few arcsec
    assert (o.loc[dup["object_id"], "label"].to_numpy() == o.loc[dup["duplicate_of"], "label"].to_numpy()).all()
    missing = truth.index[truth["anomaly"] == "missing_data"].to_numpy()
    assert all((np.asarray(store.cutouts[i]) == 0).mean() > 0.1 for i in missing)
