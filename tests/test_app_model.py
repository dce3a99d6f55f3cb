"""The Model page run headless with AppTest: card, training curve, evaluation, the live k-NN vote, the
out-of-distribution flags and the map's faithfulness, each checked against the data it is drawn from.

The fixture's fake encoder has an empty model folder (no card, no history, no evaluation): the page says so.
``carded`` copies the fixture under a data root of its own whose model folder has all three.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from conftest import DATASET, MODEL, Fixture
from streamlit.testing.v1 import AppTest
from test_app import _figures

from astrodisc.chain.artifacts import load_artifacts
from astrodisc.eval.cells import PROGRESS_FILE, EvaluationProgress
from astrodisc.eval.faithfulness import map_drivers, map_faithfulness
from astrodisc.eval.summary import EVALUATION_FILE
from astrodisc.paths import PROJECT_ROOT

PAGE = "pages/model.py"
HISTORY = [
    {"epoch": 1, "train_loss": 4.0, "val_score": -3.5},
    {"epoch": 2, "train_loss": 3.0, "val_score": -3.1},
    {"epoch": 3, "train_loss": 2.5, "val_score": -3.2},
]
EVAL_CLASSES = ["DSCT", "EW", "RRAB", "SR"]
EVAL_CONFUSION = [[3, 1, 0, 0], [0, 9, 1, 0], [0, 0, 7, 0], [1, 0, 0, 8]]


def _cell(accuracy: float) -> dict:
    return {
        "accuracy": {"mean": accuracy, "std": 0.02, "runs": [accuracy]},
        "classes": EVAL_CLASSES,
        "confusion_seed0": EVAL_CONFUSION,
    }


@pytest.fixture(scope="module")
def carded(tiny_artifacts: Fixture, tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """The fixture's store and artifacts under their own data root, built (so the manifest says) with a model
    folder holding a card and a training history, and with the artifact set's own evaluation.json."""
    data_root = tmp_path_factory.mktemp("data-carded")
    dataset_dir = data_root / DATASET
    shutil.copytree(tiny_artifacts.dataset_dir, dataset_dir)
    model_dir = tmp_path_factory.mktemp("models") / MODEL
    model_dir.mkdir()
    (model_dir / "MODEL_CARD.md").write_text("# fake-encoder\n\nA class-centroid stand-in for the encoder.\n")
    (model_dir / "config.json").write_text(
        json.dumps({"kind": "varstars", "training": {"history": HISTORY, "best_epoch": 2}})
    )
    artifact_dir = dataset_dir / MODEL
    manifest = json.loads((artifact_dir / "manifest.json").read_text())
    manifest["model"]["path"] = str(model_dir)
    (artifact_dir / "manifest.json").write_text(json.dumps(manifest))
    evaluation = {
        "dataset": DATASET,
        "model": MODEL,
        "protocol": {"seeds": 1},
        "classification": {
            "all": {
                "0.1": {"pretrained_linear_probe": _cell(0.6), "scratch": _cell(0.4)},
                "1.0": {"pretrained_linear_probe": _cell(0.8), "scratch": _cell(0.75)},
            }
        },
        "labelled": {
            "k_folds": 5,
            "class_counts": {"EW": 20, "M": 20},
            "space": "fused",
            "embedding": {
                "probe": {name: {"mean": m, "std": 0.02, "runs": [m] * 5} for name, m in LABELLED_PROBE.items()},
                "precision_at_10": {"EW": 0.8, "M": 0.7, "all": 0.75},
            },
        },
        "structure": {  # a galaxy evaluation's section, read the same way whatever the kind
            "bar": {
                "population": "spiral",
                "n": 300,
                "counts": {"absent": 200, "present": 100},
                "majority": 0.667,
                "embedding": {"auc": {"mean": 0.81, "std": 0.03, "runs": [0.81] * 5}},
            }
        },
    }
    (artifact_dir / EVALUATION_FILE).write_text(json.dumps(evaluation))
    return Fixture(data_root, dataset_dir, artifact_dir, tiny_artifacts.n_objects)


LABELLED_PROBE = {"accuracy": 0.9, "auc_EW": 0.95, "auc_M": 0.93}


def _page(monkeypatch: pytest.MonkeyPatch, fixture: Fixture) -> AppTest:
    monkeypatch.setenv("ASTRODISC_DATA", str(fixture.data_root))
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_without_card_history_or_evaluation_the_page_says_so_and_scores_the_survey(tiny_data, monkeypatch):
    at = _page(monkeypatch, tiny_data)
    infos = " ".join(i.value for i in at.info)
    assert "No model card" in infos and "No training history" in infos and "No evaluation of this model" in infos
    assert "astrodisc evaluate --artifacts" in infos
    assert not _figures(at, "epoch") and not _figures(at, "fraction of the training labels")

    # the live confusion matrix is the catalogue's label against its k-NN vote, cell by cell
    artifacts = load_artifacts(tiny_data.artifact_dir)
    catalog = artifacts.catalog
    (figure,) = _figures(at, "predicted (k-NN vote)")
    heatmap = figure.data[0]
    classes = sorted(catalog["label"].dropna().astype(str).unique())
    assert list(heatmap.x) == list(heatmap.y) == classes
    labelled = catalog[catalog["label"].notna()]
    expected = pd.crosstab(labelled["label"].astype(str), labelled["pred_label"].astype(str))
    expected = expected.reindex(index=classes, columns=classes, fill_value=0)
    np.testing.assert_array_equal(np.asarray(heatmap.text, dtype=np.int64), expected.to_numpy())
    accuracy = (labelled["label"].astype(str) == labelled["pred_label"].astype(str)).mean()
    assert _metric(at, "k-NN vote accuracy") == f"{accuracy:.1%}"

    # the out-of-distribution share and threshold are the catalogue's and the manifest's
    assert _metric(at, "Flagged out of distribution") == f"{catalog['ood'].mean():.1%}"
    assert _metric(at, "Out-of-distribution threshold") == f"{artifacts.manifest['ood']['threshold']:.4f}"
    (distances,) = _figures(at, "cosine distance (1 − cos)")
    assert {t.name for t in distances.data} == {"labelled", "unlabelled"}
    assert len(next(t for t in distances.data if t.name == "unlabelled").x) == catalog["label"].isna().sum()

    # the faithfulness shown is the module's, over every object of this small survey
    faithfulness = map_faithfulness(artifacts)
    assert _metric(at, "Embedding neighbours kept on the map") == f"{faithfulness.mean:.1%}"
    assert len(faithfulness.rows) == len(catalog) and 0.0 < faithfulness.mean <= 1.0
    (histogram,) = _figures(at, "share of the 10 embedding neighbours that stay map neighbours")
    assert histogram.data[0].y.sum() == len(catalog)

    # which columns drive the map: the module's figures for the catalogue's numeric columns, positions left out
    (drivers,) = [d.value for d in at.dataframe if "r2" in d.value.columns]
    assert "ra" not in set(drivers["column"]) and "period" in set(drivers["column"])
    expected = map_drivers(catalog, [c for c in drivers["column"] if not c.endswith(" missing")]).set_index("column")
    np.testing.assert_allclose(drivers.set_index("column").loc[expected.index, "r2"], expected["r2"])


def test_card_history_and_evaluation_are_shown_when_present(carded, monkeypatch):
    at = _page(monkeypatch, carded)
    assert not at.info
    assert any("A class-centroid stand-in for the encoder." in m.value for m in at.expander[0].markdown)

    (curve,) = _figures(at, "epoch")
    losses = {t.name: (list(t.x), list(t.y)) for t in curve.data}
    assert losses["training"] == ([1, 2, 3], [4.0, 3.0, 2.5])
    assert losses["validation"] == ([1, 2, 3], [3.5, 3.1, 3.2])  # minus the recorded validation score

    assert any("Measured on **tiny-sim** (this artifact set's `evaluation.json`)" in c.value for c in at.caption)
    (efficiency,) = _figures(at, "fraction of the training labels")
    arms = {t.name: (list(t.x), list(t.y)) for t in efficiency.data}
    assert arms == {"pretrained, linear probe": ([0.1, 1.0], [0.6, 0.8]), "from scratch": ([0.1, 1.0], [0.4, 0.75])}
    (labelled,) = [d.value for d in at.dataframe if "features" in d.value]  # the set's own labels: one row
    assert labelled.to_dict("records") == [
        {
            "features": "embedding",
            "accuracy": "0.900 ± 0.020",
            "auc_EW": "0.950 ± 0.020",
            "auc_M": "0.930 ± 0.020",
            "p@10 EW": 0.8,
            "p@10 M": 0.7,
            "p@10 all": 0.75,
        }
    ]
    (structure,) = [d.value for d in at.dataframe if "structure" in d.value]
    assert structure.to_dict("records") == [
        {"structure": "bar", "among": "spiral", "n": 300, "present": 100, "metric": "AUC", "embedding": "0.810 ± 0.030"}
    ]
    names = at.selectbox(key="model_confusion").options
    assert names[0] == "all · pretrained, linear probe · 10% of the labels" and len(names) == 4
    (confusion,) = _figures(at, "predicted")
    assert list(confusion.data[0].x) == EVAL_CLASSES
    np.testing.assert_array_equal(np.asarray(confusion.data[0].text, dtype=np.int64), EVAL_CONFUSION)


def test_an_unfinished_evaluation_shows_its_progress_and_the_cells_done(carded, monkeypatch):
    progress_file = carded.artifact_dir / PROGRESS_FILE
    finished = [{"cell": "probe-all-0.1-0", "accuracy": 0.61}, {"cell": "scratch-all-0.1-0", "accuracy": 0.42}]
    status = EvaluationProgress(total=8, done=2, seconds=30.0, seconds_left=300.0, finished=finished)
    progress_file.write_text(json.dumps(asdict(status)))
    try:
        at = _page(monkeypatch, carded)
        assert not at.exception
        (bar,) = at.get("progress")
        assert "2 of 8 cells done" in bar.proto.text and "about 5 min left" in bar.proto.text
        shown = [frame.value for frame in at.dataframe if "cell" in frame.value.columns]
        assert len(shown) == 1 and list(shown[0]["cell"]) == ["probe-all-0.1-0", "scratch-all-0.1-0"]
        assert shown[0]["accuracy"].tolist() == [0.61, 0.42]
    finally:
        progress_file.unlink()
    at = _page(monkeypatch, carded)
    assert not at.get("progress")  # nothing running: no bar
