"""The linear probe's classifier: L2-regularised logistic regression on standardised features, solved with L-BFGS
in PyTorch.

The objective and the stopping rule are scikit-learn's ``LogisticRegression(C=1, solver="lbfgs")``: the mean
cross-entropy over the training rows plus ``|W|^2 / (2 C n)`` (intercepts not penalised), multinomial over all
classes (one weight column per class) or, for two classes, the binary logistic loss on one column; stop when
every gradient component is below ``tol`` (1e-4) or after ``max_iter`` (2000) iterations. On the variable-star
probes (16,000 rows, 128-384 features, 10 classes) scikit-learn's own solver spent 3-14 s a fit, this one
0.5-5 s with the same test accuracy (within 0.1 point) and 99.6-100 % of test predictions alike
(``tests/test_logistic.py`` holds it to scikit-learn on synthetic sets): the evaluation runs hundreds of probes.

Example::

    probe = fit_probe(features[train], labels[train])
    probe.predict(features[test])            # (n,) class names
    probe.probability(features[test])        # (n, K) in the order of probe.classes
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

TOLERANCE = 1e-4  # scikit-learn's default: largest gradient component at convergence
MAX_ITER = 2000


@dataclass(frozen=True)
class LinearProbe:
    """A fitted probe: standardisation (F,) ``mean`` and ``scale``, ``weights`` (F, C) and ``bias`` (C,) with C = K
    classes, or C = 1 for two (the second class's logit)."""

    classes: np.ndarray  # (K,) sorted class names
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray

    def logits(self, features: np.ndarray) -> np.ndarray:
        """(N, K) class logits of (N, F) ``features``."""
        z = ((np.asarray(features, np.float64) - self.mean) / self.scale) @ self.weights + self.bias
        return np.hstack([np.zeros_like(z), z]) if len(self.classes) == 2 else z

    def probability(self, features: np.ndarray) -> np.ndarray:
        """(N, K) class probabilities, columns in the order of ``classes``."""
        z = self.logits(features)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """(N,) the most probable class of each row."""
        return self.classes[self.logits(features).argmax(axis=1)]


def fit_probe(features: np.ndarray, labels: np.ndarray, c: float = 1.0) -> LinearProbe:
    """The probe of (N, F) ``features`` standardised on these rows (zero-variance columns left unscaled) for (N,)
    ``labels`` of two or more classes, at inverse regularisation ``c``."""
    x = np.asarray(features, np.float64)
    classes, y = np.unique(np.asarray(labels).astype(str), return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"a probe needs two classes or more; the labels hold {len(classes)}")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    xt = torch.from_numpy((x - mean) / scale)
    yt = torch.from_numpy(y)
    n_out = 1 if len(classes) == 2 else len(classes)
    weights = torch.zeros(x.shape[1], n_out, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(n_out, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [weights, bias],
        max_iter=MAX_ITER,
        tolerance_grad=TOLERANCE,
        tolerance_change=1e-12,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def objective() -> torch.Tensor:
        optimiser.zero_grad()
        z = xt @ weights + bias
        if n_out == 1:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z[:, 0], yt.to(torch.float64))
        else:
            loss = torch.nn.functional.cross_entropy(z, yt)
        loss = loss + (weights * weights).sum() / (2 * c * len(y))
        loss.backward()
        return loss

    optimiser.step(objective)
    return LinearProbe(classes, mean, scale, weights.detach().numpy(), bias.detach().numpy())
