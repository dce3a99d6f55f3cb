"""The catalogue evaluation scores every arm on held-out rows only: on a catalogue with learnable groups each arm
is far above chance, with the same groups shuffled among the rows every arm falls to chance (no arm sees a test
label); the CLI writes the result where the Model page reads it."""

from __future__ import annotations

import json

import numpy as np
from test_distributed import fast_map  # noqa: F401 - fixture: UMAP's stand-in
from test_tabular_encoder import grouped_catalogue

from astrodisc.cli import main
from astrodisc.data.catalogs import CatalogStore
from astrodisc.eval import catalogs as evaluate_catalog
from astrodisc.eval.summary import EVALUATION_FILE, label_efficiency
from astrodisc.learn.splits import evaluation_splits

ARMS = {"probe", "untrained", "raw", "knn", "raw_knn"}


def _built(tmp_path, labels: np.ndarray, name: str):
    """A catalogue of 1,500 rows labelled ``labels``, a 3-epoch SCARF model of it and its artifact set."""
    table, _ = grouped_catalogue(1500, seed=2)
    table.assign(label=labels).to_csv(tmp_path / f"{name}.csv", index=False)
    dataset, model, artifacts = tmp_path / name, tmp_path / f"{name}-model", tmp_path / name / "scarf"
    assert main(["import", "catalog", "--table", str(tmp_path / f"{name}.csv"), "--out", str(dataset), "--quiet"]) == 0
    assert main(["train", "--dataset", str(dataset), "--out", str(model), "--epochs", "3", "--quiet"]) == 0
    assert main(["build", "--dataset", str(dataset), "--model", str(model), "--out", str(artifacts), "--quiet"]) == 0
    return artifacts


def _accuracies(artifacts) -> dict[tuple[str, float], float]:
    assert (
        main(
            [
                "evaluate",
                "--artifacts",
                str(artifacts),
                "--fast",
                "--quiet",
                "--out",
                str(artifacts.parent / "evaluation-out.json"),
            ]
        )
        == 0
    )
    result = json.loads((artifacts / EVALUATION_FILE).read_text())
    assert result["kind"] == "catalog" and result["n_labelled"] == 1500
    table = label_efficiency(result)  # what the Model page plots
    assert set(table["arm"]) == ARMS and set(table["fraction"]) == {0.1, 1.0}
    accuracies = {(arm, fraction): acc for arm, fraction, acc in table[["arm", "fraction", "accuracy"]].values}
    accuracies[("boosting", 1.0)] = result["classical_baseline"]["accuracy"]["mean"]
    return accuracies


def _recording(monkeypatch) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows, scored rows) of every probe, k-NN and boosting fit the evaluation makes."""
    fits = []

    def record(name: str, rows_of):
        original = getattr(evaluate_catalog, name)

        def wrapped(*args, **kwargs):
            fits.append(rows_of(*args))
            return original(*args, **kwargs)

        monkeypatch.setattr(evaluate_catalog, name, wrapped)

    record("linear_probe", lambda features, labels, train, test: (train, test))
    record("knn_scores", lambda features, labels, train, test, k: (train, test))
    record("evaluate_baseline", lambda features, labels, split, seed: (split.train, split.test))
    return fits


def test_every_arm_learns_real_groups_and_none_learns_shuffled_ones(tmp_path, fast_map, monkeypatch):  # noqa: F811 (the fixture is imported by name)
    _, group = grouped_catalogue(1500, seed=2)
    names = np.array(["G0", "G1", "G2"])
    fits = _recording(monkeypatch)
    artifacts = _built(tmp_path, names[group], "real")
    real = _accuracies(artifacts)
    (split,) = evaluation_splits(CatalogStore(artifacts.parent).objects, names[group], 1)  # --fast: one seed
    assert len(fits) == 2 * 5 + 1  # two label fractions x (three probes, two k-NN arms) + boosting on all labels
    for train, scored in fits:  # every fit trains on training rows only and is scored on the whole test split
        assert np.isin(train, split.train).all() and np.array_equal(np.sort(scored), split.test)
    shuffled = _accuracies(_built(tmp_path, names[np.random.default_rng(0).permutation(group)], "shuffled"))
    # three groups about equally common: chance is 1/3; the test split holds 150 rows (std of chance ~0.04)
    assert min(real.values()) > 0.7, real
    assert max(shuffled.values()) < 0.5, shuffled


def test_a_catalogue_without_labels_is_refused_in_one_line(tmp_path, fast_map, capsys):  # noqa: F811 (the fixture is imported by name)
    """It ended in ``ValueError: zero-size array to reduction operation minimum`` from the split's strata."""
    artifacts = _built(tmp_path, np.full(1500, None, dtype=object), "unlabelled")
    capsys.readouterr()
    assert main(["evaluate", "--artifacts", str(artifacts), "--fast", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "0 of 1,500 objects carry a label" in err, err
