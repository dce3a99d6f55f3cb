"""Evaluation of a catalogue artifact set (a SCARF encoder over a table's numeric columns) on held-out labels.

What a catalogue user needs to know is whether pretraining bought anything over the columns themselves, so
every arm reads the same rows and is scored on the same test split:

- ``probe``: a linear probe on the artifact set's embedding (the pretrained encoder's features, or the scaled
  columns themselves where the model chose them: ``representation`` in the result says which and why,
  :mod:`astrodisc.learn.catalogs`);
- ``untrained_probe``: the same probe on the same network at its random initialisation (seeded per split; rows
  scaled to unit length as the build scales the embedding's), so a gain of ``probe`` over it is what
  pretraining learned, not what any random non-linear expansion of the columns gives;
- ``raw_probe``: the same probe on the encoder's input, the scaled columns with their missing-value flags;
- ``knn`` and ``raw_knn``: the plain majority of the k cosine-nearest training objects (the neighbours the app
  shows; the build's vote weighs them by similarity) in the embedding and in the scaled columns;
- ``classical_baseline`` (all labels): gradient boosting on the unscaled columns, NaN as missing.

Protocol as for variable stars (:mod:`astrodisc.learn.splits`): labelled objects split 80/10/10 by object id,
stratified and seeded (or the dataset's own split), label fractions nested in the training split, mean +- std
over the split seeds on the test split; the column arms (``raw_*``, ``classical_baseline``) are kept in the
dataset's baseline cache (:mod:`astrodisc.eval.cells`) for every encoder, the rest in the artifact set's. The
encoder was pretrained on every row's columns, test rows included, but never on a label (transductive, as a
survey's own catalogue is).
The JSON keeps the variable-star layout (``classification[task][fraction][arm]``) so the Model page reads it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.neighbors import KNeighborsClassifier

from astrodisc.chain.artifacts import load_artifacts
from astrodisc.data.catalogs import CatalogStore
from astrodisc.eval.cells import PROGRESS_FILE, Cell, artifact_cache, baseline_cache, run_cells
from astrodisc.eval.classical import evaluate_baseline
from astrodisc.eval.faithfulness import map_section
from astrodisc.eval.metrics import classification_scores
from astrodisc.eval.protocol import cells_digest, linear_probe, mean_std, unit_rows
from astrodisc.eval.result import evaluation_json
from astrodisc.learn.catalogs import encode_tabular, load_catalog_model, representation_of
from astrodisc.learn.encoders.tabular import TabularEncoder
from astrodisc.learn.splits import evaluation_splits, is_labelled, label_fraction

TASK = "metadata"  # the one modality of a catalogue
Arm = Callable[[int, np.ndarray, np.ndarray], dict]  # (seed, train rows, test rows) -> classification scores


@dataclass(frozen=True)
class CatalogEvalConfig:
    fast: bool = False  # tests: one seed, two fractions
    seeds: int = 3
    fractions: tuple[float, ...] = (0.01, 0.1, 1.0)
    k: int = 10  # neighbours of the k-NN arms

    def effective(self) -> CatalogEvalConfig:
        return CatalogEvalConfig(True, 1, (0.1, 1.0), self.k) if self.fast else self


def knn_scores(features: np.ndarray, labels: np.ndarray, train: np.ndarray, test: np.ndarray, k: int) -> dict:
    """Scores of the plain majority vote of the ``k`` cosine-nearest training rows of (N, F) ``features``."""
    unit = unit_rows(features)
    vote = KNeighborsClassifier(n_neighbors=min(k, len(train))).fit(unit[train], labels[train].astype(str))
    return classification_scores(labels[test].astype(str), vote.predict(unit[test]))


def evaluate_catalogs(
    artifacts_dir: Path, config: CatalogEvalConfig = CatalogEvalConfig(), progress: bool = True
) -> dict:
    """The evaluation JSON object of one catalogue artifact set (see the module docstring)."""
    config = config.effective()
    art = load_artifacts(artifacts_dir)
    store = CatalogStore(Path(art.manifest["dataset"]["path"]))
    model_dir = Path(art.manifest["model"]["path"])
    model, scaler, model_config = load_catalog_model(model_dir)
    raw = store.features()
    scaled = scaler.transform(raw)
    embedding = np.asarray(art.embeddings[art.map_space], dtype=np.float32)
    labels = store.objects["label"].to_numpy(object)
    splits = evaluation_splits(store.objects, labels, config.seeds)
    own = artifact_cache(
        artifacts_dir,
        cells_digest(  # this file: a changed arm reruns
            [store.root / "objects.parquet", model_dir / "weights.pt", model_dir / "config.json", Path(__file__)],
            ["catalog", config.k],
        ),
    )
    baselines = baseline_cache(store.root, {"kind": "catalog", "k": config.k, "scaler": model_config["scaler"]})

    def untrained(seed: int) -> np.ndarray:
        """The untrained network's features, rows scaled to unit length as the build scales the embedding's."""
        torch.manual_seed(seed)
        return unit_rows(encode_tabular(TabularEncoder(model.config), scaled))

    arms: dict[str, Arm] = {
        "probe": lambda seed, train, test: linear_probe(embedding, labels, train, test),
        "untrained_probe": lambda seed, train, test: linear_probe(untrained(seed), labels, train, test),
        "raw_probe": lambda seed, train, test: linear_probe(scaled, labels, train, test),
        "knn": lambda seed, train, test: knn_scores(embedding, labels, train, test, config.k),
        "raw_knn": lambda seed, train, test: knn_scores(scaled, labels, train, test, config.k),
    }
    cells = [
        Cell(
            f"{arm}-{fraction}-{seed}",
            functools.partial(score, seed, label_fraction(split.train, fraction, seed), split.test),
            keep="dataset" if arm.startswith("raw_") else "artifacts",
        )
        for fraction in config.fractions
        for arm, score in arms.items()
        for seed, split in enumerate(splits)
    ]
    cells += [
        Cell(f"classical-{seed}", functools.partial(evaluate_baseline, raw, labels, split, seed), keep="dataset")
        for seed, split in enumerate(splits)
    ]
    cells.append(Cell("map", functools.partial(map_section, art), keep="never"))
    done = run_cells(cells, own, baselines, Path(artifacts_dir) / PROGRESS_FILE, progress)
    classification = {}
    for fraction in config.fractions:
        row: dict[str, Any] = {
            arm: mean_std([done[f"{arm}-{fraction}-{seed}"] for seed in range(len(splits))]) for arm in arms
        }
        row["n_train_labels"] = len(label_fraction(splits[0].train, fraction, 0))
        classification[str(fraction)] = row
    baseline = mean_std([done[f"classical-{seed}"] for seed in range(len(splits))])
    result = {
        "dataset": store.info.name,
        "model": model_dir.name,
        "kind": "catalog",
        "protocol": asdict(config),
        "n_objects": len(store),
        "n_labelled": int(is_labelled(labels).sum()),
        "features": list(store.feature_columns),
        "representation": model_config.get("representation", {"representation": representation_of(model_config)}),
        "classification": {TASK: classification},
        "classical_baseline": baseline,
        "baselines": str(baselines.root),
        "map": done["map"],
    }
    return evaluation_json(result)
