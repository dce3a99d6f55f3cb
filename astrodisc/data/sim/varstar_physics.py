"""Per-class physics of the simulated variable-star survey: periods, amplitudes, shapes, stars.

Every function takes a numpy ``Generator`` and returns plain numbers or arrays, so the simulator
(`varstars_sim.py`) stays a loop over objects. Magnitudes are V-band [mag], periods [days],
temperatures [K], phases in [0, 1).

References for the distributions: ASAS-SN variable-star catalogue (Jayasinghe et al. 2018-2020),
Rucinski 1994 (contact binaries), Smith 1995 (RR Lyrae), Breger 2000 (delta Scuti), Whitelock et al.
2008 (Mira period-luminosity), Soszynski et al. 2009 (semiregular and Mira amplitudes in OGLE).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Rng = np.random.Generator


@dataclass(frozen=True)
class Star:
    """Physical truth of one simulated variable star (before observation)."""

    true_class: str
    subclass: str  # hidden: "M-Orich"/"M-Crich"/"ROT-dwarf"/"ROT-giant" or ""
    period: float  # days
    amplitude: float  # intrinsic peak-to-peak V amplitude [mag]
    teff: float  # K
    abs_mag_v: float  # M_V [mag]
    shape: dict  # light-curve shape parameters, read by ``variability``


def _lognormal(rng: Rng, median: float, sigma_dex: float, lo: float, hi: float) -> float:
    return float(np.clip(10 ** rng.normal(np.log10(median), sigma_dex), lo, hi))


def draw_star(rng: Rng, cls: str) -> Star:
    """Draw the physical parameters of one star of class ``cls``.

    Neighbouring classes overlap on purpose, as in real surveys: EW/EB/EA share periods and differ
    in eclipse width and depth ratio along a continuum; RRAB/RRC and HADS/DSCT overlap in period
    and amplitude; SR and M overlap in amplitude near the 2.5 mag boundary.
    """
    sub = ""
    if cls == "EW":
        p = _lognormal(rng, 0.37, 0.11, 0.2, 1.0)
        amp = _lognormal(rng, 0.35, 0.2, 0.06, 1.0)
        shape = dict(
            kind="eclipse", width=rng.uniform(0.11, 0.2), ratio=rng.uniform(0.7, 1.0), ellip=rng.uniform(0.4, 0.9)
        )
        teff = rng.normal(5900, 600)
        absmag = 4.4 - 4.2 * (np.log10(p) + 0.42) + rng.normal(0, 0.3)
    elif cls == "EB":
        p = _lognormal(rng, 0.75, 0.25, 0.25, 8.0)
        amp = _lognormal(rng, 0.4, 0.2, 0.08, 1.2)
        shape = dict(
            kind="eclipse", width=rng.uniform(0.07, 0.15), ratio=rng.uniform(0.25, 0.85), ellip=rng.uniform(0.2, 0.6)
        )
        teff = rng.normal(7200, 1200)
        absmag = rng.normal(1.6, 1.0)
    elif cls == "EA":
        p = _lognormal(rng, 2.2, 0.4, 0.3, 60.0)
        amp = _lognormal(rng, 0.45, 0.25, 0.08, 2.0)
        shape = dict(
            kind="eclipse", width=rng.uniform(0.015, 0.09), ratio=rng.uniform(0.0, 0.7), ellip=rng.uniform(0.0, 0.2)
        )
        teff = rng.normal(7000, 1800)
        absmag = rng.normal(2.0, 1.4)
    elif cls == "RRAB":
        p = float(np.clip(rng.normal(0.57, 0.075), 0.36, 0.9))
        amp = float(np.clip(1.1 - 2.5 * (p - 0.55) + rng.normal(0, 0.15), 0.3, 1.5))  # Bailey diagram
        shape = dict(kind="pulsation", skew=rng.uniform(0.5, 0.85))
        teff = rng.normal(6500, 250)
        absmag = rng.normal(0.6, 0.15)
    elif cls == "RRC":
        p = float(np.clip(rng.normal(0.32, 0.05), 0.2, 0.5))
        amp = float(np.clip(rng.normal(0.45, 0.12), 0.15, 0.8))
        shape = dict(kind="pulsation", skew=rng.uniform(0.05, 0.45))
        teff = rng.normal(7200, 250)
        absmag = rng.normal(0.6, 0.15)
    elif cls in ("HADS", "DSCT"):
        p = _lognormal(rng, 0.1 if cls == "HADS" else 0.075, 0.22, 0.025, 0.3)
        amp = _lognormal(rng, 0.35, 0.18, 0.1, 1.0) if cls == "HADS" else _lognormal(rng, 0.14, 0.22, 0.03, 0.5)
        shape = dict(
            kind="pulsation",
            skew=rng.uniform(0.2, 0.65) if cls == "HADS" else rng.uniform(0.0, 0.45),
            mode2_ratio=0.773 if rng.random() < 0.5 else rng.uniform(0.6, 0.9),
            mode2_amp=rng.uniform(0.0, 0.4) if cls == "HADS" else rng.uniform(0.2, 0.8),
        )
        teff = rng.normal(7600, 500)
        absmag = -2.9 * np.log10(p) - 1.3 + rng.normal(0, 0.3)  # delta Scuti PL relation
    elif cls == "ROT":
        giant = rng.random() < 0.45
        sub = "ROT-giant" if giant else "ROT-dwarf"
        p = _lognormal(rng, 18.0 if giant else 3.5, 0.25, 0.3, 120.0)
        amp = _lognormal(rng, 0.14 if giant else 0.1, 0.25, 0.03, 0.6)
        shape = dict(kind="spots", harmonic=rng.uniform(0.0, 0.4), evolution_days=rng.uniform(60, 400))
        teff = rng.normal(4600, 250) if giant else rng.normal(4300, 450)
        absmag = rng.normal(1.8, 0.7) if giant else rng.normal(6.5, 1.0)
    elif cls == "SR":
        p = _lognormal(rng, 70.0, 0.3, 15.0, 700.0)
        amp = _lognormal(rng, 0.6, 0.3, 0.1, 3.5)
        shape = dict(
            kind="semiregular",
            p2_ratio=rng.uniform(0.5, 0.95),
            a2=rng.uniform(0.2, 0.8),
            noise=rng.uniform(0.1, 0.4),
            lsp=rng.uniform(4, 10) if rng.random() < 0.3 else 0.0,
        )
        teff = rng.normal(3500, 200)
        absmag = rng.normal(-1.2, 0.9)
    elif cls == "M":
        carbon = rng.random() < 0.35
        sub = "M-Crich" if carbon else "M-Orich"
        p = _lognormal(rng, 390.0 if carbon else 270.0, 0.09, 100.0, 800.0)
        amp = _lognormal(rng, 4.0, 0.14, 1.8, 8.0)
        shape = dict(kind="mira", skew=rng.uniform(0.15, 0.45), cycle_scatter=rng.uniform(0.05, 0.2))
        teff = rng.normal(2700 if carbon else 2900, 150)
        absmag = rng.normal(-1.0, 0.8)
    else:
        raise ValueError(f"unknown class {cls!r}")
    return Star(cls, sub, float(p), float(amp), float(np.clip(teff, 2300, 12000)), float(absmag), shape)


def _wrap(x: np.ndarray) -> np.ndarray:
    """Phase difference wrapped to [-0.5, 0.5)."""
    return (x + 0.5) % 1.0 - 0.5


def _normalise(dm: np.ndarray) -> np.ndarray:
    """Shift and scale a magnitude curve to [0, 1] (0 = brightest)."""
    dm = dm - dm.min()
    return dm / max(float(dm.max()), 1e-9)


def pulsation_shape(phase: np.ndarray, skew: float) -> np.ndarray:
    """Asymmetric pulsation curve in [0, 1] [relative mag]: slow fading, fast rise for skew near 1,
    a sinusoid for skew 0 (truncated sawtooth Fourier series, harmonic k weighted skew^(k-1)/k)."""
    k = np.arange(1, 7)[:, None]
    s = np.sum(skew ** (k - 1) / k * np.sin(2 * np.pi * k * phase[None, :]), axis=0)
    return _normalise(-s)


def eclipse_shape(phase: np.ndarray, width: float, ratio: float, ellip: float) -> np.ndarray:
    """Eclipsing-binary curve in [0, 1] [relative mag]: Gaussian primary and secondary eclipses of
    phase width ``width`` (sigma), secondary depth ``ratio`` x primary, ellipsoidal term ``ellip``."""
    flux = (
        1.0
        - 0.5 * np.exp(-0.5 * (_wrap(phase) / width) ** 2)
        - 0.5 * ratio * np.exp(-0.5 * (_wrap(phase - 0.5) / width) ** 2)
        - 0.25 * ellip * (1 - np.cos(4 * np.pi * phase)) / 2
    )
    return _normalise(-2.5 * np.log10(flux))


def _smooth_walk(rng: Rng, time: np.ndarray, timescale: float, size: float) -> np.ndarray:
    """A slowly varying random function of time [same units as size], knots every ``timescale`` days."""
    knots = np.arange(time.min() - timescale, time.max() + 2 * timescale, timescale)
    values = np.cumsum(rng.normal(0, size, len(knots)))
    return np.interp(time, knots, values - values.mean())


def variability(rng: Rng, star: Star, time: np.ndarray) -> np.ndarray:
    """Intrinsic magnitude offsets [mag] of ``star`` at ``time`` [days], zero = mean brightness."""
    s = star.shape
    t0 = rng.uniform(0, star.period)
    phase = ((time - t0) / star.period) % 1.0
    kind = s["kind"]
    if kind == "eclipse":
        dm = star.amplitude * eclipse_shape(phase, s["width"], s["ratio"], s["ellip"])
    elif kind == "pulsation":
        dm = star.amplitude * pulsation_shape(phase, s["skew"])
        if "mode2_ratio" in s:
            dm = dm + star.amplitude * s["mode2_amp"] * 0.5 * np.sin(
                2 * np.pi * (time - t0) / (star.period * s["mode2_ratio"])
            )
    elif kind == "spots":
        amp_t = star.amplitude * np.clip(1 + _smooth_walk(rng, time, s["evolution_days"], 0.35), 0.1, 2.0)
        drift = _smooth_walk(rng, time, s["evolution_days"], 0.6)
        dm = amp_t * 0.5 * (np.sin(2 * np.pi * phase + drift) + s["harmonic"] * np.sin(4 * np.pi * phase + 2 * drift))
    elif kind == "semiregular":
        amp_t = star.amplitude * np.clip(1 + _smooth_walk(rng, time, 3 * star.period, 0.3), 0.2, 2.0)
        drift = _smooth_walk(rng, time, 2 * star.period, 0.5)
        dm = (
            amp_t
            * 0.5
            * (
                np.sin(2 * np.pi * phase + drift)
                + s["a2"] * np.sin(2 * np.pi * (time - t0) / (star.period * s["p2_ratio"]))
            )
        )
        dm = dm / (1 + s["a2"]) + s["noise"] * star.amplitude * _smooth_walk(rng, time, 0.3 * star.period, 0.3)
        if s["lsp"]:
            dm = dm + 0.3 * star.amplitude * np.sin(2 * np.pi * (time - t0) / (star.period * s["lsp"]))
    elif kind == "mira":
        cycle = np.floor((time - t0) / star.period)
        cycles = np.unique(cycle)
        amp_c = dict(zip(cycles, 1 + rng.normal(0, s["cycle_scatter"], len(cycles)), strict=False))
        off_c = dict(zip(cycles, rng.normal(0, 0.15, len(cycles)), strict=False))
        dm = star.amplitude * np.vectorize(amp_c.get)(cycle) * pulsation_shape(phase, s["skew"]) + np.vectorize(
            off_c.get
        )(cycle)
    else:
        raise ValueError(kind)
    return dm - np.median(dm)


# --- rare injected objects: light curves no class in the label set explains ---------------------------

RARE_TYPES: tuple[str, ...] = ("microlensing", "rcb", "nova", "artefact")


def rare_variability(rng: Rng, kind: str, time: np.ndarray) -> np.ndarray:
    """Magnitude offsets [mag] of an injected rare event at ``time`` [days] on a quiet star."""
    span_lo, span_hi = time.min(), time.max()
    if kind == "microlensing":  # Paczynski (1986) point-lens magnification
        u0, te, tpk = rng.uniform(0.05, 0.5), rng.uniform(15, 80), rng.choice(time)
        u = np.sqrt(u0**2 + ((time - tpk) / te) ** 2)
        return -2.5 * np.log10((u**2 + 2) / (u * np.sqrt(u**2 + 4)))
    if kind == "rcb":  # R CrB: sudden deep fades, slow recovery
        dm = np.zeros_like(time)
        for start in rng.uniform(span_lo, span_hi, rng.integers(1, 4)):
            depth, fall, rec = rng.uniform(2.5, 7), rng.uniform(10, 30), rng.uniform(80, 300)
            dt = time - start
            dm += np.where(dt < 0, 0, np.where(dt < fall, depth * dt / fall, depth * np.exp(-(dt - fall) / rec)))
        return dm
    if kind == "nova":  # outburst of several magnitudes, decline by 2 mag per t2 days
        tpk, amp, t2 = rng.choice(time), rng.uniform(3.5, 7), rng.uniform(8, 60)
        dt = time - tpk
        return np.where(dt < 0, 0.0, -np.clip(amp - 2 * dt / t2, 0, None))
    if kind == "artefact":  # camera change: a step, plus a clump of bad nights
        dm = np.where(time > rng.uniform(span_lo, span_hi), rng.choice([-1, 1]) * rng.uniform(0.4, 1.2), 0.0)
        bad = np.abs(time - rng.choice(time)) < rng.uniform(5, 20)
        return dm + bad * rng.normal(0, 0.8, len(time))
    raise ValueError(kind)
