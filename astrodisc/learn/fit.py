"""The one training loop every model of astrodisc uses: seeded, early-stopped, checkpointed, resumable."""

from __future__ import annotations

import functools
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from astrodisc.base.atomic import save_json, write_atomic
from astrodisc.errors import UserError

CHECKPOINT_KEYS = ("model", "optimizer", "best_model", "state")  # what fit() saves in checkpoint.pt


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 40
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 5  # epochs without validation improvement before stopping
    seed: int = 0
    val_fraction: float = 0.1


def fit(
    model: torch.nn.Module,
    loss_of: Callable[[np.ndarray], torch.Tensor],
    score_of: Callable[[], float],
    train_rows: np.ndarray,
    config: TrainConfig,
    desc: str,
    progress: bool,
    checkpoint: Path | None = None,
    after_step: Callable[[], None] | None = None,
) -> dict:
    """The one loop: AdamW, shuffled mini-batches of sorted row indices passed to ``loss_of``, a validation
    score after each epoch (higher is better), early stopping with the best weights restored, and an
    atomic checkpoint per epoch to resume from. ``after_step`` runs after every optimiser step (e.g. a
    momentum-encoder update)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    state: dict[str, Any] = {"epoch": 0, "best": -np.inf, "best_epoch": 0, "history": [], "seconds": 0.0}
    best_weights = {k: v.clone() for k, v in model.state_dict().items()}
    if checkpoint is not None and checkpoint.is_file():
        saved = load_checkpoint(checkpoint)
        try:
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["optimizer"])
        except (RuntimeError, ValueError, KeyError, TypeError):
            raise UserError(_unusable(checkpoint, "it does not fit this model")) from None
        best_weights = saved["best_model"]
        state = json.loads(saved["state"])
        rng = np.random.default_rng([config.seed, state["epoch"]])
    bar = tqdm(total=config.epochs, initial=state["epoch"], desc=desc, disable=not progress)
    while state["epoch"] < config.epochs and state["epoch"] - state["best_epoch"] < config.patience:
        start = time.time()
        model.train()
        order = rng.permutation(train_rows)
        losses = []
        for i in range(0, len(order) - 1, config.batch_size):
            rows = order[i : i + config.batch_size]
            if len(rows) < 2:
                continue
            loss = loss_of(np.sort(rows))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            if after_step is not None:
                after_step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            score = score_of()
        state["epoch"] += 1
        state["seconds"] += time.time() - start
        state["history"].append({"epoch": state["epoch"], "train_loss": float(np.mean(losses)), "val_score": score})
        if score > state["best"]:
            state["best"], state["best_epoch"] = score, state["epoch"]
            best_weights = {k: v.clone() for k, v in model.state_dict().items()}
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses):.3f}", val=f"{score:.3f}")
        if checkpoint is not None:
            payload = {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "best_model": best_weights,
                "state": json.dumps(state),
            }
            write_atomic(checkpoint, functools.partial(torch.save, payload))  # torch.save(payload, tmp_path)
    bar.close()
    model.load_state_dict(best_weights)
    return state


def training_record(state: dict) -> dict:
    """What an evaluation keeps of a :func:`fit` state: ``epochs`` run, ``best_epoch``, wall ``seconds`` and the
    validation score per epoch (``val_scores``), from which the docs judge the early-stopping patience."""
    return {
        "epochs": state["epoch"],
        "best_epoch": state["best_epoch"],
        "seconds": round(state["seconds"], 2),
        "val_scores": [round(h["val_score"], 5) for h in state["history"]],
    }


def load_checkpoint(checkpoint: Path) -> dict:
    """What :func:`fit` saved in ``checkpoint`` (model, optimizer and best weights, the JSON training state), loaded
    with ``weights_only=True``: a pickle posing as a checkpoint is refused, never run. A UserError for any file
    that is not such a checkpoint."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            saved = torch.load(checkpoint, weights_only=True)
        if not isinstance(saved, dict) or not set(CHECKPOINT_KEYS) <= set(saved):
            raise ValueError("not a checkpoint of astrodisc.learn.fit")
        if not isinstance(json.loads(saved["state"]).get("epoch"), int):
            raise ValueError("no epoch in its training state")
    except Exception:  # noqa: BLE001 - weights_only refuses anything but tensors and plain containers: never executed
        raise UserError(_unusable(checkpoint, "it is not a plain tensor checkpoint that astrodisc wrote")) from None
    return saved


def _unusable(checkpoint: Path, why: str) -> str:
    return f"cannot resume from {checkpoint}: {why}; delete it to train from the start"


def prepare_checkpoint(out_dir: Path, settings: dict) -> Path:
    """The checkpoint path in ``out_dir`` for a run of ``settings`` (with a ``train`` entry of TrainConfig).

    A checkpoint of other settings is deleted rather than resumed; one that differs only in the epoch
    budget or the patience is resumed, so a run can be trained longer (across sessions) by raising ``epochs``.
    ``checkpoint.json`` is written only for a run that starts afresh (a resumed run's differs at most in those two
    settings, which the comparison ignores), so a resume that :func:`fit` refuses (:func:`load_checkpoint`: a file
    that is no checkpoint) has written nothing.
    The trainers put the content digest of their dataset in ``settings``
    (:func:`astrodisc.base.digests.dataset_digest`), so changed data restarts a run whatever its name and size.
    """
    checkpoint = Path(out_dir) / "checkpoint.pt"
    settings_file = Path(out_dir) / "checkpoint.json"
    if checkpoint.is_file() and _saved_settings(settings_file) != _resumable(settings):
        checkpoint.unlink()
    if not checkpoint.is_file():
        save_json(settings_file, settings)
    return checkpoint


def _saved_settings(settings_file: Path) -> dict | None:
    """The resumable settings recorded in ``settings_file``; None if it is missing or garbled (nothing to resume)."""
    try:
        return _resumable(json.loads(settings_file.read_text()))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None


def _resumable(settings: dict) -> dict:
    """The settings a checkpoint must share to be resumed: all but the epoch budget and patience, as JSON has
    them (tuples read back as lists)."""
    settings = json.loads(json.dumps(settings))
    return {**settings, "train": {k: v for k, v in settings["train"].items() if k not in ("epochs", "patience")}}
