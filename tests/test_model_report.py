"""Reading what the Model page shows from the shipped models and their committed evaluations."""

import json

import numpy as np
import pytest

from astrodisc.eval import summary as model_report
from astrodisc.eval.summary import EVALUATION_FILE, find_evaluation
from astrodisc.paths import PROJECT_ROOT, models_dir

DOCS = PROJECT_ROOT / "docs"


@pytest.mark.parametrize(
    "model,doc,dataset",
    [
        ("varstars-clip", "evaluation-heldout.json", "varstars-eval"),
        ("galaxies-moco", "galaxy-evaluation-heldout-structured.json", "galaxies-heldout2"),
    ],
)
def test_a_shipped_model_falls_back_to_its_committed_evaluation(tmp_path, model, doc, dataset):
    evaluation = find_evaluation(tmp_path, models_dir() / model)
    assert evaluation.path == DOCS / doc and not evaluation.own and evaluation.dataset == dataset
    assert evaluation.seeds == 3
    assert find_evaluation(tmp_path, tmp_path / model) is None  # a folder of the same name is not the shipped model

    model_report.save_evaluation(
        tmp_path, {"dataset": "mine", "model": model}
    )  # the artifact set's own evaluation wins
    own = find_evaluation(tmp_path, models_dir() / model)
    assert own.own and own.path == tmp_path / EVALUATION_FILE and own.dataset == "mine"


def test_label_efficiency_and_confusions_of_both_kinds_of_evaluation():
    stars = json.loads((DOCS / "evaluation-heldout.json").read_text())
    table = model_report.label_efficiency(stars)
    row = table[(table["task"] == "photometry") & (table["arm"] == "probe") & (table["fraction"] == 0.1)]
    assert (
        row["accuracy"].item()
        == stars["classification"]["photometry"]["0.1"]["pretrained_linear_probe"]["accuracy"]["mean"]
    )
    assert set(table["task"]) == {"photometry", "spectra", "metadata", "all"}
    assert len(table) == 4 * (4 + 2 + 4)  # per modality: probe and scratch at 4 fractions, fine-tuning at 2
    confusions = model_report.evaluation_confusions(stars)
    baseline = confusions["classical baseline · all labels"]
    assert baseline.counts.tolist() == stars["classical_baseline"]["confusion_seed0"]
    assert baseline.accuracy == pytest.approx(np.trace(baseline.counts) / baseline.counts.sum())

    galaxies = json.loads((DOCS / "galaxy-evaluation-heldout.json").read_text())
    table = model_report.label_efficiency(galaxies)
    assert set(table["task"]) == {"morphology"} and set(table["arm"]) == {"probe", "finetune", "scratch"}
    assert sorted(table["fraction"].unique()) == [0.01, 0.05, 0.1, 0.25, 1.0]
    probe = model_report.evaluation_confusions(galaxies)["morphology · pretrained, linear probe · 1% of the labels"]
    assert probe.classes == galaxies["morphology"]["probe"]["0.01"]["classes"]


@pytest.mark.parametrize("model", ["varstars-clip", "galaxies-moco"])
def test_the_training_curve_is_the_recorded_history(model):
    config = json.loads((models_dir() / model / "config.json").read_text())["training"]
    curve = model_report.read_training_curve(models_dir() / model)
    assert curve.epoch.tolist() == list(range(1, len(config["history"]) + 1))
    assert curve.best_epoch == config["best_epoch"]
    best = curve.val_loss[curve.best_epoch - 1]
    assert best == pytest.approx(config.get("val_clip_loss", config.get("val_loss"))) and best == curve.val_loss.min()
