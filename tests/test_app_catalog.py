"""A catalogue-only dataset in the app: its map opens, an object shows its columns and its neighbours in the
metadata space, and every page runs on it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_tabular_encoder import grouped_catalogue

from astrodisc.app.widgets import NEIGHBOUR_PREFIX
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.cli import main
from astrodisc.paths import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture(scope="module")
def catalogue_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalogue-data")
    table, _ = grouped_catalogue(300, seed=2)
    table.to_csv(root / "cat.csv", index=False)
    dataset, model = root / "data" / "my-catalogue", root / "scarf"
    assert main(["import", "catalog", "--table", str(root / "cat.csv"), "--out", str(dataset), "--quiet"]) == 0
    assert main(["train", "--dataset", str(dataset), "--out", str(model), "--epochs", "1", "--quiet"]) == 0
    assert (
        main(["build", "--dataset", str(dataset), "--model", str(model), "--out", str(dataset / "scarf"), "--quiet"])
        == 0
    )
    return root / "data", load_artifacts(dataset / "scarf")


def test_an_object_of_a_catalogue_opens_with_its_columns_and_neighbours(catalogue_set, monkeypatch, tmp_path):
    data_root, artifacts = catalogue_set
    monkeypatch.setenv("ASTRODISC_DATA", str(data_root))
    monkeypatch.setenv("ASTRODISC_LABELS", str(tmp_path / "labels.sqlite"))
    row = 17
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["object"] = str(artifacts.catalog.at[row, "object_id"])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    rows, _ = artifacts.neighbours("metadata", row, 8)
    shown = [
        m.value.removeprefix(NEIGHBOUR_PREFIX).strip("`") for m in at.markdown if m.value.startswith(NEIGHBOUR_PREFIX)
    ]
    assert shown == [str(artifacts.catalog.at[int(r), "object_id"]) for r in rows]
    for page in ("pages/label.py", "pages/subclasses.py", "pages/search.py", "pages/model.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
    clusters = artifacts.manifest["clusters"]  # the Model page says in which columns the clusters were found
    said = [c.value for c in at.caption if "clusters were found in the columns" in c.value]
    assert len(said) == 1 and said[0].startswith(
        f"The map's {len(clusters['persistence'])} clusters were found in the columns {', '.join(clusters['columns'])}:"
    )
