"""The simulated variable-star survey: ASAS-SN V photometry x LAMOST spectra x Gaia/2MASS/WISE metadata.

Deterministic for a seed. Labels are what a survey catalogue would say: 2 % are wrong, flipped to a
neighbouring class; about 5 % are missing. Hidden truth (true class, subclass, wrong-label flag,
injected rare type) goes to ``truth.parquet``, which only evaluation reads.
Times are HJD [days]; magnitudes Vega V [mag].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from astrodisc.data.sim import varstar_physics as phys
from astrodisc.data.sim.varstar_spectra import spectrum
from astrodisc.data.store import DatasetInfo
from astrodisc.data.varstars import CLASSES, METADATA_COLUMNS, WAVELENGTH_GRID, LightCurve, write_store

# Class counts of the AstroM3 release (train+val+test), used as sampling weights.
CLASS_COUNTS = {
    "EW": 6168,
    "SR": 4590,
    "EA": 2916,
    "RRAB": 2351,
    "EB": 1976,
    "ROT": 1839,
    "RRC": 796,
    "HADS": 281,
    "M": 268,
    "DSCT": 255,
}
# Where a catalogue's wrong label goes: the classes each one is really confused with.
CONFUSED_WITH = {
    "EW": ("EB",),
    "EB": ("EW", "EA"),
    "EA": ("EB",),
    "RRAB": ("RRC",),
    "RRC": ("RRAB", "EW"),
    "HADS": ("DSCT", "RRAB"),
    "DSCT": ("HADS",),
    "SR": ("M", "ROT"),
    "M": ("SR",),
    "ROT": ("SR", "EA"),
}
HJD_START = 2456000.0  # 2012 March
LIMIT_MAG = 17.5  # faint detection limit of the photometry [mag]


@dataclass(frozen=True)
class VarStarSimConfig:
    n: int = 20_000
    seed: int = 42
    wrong_label_rate: float = 0.02
    missing_label_rate: float = 0.05
    rare_rate: float = 0.005


def cadence(rng: np.random.Generator, ra_deg: float) -> np.ndarray:
    """Observation times [HJD]: nights every few days over 4-6 years, gaps when the Sun is near the
    target (seasons centred on opposition), 100-1000 epochs."""
    span = rng.uniform(4, 6) * 365.25
    start = HJD_START + rng.uniform(0, 400)
    step = rng.uniform(1.5, 4.0)
    t = start + np.cumsum(rng.exponential(step, int(span / step * 1.3) + 10))
    t = t[t < start + span]
    opposition = (ra_deg / 360.0) * 365.25 + 80.0  # day of year the target is opposite the Sun
    season = np.cos(2 * np.pi * (t - HJD_START - opposition) / 365.25)
    t = t[season > rng.uniform(-0.5, -0.1)]
    n_target = int(np.exp(rng.uniform(np.log(100), np.log(1000))))
    if len(t) > n_target:
        t = np.sort(rng.choice(t, n_target, replace=False))
    return np.sort(t + rng.uniform(-0.2, 0.2, len(t)))  # time of night


def photometric_error(mag: np.ndarray) -> np.ndarray:
    """1-sigma V error [mag] of an ASAS-SN-like survey: 0.01 floor, sky-limited at the faint end."""
    return np.sqrt(0.01**2 + (0.03 * 10 ** (0.4 * (mag - 15.0))) ** 2)


def observe(rng: np.random.Generator, time: np.ndarray, true_mag: np.ndarray) -> LightCurve:
    """Add blending-free noise, mis-estimated errors, outliers and the faint limit to a true light curve."""
    sigma = photometric_error(true_mag)
    mag = true_mag + rng.normal(0, 1, len(time)) * sigma
    outlier = rng.random(len(time)) < rng.uniform(0.003, 0.02)
    mag[outlier] += rng.normal(0, 0.6, outlier.sum())
    err = sigma * rng.uniform(0.8, 1.3)
    order = np.flatnonzero(mag < LIMIT_MAG + rng.normal(0, 0.2, len(time)))
    if len(order) < 30:  # a star that mostly sits below the limit still has its brightest epochs
        order = np.sort(np.argsort(mag)[:30])
    return LightCurve(
        time[order], mag[order].astype(np.float32), err[order].astype(np.float32), np.zeros(len(order), np.uint8)
    )


def _colour_table(teff: np.ndarray, table: dict[int, float]) -> np.ndarray:
    keys = np.array(sorted(table))
    return np.interp(np.log10(teff), np.log10(keys), [table[k] for k in keys])


BP_RP = {2400: 4.6, 3000: 3.3, 3500: 2.3, 4300: 1.5, 5800: 0.82, 7500: 0.45, 10000: 0.0, 12000: -0.1}
V_K = {2400: 10.0, 3000: 7.2, 3500: 4.9, 4300: 3.0, 5800: 1.5, 7500: 0.7, 10000: 0.0, 12000: -0.1}
J_K = {2400: 1.3, 3000: 1.15, 3500: 0.95, 4300: 0.72, 5800: 0.36, 7500: 0.12, 10000: 0.0, 12000: -0.03}


def metadata(
    rng: np.random.Generator,
    stars: list[phys.Star],
    lcs: list[LightCurve],
    l_deg: np.ndarray,
    b_deg: np.ndarray,
    ebv: np.ndarray,
    catalog_period: np.ndarray,
) -> pd.DataFrame:
    """The 38 AstroM3 metadata columns, with measurement noise and missing values (NaN)."""
    n = len(stars)
    teff = np.array([s.teff for s in stars])
    cls = np.array([s.true_class for s in stars])
    sub = np.array([s.subclass for s in stars])
    vmag = np.array([np.median(lc.mag) for lc in lcs])
    av = 3.1 * ebv
    dist_pc = 10 ** ((vmag - np.array([s.abs_mag_v for s in stars]) - av + 5) / 5)
    bp_rp = _colour_table(teff, BP_RP) + 1.34 * ebv
    g = vmag - 0.02 - 0.2 * bp_rp**2 / (1 + 0.1 * bp_rp**2)
    kmag = vmag - _colour_table(teff, V_K) - 2.7 * ebv
    j_k = _colour_table(teff, J_K) + 0.5 * ebv
    dusty = np.isin(cls, ("M", "SR"))
    j_k = j_k + np.where(sub == "M-Crich", rng.uniform(0.5, 1.1, n), np.where(dusty, rng.uniform(0.0, 0.25, n), 0))
    w1_w2 = np.where(
        sub == "M-Crich",
        rng.uniform(0.3, 0.9, n),
        np.where(dusty, rng.uniform(0.05, 0.45, n), rng.normal(-0.03, 0.03, n)),
    )
    w3_w4 = np.where(dusty, rng.uniform(0.3, 1.0, n), rng.normal(0.05, 0.1, n))
    jmag = kmag + j_k
    hmag = kmag + 0.35 * j_k + 0.05 * (sub == "M-Crich") + rng.normal(0, 0.02, n)
    w1 = kmag - np.where(dusty, rng.uniform(0.1, 0.5, n), 0.05)
    w2 = w1 - w1_w2
    w3 = w2 - np.where(dusty, rng.uniform(0.3, 0.8, n), 0.05)
    w4 = w3 - w3_w4
    halo = np.isin(cls, ("RRAB", "RRC")) & (rng.random(n) < 0.7)
    vt = np.where(halo, rng.normal(200, 60, n), rng.normal(35, 15, n)).clip(3)  # km/s
    pm = vt / (4.74 * dist_pc / 1000.0)
    angle = rng.uniform(0, 2 * np.pi, n)
    e_g = 0.0003 + 0.0008 * 10 ** (0.4 * (g - 15))
    plx_err = 0.015 + 0.02 * 10 ** (0.2 * (g - 15)) * 2
    pm_err = plx_err * 1.1
    binary = np.isin(cls, ("EW", "EA", "EB"))
    ruwe = 1 + np.abs(rng.normal(0, np.where(binary, 0.35, 0.08)))

    def noisy(x, e):
        return x + rng.normal(0, 1, n) * e

    frame = pd.DataFrame(
        {
            "mean_vmag": vmag,
            "phot_g_mean_mag": noisy(g, e_g),
            "e_phot_g_mean_mag": e_g,
            "phot_bp_mean_mag": noisy(g + 0.45 * bp_rp, 2 * e_g),
            "e_phot_bp_mean_mag": 2 * e_g,
            "phot_rp_mean_mag": noisy(g - 0.55 * bp_rp, 2 * e_g),
            "e_phot_rp_mean_mag": 2 * e_g,
            "bp_rp": noisy(bp_rp, 3 * e_g),
            "parallax": noisy(1000.0 / dist_pc, plx_err),
            "parallax_error": plx_err,
            "pmra": noisy(pm * np.cos(angle), pm_err),
            "pmra_error": pm_err,
            "pmdec": noisy(pm * np.sin(angle), pm_err),
            "pmdec_error": pm_err,
            "j_mag": noisy(jmag, 0.025),
            "e_j_mag": np.full(n, 0.025),
            "h_mag": noisy(hmag, 0.03),
            "e_h_mag": np.full(n, 0.03),
            "k_mag": noisy(kmag, 0.025),
            "e_k_mag": np.full(n, 0.025),
            "w1_mag": noisy(w1, 0.023),
            "e_w1_mag": np.full(n, 0.023),
            "w2_mag": noisy(w2, 0.021),
            "e_w2_mag": np.full(n, 0.021),
            "w3_mag": noisy(w3, 0.05),
            "w4_mag": noisy(w4, 0.2),
            "ruwe": ruwe,
            "l": l_deg,
            "b": b_deg,
        }
    )
    frame["parallax_over_error"] = frame["parallax"] / frame["parallax_error"]
    frame["pm"] = np.hypot(frame["pmra"], frame["pmdec"])
    frame["j_k"] = frame["j_mag"] - frame["k_mag"]
    frame["w1_w2"] = frame["w1_mag"] - frame["w2_mag"]
    frame["w3_w4"] = frame["w3_mag"] - frame["w4_mag"]
    frame["amplitude"] = [float(np.percentile(lc.mag, 98) - np.percentile(lc.mag, 2)) for lc in lcs]
    frame["period"] = catalog_period
    frame["lksl_statistic"] = [_lafler_kinman(lc, p) for lc, p in zip(lcs, catalog_period, strict=False)]
    frame["rfr_score"] = rng.beta(7, 1.6, n)
    _mask_missing(rng, frame)
    return frame[list(METADATA_COLUMNS)]


def _lafler_kinman(lc: LightCurve, period: float) -> float:
    """Lafler-Kinman string-length statistic of the light curve folded at ``period`` (NaN without one)."""
    if not np.isfinite(period) or len(lc.mag) < 3:
        return float("nan")
    m = lc.mag[np.argsort((lc.time / period) % 1.0)].astype(float)
    return float(np.sum(np.diff(m) ** 2) / max(np.sum((m - m.mean()) ** 2), 1e-12))


def _mask_missing(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    """Missing values as in the real cross-match, independent of class: no Gaia astrometry (3 %),
    no 2MASS (2 %), no WISE W3/W4 detection (15 %), no period (4 %)."""
    n = len(frame)
    groups = {
        0.03: [
            "parallax",
            "parallax_error",
            "parallax_over_error",
            "pmra",
            "pmra_error",
            "pmdec",
            "pmdec_error",
            "pm",
            "ruwe",
        ],
        0.02: ["j_mag", "e_j_mag", "h_mag", "e_h_mag", "k_mag", "e_k_mag", "j_k"],
        0.15: ["w3_mag", "w4_mag", "w3_w4"],
        0.04: ["period", "lksl_statistic"],
    }
    for rate, columns in groups.items():
        frame.loc[rng.random(n) < rate, columns] = np.nan


def _catalog_period(rng: np.random.Generator, star: phys.Star) -> float:
    """The period a survey pipeline reports: mostly right, sometimes a daily alias or half/double."""
    u = rng.random()
    if u < 0.03:
        return star.period * (0.5 if star.true_class in ("EW", "EB") else 2.0)
    if u < 0.05 and star.period < 5:
        return 1.0 / abs(1.0 / star.period - 1.0) if abs(1.0 / star.period - 1.0) > 1e-3 else star.period
    return star.period * (1 + rng.normal(0, 2e-6))


def _sky(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Galactic l, b [deg] concentrated to the plane, ICRS ra, dec [deg] and reddening E(B-V) [mag]."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    l_deg = rng.uniform(0, 360, n)
    b_deg = np.where(rng.random(n) < 0.6, rng.normal(0, 12, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))).clip(
        -89.9, 89.9
    )
    icrs = SkyCoord(l=l_deg * u.deg, b=b_deg * u.deg, frame="galactic").icrs
    ebv = np.clip(0.03 / np.maximum(np.sin(np.radians(np.abs(b_deg))), 0.05) * rng.uniform(0.3, 1.2, n), 0, 2.5)
    return l_deg, b_deg, icrs.ra.deg, icrs.dec.deg, ebv


@dataclass(frozen=True)
class Population:
    """What is drawn for every star of a survey before it is observed (arrays of length N)."""

    true_class: np.ndarray  # (N,) str
    rare: np.ndarray  # (N,) object: "" or an injected rare type
    l_deg: np.ndarray  # (N,) Galactic longitude [deg]
    b_deg: np.ndarray  # (N,) Galactic latitude [deg]
    ra: np.ndarray  # (N,) ICRS [deg]
    dec: np.ndarray  # (N,) ICRS [deg]
    ebv: np.ndarray  # (N,) reddening E(B-V) [mag]
    vmag0: np.ndarray  # (N,) mean V before variability [mag]


def _population(rng: np.random.Generator, n: int, rare_rate: float) -> Population:
    weights = np.array([CLASS_COUNTS[c] for c in CLASSES], float)
    true_class = rng.choice(CLASSES, n, p=weights / weights.sum())
    rare = np.full(n, "", dtype=object)
    rare_rows = rng.choice(n, max(1, round(rare_rate * n)), replace=False)
    rare[rare_rows] = rng.choice(phys.RARE_TYPES, len(rare_rows))
    l_deg, b_deg, ra, dec, ebv = _sky(rng, n)
    vmag0 = 10.0 + 6.8 * rng.random(n) ** 0.6
    return Population(true_class, rare, l_deg, b_deg, ra, dec, ebv, vmag0)


def _observe_star(r: np.random.Generator, pop: Population, i: int) -> tuple[phys.Star, LightCurve, float]:
    """Star ``i`` of ``pop`` drawn with its own generator ``r``: its physics, its ASAS-SN light curve and the
    period a survey catalogue reports for it [d]."""
    star = phys.draw_star(r, pop.true_class[i])
    t = cadence(r, pop.ra[i])
    base = pop.vmag0[i] + (0.0 if star.true_class != "M" else 1.0)
    dm = phys.rare_variability(r, pop.rare[i], t) if pop.rare[i] else phys.variability(r, star, t)
    if r.random() < 0.1:  # blended with a neighbour: constant extra flux dilutes the amplitude
        blend = r.uniform(0.2, 1.5)
        dm = -2.5 * np.log10((10 ** (-0.4 * dm) + blend) / (1 + blend))
    return star, observe(r, t, base + dm), _catalog_period(r, star)


def simulate_varstars(config: VarStarSimConfig, out: Path, progress: bool = True) -> Path:
    """Simulate ``config.n`` variable stars and write them as a dataset store at ``out``."""
    rng = np.random.default_rng(config.seed)
    n = config.n
    pop = _population(rng, n, config.rare_rate)
    child_seeds = np.random.SeedSequence(config.seed).spawn(n)

    stars, lcs, cat_period = [], [], np.empty(n)
    flux = np.empty((n, len(WAVELENGTH_GRID)), np.float32)
    flux_err = np.empty_like(flux)
    for i in tqdm(range(n), desc="simulate varstars", disable=not progress, mininterval=2):
        r = np.random.default_rng(child_seeds[i])
        star, lc, cat_period[i] = _observe_star(r, pop, i)
        stars.append(star)
        lcs.append(lc)
        rare = pop.rare[i]
        chemistry = {"M-Orich": "orich", "M-Crich": "crich"}.get(star.subclass, "normal")
        if rare == "rcb":
            chemistry = "hdef"
        flux[i], flux_err[i] = spectrum(
            r,
            star.teff,
            pop.ebv[i],
            chemistry,
            balmer_emission=r.uniform(0.5, 2.0) if star.true_class == "M" else (3.0 if rare == "nova" else 0.0),
            halpha_emission=(
                r.uniform(0.3, 1.2)
                if star.subclass == "ROT-dwarf"
                else r.uniform(0.0, 0.4)
                if star.subclass == "ROT-giant"
                else (6.0 if rare == "nova" else 0.0)
            ),
            vmag=float(np.median(lc.mag)),
        )

    meta = metadata(rng, stars, lcs, pop.l_deg, pop.b_deg, pop.ebv, cat_period)
    labels, wrong = _survey_labels(rng, pop.true_class, config)
    object_id = np.array([f"SIMV-{config.seed}-{i:07d}" for i in range(n)])
    objects = pd.concat(
        [pd.DataFrame({"object_id": object_id, "ra": pop.ra, "dec": pop.dec, "label": labels}), meta], axis=1
    )
    truth = pd.DataFrame(
        {
            "object_id": object_id,
            "true_class": pop.true_class,
            "subclass": [s.subclass for s in stars],
            "wrong_label": wrong,
            "rare_type": pop.rare.astype(str),
            "true_period": [s.period for s in stars],
        }
    )
    info = DatasetInfo(
        classes=CLASSES,
        name=Path(out).name,
        simulated=True,
        seed=config.seed,
        source=f"astrodisc simulate varstars --n {n} --seed {config.seed}",
        extra={"limit_mag": LIMIT_MAG, "hjd_start": HJD_START},
    )
    write_store(out, info, objects, lcs, (flux, flux_err), truth)
    return Path(out)


def simulate_catalogue(config: VarStarSimConfig, chunk: int = 50_000, progress: bool = True) -> pd.DataFrame:
    """The survey catalogue alone (object_id, ra, dec, label and the 38 metadata columns) of ``config.n`` stars,
    drawn ``chunk`` stars at a time, each chunk from its own generator (seed, chunk number): light curves are
    simulated for their catalogue values and dropped, no spectra are drawn, so 10^6 stars fit in memory (a few
    minutes per 10^6 on one core). Not the same stars as :func:`simulate` with the same seed."""
    frames = []
    for number, lo in enumerate(tqdm(range(0, config.n, chunk), desc="simulate catalogue", disable=not progress)):
        size = min(chunk, config.n - lo)
        rng = np.random.default_rng([config.seed, number])
        pop = _population(rng, size, config.rare_rate)
        drawn = [
            _observe_star(np.random.default_rng(s), pop, i)
            for i, s in enumerate(np.random.SeedSequence([config.seed, number]).spawn(size))
        ]
        stars, lcs, cat_period = (list(column) for column in zip(*drawn, strict=False))
        meta = metadata(rng, stars, lcs, pop.l_deg, pop.b_deg, pop.ebv, np.asarray(cat_period))
        labels, _ = _survey_labels(rng, pop.true_class, config)
        ids = [f"SIMC-{config.seed}-{lo + i:07d}" for i in range(size)]
        frames.append(
            pd.concat([pd.DataFrame({"object_id": ids, "ra": pop.ra, "dec": pop.dec, "label": labels}), meta], axis=1)
        )
    return pd.concat(frames, ignore_index=True)


def _survey_labels(
    rng: np.random.Generator, true_class: np.ndarray, config: VarStarSimConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Catalogue labels: wrong ones flipped to a confused neighbour class, some missing (None)."""
    n = len(true_class)
    labels = true_class.astype(object).copy()
    wrong = rng.random(n) < config.wrong_label_rate
    for i in np.flatnonzero(wrong):
        labels[i] = rng.choice(CONFUSED_WITH[true_class[i]])
    labels[rng.random(n) < config.missing_label_rate] = None
    return labels, wrong
