"""The per-object stages on a 2-worker Dask LocalCluster give what they give in this process."""

from __future__ import annotations

import importlib
import shutil
import sys
import types
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from astrodisc.base.distributed import DaskRunner, LocalRunner, row_ranges, running_on
from astrodisc.chain.anomaly import BATCH
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.chain.build import BuildParams, build_artifacts
from astrodisc.cli import main
from astrodisc.data.io.precomputed import load_precomputed
from astrodisc.data.lc_features import store_features
from astrodisc.data.open_store import open_store
from astrodisc.data.sim import varstars as varstars_sim
from astrodisc.data.sim.embeddings import SyntheticConfig, write_synthetic
from astrodisc.learn.embed import embed_store
from astrodisc.paths import models_dir

N = 3000
# IVF for the survey (3000 >= 1000) and for its 20 % labelled objects (~600 >= 500): the approximate path too
PARAMS = BuildParams(exact_below=500)
VOTE_COLUMNS = ["pred_label", "pred_prob", "mislabel_score", "label_distance", "ood"]


@pytest.fixture(scope="module")
def cluster():
    """A 2-worker LocalCluster (processes, one thread each). Its workers are spawned, and spawn re-runs the
    parent's ``__main__``: after an AppTest in this process that is the Streamlit script, so a bare one stands in
    (``python -m astrodisc`` needs no such care: multiprocessing never re-runs a package's ``__main__``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
        runner = DaskRunner(n_workers=2)
        yield runner
        runner.close()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    write_synthetic(SyntheticConfig(n=N, dim=16, n_clusters=8, labelled_share=0.2, seed=1), root)
    return root


def flat_map(vectors: np.ndarray, **_) -> np.ndarray:
    """Stand-in for UMAP (the map is fitted on one node whatever the runner; here it only has to be fast)."""
    return np.asarray(vectors[:, :2], dtype=np.float32)


@pytest.fixture()
def fast_map(monkeypatch):
    monkeypatch.setattr("astrodisc.chain.build.fit_map", flat_map)


def _ran(out: Path) -> set[str]:
    return {name for name, stage in load_artifacts(out).manifest["stages"].items() if stage["ran"]}


def test_a_build_on_the_cluster_equals_the_local_build_and_they_skip_each_other(synthetic, cluster, tmp_path, fast_map):
    embeddings = synthetic / "embeddings"
    local = build_artifacts(
        synthetic, embeddings, tmp_path / "local", embed=load_precomputed, params=PARAMS, progress=False
    )
    assert load_artifacts(local).manifest["spaces"]["fused"]["index"]["type"] == "IndexIVFFlat"

    # the same set, with the per-object stages forgotten: the cluster redoes exactly those
    on_cluster = tmp_path / "cluster"
    shutil.copytree(local.resolve(), on_cluster)
    for stage in ("embeddings", "anomaly", "labels", "catalog"):
        (on_cluster / "stages" / f"{stage}.json").unlink()
    assert len(row_ranges(N, cluster, BATCH)) >= 4  # several chunks per worker, not one batch
    build_artifacts(
        synthetic, embeddings, on_cluster, embed=load_precomputed, params=PARAMS, progress=False, runner=cluster
    )
    assert _ran(on_cluster) == {"embeddings", "anomaly", "labels", "catalog"}
    indexes_read = cluster.client().run(
        lambda: importlib.import_module("astrodisc.base.distributed")._read_index.cache_info().misses
    )
    assert len(indexes_read) == 2 and all(n >= 1 for n in indexes_read.values())  # each worker read the files

    a, b = load_artifacts(local), load_artifacts(on_cluster)
    np.testing.assert_array_equal(a.embeddings["fused"], b.embeddings["fused"])
    np.testing.assert_allclose(b.catalog["anomaly_score"], a.catalog["anomaly_score"], atol=1e-6)
    pd.testing.assert_frame_equal(b.catalog[VOTE_COLUMNS], a.catalog[VOTE_COLUMNS], atol=1e-6)
    assert b.catalog["pred_label"].notna().all()

    # where it ran is no input of any stage: a local build finds the cluster's set up to date
    build_artifacts(
        synthetic, embeddings, on_cluster, embed=load_precomputed, params=PARAMS, progress=False, runner=LocalRunner()
    )
    assert _ran(on_cluster) == set()
    build_artifacts(
        synthetic,
        embeddings,
        on_cluster,
        embed=load_precomputed,
        progress=False,
        params=replace(PARAMS, k_label=5),
        runner=cluster,
    )
    assert _ran(on_cluster) == {"labels", "catalog"}


def test_light_curve_features_and_the_encoder_run_on_the_cluster(cluster, tmp_path):
    store = open_store(
        varstars_sim.simulate_varstars(varstars_sim.VarStarSimConfig(n=24, seed=3), tmp_path / "stars", progress=False)
    )
    model = models_dir() / "varstars-clip"
    with running_on(cluster):
        remote_features = store_features(store, progress=False)
        remote = embed_store(store, model, progress=False)  # features on the cluster, then the encoder there
    np.testing.assert_array_equal(remote_features, store_features(store, progress=False, workers=1))
    local = embed_store(store, model, progress=False)
    assert sorted(remote) == sorted(local) and "fused" in local
    for space in local:
        np.testing.assert_allclose(remote[space], local[space], atol=1e-5)


def test_an_unreachable_scheduler_is_one_line(synthetic, tmp_path, capsys):
    code = main(
        [
            "build",
            "--dataset",
            str(synthetic),
            "--embeddings",
            str(synthetic / "embeddings"),
            "--out",
            str(tmp_path / "art"),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("astrodisc build: cannot reach the Dask scheduler at tcp://127.0.0.1:9 within")
    assert not (tmp_path / "art").exists()
