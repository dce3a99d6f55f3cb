"""What a catalogue's map and search read: the encoder only where the catalogue's labels show it better than the
scaled columns, else the columns themselves, in a space where cosine ranks neighbours as Euclidean distance does."""

from __future__ import annotations

import json

import numpy as np
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors
from test_distributed import fast_map  # noqa: F401 - fixture: UMAP's stand-in
from test_tabular_encoder import grouped_catalogue

from astrodisc.chain.artifacts import load_artifacts
from astrodisc.chain.clusters import find_groups
from astrodisc.cli import main
from astrodisc.learn.catalogs import choose_representation, columns_representation
from astrodisc.learn.columns import ColumnScaler


def test_cosine_neighbours_of_the_columns_space_are_the_euclidean_neighbours_of_the_values():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(1000, 6)) * rng.uniform(0.5, 3, 6)
    raw[rng.random(raw.shape) < 0.1] = np.nan
    scaled = ColumnScaler.fit(raw).transform(raw)
    space = columns_representation(scaled)
    assert space.shape == (1000, 7) and np.all(space[:, -1] == space[0, -1])
    values = scaled[:, :6]
    assert np.all(values[np.isnan(raw)] == 0)  # missing: the column's mean, no flag of its own
    _, euclid = NearestNeighbors(n_neighbors=11).fit(values).kneighbors(values)
    unit = space / np.linalg.norm(space, axis=1, keepdims=True)
    _, cosine = NearestNeighbors(n_neighbors=11).fit(unit).kneighbors(unit)
    shared = np.mean([len(set(a[1:]) & set(b[1:])) / 10 for a, b in zip(euclid, cosine, strict=True)])
    assert shared > 0.95
    plain = values / np.maximum(np.linalg.norm(values, axis=1, keepdims=True), 1e-9)  # cosine without the lift
    _, unlifted = NearestNeighbors(n_neighbors=11).fit(plain).kneighbors(plain)
    assert np.mean([len(set(a[1:]) & set(b[1:])) / 10 for a, b in zip(euclid, unlifted, strict=True)]) < 0.8


def test_the_encoder_is_kept_only_where_the_labels_show_it_better():
    rng = np.random.default_rng(1)
    group = rng.integers(0, 3, 600)
    labels = np.array(["A", "B", "C"], dtype=object)[group]
    informative = np.eye(3)[group] * 5 + rng.normal(size=(600, 3))
    noise = rng.normal(size=(600, 3))
    better = choose_representation(informative, noise, labels)
    assert better.representation == "encoder" and better.knn_encoder > 0.9 > 0.5 > better.knn_columns
    worse = choose_representation(noise, informative, labels)
    assert worse.representation == "columns" and "no better" in worse.reason
    unlabelled = choose_representation(informative, noise, np.full(600, None, dtype=object))
    assert unlabelled.representation == "columns" and unlabelled.knn_encoder is None
    assert "without two or more labelled classes" in unlabelled.reason
    assert choose_representation(noise, informative, labels, forced="encoder").representation == "encoder"


def test_train_on_an_unlabelled_catalogue_writes_a_model_build_reads_as_its_columns(tmp_path, fast_map, capsys):  # noqa: F811 (the fixture is imported by name)
    table, group = grouped_catalogue(800, seed=3)
    table.drop(columns=["label"]).to_csv(tmp_path / "cat.csv", index=False)
    dataset, model, artifacts = tmp_path / "cat", tmp_path / "cat-model", tmp_path / "cat" / "art"
    assert main(["import", "catalog", "--table", str(tmp_path / "cat.csv"), "--out", str(dataset), "--quiet"]) == 0
    assert main(["train", "--dataset", str(dataset), "--out", str(model), "--epochs", "1", "--quiet"]) == 0
    assert "the map and search will read the scaled columns themselves" in capsys.readouterr().out
    config = json.loads((model / "config.json").read_text())
    assert config["representation"]["representation"] == "columns"
    assert "scaled columns themselves" in (model / "MODEL_CARD.md").read_text()
    assert main(["build", "--dataset", str(dataset), "--model", str(model), "--out", str(artifacts), "--quiet"]) == 0
    art = load_artifacts(artifacts)
    embedding = np.asarray(art.embeddings["metadata"])
    assert embedding.shape == (800, 13)  # 12 scaled columns and the lift
    clusters = art.manifest["clusters"]  # found in the columns that hold the groups, never in the pure noise ones
    assert clusters["space"] == "columns" and not {"col8", "col9", "col10", "col11"} & set(clusters["columns"])
    strict = json.loads((artifacts / "manifest.json").read_text(), parse_constant=_refuse)  # no NaN, no Infinity
    assert strict["clusters"]["validity"] is None  # ICL, not a density validity, chose the number
    in_embedding, _ = find_groups(embedding, seed=0)  # the criterion catalogues were clustered by before
    before = adjusted_rand_score(group, in_embedding.labels)
    assert adjusted_rand_score(group, art.catalog["cluster"]) > max(0.5, before)
    forced = tmp_path / "forced-model"
    assert main(["train", "--dataset", str(dataset), "--out", str(forced), "--epochs", "1", "--quiet",
                 "--representation", "encoder"]) == 0  # fmt: skip
    assert json.loads((forced / "config.json").read_text())["representation"]["representation"] == "encoder"


def _refuse(constant: str) -> None:
    raise AssertionError(f"{constant} in a JSON file: not JSON")
