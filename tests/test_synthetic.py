"""Synthetic embedding surveys: deterministic, unit rows, and built by `astrodisc build --embeddings`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from astrodisc.cli import main
from astrodisc.data.io.precomputed import load_precomputed
from astrodisc.data.open_store import open_store
from astrodisc.data.sim.embeddings import SyntheticConfig, synthetic_embeddings, write_synthetic
from astrodisc.errors import UserError


def test_embeddings_are_seeded_unit_rows_grouped_by_cluster():
    config = SyntheticConfig(n=3000, dim=16, n_clusters=5, outlier_share=0.01, seed=3)
    vectors, groups = synthetic_embeddings(config)
    assert vectors.shape == (3000, 16) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert set(np.unique(groups)) <= set(range(-1, 5)) and (groups == -1).sum() > 0
    again, _ = synthetic_embeddings(config)
    np.testing.assert_array_equal(vectors, again)
    # members of a group are closer to their own group's mean direction than to any other's
    means = np.stack([vectors[groups == g].mean(axis=0) for g in range(5)])
    members = groups >= 0
    assert np.mean(np.argmax(vectors[members] @ means.T, axis=1) == groups[members]) > 0.99


def test_written_survey_builds_from_its_precomputed_embeddings(tmp_path):
    dataset = write_synthetic(SyntheticConfig(n=400, dim=8, n_clusters=4, labelled_share=0.2), tmp_path / "syn")
    objects = pd.read_parquet(dataset / "objects.parquet")
    assert list(objects.columns[:4]) == ["object_id", "ra", "dec", "label"] and objects["object_id"].is_unique
    assert objects["label"].notna().mean() == pytest.approx(0.2, abs=0.06)
    assert (
        main(
            [
                "build",
                "--dataset",
                str(dataset),
                "--embeddings",
                str(dataset / "embeddings"),
                "--out",
                str(tmp_path / "art"),
                "--quiet",
            ]
        )
        == 0
    )
    catalog = pd.read_parquet(tmp_path / "art" / "catalog.parquet")
    assert len(catalog) == 400 and {"umap_x", "cluster", "anomaly_score", "pred_label"} <= set(catalog.columns)
    np.testing.assert_allclose(
        np.load(tmp_path / "art" / "embeddings" / "fused.npy"), np.load(dataset / "embeddings" / "fused.npy"), atol=1e-6
    )


def test_precomputed_embeddings_of_the_wrong_length_or_none_are_refused(tmp_path):
    dataset = write_synthetic(SyntheticConfig(n=50, dim=4, n_clusters=2), tmp_path / "syn")
    with pytest.raises(UserError, match="has shape"):
        np.save(tmp_path / "fused.npy", np.ones((49, 4), dtype=np.float32))
        load_precomputed(open_store(dataset), tmp_path)
    with pytest.raises(UserError, match="no <space>.npy"):
        load_precomputed(open_store(dataset), tmp_path / "syn")
    assert main(["build", "--dataset", str(dataset), "--out", str(tmp_path / "art")]) == 2  # neither source
