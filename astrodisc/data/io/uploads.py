"""A user's own data, uploaded to search a survey with: light curves, spectra and galaxy cutouts, read and checked.

Each reader takes the file's bytes and name and returns a typed record in the units the embedding pipeline
expects, or raises a UserError whose one-line message names the file and the problem: too large, empty,
unreadable, a missing column, wrong shape or band count, infinities, nothing but NaN, too few epochs, no
overlap with the model's wavelength grid, a unit that is not what the data must be. Nothing is written.

* Light curve: a CSV table with a header naming time, magnitude and (optionally) error columns, in any of the
  spellings of ``TIME_COLUMNS``, ``MAG_COLUMNS``, ``ERR_COLUMNS``; one band (the survey's encoder band).
* Spectrum: FITS (a 1-D image whose wavelengths come from the header: CRVAL1, CDELT1 or CD1_1, CRPIX1, linear
  or log10 with DC-FLAG = 1, or LAMOST's COEFF0/COEFF1; LAMOST's (flux, ivar, wavelength, ...) rows; or a binary
  table with wavelength, flux and ivar or error columns, one row per pixel or one row of arrays) or a CSV table
  with wavelength, flux and optionally error columns.
* Galaxy cutout: FITS image cube, NPY array (read with ``allow_pickle=False``: object arrays are refused), both
  (bands, H, W) or (H, W, bands), or an 8-bit colour PNG or JPEG picture (only for surveys of 8-bit colour
  composites).

Example::

    upload = read_lightcurve(Path("lc.csv").read_bytes(), "lc.csv")
    upload.lightcurve()  # LightCurve in days and mag, sorted, NaN rows dropped
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.io import fits

from astrodisc.base.tables import MAX_TABLE_BYTES, check_upload_size, read_csv_rows
from astrodisc.data.galaxies import MIN_CUTOUT_PX
from astrodisc.data.lc_features import MIN_EPOCHS
from astrodisc.data.pictures import COLOUR_MODES
from astrodisc.data.varstars import WAVELENGTH_GRID, LightCurve
from astrodisc.errors import UserError

MAX_UPLOAD_BYTES = MAX_TABLE_BYTES  # the project's one upload limit (50 MB)
MAX_CUTOUT_PX = 4096  # longest side of a cutout [px]; a larger picture is no cutout
MIN_GRID_COVERAGE = 0.2  # a spectrum must cover at least this fraction of the model's wavelength grid
NOISE_WINDOW_PX = 101  # running window [pixels] of the noise estimated for a spectrum given without errors
MAG_RANGE = (-5.0, 35.0)  # median magnitudes outside this are fluxes or counts, not magnitudes [mag]
NANOMAGGY_JY = 3.631e-6  # 1 nanomaggy [Jy]: AB magnitude 22.5

# Column names a table may use (compared lower-case, spaces and dashes as underscores); two of one kind are refused.
TIME_COLUMNS: dict[str, str] = {  # name: time system it implies
    "time": "",
    "t": "",
    "hjd": "HJD",
    "jd": "JD",
    "mjd": "MJD",
    "bjd": "BJD",
    "bjd_tdb": "BJD",
    "hjd_utc": "HJD",
}
MAG_COLUMNS: tuple[str, ...] = ("mag", "magnitude", "vmag", "mag_v")
ERR_COLUMNS: tuple[str, ...] = (
    "err",
    "mag_err",
    "magerr",
    "e_mag",
    "emag",
    "mag_error",
    "error",
    "sigma",
    "sigma_mag",
    "magnitude_err",
)
WAVELENGTH_COLUMNS: tuple[str, ...] = ("wavelength", "wave", "lambda", "wl", "loglam")  # loglam: log10 [A]
FLUX_COLUMNS: tuple[str, ...] = ("flux", "flux_density", "f_lambda", "flambda")
IVAR_COLUMNS: tuple[str, ...] = ("ivar", "inverse_variance", "invvar")
FLUX_ERR_COLUMNS: tuple[str, ...] = ("err", "error", "flux_err", "flux_error", "sigma", "uncertainty")

LIGHTCURVE_SUFFIXES = (".csv", ".txt")
SPECTRUM_SUFFIXES = (".fits", ".fit", ".fts", ".csv", ".txt")
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")  # 8-bit colour pictures, as survey viewers save them
CUTOUT_SUFFIXES = (".fits", ".fit", ".fts", *PICTURE_SUFFIXES, ".npy")
FITS_SUFFIXES = (".fits", ".fit", ".fts")
NANOMAGGY_NAMES = ("nanomaggy", "nanomaggies", "nmgy", "nanomaggy/pixel", "nmgy/pix")


@dataclass(frozen=True)
class LightCurveUpload:
    """One band of photometry: arrays of equal length N, sorted by time, rows with a missing time or
    magnitude dropped.

    ``time`` [days] on the Julian-date scale (an MJD column is shifted by 2,400,000.5 d), in ``time_system``
    (HJD, BJD, JD, or "" when the column did not say); ``mag`` [mag]; ``mag_err`` [mag], NaN where not given
    (the pipeline then assumes 0.05 mag).
    """

    name: str
    time: np.ndarray
    mag: np.ndarray
    mag_err: np.ndarray
    time_system: str
    dropped: int  # rows dropped for a missing time or magnitude

    def lightcurve(self) -> LightCurve:
        """As the store's LightCurve (band index 0: the survey's encoder band)."""
        return LightCurve(self.time, self.mag, self.mag_err, np.zeros(len(self.time), np.uint8))

    def describe(self) -> str:
        system = f" {self.time_system}" if self.time_system else ""
        dropped = f"; {self.dropped} rows with a missing value dropped" if self.dropped else ""
        return (
            f"light curve {self.name}: {len(self.time)} epochs over {np.ptp(self.time):.1f} d{system}, "
            f"median {np.median(self.mag):.2f} mag{dropped}"
        )


@dataclass(frozen=True)
class SpectrumUpload:
    """One spectrum: arrays of equal length M sorted by wavelength.

    ``wavelength`` [A, air] (vacuum wavelengths converted); ``flux`` per unit wavelength in ``flux_unit``
    (an f_nu is converted to f_lambda; the model reads only the shape, after dividing by the median) with
    NaN at masked pixels; ``flux_err`` in the same unit, estimated from the flux's scatter (``der_snr_noise``)
    when the file gave none, NaN where unknown.
    """

    name: str
    wavelength: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    flux_unit: str
    notes: tuple[str, ...] = field(default=())  # conversions made, in words

    def on_grid(self, grid: np.ndarray = WAVELENGTH_GRID) -> tuple[np.ndarray, np.ndarray]:
        """(flux, flux_err) linearly interpolated onto ``grid`` [A]; NaN outside the spectrum and next to
        masked pixels (the pipeline treats NaN as missing)."""
        flux = np.interp(grid, self.wavelength, self.flux, left=np.nan, right=np.nan)
        err = np.interp(grid, self.wavelength, self.flux_err, left=np.nan, right=np.nan)
        return flux, err

    def describe(self) -> str:
        notes = f"; {', '.join(self.notes)}" if self.notes else ""
        return (
            f"spectrum {self.name}: {len(self.wavelength)} pixels over {self.wavelength.min():.0f}–"
            f"{self.wavelength.max():.0f} Å{notes}"
        )


@dataclass(frozen=True)
class CutoutUpload:
    """One galaxy cutout, band-major: ``pixels`` (B, H, W) float32 in ``pixel_unit`` ("nanomaggy": AB zero
    point 22.5, or "rgb8": 0-255 levels of an 8-bit colour composite); ``pixel_scale_arcsec`` [arcsec/px] when
    the file said, else None (the survey's is assumed)."""

    name: str
    pixels: np.ndarray
    pixel_unit: str
    pixel_scale_arcsec: float | None
    notes: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        b, h, w = self.pixels.shape
        scale = f" at {self.pixel_scale_arcsec:.3g}″/px" if self.pixel_scale_arcsec else ""
        notes = f"; {', '.join(self.notes)}" if self.notes else ""
        return f"cutout {self.name}: {b} bands of {h}×{w} px{scale} in {self.pixel_unit}{notes}"


Upload = LightCurveUpload | SpectrumUpload | CutoutUpload


# ---- light curves -------------------------------------------------------------------------------------------


def read_lightcurve(data: bytes, name: str) -> LightCurveUpload:
    """A light curve from a CSV table (see the module docstring for the column names)."""
    _check_suffix(name, LIGHTCURVE_SUFFIXES, "a light curve")
    table = _read_csv(data, name)
    time_column = _find_column(table, name, tuple(TIME_COLUMNS), "time")
    mag_column = _find_column(table, name, MAG_COLUMNS, "magnitude")
    err_column = _find_column(table, name, ERR_COLUMNS, "error", required=False)
    time, mag = _numbers(table, time_column, name), _numbers(table, mag_column, name)
    err = _numbers(table, err_column, name) if err_column else np.full(len(table), np.nan)
    for column, values in ((time_column, time), (mag_column, mag)):
        _refuse_empty(values, column, name)
    if np.any(err < 0):
        raise UserError(f"{name}: column {err_column} has {int(np.sum(err < 0))} negative errors")
    keep = np.isfinite(time) & np.isfinite(mag)
    if keep.sum() < MIN_EPOCHS:
        raise UserError(
            f"{name} has {int(keep.sum())} epochs with both a time and a magnitude; at least {MIN_EPOCHS} are needed"
        )
    median = float(np.median(mag[keep]))
    if not MAG_RANGE[0] <= median <= MAG_RANGE[1]:
        raise UserError(
            f"{name}: column {mag_column} has median {median:.4g}, not a magnitude "
            f"(fluxes or counts?); give magnitudes [mag]"
        )
    order = np.argsort(time[keep], kind="stable")
    t = time[keep][order]
    if np.ptp(t) <= 0:
        raise UserError(f"{name}: every epoch is at the same time {t[0]}")
    system = TIME_COLUMNS[time_column]
    if system == "MJD":
        t, system = t + 2_400_000.5, "JD (from MJD)"
    return LightCurveUpload(name, t, mag[keep][order], err[keep][order], system, int((~keep).sum()))


# ---- spectra ------------------------------------------------------------------------------------------------

RawSpectrum = tuple[np.ndarray, np.ndarray, np.ndarray, str, list[str]]  # wavelength [A], flux, error, unit, notes


def read_spectrum(data: bytes, name: str, grid: np.ndarray = WAVELENGTH_GRID) -> SpectrumUpload:
    """A spectrum from FITS or CSV (see the module docstring), checked to overlap ``grid`` [A] enough."""
    _check_suffix(name, SPECTRUM_SUFFIXES, "a spectrum")
    if Path(name).suffix.lower() in FITS_SUFFIXES:
        wavelength, flux, err, flux_unit, notes = _fits_spectrum(data, name)
    else:
        wavelength, flux, err, flux_unit, notes = _csv_spectrum(data, name)
    wavelength, flux, err = (np.asarray(a, dtype=np.float64).ravel() for a in (wavelength, flux, err))
    if not len(wavelength) == len(flux) == len(err):
        raise UserError(f"{name}: {len(wavelength)} wavelengths for {len(flux)} fluxes")
    for what, values in (("wavelength", wavelength), ("flux", flux), ("error", err)):
        if np.isinf(values).any():
            raise UserError(f"{name}: {what} has {int(np.isinf(values).sum())} infinite values")
    _refuse_empty(flux, "flux", name)
    keep = np.isfinite(wavelength)
    if keep.sum() < 2:
        raise UserError(f"{name}: fewer than 2 finite wavelengths")
    if np.any(wavelength[keep] <= 0):
        raise UserError(f"{name}: wavelengths must be positive")
    order = np.argsort(wavelength[keep], kind="stable")
    wavelength, flux, err = wavelength[keep][order], flux[keep][order], err[keep][order]
    flux, err, converted = _to_f_lambda(flux, err, wavelength, flux_unit, name)
    all_notes = tuple(notes) + converted
    if not np.isfinite(err).any():
        err = der_snr_noise(flux)
        all_notes += ("errors estimated from the flux scatter (DER_SNR)",)
    spectrum = SpectrumUpload(name, wavelength, flux, err, flux_unit, all_notes)
    covered = np.isfinite(spectrum.on_grid(grid)[0]).mean()
    if covered < MIN_GRID_COVERAGE:
        lo, hi = np.nanmin(wavelength[np.isfinite(flux)]), np.nanmax(wavelength[np.isfinite(flux)])
        raise UserError(
            f"{name} covers {lo:.0f}–{hi:.0f} Å, {covered:.0%} of the model's grid "
            f"{grid[0]:.0f}–{grid[-1]:.0f} Å (air); at least {MIN_GRID_COVERAGE:.0%} is needed"
        )
    return spectrum


def _csv_spectrum(data: bytes, name: str) -> RawSpectrum:
    table = _read_csv(data, name)
    wave_column = _find_column(table, name, WAVELENGTH_COLUMNS, "wavelength")
    flux_column = _find_column(table, name, FLUX_COLUMNS, "flux")
    err_column = _find_column(table, name, FLUX_ERR_COLUMNS, "error", required=False)
    wavelength = _numbers(table, wave_column, name)
    if wave_column == "loglam":
        wavelength = 10**wavelength
    err = _numbers(table, err_column, name) if err_column else np.full(len(table), np.nan)
    return wavelength, _numbers(table, flux_column, name), err, "", []


def _fits_spectrum(data: bytes, name: str) -> RawSpectrum:
    """(wavelength [A], flux, error, flux unit, notes) from the first HDU holding a spectrum."""
    with _open_fits(data, name) as hdus:
        primary = hdus[0].header  # where surveys (SDSS, LAMOST) say VACUUM = T for their tables too
        for hdu in hdus:
            try:
                if isinstance(hdu, fits.BinTableHDU):
                    found = _table_spectrum(hdu, primary, name)
                elif hdu.is_image and hdu.data is not None and hdu.data.ndim in (1, 2):
                    found = _image_spectrum(hdu, name)
                else:
                    continue
            except UserError:
                raise
            except Exception as err:  # noqa: BLE001 - a damaged HDU is the file's fault, said in one line
                raise _damaged_fits(name, err) from None
            if found is not None:
                return found
    raise UserError(
        f"{name} holds no spectrum: expected a 1-D image with wavelength keywords (CRVAL1, CDELT1 "
        f"or CD1_1, CRPIX1; or COEFF0, COEFF1) or a table with {'/'.join(WAVELENGTH_COLUMNS)} and "
        f"{'/'.join(FLUX_COLUMNS)} columns"
    )


def _table_spectrum(hdu: fits.BinTableHDU, primary: fits.Header, name: str) -> RawSpectrum | None:
    columns = {c.name.strip().lower().replace(" ", "_").replace("-", "_"): c for c in hdu.columns}
    wave = next((c for c in WAVELENGTH_COLUMNS if c in columns), None)
    flux = next((c for c in FLUX_COLUMNS if c in columns), None)
    if wave is None or flux is None:
        return None
    ivar = next((c for c in IVAR_COLUMNS if c in columns), None)
    error = next((c for c in FLUX_ERR_COLUMNS if c in columns), None)
    table = hdu.data

    def column(key: str) -> np.ndarray:
        values = np.asarray(table[columns[key].name], dtype=np.float64)
        return values.ravel()  # one row of arrays (LAMOST DR8+) or one row per pixel alike

    wavelength = column(wave)
    if wave == "loglam":
        wavelength = 10**wavelength
    else:
        wavelength = _to_angstrom(wavelength, columns[wave].unit, name)
    values = column(flux)
    err = np.full_like(values, np.nan)
    if ivar is not None:
        values, err = _from_ivar(values, column(ivar))
    elif error is not None:
        err = column(error)
    wavelength, notes = _air_wavelengths(wavelength, hdu.header, primary)
    return wavelength, values, err, (columns[flux].unit or "").strip(), notes


def _image_spectrum(hdu: fits.PrimaryHDU | fits.ImageHDU, name: str) -> RawSpectrum:
    """A 1-D image, or LAMOST's 2-D (flux, ivar, wavelength, andmask, ormask) rows."""
    header, array = hdu.header, np.asarray(hdu.data, dtype=np.float64)
    if array.ndim == 2 and array.shape[0] > 8:
        raise UserError(
            f"{name}: a {array.shape} image is not a spectrum (expected 1-D, or up to 8 rows "
            f"of flux, ivar, wavelength, ...)"
        )
    rows = array if array.ndim == 2 else array[None]
    flux = rows[0]
    err = np.full_like(flux, np.nan)
    if len(rows) >= 2:
        flux, err = _from_ivar(flux, rows[1])
    if len(rows) >= 3 and np.all(np.diff(rows[2]) > 0):
        wavelength = rows[2]
    else:
        wavelength = _header_wavelengths(header, len(flux), name)
    wavelength = _to_angstrom(wavelength, header.get("CUNIT1"), name)
    wavelength, notes = _air_wavelengths(wavelength, header)
    return wavelength, flux, err, str(header.get("BUNIT", "")).strip(), notes


def _header_wavelengths(header: fits.Header, n: int, name: str) -> np.ndarray:
    """(n,) wavelengths of pixels 0..n-1 from COEFF0/COEFF1 (log10) or the CRVAL1/CDELT1/CRPIX1 WCS: linear,
    log10 with IRAF's DC-FLAG = 1, or CTYPE1 = 'WAVE-LOG' (FITS WCS paper III: CRVAL1 exp(x / CRVAL1))."""
    pixels = np.arange(n, dtype=np.float64)
    if "COEFF0" in header and "COEFF1" in header:
        return 10 ** (float(header["COEFF0"]) + float(header["COEFF1"]) * pixels)
    step = header.get("CDELT1", header.get("CD1_1"))
    if "CRVAL1" not in header or step is None:
        raise UserError(
            f"{name}: a 1-D spectrum needs wavelength keywords CRVAL1 and CDELT1 (or CD1_1), or COEFF0 and COEFF1"
        )
    reference = float(header["CRVAL1"])
    offset = float(step) * (pixels + 1 - float(header.get("CRPIX1", 1.0)))
    if str(header.get("CTYPE1", "")).strip().upper() == "WAVE-LOG":
        return reference * np.exp(offset / reference)
    if int(header.get("DC-FLAG", 0)) == 1:
        return 10 ** (reference + offset)
    return reference + offset


def _to_angstrom(wavelength: np.ndarray, unit: str | None, name: str) -> np.ndarray:
    """Wavelengths in ``unit`` (A when not given) as A; frequencies and energies convert too."""
    if not unit or not str(unit).strip():
        return wavelength
    parsed = u.Unit(str(unit).strip(), parse_strict="silent")
    try:
        return (wavelength * parsed).to_value(u.AA, equivalencies=u.spectral())
    except (u.UnitConversionError, u.UnitsError, ValueError):
        raise UserError(f"{name}: wavelength unit {unit!r} is not a wavelength, frequency or energy") from None


def _air_wavelengths(wavelength: np.ndarray, *headers: fits.Header) -> tuple[np.ndarray, list[str]]:
    """Vacuum wavelengths (a header says VACUUM = T or AIRORVAC = 'vac') to air, as the model's grid is in air."""
    vacuum = any(
        h.get("VACUUM") is True or str(h.get("AIRORVAC", "")).strip().lower().startswith("vac") for h in headers
    )
    if not vacuum:
        return wavelength, []
    return vacuum_to_air(wavelength), ["vacuum wavelengths converted to air"]


def der_snr_noise(flux: np.ndarray, window: int = NOISE_WINDOW_PX) -> np.ndarray:
    """(M,) 1-sigma noise per pixel of ``flux`` (M,) estimated from its own scatter, for spectra given without
    errors (the model reads an error channel): DER_SNR (Stoehr et al. 2008, ASP Conf. Ser. 394, 505),
    1.482602 / sqrt(6) * median |2 f_i - f_(i-2) - f_(i+2)|, the median over a running ``window`` of pixels so
    that the noise may change along the spectrum. NaN pixels are skipped; NaN only if nothing is left."""
    second = np.full(len(flux), np.nan)
    second[2:-2] = np.abs(2 * flux[2:-2] - flux[:-4] - flux[4:])
    median = pd.Series(second).rolling(window, center=True, min_periods=max(3, window // 4)).median()
    return 1.482602 / np.sqrt(6) * median.bfill().ffill().to_numpy()


def vacuum_to_air(wavelength: np.ndarray) -> np.ndarray:
    """Air wavelengths [A] of vacuum wavelengths [A] (Morton 2000, ApJS 130, 403, eq. 3; the SDSS convention)."""
    s2 = (1e4 / wavelength) ** 2
    return wavelength / (1 + 8.34254e-5 + 2.406147e-2 / (130 - s2) + 1.5998e-4 / (38.9 - s2))


def _from_ivar(flux: np.ndarray, ivar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(flux with pixels of ivar <= 0 masked as NaN, 1-sigma error = ivar^-1/2)."""
    good = np.isfinite(ivar) & (ivar > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(good, flux, np.nan), np.where(good, 1 / np.sqrt(np.where(good, ivar, 1.0)), np.nan)


def _to_f_lambda(
    flux: np.ndarray, err: np.ndarray, wavelength: np.ndarray, unit: str, name: str
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Flux and error per unit wavelength: an f_nu is multiplied by c / lambda^2 (up to a constant, which the
    median normalisation removes); a unit that is no flux density (mag, K, km/s, ...) is refused. An unknown
    unit name (e.g. "relative flux") is read as f_lambda."""
    parsed = u.Unit(unit, parse_strict="silent") if unit else None
    if parsed is None or isinstance(parsed, u.UnrecognizedUnit) or parsed.physical_type == "dimensionless":
        return flux, err, ()
    if parsed.is_equivalent(u.erg / u.s / u.cm**2 / u.AA):
        return flux, err, ()
    if parsed.is_equivalent(u.Jy):
        factor = (wavelength / wavelength.mean()) ** -2
        return flux * factor, err * factor, (f"f_ν ({unit}) converted to f_λ",)
    if parsed.is_equivalent(u.count) or parsed.is_equivalent(u.adu) or parsed.is_equivalent(u.electron):
        return flux, err, ()
    raise UserError(f"{name}: flux unit {unit!r} is not a flux density (give f_λ, f_ν or counts)")


# ---- galaxy cutouts -----------------------------------------------------------------------------------------


def read_cutout(data: bytes, name: str, bands: tuple[str, ...], pixel_unit: str) -> CutoutUpload:
    """A galaxy cutout for a survey imaged in ``bands`` with pixels in ``pixel_unit`` ("nanomaggy" or "rgb8").

    FITS and NPY arrays may be (bands, H, W) or (H, W, bands) (the shortest axis is the bands); a non-square
    stamp is cut to its central square. Pixels must all be finite: the image model has no notion of a missing
    pixel. FITS units (BUNIT) must be nanomaggies or a flux density convertible to them (Jy, ...).
    """
    _check_suffix(name, CUTOUT_SUFFIXES, "a cutout")
    _check_size(data, name)
    suffix = Path(name).suffix.lower()
    notes: list[str] = []
    scale = None
    band_axis = None  # the shortest axis
    if suffix in PICTURE_SUFFIXES:
        array, unit, band_axis = _picture_pixels(data, name), "rgb8", 2
    elif suffix == ".npy":
        array, unit = _npy_pixels(data, name), pixel_unit
        notes.append(f"{pixel_unit} assumed")
    else:
        array, unit, scale, fits_notes = _fits_pixels(data, name, pixel_unit)
        notes += fits_notes
    if unit != pixel_unit:
        raise UserError(_unit_mismatch(name, unit, bands, pixel_unit))
    pixels = _band_first(array, name, bands, band_axis)
    if pixel_unit == "rgb8" and (pixels.min() < 0 or pixels.max() > 255):
        raise UserError(f"{name}: 8-bit colour levels must lie in 0-255, found {pixels.min():g} to {pixels.max():g}")
    return CutoutUpload(name, pixels, unit, scale, tuple(notes))


def _unit_mismatch(name: str, unit: str, bands: tuple[str, ...], pixel_unit: str) -> str:
    what = "an 8-bit colour picture" if unit == "rgb8" else f"{unit} fluxes"
    wanted = (
        f"fluxes in nanomaggies in {len(bands)} bands ({', '.join(bands)})"
        if pixel_unit == "nanomaggy"
        else "8-bit colour composites"
    )
    hint = ": upload a FITS or NPY cutout" if unit == "rgb8" else ""
    return f"{name} is {what}; this survey and its model read {wanted}{hint}"


def _picture_pixels(data: bytes, name: str) -> np.ndarray:
    """(H, W, 3) float32 0-255 levels of a PNG or JPEG colour picture (alpha dropped, a palette expanded)."""
    from PIL import Image  # noqa: PLC0415 - only picture uploads need it

    kind = "PNG" if Path(name).suffix.lower() == ".png" else "JPEG"

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            if max(image.size) > MAX_CUTOUT_PX:
                raise UserError(
                    f"{name} is {image.size[0]}×{image.size[1]} px; a cutout is at most {MAX_CUTOUT_PX} px on a side"
                )
            image.load()
    except UserError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UserError(
            f"{name} declares far more pixels than a cutout (a decompression bomb?); a cutout is at "
            f"most {MAX_CUTOUT_PX} px on a side"
        ) from None
    except Exception as err:  # noqa: BLE001 - PIL's many failure types all mean "not a readable picture"
        raise UserError(f"{name} is not a readable {kind} ({type(err).__name__})") from None
    if image.mode not in COLOUR_MODES:
        raise UserError(f"{name} is a {image.mode!r} {kind}; give an 8-bit RGB {kind}")
    return np.asarray(image.convert("RGB"), dtype=np.float32)


def _npy_pixels(data: bytes, name: str) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as err:
        if "allow_pickle" in str(err) or "Object arrays" in str(err):
            raise UserError(
                f"{name} holds Python objects (an object array), which are never loaded; save a numeric array"
            ) from None
        raise UserError(f"{name} is not a readable NumPy .npy file (truncated or corrupt)") from None
    except Exception:  # noqa: BLE001 - EOFError, OSError, ...: all mean a damaged file
        raise UserError(f"{name} is not a readable NumPy .npy file (truncated or corrupt)") from None
    if not isinstance(array, np.ndarray):
        raise UserError(f"{name} is an .npz archive, not one .npy array")
    if array.dtype.kind not in "iuf":
        raise UserError(f"{name} holds {array.dtype} values; a cutout is an integer or floating-point array")
    return array.astype(np.float32)


def _fits_pixels(data: bytes, name: str, pixel_unit: str) -> tuple[np.ndarray, str, float | None, list[str]]:
    """(array, its pixel unit, pixel scale [arcsec/px] or None, notes) of the first 2-D or 3-D image HDU."""
    with _open_fits(data, name) as hdus:
        for hdu in hdus:
            try:
                if not hdu.is_image or hdu.data is None or hdu.data.ndim not in (2, 3):
                    continue
                array = np.asarray(hdu.data, dtype=np.float32)
            except Exception as err:  # noqa: BLE001 - a damaged HDU is the file's fault, said in one line
                raise _damaged_fits(name, err) from None
            header = hdu.header
            unit, notes = pixel_unit, []
            bunit = str(header.get("BUNIT", "")).strip()
            if not bunit:
                notes.append(f"no BUNIT: {pixel_unit} assumed")
            elif bunit.lower() in NANOMAGGY_NAMES:
                unit = "nanomaggy"
            else:
                factor, unit = _nanomaggy_factor(bunit, name)
                array = array * np.float32(factor)
                if factor != 1:
                    notes.append(f"{bunit} converted to nanomaggy")
            # FITS numbers axes fastest first: numpy (bands, H, W) has sky axes 1, 2; (H, W, bands) has 2, 3
            sky_axes = (2, 3) if array.ndim == 3 and np.argmin(array.shape) == 2 else (1, 2)
            return array, unit, _pixel_scale_arcsec(header, *sky_axes), notes
    raise UserError(f"{name} holds no 2-D or 3-D image")


def _nanomaggy_factor(bunit: str, name: str) -> tuple[float, str]:
    """(factor to nanomaggies, "nanomaggy") for a flux-density BUNIT; a UserError for any other unit."""
    parsed = u.Unit(bunit.replace("/pixel", "").replace("/pix", ""), parse_strict="silent")
    if not isinstance(parsed, u.UnrecognizedUnit) and parsed.is_equivalent(u.Jy):
        return float(parsed.to(u.Jy) / NANOMAGGY_JY), "nanomaggy"
    raise UserError(f"{name}: BUNIT {bunit!r} is not nanomaggies or a flux density (Jy, ...) per pixel")


def _pixel_scale_arcsec(header: fits.Header, i: int, j: int) -> float | None:
    """Arcsec per pixel of FITS sky axes ``i``, ``j``: |det CD|^1/2 or |CDELTj| [deg], else the PIXSCALE
    keyword [arcsec]; None if the header says nothing."""
    if f"CD{i}_{i}" in header and f"CD{j}_{j}" in header:
        cd = {key: float(header.get(f"CD{key}", 0.0)) for key in (f"{i}_{i}", f"{j}_{j}", f"{i}_{j}", f"{j}_{i}")}
        det = cd[f"{i}_{i}"] * cd[f"{j}_{j}"] - cd[f"{i}_{j}"] * cd[f"{j}_{i}"]
        return float(np.sqrt(abs(det)) * 3600) or None
    if f"CDELT{j}" in header:
        return abs(float(header[f"CDELT{j}"])) * 3600 or None
    if "PIXSCALE" in header:
        return abs(float(header["PIXSCALE"])) or None
    return None


def _band_first(array: np.ndarray, name: str, bands: tuple[str, ...], band_axis: int | None = None) -> np.ndarray:
    """(B, S, S) float32 from (H, W), (B, H, W) or (H, W, B), checked for bands, size and finite values.
    ``band_axis`` None: the shortest axis holds the bands (ties: the first, as in FITS cubes)."""
    if array.ndim == 2:
        array, band_axis = array[None], 0
    if array.ndim != 3:
        raise UserError(f"{name} has shape {array.shape}; a cutout is (bands, H, W) or (H, W, bands)")
    band_axis = int(np.argmin(array.shape)) if band_axis is None else band_axis
    array = np.moveaxis(array, band_axis, 0)
    if array.shape[0] != len(bands):
        raise UserError(
            f"{name} has {array.shape[0]} band{'s' if array.shape[0] != 1 else ''} (shape "
            f"{tuple(np.moveaxis(array, 0, band_axis).shape)}); this survey has {len(bands)} "
            f"({', '.join(bands)})"
        )
    _, h, w = array.shape
    if max(h, w) > MAX_CUTOUT_PX:
        raise UserError(f"{name} is {h}×{w} px; a cutout is at most {MAX_CUTOUT_PX} px on a side")
    if min(h, w) < MIN_CUTOUT_PX:
        raise UserError(
            f"{name} is {h}×{w} px, too small to hold a galaxy; a cutout is at least {MIN_CUTOUT_PX} px on a side"
        )
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    array = np.ascontiguousarray(array[:, top : top + side, left : left + side], dtype=np.float32)
    if np.isinf(array).any():
        raise UserError(f"{name} has {int(np.isinf(array).sum())} infinite pixels")
    missing = int(np.isnan(array).sum())
    if missing == array.size:
        raise UserError(f"{name} is all NaN")
    if missing:
        raise UserError(
            f"{name} has {missing} NaN pixels; the image model cannot read missing pixels: "
            f"fill them (e.g. with the sky level) first"
        )
    return array


# ---- shared -------------------------------------------------------------------------------------------------


def _check_suffix(name: str, suffixes: tuple[str, ...], what: str) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        raise UserError(
            f"{name}: cannot read {suffix or 'a file without suffix'} as {what}; give one of {', '.join(suffixes)}"
        )


def _check_size(data: bytes, name: str) -> None:
    check_upload_size(data, name, MAX_UPLOAD_BYTES)


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    """A CSV table (comma, semicolon, tab or space separated; '#' comment lines skipped), header required."""
    _check_size(data, name)
    try:
        table = read_csv_rows(data, name, comment="#", skipinitialspace=True)
        if table.shape[1] == 1:  # not commas: let Python's sniffer find the separator
            table = read_csv_rows(data, name, sep=None, engine="python", comment="#", skipinitialspace=True)
    except UserError:
        raise
    except Exception as err:  # noqa: BLE001 - any parser failure is the file's fault, reported in one line
        raise UserError(f"{name} is not a readable CSV table ({type(err).__name__})") from None
    table.columns = [str(c).strip().strip("\"'").lower().replace(" ", "_").replace("-", "_") for c in table.columns]
    if len(table) == 0:
        raise UserError(f"{name} has a header but no rows")
    return table


@overload
def _find_column(
    table: pd.DataFrame, name: str, accepted: tuple[str, ...], what: str, required: Literal[True] = True
) -> str: ...
@overload
def _find_column(
    table: pd.DataFrame, name: str, accepted: tuple[str, ...], what: str, required: Literal[False]
) -> str | None: ...
def _find_column(
    table: pd.DataFrame, name: str, accepted: tuple[str, ...], what: str, required: bool = True
) -> str | None:
    found = [c for c in accepted if c in table.columns]
    if len(found) > 1:
        raise UserError(f"{name} has {len(found)} {what} columns ({', '.join(found)}); keep one")
    if not found and required:
        columns = ", ".join(map(str, table.columns[:12])) + (", …" if len(table.columns) > 12 else "")
        raise UserError(
            f"{name} has no {what} column (accepted names: {', '.join(accepted)}); its columns are: {columns}"
        )
    return found[0] if found else None


def _numbers(table: pd.DataFrame, column: str, name: str) -> np.ndarray:
    """The column as float64; empty cells and NaN stay NaN, any other text is an error."""
    raw = table[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & ~raw.astype(str).str.strip().str.lower().isin(["", "nan", "na", "null", "none"])
    if bad.any():
        raise UserError(
            f"{name}: column {column} has {int(bad.sum())} values that are not numbers "
            f"(first: {str(raw[bad].iloc[0])[:20]!r})"
        )
    array = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(array).any():
        raise UserError(f"{name}: column {column} has {int(np.isinf(array).sum())} infinite values")
    return array


def _refuse_empty(values: np.ndarray, column: str, name: str) -> None:
    if not np.isfinite(values).any():
        raise UserError(f"{name}: column {column} is all NaN")


def _open_fits(data: bytes, name: str) -> fits.HDUList:
    _check_size(data, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # header fix-ups astropy can make are no reason to refuse a file
            return fits.open(io.BytesIO(data), memmap=False, lazy_load_hdus=False)
    except Exception as err:  # noqa: BLE001 - astropy raises OSError, ValueError, TypeError for damaged files
        raise _damaged_fits(name, err) from None


def _damaged_fits(name: str, err: Exception) -> UserError:
    return UserError(f"{name} is not a readable FITS file (truncated or corrupt: {type(err).__name__})")
