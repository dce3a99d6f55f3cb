"""The probe's logistic regression solves scikit-learn's problem: same predictions and probabilities."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from astrodisc.eval.logistic import fit_probe


def _blobs(n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping Gaussian classes in 20-D with a badly scaled column and a constant one."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.0, (n_classes, 20))
    y = rng.integers(0, n_classes, 3000)
    x = centres[y] + rng.normal(0, 1.5, (3000, 20))
    x[:, 0] *= 1000.0
    x[:, 1] = 7.0
    return x, np.array([f"c{v}" for v in y])


@pytest.mark.parametrize("n_classes", [2, 3, 6])
def test_fit_probe_agrees_with_scikit_learn(n_classes: int) -> None:
    x, y = _blobs(n_classes, seed=n_classes)
    train, test = slice(0, 2000), slice(2000, None)
    probe = fit_probe(x[train], y[train])
    scaler = StandardScaler().fit(x[train])
    reference = LogisticRegression(max_iter=2000, C=1.0).fit(scaler.transform(x[train]), y[train])
    ours = probe.probability(x[test])
    theirs = reference.predict_proba(scaler.transform(x[test]))
    assert list(probe.classes) == list(reference.classes_)
    assert np.abs(ours - theirs).max() < 0.02
    assert np.mean(probe.predict(x[test]) == reference.predict(scaler.transform(x[test]))) > 0.99
    assert np.mean(probe.predict(x[test]) == y[test]) > 1.5 / n_classes  # it learned the classes
    assert np.allclose(ours.sum(axis=1), 1.0)


def test_fit_probe_refuses_one_class() -> None:
    with pytest.raises(ValueError, match="two classes"):
        fit_probe(np.ones((5, 2)), np.array(["a"] * 5))
