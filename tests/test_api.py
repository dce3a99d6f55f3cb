"""The notebook API: ``astrodisc.open`` on a built artifact set answers as the artifact set does, imports
neither torch nor UMAP, and the example in docs/api.md runs as written."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from astropy.table import Table
from conftest import Fixture

import astrodisc
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.errors import UserError
from astrodisc.labels.database import Label, LabelDB
from astrodisc.paths import PROJECT_ROOT


def test_open_answers_as_the_artifact_set(tiny_artifacts: Fixture, tmp_path):
    labels = tmp_path / "labels.sqlite"
    survey = astrodisc.open(tiny_artifacts.artifact_dir, labels=labels)
    artifacts = load_artifacts(tiny_artifacts.artifact_dir)
    assert len(survey.catalog) == tiny_artifacts.n_objects and survey.spaces == artifacts.spaces
    table = survey.table()
    assert isinstance(table, Table) and list(table["object_id"]) == survey.catalog["object_id"].tolist()
    assert survey.anomaly_scores.index[3] == survey.catalog.at[3, "object_id"]
    assert survey.anomaly_scores.iloc[3] == survey.catalog.at[3, "anomaly_score"]

    first = str(survey.catalog.at[0, "object_id"])
    alike = survey.neighbours(first, k=5)
    rows, scores = artifacts.neighbours(artifacts.map_space, 0, 5)
    assert alike["object_id"].tolist() == artifacts.catalog["object_id"].iloc[rows].tolist()
    np.testing.assert_allclose(alike["similarity"], scores, rtol=1e-6)
    assert first not in set(alike["object_id"]) and set(survey.catalog.columns) < set(alike.columns)

    vector = np.asarray(survey.embeddings[artifacts.map_space][0]) * 3.0  # any length: normalised
    nearest = survey.search(vector, k=3)
    assert nearest.at[0, "object_id"] == first and nearest.at[0, "similarity"] == pytest.approx(1.0, abs=1e-5)

    assert survey.labels().empty and not labels.exists()  # reading makes no database
    LabelDB(labels).add(Label(survey.name, first, "ana", "s1", label="M"))
    assert survey.labels()[["object_id", "label"]].values.tolist() == [[first, "M"]]

    with pytest.raises(UserError, match="no object 'nope'"):
        survey.neighbours("nope")
    with pytest.raises(UserError, match="unknown space 'x'"):
        survey.search(vector, space="x")
    with pytest.raises(ValueError, match="finite numbers"):  # a UserError is a ValueError
        survey.search(np.full(len(vector), np.nan))


def test_opening_imports_neither_torch_nor_umap(tiny_artifacts: Fixture):
    code = (
        "import sys, astrodisc; survey = astrodisc.open(sys.argv[1]); survey.neighbours("
        "str(survey.catalog.at[0, 'object_id'])); print(sorted({'torch', 'umap'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tiny_artifacts.artifact_dir)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_example_in_the_docs_runs(tiny_artifacts: Fixture, tmp_path, monkeypatch, capsys):
    (example,) = re.findall(r"```python\n(.*?)```", (PROJECT_ROOT / "docs" / "api.md").read_text(), re.S)
    monkeypatch.setenv("ASTRODISC_LABELS", str(tmp_path / "labels.sqlite"))
    exec(example.replace('"data/varstars-demo/varstars-clip"', repr(str(tiny_artifacts.artifact_dir))), {})
    assert "similarity" in capsys.readouterr().out
