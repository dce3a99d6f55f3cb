"""What the Model page reports about an artifact set's model, as typed records: its card, its training curve,
its evaluation (label efficiency, confusion matrices), the k-NN vote on the survey's own labels and the
out-of-distribution flags.

Where an evaluation is found (the convention):

1. ``<artifact set>/evaluation.json`` (``EVALUATION_FILE``), which ``astrodisc evaluate --artifacts DIR``
   writes (:func:`save_evaluation`): measured on this artifact set's survey;
2. else the evaluation committed for a shipped model, ``docs/*.json`` whose ``"model"`` names a folder of
   ``models/`` that the artifact set was built with (e.g. ``docs/evaluation-heldout.json`` for
   ``models/varstars-clip``): measured on the survey its ``"dataset"`` names, usually a held-out one.

Both kinds of evaluation JSON are read: variable stars and catalogues (``classification[modality][fraction][arm]``,
``classical_baseline``) and galaxies (``morphology[arm][fraction]``), each through its own parser in
:mod:`astrodisc.eval.result`. Accuracies are fractions in [0, 1]. No truth is read here: the evaluation JSON
holds only its summaries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc.base.atomic import save_json
from astrodisc.eval.cells import PROGRESS_FILE, EvaluationProgress, read_progress
from astrodisc.eval.result import AccuracyCell, BaselineCell, parse_evaluation, parse_labelled, parse_structure
from astrodisc.paths import PROJECT_ROOT, models_dir

EVALUATION_FILE = "evaluation.json"
MODEL_CARD_FILE = "MODEL_CARD.md"
ARM_TITLES = {
    "probe": "pretrained, linear probe",
    "finetune": "pretrained, fine-tuned",
    "scratch": "from scratch",
    "untrained": "same network untrained, linear probe",
    "raw": "the columns, linear probe",
    "knn": "pretrained, k-NN",
    "raw_knn": "the columns, k-NN",
    "pixel_pca": "raw pixels (PCA 50), linear probe",
}


def read_model_card(model_dir: Path) -> str | None:
    """The markdown of ``MODEL_CARD.md`` in ``model_dir``, or None if there is none."""
    path = Path(model_dir) / MODEL_CARD_FILE
    return path.read_text() if path.is_file() else None


@dataclass(frozen=True)
class TrainingCurve:
    """Per-epoch losses of a pretraining run, as ``astrodisc.learn.fit.fit`` records them in config.json."""

    epoch: np.ndarray  # (E,) int64, 1 .. E
    train_loss: np.ndarray  # (E,) float64: mean training loss over the epoch's batches (the objective's units)
    val_loss: np.ndarray  # (E,) float64: validation loss after the epoch (minus the loop's validation score)
    best_epoch: int  # the epoch whose weights were kept (lowest validation loss)


def read_training_curve(model_dir: Path) -> TrainingCurve | None:
    """The pretraining history in ``model_dir/config.json`` (``training.history``), or None without one.

    Pretraining scores validation as minus the objective
    (:mod:`astrodisc.learn.varstars`, :mod:`astrodisc.learn.galaxies`), so the validation loss is minus the recorded
    ``val_score``.
    """
    path = Path(model_dir) / "config.json"
    if not path.is_file():
        return None
    training = json.loads(path.read_text()).get("training", {})
    history = training.get("history") or []
    if not history:
        return None
    return TrainingCurve(
        np.array([h["epoch"] for h in history], dtype=np.int64),
        np.array([h["train_loss"] for h in history], dtype=np.float64),
        -np.array([h["val_score"] for h in history], dtype=np.float64),
        int(training.get("best_epoch", 0)),
    )


@dataclass(frozen=True)
class Evaluation:
    """An ``astrodisc evaluate`` result and where it came from."""

    result: dict  # the evaluation JSON
    path: Path  # the file it was read from
    own: bool  # True: this artifact set's evaluation.json; False: the shipped model's committed evaluation

    @property
    def dataset(self) -> str:
        """The survey the evaluation was measured on."""
        return str(self.result.get("dataset", "an unnamed survey"))

    @property
    def seeds(self) -> int | None:
        """Split seeds the means and stds are over, as the protocol records them."""
        return self.result.get("protocol", {}).get("seeds")


def save_evaluation(artifact_dir: Path, result: dict) -> Path:
    """Write ``result`` as the artifact set's ``evaluation.json`` (atomically); returns its path."""
    path = Path(artifact_dir) / EVALUATION_FILE
    save_json(path, result)
    return path


def find_evaluation(artifact_dir: Path, model_dir: Path, docs_dir: Path = PROJECT_ROOT / "docs") -> Evaluation | None:
    """The evaluation of an artifact set built with ``model_dir``, by the convention of the module docstring."""
    own = Path(artifact_dir) / EVALUATION_FILE
    if own.is_file():
        return Evaluation(json.loads(own.read_text()), own, own=True)
    model = Path(model_dir).resolve()
    for path in sorted(Path(docs_dir).glob("*.json")):
        result = json.loads(path.read_text())
        name = result.get("model") if isinstance(result, dict) else None
        if isinstance(name, str) and (models_dir() / name).resolve() == model:
            return Evaluation(result, path, own=False)
    return None


def evaluation_in_progress(artifact_dir: Path) -> EvaluationProgress | None:
    """The progress of an evaluation of this artifact set that has not finished (running, or stopped before its
    last cell: ``updated`` tells which); None when there is none."""
    progress = read_progress(Path(artifact_dir) / PROGRESS_FILE)
    return progress if progress is not None and not progress.complete else None


def progress_table(progress: EvaluationProgress) -> pd.DataFrame:
    """One row per finished cell (``cell``, then its figures: accuracy, macro F1, sigma_MAD ...), in the order
    they finished."""
    return pd.DataFrame(progress.finished)


def label_efficiency(result: dict) -> pd.DataFrame:
    """Accuracy against label fraction per task and arm, from an evaluation JSON (read through
    :func:`astrodisc.eval.result.parse_evaluation`; UserError for a JSON of neither layout).

    One row per (task, arm, fraction): ``task`` (a modality set of variable stars, or ``morphology``),
    ``arm`` (probe / finetune / scratch / ..., see ``ARM_TITLES``), ``fraction`` of the training labels in (0, 1],
    ``accuracy`` and ``accuracy_std`` (mean and std over split seeds, fractions in [0, 1]); sorted.
    """
    rows = [
        (cell.task, cell.arm, cell.fraction, cell.accuracy_mean, cell.accuracy_std)
        for cell in parse_evaluation(result).cells
    ]
    return pd.DataFrame(rows, columns=["task", "arm", "fraction", "accuracy", "accuracy_std"]).sort_values(
        ["task", "arm", "fraction"], ignore_index=True
    )


@dataclass(frozen=True)
class Confusion:
    """A confusion matrix: row = true class, column = predicted class."""

    classes: list[str]  # (C,) class names, the order of rows and columns
    counts: np.ndarray  # (C, C) int64 object counts

    @property
    def accuracy(self) -> float:
        """Share of the objects on the diagonal, in [0, 1]; NaN for an empty matrix."""
        total = self.counts.sum()
        return float(np.trace(self.counts) / total) if total else float("nan")


def evaluation_confusions(result: dict) -> dict[str, Confusion]:
    """Every confusion matrix in an evaluation JSON (first split seed, test split), by a readable name such as
    ``"all · pretrained, linear probe · 10 % of the labels"``; the classical baseline's as ``"classical
    baseline · all labels"``. UserError for a JSON of neither layout."""
    parsed = parse_evaluation(result)
    confusions = {
        f"{cell.task} · {ARM_TITLES[cell.arm]} · {cell.fraction:.0%} of the labels": _confusion(cell)
        for cell in parsed.cells
        if cell.confusion_seed0 is not None
    }
    baseline = parsed.classical_baseline
    if baseline is not None and baseline.confusion_seed0 is not None:
        confusions["classical baseline · all labels"] = _confusion(baseline)
    return confusions


def _confusion(cell: AccuracyCell | BaselineCell) -> Confusion:
    return Confusion(list(cell.classes or ()), np.asarray(cell.confusion_seed0, dtype=np.int64))


def vote_confusion(catalog: pd.DataFrame) -> Confusion:
    """The build's k-NN vote against the survey's own labels: labelled objects with a ``pred_label``, rows
    ``label``, columns ``pred_label``, classes the sorted union of both. The vote is leave-one-out (a labelled
    object is predicted from its k nearest *other* labelled objects, :func:`astrodisc.chain.anomaly.knn_predict`)."""
    voted = catalog[catalog["label"].notna() & catalog["pred_label"].notna()]
    truth, predicted = voted["label"].astype(str), voted["pred_label"].astype(str)
    classes = sorted(set(truth) | set(predicted))
    counts = pd.crosstab(truth, predicted).reindex(index=classes, columns=classes, fill_value=0)
    return Confusion(classes, counts.to_numpy(dtype=np.int64))


@dataclass(frozen=True)
class OodSummary:
    """The out-of-distribution flags of an artifact set (see :mod:`astrodisc.chain.anomaly`)."""

    threshold: float | None  # cosine distance above which an object is flagged; None without labelled pairs
    quantile: float  # the quantile of the labelled objects' own label distances the threshold is
    rule: str  # the rule in words, as the build recorded it
    share: float | None  # share of all objects flagged, in [0, 1]; None for an empty catalogue
    share_labelled: float | None  # share of the labelled objects flagged (about 1 - quantile); None without any
    share_unlabelled: float | None  # share of the unlabelled objects flagged; None when every object is labelled


def ood_summary(catalog: pd.DataFrame, manifest: dict) -> OodSummary:
    """Shares of the ``ood`` column over all, labelled and unlabelled objects, with the manifest's rule."""
    ood = catalog["ood"].to_numpy(dtype=bool)
    labelled = catalog["label"].notna().to_numpy()
    record = manifest["ood"]

    def share(mask: np.ndarray) -> float | None:
        return float(ood[mask].mean()) if mask.any() else None

    return OodSummary(
        record["threshold"],
        float(record["quantile"]),
        record["rule"],
        share(np.ones_like(ood)),
        share(labelled),
        share(~labelled),
    )


def labelled_table(result: dict) -> pd.DataFrame:
    """The labelled-set evaluation as one row per feature set (``embedding``, ``pixel_pca``, ...): ``accuracy``
    and each ``auc_<class>`` as "mean ± std" over folds, and ``p@10 <class>`` / ``p@10 all`` neighbour precision;
    empty without a ``labelled`` section."""
    rows = []
    for features in parse_labelled(result):
        row: dict[str, str | float] = {"features": features.name}
        row |= {name: f"{s.mean:.3f} ± {s.std:.3f}" for name, s in features.probe.metrics.items()}
        row |= {f"p@10 {name}": round(value, 3) for name, value in features.precision_at_10.items()}
        rows.append(row)
    return pd.DataFrame(rows)


def structure_table(result: dict) -> pd.DataFrame:
    """The simulated structures (bars, rings, arms, tidal debris) as one row per structure: its population and
    count, the metric (AUC, or accuracy beside the majority share for the arm count), and one "mean ± std" column
    per feature set; empty without a ``structure`` section."""
    rows: dict[str, dict[str, str | int | None]] = {}
    for score in parse_structure(result):
        row = rows.setdefault(
            score.structure,
            {
                "structure": score.structure,
                "among": score.population,
                "n": score.n,
                "present": score.counts.get("present"),  # None for the arm count: no one answer is "present"
                "metric": "AUC" if score.metric == "auc" else f"accuracy (majority {score.majority:.2f})",
            },
        )
        row[score.features] = f"{score.score.mean:.3f} ± {score.score.std:.3f}"
    table = pd.DataFrame(list(rows.values()))
    if "present" in table:
        table["present"] = table["present"].astype("Int64")  # counts with gaps, one type (as Arrow needs)
    return table
