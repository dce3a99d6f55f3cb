"""Fuzzing the parsers of user files with hypothesis: generated or damaged bytes give either a valid result
(finite values, times sorted, arrays of one length) or a UserError, never another exception and never a hang.

Derandomized, so CI sees the same examples every run; the example counts keep the file under a minute.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from astrodisc.base.tables import read_table, table_bytes
from astrodisc.data.io import uploads
from astrodisc.data.io.catalogs import catalog_objects
from astrodisc.data.io.varstars import import_survey, whitespace_table
from astrodisc.data.varstars import WAVELENGTH_GRID, VarStarStore
from astrodisc.errors import UserError
from astrodisc.labels.database import labels_from_table

FUZZ = settings(
    max_examples=200, deadline=2000, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
pytestmark = pytest.mark.timeout(120)  # a hang fails instead of stalling CI

# ---- generated text tables ----------------------------------------------------------------------------------

CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["", "nan", "NA", "null", "inf", "-inf", "1e400", "x", "14.2.3", '"', "'", "#", "\\", "None"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=8),
)
SEPARATORS = st.sampled_from([",", ";", "\t", " ", ", "])


def _table_text(header: list[str], separator: str, rows: list[list[str]]) -> bytes:
    lines = [separator.join(header)] + [separator.join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


@st.composite
def csv_tables(draw, names: tuple[str, ...]) -> bytes:
    """A header of 1-4 of ``names`` (or odd ones) and 0-40 rows of generated cells."""
    header = draw(st.lists(st.sampled_from(names + ("", "x", "mag", "time")), min_size=1, max_size=4))
    width = len(header)
    rows = draw(st.lists(st.lists(CELLS, min_size=width, max_size=width + 1), max_size=40))
    return _table_text(header, draw(SEPARATORS), rows)


@st.composite
def numeric_tables(draw, columns: dict[str, tuple[float, float]]) -> bytes:
    """5-60 rows of plausible numbers, column name: (low, high); in half the tables NaN, inf, blanks and -1
    sprinkled in."""
    dirty = draw(st.booleans())
    cells = []
    for low, high in columns.values():
        number = st.floats(low, high).map(repr)
        cells.append(number | st.sampled_from(["nan", "inf", "", "-1"]) if dirty else number)
    rows = draw(st.lists(st.tuples(*cells).map(list), min_size=5, max_size=60))
    return _table_text(list(columns), draw(SEPARATORS), rows)


@st.composite
def damaged(draw, good: bytes) -> bytes:
    """``good`` bytes truncated and/or with a few bytes overwritten."""
    data = bytearray(good[: draw(st.integers(0, len(good)))] if draw(st.booleans()) else good)
    for _ in range(draw(st.integers(0, 8))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def _valid_or_user_error(call, *args):
    """The result of ``call(*args)``, or None if it raised a UserError (any other exception fails the test)."""
    try:
        result = call(*args)
    except UserError as err:
        assert str(err) and "\n" not in str(err), repr(err)
        event(f"{call.__name__}: UserError")
        return None
    event(f"{call.__name__}: valid")
    return result


# ---- light curves -------------------------------------------------------------------------------------------


def _check_lightcurve(upload) -> None:
    if upload is None:
        return
    n = len(upload.time)
    assert len(upload.mag) == len(upload.mag_err) == n >= 2
    assert np.isfinite(upload.time).all() and np.isfinite(upload.mag).all()
    assert np.all(np.diff(upload.time) >= 0)
    assert np.all(np.isnan(upload.mag_err) | (upload.mag_err >= 0))


@FUZZ
@given(csv_tables(("hjd", "mjd", "t", "mag", "vmag", "err", "magerr")))
def test_lightcurve_csv_of_generated_cells(data):
    _check_lightcurve(_valid_or_user_error(uploads.read_lightcurve, data, "lc.csv"))


@FUZZ
@given(
    numeric_tables({"mjd": (-1e5, 1e5), "vmag": (-5, 35), "magerr": (0, 1)})
    | numeric_tables({"hjd": (0, 1e7), "mag": (0, 1e6), "err": (-1, 1)})
)
def test_lightcurve_csv_of_plausible_numbers(data):
    _check_lightcurve(_valid_or_user_error(uploads.read_lightcurve, data, "lc.txt"))


# ---- spectra ------------------------------------------------------------------------------------------------


def _check_spectrum(spectrum) -> None:
    if spectrum is None:
        return
    assert len(spectrum.wavelength) == len(spectrum.flux) == len(spectrum.flux_err) >= 2
    assert np.isfinite(spectrum.wavelength).all() and np.all(np.diff(spectrum.wavelength) >= 0)
    assert not np.isinf(spectrum.flux).any()
    flux, err = spectrum.on_grid()
    assert flux.shape == err.shape == WAVELENGTH_GRID.shape


def _spectrum_fits() -> bytes:
    n = 300
    hdu = fits.PrimaryHDU(np.linspace(1, 2, n).astype(np.float32))
    hdu.header.update(CRVAL1=float(WAVELENGTH_GRID[0]), CDELT1=float(np.ptp(WAVELENGTH_GRID)) / (n - 1), CRPIX1=1.0)
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


@FUZZ
@given(
    numeric_tables({"wavelength": (1000, 12000), "flux": (-1e3, 1e6), "error": (0, 10)})
    | csv_tables(("wave", "flux", "loglam", "err"))
)
def test_spectrum_csv(data):
    _check_spectrum(_valid_or_user_error(uploads.read_spectrum, data, "s.csv"))


@FUZZ
@given(damaged(_spectrum_fits()))
def test_spectrum_fits_damaged(data):
    _check_spectrum(_valid_or_user_error(uploads.read_spectrum, data, "s.fits"))


# ---- cutouts ------------------------------------------------------------------------------------------------


def _cutout_files() -> dict[str, bytes]:
    cube = np.random.default_rng(0).normal(1, 0.1, (3, 16, 16)).astype(np.float32)
    npy, fit = io.BytesIO(), io.BytesIO()
    np.save(npy, cube)
    fits.PrimaryHDU(cube).writeto(fit)
    return {"g.npy": npy.getvalue(), "g.fits": fit.getvalue()}


CUTOUTS = _cutout_files()


@FUZZ
@given(st.sampled_from(sorted(CUTOUTS)).flatmap(lambda name: st.tuples(st.just(name), damaged(CUTOUTS[name]))))
def test_cutout_damaged(named):
    name, data = named
    cutout = _valid_or_user_error(uploads.read_cutout, data, name, ("g", "r", "z"), "nanomaggy")
    if cutout is not None:
        b, h, w = cutout.pixels.shape
        assert b == 3 and h == w and np.isfinite(cutout.pixels).all()


# ---- catalogue and label tables -----------------------------------------------------------------------------

GOOD_TABLE = pd.DataFrame(
    {
        "object_id": ["G1", "G2", "G3"],
        "ra": [10.0, 11.0, 12.0],
        "dec": [-1.0, 0.0, 1.0],
        "label": ["a", None, "b"],
        "interest": [1, 5, 0],
        "g_mag": [15.0, 16.0, np.nan],
    }
)
TABLE_FILES = {f"t{suffix}": table_bytes(GOOD_TABLE, suffix) for suffix in (".csv", ".parquet", ".vot")}


def _check_catalog(frame) -> None:
    if frame is None:
        return
    result = _valid_or_user_error(catalog_objects, frame)
    if result is not None:
        objects, _ = result
        assert np.isfinite(objects["ra"]).all() and (objects["dec"].abs() <= 90).all()
        assert not objects["object_id"].duplicated().any()
        features = objects.drop(columns=["object_id", "ra", "dec", "label"]).to_numpy(np.float64)
        assert features.shape[1] >= 1 and not np.isinf(features).any()


def _check_labels(frame) -> None:
    if frame is None:
        return
    labels = _valid_or_user_error(labels_from_table, frame, "sky", {"G1", "G2", "G3"}, "ana", "fuzz")
    for label in labels or []:
        label.check()  # every label that would be stored is a valid one


@FUZZ
@given(st.sampled_from(sorted(TABLE_FILES)).flatmap(lambda name: st.tuples(st.just(name), damaged(TABLE_FILES[name]))))
def test_table_files_damaged(named):
    name, data = named
    frame = _valid_or_user_error(read_table, data, name)
    _check_catalog(frame)
    _check_labels(frame)


@FUZZ
@given(csv_tables(("object_id", "ra", "dec", "label", "interest", "note", "g_mag", "id")))
def test_table_csv_of_generated_cells(data):
    frame = _valid_or_user_error(read_table, data, "t.csv")
    _check_catalog(frame)
    _check_labels(frame)


# ---- survey light-curve formats -----------------------------------------------------------------------------


@FUZZ
@given(csv_tables(("1", "2", "3")).map(lambda text: text.replace(b",", b" ")) | damaged(b"# MACHO\n1 2 3\n4 5 6\n"))
def test_whitespace_light_curve_table(data):
    table = _valid_or_user_error(whitespace_table, data, 3, "lc.mjd")
    if table is not None:
        assert table.ndim == 2 and table.shape[1] == 3


@settings(FUZZ, max_examples=60)
@given(
    csv_tables(("MJD", "Mag", "Magerr", "RA", "Dec"))
    | numeric_tables({"MJD": (5e4, 6e4), "Mag": (-5, 30), "Magerr": (-1, 1), "RA": (0, 360), "Dec": (-100, 100)})
)
def test_catalina_csv(data):
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "in", Path(folder) / "out"
        source.mkdir()
        (source / "w_uma_1.csv").write_bytes(data)
        if _valid_or_user_error(import_survey, "catalina", out, source) is None:
            assert not (out / "dataset.json").exists()
            return
        store = VarStarStore(out)
        assert np.isfinite(store.objects[["ra", "dec"]].to_numpy(np.float64)).all()
        lightcurve = store.lightcurve_at(0)
        assert np.isfinite(lightcurve.mag).all() and np.all(np.diff(lightcurve.time) >= 0)
