"""The build chain on a tiny store: every contract file, skipping of unchanged stages, no truth read."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from astrodisc.chain.artifacts import CATALOG_ADDED_COLUMNS, load_artifacts
from astrodisc.chain.build import BuildParams, build_artifacts
from astrodisc.chain.clusters import SIZE_FRACTIONS
from astrodisc.data.store import TRUTH_FILE, DatasetInfo
from astrodisc.data.varstars import CLASSES as STORE_CLASSES
from astrodisc.data.varstars import LightCurve, VarStarStore, write_store
from astrodisc.errors import UserError

CLASSES = ("EW", "RRAB", "M")
N_PER_CLASS = 100
ODD_ROW = 7  # an ordinary-looking object whose light curve swings by ~10 mag


def _write_tiny_store(root: Path) -> None:
    rng = np.random.default_rng(0)
    truth_class = np.repeat(np.arange(3), N_PER_CLASS)
    n = len(truth_class)
    period = np.array([0.35, 0.6, 300.0])[truth_class] * rng.uniform(0.9, 1.1, n)
    amplitude = np.array([0.5, 1.0, 3.0])[truth_class] * rng.uniform(0.9, 1.1, n)
    mean_vmag = np.array([9.0, 13.0, 17.0])[truth_class] + rng.normal(0, 0.3, n)
    label = np.array(CLASSES, dtype=object)[truth_class]
    label[rng.random(n) < 0.2] = None
    objects = pd.DataFrame(
        {
            "object_id": [f"obj-{i:03d}" for i in range(n)],
            "ra": rng.uniform(0, 360, n),
            "dec": rng.uniform(-60, 60, n),
            "label": label,
            "mean_vmag": mean_vmag,
            "period": period,
            "amplitude": amplitude,
        }
    )
    lightcurves = []
    for i in range(n):
        t = np.sort(rng.uniform(0, 200, 25))
        amp = 10.0 if i == ODD_ROW else amplitude[i]
        mag = mean_vmag[i] + 0.5 * amp * np.sin(2 * np.pi * t / period[i]) + rng.normal(0, 0.02, 25)
        lightcurves.append(LightCurve(t, mag, np.full(25, 0.02), np.zeros(25, np.uint8)))
    truth = pd.DataFrame({"object_id": objects["object_id"], "class": np.array(CLASSES)[truth_class]})
    write_store(
        root, DatasetInfo(name="tiny", classes=STORE_CLASSES, simulated=True, seed=0), objects, lightcurves, truth=truth
    )


def _project(features: np.ndarray, dim: int, seed: int) -> np.ndarray:
    """Standardised features plus a bias column, randomly projected to ``dim``, with a little noise."""
    z = (features - features.mean(axis=0)) / features.std(axis=0)
    z = np.column_stack([z, np.ones(len(z))])
    rng = np.random.default_rng(seed)
    return z @ rng.normal(size=(z.shape[1], dim)) + 0.05 * rng.normal(size=(len(z), dim))


class FakeEmbed:
    """Structured stand-in for the encoder: photometry from light-curve statistics, metadata from columns."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, store: VarStarStore, model_dir: Path) -> dict[str, np.ndarray]:
        self.calls += 1
        lcs = [store.lightcurve_at(i) for i in range(len(store))]
        phot = np.array([[np.ptp(lc.mag), np.std(lc.mag), np.mean(lc.mag)] for lc in lcs])
        meta = store.objects[["mean_vmag", "period", "amplitude"]].to_numpy(dtype=np.float64, copy=True)
        meta[:, 1] = np.log10(meta[:, 1])
        photometry, metadata = _project(phot, 16, 1), _project(meta, 16, 2)
        return {"photometry": photometry, "metadata": metadata, "fused": photometry + metadata}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny-store")
    _write_tiny_store(root)
    return root


@pytest.fixture()
def model_dir(tmp_path) -> Path:
    path = tmp_path / "fake-model"
    path.mkdir()
    (path / "weights.bin").write_bytes(b"\x01" * 64)
    return path


def _ran(out_dir: Path) -> set[str]:
    manifest = load_artifacts(out_dir).manifest
    return {name for name, stage in manifest["stages"].items() if stage["ran"]}


def test_build_writes_the_artifact_contract_without_reading_truth(dataset, model_dir, tmp_path, record_opens):
    objects = pd.read_parquet(dataset / "objects.parquet")
    record_opens.clear()
    out = build_artifacts(dataset, model_dir, tmp_path / "art", embed=FakeEmbed(), progress=False)

    opened = list(record_opens)
    assert any(p.endswith("objects.parquet") for p in opened)  # the recorder sees the build's reads
    assert not any(TRUTH_FILE in p for p in opened)
    pd.read_parquet(dataset / TRUTH_FILE)
    assert any(TRUTH_FILE in p for p in record_opens[len(opened) :])  # and would have seen a truth read

    art = load_artifacts(out)
    assert sorted(art.spaces) == ["fused", "metadata", "photometry"]  # no spectra in this store, so no such space
    assert sorted(p.name for p in (out / "index").iterdir()) == ["fused.faiss", "metadata.faiss", "photometry.faiss"]
    for space, vectors in art.embeddings.items():
        assert vectors.shape == (300, 16) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert art.indexes[space].ntotal == 300

    cat = art.catalog
    assert list(cat.columns[: len(objects.columns)]) == list(objects.columns)
    pd.testing.assert_frame_equal(cat[objects.columns], objects)
    assert set(CATALOG_ADDED_COLUMNS) <= set(cat.columns)
    assert np.isfinite(cat[["umap_x", "umap_y", "cluster_prob", "anomaly_score", "pred_prob"]].to_numpy()).all()
    assert cat["cluster"].dtype == np.int64 and cat["cluster"].min() >= -1
    assert cat["anomaly_score"].between(0, 1).all() and cat["cluster_prob"].between(0, 1).all()
    labelled = cat["label"].notna()
    assert cat.loc[~labelled, "mislabel_score"].isna().all()
    assert cat.loc[labelled, "mislabel_score"].between(0, 1).all()
    assert set(cat["pred_label"]) <= set(CLASSES)

    # the structure of the fake embedding comes through: classes are clusters, votes are right
    truth_class = np.repeat(np.arange(3), N_PER_CLASS)
    assert adjusted_rand_score(truth_class, cat["cluster"]) > 0.8
    assert (cat["pred_label"] == np.array(CLASSES)[truth_class]).mean() > 0.95
    assert cat["anomaly_score"].rank(ascending=False)[ODD_ROW] <= 3  # the 10-mag light curve is odd
    assert cat.loc[ODD_ROW, "anomaly_photometry"] > cat.loc[ODD_ROW, "anomaly_metadata"]

    m = art.manifest
    assert m["dataset"]["name"] == "tiny" and m["model"]["name"] == "fake-model"
    assert m["counts"]["objects"] == 300 and m["counts"]["labelled"] == int(labelled.sum())
    assert m["counts"]["clusters"] == cat["cluster"].max() + 1
    assert m["spaces"]["fused"] == {
        "dim": 16,
        "index": {"type": "IndexFlatIP", "ntotal": 300, "dim": 16, "metric": "inner_product"},
    }
    assert m["stages"]["clusters"]["inputs"]["sizes"] == list(SIZE_FRACTIONS) and m["seed"] == 0
    assert m["clusters"]["validity"] > 0.3 and len(m["clusters"]["persistence"]) == m["counts"]["clusters"]
    split = m["clusters"]["subclusters"]  # how each class was split, and into as many as the catalogue holds
    assert set(split) == set(cat["label"].dropna()) and {s["basis"] for s in split.values()} <= {"columns", "fused"}
    for cls, record in split.items():
        assert cat.loc[cat["label"] == cls, "subcluster"].nunique() == record["n_subclusters"]
    assert set(m["stages"]) == {"embeddings", "index", "map", "clusters", "anomaly", "labels", "quality", "catalog"}
    assert all(stage["ran"] and stage["seconds"] >= 0 for stage in m["stages"].values())
    assert m["versions"]["faiss-cpu"] and m["versions"]["umap-learn"]

    # neighbours exclude the object itself and equal brute force, also across spaces
    fused, phot = np.asarray(art.embeddings["fused"]), np.asarray(art.embeddings["photometry"])
    rows, scores = art.neighbours("fused", 5, 4)
    sims = fused @ fused[5]
    sims[5] = -np.inf
    np.testing.assert_array_equal(rows, np.argsort(-sims)[:4])
    np.testing.assert_allclose(scores, np.sort(sims)[::-1][:4], atol=1e-5)
    cross_rows, _ = art.neighbours("fused", 5, 4, query_space="photometry")
    sims = fused @ phot[5]
    sims[5] = -np.inf
    np.testing.assert_array_equal(cross_rows, np.argsort(-sims)[:4])
    with pytest.raises(UserError, match="unknown space 'spectra'"):
        art.neighbours("spectra", 0, 3)


def test_rebuild_skips_unchanged_stages_and_reruns_only_downstream(dataset, model_dir, tmp_path):
    out, embed = tmp_path / "art", FakeEmbed()
    build_artifacts(dataset, model_dir, out, embed=embed, progress=False)
    first = pd.read_parquet(out / "catalog.parquet")

    build_artifacts(dataset, model_dir, out, embed=embed, progress=False)
    assert _ran(out) == set() and embed.calls == 1
    pd.testing.assert_frame_equal(pd.read_parquet(out / "catalog.parquet"), first)

    params = BuildParams(cluster_sizes=(0.1,))
    build_artifacts(dataset, model_dir, out, embed=embed, params=params, progress=False)
    assert _ran(out) == {"clusters", "catalog"}
    assert load_artifacts(out).manifest["clusters"]["min_cluster_size"] == 30  # the one size given: 10 % of 300

    build_artifacts(dataset, model_dir, out, embed=embed, params=replace(params, k_label=3), progress=False)
    assert _ran(out) == {"labels", "catalog"}
    rebuilt = pd.read_parquet(out / "catalog.parquet")
    pd.testing.assert_frame_equal(
        rebuilt[["umap_x", "umap_y", "anomaly_score"]], first[["umap_x", "umap_y", "anomaly_score"]]
    )

    (model_dir / "weights.bin").write_bytes(b"\x02" * 64)  # a new model: everything downstream of it reruns
    build_artifacts(dataset, model_dir, out, embed=embed, params=replace(params, k_label=3), progress=False)
    ran = {"embeddings", "index", "map", "clusters", "anomaly", "labels", "quality", "catalog"}
    assert _ran(out) == ran  # quality too: a galaxy model folder may hold the arc finder
    assert embed.calls == 2

    (out / "stages" / "map.parquet").unlink()  # a lost output reruns its stage even with unchanged inputs
    build_artifacts(dataset, model_dir, out, embed=embed, params=replace(params, k_label=3), progress=False)
    assert _ran(out) == {"map"}

    def fused_only(store, model_dir):
        return {"fused": embed(store, model_dir)["fused"]}

    build_artifacts(dataset, model_dir, out, embed=fused_only, progress=False)  # spaces of older builds go
    assert list(load_artifacts(out).spaces) == ["fused"]
    assert [p.name for p in (out / "embeddings").iterdir()] == ["fused.npy"]
    assert [p.name for p in (out / "index").iterdir()] == ["fused.faiss"]


def test_incomplete_artifact_sets_are_user_errors(dataset, model_dir, tmp_path):
    with pytest.raises(UserError, match="manifest.json missing"):
        load_artifacts(tmp_path)
    out = build_artifacts(dataset, model_dir, tmp_path / "art", embed=FakeEmbed(), progress=False)
    (out / "index" / "metadata.faiss").unlink()
    with pytest.raises(UserError, match="missing index/metadata.faiss"):
        load_artifacts(out)
    shutil.rmtree(out / "embeddings")
    with pytest.raises(UserError, match="embeddings/fused.npy"):
        load_artifacts(out)
    (out / "manifest.json").write_text("{")
    with pytest.raises(UserError, match="unreadable manifest.json"):
        load_artifacts(out)
    with pytest.raises(UserError, match="model folder not found"):
        build_artifacts(dataset, tmp_path / "no-model", tmp_path / "x", embed=FakeEmbed(), progress=False)


def test_a_broken_embedding_is_refused(dataset, model_dir, tmp_path):
    def nan_embed(store, model_dir):
        fused = np.ones((len(store), 4))
        fused[3] = np.nan
        return {"fused": fused}

    with pytest.raises(ValueError, match="1 of 300 rows are non-finite or zero"):
        build_artifacts(dataset, model_dir, tmp_path / "art", embed=nan_embed, progress=False)
    assert not (tmp_path / "art" / "manifest.json").exists()


def test_a_code_change_reruns_its_stage_and_what_follows(dataset, model_dir, tmp_path, monkeypatch):
    import astrodisc.chain.build as build_module

    out = tmp_path / "art"
    build_artifacts(dataset, model_dir, out, embed=FakeEmbed(), progress=False)
    original = build_module._code_digest
    monkeypatch.setattr(
        build_module,
        "_code_digest",
        lambda *modules: original(*modules) + ("-edited" if modules == ("chain.anomaly",) else ""),
    )
    build_artifacts(dataset, model_dir, out, embed=FakeEmbed(), progress=False)
    assert _ran(out) == {"anomaly", "labels", "catalog"}


def test_every_object_carries_its_label_distance_and_far_ones_are_flagged_ood(dataset, model_dir, tmp_path):
    objects = pd.read_parquet(dataset / "objects.parquet")
    labelled = objects["label"].notna().to_numpy()
    far_row = int(np.flatnonzero(~labelled)[0])

    def planted(store, model_dir):
        """FakeEmbed with one unlabelled object moved opposite to the survey's mean direction: far from all labels."""
        vectors = FakeEmbed()(store, model_dir)
        fused = vectors["fused"] / np.linalg.norm(vectors["fused"], axis=1, keepdims=True)
        vectors["fused"] = fused
        vectors["fused"][far_row] = -fused.mean(axis=0)
        return vectors

    out = build_artifacts(dataset, model_dir, tmp_path / "art", embed=planted, progress=False)
    art = load_artifacts(out)
    cat, fused = art.catalog, np.asarray(art.embeddings["fused"], dtype=np.float64)
    assert cat["ood"].dtype == bool and {"label_distance", "ood"} <= set(CATALOG_ADDED_COLUMNS)

    # brute force: 1 - the largest cosine to a labelled object other than itself
    sims = fused @ fused[labelled].T  # (N, n_labelled)
    sims[np.flatnonzero(labelled), np.arange(labelled.sum())] = -np.inf
    np.testing.assert_allclose(cat["label_distance"], 1.0 - sims.max(axis=1), atol=1e-5)

    ood = art.manifest["ood"]
    own = cat.loc[labelled, "label_distance"].to_numpy()
    assert ood["quantile"] == 0.99 and art.manifest["stages"]["labels"]["inputs"]["ood_quantile"] == 0.99
    assert ood["threshold"] == pytest.approx(np.quantile(own, 0.99))
    assert "0.99 quantile" in ood["rule"] and ood["space"] == "fused"
    np.testing.assert_array_equal(cat["ood"], cat["label_distance"] > ood["threshold"])
    n_labelled = int(labelled.sum())
    assert cat.loc[labelled, "ood"].sum() == ood["labelled_flagged"] <= np.ceil((n_labelled - 1) * 0.01)
    assert cat.loc[labelled, "ood"].mean() < 0.013  # about 1 %: ceil(235 * 0.01) = 3 of these 236 labelled objects
    assert ood["flagged"] == cat["ood"].sum()

    # the planted object is flagged, and it is the farthest from any label
    assert cat.at[far_row, "ood"]
    assert cat.at[far_row, "label_distance"] > ood["threshold"]
    assert cat["label_distance"].idxmax() == far_row

    # an artifact set built before these columns existed is refused with the way out, not half shown
    cat.drop(columns=["label_distance", "ood"]).to_parquet(out / "catalog.parquet", index=False)
    with pytest.raises(UserError, match="lacks columns label_distance, ood: rebuild with `astrodisc build`"):
        load_artifacts(out)
