"""Classical light-curve features (the hand-made baseline of variable-star classification).

After Richards et al. 2011 and the ASAS-SN classifier (Jayasinghe et al. 2019): the Lomb-Scargle
period and its power, amplitudes and magnitude-distribution moments, and the shape of the curve
folded at the best period (Fourier amplitude ratios R21, R31 and phase differences phi21, phi31,
the Lafler-Kinman string length, the eclipse-like fraction of faint outliers).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import stats
from tqdm import tqdm

from astrodisc.base.distributed import LocalRunner, active_runner, is_local, row_ranges
from astrodisc.data.period_search import fold, lomb_scargle
from astrodisc.data.varstars import LightCurve, VarStarStore
from astrodisc.errors import UserError

FEATURE_NAMES: tuple[str, ...] = (
    "log_period",
    "ls_power",
    "amp_90",
    "amp_98",
    "std",
    "mad",
    "skew",
    "kurtosis",
    "beyond1std",
    "reduced_chi2",
    "fourier_a1",
    "r21",
    "r31",
    "phi21_cos",
    "phi21_sin",
    "phi31_cos",
    "phi31_sin",
    "lafler_kinman",
    "faint_fraction",
    "bright_fraction",
    "log_period_2nd",
    "power_2nd",
    "log_span",
)
MIN_EPOCHS = 10  # fewer finite epochs than this give no features (and no period to fold on)
FEATURE_CHUNK = 256  # light curves per task of store_features


def fourier_fit(phase: np.ndarray, mag: np.ndarray, n_harmonics: int = 3) -> np.ndarray:
    """Least-squares Fourier series of a folded curve: returns amplitudes (n,) and phases (n,) stacked."""
    k = np.arange(1, n_harmonics + 1)
    design = np.column_stack([np.ones_like(phase)] + [f(2 * np.pi * j * phase) for j in k for f in (np.cos, np.sin)])
    coef, *_ = np.linalg.lstsq(design, mag, rcond=None)
    a, b = coef[1::2], coef[2::2]
    return np.concatenate([np.hypot(a, b), np.arctan2(-b, a)])


def features(lc: LightCurve) -> np.ndarray:
    """FEATURE_NAMES for one single-band light curve; NaN-free for any curve with >= MIN_EPOCHS epochs."""
    ok = np.isfinite(lc.mag) & np.isfinite(lc.time)
    t, m = lc.time[ok], lc.mag[ok].astype(float)
    e = np.where(np.isfinite(lc.mag_err[ok]) & (lc.mag_err[ok] > 0), lc.mag_err[ok], 0.05).astype(float)
    if len(t) < MIN_EPOCHS:
        raise UserError(f"light curve has {len(t)} usable epochs; at least {MIN_EPOCHS} are needed")
    search = lomb_scargle(t, m, e, min_period=0.03, max_period=min(1000.0, np.ptp(t)), max_frequencies=100_000)
    period = search.best_period
    power = search.power
    peak = int(np.argmax(power))
    masked = power.copy()
    near = (
        np.abs(search.frequency - search.frequency[peak])
        < 3 * (search.frequency[1] - search.frequency[0]) + 0.02 * search.frequency[peak]
    )
    masked[near] = -np.inf
    second = int(np.argmax(masked))
    phase = fold(t, period)
    amps_phases = fourier_fit(phase, m)
    amp, ph = amps_phases[:3], amps_phases[3:]
    phi21, phi31 = ph[1] - 2 * ph[0], ph[2] - 3 * ph[0]
    med = np.median(m)
    mad = np.median(np.abs(m - med))
    std = np.std(m)
    ordered = m[np.argsort(phase)]
    return np.array(
        [
            np.log10(period),
            power[peak],
            np.percentile(m, 95) - np.percentile(m, 5),
            np.percentile(m, 99) - np.percentile(m, 1),
            std,
            mad,
            stats.skew(m),
            stats.kurtosis(m),
            np.mean(np.abs(m - m.mean()) > std),
            np.mean(((m - med) / e) ** 2),
            amp[0],
            amp[1] / max(amp[0], 1e-9),
            amp[2] / max(amp[0], 1e-9),
            np.cos(phi21),
            np.sin(phi21),
            np.cos(phi31),
            np.sin(phi31),
            np.sum(np.diff(ordered) ** 2) / max(np.sum((m - m.mean()) ** 2), 1e-12),
            np.mean(m > med + 3 * max(mad, 1e-3)),
            np.mean(m < med - 3 * max(mad, 1e-3)),
            np.log10(1 / search.frequency[second]),
            power[second],
            np.log10(np.ptp(t)),
        ]
    )


@lru_cache(maxsize=4)
def open_store(root: str) -> VarStarStore:
    """One store per process (workers reuse its memory maps)."""
    return VarStarStore(Path(root))


def _chunk_features(rows: np.ndarray, *, root: str, band: int) -> np.ndarray:
    """(len(rows), len(FEATURE_NAMES)) features of the store at ``root`` (opened once per process), NaN rows
    where a curve is too short."""
    store = open_store(root)
    out = np.full((len(rows), len(FEATURE_NAMES)), np.nan)
    for i, row in enumerate(rows):
        try:
            out[i] = features(store.lightcurve_at(int(row)).in_band(band))
        except UserError:
            pass
    return out


def store_features(
    store: VarStarStore, rows: np.ndarray | None = None, progress: bool = True, workers: int | None = None
) -> np.ndarray:
    """(len(rows), len(FEATURE_NAMES)) features of a store's light curves in its encoder band,
    NaN rows where a curve is too short. Chunks of ``FEATURE_CHUNK`` rows run on the active Dask cluster
    (inside :func:`astrodisc.base.distributed.running_on`), else over ``workers`` local processes (default: every
    core); each worker opens the store from its path."""
    rows = np.arange(len(store)) if rows is None else np.asarray(rows)
    band = store.info.bands.index(store.info.encoder_band)
    runner = active_runner()
    if is_local(runner):
        runner = LocalRunner(workers or os.cpu_count() or 1)
    chunks = [rows[lo:hi] for lo, hi in row_ranges(len(rows), runner, FEATURE_CHUNK)]
    out = list(
        tqdm(
            runner.map_chunks(_chunk_features, chunks, root=str(Path(store.root).resolve()), band=band),
            total=len(chunks),
            desc="light-curve features",
            disable=not progress,
            mininterval=2,
        )
    )
    return np.vstack(out) if out else np.zeros((0, len(FEATURE_NAMES)))
