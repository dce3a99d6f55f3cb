"""The one training loop every model of astrodisc uses: seeded, early-stopped, checkpointed, resumable."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from astrodisc.atomic import save_json, write_atomic


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 40
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 5  # epochs without validation improvement before stopping
    seed: int = 0
    val_fraction: float = 0.1


def fit(model: torch.nn.Module, loss_of: Callable[[np.ndarray], torch.Tensor], score_of: Callable[[], float],
        train_rows: np.ndarray, config: TrainConfig, desc: str, progress: bool, checkpoint: Path | None = None,
        after_step: Callable[[], None] | None = None) -> dict:
    """The one loop: AdamW, shuffled mini-batches of sorted row indices passed to ``loss_of``, a validation
    score after each epoch (higher is better), early stopping with the best weights restored, and an
    atomic checkpoint per epoch to resume from. ``after_step`` runs after every optimiser step (e.g. a
    momentum-encoder update)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    state = {"epoch": 0, "best": -np.inf, "best_epoch": 0, "history": [], "seconds": 0.0}
    best_weights = {k: v.clone() for k, v in model.state_dict().items()}
    if checkpoint is not None and checkpoint.is_file():
        saved = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
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
            rows = order[i: i + config.batch_size]
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
            payload = {"model": model.state_dict(), "optimizer": opt.state_dict(), "best_model": best_weights,
                       "state": json.dumps(state)}
            write_atomic(checkpoint, lambda p: torch.save(payload, p))
    bar.close()
    model.load_state_dict(best_weights)
    return state


def prepare_checkpoint(out_dir: Path, settings: dict) -> Path:
    """The checkpoint path in ``out_dir`` for a run of ``settings`` (with a ``train`` entry of TrainConfig).

    A checkpoint of other settings is deleted rather than resumed; one that differs only in the epoch
    budget or the patience is resumed, so a run can be trained longer (across sessions) by raising ``epochs``.
    The trainers put the content digest of their dataset in ``settings`` (:func:`astrodisc.digests.dataset_digest`),
    so changed data restarts a run whatever its name and size.
    """
    checkpoint = Path(out_dir) / "checkpoint.pt"
    settings_file = Path(out_dir) / "checkpoint.json"
    if checkpoint.is_file() and (not settings_file.is_file()
                                 or _resumable(json.loads(settings_file.read_text())) != _resumable(settings)):
        checkpoint.unlink()
    save_json(settings_file, settings)
    return checkpoint


def _resumable(settings: dict) -> dict:
    """The settings a checkpoint must share to be resumed: all but the epoch budget and patience, as JSON has
    them (tuples read back as lists)."""
    settings = json.loads(json.dumps(settings))
    return {**settings, "train": {k: v for k, v in settings["train"].items() if k not in ("epochs", "patience")}}
