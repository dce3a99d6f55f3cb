"""The one training loop: a checkpoint resumes a run, a raised epoch budget trains it longer, other settings restart."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch

from astrodisc.learn.fit import TrainConfig, fit, prepare_checkpoint


def _run(tmp_path, config: TrainConfig, dataset: str) -> tuple[dict, int]:
    """A tiny regression trained through a checkpoint in ``tmp_path``: (fit state, optimiser steps taken)."""
    torch.manual_seed(0)
    x = torch.linspace(-1, 1, 64)[:, None]
    y = 3 * x
    model = torch.nn.Linear(1, 1)
    steps = []

    def loss_of(rows: np.ndarray) -> torch.Tensor:
        steps.append(len(rows))
        return torch.nn.functional.mse_loss(model(x[rows]), y[rows])

    def score_of() -> float:
        return -float(torch.nn.functional.mse_loss(model(x), y))

    # settings hold tuples, as model configs do; the checkpoint's JSON reads them back as lists
    settings = {"dataset": dataset, "encoder": {"blocks": (1, 1)}, "train": asdict(config)}
    checkpoint = prepare_checkpoint(tmp_path, settings)
    return fit(model, loss_of, score_of, np.arange(64), config, "test", False, checkpoint), len(steps)


def test_a_raised_epoch_budget_resumes_and_other_settings_restart(tmp_path):
    first, steps = _run(tmp_path, TrainConfig(epochs=3, batch_size=16, patience=10), "d")
    assert [h["epoch"] for h in first["history"]] == [1, 2, 3] and steps == 3 * 4
    longer, steps = _run(tmp_path, TrainConfig(epochs=5, batch_size=16, patience=20), "d")
    assert [h["epoch"] for h in longer["history"]] == [1, 2, 3, 4, 5]
    assert longer["history"][:3] == first["history"] and steps == 2 * 4  # only epochs 4 and 5 ran
    other, steps = _run(tmp_path, TrainConfig(epochs=5, batch_size=16, patience=20, lr=5e-3), "d")
    assert [h["epoch"] for h in other["history"]] == [1, 2, 3, 4, 5] and steps == 5 * 4  # another lr starts afresh
    again, steps = _run(tmp_path, TrainConfig(epochs=5, batch_size=16, patience=20, lr=5e-3), "e")
    assert steps == 5 * 4  # so does another dataset
