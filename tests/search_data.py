"""Small artifact sets built with the shipped encoders, for the search tests (test_query, test_app_search).

Sixty simulated variable stars built with models/varstars-clip and sixty simulated galaxies built with
models/galaxies-moco, each under its own data root (so the app's picker opens it first). The sets live in
the session's base temporary folder and are built once per session: a second caller finds them built
(``build_artifacts`` skips every unchanged stage) and pays about a second.

Also the writers that turn a catalogue object back into the files a user would upload.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from astrodisc.chain.build import build_artifacts
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.sim import galaxies as galaxies_sim
from astrodisc.data.sim import varstars as varstars_sim
from astrodisc.data.varstars import VarStarStore
from astrodisc.paths import models_dir

N_OBJECTS, SEED = 60, 3
STARS, SKY = "search-stars", "search-sky"
STARS_MODEL, SKY_MODEL = "varstars-clip", "galaxies-moco"


@dataclass(frozen=True)
class RealSet:
    """One built set: ``data_root`` is what ASTRODISC_DATA points at."""

    data_root: Path
    dataset_dir: Path
    artifact_dir: Path


def real_sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[RealSet, RealSet]:
    """(variable stars, galaxies), each built once per session with its shipped encoder."""
    base = tmp_path_factory.getbasetemp() / "search-real"
    stars = _built(
        base / "stars",
        STARS,
        STARS_MODEL,
        lambda out: varstars_sim.simulate_varstars(
            varstars_sim.VarStarSimConfig(n=N_OBJECTS, seed=SEED), out, progress=False
        ),
    )
    sky = _built(
        base / "sky",
        SKY,
        SKY_MODEL,
        lambda out: galaxies_sim.simulate_galaxies(
            galaxies_sim.GalaxySimConfig(n=N_OBJECTS, seed=SEED, workers=1), out, progress=False
        ),
    )
    return stars, sky


def _built(data_root: Path, dataset: str, model: str, simulate) -> RealSet:
    dataset_dir, artifact_dir = data_root / dataset, data_root / dataset / model
    if not (dataset_dir / "dataset.json").is_file():
        simulate(dataset_dir)
    build_artifacts(dataset_dir, models_dir() / model, artifact_dir, seed=0, progress=False)
    return RealSet(data_root, dataset_dir, artifact_dir)


def lightcurve_csv(store: VarStarStore, row: int, time_column: str = "hjd") -> bytes:
    """Object ``row``'s encoder-band light curve as a CSV a user would upload (full float precision)."""
    lc = store.lightcurve_at(row).in_band(store.info.bands.index(store.info.encoder_band))
    table = pd.DataFrame({time_column: lc.time, "mag": lc.mag.astype(float), "mag_err": lc.mag_err.astype(float)})
    return table.to_csv(index=False).encode()


def spectrum_fits(store: VarStarStore, row: int) -> bytes:
    """Object ``row``'s spectrum as a FITS image of LAMOST's rows (flux, inverse variance) with a linear
    wavelength WCS [A]."""
    wavelength, flux, err = store.spectrum(str(store.objects["object_id"].iloc[row]))
    hdu = fits.PrimaryHDU(np.stack([flux, 1 / err.astype(np.float64) ** 2]))
    hdu.header.update(
        CRVAL1=float(wavelength[0]), CDELT1=float(wavelength[1] - wavelength[0]), CRPIX1=1.0, CUNIT1="Angstrom"
    )
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def cutout_npy(store: GalaxyStore, row: int) -> bytes:
    """Object ``row``'s cutout (bands, H, W) [nanomaggy] as an .npy file."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(store.cutouts[row]))
    return buffer.getvalue()


def object_with_spectrum(store: VarStarStore) -> int:
    """The first row that has a spectrum."""
    return next(i for i, oid in enumerate(store.objects["object_id"]) if store.spectrum(str(oid)) is not None)
