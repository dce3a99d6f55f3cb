"""The simulated survey's own embeddings at scale: its catalogue drawn in chunks, embedded by the shipped model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from astrodisc.data.open_store import open_store
from astrodisc.data.sim.varstars import VarStarSimConfig, simulate_catalogue
from astrodisc.data.varstars import METADATA_COLUMNS
from astrodisc.ops.bench_scale import own_embeddings_recall, run
from astrodisc.ops.survey_scale import write_catalogue_survey
from astrodisc.paths import models_dir

N = 3000


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> Path:
    return write_catalogue_survey(N, models_dir() / "varstars-clip", tmp_path_factory.mktemp("bench") / f"survey-{N}")


def test_the_catalogue_is_deterministic_unique_and_has_every_metadata_column():
    a = simulate_catalogue(VarStarSimConfig(n=500, seed=4), chunk=200, progress=False)
    b = simulate_catalogue(VarStarSimConfig(n=500, seed=4), chunk=200, progress=False)
    pd.testing.assert_frame_equal(a, b)
    assert a["object_id"].is_unique and len(a) == 500
    assert set(METADATA_COLUMNS) <= set(a.columns)
    assert a["label"].notna().mean() > 0.9 and a["label"].nunique() >= 8
    assert not a.equals(simulate_catalogue(VarStarSimConfig(n=500, seed=5), chunk=200, progress=False))


def test_the_survey_opens_as_a_dataset_whose_embeddings_group_stars_by_class(survey):
    store = open_store(survey)
    x = np.load(survey / "embeddings" / "metadata.npy")
    assert x.shape == (len(store), 64) == (N, 64)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    labels = store.objects["label"].to_numpy(object)
    nearest = np.argsort(-(x @ x.T), axis=1)[:, 1]  # the nearest other star
    both = pd.notna(labels) & pd.notna(labels[nearest])
    agree = np.mean(labels[both] == labels[nearest][both])
    majority = pd.Series(labels[both]).value_counts(normalize=True).iloc[0]
    assert agree > majority + 0.3  # the metadata encoder groups classes: far above the majority share


def test_the_bench_builds_the_survey_and_measures_its_recall(survey, tmp_path):
    figures = own_embeddings_recall(survey / "embeddings" / "metadata.npy")
    assert figures["index"]["type"] == "IndexIVFFlat" and figures["recall_at_10"] >= 0.97
    out = tmp_path / "bench.json"
    run(out, parts=("build",), build_sizes=(), workdir=survey.parent, survey_n=N)
    (built,) = json.loads(out.read_text())["build"]
    assert built["dataset"] == survey.name and built["n"] == N and built["peak_rss_gb"] > 0
    assert set(built["stages_s"]) >= {"index", "map", "clusters", "anomaly", "labels"}
    catalog = pd.read_parquet(survey / "artifacts" / "catalog.parquet")
    assert len(catalog) == N and catalog["anomaly_score"].between(0, 1).all()
