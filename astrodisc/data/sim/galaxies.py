"""The simulated sky: g, r, z cutouts of galaxies as a DECaLS-like survey would take them.

Deterministic for a seed (chunks draw from spawned seed sequences, so the worker count does not matter).
A galaxy is drawn as a *description* (its components, their profiles and absolute SEDs, its field of
neighbours and stars) and then *observed* (PSF per band, Galactic reddening, sky and Poisson noise,
artefacts); a duplicate is a second observation of the same description, as where survey bricks overlap.

Pixels are fluxes in nanomaggies (AB zero point 22.5) at 0.262 arcsec; stamps are 64 px (16.8 arcsec),
so redshifts start at 0.03 where the largest discs still mostly fit. Labels are the five morphologies;
hidden truth (structure: bar, inner and outer rings, arm number and pitch, tidal shells and streams, and
the spiral subclass they make, unbarred, barred, ringed or barred_ringed; injected strong lenses with their
Einstein radius and arc signal-to-noise; satellite trails and missing-data artefacts; duplicates) goes to
truth.parquet.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from astrodisc.data.galaxies import MORPHOLOGIES, CutoutWriter, GalaxyImaging, finish_galaxy_store
from astrodisc.data.sim import galaxy_profiles as gr
from astrodisc.data.sim.galaxy_sed import (
    BANDS,
    COSMOLOGY,
    EXTINCTION_COEFF,
    StellarPopulation,
    apparent_mags,
    distance_modulus,
    kpc_per_arcsec,
    nanomaggies,
)
from astrodisc.data.store import DatasetInfo

STAMP_PX = 64
NEIGHBOURS_PER_STAMP = 0.7  # unrelated galaxies in a 64-px (16.8 arcsec) stamp, Poisson mean
STARS_PER_STAMP = 0.25  # stars in a 64-px stamp, Poisson mean
PIXEL_SCALE = 0.262  # arcsec
Z_RANGE = (0.03, 0.4)
R_LIMIT = 17.77  # survey selection: r-band AB magnitude, as the SDSS main galaxy sample
# Median per-pixel sky noise [nanomaggy] for DECaLS DR9 5-sigma point-source depths g 24.0, r 23.4, z 22.5
# with a 1.3 arcsec PSF (noise-equivalent area 55.8 px).
SKY_SIGMA = np.array([0.00672, 0.01169, 0.02677])
COUNTS_PER_SKY_SIGMA = 20.0  # sqrt(sky counts per pixel): sets the Poisson term, var = sky^2 + flux * sigma / 20
TYPE_FRACTIONS = {"elliptical": 0.30, "disc": 0.50, "irregular": 0.11, "merger": 0.09}
# Schechter parameters in the r band (M*, alpha) per type.
LUMINOSITY_FUNCTION = {
    "elliptical": (-21.4, -0.7),
    "disc": (-21.1, -1.1),
    "irregular": (-19.9, -1.3),
    "merger": (-21.6, -0.9),
}
EDGE_ON_INCLINATION = 75.0  # deg: discs seen more inclined than this are labelled edge_on
BAR_FRACTION = 0.35  # of discs
STRUCTURE_TRUTH = ("subclass", "bar", "inner_ring", "outer_ring", "arm_count", "arm_pitch_deg", "tidal")
TIDAL_FRACTION = 0.06  # of undisturbed ellipticals and discs: shells or a stream


@dataclass(frozen=True)
class GalaxySimConfig:
    n: int = 20_000
    seed: int = 42
    lens_rate: float = 0.01
    trail_rate: float = 0.0025
    missing_rate: float = 0.0025
    duplicate_rate: float = 0.01
    chunk: int = 250
    workers: int = 2
    stamp_px: int = STAMP_PX  # cutout side [px]; the viewer pictures are drawn from wider ones


@dataclass
class Component:
    """One light component: a profile (name and arguments of a galaxy_render function) and AB mags (g, r, z)."""

    profile: str
    args: dict
    mags: np.ndarray
    dusty: bool = False  # seen through the host's dust lane


@dataclass
class Galaxy:
    """What is on the sky around one object, before it is observed."""

    label: str
    z: float
    abs_mag_r: float
    re_arcsec: float
    components: list[Component]
    dust_lane: dict | None = None
    structure: DiscStructure | None = None  # discs only
    tidal: str = "none"  # shells, stream, or the tails of a merger
    field: list[Component] = field(default_factory=list)
    anomaly: str = "none"
    lens: dict | None = None
    e_bv: float = 0.0


def _pop(
    rng: np.random.Generator,
    young: tuple[float, float],
    ew: tuple[float, float],
    av: tuple[float, float],
    brk: tuple[float, float] = (0.38, 0.55),
) -> StellarPopulation:
    return StellarPopulation(rng.uniform(*young), rng.uniform(*brk), rng.uniform(*ew), rng.uniform(*av))


def _component(
    rng, profile: str, args: dict, pop: StellarPopulation, abs_mag: float, z: float, dusty=False
) -> Component:
    return Component(profile, args, apparent_mags(pop, abs_mag, z), dusty)


def _share(abs_mag_r: float, fraction: float) -> float:
    """Absolute magnitude of a component carrying ``fraction`` of the light."""
    return abs_mag_r - 2.5 * np.log10(max(fraction, 1e-4))


@lru_cache(maxsize=1)
def _volume_weights() -> tuple[np.ndarray, np.ndarray]:
    z_grid = np.linspace(*Z_RANGE, 400)
    dv = COSMOLOGY.differential_comoving_volume(z_grid).value
    return z_grid, dv / dv.sum()


def _draw_redshift_and_luminosity(rng: np.random.Generator, kind: str) -> tuple[float, float]:
    """Volume-weighted redshift and Schechter luminosity, kept when the galaxy is brighter than R_LIMIT."""
    m_star, alpha = LUMINOSITY_FUNCTION[kind]
    z_grid, p_z = _volume_weights()
    while True:
        z = float(np.clip(rng.choice(z_grid, p=p_z) + rng.uniform(-0.5, 0.5) * (z_grid[1] - z_grid[0]), *Z_RANGE))
        mags = m_star + rng.uniform(-2.5, 4.0, 64)
        x = 10 ** (-0.4 * (mags - m_star))
        weight = x ** (alpha + 1) * np.exp(-x)
        m = float(rng.choice(mags, p=weight / weight.sum()))
        # K-correction of a typical red galaxy is at most ~1 mag here: a cheap pre-cut, the exact one follows.
        if m + distance_modulus(z) + 0.6 * z / 0.4 < R_LIMIT:
            return z, m


def _size_kpc(rng: np.random.Generator, abs_mag: float, kind: str) -> float:
    """Half-light radius [kpc] from size-luminosity relations with 0.15-0.2 dex scatter."""
    if kind == "elliptical":
        return 10 ** (0.55 - 0.25 * (abs_mag + 21.0) + rng.normal(0, 0.15))
    if kind == "irregular":
        return 10 ** (0.40 - 0.15 * (abs_mag + 20.0) + rng.normal(0, 0.2))
    return 10 ** (0.62 - 0.16 * (abs_mag + 21.0) + rng.normal(0, 0.18))


def _elliptical(rng, z: float, m: float, scale: float) -> tuple[list[Component], float]:
    re = _size_kpc(rng, m, "elliptical") / scale
    pa, q = rng.uniform(0, np.pi), rng.uniform(0.55, 1.0)
    pop = _pop(rng, (0.0, 0.08), (0, 6), (0.0, 0.25))
    disc_fraction = rng.uniform(0.1, 0.35) if rng.random() < 0.25 else 0.0  # S0s: a faint old disc
    comps = [
        _component(
            rng,
            "sersic",
            dict(re=re, n=float(np.clip(rng.normal(4, 0.6), 2.5, 6)), q=q, pa=pa),
            pop,
            _share(m, 1 - disc_fraction),
            z,
        )
    ]
    if disc_fraction:
        comps.append(
            _component(rng, "sersic", dict(re=1.8 * re, n=1.0, q=q * 0.8, pa=pa), pop, _share(m, disc_fraction), z)
        )
    return comps, re


@dataclass(frozen=True)
class DiscStructure:
    """What a disc shows besides its bulge and exponential disc; every field goes to the hidden truth."""

    bar: bool = False
    inner_ring: bool = False
    outer_ring: bool = False
    arm_count: int = 2
    arm_pitch_deg: float = 20.0

    @property
    def subclass(self) -> str:
        """``unbarred``, ``barred``, ``ringed`` or ``barred_ringed``: what a classifier of spirals would call it."""
        ringed = self.inner_ring or self.outer_ring
        return {(False, False): "unbarred", (True, False): "barred", (False, True): "ringed"}.get(
            (self.bar, ringed), "barred_ringed"
        )


def _disc_structure(rng: np.random.Generator) -> DiscStructure:
    """Bars in a third of discs (strong bars in Galaxy Zoo 2, Masters et al. 2011); inner rings mostly around
    bars and outer rings rarer (Buta & Combes 1996, de Vaucouleurs' (r) and (R)); two arms in most grand-design
    spirals, pitch angles 8-35 deg (Yu & Ho 2018)."""
    bar = bool(rng.random() < BAR_FRACTION)
    return DiscStructure(
        bar=bar,
        inner_ring=bool(rng.random() < (0.35 if bar else 0.12)),
        outer_ring=bool(rng.random() < (0.15 if bar else 0.06)),
        arm_count=int(rng.choice([2, 3, 4], p=[0.6, 0.22, 0.18])),
        arm_pitch_deg=float(rng.uniform(8, 35)),
    )


def _plain_disc(rng: np.random.Generator) -> DiscStructure:
    """Arms without bar or rings: the discs of a merger, whose structure the hidden truth does not record."""
    return DiscStructure(arm_count=int(rng.choice([2, 3, 4])), arm_pitch_deg=float(rng.uniform(8, 35)))


def _disc(rng, z: float, m: float, scale: float, inclination: float, structure: DiscStructure, x0=0.0, y0=0.0):
    """A bulge + disc + arms (+ bar, inner and outer rings) galaxy; returns components, half-light radius,
    dust lane."""
    re = _size_kpc(rng, m, "disc") / scale
    rd = re / 1.68
    cos_i = np.cos(np.radians(inclination))
    q = float(np.sqrt(cos_i**2 + rng.uniform(0.1, 0.15) ** 2 * (1 - cos_i**2)))
    pa = rng.uniform(0, np.pi)
    av = rng.uniform(0.1, 0.6) * (1 + 2 * (1 - cos_i))
    bt = rng.uniform(0.05, 0.5)
    ringed = structure.inner_ring or structure.outer_ring
    fractions = {
        "bulge": bt,
        "arms": (1 - bt) * rng.uniform(0.3, 0.6) * (0.5 if ringed else 1.0),
        "bar": (1 - bt) * rng.uniform(0.2, 0.4) if structure.bar else 0.0,
        "inner_ring": (1 - bt) * rng.uniform(0.06, 0.15) if structure.inner_ring else 0.0,
        "outer_ring": (1 - bt) * rng.uniform(0.08, 0.2) if structure.outer_ring else 0.0,
    }
    fractions["disc"] = 1 - sum(fractions.values())
    old = _pop(rng, (0.0, 0.1), (0, 5), (0.0, 0.3))
    disc_pop = _pop(rng, (0.15, 0.5), (5, 40), (av * 0.8, av), brk=(0.5, 0.7))
    young = _pop(rng, (0.6, 0.9), (30, 120), (av * 0.8, av), brk=(0.6, 0.8))
    at = dict(x0=x0, y0=y0)

    def part(profile: str, args: dict, pop: StellarPopulation, name: str) -> Component:
        return _component(rng, profile, {**args, **at}, pop, _share(m, fractions[name]), z, dusty=True)

    # Arms start at the bar's ends; the inner ring encircles them and the outer ring lies at about 2.2 times the
    # inner ring's radius (Buta 1995).
    bar_re = rd * rng.uniform(0.6, 1.1)
    inner_radius = bar_re * rng.uniform(1.3, 1.7) if structure.bar else rd * rng.uniform(0.8, 1.4)
    comps = [
        part(
            "sersic", dict(re=re * rng.uniform(0.15, 0.35), n=rng.uniform(1.5, 4), q=max(q, 0.6), pa=pa), old, "bulge"
        ),
        part("sersic", dict(re=re, n=1.0, q=q, pa=pa), disc_pop, "disc"),
        part(
            "spiral_arms",
            dict(
                rd=rd,
                q=q,
                pa=pa,
                arms=structure.arm_count,
                pitch_deg=structure.arm_pitch_deg,
                phase=rng.uniform(0, 2 * np.pi),
                sharpness=rng.uniform(2, 6),
                start=1.5 * bar_re if structure.bar else None,
            ),
            young,
            "arms",
        ),
    ]
    if structure.bar:
        bar_pa = pa + np.arctan2(np.sin(rng.uniform(0, np.pi)) * q, np.cos(rng.uniform(0, np.pi)))
        bar = dict(re=bar_re, n=0.5, q=rng.uniform(0.15, 0.3) * max(q, 0.5), pa=bar_pa)
        comps.append(part("sersic", bar, old, "bar"))
    for name, radius in (("inner_ring", inner_radius), ("outer_ring", inner_radius * rng.uniform(2.0, 2.5))):
        if fractions[name]:
            ring = dict(radius=radius, width=radius * rng.uniform(0.08, 0.18), q=q, pa=pa)
            comps.append(part("ring", ring, young if name == "inner_ring" else disc_pop, name))
    lane = dict(q=q, pa=pa, height=max(re * q * 0.25, 0.15), tau=rng.uniform(0.5, 2.5)) if inclination > 65 else None
    return comps, re, lane


def _tidal_feature(rng: np.random.Generator, kind: str, z: float, m: float, re: float) -> tuple[str, Component]:
    """Faint debris of a past accretion around an undisturbed galaxy, 3-8 % of its light: interleaved shells
    (mostly around ellipticals, Malin & Carter 1983) or a stream (mostly around discs); at DECaLS depth a few
    per cent of galaxies show one (Atkinson et al. 2013 find ~12 % at 27.7 mag/arcsec^2 in r)."""
    pop = _pop(rng, (0.05, 0.3), (0, 10), (0.0, 0.2))
    share = _share(m, rng.uniform(0.03, 0.08))
    if rng.random() < (0.65 if kind == "elliptical" else 0.2):
        n_shells = int(rng.integers(2, 5))
        radii = tuple(float(r) for r in np.sort(re * rng.uniform(1.2, 3.5, n_shells)))
        args = dict(
            radii=radii, width=re * rng.uniform(0.2, 0.4), axis=rng.uniform(0, np.pi), opening=rng.uniform(0.5, 1.0)
        )
        return "shells", _component(rng, "shells", args, pop, share, z)
    angle = rng.uniform(0, 2 * np.pi)
    start = (1.2 * re * np.cos(angle), 1.2 * re * np.sin(angle))
    args = dict(
        start=start,
        length=re * rng.uniform(2.0, 4.0),
        curvature=rng.choice([-1, 1]) * rng.uniform(0.3, 1.0),
        angle=angle + rng.normal(0, 0.5),
        width=rng.uniform(0.4, 1.0),
    )
    return "stream", _component(rng, "tidal_tail", args, pop, share, z)


def _irregular(rng, z: float, m: float, scale: float) -> tuple[list[Component], float]:
    re = _size_kpc(rng, m, "irregular") / scale
    pop = _pop(rng, (0.5, 0.8), (20, 80), (0.1, 0.5), brk=(0.6, 0.8))
    clump_pop = _pop(rng, (0.8, 0.98), (60, 180), (0.1, 0.5), brk=(0.7, 0.85))
    smooth = rng.uniform(0.4, 0.7)
    comps = [
        _component(
            rng,
            "sersic",
            dict(
                re=re,
                n=rng.uniform(0.7, 1.3),
                q=rng.uniform(0.4, 1),
                pa=rng.uniform(0, np.pi),
                x0=rng.normal(0, 0.2 * re),
                y0=rng.normal(0, 0.2 * re),
            ),
            pop,
            _share(m, smooth),
            z,
        )
    ]
    n_clumps = int(rng.integers(3, 9))
    for share in rng.dirichlet(np.ones(n_clumps)) * (1 - smooth):
        comps.append(
            _component(
                rng,
                "gaussian_blob",
                dict(sigma=rng.uniform(0.3, 1.0) / scale + 0.1, x0=rng.normal(0, re), y0=rng.normal(0, re)),
                clump_pop,
                _share(m, share),
                z,
            )
        )
    return comps, re


def _merger(rng, z: float, m: float, scale: float) -> tuple[list[Component], float]:
    ratio = rng.uniform(0.25, 1.0)  # flux ratio of the second galaxy to the first
    tails = rng.uniform(0.1, 0.3)
    m1, m2 = _share(m, (1 - tails) / (1 + ratio)), _share(m, (1 - tails) * ratio / (1 + ratio))
    sep = rng.uniform(2, 15) / scale
    angle = rng.uniform(0, 2 * np.pi)
    (x1, y1), (x2, y2) = (
        (-sep / (1 + 1 / ratio) * np.cos(angle), -sep / (1 + 1 / ratio) * np.sin(angle)),
        (sep / (1 + ratio) * np.cos(angle), sep / (1 + ratio) * np.sin(angle)),
    )
    comps, re, _ = _disc(rng, z, m1, scale, rng.uniform(0, 80), _plain_disc(rng), x1, y1)
    second, re2 = (
        _elliptical(rng, z, m2, scale)
        if rng.random() < 0.4
        else _disc(rng, z, m2, scale, rng.uniform(0, 80), _plain_disc(rng))[:2]
    )
    for c in second:
        c.args.update(x0=c.args.get("x0", 0.0) + x2, y0=c.args.get("y0", 0.0) + y2)
    pop = _pop(rng, (0.2, 0.6), (5, 50), (0.0, 0.4))
    n_tails = int(rng.integers(1, 3))
    for k, (x, y) in enumerate([(x1, y1), (x2, y2)][:n_tails]):
        tail = dict(
            start=(x, y),
            length=rng.uniform(10, 30) / scale,
            curvature=rng.uniform(-1, 1),
            angle=angle + (np.pi if k == 0 else 0) + rng.normal(0, 0.6),
            width=rng.uniform(0.8, 2.0) / scale,
        )
        comps.append(_component(rng, "tidal_tail", tail, pop, _share(m, tails / n_tails), z))
    return comps + second, max(re, re2, sep / 2)


def _field(rng: np.random.Generator, grid: gr.Grid) -> list[Component]:
    """Unrelated neighbours and stars anywhere in the stamp but the central 3 arcsec, as many per area on a
    stamp of any size (``NEIGHBOURS_PER_STAMP``, ``STARS_PER_STAMP`` per 64-px stamp)."""
    area = (grid.n / STAMP_PX) ** 2
    comps = []
    for _ in range(rng.poisson(NEIGHBOURS_PER_STAMP * area)):
        x, y = _off_centre(rng, grid)
        r = rng.uniform(20, 23.5)
        colours = np.array([rng.uniform(0.3, 1.5), 0.0, -rng.uniform(0.2, 1.0)])
        comps.append(
            Component(
                "sersic",
                dict(
                    re=rng.uniform(0.3, 1.5),
                    n=rng.uniform(0.8, 4),
                    q=rng.uniform(0.3, 1),
                    pa=rng.uniform(0, np.pi),
                    x0=x,
                    y0=y,
                ),
                r + colours,
            )
        )
    for _ in range(rng.poisson(STARS_PER_STAMP * area)):
        x, y = _off_centre(rng, grid)
        g_r = rng.uniform(0.3, 1.4)
        comps.append(Component("point", dict(x0=x, y0=y), rng.uniform(15, 22) + np.array([g_r, 0.0, -0.5 * g_r - 0.1])))
    return comps


def _off_centre(rng: np.random.Generator, grid: gr.Grid) -> tuple[float, float]:
    while True:
        x, y = rng.uniform(-grid.half_width, grid.half_width, 2)
        if np.hypot(x, y) > 3.0:
            return float(x), float(y)


def describe(rng: np.random.Generator, grid: gr.Grid, lens_host: bool = False) -> Galaxy:
    """Draw one galaxy and its field; a lens host is a massive elliptical (M_r < -21.2)."""
    kind = "elliptical" if lens_host else str(rng.choice(list(TYPE_FRACTIONS), p=list(TYPE_FRACTIONS.values())))
    z, m = _draw_redshift_and_luminosity(rng, kind)
    while lens_host and m > -21.2:
        z, m = _draw_redshift_and_luminosity(rng, kind)
    scale = float(kpc_per_arcsec(z))
    lane, structure, tidal = None, None, "none"
    if kind == "elliptical":
        comps, re = _elliptical(rng, z, m, scale)
        label = "elliptical"
    elif kind == "disc":
        inclination = float(np.degrees(np.arccos(rng.uniform(0, 1))))
        label = "edge_on" if inclination > EDGE_ON_INCLINATION else "spiral"
        structure = _disc_structure(rng)
        comps, re, lane = _disc(rng, z, m, scale, inclination, structure)
    elif kind == "irregular":
        comps, re = _irregular(rng, z, m, scale)
        label = "irregular"
    else:
        comps, re = _merger(rng, z, m, scale)
        label, tidal = "merger", "tails"
    if kind in ("elliptical", "disc") and not lens_host and rng.random() < TIDAL_FRACTION:
        tidal, debris = _tidal_feature(rng, kind, z, m, re)
        comps.append(debris)
    return Galaxy(
        label, z, m, re, comps, lane, structure, tidal, _field(rng, grid), e_bv=float(rng.lognormal(np.log(0.03), 0.6))
    )


def _add_lens(rng: np.random.Generator, galaxy: Galaxy) -> None:
    """Make a massive elliptical a strong lens: Einstein radius 0.5-3 arcsec, arc S/N 5-100 (set at observation)."""
    theta_e = float(np.exp(rng.uniform(np.log(0.5), np.log(3.0))))
    beta, phi = theta_e * rng.uniform(0.0, 0.6), rng.uniform(0, 2 * np.pi)
    g_r, r_z = rng.uniform(0.1, 0.5), rng.uniform(0.0, 0.4)
    galaxy.lens = dict(
        theta_e=theta_e,
        source_re=rng.uniform(0.1, 0.35),
        source_xy=(beta * np.cos(phi), beta * np.sin(phi)),
        shear=tuple(rng.normal(0, 0.04, 2)),
        colour=10 ** (-0.4 * np.array([g_r, 0.0, -r_z])),
        target_snr=float(np.exp(rng.uniform(np.log(5), np.log(100)))),
    )
    galaxy.anomaly = "lens"


@dataclass(frozen=True)
class Observation:
    psf_fwhm: np.ndarray  # (3,) arcsec
    sky_sigma: np.ndarray  # (3,) nanomaggy per pixel
    offset: tuple[float, float]  # arcsec, sub-pixel centring error


def _observation(rng: np.random.Generator) -> Observation:
    fwhm_r = float(np.clip(rng.lognormal(np.log(1.25), 0.15), 0.8, 2.2))
    fwhm = fwhm_r * np.array([1.06, 1.0, 0.93]) * rng.normal(1, 0.03, 3)
    return Observation(
        fwhm, SKY_SIGMA * 10 ** (0.4 * rng.normal(0, 0.15, 3)), tuple(rng.uniform(-0.5, 0.5, 2) * PIXEL_SCALE)
    )


def observe(rng: np.random.Generator, galaxy: Galaxy, obs: Observation, grid: gr.Grid) -> tuple[np.ndarray, dict]:
    """(3, S, S) float32 cutout [nanomaggy] of a galaxy, and what was measured (catalogue mags, arc S/N)."""
    dx, dy = obs.offset
    shifted = [
        replace(c, args={**c.args, "x0": c.args.get("x0", 0.0) + dx, "y0": c.args.get("y0", 0.0) + dy})
        for c in galaxy.components + galaxy.field
    ]
    reddening = 10 ** (-0.4 * EXTINCTION_COEFF * galaxy.e_bv)
    host = np.zeros((3,) + grid.xy[0].shape)
    lane = gr.dust_lane(grid, **galaxy.dust_lane, x0=dx, y0=dy) if galaxy.dust_lane else None
    taus = np.array([1.0, 0.75, 0.45])
    points = []
    for comp in shifted:
        if comp.profile == "point":
            points.append(comp)
            continue
        profile = getattr(gr, comp.profile)(grid, **comp.args)
        flux = nanomaggies(comp.mags) * reddening
        for b in range(3):
            transmission = lane ** taus[b] if (lane is not None and comp.dusty) else 1.0
            host[b] += flux[b] * profile * transmission
    kernels = [gr.bin_pixels(gr.moffat_kernel(grid, f)) for f in obs.psf_fwhm]
    image = np.stack([gr.convolve(gr.bin_pixels(host[b]), kernels[b]) for b in range(3)])
    for comp in points:
        col = int(round(comp.args["x0"] / grid.scale + (grid.n - 1) / 2))
        row = int(round(comp.args["y0"] / grid.scale + (grid.n - 1) / 2))
        flux = nanomaggies(comp.mags) * reddening
        for b in range(3):
            image[b] += flux[b] * np.roll(np.roll(kernels[b], row - grid.n // 2, 0), col - grid.n // 2, 1)
    measured: dict[str, float | np.ndarray] = {"arc_snr": np.nan}
    if galaxy.lens is not None:
        lens = galaxy.lens
        arc = gr.bin_pixels(
            gr.lensed_source(grid, lens["theta_e"], lens["source_re"], lens["source_xy"], lens["shear"], dx, dy)
        )
        arcs = np.stack([gr.convolve(arc, kernels[b]) * lens["colour"][b] for b in range(3)])
        unit_snr = np.sqrt(sum((arcs[b] ** 2).sum() / obs.sky_sigma[b] ** 2 for b in range(3)))
        image += arcs * (lens["target_snr"] / unit_snr)
        measured["arc_snr"] = lens["target_snr"]
    variance = (
        obs.sky_sigma[:, None, None] ** 2
        + np.clip(image, 0, None) * obs.sky_sigma[:, None, None] / COUNTS_PER_SKY_SIGMA
    )
    image = image + rng.normal(size=image.shape) * np.sqrt(variance)
    total = sum(nanomaggies(c.mags) for c in galaxy.components) * reddening
    nea = 4 * np.pi * ((obs.psf_fwhm / 2.355 / grid.scale) ** 2 + (galaxy.re_arcsec / grid.scale) ** 2)
    measured_flux = total + rng.normal(size=3) * obs.sky_sigma * np.sqrt(nea)
    with np.errstate(invalid="ignore", divide="ignore"):
        measured["mags"] = np.where(measured_flux > 0, 22.5 - 2.5 * np.log10(measured_flux), np.nan)
        measured["mag_errs"] = np.where(
            measured_flux > 0, 1.0857 * obs.sky_sigma * np.sqrt(nea) / measured_flux, np.nan
        )
    return image.astype(np.float32), measured


def add_artefact(rng: np.random.Generator, image: np.ndarray, kind: str, sky_sigma: np.ndarray) -> None:
    """Paint a satellite trail (one band, as in one exposure of the coadd) or a missing-data strip, in place."""
    n = image.shape[-1]
    rows, cols = np.mgrid[0:n, 0:n]
    if kind == "satellite_trail":
        angle, offset = rng.uniform(0, np.pi), rng.uniform(-0.3, 0.3) * n
        distance = (cols - n / 2) * np.sin(angle) - (rows - n / 2) * np.cos(angle) - offset
        band = int(rng.integers(0, 3))
        image[band] += rng.uniform(3, 20) * sky_sigma[band] * np.exp(-0.5 * (distance / rng.uniform(1.0, 3.0)) ** 2)
    elif kind == "missing_data":
        width = int(rng.uniform(0.15, 0.4) * n)
        side = int(rng.integers(0, 4))
        strip = [np.s_[:, :width, :], np.s_[:, -width:, :], np.s_[:, :, :width], np.s_[:, :, -width:]][side]
        image[strip] = 0.0


def _simulate_chunk(
    seed_seq: np.random.SeedSequence,
    size: int,
    lens_rows: set[int],
    artefacts: dict[int, str],
    duplicates: dict[int, int],
    stamp_px: int,
) -> tuple[np.ndarray, list[dict]]:
    """Simulate ``size`` objects on ``stamp_px``-px stamps; row indices in the maps are local to the chunk
    (duplicates point inside it)."""
    rng = np.random.default_rng(seed_seq)
    grid = gr.Grid(stamp_px, PIXEL_SCALE)
    images = np.zeros((size, 3, stamp_px, stamp_px), np.float32)
    records: list[dict] = []
    galaxies: dict[int, Galaxy] = {}
    for i in range(size):
        if i in duplicates:
            galaxy = galaxies[duplicates[i]]
        else:
            galaxy = describe(rng, grid, lens_host=i in lens_rows)
            if i in lens_rows:
                _add_lens(rng, galaxy)
        galaxies[i] = galaxy
        obs = _observation(rng)
        images[i], measured = observe(rng, galaxy, obs, grid)
        anomaly = galaxy.anomaly
        if i in artefacts:
            add_artefact(rng, images[i], artefacts[i], obs.sky_sigma)
            anomaly = artefacts[i]
        records.append(
            dict(
                label=galaxy.label,
                **_structure_truth(galaxy),
                z=galaxy.z,
                abs_mag_r=galaxy.abs_mag_r,
                re_arcsec=galaxy.re_arcsec,
                e_bv=galaxy.e_bv,
                anomaly=anomaly,
                theta_e=galaxy.lens["theta_e"] if galaxy.lens else np.nan,
                arc_snr=measured["arc_snr"],
                duplicate_of=duplicates.get(i, -1),
                mags=measured["mags"],
                mag_errs=measured["mag_errs"],
                psf_fwhm=obs.psf_fwhm,
                sky_sigma=obs.sky_sigma,
            )
        )
    return images, records


def _structure_truth(galaxy: Galaxy) -> dict:
    """The hidden truth of a galaxy's structure: spiral subclass, bar, rings, arms (discs) and tidal debris."""
    disc = galaxy.structure
    return dict(
        subclass=disc.subclass if disc is not None and galaxy.label == "spiral" else "none",
        bar=bool(disc and disc.bar),
        inner_ring=bool(disc and disc.inner_ring),
        outer_ring=bool(disc and disc.outer_ring),
        arm_count=disc.arm_count if disc is not None else 0,
        arm_pitch_deg=disc.arm_pitch_deg if disc is not None else np.nan,
        tidal=galaxy.tidal,
    )


def _plan_chunk(
    rng: np.random.Generator, size: int, config: GalaxySimConfig
) -> tuple[set[int], dict[int, str], dict[int, int]]:
    """Which rows of a chunk are lenses (any galaxy drawn there becomes an elliptical lens host), artefacts,
    duplicates."""
    rows = rng.permutation(size)
    n_lens, n_trail, n_missing, n_dup = (
        rng.binomial(size, r) for r in (config.lens_rate, config.trail_rate, config.missing_rate, config.duplicate_rate)
    )
    lens_rows = set(rows[:n_lens].tolist())
    artefacts = {int(r): "satellite_trail" for r in rows[n_lens : n_lens + n_trail]}
    artefacts |= {int(r): "missing_data" for r in rows[n_lens + n_trail : n_lens + n_trail + n_missing]}
    duplicates = {}
    for r in rows[n_lens + n_trail + n_missing : n_lens + n_trail + n_missing + n_dup]:
        if r > 0:
            duplicates[int(r)] = int(rng.integers(0, r))
    return lens_rows, artefacts, duplicates


def _sky_positions(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on the sphere inside a 40 x 20 deg footprint at high Galactic latitude [deg]."""
    ra = rng.uniform(150.0, 190.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(-5.0)), np.sin(np.radians(15.0)), n)))
    return ra, dec


def simulate_galaxies(config: GalaxySimConfig, out: Path, progress: bool = True) -> Path:
    """Write a simulated sky of ``config.n`` galaxies to ``out``; returns ``out``."""
    out = Path(out)
    root = np.random.SeedSequence(config.seed)
    starts = list(range(0, config.n, config.chunk))
    seeds = root.spawn(len(starts) + 1)
    plans = []
    for start, seq in zip(starts, seeds[:-1], strict=False):
        size = min(config.chunk, config.n - start)
        plan_seq, chunk_seq = seq.spawn(2)
        plans.append((start, size, chunk_seq, _plan_chunk(np.random.default_rng(plan_seq), size, config)))
    writer = CutoutWriter(out, config.n, len(BANDS), config.stamp_px)
    records: list[dict] = []
    with (
        ProcessPoolExecutor(max_workers=max(1, config.workers)) as pool,
        tqdm(total=config.n, desc="simulate galaxies", disable=not progress, mininterval=2) as bar,
    ):
        futures = [
            pool.submit(_simulate_chunk, chunk_seq, size, *plan, stamp_px=config.stamp_px)
            for start, size, chunk_seq, plan in plans
        ]
        for (start, size, _, _), future in zip(plans, futures, strict=False):
            images, chunk_records = future.result()
            writer.write(start, images)
            for rec in chunk_records:
                if rec["duplicate_of"] >= 0:
                    rec["duplicate_of"] += start
            records.extend(chunk_records)
            bar.update(size)
    writer.close()
    objects, truth = _tables(np.random.default_rng(seeds[-1]), records)
    info = DatasetInfo(
        name=out.name,
        kind="galaxies",
        classes=MORPHOLOGIES,
        bands=BANDS,
        encoder_band="r",
        time_system="",
        mag_system="AB",
        simulated=True,
        seed=config.seed,
        source=f"astrodisc simulate galaxies --n {config.n} --seed {config.seed}"
        + (f" --stamp-px {config.stamp_px}" if config.stamp_px != STAMP_PX else ""),
        extra={"config": asdict(config), "stamp_px": config.stamp_px, "z_range": list(Z_RANGE), "r_limit": R_LIMIT},
    )
    finish_galaxy_store(
        out, info, GalaxyImaging(PIXEL_SCALE, "nanomaggy", 22.5, tuple(EXTINCTION_COEFF)), objects, truth
    )
    return out


def _tables(rng: np.random.Generator, records: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The catalogue (what a survey publishes) and the hidden truth."""
    n = len(records)
    ids = np.array([f"G{i:07d}" for i in range(n)])
    ra, dec = _sky_positions(rng, n)
    dup = np.array([r["duplicate_of"] for r in records])
    is_dup = dup >= 0
    jitter = rng.normal(0, 0.4 / 3600, (n, 2))  # the same galaxy twice: < ~1 arcsec apart
    for i in np.flatnonzero(is_dup):  # in row order: a duplicate of a duplicate follows its source
        ra[i] = ra[dup[i]] + jitter[i, 0] / np.cos(np.radians(dec[dup[i]]))
        dec[i] = dec[dup[i]] + jitter[i, 1]
    objects = pd.DataFrame(
        {
            "object_id": ids,
            "ra": ra,
            "dec": dec,
            "label": [r["label"] for r in records],
            "z_spec": [r["z"] for r in records],
            "e_bv": [r["e_bv"] for r in records],
        }
    )
    for key, prefix in (
        ("mags", "mag_"),
        ("mag_errs", "mag_err_"),
        ("sky_sigma", "sky_sigma_"),
        ("psf_fwhm", "psf_fwhm_"),
    ):
        values = np.array([r[key] for r in records], dtype=np.float64)
        for b, band in enumerate(BANDS):
            objects[prefix + band] = values[:, b]
    truth = pd.DataFrame(
        {
            "object_id": ids,
            **{
                k: [r[k] for r in records]
                for k in ("label", *STRUCTURE_TRUTH, "z", "abs_mag_r", "re_arcsec", "anomaly", "theta_e", "arc_snr")
            },
            "duplicate_of": np.where(is_dup, ids[np.maximum(dup, 0)], None),
        }
    )
    return objects, truth
