"""The galaxy-cutout dataset store: one layout for simulated skies and imported real cutouts.

Layout of a dataset folder::

    dataset.json          DatasetInfo(kind="galaxies"); ``extra`` holds GalaxyImaging as a dict
    objects.parquet       one row per object: object_id, ra, dec [deg, ICRS], label (or null),
                          z_spec (or null), e_bv [mag], mag_<band> [AB], sky_sigma_<band> [flux/pixel],
                          psf_fwhm_<band> [arcsec] where known
    images/cutouts.npy    (N, B, S, S) cutouts, band-major; float32 fluxes in nanomaggies
                          (AB zero point 22.5: mag = 22.5 - 2.5 log10 flux) for ``pixel_unit == "nanomaggy"``,
                          or uint8 colour composites (B = 3: R, G, B) for ``pixel_unit == "rgb8"``
    truth.parquet         hidden truth of a simulated sky: only evaluation may open it

The cutout array is memory-mapped and rows are read by object id, so a sky of millions opens instantly.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.lib.format import open_memmap

from astrodisc.base.atomic import save_json, save_parquet
from astrodisc.data.store import TRUTH_FILE, DatasetInfo, ObjectStore
from astrodisc.errors import UserError

MORPHOLOGIES: tuple[str, ...] = ("elliptical", "spiral", "edge_on", "irregular", "merger")
# A_band / E(B-V) of the DECam bands (Schlafly & Finkbeiner 2011, as used by the Legacy Surveys).
DECAM_EXTINCTION: dict[str, float] = {"g": 3.214, "r": 2.165, "i": 1.592, "z": 1.211, "Y": 1.064}
CUTOUTS = Path("images") / "cutouts.npy"
MIN_CUTOUT_PX = 16  # shortest side of a cutout [px]: a smaller picture cannot hold a resolved galaxy
DUPLICATE_RADIUS_ARCSEC = 2.0  # two catalogue entries closer than this on the sky are one galaxy


@dataclass(frozen=True)
class GalaxyImaging:
    """How the cutouts were taken: stored in ``DatasetInfo.extra``."""

    pixel_scale_arcsec: float | None = 0.262  # DECaLS; None: unknown or per object (pictures framed by extent)
    pixel_unit: str = "nanomaggy"  # or "rgb8" for 8-bit colour composites (no fluxes: no noise/reddening aug.)
    zero_point: float = 22.5  # AB mag of a flux of 1 pixel_unit (nanomaggy convention)
    extinction_coeff: tuple[float, ...] = tuple(DECAM_EXTINCTION[b] for b in "grz")  # A_band / E(B-V) per band

    @property
    def is_flux(self) -> bool:
        return self.pixel_unit == "nanomaggy"


class GalaxyStore(ObjectStore):
    """Read-only, lazy access to a galaxy dataset folder."""

    kind, kind_name = "galaxies", "galaxies"

    def __init__(self, root: Path):
        super().__init__(root)
        imaging = dict(self.info.extra.get("imaging", {}))
        if "extinction_coeff" in imaging:
            imaging["extinction_coeff"] = tuple(imaging["extinction_coeff"])
        self.imaging = GalaxyImaging(**imaging)

    @cached_property
    def cutouts(self) -> np.ndarray:
        """(N, B, S, S) memmap of every cutout (see the module docstring for units)."""
        return np.load(self.root / CUTOUTS, mmap_mode="r", allow_pickle=False)

    @property
    def stamp_px(self) -> int:
        return int(self.cutouts.shape[-1])

    def image(self, object_id: str) -> np.ndarray:
        """(B, S, S) cutout of one object, in the store's pixel unit."""
        return np.asarray(self.cutouts[self._row(object_id)])

    def psf_and_sky(self) -> tuple[np.ndarray, np.ndarray] | None:
        """((N, 3) PSF FWHM [arcsec], (N, 3) sky sigma [flux per pixel]) of 3-band flux cutouts whose catalogue
        gives both (missing values NaN); None for other stores (what full-resolution arc measurements need)."""
        psf = [f"psf_fwhm_{b}" for b in self.info.bands]
        sky = [f"sky_sigma_{b}" for b in self.info.bands]
        if not self.imaging.is_flux or len(self.info.bands) != 3 or not set(psf + sky) <= set(self.objects.columns):
            return None
        return self.objects[psf].to_numpy(float), self.objects[sky].to_numpy(float)

    def sky_sigma(self) -> np.ndarray:
        """(N, B) per-pixel sky noise [pixel unit]; zeros for composites, whose noise is not known."""
        columns = [f"sky_sigma_{b}" for b in self.info.bands]
        if not self.imaging.is_flux or not set(columns) <= set(self.objects.columns):
            return np.zeros((len(self), len(self.info.bands)), np.float32)
        return self.objects[columns].to_numpy(np.float32, copy=True)


class CutoutWriter:
    """Writes (N, B, S, S) cutouts chunk by chunk into a temporary memmap, renamed into place on ``close``."""

    def __init__(self, root: Path, n: int, bands: int, stamp_px: int, dtype: type = np.float32):
        self.path = Path(root) / CUTOUTS
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.partial")
        self.array = open_memmap(self.tmp, mode="w+", dtype=dtype, shape=(n, bands, stamp_px, stamp_px))

    def write(self, start: int, chunk: np.ndarray) -> None:
        self.array[start : start + len(chunk)] = chunk

    def close(self) -> None:
        self.array.flush()  # msync: the pages are on disk before the rename makes them visible
        del self.array
        os.chmod(self.tmp, 0o644)
        os.replace(self.tmp, self.path)


def finish_galaxy_store(
    root: Path, info: DatasetInfo, imaging: GalaxyImaging, objects: pd.DataFrame, truth: pd.DataFrame | None = None
) -> None:
    """Write the tables of a galaxy store whose cutouts a CutoutWriter already wrote (dataset.json last)."""
    root = Path(root)
    cutouts = np.load(root / CUTOUTS, mmap_mode="r", allow_pickle=False)
    if len(cutouts) != len(objects):
        raise ValueError(f"{len(cutouts)} cutouts for {len(objects)} objects")
    if not objects["object_id"].astype(str).is_unique:
        raise UserError("object ids are not unique")
    objects = objects.copy()
    objects["object_id"] = objects["object_id"].astype(str)
    save_parquet(root / "objects.parquet", objects)
    if truth is not None:
        save_parquet(root / TRUTH_FILE, truth)
    save_json(root / "dataset.json", asdict(info) | {"extra": {**info.extra, "imaging": asdict(imaging)}})
