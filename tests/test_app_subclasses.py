"""The Subclasses page run headless with AppTest: it clusters what the user picks, shows what the clustering
found, and saves a sub-cluster as a label the Label page then shows.

The fixture's fake encoder puts each class at one centroid, so its classes hold no sub-clusters; ``split_sim``
rebuilds the same store with an encoder that moves every other EW star to a second centroid.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATASET, Fixture, fake_embed
from streamlit.testing.v1 import AppTest
from test_app import _figures

from astrodisc.chain import clusters, subclusters
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.chain.build import build_artifacts
from astrodisc.data.varstars import VarStarStore
from astrodisc.discover.subclasses import class_rows
from astrodisc.labels.database import LabelDB
from astrodisc.paths import PROJECT_ROOT

SPLIT_MODEL, SPLIT_CLASS = "split-encoder", "EW"
PAGE, LABEL_PAGE = "pages/subclasses.py", "pages/label.py"


def _split_embed(store: VarStarStore, model_dir: Path) -> dict[str, np.ndarray]:
    """``fake_embed``, with every other EW star moved to a second centroid in every space."""
    vectors = fake_embed(store, model_dir)
    moved = class_rows(store.objects, SPLIT_CLASS)[::2]
    rng = np.random.default_rng(1)
    return {
        space: np.where(np.isin(np.arange(len(v)), moved)[:, None], v + rng.normal(0, 3.0, v.shape[1]), v).astype(
            np.float32
        )
        for space, v in vectors.items()
    }


@pytest.fixture(scope="module")
def split_sim(tiny_artifacts: Fixture, tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """The tiny store, under its own data root, built with ``_split_embed``."""
    data_root = tmp_path_factory.mktemp("data-split")
    dataset_dir = data_root / DATASET
    shutil.copytree(
        tiny_artifacts.dataset_dir, dataset_dir, ignore=shutil.ignore_patterns(tiny_artifacts.artifact_dir.name)
    )
    model_dir = tmp_path_factory.mktemp("models") / SPLIT_MODEL
    model_dir.mkdir()
    build_artifacts(dataset_dir, model_dir, dataset_dir / SPLIT_MODEL, embed=_split_embed, seed=0, progress=False)
    return Fixture(data_root, dataset_dir, dataset_dir / SPLIT_MODEL, tiny_artifacts.n_objects)


def _page(monkeypatch, fixture: Fixture, tmp_path: Path, **session) -> AppTest:
    """The Subclasses page on ``fixture``'s data root, labels at ``tmp_path``, ``session`` state preset."""
    monkeypatch.setenv("ASTRODISC_DATA", str(fixture.data_root))
    monkeypatch.setenv("ASTRODISC_LABELS", str(tmp_path / "labels.sqlite"))
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _pick(at: AppTest, cls: str, space: str | None = None) -> AppTest:
    if space is not None:
        at.selectbox(key="subclass_space").set_value(space)
    at.selectbox(key="subclass_class").set_value(cls).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _clustering(fixture: Fixture, cls: str, space: str) -> tuple[np.ndarray, clusters.SubclusterMap]:
    """What the page shows by default: the build's layout in the map's space, the members' own layout elsewhere."""
    artifacts = load_artifacts(fixture.artifact_dir)
    rows = class_rows(artifacts.catalog, cls)
    if space == artifacts.map_space:
        return rows, clusters.subcluster_map(np.asarray(artifacts.cluster_layout[rows]))
    return rows, clusters.subcluster_map(clusters.layout(np.asarray(artifacts.embeddings[space][rows]), seed=0))


def _map_groups(at: AppTest) -> dict[str, list[int]]:
    """Catalogue rows of each group (trace) of the sub-cluster map."""
    (figure,) = _figures(at, "layout PC 1")
    return {t.name: sorted(int(r) for r in t.customdata) for t in figure.data}


def test_the_page_waits_for_a_class_and_offers_every_space(tiny_data, monkeypatch, tmp_path):
    at = _page(monkeypatch, tiny_data, tmp_path)
    artifacts = load_artifacts(tiny_data.artifact_dir)
    assert any(i.value.startswith("Pick a class") for i in at.info)
    assert not at.get("plotly_chart")  # nothing clustered before a class is picked
    assert sorted(at.selectbox(key="subclass_class").options) == sorted(
        f"{c} (12 members)" for c in ("EW", "RRAB", "DSCT", "SR")
    )
    space = at.selectbox(key="subclass_space")
    assert space.options == ["as the build split it", "catalogue columns", *artifacts.spaces]
    assert space.value == "as the build split it"


def test_a_class_without_sub_clusters_shows_its_map_and_says_so(tiny_data, monkeypatch, tmp_path):
    at = _pick(_page(monkeypatch, tiny_data, tmp_path), "RRAB", "photometry")
    rows, found = _clustering(tiny_data, "RRAB", "photometry")
    groups = _map_groups(at)
    assert found.n_clusters == 1  # one centroid: nothing to split, all in one group
    assert groups == {"sub-cluster 0": rows.tolist()}
    assert any(i.value.startswith("One group") for i in at.info)
    assert not any(b.key == "subclass_save" for b in at.button)


def test_a_class_too_small_to_split_says_so(tiny_data, monkeypatch, tmp_path):
    monkeypatch.setattr(clusters, "MIN_GROUPED", 13)
    at = _pick(_page(monkeypatch, tiny_data, tmp_path), "EW")
    assert any("too few to split" in i.value for i in at.info)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("space", ["fused", "spectra"])
def test_sub_clusters_side_by_side_are_the_clustering_of_the_class(split_sim, monkeypatch, tmp_path, space):
    at = _pick(_page(monkeypatch, split_sim, tmp_path), SPLIT_CLASS, space)
    rows, found = _clustering(split_sim, SPLIT_CLASS, space)
    assert found.n_clusters == 2  # the split encoder's two centroids
    groups = _map_groups(at)
    for k in range(found.n_clusters):
        assert groups[f"sub-cluster {k}"] == sorted(rows[found.labels == k].tolist())
    assert sorted(r for members in groups.values() for r in members) == rows.tolist()
    colors = {t.name: t.marker.color for t in _figures(at, "layout PC 1")[0].data}

    folded = _figures(at, "phase")
    spectra = _figures(at, "wavelength [Å]")
    assert len(folded) == len(spectra) == found.n_clusters
    for figure in folded:  # each a median curve inside its band, maximum light at phase 0
        median = np.asarray(figure.data[-1].y, dtype=float)
        assert np.nanargmin(median[: len(median) // 2]) in (0, len(median) // 2 - 1)
    assert {f.data[-1].line.color for f in folded + spectra} == {colors[f"sub-cluster {k}"] for k in range(2)}
    assert any(c.value.endswith("members without a spectrum skipped") for c in at.caption)  # a third lack one

    (scatter,) = _figures(at, "period [days]")
    assert {t.name: t.marker.color for t in scatter.data} == {n: c for n, c in colors.items() if n != "noise"}
    (histogram,) = _figures(at, "J−K [mag]")
    assert {t.name: t.marker.color for t in histogram.data} == {n: c for n, c in colors.items() if n != "noise"}


def test_saving_a_sub_cluster_writes_exactly_its_members(split_sim, monkeypatch, tmp_path):
    at = _pick(_page(monkeypatch, split_sim, tmp_path, annotator="ana"), SPLIT_CLASS)
    assert at.text_input(key="subclass_annotator").value == "ana"  # the Label page's annotator
    db = LabelDB(tmp_path / "labels.sqlite")

    at.selectbox(key="subclass_pick").set_value(1).run()
    at.text_input(key="subclass_name").input("   ").run()
    at.button(key="subclass_save").click().run()
    assert any(e.value.startswith("Nothing saved: give the new label a name") for e in at.error)
    assert db.history(DATASET).empty

    at.text_input(key="subclass_name").input("EW-b").run()
    at.button(key="subclass_save").click().run()
    assert not at.exception
    rows, found = _clustering(split_sim, SPLIT_CLASS, "fused")
    catalog = load_artifacts(split_sim.artifact_dir).catalog
    members = sorted(catalog["object_id"].to_numpy()[rows[found.labels == 1]].tolist())
    assert any(s.value.startswith(f"Saved the {len(members)} members of sub-cluster 1") for s in at.success)
    standing = db.latest(DATASET)
    assert sorted(standing["object_id"]) == members
    assert set(standing["label"]) == {"EW-b"} and set(standing["annotator"]) == {"ana"}
    assert set(standing["note"]) == {"from sub-clustering: class EW, fused space, sub-cluster 1"}
    assert at.text_input(key="subclass_name").value == ""  # a fresh name field for the next save

    at.switch_page(LABEL_PAGE).run()
    at.sidebar.text_input(key="annotator").input("ana").run()
    at.session_state["all_labels"] = True  # the expander of all labels opened
    at.run()
    assert not at.exception
    assert any(c.value.startswith(f"{len(members):,} standing labels by 1 annotator") for c in at.caption)


def test_galaxy_sub_clusters_show_their_most_typical_members_and_colours(tiny_sky, monkeypatch, tmp_path):
    from conftest import MODEL, SKY

    from astrodisc.app import state as app_state

    at = _page(monkeypatch, tiny_sky, tmp_path)
    at.sidebar.selectbox(key=app_state.PICKER_KEY).set_value(f"{SKY} · {MODEL}").run()
    _pick(at, "edge_on")
    rows, found = _clustering(tiny_sky, "edge_on", "image")
    assert found.n_clusters == len(_map_groups(at)) == 2  # the stand-in encoder's two edge-on sub-groups
    catalog = load_artifacts(tiny_sky.artifact_dir).catalog
    gallery = [img.proto.imgs[0].caption for img in at.get("image")]
    expected = []
    for k in range(found.n_clusters):  # the six members of each sub-cluster with the highest membership
        members = rows[found.labels == k]
        typical = members[np.argsort(-found.probabilities[found.labels == k], kind="stable")][:6]
        expected += catalog["object_id"].to_numpy()[typical].tolist()
    assert gallery == expected
    assert not _figures(at, "phase") and not _figures(at, "period [days]")  # no light curves for galaxies
    for title in ("g−r [mag]", "r−z [mag]", "spectroscopic redshift z"):
        assert len(_figures(at, title)) == 1


def test_the_split_can_be_steered_merged_described_and_shown_on_the_map(split_sim, monkeypatch, tmp_path):
    at = _pick(_page(monkeypatch, split_sim, tmp_path), SPLIT_CLASS, "fused")
    rows, found = _clustering(split_sim, SPLIT_CLASS, "fused")
    assert found.n_clusters == 2 and len(_map_groups(at)) == 2
    assert sum(c.value.startswith(f"Against the rest of {SPLIT_CLASS}: ") for c in at.caption) == 2
    assert any("chosen by validity" in c.value for c in at.caption)
    at.multiselect(key="subclass_merge").set_value([0, 1]).run()  # two made one
    assert not at.exception
    assert _map_groups(at) == {"sub-cluster 0": rows.tolist()}
    at.multiselect(key="subclass_merge").set_value([]).run()
    at.selectbox(key="subclass_smallest").set_value("20 %").run()  # a fixed size: still the two sub-groups
    assert len(_map_groups(at)) == 2 and any("set here" in c.value for c in at.caption)
    at.button(key="subclass_colour_map").click().run()
    assert not at.exception
    assert at.query_params["colour"] == "subcluster"  # the map opens coloured by the build's sub-clusters
    catalog = load_artifacts(split_sim.artifact_dir).catalog
    assert (
        catalog.loc[rows, "subcluster"].nunique() == 2 and catalog.loc[rows, "subcluster"].str.startswith("EW #").all()
    )


@pytest.fixture(scope="module")
def columns_sim(tiny_artifacts: Fixture, tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """The tiny store with a catalogue column ``ratio`` whose EW values fall into two modes (every other EW star
    at 8, the rest at 0), built with the fixture's encoder (one centroid per class)."""
    data_root = tmp_path_factory.mktemp("data-columns")
    dataset_dir = data_root / DATASET
    shutil.copytree(
        tiny_artifacts.dataset_dir, dataset_dir, ignore=shutil.ignore_patterns(tiny_artifacts.artifact_dir.name)
    )
    objects = pd.read_parquet(dataset_dir / "objects.parquet")
    rng = np.random.default_rng(2)
    ratio = rng.normal(0, 0.3, len(objects))
    ratio[class_rows(objects, SPLIT_CLASS)[::2]] += 8.0
    objects.assign(ratio=ratio).to_parquet(dataset_dir / "objects.parquet")
    model_dir = tmp_path_factory.mktemp("models") / "columns-encoder"
    model_dir.mkdir()
    build_artifacts(dataset_dir, model_dir, dataset_dir / model_dir.name, embed=fake_embed, seed=0, progress=False)
    return Fixture(data_root, dataset_dir, dataset_dir / model_dir.name, tiny_artifacts.n_objects)


def test_a_class_splits_in_its_catalogue_columns_as_the_build_split_it(columns_sim, monkeypatch, tmp_path):
    """Twelve members are few for the criterion's defaults, so they are lowered here; the page then splits EW by
    ``ratio`` — the column with two modes — as the build did, and the caption names it."""
    monkeypatch.setattr(subclusters, "MIN_VALUES", 6)
    monkeypatch.setattr(subclusters, "MIN_PER_COMPONENT", 3)
    objects = pd.read_parquet(columns_sim.dataset_dir / "objects.parquet")
    rows = class_rows(objects, SPLIT_CLASS)
    modes = subclusters.column_modes(subclusters.descriptive_columns(objects.iloc[rows]))
    assert modes is not None and modes.columns == ("ratio",) and modes.n_groups == 2
    at = _pick(_page(monkeypatch, columns_sim, tmp_path), SPLIT_CLASS, "catalogue columns")
    (figure,) = _figures(at, "ratio (scaled)")
    groups = {t.name: sorted(int(r) for r in t.customdata) for t in figure.data}
    assert groups == {f"sub-cluster {k}": sorted(rows[modes.groups.labels == k].tolist()) for k in range(2)}
    assert sorted(rows[::2].tolist()) in groups.values()  # the EW stars at 8 are one sub-cluster
    assert any("catalogue columns with two modes — ratio (D = " in c.value for c in at.caption)
    assert at.selectbox(key="subclass_count").value == "chosen by ICL"

    at.text_input(key="subclass_annotator").input("ana").run()
    at.text_input(key="subclass_name").input("EW-high-ratio").run()
    at.button(key="subclass_save").click().run()
    standing = LabelDB(tmp_path / "labels.sqlite").latest(DATASET)
    assert set(standing["note"]) == {
        f"from sub-clustering: class EW, catalogue columns, sub-cluster {at.selectbox(key='subclass_pick').value}"
    }

    at.multiselect(key="subclass_merge").set_value([0, 1]).run()  # merged: one group
    assert len(_figures(at, "ratio (scaled)")[0].data) == 1
    at.multiselect(key="subclass_merge").set_value([]).run()
    at.selectbox(key="subclass_class").set_value("RRAB").run()  # no column with two modes: the map's space
    assert any(i.value.startswith("No catalogue column of RRAB has two separated modes") for i in at.info)
    assert _figures(at, "layout PC 1")
