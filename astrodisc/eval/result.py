"""The ``astrodisc evaluate`` result, typed: the cell every evaluation writes, and one parser per kind.

A cell (one task, arm and label fraction, over split seeds) is a :class:`SeedSummary`: the evaluators make it
(:func:`astrodisc.eval.protocol.mean_std`), :func:`evaluation_json` writes it, and the parsers below read it back
through the same class, so the writer and the Model page share one definition of it. :func:`evaluation_json`
refuses to write a result its own parser would not read. The JSON's key paths are a user-facing contract, and the
committed ``docs/*.json`` are read as they are. Three kinds, told apart by the JSON itself:

- galaxies (a ``"morphology"`` key, :mod:`astrodisc.eval.galaxies`): ``morphology[arm][fraction]`` with the
  arms ``probe`` / ``finetune`` / ``scratch`` / ``pixel_pca`` (``morphology["label_efficiency"]`` is a summary,
  not an arm);
- catalogues (``"kind": "catalog"``, :mod:`astrodisc.eval.catalogs`): ``classification[task][fraction][arm]``
  with the arms ``probe`` / ``untrained_probe`` / ``raw_probe`` / ``knn`` / ``raw_knn``;
- variable stars (any other JSON with ``"classification"``, :mod:`astrodisc.eval.varstars`):
  ``classification[task][fraction][arm]`` with the arms ``pretrained_linear_probe`` / ``pretrained_finetune`` /
  ``scratch``.

A fraction's scalar entries (``finetune_gain_points``, ``n_train_labels``) are not cells; any other entry that
is not one of the kind's arms is refused, as is a JSON of neither layout (:class:`UserError` naming the key).
Accuracies are fractions in [0, 1]. Screen-free: no Streamlit, no plotting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from astrodisc.errors import UserError

Kind = Literal["varstars", "catalog", "galaxies"]

VARSTAR_ARMS = {"pretrained_linear_probe": "probe", "pretrained_finetune": "finetune", "scratch": "scratch"}
CATALOG_ARMS = {
    "probe": "probe",
    "untrained_probe": "untrained",
    "raw_probe": "raw",
    "knn": "knn",
    "raw_knn": "raw_knn",
}
GALAXY_ARMS = {"probe": "probe", "finetune": "finetune", "scratch": "scratch", "pixel_pca": "pixel_pca"}
GALAXY_TASK = "morphology"  # the task name of every galaxy cell
GALAXY_SUMMARIES = {"label_efficiency"}  # keys of ``morphology`` that are not arms


@dataclass(frozen=True)
class Spread:
    """One metric over split seeds: its mean, standard deviation and the value of each seed (in seed order)."""

    mean: float
    std: float
    runs: tuple[float, ...]


@dataclass(frozen=True)
class SeedSummary:
    """One evaluated cell over split seeds, written as ``{metric: {"mean", "std", "runs"}, ..., "classes",
    "confusion_seed0"}`` (the last two only for a classification with a confusion matrix)."""

    metrics: dict[str, Spread]  # "accuracy", "macro_f1" (fractions in [0, 1]); "sigma_mad", "eta", "bias"; ...
    classes: tuple[str, ...] | None = None  # (C,) rows and columns of the confusion
    confusion_seed0: tuple[tuple[int, ...], ...] | None = field(default=None)  # (C, C) first seed's counts

    def to_json(self) -> dict:
        out: dict[str, Any] = {k: {"mean": s.mean, "std": s.std, "runs": list(s.runs)} for k, s in self.metrics.items()}
        if self.classes is not None:
            out["classes"] = list(self.classes)
        if self.confusion_seed0 is not None:
            out["confusion_seed0"] = [list(row) for row in self.confusion_seed0]
        return out

    @classmethod
    def from_json(cls, cell: Any, path: str, metrics: tuple[str, ...] = ("accuracy",)) -> SeedSummary:
        """Read a cell back (UserError naming ``path`` for anything malformed); ``metrics`` must be present."""
        cell = _object(cell, path)
        spreads = {}
        for name in metrics:
            spread = _object(cell.get(name), f"{path}.{name}")
            runs = spread.get("runs", [])
            if not isinstance(runs, list):
                raise UserError(f"evaluation JSON: {path}.{name}.runs is not a list")
            spreads[name] = Spread(
                _number(spread.get("mean"), f"{path}.{name}.mean"),
                _number(spread.get("std"), f"{path}.{name}.std"),
                tuple(_number(v, f"{path}.{name}.runs") for v in runs),
            )
        classes, confusion = _confusion(cell, path)
        return cls(spreads, classes, confusion)


@dataclass(frozen=True)
class AccuracyCell:
    """One (task, arm, label fraction) of an evaluation: accuracy over split seeds, first seed's confusion."""

    task: str  # a modality set of variable stars ("all", "photometry", ...), a catalogue's task, or "morphology"
    arm: str  # probe / finetune / scratch / untrained / raw / knn / raw_knn (see ``ARM_TITLES`` of model_report)
    fraction: float  # share of the training labels, in (0, 1]
    fraction_key: str  # the fraction as the JSON spells it ("0.1"), to find the cell again
    key: str  # the arm as the JSON spells it ("pretrained_linear_probe")
    accuracy_mean: float  # mean test accuracy over split seeds, in [0, 1]
    accuracy_std: float  # std of it over split seeds
    classes: tuple[str, ...] | None  # (C,) class names, the rows and columns of the confusion; None if absent
    confusion_seed0: tuple[tuple[int, ...], ...] | None  # (C, C) first seed's counts, row = true; None if absent


@dataclass(frozen=True)
class BaselineCell:
    """The classical baseline (all labels): accuracy over split seeds and first seed's confusion."""

    accuracy_mean: float
    accuracy_std: float
    classes: tuple[str, ...] | None
    confusion_seed0: tuple[tuple[int, ...], ...] | None


@dataclass(frozen=True)
class EvaluationResult:
    """The accuracy cells of an evaluation JSON, in the JSON's order."""

    kind: Kind
    cells: tuple[AccuracyCell, ...]
    classical_baseline: BaselineCell | None  # None when the JSON has none (galaxies)


def evaluation_kind(result: Any) -> Kind:
    """Which kind of evaluation JSON ``result`` is (see the module docstring); UserError for neither layout."""
    if not isinstance(result, dict):
        raise UserError(f"an evaluation JSON is an object, not {type(result).__name__}")
    if GALAXY_TASK in result:
        return "galaxies"
    if "classification" in result:
        return "catalog" if result.get("kind") == "catalog" else "varstars"
    raise UserError("an evaluation JSON has neither 'classification' (variable stars, catalogues) nor 'morphology'")


def parse_evaluation(result: Any) -> EvaluationResult:
    """The typed accuracy cells of an evaluation JSON of any kind."""
    kind = evaluation_kind(result)
    if kind == "galaxies":
        return parse_galaxies(result)
    return parse_catalog(result) if kind == "catalog" else parse_varstars(result)


@dataclass(frozen=True)
class LabelledFeatures:
    """One feature set (the embedding, or a baseline) of a labelled-set evaluation (:mod:`astrodisc.eval.labelled`):
    its k-fold probe (accuracy and ``auc_<class>``) and its neighbour precision per class and ``all``."""

    name: str
    probe: SeedSummary
    precision_at_10: dict[str, float]


def parse_labelled(result: dict) -> tuple[LabelledFeatures, ...]:
    """The ``labelled`` section of an evaluation JSON, one record per feature set (none without the section)."""
    section = result.get("labelled")
    if section is None:
        return ()
    section = _object(section, "labelled")
    classes = tuple(_object(section.get("class_counts"), "labelled.class_counts"))
    metrics = ("accuracy", *(f"auc_{c}" for c in classes))
    out = []
    for name, entry in section.items():
        if not isinstance(entry, dict) or "probe" not in entry:
            continue  # the section's scalars and class counts
        path = f"labelled.{name}"
        precision = _object(entry.get("precision_at_10"), f"{path}.precision_at_10")
        out.append(
            LabelledFeatures(
                name,
                SeedSummary.from_json(entry["probe"], f"{path}.probe", metrics),
                {k: _number(v, f"{path}.precision_at_10.{k}") for k, v in precision.items()},
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class StructureScore:
    """How well one feature set tells one simulated structure (:mod:`astrodisc.eval.galaxy_structure`)."""

    structure: str  # bar, inner_ring, outer_ring, arm_count, tidal
    population: str  # whom the question is asked of ("spiral", ...)
    n: int  # members of the population
    counts: dict[str, int]  # answer -> members ("present"/"absent", or the arm counts)
    majority: float  # share of the commonest answer: the accuracy floor, in [0, 1]
    features: str  # the feature set ("embedding", "pixel_pca", "catalogue")
    metric: str  # "auc" (present or not) or "accuracy" (arm count)
    score: Spread  # over the folds


def parse_structure(result: dict) -> tuple[StructureScore, ...]:
    """The ``structure`` section of an evaluation or calibration JSON, one record per (structure, feature set)."""
    section = result.get("structure")
    if section is None:
        return ()
    out = []
    for name, entry in _object(section, "structure").items():
        entry = _object(entry, f"structure.{name}")
        path = f"structure.{name}.counts"
        counts = {k: int(_number(v, path)) for k, v in _object(entry.get("counts"), path).items()}
        for features, cell in entry.items():
            if not isinstance(cell, dict) or features == "counts":
                continue
            metric = "auc" if "auc" in cell else "accuracy"
            summary = SeedSummary.from_json(cell, f"structure.{name}.{features}", (metric,))
            out.append(
                StructureScore(
                    name,
                    str(entry.get("population")),
                    int(_number(entry.get("n"), f"structure.{name}.n")),
                    counts,
                    _number(entry.get("majority"), f"structure.{name}.majority"),
                    features,
                    metric,
                    summary.metrics[metric],
                )
            )
    return tuple(out)


def plain_json(value: Any) -> Any:
    """``value`` with every :class:`SeedSummary` in it written as its JSON object (dicts, lists and tuples walked)."""
    if isinstance(value, SeedSummary):
        return value.to_json()
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value


def evaluation_json(result: dict) -> dict:
    """An evaluator's result as the JSON ``evaluate --json`` writes: every :class:`SeedSummary` as its JSON
    object, the rest as it is; refused (UserError) if :func:`parse_evaluation` would not read it back."""
    document = plain_json(result)
    parse_evaluation(document)
    parse_labelled(document)
    parse_structure(document)
    return document


def parse_varstars(result: dict) -> EvaluationResult:
    """A variable-star evaluation: ``classification[task][fraction][arm]``, ``classical_baseline``."""
    return EvaluationResult("varstars", _classification(result, VARSTAR_ARMS), _baseline(result))


def parse_catalog(result: dict) -> EvaluationResult:
    """A catalogue evaluation: ``classification[task][fraction][arm]``, ``classical_baseline``."""
    return EvaluationResult("catalog", _classification(result, CATALOG_ARMS), _baseline(result))


def parse_galaxies(result: dict) -> EvaluationResult:
    """A galaxy evaluation: ``morphology[arm][fraction]``."""
    morphology = _object(result.get(GALAXY_TASK), GALAXY_TASK)
    cells = []
    for key, fractions in morphology.items():
        if key in GALAXY_SUMMARIES:
            continue
        path = f"{GALAXY_TASK}.{key}"
        if key not in GALAXY_ARMS:
            raise UserError(f"evaluation JSON: {path} is not an arm of a galaxy evaluation ({', '.join(GALAXY_ARMS)})")
        for fraction, cell in _object(fractions, path).items():
            cells.append(_cell(GALAXY_TASK, GALAXY_ARMS[key], key, fraction, cell, f"{path}.{fraction}"))
    baseline = _baseline(result) if "classical_baseline" in result else None
    return EvaluationResult("galaxies", tuple(cells), baseline)


def _classification(result: dict, arms: dict[str, str]) -> tuple[AccuracyCell, ...]:
    cells = []
    for task, fractions in _object(result.get("classification"), "classification").items():
        for fraction, entries in _object(fractions, f"classification.{task}").items():
            for key, cell in _object(entries, f"classification.{task}.{fraction}").items():
                path = f"classification.{task}.{fraction}.{key}"
                if key in arms:
                    cells.append(_cell(task, arms[key], key, fraction, cell, path))
                elif isinstance(cell, dict | list):
                    raise UserError(f"evaluation JSON: {path} is not an arm of this kind ({', '.join(arms)})")
    return tuple(cells)


def _baseline(result: dict) -> BaselineCell | None:
    if "classical_baseline" not in result:
        return None
    summary = SeedSummary.from_json(result["classical_baseline"], "classical_baseline")
    accuracy = summary.metrics["accuracy"]
    return BaselineCell(accuracy.mean, accuracy.std, summary.classes, summary.confusion_seed0)


def _cell(task: str, arm: str, key: str, fraction: str, cell: Any, path: str) -> AccuracyCell:
    try:
        share = float(fraction)
    except ValueError:
        raise UserError(f"evaluation JSON: {path} is not under a label fraction") from None
    summary = SeedSummary.from_json(cell, path)
    accuracy = summary.metrics["accuracy"]
    return AccuracyCell(
        task, arm, share, fraction, key, accuracy.mean, accuracy.std, summary.classes, summary.confusion_seed0
    )


def _confusion(cell: dict, path: str) -> tuple[tuple[str, ...] | None, tuple[tuple[int, ...], ...] | None]:
    classes = cell.get("classes")
    if classes is not None and not (isinstance(classes, list) and all(isinstance(c, str) for c in classes)):
        raise UserError(f"evaluation JSON: {path}.classes is not a list of class names")
    if "confusion_seed0" not in cell:
        return (tuple(classes) if classes is not None else None), None
    matrix = cell["confusion_seed0"]
    if classes is None:
        raise UserError(f"evaluation JSON: {path} has a confusion_seed0 but no classes")
    if not (
        isinstance(matrix, list)
        and all(isinstance(row, list) and all(_is_count(v) for v in row) for row in matrix)
        and len(matrix) == len(classes)
        and all(len(row) == len(classes) for row in matrix)
    ):
        raise UserError(f"evaluation JSON: {path}.confusion_seed0 is not a {len(classes)} x {len(classes)} of counts")
    return tuple(classes), tuple(tuple(int(v) for v in row) for row in matrix)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise UserError(f"evaluation JSON: {path} is missing or not an object")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError(f"evaluation JSON: {path} is missing or not a number")
    return float(value)
