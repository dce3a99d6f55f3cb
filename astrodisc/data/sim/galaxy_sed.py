"""Galaxy colours: rest-frame spectral energy distributions redshifted through DECaLS-like g, r, z filters.

A stellar component's SED is a mix of an old population (a cool continuum with a 4000 Angstrom break)
and a young one (a flat f_nu continuum with nebular emission lines), reddened by internal dust.
Observed AB magnitudes follow from the distance modulus and the K-correction computed by integrating
the redshifted SED through the filters (photon-counting AB convention). The 4000 Angstrom break moving
from g into r between z = 0 and 0.4 is what makes three-band photometric redshifts possible at all;
the scatter in age, dust and line strength at fixed redshift is what limits them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from astropy.cosmology import FlatLambdaCDM

from astrodisc.data.galaxies import DECAM_EXTINCTION

COSMOLOGY = FlatLambdaCDM(H0=70.0, Om0=0.3)
BANDS: tuple[str, ...] = ("g", "r", "z")
# Smoothed top-hat approximations of the DECam filters [Angstrom]: (blue edge, red edge).
FILTER_EDGES = {"g": (4000.0, 5500.0), "r": (5600.0, 7150.0), "z": (8300.0, 10000.0)}
EXTINCTION_COEFF = np.array([DECAM_EXTINCTION[b] for b in BANDS])  # A_band / E(B-V)
OBS_WAVE = np.arange(3500.0, 10501.0, 5.0)  # observed-frame grid [Angstrom]
EMISSION_LINES = {3727.0: 0.45, 4861.0: 0.25, 5007.0: 0.5, 6563.0: 1.0}  # rest wavelength: EW relative to H-alpha


@lru_cache(maxsize=1)
def _filters() -> np.ndarray:
    """(3, len(OBS_WAVE)) filter transmissions with 60 Angstrom soft edges."""
    edges = [FILTER_EDGES[b] for b in BANDS]

    def soft(x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-x / 30.0))

    return np.array([soft(OBS_WAVE - lo) * soft(hi - OBS_WAVE) for lo, hi in edges])


@lru_cache(maxsize=1)
def _distance_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = np.linspace(0.005, 0.6, 600)
    kpc_per_arcsec = COSMOLOGY.kpc_proper_per_arcmin(z).value / 60.0
    return z, kpc_per_arcsec, COSMOLOGY.distmod(z).value


def kpc_per_arcsec(z: np.ndarray | float) -> np.ndarray:
    """Proper transverse scale [kpc / arcsec] at redshift z."""
    grid, scale, _ = _distance_table()
    return np.interp(z, grid, scale)


def distance_modulus(z: np.ndarray | float) -> np.ndarray:
    """5 log10(D_L / 10 pc) [mag]."""
    grid, _, dm = _distance_table()
    return np.interp(z, grid, dm)


@dataclass(frozen=True)
class StellarPopulation:
    """A component's SED parameters."""

    young_fraction: float  # share of the rest-frame 5500 A light from the young population, 0..1
    break_strength: float  # flux ratio below/above 4000 A of the old population (0.35 strong .. 0.8 weak)
    line_ew: float  # H-alpha equivalent width of the young population [Angstrom, rest]
    dust_av: float  # internal V-band attenuation [mag]


def rest_sed(pop: StellarPopulation, rest_wave: np.ndarray) -> np.ndarray:
    """L_nu(rest_wave) in arbitrary units, normalised to 1 at 5500 Angstrom before dust."""
    w = rest_wave
    old = (w / 5500.0) ** 2.2 * (pop.break_strength + (1 - pop.break_strength) / (1 + np.exp(-(w - 4000.0) / 40.0)))
    old *= np.where(w < 3000.0, (w / 3000.0) ** 3, 1.0)
    young = (w / 5500.0) ** 0.3 * (0.85 + 0.15 / (1 + np.exp(-(w - 3650.0) / 40.0)))
    for line, relative_ew in EMISSION_LINES.items():
        # A Gaussian line of equivalent width EW in f_lambda: in f_nu the same EW over the line's width.
        young = young + young * pop.line_ew * relative_ew * np.exp(-0.5 * ((w - line) / 8.0) ** 2) / (
            8.0 * np.sqrt(2 * np.pi)
        )
    sed = (1 - pop.young_fraction) * old + pop.young_fraction * young
    return sed * 10 ** (-0.4 * pop.dust_av * (w / 5500.0) ** -0.7)


def _band_mean(l_nu: np.ndarray) -> np.ndarray:
    """Photon-weighted mean f_nu in each band of a spectrum sampled on OBS_WAVE; shape (..., 3)."""
    weights = _filters() / OBS_WAVE  # photon counting: T(lambda) d lambda / lambda
    return l_nu @ weights.T / weights.sum(axis=1)


def apparent_mags(pop: StellarPopulation, abs_mag_r: float, z: float) -> np.ndarray:
    """Observed AB magnitudes (g, r, z) before Galactic extinction of a component whose rest-frame
    r-band AB absolute magnitude is ``abs_mag_r``, seen at redshift ``z``."""
    rest_r = _band_mean(rest_sed(pop, OBS_WAVE))[1]
    observed = (1 + z) * _band_mean(rest_sed(pop, OBS_WAVE / (1 + z)))
    return abs_mag_r + distance_modulus(z) - 2.5 * np.log10(observed / rest_r)


def nanomaggies(mag: np.ndarray | float) -> np.ndarray:
    """AB magnitude to flux in nanomaggies (zero point 22.5)."""
    return 10 ** (-0.4 * (np.asarray(mag) - 22.5))
