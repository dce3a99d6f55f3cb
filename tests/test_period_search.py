"""Lomb-Scargle period search and phase folding on simulated light curves."""

import numpy as np
import pytest

from astrodisc.data.period_search import brightest_epoch, fold, frequency_grid, lomb_scargle
from astrodisc.errors import UserError


def irregular_sinusoid(period: float, n: int = 500, years: float = 6.0, seed: int = 0):
    """Seasonal, irregular sampling of a noisy sinusoid: (time [d], mag, mag_err)."""
    rng = np.random.default_rng(seed)
    time = rng.uniform(0.0, years * 365.25, 4 * n)
    time = np.sort(time[np.mod(time, 365.25) < 200.0][:n]) + 55000.0  # seasons of 200 nights, MJD-like
    err = rng.uniform(0.02, 0.08, time.size)
    mag = 15.0 + 0.3 * np.sin(2 * np.pi * time / period) + rng.normal(0.0, err)
    return time, mag, err


@pytest.mark.parametrize("period", [0.0731, 0.5371, 3.217, 41.3])
def test_recovers_period_of_irregular_sinusoid(period):
    time, mag, err = irregular_sinusoid(period)
    result = lomb_scargle(time, mag, err)
    baseline = time.max() - time.min()
    assert abs(1 / result.best_period - 1 / period) < 0.05 / baseline  # a twentieth of the peak width
    assert result.candidates == {
        "best": result.best_period,
        "half": result.best_period / 2,
        "double": 2 * result.best_period,
    }
    peak = result.frequency[np.argmax(result.power)]
    assert peak == pytest.approx(1 / period, abs=2 * (result.frequency[1] - result.frequency[0]))


def test_frequency_grid_spacing_and_cap():
    grid = frequency_grid(baseline=100.0, min_period=0.5, max_period=10.0, samples_per_peak=5, max_frequencies=200_000)
    assert np.allclose(np.diff(grid), 1 / 500)
    assert grid[0] >= 0.1 - 1e-12 and grid[0] < 0.1 + 1 / 500 and grid[-1] == pytest.approx(2.0)
    capped = frequency_grid(
        baseline=2000.0, min_period=0.02, max_period=1000.0, samples_per_peak=5, max_frequencies=1000
    )
    step = capped[1] - capped[0]
    assert len(capped) <= 1000 and 50.0 - step < capped[-1] <= 50.0 and capped[0] >= 1e-3


def test_ignores_non_finite_epochs():
    time, mag, err = irregular_sinusoid(0.5371, n=200)
    mag[::7] = np.nan
    err[3::11] = -1.0
    assert lomb_scargle(time, mag, err).best_period == pytest.approx(0.5371, rel=1e-4)


def test_errors_on_unusable_input():
    with pytest.raises(UserError, match="finite epochs"):
        lomb_scargle(np.arange(10.0), np.full(10, np.nan))
    with pytest.raises(UserError, match="finite epochs"):
        lomb_scargle(np.arange(4.0), np.arange(4.0))
    with pytest.raises(UserError, match="varies"):
        lomb_scargle(np.arange(10.0), np.ones(10))
    with pytest.raises(UserError, match="period range"):
        lomb_scargle(np.arange(10.0), np.arange(10.0), min_period=2.0, max_period=1.0)


def test_fold_phases():
    time = np.array([100.0, 100.25, 100.5, 101.0, 99.75])
    assert np.allclose(fold(time, 0.5), [0.5, 0.0, 0.5, 0.5, 0.0])
    assert np.allclose(fold(time, 1.0, epoch=100.0), [0.0, 0.25, 0.5, 0.0, 0.75])
    phase = fold(np.array([-1e-17, 0.3]), 1.0, epoch=0.0)
    assert np.all((phase >= 0) & (phase < 1))
    assert brightest_epoch(time, np.array([15.0, 14.2, np.nan, 14.9, 15.1])) == 100.25


def test_envelope_keeps_every_peak_in_a_short_periodogram():
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 900, 300))
    mag = 12 + 0.3 * np.sin(2 * np.pi * t / 0.61) + rng.normal(0, 0.05, t.size)
    search = lomb_scargle(t, mag)
    short = search.envelope(4000)
    assert len(search.frequency) > 4000 >= len(short.frequency)
    assert short.power.max() == search.power.max()  # the highest peak survives, at its own frequency
    assert short.frequency[np.argmax(short.power)] == search.frequency[np.argmax(search.power)]
    width = int(np.ceil(len(search.frequency) / 4000))  # each kept point is the top of its run of frequencies
    assert np.all(np.diff(np.flatnonzero(np.isin(search.frequency, short.frequency))) <= 2 * width)
    assert (short.best_period, short.candidates) == (search.best_period, search.candidates)
    assert short.envelope(4000) is short
