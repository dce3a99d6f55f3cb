"""A user's object as a query, with the shipped encoders on small real builds: an object exported from the
survey and uploaded again is embedded onto its own catalogue vector and found first; a query searches other
spaces (cross-modal) exactly as a brute-force search would; what cannot be searched is refused."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from search_data import cutout_npy, lightcurve_csv, object_with_spectrum, real_sets, spectrum_fits

from astrodisc.chain.artifacts import Artifacts, load_artifacts
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.io.uploads import read_cutout, read_lightcurve, read_spectrum
from astrodisc.data.varstars import VarStarStore
from astrodisc.discover.query import Query, embed_upload, resample, search_neighbours
from astrodisc.errors import UserError

K = 5
STAR_ROWS = (0, 13, 29, 42, 59)
GALAXY_ROWS = (0, 7, 19, 33, 48, 59)


@pytest.fixture(scope="module")
def stars(tmp_path_factory) -> tuple[Artifacts, VarStarStore]:
    built, _ = real_sets(tmp_path_factory)
    return load_artifacts(built.artifact_dir), VarStarStore(built.dataset_dir)


@pytest.fixture(scope="module")
def sky(tmp_path_factory) -> tuple[Artifacts, GalaxyStore]:
    _, built = real_sets(tmp_path_factory)
    return load_artifacts(built.artifact_dir), GalaxyStore(built.dataset_dir)


def _grz(store: GalaxyStore) -> tuple[tuple[str, ...], str]:
    return store.info.bands, store.imaging.pixel_unit


@pytest.mark.parametrize("row", STAR_ROWS)
def test_an_exported_light_curve_lands_on_its_own_photometry_vector(stars, row):
    artifacts, store = stars
    query = embed_upload(read_lightcurve(lightcurve_csv(store, row), "lc.csv"), artifacts, store)
    assert query.space == "photometry"
    np.testing.assert_allclose(query.vector, artifacts.embeddings["photometry"][row], atol=1e-5)
    rows, scores = search_neighbours(artifacts, query, "photometry", K)
    assert rows[0] == row and scores[0] == pytest.approx(1.0, abs=1e-5)


def test_mjd_times_and_missing_epochs_change_nothing(stars):
    artifacts, store = stars
    row = STAR_ROWS[1]
    table = pd.read_csv(io.BytesIO(lightcurve_csv(store, row)))
    table["hjd"] -= 2_400_000.5
    gaps = pd.DataFrame({"hjd": table["hjd"].iloc[:5] + 0.01, "mag": np.nan, "mag_err": 0.02})
    data = pd.concat([table, gaps]).rename(columns={"hjd": "mjd"}).to_csv(index=False).encode()
    upload = read_lightcurve(data, "lc.csv")
    assert upload.dropped == 5
    rows, scores = search_neighbours(artifacts, embed_upload(upload, artifacts, store), "photometry", K)
    assert rows[0] == row and scores[0] > 0.999


def test_an_exported_spectrum_lands_on_its_own_spectra_vector(stars):
    artifacts, store = stars
    row = object_with_spectrum(store)
    query = embed_upload(read_spectrum(spectrum_fits(store, row), "spec.fits"), artifacts, store)
    assert query.space == "spectra"
    np.testing.assert_allclose(query.vector, artifacts.embeddings["spectra"][row], atol=1e-5)
    rows, _ = search_neighbours(artifacts, query, "spectra", K)
    assert rows[0] == row


def test_a_spectrum_without_errors_still_finds_its_object(stars):
    """The model reads an error channel: without one the errors are estimated from the flux's scatter."""
    artifacts, store = stars
    row = object_with_spectrum(store)
    wavelength, flux, _ = store.spectrum(str(store.objects["object_id"].iloc[row]))
    hdu = fits.PrimaryHDU(flux)
    hdu.header.update(CRVAL1=float(wavelength[0]), CDELT1=2.0)
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    query = embed_upload(read_spectrum(buffer.getvalue(), "spec.fits"), artifacts, store)
    rows, scores = search_neighbours(artifacts, query, "spectra", K)
    assert rows[0] == row and scores[0] > 0.98


@pytest.mark.parametrize("target", ["spectra", "metadata", "fused"])
def test_a_light_curve_searches_the_other_spaces_as_brute_force_does(stars, target):
    artifacts, store = stars
    query = embed_upload(read_lightcurve(lightcurve_csv(store, 7), "lc.csv"), artifacts, store)
    rows, scores = search_neighbours(artifacts, query, target, K)
    similarity = np.asarray(artifacts.embeddings[target]) @ query.vector
    np.testing.assert_array_equal(rows, np.argsort(-similarity, kind="stable")[:K])
    np.testing.assert_allclose(scores, np.sort(similarity)[::-1][:K], atol=1e-5)


def test_spaces_of_another_dimension_or_name_are_refused(stars):
    artifacts, _ = stars
    with pytest.raises(
        UserError,
        match=r"the photometry space \(D=64\) and your fused query \(D=16\) are not "
        r"one shared space: search the fused space",
    ):
        search_neighbours(artifacts, Query("fused", np.ones(16, np.float32) / 4), "photometry", K)
    with pytest.raises(UserError, match="unknown space 'image'"):
        search_neighbours(artifacts, Query("photometry", artifacts.embeddings["photometry"][0]), "image", K)


def test_uploads_of_the_wrong_kind_or_without_the_model_are_refused(stars, sky):
    (star_artifacts, star_store), (sky_artifacts, sky_store) = stars, sky
    light_curve = read_lightcurve(lightcurve_csv(star_store, 0), "lc.csv")
    with pytest.raises(UserError, match="holds galaxies: upload a galaxy cutout"):
        embed_upload(light_curve, sky_artifacts, sky_store)
    cutout = read_cutout(cutout_npy(sky_store, 0), "g.npy", *_grz(sky_store))
    with pytest.raises(UserError, match="holds variable stars: upload a light curve or a spectrum"):
        embed_upload(cutout, star_artifacts, star_store)
    moved = replace(star_artifacts, manifest={**star_artifacts.manifest, "model": {"path": "/nowhere/varstars-clip"}})
    with pytest.raises(UserError, match="the model that built this set is not at /nowhere/varstars-clip"):
        embed_upload(light_curve, moved, star_store)


@pytest.mark.parametrize("row", GALAXY_ROWS)
def test_an_exported_cutout_finds_its_own_galaxy(sky, row):
    """The sky noise is measured on the upload's edge rather than read from the survey, so the vector is close
    to the catalogue's, not equal: the galaxy comes first, or second behind a near twin."""
    artifacts, store = sky
    upload = read_cutout(cutout_npy(store, row), "g.npy", *_grz(store))
    query = embed_upload(upload, artifacts, store, ebv=float(store.objects["e_bv"].iloc[row]))
    assert query.space == "image"
    rows, scores = search_neighbours(artifacts, query, "image", K)
    assert row in rows[:2], (row, rows, scores)
    assert float(np.asarray(artifacts.embeddings["image"][row]) @ query.vector) > 0.95


def test_a_cutout_at_a_finer_pixel_scale_is_resampled_to_the_surveys(sky):
    """Each survey pixel split into 2 x 2 pixels of a quarter of its flux, at half the pixel scale, in a FITS
    cube (H, W, bands): resampled back, it is the survey's cutout and embeds as the survey's cutout does."""
    artifacts, store = sky
    row = GALAXY_ROWS[2]
    pixels = np.asarray(store.cutouts[row], dtype=np.float32)
    finer = pixels.repeat(2, axis=1).repeat(2, axis=2) / 4  # flux per pixel: a quarter
    hdu = fits.PrimaryHDU(np.moveaxis(finer, 0, -1))
    hdu.header.update(BUNIT="nanomaggy", PIXSCALE=store.imaging.pixel_scale_arcsec / 2)
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    upload = read_cutout(buffer.getvalue(), "g.fits", *_grz(store))
    assert upload.pixels.shape == (3, 128, 128) and upload.pixel_scale_arcsec == pytest.approx(0.131)
    np.testing.assert_allclose(resample(upload.pixels, 0.131, 0.262, is_flux=True), pixels, rtol=1e-5, atol=1e-7)
    ebv = float(store.objects["e_bv"].iloc[row])
    direct = embed_upload(read_cutout(cutout_npy(store, row), "g.npy", *_grz(store)), artifacts, store, ebv=ebv)
    np.testing.assert_allclose(embed_upload(upload, artifacts, store, ebv=ebv).vector, direct.vector, atol=1e-4)


def test_cutouts_the_model_cannot_read_are_refused(sky):
    artifacts, store = sky
    small = read_cutout(_npy(np.asarray(store.cutouts[0])[:, :40, :40]), "g.npy", *_grz(store))
    with pytest.raises(UserError, match=r"g.npy is 40×40 px at 0.262″/px; the model reads the central 56×56 px"):
        embed_upload(small, artifacts, store)
    flat = read_cutout(_npy(np.ones((3, 64, 64), np.float32)), "flat.npy", *_grz(store))
    with pytest.raises(UserError, match="flat.npy: band 1 has no sky noise at its edge"):
        embed_upload(flat, artifacts, store)
    upload = read_cutout(cutout_npy(store, 0), "g.npy", *_grz(store))
    with pytest.raises(UserError, match="E\\(B-V\\) must be a non-negative number"):
        embed_upload(upload, artifacts, store, ebv=-0.1)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()
