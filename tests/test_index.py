"""Indexes return what brute-force numpy returns (exact) or nearly so (IVF, recall@10 >= 0.99)."""

from __future__ import annotations

import numpy as np

from astrodisc.chain.index import build_index, index_description, load_index, recall_at_k, save_index, search


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _brute_force(db: np.ndarray, queries: np.ndarray, k: int, exclude: np.ndarray | None = None):
    sims = queries @ db.T
    if exclude is not None:
        sims[np.arange(len(queries)), exclude] = -np.inf
    ids = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(sims, ids, axis=1), ids


def test_exact_index_equals_brute_force(tmp_path):
    rng = np.random.default_rng(1)
    db = _unit(rng.normal(size=(2000, 16)))
    queries = _unit(rng.normal(size=(50, 16)))
    index = build_index(db)
    assert index_description(index) == {"type": "IndexFlatIP", "ntotal": 2000, "dim": 16, "metric": "inner_product"}

    scores, ids = search(index, queries, 10)
    ref_scores, ref_ids = _brute_force(db, queries, 10)
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)

    save_index(index, tmp_path / "x.faiss")
    assert [p.name for p in tmp_path.iterdir()] == ["x.faiss"]  # no temporary file left behind
    _, ids_loaded = search(load_index(tmp_path / "x.faiss"), queries, 10)
    np.testing.assert_array_equal(ids_loaded, ref_ids)


def test_exclude_drops_the_query_row_itself():
    rng = np.random.default_rng(2)
    db = _unit(rng.normal(size=(500, 8)))
    rows = np.arange(0, 500, 7)
    scores, ids = search(build_index(db), db[rows], 5, exclude=rows)
    ref_scores, ref_ids = _brute_force(db, db[rows], 5, exclude=rows)
    assert ids.shape == (len(rows), 5)
    assert not (ids == rows[:, None]).any()
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)
    # asking for more than exists returns every other row exactly once
    _, all_ids = search(build_index(db[:6]), db[:1], 50, exclude=np.array([0]))
    assert sorted(all_ids[0].tolist()) == [1, 2, 3, 4, 5]


def test_ivf_index_recall_on_clustered_data(tmp_path):
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(40, 32))
    db = _unit(centres[rng.integers(0, 40, size=20_000)] + 0.35 * rng.normal(size=(20_000, 32)))
    index = build_index(db, exact_below=10_000, seed=0)
    description = index_description(index)
    assert description["type"] == "IndexIVFFlat"
    assert description["nlist"] == round(4 * np.sqrt(20_000))
    assert 1 <= description["nprobe"] < description["nlist"]  # tuned, not a brute-force scan

    queries = np.random.default_rng(99).choice(20_000, size=300, replace=False)
    _, truth = _brute_force(db, db[queries], 10)
    _, found = search(index, db[queries], 10)
    assert recall_at_k(found, truth) >= 0.99

    save_index(index, tmp_path / "ivf.faiss")
    loaded = load_index(tmp_path / "ivf.faiss")
    assert index_description(loaded) == description
    np.testing.assert_array_equal(search(loaded, db[queries], 10)[1], found)


def test_artifact_neighbours_can_drop_objects_at_the_same_sky_position():
    """A galaxy catalogued twice (within 2 arcsec) is not its own look-alike: the query's near-copies on the sky
    drop out and the next most similar objects fill the k places."""
    import pandas as pd

    from astrodisc.chain.artifacts import Artifacts

    rng = np.random.default_rng(4)
    db = _unit(rng.normal(size=(200, 8)))
    db[1:6] = _unit(db[0] + rng.normal(0, 0.01, size=(5, 8)))  # rows 1-5: near-copies of row 0 ...
    ra, dec = rng.uniform(10, 20, 200), rng.uniform(-5, 5, 200)
    ra[1:4], dec[1:4] = ra[0] + 0.5 / 3600, dec[0]  # ... of which rows 1-3 sit 0.5 arcsec from it on the sky
    catalog = pd.DataFrame({"object_id": [f"g{i}" for i in range(200)], "ra": ra, "dec": dec})
    art = Artifacts(None, {}, catalog, {"image": db}, {"image": build_index(db)})

    plain, _ = art.neighbours("image", 0, 5)
    assert sorted(plain.tolist()) == [1, 2, 3, 4, 5]
    distinct, scores = art.neighbours("image", 0, 5, min_separation_arcsec=2.0)
    sims = db @ db[0]
    sims[[0, 1, 2, 3]] = -np.inf
    np.testing.assert_array_equal(distinct, np.argsort(-sims)[:5])
    assert sorted(distinct[:2].tolist()) == [4, 5] and np.all(np.diff(scores) <= 1e-6)


def test_the_ivf_training_sample_is_capped_between_faiss_floor_and_cap():
    from astrodisc.chain.index import MIN_TRAIN_PER_LIST, TRAIN_SAMPLE, train_sample_per_list

    assert train_sample_per_list(100) == 256  # small index: faiss' own cap
    assert train_sample_per_list(4000) * 4000 <= TRAIN_SAMPLE < (train_sample_per_list(4000) + 1) * 4000
    assert train_sample_per_list(12_649) == MIN_TRAIN_PER_LIST  # 10^7 vectors: the floor


def test_similarities_are_said_on_each_spaces_nearest_pair_scale(tiny_artifacts):
    """The scale of a space is its objects' similarity to their nearest other object (brute force agrees), and a
    similarity is the share of those pairs it beats: the same cosine can be close in one space and far in
    another."""
    from astrodisc.chain.artifacts import load_artifacts, nearest_pair_share

    artifacts = load_artifacts(tiny_artifacts.artifact_dir)
    shares = {}
    for space in artifacts.spaces:
        vectors = np.asarray(artifacts.embeddings[space], dtype=np.float64)
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        similarity = unit @ unit.T
        np.fill_diagonal(similarity, -np.inf)
        scale = artifacts.nearest_pair_scale(space)
        np.testing.assert_allclose(scale, np.sort(similarity.max(axis=1)), atol=1e-5)
        assert nearest_pair_share(scale, np.array([scale[0] - 1e-3, scale[-1] + 1e-3])).tolist() == [0.0, 1.0]
        shares[space] = float(nearest_pair_share(scale, np.array([float(np.median(scale))]))[0])
        assert 0.4 <= shares[space] <= 0.6  # the median pair beats about half of the pairs
    assert np.isnan(nearest_pair_share(np.array([]), np.array([0.5]))).all()  # no scale: no share
