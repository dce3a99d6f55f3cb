"""Evaluation of a galaxy artifact set on held-out labels and (for simulated skies) hidden truth.

Protocol as for variable stars: labelled objects split 80/10/10 by object id (stratified, seeded), validation
and test objects within 2 arcsec of a training object dropped (the same galaxy twice must not be in both);
label fractions nested in the training split; pretrained and from-scratch networks share the ResNet, the
optimiser, the supervised augmentations (rotation, flip, jitter) and early stopping on the validation split;
mean +- std over the seeds on the test split. Morphology fine-tuning starts its head at the frozen linear probe
of the same labelled rows (LP-FT, Kumar et al. 2022): chosen on the calibration sky (seed 7; 3 split seeds) over a
random head — 79.3 against 71.7 % with 5 % of the labels, 86.2 against 84.6 % with 25 % — because a random head's
first steps pull the pretrained features towards its noise (``docs/galaxy-lpft-choice.json``). The run is a list
of cells (:mod:`astrodisc.eval.cells`): the networks from scratch and the raw-pixel probes are kept in the
dataset's baseline cache for every encoder, the rest in the artifact set's cache.

Sections: ``morphology`` (linear probe, fine-tuning and from scratch per label fraction, and the label-
efficiency factor), ``photo_z`` (sigma_MAD and eta of fine-tuned, k-NN and from-scratch redshifts, all labels),
``similarity`` (precision@10 of same-morphology neighbours), ``anomaly`` (lens AUROC / precision@50 per arc
S/N bin beside an Isolation Forest on PCA of the pixels), ``lens_search`` (lenses among the neighbours of a
known lens), ``rediscovery`` (ARI of spiral subclasses) and ``structure`` (probe AUC of bars, rings, arm number and
tidal debris: :mod:`astrodisc.eval.galaxy_structure`), the last five only where there is hidden truth;
``labelled`` (:mod:`astrodisc.eval.labelled`: k-fold probe accuracy and per-class AUC, neighbour precision, on
the embedding and on the pixels' PCA) and ``map`` (the map's k-NN preservation) on any labelled set, real or
simulated. ``photo_z`` needs MIN_REDSHIFTS
spectroscopic redshifts.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from astropy import units as u
from astropy.coordinates import SkyCoord
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from astrodisc.chain.artifacts import Artifacts, load_artifacts
from astrodisc.data.arcs import ARC_PROBABILITY
from astrodisc.data.galaxies import DUPLICATE_RADIUS_ARCSEC, GalaxyStore
from astrodisc.data.red_sequence import LENS_SCORE
from astrodisc.data.truth import has_truth, read_truth
from astrodisc.discover.active_learning import hunt_features, likeness_features
from astrodisc.eval.cells import PROGRESS_FILE, Cell, Keep, artifact_cache, baseline_cache, run_cells
from astrodisc.eval.faithfulness import map_section
from astrodisc.eval.galaxy_structure import structure_section
from astrodisc.eval.hunt import active_learning_section, interesting_in_truth, more_like_figures
from astrodisc.eval.labelled import labelled_section
from astrodisc.eval.logistic import fit_probe
from astrodisc.eval.metrics import auroc, classification_scores, photo_z_scores, precision_at
from astrodisc.eval.protocol import cells_digest, linear_probe, mean_std, rediscovery
from astrodisc.eval.result import SeedSummary, evaluation_json
from astrodisc.learn.encoders.resnet import ResNetEncoder
from astrodisc.learn.fit import TrainConfig, training_record
from astrodisc.learn.galaxies import (
    ImageData,
    encode,
    head_logits,
    load_galaxy_model,
    targets_for,
    train_head,
    z_from_logits,
)
from astrodisc.learn.galaxy_augment import AugmentConfig
from astrodisc.learn.splits import Split, evaluation_splits, is_labelled, label_fraction

ARC_SNR_BINS = ((5.0, 10.0), (10.0, 30.0), (30.0, 100.0))
ARC_SPACE = "arcs"  # the arc finder's space (learn.arc_finder), searched for lenses beside the map's
LENS_HOST_CLASSES = ("elliptical",)  # strong lenses are massive early types: the arc search looks around these
PASTED_ARCS = "arcs pasted into the training sky's galaxies"
LENS_SCORE_LABELS = {  # what taught each lens score; no score uses a lens label
    "learned": "no label: k-NN density in the build's spaces (its arcs space was taught by pasted arcs)",
    "pixel_isolation_forest": "nothing",
    "arc_signal_early_types": "the survey's morphology labels (the gate)",
    "arc_finder": f"{PASTED_ARCS}; survey labels used: 0",
    "arc_finder_early_types": f"{PASTED_ARCS} and the survey's morphology labels (the gate)",
    "arc_finder_red_sequence": f"{PASTED_ARCS} and the survey's own colours (its red sequence); survey labels used: 0",
}

MIN_REDSHIFTS = 50  # fewer known redshifts: no photo-z section


@dataclass(frozen=True)
class GalaxyEvalConfig:
    fast: bool = False  # tests: one seed, two fractions, two epochs
    seeds: int = 3
    fractions: tuple[float, ...] = (0.01, 0.05, 0.1, 0.25, 1.0)
    epochs: int = 20
    patience: int = 4
    min_steps: int = 150  # small label fractions get more epochs, so every run takes at least this many steps
    batch_size: int = 128
    finetune_lr: float = 3e-4  # AdamW learning rate of the pretrained network (encoder and head)
    scratch_lr: float = 1e-3  # ... and of the same network from scratch
    frozen_only: bool = False  # only what reads the frozen embedding (no network trained): comparing encoders
    probe_first: bool = True  # fine-tuning starts its head at the frozen probe (LP-FT) instead of at random

    @property
    def trained_arms(self) -> tuple[str, ...]:
        """The arms that train a network: fine-tuning the encoder and the same network from scratch."""
        return () if self.frozen_only else ("finetune", "scratch")

    def effective(self) -> GalaxyEvalConfig:
        fast = replace(self, seeds=1, fractions=(0.1, 1.0), epochs=2, patience=2, min_steps=4)
        return fast if self.fast else self


def evaluate_galaxies(
    artifacts_dir: Path, config: GalaxyEvalConfig = GalaxyEvalConfig(), progress: bool = True
) -> dict:
    config = config.effective()
    art = load_artifacts(artifacts_dir)
    runner = _runner_for(art, config)
    store, labels, splits = runner.data.store, runner.labels, runner.splits
    model_dir = Path(art.manifest["model"]["path"])
    budget = [config.fast, config.epochs, config.patience, config.min_steps, config.batch_size]  # how both arms train
    own = artifact_cache(
        artifacts_dir,
        cells_digest(
            [store.root / "objects.parquet", store.root / "images" / "cutouts.npy", model_dir / "weights.pt"],
            ["galaxies", *budget, config.finetune_lr],
        ),
    )
    baselines = baseline_cache(
        store.root,
        {
            "kind": "galaxies",
            "network": asdict(runner.encoder.config),
            "augment": asdict(runner.aug),
            "train": [*budget, config.scratch_lr],
        },
    )
    reduced = pixel_pca(runner.data)
    space = art.map_space
    embedding = np.asarray(art.embeddings[space])
    sections: dict[str, Callable[[], Any]] = {
        "similarity": functools.partial(_similarity, art, space, labels, splits),
        "labelled": lambda: {**labelled_section(embedding, labels, {"pixel_pca": reduced}), "space": space},
        "map": functools.partial(map_section, art),
    }
    if has_truth(store):
        truth = read_truth(store)
        sections |= {
            "anomaly": functools.partial(
                _anomaly, art.catalog["anomaly_score"].to_numpy(), reduced, truth, lens_scores(art.catalog)
            ),
            "active_learning": functools.partial(active_learning_section, artifacts_dir, interesting_in_truth(truth)),
            "lens_search": functools.partial(_lens_search, art, space, truth),
            "rediscovery": lambda: {"spiral_subclasses": rediscovery(art, "spiral", truth["subclass"].to_numpy())},
            "structure": functools.partial(structure_section, {"embedding": embedding, "pixel_pca": reduced}, truth),
        }
    with_z = np.isfinite(store.objects["z_spec"].to_numpy(float)).sum() >= MIN_REDSHIFTS
    cells = (
        runner.frozen_cells(runner.features, reduced, with_z)
        + [Cell(name, compute, keep="never", cost=10) for name, compute in sections.items()]
        + runner.network_cells(with_z)
    )
    done = run_cells(cells, own, baselines, Path(artifacts_dir) / PROGRESS_FILE, progress)
    result: dict = {
        "dataset": store.info.name,
        "model": model_dir.name,
        "protocol": asdict(config),
        "baselines": str(baselines.root),
        "n_objects": len(store),
        "n_test": int(np.mean([len(s.test) for s in splits])),
        "morphology": runner.morphology_table(done),
    }
    if with_z:
        result["photo_z"] = runner.photo_z_table(done)
    result |= {name: done[name] for name in sections}
    return evaluation_json(result)


def _runner_for(art: Artifacts, config: GalaxyEvalConfig) -> _Runner:
    """The runner of every cell on ``art``'s survey and encoder (frozen probes, networks) over the split seeds of
    ``config``, with the encoder's (N, F) backbone features of every object."""
    store = GalaxyStore(art.manifest["dataset"]["path"])
    encoder, aug, _ = load_galaxy_model(Path(art.manifest["model"]["path"]))
    data = ImageData(store)
    labels = store.objects["label"].to_numpy(object)
    splits = [_dedupe(store, split) for split in evaluation_splits(store.objects, labels, config.seeds)]
    return _Runner(encoder, data, aug, labels, splits, config, encode(encoder, data, np.arange(len(data)), aug))


def morphology_networks(artifacts_dir: Path, config: GalaxyEvalConfig, pretrained: bool) -> dict[str, list[dict]]:
    """Per label fraction of ``config``, each split seed's test scores and training record of the morphology network
    fine-tuned from the probe (``pretrained``) or trained from scratch, nothing cached: the cells of
    :func:`evaluate_galaxies` alone, for studies of the training budget (``docs/finetune_budget.py``)."""
    config = config.effective()
    runner = _runner_for(load_artifacts(artifacts_dir), config)
    seeds = range(len(runner.splits))  # one where the survey brings its own split
    return {str(f): [runner.morphology_network(f, seed, pretrained) for seed in seeds] for f in config.fractions}


def _dedupe(store: GalaxyStore, split: Split, radius_arcsec: float = DUPLICATE_RADIUS_ARCSEC) -> Split:
    """Drop validation and test objects within ``radius_arcsec`` of a training object."""
    o = store.objects
    sky = SkyCoord(o["ra"].to_numpy() * u.deg, o["dec"].to_numpy() * u.deg)

    def keep(rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return rows
        _, sep, _ = sky[rows].match_to_catalog_sky(sky[split.train])
        return rows[sep.arcsec > radius_arcsec]

    return Split(split.train, keep(split.val), keep(split.test))


FROZEN_ARMS = ("probe", "pixel_pca")  # morphology arms that read fixed features
BASELINE_ARMS = ("pixel_pca", "scratch")  # arms that do not depend on the encoder (the dataset's baseline cache)


@dataclass
class _Runner:
    """The cells of the morphology grid (arm x label fraction x split seed) and of the photo-z arms."""

    encoder: ResNetEncoder
    data: ImageData
    aug: AugmentConfig
    labels: np.ndarray
    splits: list[Split]
    config: GalaxyEvalConfig
    features: np.ndarray  # (N, F) the encoder's backbone features of every object (what the frozen probe reads)

    def __post_init__(self) -> None:
        self.classes = sorted({str(x) for x in self.labels[is_labelled(self.labels)]})
        self.z = self.data.store.objects["z_spec"].to_numpy(float)

    def _places(self) -> list[tuple[float, int]]:
        return [(f, s) for f in self.config.fractions for s in range(len(self.splits))]

    def _key(self, arm: str, fraction: float, seed: int) -> str:
        """The cache key of a morphology cell; fine-tuning from the probe is a cell of its own (the rest of a cache
        made with a random head stays valid)."""
        lp = "-from-probe" if arm == "finetune" and self.config.probe_first else ""
        return f"morphology-{arm}{lp}-{fraction}-{seed}"

    def _rows(self, fraction: float, seed: int) -> np.ndarray:
        return label_fraction(self.splits[seed].train, fraction, seed)

    def frozen_cells(self, features: np.ndarray, pixels: np.ndarray, with_z: bool) -> list[Cell]:
        """Linear probes on the encoder's ``features`` (N, D) and on the pixels' PCA ``pixels`` (N, 50), the raw-pixel
        baseline, at every fraction and seed; the k-NN redshift per seed."""
        cells = [
            Cell(
                self._key(arm, fraction, seed),
                functools.partial(
                    linear_probe,
                    features if arm == "probe" else pixels,
                    self.labels,
                    self._rows(fraction, seed),
                    self.splits[seed].test,
                ),
                keep="dataset" if arm in BASELINE_ARMS else "artifacts",
                cost=2,
            )
            for fraction, seed in self._places()
            for arm in FROZEN_ARMS
        ]
        if with_z:
            cells += [
                Cell(f"photoz-knn-{seed}", functools.partial(self._knn_z, features, split), cost=2)
                for seed, split in enumerate(self.splits)
            ]
        return cells

    def _knn_z(self, features: np.ndarray, split: Split) -> dict:
        return photo_z_scores(self.z[split.test], knn_redshift(features, self.z, split.train, split.test))

    def network_cells(self, with_z: bool) -> list[Cell]:
        """Fine-tuned and from-scratch networks at every fraction and seed, and for the redshifts (none in the
        frozen-only mode); smallest fractions first."""
        cells = []
        for arm in self.config.trained_arms:
            keep: Keep = "dataset" if arm in BASELINE_ARMS else "artifacts"
            for fraction, seed in self._places():
                cells.append(
                    Cell(
                        self._key(arm, fraction, seed),
                        functools.partial(self.morphology_network, fraction, seed, arm == "finetune"),
                        keep=keep,
                        cost=20 + 300 * fraction,
                    )
                )
            if with_z:
                cells += [
                    Cell(
                        f"photoz-{arm}-{seed}",
                        functools.partial(self._z_network, seed, arm == "finetune"),
                        keep=keep,
                        cost=300,
                    )
                    for seed in range(len(self.splits))
                ]
        return sorted(cells, key=lambda cell: cell.cost)

    def _train(
        self, task: str, values: np.ndarray, rows: np.ndarray, split: Split, seed: int, pretrained: bool
    ) -> tuple[np.ndarray, dict]:
        """Test-split logits of a head fine-tuned on the pretrained encoder or trained from scratch, and the record
        of its training (:func:`astrodisc.learn.fit.training_record`)."""
        torch.manual_seed(seed)
        encoder = copy.deepcopy(self.encoder) if pretrained else ResNetEncoder(self.encoder.config)
        y, n_out = targets_for(task, values, self.classes)
        steps_per_epoch = max(1, -(-len(rows) // self.config.batch_size))
        epochs = max(self.config.epochs, -(-self.config.min_steps // steps_per_epoch))
        train = TrainConfig(
            epochs=epochs,
            batch_size=self.config.batch_size,
            lr=self.config.finetune_lr if pretrained else self.config.scratch_lr,
            patience=self.config.patience,
            seed=seed,
        )
        probe_first = pretrained and task == "morphology" and self.config.probe_first
        initial = self._probe_head(rows) if probe_first else None
        head, state = train_head(encoder, self.data, task, y, n_out, rows, split.val, self.aug, train, initial=initial)
        return head_logits(head, self.data, split.test, self.aug), training_record(state)

    def _probe_head(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The frozen probe on ``rows`` as the head's (K, F) weights and (K,) biases on the raw backbone features
        (classes absent from ``rows`` start at zero weight and bias -10: never predicted until learned)."""
        labelled = rows[is_labelled(self.labels[rows])]
        probe = fit_probe(self.features[labelled], self.labels[labelled].astype(str))
        weights = probe.weights / probe.scale[:, None]
        bias = probe.bias - (probe.mean / probe.scale) @ probe.weights
        if len(probe.classes) == 2:  # one logit column: the first class's logit is 0
            weights, bias = np.hstack([np.zeros_like(weights), weights]), np.concatenate([[0.0], bias])
        head_weights = np.zeros((len(self.classes), self.features.shape[1]))
        head_bias = np.full(len(self.classes), -10.0)
        for k, name in enumerate(probe.classes):
            head_weights[self.classes.index(str(name))] = weights[:, k]
            head_bias[self.classes.index(str(name))] = bias[k]
        return head_weights, head_bias

    def morphology_network(self, fraction: float, seed: int, pretrained: bool) -> dict:
        """Test scores and training record of the morphology network at label ``fraction`` of split ``seed``."""
        split = self.splits[seed]
        logits, record = self._train("morphology", self.labels, self._rows(fraction, seed), split, seed, pretrained)
        predicted = np.array(self.classes)[logits.argmax(1)]
        return {**classification_scores(self.labels[split.test].astype(str), predicted), **record}

    def _z_network(self, seed: int, pretrained: bool) -> dict:
        split = self.splits[seed]
        logits, record = self._train("photo_z", self.z, split.train, split, seed, pretrained)
        return {**photo_z_scores(self.z[split.test], z_from_logits(logits)), **record}

    def morphology_table(self, done: dict[str, dict]) -> dict:
        """Per arm and label fraction, the test accuracy over splits, and the label-efficiency factor of the
        pretrained arms against from-scratch with every label."""
        seeds = range(len(self.splits))
        table: dict[str, dict] = {}
        for arm in FROZEN_ARMS + self.config.trained_arms:
            table[arm] = {
                str(f): mean_std([done[self._key(arm, f, seed)] for seed in seeds]) for f in self.config.fractions
            }
        if "scratch" not in table:
            return table
        target = table["scratch"][str(max(self.config.fractions))].metrics["accuracy"].mean
        efficiency: dict[str, float | None] = {
            arm: label_efficiency(self.config.fractions, table[arm], target) for arm in ("probe", "finetune")
        }
        efficiency["scratch_all_labels_accuracy"] = target
        table["label_efficiency"] = efficiency
        return table

    def photo_z_table(self, done: dict[str, dict]) -> dict:
        arms = ("knn",) + self.config.trained_arms
        seeds = range(len(self.splits))
        return {arm: mean_std([done[f"photoz-{arm}-{s}"] for s in seeds], ("sigma_mad", "eta", "bias")) for arm in arms}


def label_efficiency(fractions: tuple[float, ...], arm: dict, target: float) -> float | None:
    """1 / the smallest label fraction at which ``arm`` reaches ``target`` accuracy, interpolated linearly in
    log fraction between the grid points; None if it never does."""
    f = np.array(sorted(fractions))
    acc = np.array([arm[str(x)].metrics["accuracy"].mean for x in f])
    if acc[0] >= target:
        return float(1 / f[0])
    for i in range(1, len(f)):
        if acc[i] >= target:
            t = (target - acc[i - 1]) / (acc[i] - acc[i - 1])
            return float(1 / np.exp(np.log(f[i - 1]) + t * (np.log(f[i]) - np.log(f[i - 1]))))
    return None


def knn_redshift(features: np.ndarray, z: np.ndarray, train: np.ndarray, test: np.ndarray, k: int = 20) -> np.ndarray:
    """Median redshift of the k nearest training objects in standardised feature space."""
    scaler = StandardScaler().fit(features[train])
    neighbours = NearestNeighbors(n_neighbors=k).fit(scaler.transform(features[train]))
    _, idx = neighbours.kneighbors(scaler.transform(features[test]))
    return np.median(z[train][idx], axis=1)


def _similarity(art: Artifacts, space: str, labels: np.ndarray, splits: list[Split], k: int = 10) -> SeedSummary:
    """Precision@k of test queries' neighbours as the app finds them (the index of ``space``; the query and
    its duplicates within 2 arcsec on the sky excluded) that share the query's morphology."""
    runs = []
    for split in splits:
        hits = []
        for row in split.test:
            found, _ = art.neighbours(space, int(row), k, min_separation_arcsec=DUPLICATE_RADIUS_ARCSEC)
            hits.append(np.mean(labels[found] == labels[row]))
        runs.append({"precision_at_10": float(np.mean(hits))})
    return mean_std(runs, ("precision_at_10",))


def pixel_pca(data: ImageData, components: int = 50) -> np.ndarray:
    """(N, components) PCA of every cutout's asinh-scaled (flux) or 0-1 (8-bit) pixels as the encoder's
    un-augmented input sees them: the raw-pixel baseline, fitted on all objects, no label used."""
    plain = AugmentConfig(redden=data.is_flux)
    pixels = np.concatenate(
        [
            data.inference(np.arange(i, min(i + 1024, len(data))), plain).flatten(1).numpy()
            for i in range(0, len(data), 1024)
        ]
    )
    return PCA(min(components, *pixels.shape), random_state=0).fit_transform(pixels)


def around_early_types(catalog: pd.DataFrame, column: str) -> np.ndarray | None:
    """(N,) the arc search of a lens hunter: the build's arc measure ``column`` (``arc_signal``, ``data.arcs``,
    or the arc finder's ``ARC_PROBABILITY``) among the galaxies the build predicts (k-NN over the survey's
    morphology labels, no lens label) to be of a ``LENS_HOST_CLASSES`` class, ranked first, then everything
    else by it; None without the column."""
    if column not in catalog:
        return None
    host = catalog["pred_label"].astype(object).isin(LENS_HOST_CLASSES).to_numpy() if "pred_label" in catalog else 0
    return np.nan_to_num(catalog[column].to_numpy(dtype=float), nan=-1e6) + 1e6 * host


def lens_scores(catalog: pd.DataFrame) -> dict[str, np.ndarray]:
    """The lens scores a build's catalogue gives beyond its anomaly score, none taught by a lens label, by name:
    the arc finder's probability alone and the build's ``lens_score`` (``data.red_sequence``: times the
    red-sequence probability; taught by pasted arcs and the survey's colours, no survey label), and each arc
    measure searched around the predicted early types (``around_early_types``: the survey's morphology
    labels)."""
    scores = {
        "arc_signal_early_types": around_early_types(catalog, "arc_signal"),
        "arc_finder": catalog[ARC_PROBABILITY].to_numpy(float) if ARC_PROBABILITY in catalog else None,
        "arc_finder_early_types": around_early_types(catalog, ARC_PROBABILITY),
        "arc_finder_red_sequence": catalog[LENS_SCORE].to_numpy(float) if LENS_SCORE in catalog else None,
    }
    return {name: score for name, score in scores.items() if score is not None}


def _anomaly(score: np.ndarray, reduced: np.ndarray, truth, lenses: dict[str, np.ndarray]) -> dict:
    """Lens AUROC and precision@50 of the learned anomaly score, of an Isolation Forest on the pixels' PCA(50)
    ``reduced`` and of the catalogue's other ``lenses`` scores (``lens_scores``), overall and per arc S/N bin
    (negatives: objects with no injected anomaly); each says what labels taught it (``trained_on``)."""
    baseline = -IsolationForest(random_state=0).fit(reduced).score_samples(reduced)
    kind = truth["anomaly"].to_numpy()
    snr = truth["arc_snr"].to_numpy()
    out: dict[str, Any] = {}
    scorers = {"learned": score, "pixel_isolation_forest": baseline, **lenses}
    for name, s in scorers.items():
        clean_or_lens = (kind == "none") | (kind == "lens")
        row: dict[str, float | str | None] = {
            "lens_auroc": auroc(kind[clean_or_lens] == "lens", s[clean_or_lens]),
            "lens_precision_at_50": precision_at(kind == "lens", s, 50),
            "any_anomaly_auroc": auroc(kind != "none", s),
            "trained_on": LENS_SCORE_LABELS[name],
        }
        for lo, hi in ARC_SNR_BINS:
            keep = (kind == "none") | ((kind == "lens") & (snr >= lo) & (snr < hi))
            row[f"lens_auroc_snr_{lo:g}_{hi:g}"] = (
                auroc(kind[keep] == "lens", s[keep]) if (kind[keep] == "lens").any() else None
            )
        out[name] = row
    out["n_lenses"] = int((kind == "lens").sum())
    return out


def _lens_search(art: Artifacts, space: str, truth, k: int = 20) -> dict:
    """Lens finding by example, as Stein et al. found new lenses: each known lens queries the index of
    ``space`` (itself and same-sky twins excluded); the share of lenses among its k neighbours, per arc-S/N
    bin of the query, against the share of lenses in the survey (what k random objects would give) and among
    galaxies of the lenses' own morphologies (what k random ellipticals would give)."""
    kind, snr = truth["anomaly"].to_numpy(), truth["arc_snr"].to_numpy()
    is_lens = kind == "lens"
    hosts = np.isin(truth["label"].to_numpy(object), truth["label"].to_numpy(object)[is_lens])
    out: dict = {
        "k": k,
        "n_lenses": int(is_lens.sum()),
        "base_rate": float(is_lens.mean()),
        "base_rate_host_morphology": float(is_lens[hosts].mean()) if is_lens.any() else 0.0,
    }
    out |= _lens_neighbours(art, space, is_lens, snr, k)
    if ARC_SPACE in art.embeddings and space != ARC_SPACE:
        out[f"{ARC_SPACE}_space"] = _lens_neighbours(art, ARC_SPACE, is_lens, snr, k)
    features = likeness_features(hunt_features(art.embeddings, art.catalog), art.catalog)
    out["more_like_these"] = more_like_figures(features, is_lens)
    return out


def _lens_neighbours(art: Artifacts, space: str, is_lens: np.ndarray, snr: np.ndarray, k: int) -> dict:
    """{"precision_at_<k>_snr_<lo>_<hi>": share of lenses among the k neighbours in ``space`` of each lens of
    that arc-S/N bin, averaged} (bins with a lens only)."""
    out = {}
    for lo, hi in ((5.0, 100.0),) + ARC_SNR_BINS:
        queries = np.flatnonzero(is_lens & (snr >= lo) & (snr < hi))
        if len(queries):
            found = [
                is_lens[art.neighbours(space, int(q), k, min_separation_arcsec=DUPLICATE_RADIUS_ARCSEC)[0]].mean()
                for q in queries
            ]
            out[f"precision_at_{k}_snr_{lo:g}_{hi:g}"] = float(np.mean(found))
    return out
