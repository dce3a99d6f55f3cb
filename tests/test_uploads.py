"""Reading a user's uploads: each reader on good files (arrays and units) and on every kind of bad file
(a UserError whose message names the problem)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from PIL import Image

from astrodisc.base.tables import MAX_TABLE_BYTES
from astrodisc.data.io.uploads import MAX_UPLOAD_BYTES, read_cutout, read_lightcurve, read_spectrum, vacuum_to_air
from astrodisc.data.varstars import WAVELENGTH_GRID
from astrodisc.errors import UserError

GRZ = ("g", "r", "z")
RNG = np.random.default_rng(1)


def _csv(**columns) -> bytes:
    return pd.DataFrame(columns).to_csv(index=False).encode()


def _epochs(n: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    time = 2_458_000.0 + np.sort(RNG.uniform(0, 300, n))
    return time, 14 + 0.3 * np.sin(time / 0.7), np.full(n, 0.02)


def _fits(hdu: fits.hdu.base.ExtensionHDU | fits.PrimaryHDU, *more) -> bytes:
    buffer = io.BytesIO()
    hdus = [hdu] if isinstance(hdu, fits.PrimaryHDU) else [fits.PrimaryHDU(), hdu]
    fits.HDUList(hdus + list(more)).writeto(buffer)
    return buffer.getvalue()


def _spectrum_image(flux: np.ndarray, **header) -> bytes:
    hdu = fits.PrimaryHDU(flux.astype(np.float32))
    hdu.header.update(header)
    return _fits(hdu)


def _npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def _raises(message: str, read, *args) -> None:
    with pytest.raises(UserError) as caught:
        read(*args)
    assert message in str(caught.value), str(caught.value)
    assert "\n" not in str(caught.value)


# ---- light curves -------------------------------------------------------------------------------------------


def test_the_upload_limit_is_the_projects_one():
    assert MAX_UPLOAD_BYTES == MAX_TABLE_BYTES == 50 * 2**20


def test_lightcurve_csv_gives_sorted_days_and_magnitudes_with_nan_rows_dropped():
    time, mag, err = _epochs()
    order = RNG.permutation(len(time))
    mag_with_gaps = mag.copy()
    mag_with_gaps[[3, 7]] = np.nan
    upload = read_lightcurve(_csv(HJD=time[order], Mag=mag_with_gaps[order], mag_err=err[order]), "star.csv")
    keep = np.isfinite(mag_with_gaps)
    np.testing.assert_array_equal(upload.time, time[keep])  # sorted, the two NaN magnitudes dropped
    np.testing.assert_array_equal(upload.mag, mag[keep])
    np.testing.assert_array_equal(upload.mag_err, err[keep])
    assert upload.time_system == "HJD" and upload.dropped == 2
    lc = upload.lightcurve()
    assert len(lc.time) == len(time) - 2 and set(lc.band) == {0}
    assert "38 epochs" in upload.describe() and "2 rows with a missing value dropped" in upload.describe()


@pytest.mark.parametrize(
    "time_column,mag_column,err_column",
    [("mjd", "magnitude", "magerr"), ("jd", "mag", "err"), ("time", "vmag", "e_mag"), ("bjd", "mag", None)],
)
def test_lightcurve_column_name_variants(time_column, mag_column, err_column):
    time, mag, err = _epochs()
    columns = {time_column: time - 2_400_000.5 if time_column == "mjd" else time, mag_column: mag}
    if err_column:
        columns[err_column] = err
    upload = read_lightcurve(_csv(**columns), "lc.csv")
    np.testing.assert_allclose(upload.time, time, rtol=0, atol=1e-6)  # MJD back on the JD scale [days]
    np.testing.assert_array_equal(upload.mag, mag)
    assert np.isnan(upload.mag_err).all() if err_column is None else np.array_equal(upload.mag_err, err)


def test_lightcurve_whitespace_table_with_comment_lines():
    time, mag, err = _epochs(12)
    rows = [f"{t} {m} {e}" for t, m, e in zip(time.tolist(), mag.tolist(), err.tolist(), strict=False)]
    text = "# my star\n# HJD, V\nhjd mag err\n" + "\n".join(rows)
    upload = read_lightcurve(text.encode(), "star.txt")
    np.testing.assert_array_equal(upload.mag, mag)


def test_lightcurve_refusals():
    time, mag, err = _epochs()
    good = {"hjd": time, "mag": mag, "err": err}
    _raises("lc.csv is empty", read_lightcurve, b"", "lc.csv")
    _raises("the limit is 50 MB", read_lightcurve, b"0" * (MAX_UPLOAD_BYTES + 1), "lc.csv")
    _raises("cannot read .xlsx as a light curve", read_lightcurve, _csv(**good), "lc.xlsx")
    _raises("lc.csv is not a readable CSV table", read_lightcurve, bytes(range(256)) * 40, "lc.csv")
    _raises("has a header but no rows", read_lightcurve, b"hjd,mag,err\n", "lc.csv")
    _raises(
        "has no magnitude column (accepted names: mag, magnitude", read_lightcurve, _csv(hjd=time, flux=mag), "lc.csv"
    )
    _raises("has 2 time columns (hjd, mjd); keep one", read_lightcurve, _csv(**good, mjd=time), "lc.csv")
    _raises(
        "column mag has 1 values that are not numbers (first: 'bright')",
        read_lightcurve,
        _csv(hjd=time, mag=["bright"] + list(mag[1:])),
        "lc.csv",
    )
    _raises("column mag has 1 infinite values", read_lightcurve, _csv(hjd=time, mag=[np.inf] + list(mag[1:])), "lc.csv")
    _raises("column mag is all NaN", read_lightcurve, _csv(hjd=time, mag=np.full(len(time), np.nan)), "lc.csv")
    _raises(
        "has 7 epochs with both a time and a magnitude; at least 10 are needed",
        read_lightcurve,
        _csv(hjd=time[:7], mag=mag[:7]),
        "lc.csv",
    )
    _raises("not a magnitude (fluxes or counts?)", read_lightcurve, _csv(hjd=time, mag=10 ** (mag / 2)), "lc.csv")
    _raises(
        "column err has 1 negative errors", read_lightcurve, _csv(hjd=time, mag=mag, err=np.r_[-0.1, err[1:]]), "lc.csv"
    )
    _raises(
        "every epoch is at the same time", read_lightcurve, _csv(hjd=np.full(len(time), time[0]), mag=mag), "lc.csv"
    )


# ---- spectra ------------------------------------------------------------------------------------------------


def _flux(n: int) -> np.ndarray:
    return 1.0 + 0.1 * np.sin(np.arange(n) / 30.0)


def test_spectrum_fits_linear_wcs_and_its_grid():
    flux = _flux(1000)
    data = _spectrum_image(flux, CRVAL1=4000.0, CDELT1=2.0, CRPIX1=1.0, BUNIT="1e-17 erg/(s cm2 Angstrom)")
    spectrum = read_spectrum(data, "s.fits")
    np.testing.assert_allclose(spectrum.wavelength, 4000.0 + 2.0 * np.arange(1000))
    np.testing.assert_allclose(spectrum.flux, flux.astype(np.float32))
    assert spectrum.notes == ("errors estimated from the flux scatter (DER_SNR)",)
    on_grid, err = spectrum.on_grid()
    inside = (WAVELENGTH_GRID >= 4000) & (WAVELENGTH_GRID <= 5998)
    np.testing.assert_allclose(on_grid[inside], flux.astype(np.float32))  # grid nodes fall on its pixels
    assert np.isnan(on_grid[~inside]).all() and on_grid.shape == err.shape == WAVELENGTH_GRID.shape


@pytest.mark.parametrize(
    "header,first,step_ratio",
    [
        ({"CRVAL1": 4010.0, "CD1_1": 1.5, "CRPIX1": 11.0}, 3995.0, None),  # CD1_1, reference pixel 11
        ({"CRVAL1": np.log10(3900.0), "CDELT1": 1e-4, "DC-FLAG": 1}, 3900.0, 10**1e-4),  # log10 lambda (IRAF)
        ({"COEFF0": np.log10(3900.0), "COEFF1": 1e-4}, 3900.0, 10**1e-4),  # LAMOST
        ({"CRVAL1": 400.0, "CDELT1": 0.2, "CUNIT1": "nm"}, 4000.0, None),  # nanometres
        ({"CTYPE1": "WAVE-LOG", "CRVAL1": 3900.0, "CDELT1": 3900.0 * 2.303e-4}, 3900.0, np.exp(2.303e-4)),  # FITS log
    ],
)
def test_spectrum_fits_wavelength_keywords(header, first, step_ratio):
    spectrum = read_spectrum(_spectrum_image(_flux(3000), **header), "s.fits")
    assert spectrum.wavelength[0] == pytest.approx(first, rel=1e-9)
    if step_ratio:
        assert spectrum.wavelength[1] / spectrum.wavelength[0] == pytest.approx(step_ratio, rel=1e-9)


def test_errors_of_a_spectrum_given_without_them_come_from_its_scatter():
    n = 3000
    noise = np.where(np.arange(n) < n // 2, 0.01, 0.04)  # noisier in the red half
    flux = _flux(n) + RNG.normal(0, 1, n) * noise
    flux[100:110] = np.nan
    spectrum = read_spectrum(_csv(wavelength=4000.0 + np.arange(n), flux=flux), "s.csv")
    assert np.isfinite(spectrum.flux_err).all()
    assert np.median(spectrum.flux_err[200:1400]) == pytest.approx(0.01, rel=0.15)
    assert np.median(spectrum.flux_err[1600:]) == pytest.approx(0.04, rel=0.15)
    given = read_spectrum(_csv(wavelength=4000.0 + np.arange(n), flux=flux, err=noise), "s.csv")
    np.testing.assert_array_equal(given.flux_err, noise)


def test_vacuum_wavelengths_become_air():
    spectrum = read_spectrum(_spectrum_image(_flux(2000), CRVAL1=4000.0, CDELT1=2.0, VACUUM=True), "s.fits")
    assert spectrum.wavelength[500] == pytest.approx(vacuum_to_air(np.array([5000.0]))[0])
    assert 5000.0 - spectrum.wavelength[500] == pytest.approx(1.39, abs=0.01)  # air is 1.39 A bluer at 5000 A
    assert spectrum.notes[0] == "vacuum wavelengths converted to air"


def test_an_sdss_table_in_vacuum_becomes_air():
    """SDSS: log10 wavelengths in vacuum (said in the primary header), flux and ivar in the first extension."""
    wavelength = 10 ** (3.58 + 1e-4 * np.arange(3000))
    primary = fits.PrimaryHDU()
    primary.header["VACUUM"] = True
    table = fits.BinTableHDU.from_columns(
        [
            fits.Column("loglam", "D", array=np.log10(wavelength)),
            fits.Column("flux", "E", array=_flux(3000)),
            fits.Column("ivar", "E", array=np.ones(3000)),
        ]
    )
    spectrum = read_spectrum(_fits(primary, table), "spec-1234.fits")
    np.testing.assert_allclose(spectrum.wavelength, vacuum_to_air(wavelength))
    assert spectrum.notes == ("vacuum wavelengths converted to air",)


def test_lamost_rows_flux_ivar_wavelength():
    n = 2000
    wavelength = 3900.0 * 10 ** (1e-4 * np.arange(n))
    ivar = np.full(n, 400.0)
    ivar[10:20] = 0  # masked pixels
    rows = np.stack([_flux(n), ivar, wavelength, np.zeros(n), np.zeros(n)])
    spectrum = read_spectrum(_fits(fits.PrimaryHDU(rows)), "lamost.fits")
    np.testing.assert_allclose(spectrum.wavelength, wavelength)
    assert np.isnan(spectrum.flux[10:20]).all() and np.isfinite(spectrum.flux[20:]).all()
    np.testing.assert_allclose(spectrum.flux_err[20:], 0.05)


def test_binary_table_spectra_per_pixel_rows_and_one_row_of_arrays():
    n = 1500
    wavelength, flux = 4000.0 + 2.5 * np.arange(n), _flux(n)
    per_pixel = fits.BinTableHDU.from_columns(
        [
            fits.Column("WAVELENGTH", "D", unit="Angstrom", array=wavelength),
            fits.Column("FLUX", "E", array=flux),
            fits.Column("ERROR", "E", array=np.full(n, 0.1)),
        ]
    )
    spectrum = read_spectrum(_fits(per_pixel), "t.fits")
    np.testing.assert_allclose(spectrum.wavelength, wavelength)
    np.testing.assert_allclose(spectrum.flux_err, 0.1, rtol=1e-6)
    one_row = fits.BinTableHDU.from_columns(
        [  # LAMOST DR8+: one row holding arrays, wavelengths in nm
            fits.Column("WAVELENGTH", f"{n}D", unit="nm", array=[wavelength / 10]),
            fits.Column("FLUX", f"{n}E", array=[flux]),
            fits.Column("IVAR", f"{n}E", array=[np.full(n, 4.0)]),
        ]
    )
    spectrum = read_spectrum(_fits(one_row), "t.fits")
    np.testing.assert_allclose(spectrum.wavelength, wavelength)
    np.testing.assert_allclose(spectrum.flux_err, 0.5)
    sdss = fits.BinTableHDU.from_columns(
        [
            fits.Column("loglam", "E", array=np.log10(wavelength)),
            fits.Column("flux", "E", array=flux),
            fits.Column("ivar", "E", array=np.ones(n)),
        ]
    )
    np.testing.assert_allclose(read_spectrum(_fits(sdss), "spec.fits").wavelength, wavelength, rtol=1e-6)


def test_spectrum_csv_and_f_nu_conversion():
    wavelength = np.arange(4000.0, 8000.0, 2.0)
    spectrum = read_spectrum(_csv(wavelength=wavelength, flux=_flux(len(wavelength))), "s.csv")
    np.testing.assert_array_equal(spectrum.wavelength, wavelength)
    f_nu = read_spectrum(_spectrum_image(np.ones(2000), CRVAL1=4000.0, CDELT1=2.0, BUNIT="mJy"), "s.fits")
    ratio = f_nu.flux[-1] / f_nu.flux[0]
    assert ratio == pytest.approx(
        (f_nu.wavelength[-1] / f_nu.wavelength[0]) ** -2, rel=1e-5
    )  # f_lambda ~ f_nu / lambda^2
    assert "converted to f_λ" in f_nu.notes[0]


def test_spectrum_refusals():
    flux = _flux(1000)
    wcs = {"CRVAL1": 4000.0, "CDELT1": 2.0}
    good = _spectrum_image(flux, **wcs)
    _raises("s.fits is empty", read_spectrum, b"", "s.fits")
    _raises("the limit is 50 MB", read_spectrum, b"0" * (MAX_UPLOAD_BYTES + 1), "s.fits")
    _raises("s.fits is not a readable FITS file", read_spectrum, good[:-2000], "s.fits")  # truncated
    _raises("s.fits is not a readable FITS file", read_spectrum, b"SIMPLE  = T" + bytes(3000), "s.fits")  # corrupt
    _raises(
        "s.fits covers 10000–11998 Å, 0% of the model's grid 3850–9000 Å",
        read_spectrum,
        _spectrum_image(flux, CRVAL1=10000.0, CDELT1=2.0),
        "s.fits",
    )
    _raises(
        "s.fits covers 8800–9198 Å, 4% of the model's grid",
        read_spectrum,
        _spectrum_image(flux[:200], CRVAL1=8800.0, CDELT1=2.0),
        "s.fits",
    )
    _raises("column flux is all NaN", read_spectrum, _spectrum_image(np.full(1000, np.nan), **wcs), "s.fits")
    _raises("flux has 1 infinite values", read_spectrum, _spectrum_image(np.r_[np.inf, flux[1:]], **wcs), "s.fits")
    _raises("needs wavelength keywords CRVAL1 and CDELT1", read_spectrum, _spectrum_image(flux), "s.fits")
    _raises(
        "wavelength unit 'deg' is not a wavelength", read_spectrum, _spectrum_image(flux, CUNIT1="deg", **wcs), "s.fits"
    )
    _raises(
        "flux unit 'km / s' is not a flux density",
        read_spectrum,
        _spectrum_image(flux, BUNIT="km / s", **wcs),
        "s.fits",
    )
    _raises("s.fits holds no spectrum", read_spectrum, _fits(fits.PrimaryHDU(np.zeros((2, 3, 4)))), "s.fits")
    _raises("has no wavelength column", read_spectrum, _csv(flux=flux), "s.csv")
    _raises("s.csv is not a readable CSV table", read_spectrum, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "s.csv")
    _raises("cannot read .dat as a spectrum", read_spectrum, good, "s.dat")


# ---- galaxy cutouts -----------------------------------------------------------------------------------------


def _cutout(bands: int = 3, side: int = 64) -> np.ndarray:
    return RNG.normal(0, 0.01, (bands, side, side)).astype(np.float32)


def test_cutout_npy_bands_first_or_last():
    pixels = _cutout()
    for array in (pixels, np.moveaxis(pixels, 0, -1)):
        upload = read_cutout(_npy(array), "g.npy", GRZ, "nanomaggy")
        np.testing.assert_array_equal(upload.pixels, pixels)
        assert upload.pixel_unit == "nanomaggy" and upload.pixel_scale_arcsec is None


def test_cutout_fits_cube_units_and_pixel_scale():
    pixels = _cutout()
    hdu = fits.PrimaryHDU(pixels)
    hdu.header.update(BUNIT="nanomaggy", CD1_1=-0.262 / 3600, CD2_2=0.262 / 3600)
    upload = read_cutout(_fits(hdu), "g.fits", GRZ, "nanomaggy")
    np.testing.assert_array_equal(upload.pixels, pixels)
    assert upload.pixel_scale_arcsec == pytest.approx(0.262)
    hdu.header.update(BUNIT="uJy", PIXSCALE=0.5)
    del hdu.header["CD1_1"], hdu.header["CD2_2"]
    upload = read_cutout(_fits(hdu), "g.fits", GRZ, "nanomaggy")
    np.testing.assert_allclose(upload.pixels, pixels / 3.631, rtol=1e-6)  # 1 nanomaggy = 3.631 uJy
    assert upload.pixel_scale_arcsec == 0.5 and "uJy converted to nanomaggy" in upload.notes


def test_cutout_png_for_colour_composites_and_non_square_stamps():
    rgb = RNG.integers(0, 256, (60, 70, 3), dtype=np.uint8)
    upload = read_cutout(_png(rgb), "g.png", ("R", "G", "B"), "rgb8")
    assert upload.pixels.shape == (3, 60, 60)  # the central square of a 60 x 70 picture
    np.testing.assert_array_equal(upload.pixels, np.moveaxis(rgb[:, 5:65], -1, 0).astype(np.float32))


def test_cutout_jpeg_and_palette_png_as_survey_viewers_save_them():
    yy, xx = np.mgrid[:64, :64]
    blob = 255 * np.exp(-((yy - 32.0) ** 2 + (xx - 28.0) ** 2) / 200)  # a smooth galaxy-like blob
    rgb = np.stack([blob, 0.7 * blob, 0.4 * blob + 20], axis=-1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=90)
    upload = read_cutout(buffer.getvalue(), "g.jpeg", ("R", "G", "B"), "rgb8")
    assert upload.pixels.shape == (3, 64, 64) and upload.pixel_unit == "rgb8"
    assert np.abs(upload.pixels - np.moveaxis(rgb, -1, 0)).mean() < 2  # JPEG loses a little
    palette = Image.fromarray(rgb[:, :, 0] // 64 * 64).convert("RGB").quantize(4)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    expanded = read_cutout(buffer.getvalue(), "g.png", ("R", "G", "B"), "rgb8").pixels
    np.testing.assert_array_equal(expanded, np.moveaxis(np.asarray(palette.convert("RGB")), -1, 0))
    grey = io.BytesIO()
    Image.fromarray(rgb[:, :, 0]).save(grey, format="JPEG")
    colour = ("R", "G", "B")
    _raises("g.jpg is a 'L' JPEG; give an 8-bit RGB JPEG", read_cutout, grey.getvalue(), "g.jpg", colour, "rgb8")
    _raises("g.jpg is not a readable JPEG", read_cutout, buffer.getvalue()[:40], "g.jpg", colour, "rgb8")


def test_cutout_refusals():
    pixels = _cutout()
    _raises("g.npy is empty", read_cutout, b"", "g.npy", GRZ, "nanomaggy")
    _raises("the limit is 50 MB", read_cutout, b"0" * (MAX_UPLOAD_BYTES + 1), "g.npy", GRZ, "nanomaggy")
    _raises(
        "holds Python objects (an object array), which are never loaded",
        read_cutout,
        _npy(np.array([{"a": 1}, None], dtype=object), allow_pickle=True),
        "g.npy",
        GRZ,
        "nanomaggy",
    )
    _raises("g.npy is not a readable NumPy .npy file", read_cutout, _npy(pixels)[:5000], "g.npy", GRZ, "nanomaggy")
    _raises(
        "g.npy has 4 bands (shape (4, 64, 64)); this survey has 3 (g, r, z)",
        read_cutout,
        _npy(_cutout(4)),
        "g.npy",
        GRZ,
        "nanomaggy",
    )
    _raises("g.npy has 1 band (shape (1, 64, 64))", read_cutout, _npy(pixels[0]), "g.npy", GRZ, "nanomaggy")
    _raises(
        "g.npy has shape (2, 3, 64, 64); a cutout is (bands, H, W)",
        read_cutout,
        _npy(np.zeros((2, 3, 64, 64), np.float32)),
        "g.npy",
        GRZ,
        "nanomaggy",
    )
    _raises("g.npy is all NaN", read_cutout, _npy(np.full_like(pixels, np.nan)), "g.npy", GRZ, "nanomaggy")
    with_nan = pixels.copy()
    with_nan[0, :2, :3] = np.nan
    _raises("g.npy has 6 NaN pixels", read_cutout, _npy(with_nan), "g.npy", GRZ, "nanomaggy")
    with_inf = pixels.copy()
    with_inf[1, 5, 5] = np.inf
    _raises("g.npy has 1 infinite pixels", read_cutout, _npy(with_inf), "g.npy", GRZ, "nanomaggy")
    _raises("holds complex64 values", read_cutout, _npy(pixels.astype(np.complex64)), "g.npy", GRZ, "nanomaggy")
    _raises(
        "g.png is an 8-bit colour picture; this survey and its model read fluxes in nanomaggies in 3 bands "
        "(g, r, z): upload a FITS or NPY cutout",
        read_cutout,
        _png(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)),
        "g.png",
        GRZ,
        "nanomaggy",
    )
    _raises(
        "g.png is a 'L' PNG; give an 8-bit RGB PNG",
        read_cutout,
        _png(RNG.integers(0, 256, (64, 64), dtype=np.uint8)),
        "g.png",
        ("R", "G", "B"),
        "rgb8",
    )
    _raises(
        "g.png is not a readable PNG",
        read_cutout,
        _png(np.zeros((64, 64, 3), np.uint8))[:60],
        "g.png",
        ("R", "G", "B"),
        "rgb8",
    )
    bad_unit = fits.PrimaryHDU(pixels)
    bad_unit.header["BUNIT"] = "adu"
    _raises(
        "BUNIT 'adu' is not nanomaggies or a flux density", read_cutout, _fits(bad_unit), "g.fits", GRZ, "nanomaggy"
    )
    _raises(
        "g.fits is not a readable FITS file",
        read_cutout,
        _fits(fits.PrimaryHDU(pixels))[:-3000],
        "g.fits",
        GRZ,
        "nanomaggy",
    )
    _raises("cannot read .gif as a cutout", read_cutout, _npy(pixels), "g.gif", GRZ, "nanomaggy")
