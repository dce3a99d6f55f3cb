"""Evaluation of a built artifact set on held-out labels and (for simulated surveys) hidden truth.

Protocol: the survey's labelled objects are split 80/10/10 by object id (stratified, seeded); label
fractions are nested subsets of the training split; pretrained and from-scratch networks share
architecture, optimiser and early stopping on the validation split; figures are mean +- std over the
seeds, on the test split. Results of each cell are cached by (dataset, model, cell) so a rerun resumes.

Sections: ``classification`` (linear probe of the frozen pretrained encoders at every fraction, full
fine-tuning at the smallest and largest fraction, and the same network trained from scratch at every
fraction, per modality and all together), ``classical_baseline``, ``rediscovery`` (subclusters inside
M and ROT against the hidden subtypes), ``anomaly``, ``mislabel`` and ``sim_to_real``.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import IsolationForest
from tqdm import tqdm

from astrodisc.chain.artifacts import load_artifacts
from astrodisc.data.truth import has_truth, read_truth
from astrodisc.data.varstars import VarStarStore
from astrodisc.errors import UserError
from astrodisc.eval.classical import evaluate_baseline
from astrodisc.eval.hunt import active_learning_section, interesting_in_truth
from astrodisc.eval.metrics import auroc, classification_scores, precision_at, recall_in_top
from astrodisc.eval.protocol import ResultCache, cells_digest, linear_probe, mean_std, rediscovery
from astrodisc.eval.result import evaluation_json
from astrodisc.learn.embed import embed_inputs
from astrodisc.learn.encoders.clip_model import MODALITIES, ModelConfig, TrimodalCLIP
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
    art = load_artifacts(artifacts_dir)
    store = VarStarStore(art.manifest["dataset"]["path"])
    model_dir = Path(art.manifest["model"]["path"])
    model, scaler, _ = load_varstar_model(model_dir)
    inputs = model_inputs(store, progress)
    meta = scaler.transform(inputs.meta_raw)
    labels = store.objects["label"].to_numpy(object)
    classes = sorted({str(x) for x in labels[is_labelled(labels)]})
    splits = evaluation_splits(store.objects, labels, config.seeds)
    cache = ResultCache(Path(artifacts_dir) / "evaluation-cache", _digest(store, model_dir, config))
    result: dict = {
        "dataset": store.info.name,
        "model": model_dir.name,
        "protocol": asdict(config),
        "n_objects": len(store),
        "n_labelled": int(is_labelled(labels).sum()),
    }
    result["classification"] = _classification(model, inputs, meta, labels, classes, splits, config, cache, progress)
    feats = cached_lc_features(store, progress)
    baseline_features = np.nan_to_num(feats, nan=-99.0)
    result["classical_baseline"] = mean_std(
        [
            cache.get(f"classical-{seed}", functools.partial(evaluate_baseline, baseline_features, labels, split, seed))
            for seed, split in enumerate(splits)
        ]
    )
    if has_truth(store):
        truth = read_truth(store)
        catalog = art.catalog
        result["rediscovery"] = {
            cls: rediscovery(art, cls, truth["subclass"].to_numpy()) for cls in SUBTYPED if (labels == cls).sum() >= 20
        }
        result["anomaly"] = _anomaly(catalog["anomaly_score"].to_numpy(), truth, inputs, feats)
        result["mislabel"] = _mislabel(catalog["mislabel_score"].to_numpy(), labels, truth)
        result["active_learning"] = active_learning_section(artifacts_dir, interesting_in_truth(truth))
    result["sim_to_real"] = _sim_to_real(model, scaler)
    return evaluation_json(result)


def _digest(store: VarStarStore, model_dir: Path, config: VarStarEvalConfig) -> str:
    paths = [store.root / "objects.parquet", store.root / "lightcurves" / "mag.npy", model_dir / "weights.pt"]
    return cells_digest(paths, [config.fast, config.epochs, config.patience])


def _classification(
    model: TrimodalCLIP,
    inputs: ModelInputs,
    meta: np.ndarray,
    labels: np.ndarray,
    classes: list[str],
    splits: list[Split],
    config: VarStarEvalConfig,
    cache: ResultCache,
    progress: bool,
) -> dict:
    reps = embed_inputs(model, meta, inputs, representations=True)
    unknown = set(config.modalities) - set(MODALITY_SETS)
    if unknown:
        raise UserError(f"unknown modality {sorted(unknown)[0]!r}: choose from {', '.join(MODALITY_SETS)}")
    sets = {name: MODALITY_SETS[name] for name in config.modalities}
    train_config = TrainConfig(epochs=config.epochs, patience=config.patience)
    pretrained_state = {k: v.clone() for k, v in model.state_dict().items()}
    out: dict = {}
    cells = [(name, frac) for name in sets for frac in config.fractions]
    for name, frac in tqdm(cells, desc="classification", disable=not progress):
        mods = sets[name]
        features = np.hstack([reps[m] for m in mods])
        row = out.setdefault(name, {}).setdefault(str(frac), {})
        probe_runs, scratch_runs, finetune_runs = [], [], []
        for seed, split in enumerate(splits):
            train = label_fraction(split.train, frac, seed)
            probe_runs.append(
                cache.get(
                    f"probe-{name}-{frac}-{seed}",
                    functools.partial(linear_probe, features, labels, train, split.test, seed),
                )
            )

            def network(
                init: dict | None,
                seed: int = seed,
                train: np.ndarray = train,
                split: Split = split,
                mods: tuple[str, ...] = mods,
            ) -> dict:
                torch.manual_seed(seed)
                backbone = TrimodalCLIP(ModelConfig(**asdict(model.config)))
                if init is not None:
                    backbone.load_state_dict(init)
                cfg = TrainConfig(**{**asdict(train_config), "seed": seed})
                clf = train_classifier(backbone, mods, inputs, meta, labels, classes, train, split.val, cfg)
                pred = np.array(classes)[predict(clf, inputs, meta, split.test)]
                return classification_scores(labels[split.test].astype(str), pred)

            if config.frozen_only:
                continue
            scratch_runs.append(cache.get(f"scratch-{name}-{frac}-{seed}", lambda: network(None)))
            if frac in config.finetune_fractions:
                finetune_runs.append(cache.get(f"finetune-{name}-{frac}-{seed}", lambda: network(pretrained_state)))
        row["pretrained_linear_probe"] = mean_std(probe_runs)
        if scratch_runs:
            row["scratch"] = mean_std(scratch_runs)
        if finetune_runs:
            row["pretrained_finetune"] = mean_std(finetune_runs)
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
