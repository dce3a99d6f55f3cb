"""Model inputs from a dataset store: fixed-size arrays for the three modalities.

Light curves (after AstroM3's preprocessing, plus a folded view): the encoder band, sorted, magnitudes
centred on the median and divided by the scaled MAD; up to ``SEQ_LEN`` epochs (centre crop) as
(time scaled to [0, 1], normalised mag, normalised error) with a mask; the curve folded at its
Lomb-Scargle period and at twice it, binned into ``FOLD_BINS`` phase bins; and auxiliary scalars
(log MAD, log span, log epochs, log period, periodogram power) that normalisation would otherwise erase.
Spectra: flux on the store grid, binned by 2 (1,288 pixels of 4 A), divided by the median |flux|;
channels (flux, error); NaN -> 0. Metadata: the 38 columns, period in log10, standardised with
training statistics, missing values -> 0 with a missingness indicator per column.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc.base.atomic import save_npy
from astrodisc.data.lc_features import FEATURE_NAMES, features, store_features
from astrodisc.data.varstars import METADATA_COLUMNS, WAVELENGTH_GRID, LightCurve, VarStarStore
from astrodisc.errors import UserError

SEQ_LEN = 200
FOLD_BINS = 64
SPEC_BIN = 2
INPUT_VERSION = "v1"
LOG_COLUMNS = ("period",)
ARRAY_NAMES = ("seq", "mask", "fold", "aux", "spec", "has_spec")  # the cached arrays of ModelInputs
_LOG_PERIOD, _LS_POWER = FEATURE_NAMES.index("log_period"), FEATURE_NAMES.index("ls_power")


@dataclass
class ModelInputs:
    """Arrays for N objects. Shapes: seq (N, SEQ_LEN, 3), mask (N, SEQ_LEN) bool, fold (N, 2, FOLD_BINS),
    aux (N, 5), spec (N, 2, n_pix), has_spec (N,) bool, meta_raw (N, 38) with NaN for missing."""

    seq: np.ndarray
    mask: np.ndarray
    fold: np.ndarray
    aux: np.ndarray
    spec: np.ndarray
    has_spec: np.ndarray
    meta_raw: np.ndarray

    def __len__(self) -> int:
        return len(self.seq)


def lightcurve_arrays(
    time: np.ndarray, mag: np.ndarray, err: np.ndarray, log_period: float, ls_power: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(seq (SEQ_LEN, 3), mask (SEQ_LEN,), fold (2, FOLD_BINS), aux (5,)) for one light curve."""
    ok = np.isfinite(time) & np.isfinite(mag)
    if ok.sum() < 3:
        raise UserError("light curve has fewer than 3 finite epochs")
    order = np.argsort(time[ok])
    t, m = time[ok][order], mag[ok][order].astype(np.float64)
    e = np.nan_to_num(err[ok][order].astype(np.float64), nan=0.05, posinf=0.05)
    med = np.median(m)
    scale = 1.4826 * np.median(np.abs(m - med)) + 1e-3
    mn, en = (m - med) / scale, e / scale
    span = max(t[-1] - t[0], 1e-3)
    seq = np.zeros((SEQ_LEN, 3), np.float32)
    mask = np.zeros(SEQ_LEN, bool)
    start = max(0, (len(t) - SEQ_LEN) // 2)
    idx = slice(start, start + SEQ_LEN)
    k = len(t[idx])
    seq[:k] = np.column_stack([(t[idx] - t[0]) / span, mn[idx], en[idx]])
    mask[:k] = True
    period = 10**log_period if np.isfinite(log_period) else span
    fold = np.stack([_binned_fold(t, mn, period * f) for f in (1, 2)]).astype(np.float32)
    aux = np.array(
        [
            np.log10(scale),
            np.log10(span / 365.25),
            np.log10(len(t)),
            log_period if np.isfinite(log_period) else 0.0,
            ls_power if np.isfinite(ls_power) else 0.0,
        ],
        np.float32,
    )
    return np.clip(seq, -20, 20), mask, np.clip(fold, -20, 20), aux


def _binned_fold(t: np.ndarray, m: np.ndarray, period: float) -> np.ndarray:
    """Mean normalised mag in FOLD_BINS phase bins, phase 0 at the brightest bin; empty bins interpolated."""
    phase = (t / period) % 1.0
    b = np.minimum((phase * FOLD_BINS).astype(int), FOLD_BINS - 1)
    sums = np.bincount(b, m, FOLD_BINS)
    counts = np.bincount(b, minlength=FOLD_BINS)
    filled = counts > 0
    centres = (np.arange(FOLD_BINS) + 0.5) / FOLD_BINS
    curve = np.interp(centres, centres[filled], sums[filled] / counts[filled], period=1.0)
    return np.roll(curve, -int(np.argmin(curve)))


def spectrum_arrays(flux: np.ndarray, err: np.ndarray) -> tuple[np.ndarray, bool]:
    """((2, n_pix // SPEC_BIN) float32, has_spectrum) for one spectrum on the store grid."""
    n = len(flux) // SPEC_BIN * SPEC_BIN
    if not np.isfinite(flux[:n]).any():
        return np.zeros((2, n // SPEC_BIN), np.float32), False
    with warnings.catch_warnings():  # bins whose pixels are all NaN stay NaN, then become 0 below
        warnings.simplefilter("ignore", RuntimeWarning)
        f = np.nanmean(flux[:n].reshape(-1, SPEC_BIN), axis=1)
        e = np.sqrt(np.nanmean(err[:n].reshape(-1, SPEC_BIN) ** 2, axis=1)) / np.sqrt(SPEC_BIN)
    scale = np.nanmedian(np.abs(f)) + 1e-12
    out = np.stack([np.nan_to_num(f / scale), np.nan_to_num(e / scale)]).astype(np.float32)
    return np.clip(out, -50, 50), True


def metadata_raw(store: VarStarStore) -> np.ndarray:
    """(N, 38) float64 metadata in METADATA_COLUMNS order (NaN where missing or not in the dataset)."""
    return metadata_matrix(store.objects)


def metadata_matrix(objects: pd.DataFrame) -> np.ndarray:
    """(N, 38) float64 metadata of an object table in METADATA_COLUMNS order (NaN where missing or absent),
    the columns in LOG_COLUMNS as log10."""
    cols = []
    for name in METADATA_COLUMNS:
        values = objects[name].to_numpy(float) if name in objects else np.full(len(objects), np.nan)
        if name in LOG_COLUMNS:
            values = np.log10(np.where(values > 0, values, np.nan))
        cols.append(values)
    return np.column_stack(cols)


@dataclass(frozen=True)
class MetadataScaler:
    """Standardisation of the metadata columns (fitted on training data, stored with the model)."""

    mean: np.ndarray  # (38,)
    std: np.ndarray  # (38,)

    @classmethod
    def fit(cls, raw: np.ndarray) -> MetadataScaler:
        mean = np.nan_to_num(np.nanmean(raw, axis=0))
        std = np.nan_to_num(np.nanstd(raw, axis=0), nan=1.0)
        return cls(mean, np.where(std > 0, std, 1.0))

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """(N, 76) float32: standardised values (0 where missing), then missingness indicators."""
        missing = ~np.isfinite(raw)
        z = np.clip(np.nan_to_num((raw - self.mean) / self.std), -10, 10)
        return np.hstack([z, missing]).astype(np.float32)


def _cache_dir(store: VarStarStore) -> Path:
    digest = hashlib.sha1((INPUT_VERSION + ",".join(FEATURE_NAMES)).encode()).hexdigest()[:10]
    return store.root / "cache" / f"inputs-{digest}"


def cached_lc_features(store: VarStarStore, progress: bool = True) -> np.ndarray:
    """Classical features of every light curve (N, len(FEATURE_NAMES)), computed once per store."""
    path = _cache_dir(store) / "lc_features.npy"
    if path.is_file():
        return np.load(path)
    feats = store_features(store, progress=progress)
    save_npy(path, feats)
    return feats


def model_inputs(store: VarStarStore, progress: bool = True) -> ModelInputs:
    """All model inputs of a store (cached beside it: the period search runs once per dataset)."""
    cache = _cache_dir(store)
    if all((cache / f"{n}.npy").is_file() for n in ARRAY_NAMES):
        arrays = {n: np.load(cache / f"{n}.npy") for n in ARRAY_NAMES}
        return ModelInputs(**arrays, meta_raw=metadata_raw(store))
    feats = cached_lc_features(store, progress)
    band = store.info.bands.index(store.info.encoder_band)
    n_pix = (len(store.spectra_flux[0]) // SPEC_BIN) if store.has_spectra else 1
    inputs = _empty_inputs(len(store), n_pix)
    for i in range(len(store)):
        lc = store.lightcurve_at(i).in_band(band)
        if np.isfinite(lc.mag).sum() >= 3:
            _put_lightcurve(inputs, i, lc, feats[i])
        if store.has_spectra:
            _put_spectrum(inputs, i, np.asarray(store.spectra_flux[i]), np.asarray(store.spectra_err[i]))
    for name in ARRAY_NAMES:
        save_npy(cache / f"{name}.npy", getattr(inputs, name))
    inputs.meta_raw = metadata_raw(store)
    return inputs


def object_inputs(
    lightcurve: LightCurve | None = None,
    spectrum: tuple[np.ndarray, np.ndarray] | None = None,
    meta_raw: np.ndarray | None = None,
) -> ModelInputs:
    """Model inputs (N = 1) of one object given as arrays rather than a store row, e.g. a user's upload.

    ``lightcurve``: one band, the encoder's (time [days], mag [mag], mag_err [mag]; at least
    ``lc_features.MIN_EPOCHS`` finite epochs), its period found by the same Lomb-Scargle features as a store's;
    ``spectrum``: (flux, flux_err) on ``WAVELENGTH_GRID`` (2576 pixels of 2 A; NaN where not covered);
    ``meta_raw``: (38,) in METADATA_COLUMNS order, NaN where missing. A modality left out is absent, as for a
    store object without it (zeros; ``has_spec`` False; every metadata value missing).
    """
    inputs = _empty_inputs(1, len(WAVELENGTH_GRID) // SPEC_BIN)
    if lightcurve is not None:
        _put_lightcurve(inputs, 0, lightcurve, features(lightcurve))
    if spectrum is not None:
        _put_spectrum(inputs, 0, *spectrum)
    if meta_raw is not None:
        inputs.meta_raw[0] = meta_raw
    return inputs


def _empty_inputs(n: int, n_pix: int) -> ModelInputs:
    """Inputs of ``n`` objects with no light curve, no spectrum (``n_pix`` binned pixels) and no metadata."""
    return ModelInputs(
        seq=np.zeros((n, SEQ_LEN, 3), np.float32),
        mask=np.zeros((n, SEQ_LEN), bool),
        fold=np.zeros((n, 2, FOLD_BINS), np.float32),
        aux=np.zeros((n, 5), np.float32),
        spec=np.zeros((n, 2, n_pix), np.float32),
        has_spec=np.zeros(n, bool),
        meta_raw=np.full((n, len(METADATA_COLUMNS)), np.nan),
    )


def _put_lightcurve(inputs: ModelInputs, i: int, lc: LightCurve, lc_features: np.ndarray) -> None:
    """Fill object ``i``'s light-curve arrays from ``lc`` and its FEATURE_NAMES values (period, power)."""
    inputs.seq[i], inputs.mask[i], inputs.fold[i], inputs.aux[i] = lightcurve_arrays(
        lc.time, lc.mag, lc.mag_err, lc_features[_LOG_PERIOD], lc_features[_LS_POWER]
    )


def _put_spectrum(inputs: ModelInputs, i: int, flux: np.ndarray, err: np.ndarray) -> None:
    """Fill object ``i``'s spectrum arrays from flux and error on the store grid."""
    inputs.spec[i], inputs.has_spec[i] = spectrum_arrays(flux, err)
