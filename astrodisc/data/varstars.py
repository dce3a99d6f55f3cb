"""The variable-star dataset store: one layout for simulated surveys and imported real ones.

Layout of a dataset folder::

    dataset.json              DatasetInfo (kind, classes, bands, time system, units, provenance)
    objects.parquet           one row per object: object_id, ra, dec [deg, ICRS], label (or null),
                              then the metadata columns (METADATA_COLUMNS where known)
    lightcurves/offsets.npy   int64 (N+1,): epochs of object i are rows offsets[i]:offsets[i+1]
    lightcurves/time.npy      float64: time in ``info.time_system`` [days]
    lightcurves/mag.npy       float32: magnitude [mag, ``info.mag_system``]
    lightcurves/mag_err.npy   float32: 1-sigma magnitude error [mag]
    lightcurves/band.npy      uint8: index into ``info.bands``
    spectra/flux.npy          float32 (N, n_pix) on WAVELENGTH_GRID (optional; NaN rows = no spectrum)
    spectra/flux_err.npy      float32 (N, n_pix)
    truth.parquet             hidden truth of a simulated survey: only evaluation may open it

Everything is memory-mapped and read by object id, so a survey of millions opens instantly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc.base.atomic import save_json, save_npy, save_parquet
from astrodisc.data.store import TRUTH_FILE, DatasetInfo, ObjectStore
from astrodisc.errors import UserError

CLASSES: tuple[str, ...] = ("EW", "SR", "EA", "RRAB", "EB", "ROT", "RRC", "HADS", "M", "DSCT")

CATALOG_COLUMNS: tuple[str, ...] = (
    "mean_vmag",
    "phot_g_mean_mag",
    "e_phot_g_mean_mag",
    "phot_bp_mean_mag",
    "e_phot_bp_mean_mag",
    "phot_rp_mean_mag",
    "e_phot_rp_mean_mag",
    "bp_rp",
    "parallax",
    "parallax_error",
    "parallax_over_error",
    "pmra",
    "pmra_error",
    "pmdec",
    "pmdec_error",
    "j_mag",
    "e_j_mag",
    "h_mag",
    "e_h_mag",
    "k_mag",
    "e_k_mag",
    "w1_mag",
    "e_w1_mag",
    "w2_mag",
    "e_w2_mag",
    "w3_mag",
    "w4_mag",
    "j_k",
    "w1_w2",
    "w3_w4",
    "pm",
    "ruwe",
    "l",
    "b",
)
VARIABILITY_COLUMNS: tuple[str, ...] = ("amplitude", "period", "lksl_statistic", "rfr_score")
METADATA_COLUMNS: tuple[str, ...] = CATALOG_COLUMNS + VARIABILITY_COLUMNS

# LAMOST-like low-resolution grid of the AstroM3 preprocessing: 3850-9000 Angstrom in 2 Angstrom steps.
WAVELENGTH_GRID: np.ndarray = np.arange(3850.0, 9000.0 + 1e-9, 2.0)  # (2576,) Angstrom, air


@dataclass(frozen=True)
class LightCurve:
    """One object's photometry: arrays of equal length, sorted by time."""

    time: np.ndarray  # days, in the dataset's time system
    mag: np.ndarray  # mag
    mag_err: np.ndarray  # mag
    band: np.ndarray  # uint8 index into DatasetInfo.bands

    def in_band(self, band_index: int) -> LightCurve:
        keep = self.band == band_index
        return LightCurve(self.time[keep], self.mag[keep], self.mag_err[keep], self.band[keep])


class VarStarStore(ObjectStore):
    """Read-only, lazy access to a variable-star dataset folder."""

    kind, kind_name = "varstars", "variable stars"

    def _lc(self, name: str) -> np.ndarray:
        return np.load(self.root / "lightcurves" / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    @cached_property
    def _lc_arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(self._lc(n) for n in ("offsets", "time", "mag", "mag_err", "band"))

    def lightcurve_at(self, row: int) -> LightCurve:
        offsets, time, mag, err, band = self._lc_arrays
        lo, hi = int(offsets[row]), int(offsets[row + 1])
        return LightCurve(
            np.asarray(time[lo:hi]), np.asarray(mag[lo:hi]), np.asarray(err[lo:hi]), np.asarray(band[lo:hi])
        )

    def lightcurve(self, object_id: str) -> LightCurve:
        return self.lightcurve_at(self._row(object_id))

    @property
    def has_spectra(self) -> bool:
        return (self.root / "spectra" / "flux.npy").is_file()

    @cached_property
    def spectra_flux(self) -> np.ndarray:
        """(N, len(WAVELENGTH_GRID)) float32 memmap; NaN rows are objects without a spectrum."""
        return np.load(self.root / "spectra" / "flux.npy", mmap_mode="r", allow_pickle=False)

    @cached_property
    def spectra_err(self) -> np.ndarray:
        return np.load(self.root / "spectra" / "flux_err.npy", mmap_mode="r", allow_pickle=False)

    def spectrum(self, object_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(wavelength [A], flux, flux_err) of one object, or None without a spectrum."""
        if not self.has_spectra:
            return None
        row = self._row(object_id)
        flux = np.asarray(self.spectra_flux[row])
        if not np.isfinite(flux).any():
            return None
        return WAVELENGTH_GRID, flux, np.asarray(self.spectra_err[row])


def write_store(
    root: Path,
    info: DatasetInfo,
    objects: pd.DataFrame,
    lightcurves: list[LightCurve],
    spectra: tuple[np.ndarray, np.ndarray] | None = None,
    truth: pd.DataFrame | None = None,
) -> None:
    """Write a dataset folder atomically file by file (dataset.json last, so a half-written store never opens).

    ``objects`` row i describes ``lightcurves[i]`` and row i of ``spectra`` (flux, flux_err on WAVELENGTH_GRID).
    """
    root = Path(root)
    if len(objects) != len(lightcurves):
        raise ValueError("objects and lightcurves differ in length")
    if not objects["object_id"].astype(str).is_unique:
        raise UserError("object ids are not unique")
    lengths = np.array([len(lc.time) for lc in lightcurves], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])

    def cat(attr, dtype):
        return (
            np.concatenate([getattr(lc, attr) for lc in lightcurves]).astype(dtype)
            if lightcurves
            else np.zeros(0, dtype)
        )

    save_npy(root / "lightcurves" / "offsets.npy", offsets)
    save_npy(root / "lightcurves" / "time.npy", cat("time", np.float64))
    save_npy(root / "lightcurves" / "mag.npy", cat("mag", np.float32))
    save_npy(root / "lightcurves" / "mag_err.npy", cat("mag_err", np.float32))
    save_npy(root / "lightcurves" / "band.npy", cat("band", np.uint8))
    if spectra is not None:
        flux, err = spectra
        if flux.shape != (len(objects), len(WAVELENGTH_GRID)):
            raise ValueError(f"spectra must be (N, {len(WAVELENGTH_GRID)}), got {flux.shape}")
        save_npy(root / "spectra" / "flux.npy", flux.astype(np.float32))
        save_npy(root / "spectra" / "flux_err.npy", err.astype(np.float32))
    objects = objects.copy()
    objects["object_id"] = objects["object_id"].astype(str)
    save_parquet(root / "objects.parquet", objects)
    if truth is not None:
        save_parquet(root / TRUTH_FILE, truth)
    save_json(root / "dataset.json", asdict(info))
