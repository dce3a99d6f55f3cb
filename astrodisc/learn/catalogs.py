"""Catalogue models: SCARF pretraining (:mod:`astrodisc.learn.encoders.tabular`) of a tabular encoder on every row of a
catalogue dataset, labels unused, with the one training loop :func:`astrodisc.learn.fit.fit`; and the choice of
what the ``metadata`` space holds.

**The representation.** A catalogue's columns, log-scaled where heavy-tailed and standardised
(:mod:`astrodisc.learn.columns`), are already a good space: on a real catalogue of long-period variables the
SCARF encoder's 10-NN subtype accuracy (0.933) was below that of the columns themselves (0.951). So the encoder is
used only where it is shown better: with labels in the catalogue (two or more classes of ``MIN_PER_CLASS`` or more),
:func:`choose_representation` compares the two by 5-fold 10-nearest-neighbour accuracy (cosine, as the index and
map search) and keeps the encoder only if it wins; without labels nothing can show it better, and the columns are
the default. ``train --representation columns|encoder`` overrides. The columns space
(:func:`columns_representation`) is the scaled values (missing = 0, the column's mean; the missingness flags left
out, so rows missing a value do not gather apart) plus a constant lift that makes cosine similarity rank
neighbours as Euclidean distance between the scaled values does.

A catalogue model folder holds ``weights.pt`` (the encoder's state dict, loaded with ``weights_only=True``) and
``config.json`` (kind "catalog", encoder and SCARF settings, the feature columns and their scaler, the
representation chosen and why, training history). Example::

    out = Path("models/gaia-scarf")
    state = pretrain_catalogs(Path("data/gaia"), out, CatalogPretrainConfig(), TrainConfig(epochs=5))
    model, scaler, config = load_catalog_model(out)
    x = encode_tabular(model, scaler.transform(CatalogStore(Path("data/gaia")).features()))  # (N, 128)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from tqdm import tqdm

from astrodisc.base.digests import dataset_digest
from astrodisc.data.catalogs import CatalogStore
from astrodisc.errors import UserError
from astrodisc.learn.columns import ColumnScaler
from astrodisc.learn.encoders.tabular import TabularConfig, TabularEncoder, scarf_view
from astrodisc.learn.fit import TrainConfig, fit, prepare_checkpoint
from astrodisc.learn.model_folder import load_model_folder, save_model_folder
from astrodisc.learn.objectives import info_nce
from astrodisc.learn.splits import is_labelled, pretraining_rows

Representation = Literal["columns", "encoder"]
COLUMNS_LIFT = 10.0  # the lift is COLUMNS_LIFT * sqrt(F): LINEAR's 10-NN accuracy 95.09 % cosine, 95.09 % Euclidean
MIN_PER_CLASS = 5  # labelled members a class needs for the 5-fold comparison
KNN_K = 10


@dataclass(frozen=True)
class CatalogPretrainConfig:
    corruption_rate: float = 0.6  # share of features replaced by marginal draws in each view (SCARF's default)
    noise_std: float = 0.1  # Gaussian noise on the values present [feature standard deviations]
    temperature: float = 1.0  # InfoNCE softmax temperature (SCARF's; 0.1 learned less group structure here)
    feature_dim: int = 128
    hidden: int = 256
    proj_dim: int = 64


def pretrain_catalogs(
    dataset_dir: Path,
    out_dir: Path,
    scarf: CatalogPretrainConfig,
    config: TrainConfig,
    progress: bool = True,
    forced: Representation | None = None,
) -> dict:
    """SCARF pretraining on every row of a catalogue dataset (labels unused), then the representation the
    ``metadata`` space will hold (:func:`choose_representation`, or ``forced``); writes a model folder.
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
    settings: dict = {
        "scarf": asdict(scarf),
        "train": asdict(config),
        "dataset": store.info.name,
        "n_objects": len(raw),
        "features": list(store.feature_columns),
        "data_digest": dataset_digest(dataset_dir),
    }
    checkpoint = prepare_checkpoint(out_dir, settings)
    state = fit(model, loss_of, score_of, train_rows, config, "SCARF pretraining", progress, checkpoint)
    scaled = scaler.transform(raw)
    choice = choose_representation(
        encode_tabular(model, scaled), columns_representation(scaled), store.objects["label"].to_numpy(object), forced
    )
    save_model_folder(
        out_dir,
        model,
        {
            "kind": "catalog",
            "objective": "scarf",
            "encoder": asdict(model.config),
            "features": list(store.feature_columns),
            "scaler": scaler.to_json(),
            "representation": asdict(choice),
            "training": {
                **settings,
                "history": state["history"],
                "best_epoch": state["best_epoch"],
                "train_seconds": state["seconds"],
                "val_loss": -state["best"],
            },
        },
    )
    return {**state, "representation": choice}


@dataclass(frozen=True)
class RepresentationChoice:
    """What a catalogue model's ``metadata`` space holds, and why."""

    representation: Representation
    reason: str  # one sentence for the model card and the build's log
    knn_encoder: float | None = None  # 5-fold 10-NN accuracy on the catalogue's labels, in [0, 1]
    knn_columns: float | None = None


def columns_representation(scaled: np.ndarray) -> np.ndarray:
    """(N, F + 1) float32 columns space of (N, 2F) scaled rows (:meth:`ColumnScaler.transform`): the F scaled values
    (missing = 0), flags dropped, and a constant ``COLUMNS_LIFT * sqrt(F)``. For vectors (x, c), with c large
    against |x|, 1 - cos ~ |x - y|^2 / 2c^2: cosine neighbours are the Euclidean neighbours of the values."""
    n_features = scaled.shape[1] // 2
    values = np.asarray(scaled[:, :n_features], dtype=np.float32)
    lift = np.full((len(values), 1), COLUMNS_LIFT * np.sqrt(max(n_features, 1)), dtype=np.float32)
    return np.hstack([values, lift])


def knn_accuracy(features: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """Stratified 5-fold accuracy of a ``KNN_K``-nearest-neighbour vote (cosine) on (M, D) labelled rows."""
    unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    hits = 0
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(unit, labels):
        vote = KNeighborsClassifier(min(KNN_K, len(train))).fit(unit[train], labels[train])
        hits += int((vote.predict(unit[test]) == labels[test]).sum())
    return hits / len(labels)


def choose_representation(
    encoded: np.ndarray, columns: np.ndarray, labels: np.ndarray, forced: Representation | None = None
) -> RepresentationChoice:
    """The encoder's (N, D) representation if the catalogue's labels show it better than the (N, F + 1) columns
    space by 5-fold 10-NN accuracy; else the columns (see the module docstring). ``forced`` decides outright."""
    rows = np.flatnonzero(is_labelled(labels))
    y = labels[rows].astype(str)
    names, counts = np.unique(y, return_counts=True)
    scores: dict[str, float | None] = {"knn_encoder": None, "knn_columns": None}
    if len(names) >= 2 and counts.min() >= MIN_PER_CLASS:
        scores = {"knn_encoder": knn_accuracy(encoded[rows], y), "knn_columns": knn_accuracy(columns[rows], y)}
    if forced is not None:
        return RepresentationChoice(forced, f"the {forced} representation, as asked (--representation)", **scores)
    encoder_knn, columns_knn = scores["knn_encoder"], scores["knn_columns"]
    if encoder_knn is None or columns_knn is None:
        reason = (
            "the scaled columns themselves: without two or more labelled classes nothing can show the encoder "
            "better than its own input"
        )
        return RepresentationChoice("columns", reason, **scores)
    comparison = f"10-NN accuracy on {len(rows):,} labels, 5-fold: encoder {encoder_knn:.3f}, columns {columns_knn:.3f}"
    if encoder_knn > columns_knn:
        return RepresentationChoice(
            "encoder", f"the SCARF encoder, better than the scaled columns ({comparison})", **scores
        )
    return RepresentationChoice(
        "columns", f"the scaled columns themselves, the encoder being no better ({comparison})", **scores
    )


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
    """{"metadata": (N, D)} representations of every row, as the model's ``representation`` says (the encoder's
    (N, feature_dim), or the (N, F + 1) columns space; a model saved before the choice existed: the encoder);
    the model must read the store's columns."""
    model, scaler, config = load_catalog_model(model_dir)
    if tuple(config["features"]) != store.feature_columns:
        raise UserError(
            f"model {Path(model_dir).name} reads columns {', '.join(config['features'])}; "
            f"{store.info.name} has {', '.join(store.feature_columns)}"
        )
    scaled = scaler.transform(store.features())
    if representation_of(config) == "columns":
        return {"metadata": columns_representation(scaled)}
    return {"metadata": encode_tabular(model, scaled, progress=progress)}


def representation_of(config: dict) -> Representation:
    """What a catalogue model's ``metadata`` space holds (``encoder`` for models saved before the choice)."""
    return config.get("representation", {}).get("representation", "encoder")
