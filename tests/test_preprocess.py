"""Model inputs: shapes, masks, the folded view, missing spectra and metadata."""

import numpy as np

from astrodisc.learn.preprocess import FOLD_BINS, SEQ_LEN, MetadataScaler, lightcurve_arrays, spectrum_arrays


def test_lightcurve_arrays_mask_scale_and_fold():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 2000, 350))
    period = 0.731
    mag = 14 + 0.4 * np.sin(2 * np.pi * t / period)
    seq, mask, fold, aux = lightcurve_arrays(t, mag, np.full_like(t, 0.02), np.log10(period), 0.9)
    assert seq.shape == (SEQ_LEN, 3) and mask.sum() == SEQ_LEN  # 350 epochs centre-cropped to 200
    assert np.all(np.diff(seq[mask][:, 0]) >= 0) and 0 <= seq[mask][:, 0].min() and seq[mask][:, 0].max() <= 1
    assert fold.shape == (2, FOLD_BINS)
    assert np.argmin(fold[0]) == 0  # brightest bin first
    # folded at the true period the curve is smooth: one minimum and one maximum
    assert np.sum(np.diff(np.sign(np.diff(fold[0]))) != 0) <= 4
    assert np.isclose(aux[3], np.log10(period)) and np.isclose(aux[4], 0.9)


def test_short_curves_are_padded_and_masked():
    t = np.linspace(0, 100, 40)
    seq, mask, _, _ = lightcurve_arrays(t, 15 + np.sin(t), np.full(40, 0.05), np.nan, np.nan)
    assert mask.sum() == 40 and not mask[40:].any() and np.all(seq[40:] == 0)


def test_missing_spectrum_and_nan_pixels():
    flux = np.full(2576, np.nan)
    arr, has = spectrum_arrays(flux, flux)
    assert not has and np.all(arr == 0)
    flux = np.linspace(1, 2, 2576)
    flux[100:110] = np.nan
    arr, has = spectrum_arrays(flux, np.full(2576, 0.01))
    assert has and arr.shape == (2, 1288) and np.isfinite(arr).all()
    assert np.isclose(np.median(np.abs(arr[0][arr[0] != 0])), 1.0, atol=0.02)


def test_metadata_scaler_marks_missing_values():
    raw = np.array([[1.0, np.nan], [3.0, 10.0], [np.nan, 20.0]])
    scaler = MetadataScaler.fit(raw)
    out = scaler.transform(raw)
    assert out.shape == (3, 4)
    assert np.allclose(out[:, 2:], [[0, 1], [0, 0], [1, 0]])
    assert out[2, 0] == 0 and out[0, 1] == 0  # missing values sit at the mean
    assert np.isclose(out[1, 0], 1.0) and np.isclose(out[1, 1], -1.0)
