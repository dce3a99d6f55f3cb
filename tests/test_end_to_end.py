"""End to end through the command line: simulate -> train -> build -> evaluate, as a user runs it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from astrodisc.cli import main
from astrodisc.data.store import TRUTH_FILE
from astrodisc.data.varstars import VarStarStore
from astrodisc.learn.embed import embed_inputs
from astrodisc.learn.encoders.clip_model import ModelConfig, TrimodalCLIP
from astrodisc.learn.preprocess import model_inputs
from astrodisc.learn.splits import is_labelled
from astrodisc.learn.varstars import load_varstar_model
from astrodisc.ops.bench_evaluate import evaluate_figures

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("e2e")
    paths = {
        "dataset": root / "survey",
        "model": root / "model",
        "artifacts": root / "survey" / "model",
        "eval": root / "eval.json",
    }
    assert main(["simulate", "varstars", "--n", "700", "--seed", "11", "--out", str(paths["dataset"]), "--quiet"]) == 0
    return paths


@pytest.fixture(scope="module")
def trained(pipeline, record_opens_module) -> dict[str, Path]:
    assert (
        main(
            [
                "train",
                "--dataset",
                str(pipeline["dataset"]),
                "--out",
                str(pipeline["model"]),
                "--epochs",
                "6",
                "--patience",
                "6",
                "--batch-size",
                "64",
                "--quiet",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "build",
                "--dataset",
                str(pipeline["dataset"]),
                "--model",
                str(pipeline["model"]),
                "--out",
                str(pipeline["artifacts"]),
                "--quiet",
            ]
        )
        == 0
    )
    pipeline["opened_by_train_and_build"] = list(record_opens_module)
    return pipeline


def test_train_and_build_never_open_the_hidden_truth(trained):
    opened = trained["opened_by_train_and_build"]
    assert any(p.endswith("objects.parquet") for p in opened)
    assert not any(TRUTH_FILE in p for p in opened)


def test_model_folder_loads_safely_and_has_a_card(trained):
    model, scaler, config = load_varstar_model(trained["model"])
    assert config["training"]["dataset"] == "survey" and len(config["training"]["history"]) >= 1
    card = (trained["model"] / "MODEL_CARD.md").read_text()
    assert "astrodisc train --dataset" in card and "wall time" in card


def _cross_modal_agreement(model: TrimodalCLIP, scaler, inputs, labels: np.ndarray, k: int = 10) -> float:
    """Share of the k nearest spectra of each light curve (cross-modal search) that carry its label."""
    emb = embed_inputs(model, scaler.transform(inputs.meta_raw), inputs)
    ok = is_labelled(labels)
    sims = emb["photometry"][ok] @ emb["spectra"][ok].T
    top = np.argsort(-sims, axis=1)[:, :k]
    y = labels[ok].astype(str)
    return float(np.mean(y[top] == y[:, None]))


def test_trained_encoder_beats_an_untrained_one(trained):
    model, scaler, _ = load_varstar_model(trained["model"])
    store = VarStarStore(trained["dataset"])
    inputs = model_inputs(store, progress=False)
    labels = store.objects["label"].to_numpy(object)
    torch.manual_seed(0)
    untrained = TrimodalCLIP(ModelConfig(**model.config.__dict__)).eval()
    trained_score = _cross_modal_agreement(model, scaler, inputs, labels)
    untrained_score = _cross_modal_agreement(untrained, scaler, inputs, labels)
    assert trained_score > untrained_score + 0.1, (trained_score, untrained_score)


def test_evaluate_gives_finite_values_in_range(trained, tmp_path, monkeypatch):
    monkeypatch.setenv("ASTRODISC_DATA", str(tmp_path))  # real samples are imported here for sim_to_real
    assert (
        main(["evaluate", "--artifacts", str(trained["artifacts"]), "--fast", "--out", str(trained["eval"]), "--quiet"])
        == 0
    )
    result = json.loads(trained["eval"].read_text())
    cls = result["classification"]
    assert set(cls) == {"photometry", "all"}
    for modality in cls.values():
        for cell in modality.values():
            for kind in ("pretrained_linear_probe", "scratch"):
                assert 0.0 <= cell[kind]["accuracy"]["mean"] <= 1.0
                assert 0.0 <= cell[kind]["macro_f1"]["mean"] <= 1.0
    assert 0.3 < result["classical_baseline"]["accuracy"]["mean"] <= 1.0
    for key in ("auroc", "precision_at_50"):
        assert 0.0 <= result["anomaly"][key] <= 1.0
    assert 0.0 <= result["mislabel"]["auroc"] <= 1.0 and 0.0 <= result["mislabel"]["recall_top_2pct"] <= 1.0
    hunt = result["active_learning"]
    assert hunt["interesting_in_survey"] == result["anomaly"]["n_rare"]
    for kind, more in result["more_like_these"].items():  # "more like these" from 5 of each rare kind
        assert kind in {"microlensing", "nova", "rcb", "artefact"} and more["members"] >= 1
        assert more["draws"] == 0 or all(0.0 <= r <= 1.0 for r in more["recall_at_50"])
    assert 0 <= hunt["found_without_retraining"] <= min(hunt["reviewed"], hunt["interesting_in_survey"])
    assert 0 <= hunt["found_with_retraining"] <= min(hunt["reviewed"], hunt["interesting_in_survey"])
    assert main(["hunt", "--artifacts", str(trained["artifacts"]), "--out", str(tmp_path / "hunt.json")]) == 0
    assert json.loads((tmp_path / "hunt.json").read_text()) == hunt  # the verb alone gives the same hunt
    assert main(["report", str(trained["eval"])]) == 0  # its markdown tables
    assert result["rediscovery"]["ROT"]["n_members"] > 20
    assert -1.0 <= result["rediscovery"]["ROT"]["ari"] <= 1.0
    s82 = result["sim_to_real"]["stripe82"]
    assert s82["n"] == 483 and 0.0 <= s82["knn5_accuracy"] <= 1.0
    flat = json.dumps(result)
    assert "NaN" not in flat and "Infinity" not in flat
    assert all(math.isfinite(v) for v in _numbers(result))

    # the quick mode: what reads the frozen embedding, the same cells (from the cache), no network trained
    frozen_out = tmp_path / "frozen.json"
    args = ["evaluate", "--artifacts", str(trained["artifacts"]), "--fast", "--frozen", "--quiet", "--out"]
    assert main([*args, str(frozen_out)]) == 0
    frozen = json.loads(frozen_out.read_text())
    for modality, cells in frozen["classification"].items():
        for fraction, cell in cells.items():
            assert set(cell) == {"pretrained_linear_probe"}  # no scratch, no fine-tuning
            assert cell["pretrained_linear_probe"] == cls[modality][fraction]["pretrained_linear_probe"]
    assert frozen["rediscovery"] == result["rediscovery"] and frozen["anomaly"] == result["anomaly"]

    # the networks trained from scratch are the dataset's, kept for every encoder; the fine-tuned ones the encoder's
    baselines = sorted(p.name for p in Path(result["baselines"]).glob("*.json"))
    assert baselines and all(name.startswith(("scratch-", "classical-")) for name in baselines)
    assert any(name.startswith("scratch-") for name in baselines)
    scratch = json.loads(next(Path(result["baselines"]).glob("scratch-*.json")).read_text())
    assert 1 <= scratch["best_epoch"] <= scratch["epochs"] == len(scratch["val_scores"])  # its training, for the docs
    assert result["map"]["knn_preservation"] > 5 * result["map"]["chance"]  # the map keeps neighbourhoods

    # the benchmark times a cold run: caches cleared first, every cell computed again, the same figures
    (timed,) = evaluate_figures([trained["artifacts"]], ("frozen",), fast=True)
    assert timed["first_run_on_dataset"] and timed["seconds"] > 0 and timed["cells_reused"] == 0
    assert timed["result"]["anomaly"] == result["anomaly"]
    assert timed["result"]["classification"] == frozen["classification"]  # the same cells, computed afresh


def _numbers(obj) -> list[float]:
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _numbers(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _numbers(v)]
    return [float(obj)] if isinstance(obj, (int, float)) and not isinstance(obj, bool) else []
