"""The AstroM³ release (Rizhko & Bloom 2024, arXiv:2411.08842) from a local copy into the variable-star store.

21,440 ASAS-SN variable stars in 10 classes, each with a V-band light curve, a LAMOST low-resolution spectrum
and 38 catalogue columns. Either layout of the release is read, for one label subset (full, sub50, sub25,
sub10) and split seed (42, 0, 66, 12, 123); the object table gets a ``split`` column (train / val / test).

Raw layout (``AstroM3Dataset``)::

    photometry.zip     vardb_files/<asassn_name without spaces>.dat: two header lines,
                       then HJD MAG MAG_ERR FLUX FLUX_ERR
    spectra/<split>/<CLASS>/<spec_filename>.fits   LAMOST LRS, either HDU form (read by uploads.read_spectrum)
    splits/<subset>/<seed>/{train,val,test}.csv + info.json (``classes``: the class names)

Processed layout (Parquet)::

    <subset>_<seed>/{train,validation,test}[/*.parquet | -*.parquet | .parquet]
    columns: photometry (N, 3: time, flux, flux_err), spectra (M, 3: wavelength, flux, flux_err),
             metadata {meta_cols: {name: value}, photo_cols: {name: value}}, label (class name)

Decisions:

* Classes are mapped by name, never by integer id (the release's ids come from sorting the names).
* Raw light curves keep the survey's magnitudes (ASAS-SN V, calibrated on APASS: Vega); epochs with a
  magnitude or error of 90 or more (ASAS-SN's non-detection marker 99.99) are dropped.
* Processed light curves are fluxes in mJy; they are stored as AB magnitudes
  V = -2.5 log10(F / 1000 mJy) + 8.9 with error 2.5 / ln 10 · σF / F (V_AB − V_Vega ≈ 0.02 mag, below
  ASAS-SN's calibration scatter); epochs with F ≤ 0 have no magnitude and are dropped (counted in
  ``extra["dropped_epochs"]``). A normalised config (``_norm``, median flux ≤ 0) is refused.
* The processed layout carries no star names: ``object_id`` is ``asassn_name`` if a column gives it, else
  ``lc-`` + the first 12 hex digits of the SHA-1 of the light curve, the same star in every config.
* ra/dec [deg, ICRS] come from ``ra``/``dec`` columns if present, else from Galactic ``l``, ``b``.
* Processed spectra are interpolated onto WAVELENGTH_GRID as given (no header says air or vacuum).

Pre-training and fine-tuning must use the same subset seed, or test stars leak into pre-training: the
``split`` column records it, and ``astrodisc train`` and ``evaluate`` honour it (astrodisc/learn/splits.py):
pre-training sees only the train rows (validating on val), the evaluation uses this one split.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.coordinates import SkyCoord
from numpy.typing import ArrayLike
from tqdm import tqdm

from astrodisc.base.csv_files import read_csv_file
from astrodisc.base.staging import staged_dataset
from astrodisc.data.io.uploads import SpectrumUpload, read_spectrum
from astrodisc.data.io.varstars import (
    ImportedSample,
    check_member_size,
    clean_lightcurve,
    object_table,
    whitespace_table,
)
from astrodisc.data.store import DatasetInfo
from astrodisc.data.varstars import CLASSES, METADATA_COLUMNS, WAVELENGTH_GRID, LightCurve, write_store
from astrodisc.errors import UserError

SUBSETS: tuple[str, ...] = ("full", "sub50", "sub25", "sub10")
SEEDS: tuple[int, ...] = (42, 0, 66, 12, 123)
SPLITS: tuple[str, ...] = ("train", "val", "test")
PROCESSED_SPLITS: dict[str, str] = {"train": "train", "validation": "val", "test": "test"}  # release: store
LC_PREFIX = "vardb_files"
MAG_MISSING = 90.0  # ASAS-SN marks a non-detection 99.99 [mag]
AB_ZERO_POINT_MJY = 1000.0 * 10 ** (8.9 / 2.5)  # flux of AB magnitude 0 [mJy] (3631 Jy)
SOURCE = "AstroM3, Rizhko & Bloom 2024, arXiv:2411.08842 (ASAS-SN V light curves, LAMOST LRS spectra, Gaia/2MASS/WISE)"


@dataclass(frozen=True)
class AstroM3Selection:
    """Which part of the release to import: a label subset and the seed of its 80/10/10 split."""

    subset: str = "full"
    seed: int = 42

    def __post_init__(self) -> None:
        if self.subset not in SUBSETS:
            raise UserError(f"unknown AstroM3 subset {self.subset!r}: choose one of {', '.join(SUBSETS)}")
        if self.seed not in SEEDS:
            raise UserError(f"unknown AstroM3 seed {self.seed}: choose one of {', '.join(map(str, SEEDS))}")

    @property
    def config(self) -> str:
        return f"{self.subset}_{self.seed}"


def import_astrom3(
    source: Path, out_dir: Path, selection: AstroM3Selection, progress: bool = True, force: bool = False
) -> Path:
    """Read the raw or processed AstroM³ release at ``source`` for ``selection`` and write a store at ``out_dir``,
    whole or not at all, replacing a dataset there only with ``force`` (:mod:`astrodisc.base.staging`)."""
    source = Path(source)
    with staged_dataset(Path(out_dir), force) as work:
        if (source / "splits").is_dir():
            sample, spectra = read_raw(source, selection, progress)
        elif (source / selection.config).is_dir():
            sample, spectra = read_processed(source, selection, progress)
        else:
            raise UserError(
                f"{source} is not an AstroM3 copy: expected splits/ (raw release) or "
                f"{selection.config}/ (processed Parquet release)"
            )
        write_store(work, sample.info, sample.objects, sample.lightcurves, spectra)
    return Path(out_dir)


# --------------------------------------------------------------------------------------------- raw layout


def read_raw(
    source: Path, selection: AstroM3Selection, progress: bool = True
) -> tuple[ImportedSample, tuple[np.ndarray, np.ndarray]]:
    """The raw release: (sample, (flux, flux_err) (N, len(WAVELENGTH_GRID)) with NaN rows for missing spectra)."""
    folder = source / "splits" / selection.subset / str(selection.seed)
    info_path = folder / "info.json"
    if not info_path.is_file():
        raise UserError(f"AstroM3 split info not found: {info_path}")
    try:
        classes = _classes(json.loads(info_path.read_text()), info_path.name)
    except json.JSONDecodeError as err:
        raise UserError(f"{info_path} is not valid JSON ({err.msg})") from None
    table = pd.concat([_split_csv(folder / f"{split}.csv").assign(split=split) for split in SPLITS], ignore_index=True)
    fits_files = {p.name: p for p in (source / "spectra").rglob("*.fits")}
    photometry = source / "photometry.zip"
    if not photometry.is_file():
        raise UserError(f"AstroM3 light curves not found: {photometry}")
    lightcurves, spectra = [], np.full((2, len(table), len(WAVELENGTH_GRID)), np.nan, np.float32)
    try:
        archive = zipfile.ZipFile(photometry)
    except (zipfile.BadZipFile, OSError) as err:
        raise UserError(f"{photometry} is not a readable zip archive ({type(err).__name__})") from None
    with archive:
        for i, row in enumerate(
            tqdm(table.itertuples(), total=len(table), desc="import AstroM3", disable=not progress, mininterval=2)
        ):
            lightcurves.append(_raw_lightcurve(archive, str(row.asassn_name)))
            spectrum = fits_files.get(_fits_name(str(row.spec_filename)))
            if spectrum is not None:
                spectra[:, i] = read_spectrum(spectrum.read_bytes(), spectrum.name).on_grid()
    metadata = {c: table[c].to_numpy(np.float64) for c in METADATA_COLUMNS if c in table.columns}
    objects = object_table(
        table["asassn_name"].astype(str).tolist(),
        *_radec(table),
        table["target"].astype(str).tolist(),
        classes,
        edr3_source_id=table["edr3_source_id"].to_numpy(np.int64),
        spec_filename=table["spec_filename"].astype(str).to_numpy(),
        **metadata,
    )
    objects["split"] = pd.array(table["split"], dtype="string")
    info = _info(selection, classes, "raw", "Vega (ASAS-SN V, calibrated on APASS)")
    return ImportedSample(info, objects, lightcurves), (spectra[0], spectra[1])


def _classes(info: dict, name: str) -> dict[str, str]:
    """{release class name: store class} for the classes info.json lists; names the store lacks are refused."""
    names = info.get("classes") if isinstance(info, dict) else None
    if not isinstance(names, list) or not names:
        raise UserError(f"{name} lists no classes (expected a 'classes' list of names)")
    unknown = sorted(set(map(str, names)) - set(CLASSES))
    if unknown:
        raise UserError(f"{name} lists classes {unknown} unknown to astrodisc (known: {', '.join(CLASSES)})")
    return {str(c): str(c) for c in names}


def _split_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise UserError(f"AstroM3 split file not found: {path}")
    table = read_csv_file(path, "AstroM3 split file")
    missing = [c for c in ("asassn_name", "edr3_source_id", "target", "spec_filename") if c not in table.columns]
    if missing:
        raise UserError(f"{path} lacks columns {', '.join(missing)}")
    return table


def _raw_lightcurve(archive: zipfile.ZipFile, asassn_name: str) -> LightCurve:
    """One star's V light curve from photometry.zip: HJD [d], MAG [mag], MAG_ERR [mag] (fluxes unused)."""
    member = f"{LC_PREFIX}/{asassn_name.replace(' ', '')}.dat"
    try:
        check_member_size(archive.getinfo(member).file_size, member, Path(archive.filename or "photometry.zip"))
        data = archive.read(member)
    except KeyError:
        raise UserError(f"photometry.zip has no light curve {member}") from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
        raise UserError(f"photometry.zip: {member} is damaged ({type(err).__name__})") from None
    body = b"\n".join(data.splitlines()[2:])  # two header lines
    table = whitespace_table(body, 5, member)
    return clean_lightcurve(
        [(table[:, 0], table[:, 1], table[:, 2])],
        lambda mag, err: (mag < MAG_MISSING) & (err >= 0) & (err < MAG_MISSING),
    )


def _fits_name(spec_filename: str) -> str:
    name = Path(spec_filename).name
    return name if name.endswith(".fits") else f"{name}.fits"


# --------------------------------------------------------------------------------------------- processed layout


def read_processed(
    source: Path, selection: AstroM3Selection, progress: bool = True
) -> tuple[ImportedSample, tuple[np.ndarray, np.ndarray]]:
    """The processed Parquet release (see the module docstring for the flux → magnitude conversion)."""
    folder = source / selection.config
    table = pd.concat(
        [_parquet_split(folder, split).assign(split=ours) for split, ours in PROCESSED_SPLITS.items()],
        ignore_index=True,
    )
    missing = [c for c in ("photometry", "spectra", "metadata", "label") if c not in table.columns]
    if missing:
        raise UserError(f"{folder} lacks columns {', '.join(missing)}")
    ids, lightcurves, dropped = [], [], 0
    spectra = np.full((2, len(table), len(WAVELENGTH_GRID)), np.nan, np.float32)
    for i, row in enumerate(
        tqdm(table.itertuples(), total=len(table), desc="import AstroM3", disable=not progress, mininterval=2)
    ):
        photometry = _rows(row.photometry, f"{selection.config} row {i} photometry")
        ids.append(str(getattr(row, "asassn_name", "")) or f"lc-{hashlib.sha1(photometry.tobytes()).hexdigest()[:12]}")
        lightcurve, lost = _flux_lightcurve(photometry, ids[-1])
        lightcurves.append(lightcurve)
        dropped += lost
        spectrum = _rows(row.spectra, f"{selection.config} row {i} spectra")
        if len(spectrum):
            order = np.argsort(spectrum[:, 0])
            wavelength, flux, flux_err = spectrum[order].T
            spectra[:, i] = SpectrumUpload(ids[-1], wavelength, flux, flux_err, flux_unit="").on_grid()
    metadata = pd.DataFrame(
        [{**dict(m.get("meta_cols") or {}), **dict(m.get("photo_cols") or {})} for m in table["metadata"]]
    )
    classes = {c: c for c in CLASSES}
    objects = object_table(
        ids,
        *_radec(metadata),
        table["label"].astype(str).tolist(),
        classes,
        **{c: metadata[c].to_numpy(np.float64) for c in METADATA_COLUMNS if c in metadata.columns},
    )
    objects["split"] = pd.array(table["split"], dtype="string")
    info = _info(
        selection,
        {c: c for c in CLASSES if c in set(objects["label"].dropna())},
        "processed",
        "AB (from ASAS-SN flux: V = -2.5 log10(F / 1000 mJy) + 8.9)",
        dropped_epochs=dropped,
    )
    return ImportedSample(info, objects, lightcurves), (spectra[0], spectra[1])


def _parquet_split(folder: Path, split: str) -> pd.DataFrame:
    files = (
        sorted(folder.glob(f"{split}/*.parquet"))
        + sorted(folder.glob(f"{split}-*.parquet"))
        + sorted(folder.glob(f"{split}.parquet"))
    )
    if not files:
        raise UserError(f"no {split} Parquet files in {folder}")
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def _rows(cell: Iterable[ArrayLike] | None, name: str) -> np.ndarray:
    """A Parquet list-of-triples cell as a float64 (n, 3) array."""
    rows = [np.asarray(r, dtype=np.float64) for r in (cell if cell is not None else [])]
    array = np.stack(rows) if rows else np.zeros((0, 3))
    if array.ndim != 2 or array.shape[1] != 3:
        raise UserError(f"{name} has shape {array.shape}, expected (n, 3)")
    return array


def _flux_lightcurve(photometry: np.ndarray, name: str) -> tuple[LightCurve, int]:
    """(light curve in AB mag, epochs dropped for F ≤ 0) from (n, 3) time [d], flux [mJy], flux_err [mJy]."""
    time, flux, err = photometry.T
    if len(flux) and np.nanmedian(flux) <= 0:
        raise UserError(
            f"{name}: median flux {np.nanmedian(flux):.3g} is not a flux in mJy (a normalised "
            f"'_norm' config?); import the un-normalised config"
        )
    positive = flux > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(positive, -2.5 * np.log10(flux / AB_ZERO_POINT_MJY), np.nan)
        mag_err = 2.5 / np.log(10) * err / flux
    return clean_lightcurve([(time, mag, mag_err)], lambda m, e: e >= 0), int((~positive).sum())


# --------------------------------------------------------------------------------------------- shared


def _radec(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(ra, dec) (N,) [deg, ICRS] from ra/dec columns, else from Galactic l, b [deg]; NaN where unknown."""
    if {"ra", "dec"} <= set(table.columns):
        return table["ra"].to_numpy(np.float64), table["dec"].to_numpy(np.float64)
    ra, dec = np.full(len(table), np.nan), np.full(len(table), np.nan)
    if {"l", "b"} <= set(table.columns):
        lon, lat = table["l"].to_numpy(np.float64), table["b"].to_numpy(np.float64)
        known = np.isfinite(lon) & np.isfinite(lat)
        icrs = SkyCoord(l=lon[known], b=lat[known], unit="deg", frame="galactic").icrs
        ra[known], dec[known] = icrs.ra.deg, icrs.dec.deg
    return ra, dec


def _info(
    selection: AstroM3Selection, classes: dict[str, str], layout: str, mag_system: str, **extra: object
) -> DatasetInfo:
    return DatasetInfo(
        name=f"astrom3-{selection.config}",
        classes=tuple(c for c in CLASSES if c in classes),
        mag_system=mag_system,
        seed=selection.seed,
        source=SOURCE,
        extra={"subset": selection.subset, "split_seed": selection.seed, "layout": layout, **extra},
    )
