"""Fine-tuning that starts at the frozen probe (LP-FT): the head the evaluation hands the network predicts what the
probe predicts, a class absent from the labelled rows is never predicted at the start, and train_head starts from
the weights it is given."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch

from astrodisc.eval.galaxies import GalaxyEvalConfig, _Runner
from astrodisc.eval.logistic import fit_probe
from astrodisc.learn.encoders.resnet import ResNetConfig, ResNetEncoder
from astrodisc.learn.fit import TrainConfig
from astrodisc.learn.galaxies import train_head
from astrodisc.learn.galaxy_augment import AugmentConfig

N, F = 300, 8


def _runner(labels: np.ndarray, features: np.ndarray) -> _Runner:
    data = SimpleNamespace(store=SimpleNamespace(objects=pd.DataFrame({"z_spec": np.full(len(labels), np.nan)})))
    return _Runner(None, data, AugmentConfig(), labels, [], GalaxyEvalConfig(probe_first=True), features)


def _three_classes() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = np.array(["disc", "elliptical", "merger"], dtype=object)[rng.integers(0, 3, N)]
    features = rng.normal(size=(N, F)) * rng.uniform(0.5, 3, F) + rng.normal(0, 5, F)  # scaled and offset columns
    features[:, 0] += 3 * (labels == "elliptical")
    features[:, 1] += 3 * (labels == "merger")
    return labels, features


def _normalised(logits: np.ndarray) -> np.ndarray:
    return logits - logits.max(axis=1, keepdims=True)


def test_the_probe_head_on_raw_features_gives_the_probes_logits():
    labels, features = _three_classes()
    runner = _runner(labels, features)
    rows = np.arange(200)
    weights, bias = runner._probe_head(rows)
    probe = fit_probe(features[rows], labels[rows].astype(str))
    np.testing.assert_allclose(_normalised(features @ weights.T + bias), _normalised(probe.logits(features)), atol=1e-8)
    assert (runner.classes == ["disc", "elliptical", "merger"]) and weights.shape == (3, F)


def test_a_class_missing_from_the_labelled_rows_starts_never_predicted():
    labels, features = _three_classes()
    runner = _runner(labels, features)
    rows = np.flatnonzero(labels != "merger")[:150]
    weights, bias = runner._probe_head(rows)
    assert bias[2] == -10.0 and not weights[2].any()
    probe = fit_probe(features[rows], labels[rows].astype(str))  # two classes: one logit column
    logits = features @ weights.T + bias
    np.testing.assert_allclose(logits[:, 1] - logits[:, 0], probe.logits(features)[:, 1], atol=1e-8)
    assert (logits.argmax(axis=1) != 2).all()


def test_train_head_starts_from_the_weights_it_is_given():
    encoder = ResNetEncoder(ResNetConfig(width=4, blocks=(1, 1, 1), input_px=16))
    rng = np.random.default_rng(1)
    initial = (rng.normal(size=(3, encoder.feature_dim)), rng.normal(size=3))
    data = SimpleNamespace()  # zero epochs: no view is drawn
    head, state = train_head(
        encoder,
        data,
        "morphology",
        torch.zeros(4, dtype=torch.long),
        3,
        np.arange(4),
        np.arange(4),
        AugmentConfig(),
        TrainConfig(epochs=0),
        initial=initial,
    )
    assert state["epoch"] == 0
    np.testing.assert_allclose(head.linear.weight.detach().numpy(), initial[0], rtol=1e-6)
    np.testing.assert_allclose(head.linear.bias.detach().numpy(), initial[1], rtol=1e-6)
