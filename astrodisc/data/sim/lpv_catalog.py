"""A simulated catalogue of long-period variables as the OGLE surveys publish them: three subtypes, columns only.

Miras, semiregular variables (SRV) and OGLE small-amplitude red giants (OSARG) of the Galactic bulge, one row each,
in the layout of the OGLE-III LPV tables (Soszyński et al. 2009, 2013): ``ID``, ``RA``, ``Dec`` [deg], apparent
``I`` and ``V`` [mag] (V missing where fainter than ``V_LIMIT``), the colour ``V-I`` [mag] (missing with V), and up
to three periods ``P_1..P_3`` [d] with their I-band amplitudes ``A_1..A_3`` [mag] (missing where a star shows fewer).
The stars lie at different distances and behind different extinction, so the apparent magnitudes and the colour
carry distance and reddening besides the subtype. The subtype is hidden truth, returned apart from the table.

What sets the subtypes apart, as published (amplitudes peak-to-peak in I):

=========  ======================  ========================  ==============================================
subtype    P_1 [d]                 A_1 [mag]                 other periods
=========  ======================  ========================  ==============================================
Mira       100-1000, median ~280   > 0.8 (OGLE's definition)  a third show a second, small one
SRV        20-1000, median ~140    0.1-0.8                    most show a second (often a long secondary one)
OSARG      10-200, median ~30      0.005-0.15                 nearly all multi-periodic, ratios ~0.5-0.75
=========  ======================  ========================  ==============================================

Period-luminosity relations give each subtype its absolute magnitude (Miras and SRVs brighter at longer period),
the intrinsic V-I reddens with period, and the subtypes overlap where the published distributions do (SRVs reach
into both neighbours). The shares of the three subtypes are drawn per seed, so a method chosen on these catalogues
is not tuned to one mix. Used to choose and test how a catalogue's clusters are found
(:mod:`astrodisc.chain.clusters`), never to report a held-out figure.

Example::

    table, subtype = simulate_lpv_catalog(12_000, seed=1)   # DataFrame, (N,) str array
    table.to_csv("lpv.csv", index=False)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUBTYPES = ("Mira", "SRV", "OSARG")
V_LIMIT = 20.0  # [mag] fainter V is not measured (few V epochs; the I band is the survey band)
MIRA_AMPLITUDE = 0.8  # [mag] OGLE's I-band amplitude that separates Miras from SRVs
BULGE_DISTANCE = (8.2, 1.2)  # [kpc] mean and spread
EXTINCTION_I = (0.5, 4.5)  # [mag] range of A_I over the fields (the bulge fields near the plane reach 4-5)
EXTINCTION_RATIO = 1.2  # A_I / E(V-I) towards the bulge


def _clipped(rng: np.random.Generator, mean: float, sd: float, low: float, high: float, n: int) -> np.ndarray:
    """n normal draws redrawn until within [low, high]."""
    out = rng.normal(mean, sd, n)
    bad = (out < low) | (out > high)
    while bad.any():
        out[bad] = rng.normal(mean, sd, int(bad.sum()))
        bad = (out < low) | (out > high)
    return out


def _subtype_columns(rng: np.random.Generator, subtype: str, n: int) -> dict[str, np.ndarray]:
    """(n,) arrays for n stars of one subtype: log10 P_1 [d], log10 A_1 [mag], absolute I [mag], intrinsic V-I
    [mag], the chance that a second period shows (half that for a third) and its ratio to P_1."""
    if subtype == "Mira":
        log_p = _clipped(rng, 2.45, 0.17, 2.0, 3.0, n)
        log_a = _clipped(rng, 0.15, 0.18, np.log10(MIRA_AMPLITUDE), 0.65, n)
        abs_i = -5.0 - 3.2 * (log_p - 2.4) + rng.normal(0, 0.35, n)
        colour = 3.0 + 3.0 * (log_p - 2.4) + rng.normal(0, 0.6, n)
        second, ratio = 0.3, rng.choice([0.5, 1.9], n) * rng.lognormal(0, 0.08, n)
    elif subtype == "SRV":
        log_p = _clipped(rng, 2.15, 0.3, 1.3, 3.0, n)
        log_a = _clipped(rng, -0.65, 0.3, -1.6, np.log10(MIRA_AMPLITUDE), n)
        abs_i = -4.4 - 2.8 * (log_p - 2.1) + rng.normal(0, 0.45, n)
        colour = 2.4 + 1.6 * (log_p - 2.1) + rng.normal(0, 0.45, n)
        second, ratio = 0.7, rng.choice([0.55, 8.0], n, p=[0.6, 0.4]) * rng.lognormal(0, 0.15, n)
    else:
        log_p = _clipped(rng, 1.55, 0.3, 1.0, 2.4, n)
        log_a = _clipped(rng, -1.5, 0.35, -2.3, -0.6, n)
        abs_i = -3.3 - 1.8 * (log_p - 1.5) + rng.normal(0, 0.45, n)
        colour = 2.0 + 0.9 * (log_p - 1.5) + rng.normal(0, 0.3, n)
        second, ratio = (
            0.9,
            rng.choice([0.55, 0.73, 1.35, 10.0], n, p=[0.35, 0.35, 0.2, 0.1]) * rng.lognormal(0, 0.05, n),
        )
    return {
        "log_p": log_p,
        "log_a": log_a,
        "abs_i": abs_i,
        "colour": colour,
        "second": np.full(n, second),
        "ratio": ratio,
    }


def simulate_lpv_catalog(n: int, seed: int, *, every_period_listed: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """An OGLE-like catalogue of n long-period variables (the module docstring's columns) and each row's hidden
    subtype, (n,) str from SUBTYPES. Deterministic for ``seed``; the subtypes' shares are drawn from it (each at
    least 10 %). ``every_period_listed``: three periods and amplitudes for every star, as tables that list the three
    strongest periodogram peaks of each star do, rather than only the periods a star shows."""
    rng = np.random.default_rng(seed)
    shares = 0.1 + 0.7 * rng.dirichlet([2.0, 2.0, 2.0])
    counts = np.floor(shares * n).astype(int)
    counts[np.argmax(counts)] += n - counts.sum()
    subtype = np.repeat(np.array(SUBTYPES), counts)
    rng.shuffle(subtype)
    log_p, log_a, abs_i, colour = (np.empty(n) for _ in range(4))
    columns = {f"{kind}_{k}": np.full(n, np.nan) for k in (2, 3) for kind in ("P", "A")}
    for name in SUBTYPES:
        rows = np.flatnonzero(subtype == name)
        drawn = _subtype_columns(rng, name, len(rows))
        log_p[rows], log_a[rows], abs_i[rows], colour[rows] = (drawn[k] for k in ("log_p", "log_a", "abs_i", "colour"))
        shows = np.ones(len(rows)) if every_period_listed else drawn["second"]
        for k, share in ((2, shows), (3, shows if every_period_listed else shows / 2)):
            shown = rows[rng.random(len(rows)) < share]
            ratio = drawn["ratio"][np.isin(rows, shown)] * (1.0 if k == 2 else rng.lognormal(0.3, 0.3, len(shown)))
            columns[f"P_{k}"][shown] = 10 ** log_p[shown] * ratio
            columns[f"A_{k}"][shown] = 10 ** log_a[shown] * rng.uniform(0.15, 0.8, len(shown))
    distance = np.clip(rng.normal(*BULGE_DISTANCE, n), 4.0, 14.0)  # [kpc]
    extinction = rng.uniform(*EXTINCTION_I, n)
    i_mag = abs_i + 5 * np.log10(distance * 100) + extinction + rng.normal(0, 0.02, n)
    v_i = colour + extinction / EXTINCTION_RATIO + rng.normal(0, 0.03, n)
    v_mag = np.where(i_mag + v_i <= V_LIMIT, i_mag + v_i, np.nan)
    table = pd.DataFrame(
        {
            "ID": [f"OGLE-SIM-LPV-{i:06d}" for i in range(n)],
            "RA": rng.uniform(262.0, 275.0, n),
            "Dec": rng.uniform(-36.0, -22.0, n),
            "I": i_mag,
            "V": v_mag,
            "V-I": np.where(np.isfinite(v_mag), v_i, np.nan),
            "P_1": 10**log_p * rng.lognormal(0, 0.005, n),
            "A_1": 10**log_a,
            **columns,
        }
    )
    return table.round(4), subtype
