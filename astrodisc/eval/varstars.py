"""Evaluation of a built artifact set on held-out labels and (for simulated surveys) hidden truth.

Protocol: the survey's labelled objects are split 80/10/10 by object id (stratified, seeded); label
fractions are nested subsets of the training split; pretrained and from-scratch networks share
architecture, optimiser and early stopping on the validation split; figures are mean +- std over the
seeds, on the test split. The run is a list of cells (:mod:`astrodisc.eval.cells`): probes and sections first,
networks last; the networks from scratch and the classical baseline are kept in the dataset's baseline cache and
reused by every encoder evaluated on it, the rest in the artifact set's cache, so a rerun resumes.

Sections: ``classification`` (linear probe of the frozen pretrained encoders at every fraction, full
fine-tuning at the smallest and largest fraction, and the same network trained from scratch at every
fraction, per modality and all together), ``classical_baseline``, ``rediscovery`` (subclusters inside
M and ROT against the hidden subtypes), ``anomaly``, ``mislabel``, ``active_learning``, ``sim_to_real`` and
``map`` (the map's k-NN preservation). ``frozen_only`` (``evaluate --frozen``) leaves out every network.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import IsolationForest

from astrodisc.chain.artifacts import Artifacts, load_artifacts
from astrodisc.data.truth import has_truth, read_truth
from astrodisc.data.varstars import VarStarStore
from astrodisc.errors import UserError
from astrodisc.eval.cells import PROGRESS_FILE, Cell, artifact_cache, baseline_cache, run_cells
from astrodisc.eval.classical import evaluate_baseline
from astrodisc.eval.faithfulness import map_section
from astrodisc.eval.hunt import active_learning_section, interesting_in_truth, more_like_kinds
from astrodisc.eval.metrics import auroc, classification_scores, precision_at, recall_in_top
from astrodisc.eval.protocol import cells_digest, linear_probe, mean_std, rediscovery
from astrodisc.eval.result import evaluation_json
from astrodisc.learn.embed import embed_inputs
from astrodisc.learn.encoders.clip_model import MODALITIES, ModelConfig, TrimodalCLIP
from astrodisc.learn.fit import training_record
from astrodisc.learn.preprocess import MetadataScaler, ModelInputs, cached_lc_features, model_inputs
from astrodisc.learn.splits import Split, evaluation_splits, is_labelled, label_fraction
from astrodisc.learn.varstars import TrainConfig, load_varstar_model, predict, train_classifier

MODALITY_SETS: dict[str, tuple[str, ...]] = {
    "photometry": ("photometry",),
    "spectra": ("spectra",),
    "metadata": ("metadata",),
    "all": MODALITIES,
}
SUBTYPED = ("M", "ROT")  # classes whose hidden subtypes the simulator draws (oxygen/carbon Miras, dwarf/giant ROT)


@dataclass(frozen=True)
class VarStarEvalConfig:
    fast: bool = False  # tests: one seed, two fractions, two modality sets, two epochs
    seeds: int = 3
    fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)
    finetune_fractions: tuple[float, ...] = (0.1, 1.0)
    epochs: int = 30
    patience: int = 4
    modalities: tuple[str, ...] = tuple(MODALITY_SETS)  # which rows of the classification grid to run
    frozen_only: bool = False  # only what reads the frozen embedding (no network trained): comparing encoders

    def effective(self) -> VarStarEvalConfig:
        if not self.fast:
            return self
        return VarStarEvalConfig(True, 1, (0.1, 1.0), (1.0,), 2, 2, ("photometry", "all"), self.frozen_only)


def evaluate_varstars(
    artifacts_dir: Path, config: VarStarEvalConfig = VarStarEvalConfig(), progress: bool = True
) -> dict:
    """The evaluation JSON object of one artifact set (see the module docstring)."""
    config = config.effective()
    unknown = set(config.modalities) - set(MODALITY_SETS)
    if unknown:
        raise UserError(f"unknown modality {sorted(unknown)[0]!r}: choose from {', '.join(MODALITY_SETS)}")
    art = load_artifacts(artifacts_dir)
    store = VarStarStore(art.manifest["dataset"]["path"])
    model_dir = Path(art.manifest["model"]["path"])
    model, scaler, _ = load_varstar_model(model_dir)
    inputs = model_inputs(store, progress)
    meta = scaler.transform(inputs.meta_raw)
    labels = store.objects["label"].to_numpy(object)
    splits = evaluation_splits(store.objects, labels, config.seeds)
    grid = _Grid(model, inputs, meta, labels, splits, config)
    feats = cached_lc_features(store, progress)
    cells = grid.probe_cells() + [
        Cell(
            f"classical-{seed}",
            functools.partial(evaluate_baseline, np.nan_to_num(feats, nan=-99.0), labels, split, seed),
            keep="dataset",
            cost=20,
        )
        for seed, split in enumerate(splits)
    ]
    cells.append(Cell("sim_to_real", functools.partial(_sim_to_real, model, scaler), cost=10))
    cells.append(Cell("map", functools.partial(map_section, art), keep="never", cost=5))
    if has_truth(store):
        cells += _truth_cells(art, Path(artifacts_dir), read_truth(store), labels, inputs, feats)
    cells += grid.network_cells()
    own = artifact_cache(artifacts_dir, _digest(store, model_dir, config))
    baselines = baseline_cache(  # the networks from scratch read the metadata as the model's scaler scales it
        store.root,
        {
            "kind": "varstars",
            "network": asdict(model.config),
            "train": asdict(grid.train_config),
            "metadata_scaler": [scaler.mean.tolist(), scaler.std.tolist()],
        },
    )
    done = run_cells(cells, own, baselines, Path(artifacts_dir) / PROGRESS_FILE, progress)
    result: dict = {
        "dataset": store.info.name,
        "model": model_dir.name,
        "protocol": asdict(config),
        "baselines": str(baselines.root),
        "n_objects": len(store),
        "n_labelled": int(is_labelled(labels).sum()),
        "classification": grid.table(done),
        "classical_baseline": mean_std([done[f"classical-{seed}"] for seed in range(len(splits))]),
        "sim_to_real": done["sim_to_real"],
        "map": done["map"],
    }
    for section in ("rediscovery", "anomaly", "mislabel", "active_learning", "more_like_these"):
        if section in done:
            result[section] = done[section]
    return evaluation_json(result)


def _truth_cells(
    art: Artifacts, artifacts_dir: Path, truth: pd.DataFrame, labels: np.ndarray, inputs: ModelInputs, feats: np.ndarray
) -> list[Cell]:
    """The sections that read the hidden truth and the build's catalogue (recomputed on every run)."""
    catalog = art.catalog
    subtypes = truth["subclass"].to_numpy()

    def rediscovered() -> dict:
        return {cls: rediscovery(art, cls, subtypes) for cls in SUBTYPED if (labels == cls).sum() >= 20}

    sections: dict[str, tuple[Callable[[], dict], float]] = {
        "rediscovery": (rediscovered, 30),
        "anomaly": (functools.partial(_anomaly, catalog["anomaly_score"].to_numpy(), truth, inputs, feats), 15),
        "mislabel": (functools.partial(_mislabel, catalog["mislabel_score"].to_numpy(), labels, truth), 1),
        "active_learning": (
            functools.partial(active_learning_section, artifacts_dir, interesting_in_truth(truth)),
            10,
        ),
        "more_like_these": (functools.partial(more_like_kinds, artifacts_dir, truth["rare_type"].to_numpy(object)), 2),
    }
    return [Cell(name, compute, keep="never", cost=cost) for name, (compute, cost) in sections.items()]


def _digest(store: VarStarStore, model_dir: Path, config: VarStarEvalConfig) -> str:
    paths = [store.root / "objects.parquet", store.root / "lightcurves" / "mag.npy", model_dir / "weights.pt"]
    return cells_digest(paths, [config.fast, config.epochs, config.patience])


@dataclass
class _Grid:
    """The classification grid: modality sets x label fractions x split seeds, three arms a cell."""

    model: TrimodalCLIP
    inputs: ModelInputs
    meta: np.ndarray
    labels: np.ndarray
    splits: list[Split]
    config: VarStarEvalConfig

    def __post_init__(self) -> None:
        self.classes = sorted({str(x) for x in self.labels[is_labelled(self.labels)]})
        self.train_config = TrainConfig(epochs=self.config.epochs, patience=self.config.patience)
        self.pretrained_state = {k: v.clone() for k, v in self.model.state_dict().items()}

    def _places(self) -> list[tuple[str, float, int]]:
        return [
            (name, fraction, seed)
            for name in self.config.modalities
            for fraction in self.config.fractions
            for seed in range(len(self.splits))
        ]

    def _train_rows(self, fraction: float, seed: int) -> np.ndarray:
        return label_fraction(self.splits[seed].train, fraction, seed)

    def probe_cells(self) -> list[Cell]:
        """A linear probe of the frozen representations per modality set, fraction and seed."""
        reps = embed_inputs(self.model, self.meta, self.inputs, representations=True)
        features = {name: np.hstack([reps[m] for m in MODALITY_SETS[name]]) for name in self.config.modalities}
        return [
            Cell(
                f"probe-{name}-{fraction}-{seed}",
                functools.partial(
                    linear_probe, features[name], self.labels, self._train_rows(fraction, seed), self.splits[seed].test
                ),
                cost=1 + 4 * fraction * len(MODALITY_SETS[name]),
            )
            for name, fraction, seed in self._places()
        ]

    def network_cells(self) -> list[Cell]:
        """From scratch at every place, fine-tuned at the fine-tuning fractions (none in the frozen-only mode)."""
        if self.config.frozen_only:
            return []
        cells = []
        for name, fraction, seed in sorted(self._places(), key=lambda place: place[1]):
            arms = ("scratch", "finetune") if fraction in self.config.finetune_fractions else ("scratch",)
            for arm in arms:
                cells.append(
                    Cell(
                        f"{arm}-{name}-{fraction}-{seed}",
                        functools.partial(self._network, MODALITY_SETS[name], fraction, seed, arm == "finetune"),
                        keep="artifacts" if arm == "finetune" else "dataset",
                        cost=5 + 60 * fraction * len(MODALITY_SETS[name]),
                    )
                )
        return cells

    def _network(self, modalities: tuple[str, ...], fraction: float, seed: int, pretrained: bool) -> dict:
        """Test scores of the CLIP network's encoders for ``modalities`` with a linear head, trained on the
        fraction's labels from the pretrained weights or from a seeded initialisation."""
        torch.manual_seed(seed)
        backbone = TrimodalCLIP(ModelConfig(**asdict(self.model.config)))
        if pretrained:
            backbone.load_state_dict(self.pretrained_state)
        split = self.splits[seed]
        cfg = TrainConfig(**{**asdict(self.train_config), "seed": seed})
        clf, state = train_classifier(
            backbone,
            modalities,
            self.inputs,
            self.meta,
            self.labels,
            self.classes,
            self._train_rows(fraction, seed),
            split.val,
            cfg,
        )
        pred = np.array(self.classes)[predict(clf, self.inputs, self.meta, split.test)]
        return {**classification_scores(self.labels[split.test].astype(str), pred), **training_record(state)}

    def table(self, done: dict[str, dict]) -> dict:
        """``classification[modality set][fraction][arm]``: mean and spread over the seeds, and the fine-tuning
        gain over from-scratch in accuracy points."""
        out: dict = {}
        seeds = range(len(self.splits))
        for name in self.config.modalities:
            for fraction in self.config.fractions:
                row = out.setdefault(name, {}).setdefault(str(fraction), {})
                for arm, entry in (
                    ("probe", "pretrained_linear_probe"),
                    ("scratch", "scratch"),
                    ("finetune", "pretrained_finetune"),
                ):
                    runs = [done[key] for seed in seeds if (key := f"{arm}-{name}-{fraction}-{seed}") in done]
                    if runs:
                        row[entry] = mean_std(runs)
                if "pretrained_finetune" in row:
                    row["finetune_gain_points"] = 100 * (
                        row["pretrained_finetune"].metrics["accuracy"].mean - row["scratch"].metrics["accuracy"].mean
                    )
        return out


def _anomaly(score: np.ndarray, truth, inputs: ModelInputs, lc_feats: np.ndarray) -> dict:
    """AUROC and precision@50 of the anomaly score for the injected rare objects, beside an Isolation
    Forest on the metadata and the classical light-curve features."""
    rare = interesting_in_truth(truth)
    raw = np.hstack([inputs.meta_raw, lc_feats])
    raw = np.where(np.isfinite(raw), raw, np.nanmedian(np.where(np.isfinite(raw), raw, np.nan), axis=0))
    baseline = -IsolationForest(n_estimators=300, random_state=0).fit(raw).score_samples(raw)
    return {
        "n_rare": int(rare.sum()),
        "auroc": auroc(rare, score),
        "precision_at_50": precision_at(rare, score, 50),
        "baseline_isolation_forest": {
            "auroc": auroc(rare, baseline),
            "precision_at_50": precision_at(rare, baseline, 50),
        },
    }


def _mislabel(score: np.ndarray, labels: np.ndarray, truth) -> dict:
    """AUROC of the mislabel score for the wrong catalogue labels and their recall in the top 2 %."""
    labelled = is_labelled(labels)
    wrong = truth["wrong_label"].to_numpy(bool)[labelled]
    s = np.nan_to_num(score[labelled], nan=0.0)
    return {"n_wrong": int(wrong.sum()), "auroc": auroc(wrong, s), "recall_top_2pct": recall_in_top(wrong, s, 0.02)}


def _sim_to_real(model: TrimodalCLIP, scaler: MetadataScaler) -> dict:
    """Leave-one-out 5-NN accuracy of the photometry embedding on real labelled light curves."""
    from astrodisc.data.io.varstars import import_survey
    from astrodisc.paths import data_dir

    out = {}
    for survey in ("stripe82", "catalina"):
        root = data_dir() / "real" / survey
        if not (root / "dataset.json").is_file():
            import_survey(survey, root)
        store = VarStarStore(root)
        labels = store.objects["label"].to_numpy(object)
        if survey == "catalina":  # its RR Lyrae are not split ab/c: use the survey's own class
            labels = store.objects["survey_class"].to_numpy(object)
        inputs = model_inputs(store, progress=False)
        emb = embed_inputs(model, scaler.transform(inputs.meta_raw), inputs)["photometry"]
        ok = is_labelled(labels) & inputs.mask.any(1)
        emb, y = emb[ok], labels[ok].astype(str)
        sims = emb @ emb.T
        np.fill_diagonal(sims, -np.inf)
        neighbours = np.argsort(-sims, axis=1)[:, :5]
        votes = [max(set(y[n]), key=list(y[n]).count) for n in neighbours]
        out[survey] = {
            "knn5_accuracy": float(np.mean(np.array(votes) == y)),
            "n": int(len(y)),
            "majority_class_rate": float(max(np.unique(y, return_counts=True)[1]) / len(y)),
        }
    if not out:
        raise UserError("no real survey could be read for sim_to_real")
    return out
