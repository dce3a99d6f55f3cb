"""Training: trimodal CLIP pretraining (with checkpoints, resume and early stopping) and supervised
fine-tuning / from-scratch training of the same architecture, sharing one loop.

A model folder holds ``weights.pt`` (state dict, loaded with ``weights_only=True``), ``config.json``
(architecture, metadata scaler, dataset, training settings and history) and ``MODEL_CARD.md``.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from astrodisc.base.digests import dataset_digest
from astrodisc.data.varstars import VarStarStore
from astrodisc.errors import UserError
from astrodisc.learn.encoders.clip_model import MODALITIES, Batch, Classifier, ModelConfig, TrimodalCLIP
from astrodisc.learn.fit import TrainConfig, fit, prepare_checkpoint
from astrodisc.learn.model_folder import load_model_folder, save_model_folder
from astrodisc.learn.objectives import trimodal_clip_loss
from astrodisc.learn.preprocess import MetadataScaler, ModelInputs, model_inputs
from astrodisc.learn.splits import pretraining_rows


def to_batch(inputs: ModelInputs, meta: np.ndarray, rows: np.ndarray) -> Batch:
    """Tensors of the given rows (``meta`` is the scaled (N, 76) metadata)."""
    return {
        "seq": torch.from_numpy(inputs.seq[rows]),
        "mask": torch.from_numpy(inputs.mask[rows]),
        "fold": torch.from_numpy(inputs.fold[rows]),
        "aux": torch.from_numpy(inputs.aux[rows]),
        "spec": torch.from_numpy(inputs.spec[rows]),
        "has_spec": torch.from_numpy(inputs.has_spec[rows]),
        "meta": torch.from_numpy(meta[rows]),
        "rows": torch.from_numpy(rows),
    }


def pretrain_varstars(dataset_dir: Path, out_dir: Path, config: TrainConfig, progress: bool = True) -> dict:
    """Pretrain the trimodal CLIP model on every object of a dataset (labels unused) and write a model folder.

    The validation score is minus the CLIP loss on a seeded ``val_fraction`` of objects (or, for a dataset with
    its own split, on its val rows; its test rows are never seen: :func:`astrodisc.learn.splits.pretraining_rows`).
    Resumes from ``out_dir/checkpoint.pt`` when the same settings were interrupted or the epoch budget is raised.
    """
    store = VarStarStore(dataset_dir)
    if not store.has_spectra:
        raise UserError(f"{store.info.name} has no spectra: trimodal pretraining needs all three modalities")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs = model_inputs(store, progress)
    train_rows, val_rows = pretraining_rows(store.objects, config.seed, config.val_fraction)
    scaler = MetadataScaler.fit(inputs.meta_raw[train_rows])
    meta = scaler.transform(inputs.meta_raw)
    torch.manual_seed(config.seed)  # the initial weights follow the seed too
    model = TrimodalCLIP(ModelConfig(n_meta_inputs=meta.shape[1]))

    def loss_of(batch: Batch) -> torch.Tensor:
        return trimodal_clip_loss(model(batch), model.logit_scale, {"spectra": batch["has_spec"]})

    def score_of() -> float:
        with torch.no_grad():  # a validation score: no graph kept
            batches = [to_batch(inputs, meta, val_rows[i : i + 512]) for i in range(0, len(val_rows), 512)]
            return -float(np.mean([float(loss_of(batch)) for batch in batches]))

    settings = {
        "train": asdict(config),
        "dataset": store.info.name,
        "n_objects": len(inputs),
        "data_digest": dataset_digest(dataset_dir),
    }
    checkpoint = prepare_checkpoint(out_dir, settings)
    state = fit(
        model,
        lambda rows: loss_of(to_batch(inputs, meta, rows)),
        score_of,
        train_rows,
        config,
        "CLIP pretraining",
        progress,
        checkpoint,
    )
    save_varstar_model(
        out_dir,
        model,
        scaler,
        {
            **settings,
            "history": state["history"],
            "best_epoch": state["best_epoch"],
            "train_seconds": state["seconds"],
            "val_clip_loss": -state["best"],
        },
    )
    return state


def save_varstar_model(out_dir: Path, model: TrimodalCLIP, scaler: MetadataScaler, training: dict) -> None:
    save_model_folder(
        out_dir,
        model,
        {
            "kind": "varstars",
            "model": asdict(model.config),
            "scaler": {"mean": scaler.mean, "std": scaler.std},
            "modalities": list(MODALITIES),
            "training": training,
        },
    )


def load_varstar_model(model_dir: Path) -> tuple[TrimodalCLIP, MetadataScaler, dict]:
    """Load a variable-star model folder (weights with ``weights_only=True``)."""
    model, scaler, config = load_model_folder(
        model_dir,
        "varstars",
        lambda config: (
            TrimodalCLIP(ModelConfig(**config["model"])),
            MetadataScaler(np.asarray(config["scaler"]["mean"]), np.asarray(config["scaler"]["std"])),
        ),
    )
    return model, scaler, config


def train_classifier(
    backbone: TrimodalCLIP,
    modalities: tuple[str, ...],
    inputs: ModelInputs,
    meta: np.ndarray,
    labels: np.ndarray,
    classes: list[str],
    train_rows: np.ndarray,
    val_rows: np.ndarray,
    config: TrainConfig,
    head_only: bool = False,
    progress: bool = False,
) -> tuple[Classifier, dict]:
    """Supervised training of a linear head on ``backbone`` (fine-tuning it too unless ``head_only``),
    early-stopped on validation accuracy. The same call trains from scratch when ``backbone`` is new. Returns the
    classifier and the training state of :func:`astrodisc.learn.fit.fit` (epochs, history, seconds)."""
    y = torch.tensor([classes.index(c) if c in classes else -1 for c in labels])
    clf = Classifier(backbone, modalities, len(classes))
    for p in clf.backbone.parameters():
        p.requires_grad_(not head_only)

    def loss_of(batch: Batch) -> torch.Tensor:
        return F.cross_entropy(clf(batch), y[batch["rows"]])

    def score_of() -> float:
        pred = predict(clf, inputs, meta, val_rows)
        return float(np.mean(pred == y[val_rows].numpy()))

    state = fit(
        clf, lambda rows: loss_of(to_batch(inputs, meta, rows)), score_of, train_rows, config, "fine-tune", progress
    )
    return clf, state


def predict(clf: Classifier, inputs: ModelInputs, meta: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Predicted class indices (len(rows),)."""
    clf.eval()
    with torch.no_grad():
        return np.concatenate(
            [clf(to_batch(inputs, meta, rows[i : i + 1024])).argmax(-1).numpy() for i in range(0, len(rows), 1024)]
            or [np.zeros(0, int)]
        )
