"""A catalogue table in any of the four formats becomes the same catalogue store; bad tables are refused in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from astrodisc.base.tables import astropy_table, export_table
from astrodisc.cli import main
from astrodisc.data.catalogs import CatalogStore
from astrodisc.data.io.catalogs import catalog_objects, distance_dependent, import_catalog, is_observation_count
from astrodisc.data.open_store import open_store
from astrodisc.errors import UserError


def small_table(n: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "source_id": np.arange(1000, 1000 + n),
            "RAJ2000": rng.uniform(0, 360, n),
            "DEJ2000": rng.uniform(-60, 60, n),
            "cls": rng.choice(["A", "B"], n).astype(object),
            "g_mag": rng.normal(18, 1, n),
            "bp_rp": rng.normal(1, 0.3, n),
            "n_obs": rng.integers(5, 50, n),
            "note": ["x"] * n,
            "empty": np.full(n, np.nan),
        }
    )
    table.loc[3, "cls"] = None
    table.loc[4, "g_mag"] = np.nan
    table.loc[5, "bp_rp"] = np.inf
    return table


def write_as(table: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".fits":
        astropy_table(table).write(path, format="fits")
        return path
    return export_table(table, path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".vot", ".fits"])
def test_every_format_gives_the_same_store(tmp_path, suffix):
    table = small_table()
    out, notes = import_catalog(
        write_as(table, tmp_path / f"cat{suffix}"), tmp_path / "store", id_column="source_id", class_column="cls"
    )
    store = open_store(out)
    assert isinstance(store, CatalogStore) and len(store) == 30
    assert store.feature_columns == ("g_mag", "bp_rp", "n_obs")
    assert any("empty" in n for n in notes) and any("note" in n for n in notes)
    objects = store.objects
    assert objects["object_id"].tolist() == [str(i) for i in range(1000, 1030)]
    np.testing.assert_allclose(objects["ra"], table["RAJ2000"])
    assert objects["label"].isna().sum() == 1 and objects.at[0, "label"] == table.at[0, "cls"]
    x = store.features()
    assert x.shape == (30, 3) and x.dtype == np.float32
    assert np.isnan(x[4, 0]) and np.isnan(x[5, 1]) and np.isfinite(x).sum() == 88  # inf is missing
    np.testing.assert_allclose(x[:, 2], table["n_obs"])
    assert store.info.classes == ("A", "B")


def test_defaults_find_columns_and_number_rows():
    table = pd.DataFrame({"ra": [1.0, 2.0], "dec": [3.0, 4.0], "class": ["x", ""], "flux": [1.0, 2.0]})
    objects, _ = catalog_objects(table)
    assert objects["object_id"].tolist() == ["row0", "row1"]
    assert objects.at[0, "label"] == "x" and pd.isna(objects.at[1, "label"])


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t: t.drop(columns=["DEJ2000"]), "no ra/dec columns"),
        (lambda t: t[["source_id", "RAJ2000", "DEJ2000", "cls", "note"]], "no numeric columns"),
        (lambda t: t.assign(source_id=[7] * len(t)), "duplicate object ids"),
        (lambda t: t.assign(DEJ2000=np.r_[np.nan, t["DEJ2000"][1:]]), "no valid ra/dec"),
        (lambda t: t.assign(cluster=1.0), "clash"),
    ],
)
def test_bad_tables_are_refused(change, message):
    with pytest.raises(UserError, match=message):
        catalog_objects(change(small_table()), id_column="source_id", class_column="cls")


def test_cli_import_one_line_errors(tmp_path, capsys):
    path = write_as(small_table().drop(columns=["RAJ2000"]), tmp_path / "cat.csv")
    assert main(["import", "catalog", "--table", str(path), "--out", str(tmp_path / "s"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no ra/dec" in err[0]
    assert main(["import", "catalog", "--table", str(path), "--out", str(tmp_path / "s"), "--ra-column", "nope"]) == 2
    assert "no column 'nope'" in capsys.readouterr().err
    (tmp_path / "broken.fits").write_bytes(b"SIMPLE  = not a fits file")
    assert main(["import", "catalog", "--table", str(tmp_path / "broken.fits"), "--out", str(tmp_path / "s")]) == 2
    assert "not a readable FITS table" in capsys.readouterr().err
    assert not (tmp_path / "s" / "dataset.json").exists()


def _variables() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 30
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "ra": rng.uniform(0, 360, n),
            "dec": rng.uniform(-60, 60, n),
            "class": rng.choice(["Mira", "SR"], n),
            "period": rng.uniform(50, 900, n),
            "amplitude": rng.uniform(0.1, 8, n),
            "j_k": rng.normal(1.5, 0.3, n),
            "Kmag": rng.normal(8, 2, n),
            "phot_g_mean_mag": rng.normal(12, 2, n),
            "e_Kmag": rng.uniform(0.01, 0.05, n),
            "name": [f"star {i}" for i in range(n)],
        }
    )


def test_the_columns_read_are_chosen_and_distance_dependent_ones_named():
    frame = _variables()
    objects, notes = catalog_objects(frame)
    assert [c for c in objects.columns if c not in ("object_id", "ra", "dec", "label")] == [
        "period", "amplitude", "j_k", "Kmag", "phot_g_mean_mag", "e_Kmag"
    ]  # fmt: skip
    (distant,) = [n for n in notes if "distance-dependent" in n]
    assert "Kmag, phot_g_mean_mag;" in distant and distant.endswith("--exclude-columns Kmag,phot_g_mean_mag")
    kept, notes = catalog_objects(frame, exclude_columns=("Kmag", "phot_g_mean_mag"))
    assert "Kmag" not in kept and "phot_g_mean_mag" not in kept and "e_Kmag" in kept
    assert not [n for n in notes if "distance-dependent" in n]
    chosen, _ = catalog_objects(frame, columns=("period", "j_k"))
    assert list(chosen.columns) == ["object_id", "ra", "dec", "label", "period", "j_k"]
    with pytest.raises(UserError, match="no column 'P' in the table"):
        catalog_objects(frame, columns=("P",))
    with pytest.raises(UserError, match="--columns names name: not numeric"):
        catalog_objects(frame, columns=("period", "name"))
    names = ["magMed", "mag_g", "Vmag", "W1", "flux_r", "e_magMed", "mag_err", "bp_rp", "g-r", "abs_mag", "logP"]
    assert distance_dependent(names) == ["magMed", "mag_g", "Vmag", "W1", "flux_r"]  # LINEAR's median magnitude too


def test_counts_of_observations_are_named_to_leave_out():
    frame = _variables().assign(nObs=np.arange(len(_variables())) % 2 * 200 + 100)  # two survey depths
    _, notes = catalog_objects(frame)
    (counted,) = [n for n in notes if "count observations" in n]
    assert counted.startswith("columns that count observations: nObs;") and counted.endswith("--exclude-columns nObs")
    _, notes = catalog_objects(frame, exclude_columns=("nObs",))
    assert not [n for n in notes if "count observations" in n]
    names = ["nObs", "n_epochs", "ngood", "num_det", "number_of_points", "period", "n", "normal", "amplitude"]
    assert [n for n in names if is_observation_count(n)] == ["nObs", "n_epochs", "ngood", "num_det", "number_of_points"]


def test_cli_exclude_columns(tmp_path, capsys):
    table = tmp_path / "lpv.csv"
    _variables().to_csv(table, index=False)
    args = ["import", "catalog", "--table", str(table), "--out", str(tmp_path / "lpv")]
    assert main([*args, "--exclude-columns", "Kmag, phot_g_mean_mag"]) == 0
    assert CatalogStore(tmp_path / "lpv").feature_columns == ("period", "amplitude", "j_k", "e_Kmag")
    assert "distance-dependent" not in capsys.readouterr().err
