"""Synthetic LAMOST-like low-resolution spectra (R ~ 1800) on the store's wavelength grid.

A blackbody continuum at the star's temperature, reddened, times absorption features whose
strength follows temperature: Balmer lines peaking near 9,000 K (strong in pulsators), metal lines
(Ca II H&K, G band, Mg b, Na D, Ca II triplet) growing towards cool stars, TiO bands in oxygen-rich
M stars, C2 Swan and CN bands in carbon stars, emission lines in Miras and active stars.
Flux is in relative units (1 = continuum mean at 5,500 A of the unreddened star).
"""

from __future__ import annotations

import numpy as np

from astrodisc.data.varstars import WAVELENGTH_GRID

Rng = np.random.Generator
LAM = WAVELENGTH_GRID  # Angstrom
INSTRUMENT_SIGMA = LAM / 1800 / 2.355  # Gaussian sigma of the line-spread function [A]

BALMER = (6562.8, 4861.3, 4340.5, 4101.7, 3970.1, 3889.0)
METALS = {  # centre [A]: relative strength at 4,000 K
    3933.7: 1.0,
    3968.5: 0.9,
    4300.0: 0.6,
    5175.0: 0.5,
    5893.0: 0.55,
    8498.0: 0.35,
    8542.0: 0.5,
    8662.0: 0.45,
}
TIO_HEADS = (4955, 5167, 5448, 5847, 6159, 6651, 7054, 7589, 8432)  # degraded to the red
C2_HEADS = (4737, 5165, 5636, 6191)  # Swan bands, degraded to the blue
CN_HEADS = (7088, 7945, 8125)  # red system, degraded to the red


def planck(lam_angstrom: np.ndarray, teff: float) -> np.ndarray:
    """Blackbody B_lambda up to a constant, normalised to 1 at 5,500 A."""
    c2 = 1.4388e8  # hc/k [A K]
    f = lam_angstrom**-5 / np.expm1(c2 / (lam_angstrom * teff))
    return f / (5500.0**-5 / np.expm1(c2 / (5500.0 * teff)))


def _gauss(centre: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((LAM - centre) / sigma) ** 2)


def _band(head: float, depth: float, length: float, to_red: bool) -> np.ndarray:
    """Molecular band: sharp head, absorption fading linearly over ``length`` A away from it."""
    x = (LAM - head) / length if to_red else (head - LAM) / length
    return depth * np.clip(1 - x, 0, 1) * (x >= 0)


def spectrum(
    rng: Rng, teff: float, ebv: float, chemistry: str, balmer_emission: float, halpha_emission: float, vmag: float
) -> tuple[np.ndarray, np.ndarray]:
    """(flux, flux_err) on WAVELENGTH_GRID for one star.

    chemistry: "normal", "orich" (TiO), "crich" (C2, CN) or "hdef" (hydrogen-deficient carbon: no
    Balmer lines, strong C2). Emission strengths are in units of the local continuum. S/N at 5,500 A
    follows brightness: about 80 at V = 13, 20 at V = 16.
    """
    cont = planck(LAM, teff) * 10 ** (-0.4 * 3.1 * ebv * (5500.0 / LAM) ** 1.3 + 0.4 * 3.1 * ebv)
    absorb = np.zeros_like(LAM)
    if chemistry != "hdef":
        balmer_depth = 0.55 * np.exp(-(((teff - 9000) / 2600) ** 2))
        for i, centre in enumerate(BALMER):
            absorb += balmer_depth * 0.8**i * _gauss(centre, np.hypot(4 + teff / 2000, centre / 4240))
    metal = np.clip((7500 - teff) / 3500, 0.05, 1.3)
    for centre, strength in METALS.items():
        absorb += 0.45 * metal * strength * _gauss(centre, np.hypot(2.5, centre / 4240))
    if chemistry == "orich" or (chemistry == "normal" and teff < 3900):
        tio = np.clip((3900 - teff) / 900, 0, 1) * rng.uniform(0.7, 1.0)
        for head in TIO_HEADS:
            absorb += _band(head, 0.6 * tio, rng.uniform(90, 160), to_red=True)
    if chemistry in ("crich", "hdef"):
        c2 = rng.uniform(0.4, 0.75)
        for head in C2_HEADS:
            absorb += _band(head, c2, rng.uniform(120, 200), to_red=False)
        for head in CN_HEADS:
            absorb += _band(head, 0.6 * c2, rng.uniform(100, 180), to_red=True)
    flux = cont * np.exp(-absorb)
    if balmer_emission > 0:
        for centre in BALMER[1:4]:
            flux += balmer_emission * np.interp(centre, LAM, cont) * _gauss(centre, centre / 4240)
    if halpha_emission > 0:
        flux += halpha_emission * np.interp(6562.8, LAM, cont) * _gauss(6562.8, 6562.8 / 4240)
        for centre in (3933.7, 3968.5):
            flux += 0.5 * halpha_emission * np.interp(centre, LAM, cont) * _gauss(centre, centre / 4240)
    snr = 80 * 10 ** (-0.2 * (vmag - 13.0)) * rng.uniform(0.6, 1.4)
    level = float(np.mean(flux))
    err = level / snr * np.sqrt(np.clip(flux / level, 0.02, None))
    err *= 1 + 2.0 * _gauss(5800, 40)  # noisy dichroic region of LAMOST
    return (flux + rng.normal(0, 1, len(LAM)) * err).astype(np.float32), err.astype(np.float32)
