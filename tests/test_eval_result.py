"""Reading the committed evaluation JSONs through the typed parsers, and the Model page's tables from them."""

import copy
import json

import numpy as np
import pandas as pd
import pytest

from astrodisc.errors import UserError
from astrodisc.eval import summary as model_report
from astrodisc.eval.protocol import mean_std
from astrodisc.eval.result import (
    SeedSummary,
    evaluation_json,
    evaluation_kind,
    parse_evaluation,
    parse_galaxies,
    parse_varstars,
)
from astrodisc.paths import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"
STARS, GALAXIES, CATALOGUE = (
    "evaluation-heldout.json",
    "galaxy-evaluation-heldout.json",
    "evaluation-linear-catalogue.json",
)
# each kind's arm keys as its evaluate module writes them, and the arm each is on the Model page
STAR_ARMS = {"pretrained_linear_probe": "probe", "pretrained_finetune": "finetune", "scratch": "scratch"}
CATALOGUE_ARMS = {
    "probe": "probe",
    "untrained_probe": "untrained",
    "raw_probe": "raw",
    "knn": "knn",
    "raw_knn": "raw_knn",
}
GALAXY_ARMS = {"probe": "probe", "finetune": "finetune", "scratch": "scratch", "pixel_pca": "pixel_pca"}


def _load(name: str) -> dict:
    return json.loads((DOCS / name).read_text())


def _raw_cells(result: dict) -> list[tuple[str, str, str, str, dict]]:
    """(task, fraction key, arm key, arm, cell) straight from the JSON, in its order, by each kind's layout."""
    if "morphology" in result:
        return [
            ("morphology", fraction, key, GALAXY_ARMS[key], cell)
            for key, fractions in result["morphology"].items()
            if key in GALAXY_ARMS
            for fraction, cell in fractions.items()
        ]
    arms = CATALOGUE_ARMS if result.get("kind") == "catalog" else STAR_ARMS
    return [
        (task, fraction, key, arms[key], cell)
        for task, fractions in result["classification"].items()
        for fraction, entries in fractions.items()
        for key, cell in entries.items()
        if key in arms
    ]


@pytest.mark.parametrize(
    "name,kind,n_cells,baseline",
    [
        (STARS, "varstars", 4 * (4 + 2 + 4), True),  # per modality: probe and scratch at 4 fractions, fine-tune at 2
        (GALAXIES, "galaxies", 3 * 5, False),  # probe, fine-tune and scratch at 5 fractions
        (CATALOGUE, "catalog", 5 * 3, True),  # five arms at 3 fractions
    ],
)
def test_the_committed_evaluations_parse_into_one_cell_per_task_arm_and_fraction(name, kind, n_cells, baseline):
    result = _load(name)
    parsed = parse_evaluation(result)
    assert parsed.kind == evaluation_kind(result) == kind
    assert len(parsed.cells) == len(_raw_cells(result)) == n_cells
    for cell, (task, fraction, key, arm, raw) in zip(parsed.cells, _raw_cells(result), strict=True):
        assert (cell.task, cell.fraction_key, cell.key, cell.arm) == (task, fraction, key, arm)
        assert cell.fraction == float(fraction)
        assert cell.accuracy_mean == raw["accuracy"]["mean"] and cell.accuracy_std == raw["accuracy"]["std"]
        assert list(cell.classes) == raw["classes"]
        assert [list(row) for row in cell.confusion_seed0] == raw["confusion_seed0"]
    if baseline:
        raw = result["classical_baseline"]
        assert parsed.classical_baseline.accuracy_mean == raw["accuracy"]["mean"]
        assert [list(row) for row in parsed.classical_baseline.confusion_seed0] == raw["confusion_seed0"]
    else:
        assert parsed.classical_baseline is None


def test_a_few_values_by_their_key_paths():
    stars = parse_evaluation(_load(STARS))
    (cell,) = [c for c in stars.cells if (c.task, c.arm, c.fraction_key) == ("all", "finetune", "0.1")]
    assert cell.key == "pretrained_finetune" and cell.accuracy_mean == pytest.approx(0.8463431786216596)
    galaxies = parse_evaluation(_load(GALAXIES))
    (cell,) = [c for c in galaxies.cells if (c.arm, c.fraction_key) == ("scratch", "1.0")]
    assert cell.task == "morphology" and cell.accuracy_mean == pytest.approx(0.9052396015822805)
    catalogue = parse_evaluation(_load(CATALOGUE))
    (cell,) = [c for c in catalogue.cells if (c.task, c.arm, c.fraction_key) == ("metadata", "raw_knn", "0.01")]
    assert cell.key == "raw_knn" and cell.accuracy_mean == pytest.approx(0.7940379403794037)
    assert cell.classes == ("DSCT", "EA", "EW", "RRAB", "RRC")


@pytest.mark.parametrize("name", [STARS, GALAXIES, CATALOGUE])
def test_the_model_page_tables_are_what_the_raw_json_says(name):
    result = _load(name)
    rows = [
        (task, arm, float(fraction), cell["accuracy"]["mean"], cell["accuracy"]["std"])
        for task, fraction, _, arm, cell in _raw_cells(result)
    ]
    expected = pd.DataFrame(rows, columns=["task", "arm", "fraction", "accuracy", "accuracy_std"]).sort_values(
        ["task", "arm", "fraction"], ignore_index=True
    )
    pd.testing.assert_frame_equal(model_report.label_efficiency(result), expected, check_exact=True)

    expected_confusions = {
        f"{task} · {model_report.ARM_TITLES[arm]} · {float(fraction):.0%} of the labels": (
            cell["classes"],
            cell["confusion_seed0"],
        )
        for task, fraction, _, arm, cell in _raw_cells(result)
    }
    if "classical_baseline" in result:
        baseline = result["classical_baseline"]
        expected_confusions["classical baseline · all labels"] = (baseline["classes"], baseline["confusion_seed0"])
    confusions = model_report.evaluation_confusions(result)
    assert list(confusions) == list(expected_confusions)  # the page's selectbox order
    for name_, (classes, counts) in expected_confusions.items():
        confusion = confusions[name_]
        assert confusion.classes == classes and confusion.counts.dtype == np.int64
        np.testing.assert_array_equal(confusion.counts, np.asarray(counts))


def _broken(name: str, edit) -> dict:
    result = copy.deepcopy(_load(name))
    edit(result)
    return result


@pytest.mark.parametrize(
    "result,key",
    [
        ({"dataset": "mine", "model": "varstars-clip"}, "morphology"),  # neither layout
        ([1, 2], "object"),
        ({"classification": []}, "classification"),
        (_broken(STARS, lambda r: r["classification"]["all"]["0.1"]["scratch"].pop("accuracy")), "all.0.1.scratch"),
        (
            _broken(STARS, lambda r: r["classification"]["all"]["0.1"]["scratch"]["accuracy"].update(mean="high")),
            "accuracy.mean",
        ),
        (
            _broken(STARS, lambda r: r["classification"]["all"]["0.1"].update(probe={})),
            "all.0.1.probe",
        ),  # a catalogue arm
        (_broken(CATALOGUE, lambda r: r.pop("kind")), "metadata.0.01.knn"),  # without "kind" it is read as stars
        (_broken(GALAXIES, lambda r: r["morphology"].update(knn={})), "morphology.knn"),
        (
            _broken(GALAXIES, lambda r: r["morphology"]["probe"]["0.01"].update(confusion_seed0=[[1]])),
            "confusion_seed0",
        ),
        (
            _broken(GALAXIES, lambda r: r["morphology"]["probe"].update(all=r["morphology"]["probe"]["0.01"])),
            "probe.all",
        ),
    ],
)
def test_a_malformed_evaluation_is_a_user_error_naming_the_key(result, key):
    with pytest.raises(UserError, match=key.replace(".", r"\.")):
        parse_evaluation(result)
    with pytest.raises(UserError):
        model_report.label_efficiency(result)
    with pytest.raises(UserError):
        model_report.evaluation_confusions(result)


def test_each_parser_knows_only_its_own_layout():
    with pytest.raises(UserError, match="morphology"):
        parse_galaxies(_load(STARS))
    with pytest.raises(UserError, match="classification"):
        parse_varstars(_load(GALAXIES))


def test_the_writer_and_the_reader_share_one_cell():
    """A cell as the evaluators make it (mean_std over seeds) is written as the committed JSONs spell it and reads
    back equal; a result the parser would refuse is never written."""
    runs = [
        {"accuracy": a, "macro_f1": a - 0.1, "classes": ["EW", "M"], "confusion": [[3, 1], [0, 4]]} for a in (0.8, 0.9)
    ]
    cell = mean_std(runs)
    written = evaluation_json({"classification": {"all": {"0.1": {"pretrained_linear_probe": cell}}}})
    raw = written["classification"]["all"]["0.1"]["pretrained_linear_probe"]
    assert set(raw) == set(_load(STARS)["classification"]["all"]["0.1"]["pretrained_linear_probe"])
    assert raw["accuracy"] == {"mean": pytest.approx(0.85), "std": pytest.approx(0.05), "runs": [0.8, 0.9]}
    assert SeedSummary.from_json(json.loads(json.dumps(raw)), "cell", ("accuracy", "macro_f1")) == cell
    (parsed,) = parse_evaluation(written).cells
    assert (parsed.accuracy_mean, parsed.confusion_seed0) == (pytest.approx(0.85), ((3, 1), (0, 4)))
    with pytest.raises(UserError, match="classification.all.0.1.probe is not an arm"):
        evaluation_json({"classification": {"all": {"0.1": {"probe": cell}}}})
