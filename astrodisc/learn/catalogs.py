"""Catalogue models: SCARF pretraining (:mod:`astrodisc.learn.encoders.tabular`) of a tabular encoder on every row of a
catalogue dataset, labels unused, with the one training loop :func:`astrodisc.learn.fit.fit`.

A catalogue model folder holds ``weights.pt`` (the encoder's state dict, loaded with ``weights_only=True``) and
``config.json`` (kind "catalog", encoder and SCARF settings, the feature columns and their scaler, training
history). Example::

    out = Path("models/gaia-scarf")
    state = pretrain_catalogs(Path("data/gaia"), out, CatalogPretrainConfig(), TrainConfig(epochs=5))
    model, scaler, config = load_catalog_model(out)
    x = encode_tabular(model, scaler.transform(CatalogStore(Path("data/gaia")).features()))  # (N, 128)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from astrodisc.base.digests import dataset_digest
from astrodisc.data.catalogs import CatalogStore
from astrodisc.errors import UserError
from astrodisc.learn.columns import ColumnScaler
from astrodisc.learn.encoders.tabular import TabularConfig, TabularEncoder, scarf_view
from astrodisc.learn.fit import TrainConfig, fit, prepare_checkpoint
from astrodisc.learn.model_folder import load_model_folder, save_model_folder
from astrodisc.learn.objectives import info_nce
from astrodisc.learn.splits import pretraining_rows


@dataclass(frozen=True)
class CatalogPretrainConfig:
    corruption_rate: float = 0.6  # share of features replaced by marginal draws in each view (SCARF's default)
    noise_std: float = 0.1  # Gaussian noise on the values present [feature standard deviations]
    temperature: float = 1.0  # InfoNCE softmax temperature (SCARF's; 0.1 learned less group structure here)
    feature_dim: int = 128
    hidden: int = 256
    proj_dim: int = 64


def pretrain_catalogs(
    dataset_dir: Path, out_dir: Path, scarf: CatalogPretrainConfig, config: TrainConfig, progress: bool = True
) -> dict:
    """SCARF pretraining on every row of a catalogue dataset (labels unused); writes a model folder.
    The validation score is minus the InfoNCE on a seeded held-out ``val_fraction`` with fixed views."""
    store = CatalogStore(dataset_dir)
    raw = store.features()
    if len(raw) < 8:
        raise UserError(f"{store.info.name} has {len(raw)} rows: contrastive training needs at least 8")
    train_rows, val_rows = pretraining_rows(store.objects, config.seed, config.val_fraction)
    scaler = ColumnScaler.fit(raw[train_rows])
    x = torch.from_numpy(scaler.transform(raw))
    pool = x[torch.from_numpy(train_rows)]  # the marginals views draw from: training rows only
    torch.manual_seed(config.seed)
    model = TabularEncoder(
        TabularConfig(
            n_features=raw.shape[1], feature_dim=scarf.feature_dim, hidden=scarf.hidden, proj_dim=scarf.proj_dim
        )
    )
    scale = torch.tensor(1.0 / scarf.temperature)
    gen = torch.Generator().manual_seed(config.seed)

    def loss_of(rows: np.ndarray, generator: torch.Generator = gen) -> torch.Tensor:
        batch = x[torch.from_numpy(rows)]
        views = [scarf_view(batch, pool, generator, scarf.corruption_rate, scarf.noise_std) for _ in range(2)]
        return info_nce(model(views[0]), model(views[1]), scale)

    def score_of() -> float:
        val_gen = torch.Generator().manual_seed(12345)
        return -float(
            np.mean(
                [
                    float(loss_of(val_rows[i : i + config.batch_size], val_gen))
                    for i in range(0, len(val_rows) - 1, config.batch_size)
                ]
            )
        )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        "scarf": asdict(scarf),
        "train": asdict(config),
        "dataset": store.info.name,
        "n_objects": len(raw),
        "features": list(store.feature_columns),
        "data_digest": dataset_digest(dataset_dir),
    }
    checkpoint = prepare_checkpoint(out_dir, settings)
    state = fit(model, loss_of, score_of, train_rows, config, "SCARF pretraining", progress, checkpoint)
    save_model_folder(
        out_dir,
        model,
        {
            "kind": "catalog",
            "objective": "scarf",
            "encoder": asdict(model.config),
            "features": list(store.feature_columns),
            "scaler": scaler.to_json(),
            "training": {
                **settings,
                "history": state["history"],
                "best_epoch": state["best_epoch"],
                "train_seconds": state["seconds"],
                "val_loss": -state["best"],
            },
        },
    )
    return state


def load_catalog_model(model_dir: Path) -> tuple[TabularEncoder, ColumnScaler, dict]:
    """Load a catalogue model folder (weights with ``weights_only=True``)."""
    model, scaler, config = load_model_folder(
        model_dir,
        "catalog",
        lambda config: (
            TabularEncoder(TabularConfig(**config["encoder"])),
            ColumnScaler.from_json(config["scaler"]),
        ),
    )
    return model, scaler, config


def encode_tabular(
    model: TabularEncoder, scaled: np.ndarray, batch_size: int = 8192, progress: bool = False
) -> np.ndarray:
    """(N, feature_dim) float32 representations of (N, 2F) scaled rows (:meth:`ColumnScaler.transform`)."""
    model.eval()
    with torch.no_grad():
        parts = [
            model.features(torch.from_numpy(scaled[i : i + batch_size])).numpy()
            for i in tqdm(range(0, len(scaled), batch_size), desc="embed", disable=not progress)
        ]
    return np.concatenate(parts) if parts else np.zeros((0, model.config.feature_dim), np.float32)


def embed_catalog(store: CatalogStore, model_dir: Path, progress: bool = True) -> dict[str, np.ndarray]:
    """{"metadata": (N, feature_dim)} representations of every row; the model must read the store's columns."""
    model, scaler, config = load_catalog_model(model_dir)
    if tuple(config["features"]) != store.feature_columns:
        raise UserError(
            f"model {Path(model_dir).name} reads columns {', '.join(config['features'])}; "
            f"{store.info.name} has {', '.join(store.feature_columns)}"
        )
    return {"metadata": encode_tabular(model, scaler.transform(store.features()), progress=progress)}
