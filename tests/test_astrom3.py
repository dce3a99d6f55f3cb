"""The AstroM³ importer on tiny fixtures written in the release's raw and processed layouts."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from astropy.io import fits

from astrodisc.cli import main
from astrodisc.data.io.astrom3 import AstroM3Selection, import_astrom3
from astrodisc.data.varstars import CLASSES, METADATA_COLUMNS, WAVELENGTH_GRID, VarStarStore
from astrodisc.errors import UserError

# star index: (class, full seed 42 split, full seed 0 split, in sub10)
STARS = [
    ("EW", "train", "val", True),
    ("RRAB", "train", "train", True),
    ("SR", "train", "test", False),
    ("EA", "train", "train", False),
    ("M", "val", "train", True),
    ("ROT", "val", "train", False),
    ("DSCT", "test", "train", True),
    ("HADS", "test", "val", False),
]
LOG_WAVE = 3.5682 + 1e-4 * np.arange(3909)  # LAMOST log10 grid, 3700-9100 A


def name(i: int) -> str:
    return f"ASASSN-V J{i:02d}0000.00+100000.0"


def epochs(i: int) -> np.ndarray:
    """(n, 5) HJD MAG MAG_ERR FLUX FLUX_ERR of star i; the last row is a 99.99 non-detection."""
    t = 2_456_000.0 + np.linspace(0, 2000, 30 + i)
    mag = 12.0 + i * 0.1 + 0.3 * np.sin(t)
    table = np.column_stack([t, mag, np.full_like(t, 0.02), 10 ** (-0.4 * (mag - 16.4)), np.full_like(t, 0.1)])
    return np.vstack([table, [t[-1] + 1, 99.99, 99.99, 0.0, 0.1]])


def spectrum_flux(wavelength: np.ndarray, i: int) -> np.ndarray:
    return 1.0 + i + wavelength / 1e4  # linear, so interpolation onto the grid is exact


def write_fits(path: Path, i: int) -> None:
    """Even stars: one HDU of (flux, ivar, wavelength, andmask, ormask) rows with COEFF0/1; odd: a table HDU."""
    wavelength = 10**LOG_WAVE
    flux, ivar = spectrum_flux(wavelength, i), np.full_like(wavelength, 100.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    if i % 2 == 0:
        hdu = fits.PrimaryHDU(np.vstack([flux, ivar, wavelength, np.zeros_like(flux), np.zeros_like(flux)]))
        hdu.header["COEFF0"], hdu.header["COEFF1"] = 3.5682, 1e-4
        hdu.writeto(path)
    else:
        n = len(wavelength)
        columns = (("FLUX", flux), ("IVAR", ivar), ("WAVELENGTH", wavelength))
        table = fits.BinTableHDU.from_columns([fits.Column(name=k, format=f"{n}D", array=v[None]) for k, v in columns])
        fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)


def metadata(i: int) -> dict[str, float]:
    return {c: float(i + k / 100) for k, c in enumerate(METADATA_COLUMNS)} | {"l": 30.0 + i, "b": 10.0}


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("astrom3-raw")
    with zipfile.ZipFile(root / "photometry.zip", "w") as archive:
        for i in range(len(STARS)):
            body = "\n".join(" ".join(f"{v:.6f}" for v in row) for row in epochs(i))
            header = "# ASAS-SN V\nHJD MAG MAG_ERR FLUX FLUX_ERR\n"
            archive.writestr(f"vardb_files/{name(i).replace(' ', '')}.dat", f"{header}{body}\n")
    for i, (cls, split, *_) in enumerate(STARS):
        write_fits(root / "spectra" / split / cls / f"spec-{i}.fits", i)
    for subset, seed, column in (("full", 42, 1), ("full", 0, 2), ("sub10", 42, 1)):
        folder = root / "splits" / subset / str(seed)
        folder.mkdir(parents=True)
        (folder / "info.json").write_text(json.dumps({"classes": sorted(CLASSES), "meta_cols": list(METADATA_COLUMNS)}))
        for split in ("train", "val", "test"):
            rows = [
                {
                    "asassn_name": name(i),
                    "edr3_source_id": 1000 + i,
                    "target": star[0],
                    "spec_filename": f"spec-{i}",
                    **metadata(i),
                }
                for i, star in enumerate(STARS)
                if star[column] == split and (subset == "full" or star[3])
            ]
            pd.DataFrame(rows).to_csv(folder / f"{split}.csv", index=False)
    return root


def test_raw_objects_per_split_labels_by_name_and_metadata(raw, tmp_path):
    store = VarStarStore(import_astrom3(raw, tmp_path / "s", AstroM3Selection("full", 42), progress=False))
    objects = store.objects.set_index("object_id")
    for i, (cls, split, *_) in enumerate(STARS):
        assert objects.loc[name(i), "split"] == split
        assert objects.loc[name(i), "label"] == cls
        assert objects.loc[name(i), "edr3_source_id"] == 1000 + i
    assert set(METADATA_COLUMNS) <= set(objects.columns)
    assert objects.loc[name(3), "period"] == metadata(3)["period"]
    assert store.info.extra["subset"] == "full" and store.info.seed == 42
    assert np.isfinite(objects["ra"]).all() and np.isfinite(objects["dec"]).all()


def test_seed_changes_splits_and_sub10_nests_in_full(raw, tmp_path):
    seed0 = VarStarStore(import_astrom3(raw, tmp_path / "s0", AstroM3Selection("full", 0), progress=False)).objects
    assert dict(zip(seed0["object_id"], seed0["split"], strict=False)) == {name(i): s[2] for i, s in enumerate(STARS)}
    full = VarStarStore(import_astrom3(raw, tmp_path / "f", AstroM3Selection("full", 42), progress=False)).objects
    sub = VarStarStore(import_astrom3(raw, tmp_path / "s10", AstroM3Selection("sub10", 42), progress=False)).objects
    assert set(sub["object_id"]) == {name(i) for i, s in enumerate(STARS) if s[3]}
    in_full = dict(zip(full["object_id"], full["split"], strict=False))
    assert all(in_full[oid] == split for oid, split in zip(sub["object_id"], sub["split"], strict=False))


def test_raw_light_curves_and_spectra_in_both_fits_forms(raw, tmp_path):
    store = VarStarStore(import_astrom3(raw, tmp_path / "s", AstroM3Selection("sub10", 42), progress=False))
    covered = (WAVELENGTH_GRID >= 10 ** LOG_WAVE[0]) & (WAVELENGTH_GRID <= 10 ** LOG_WAVE[-1])
    for i in (0, 1, 4, 6):  # one-HDU (even) and two-HDU (odd) LAMOST files
        lc, table = store.lightcurve(name(i)), epochs(i)[:-1]  # the 99.99 non-detection is dropped
        np.testing.assert_allclose(lc.time, table[:, 0])
        np.testing.assert_allclose(lc.mag, table[:, 1], atol=1e-5)
        np.testing.assert_allclose(lc.mag_err, 0.02, atol=1e-6)
        wavelength, flux, err = store.spectrum(name(i))
        np.testing.assert_allclose(flux[covered], spectrum_flux(wavelength[covered], i), rtol=1e-5)
        np.testing.assert_allclose(err[covered], 0.1, rtol=1e-5)  # ivar 100


def test_raw_bad_inputs_are_one_line_user_errors(raw, tmp_path):
    with pytest.raises(UserError, match="unknown AstroM3 subset"):
        AstroM3Selection("sub5", 42)
    with pytest.raises(UserError, match="unknown AstroM3 seed"):
        AstroM3Selection("full", 7)
    with pytest.raises(UserError, match="split info not found"):  # seed 66 is valid but absent from the copy
        import_astrom3(raw, tmp_path / "x", AstroM3Selection("full", 66), progress=False)
    broken = tmp_path / "broken"
    for path in raw.rglob("*"):
        if path.is_file():
            (broken / path.relative_to(raw)).parent.mkdir(parents=True, exist_ok=True)
            (broken / path.relative_to(raw)).write_bytes(path.read_bytes())
    (broken / "spectra" / "train" / "EW" / "spec-0.fits").write_bytes(b"SIMPLE  = not really a FITS file")
    with pytest.raises(UserError, match="spec-0.fits is not a readable FITS file") as err:
        import_astrom3(broken, tmp_path / "y", AstroM3Selection("full", 42), progress=False)
    assert "\n" not in str(err.value)
    (broken / "splits" / "full" / "42" / "info.json").unlink()
    with pytest.raises(UserError, match="info.json"):
        import_astrom3(broken, tmp_path / "z", AstroM3Selection("full", 42), progress=False)


def test_cli_import_astrom3(raw, tmp_path, capsys):
    assert (
        main(
            [
                "import",
                "astrom3",
                "--source",
                str(raw),
                "--subset",
                "sub10",
                "--seed",
                "42",
                "--out",
                str(tmp_path / "cli"),
                "--quiet",
            ]
        )
        == 0
    )
    assert len(VarStarStore(tmp_path / "cli")) == sum(s[3] for s in STARS)
    assert main(["import", "astrom3", "--source", str(raw), "--subset", "half", "--out", str(tmp_path / "no")]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


# --------------------------------------------------------------------------------------------- processed layout


def processed_row(i: int) -> dict:
    t, mag = epochs(i)[:-1, 0], epochs(i)[:-1, 1]
    flux = 1000 * 10 ** (-0.4 * (mag - 8.9))  # mJy
    flux[0] = -0.5  # a negative flux has no magnitude
    photometry = np.column_stack([t, flux, flux * 0.01]).astype(np.float32)
    wavelength = np.linspace(3800, 9100, 500)
    spectra = np.column_stack([wavelength, spectrum_flux(wavelength, i), np.full(500, 0.1)]).astype(np.float32)
    meta = metadata(i)
    return {
        "photometry": photometry.tolist(),
        "spectra": spectra.tolist(),
        "metadata": {
            "meta_cols": {c: meta[c] for c in METADATA_COLUMNS[:34]},
            "photo_cols": {c: meta[c] for c in METADATA_COLUMNS[34:]},
        },
        "label": STARS[i][0],
    }


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("astrom3-processed")
    for config, keep in (("full_42", lambda s: True), ("sub10_42", lambda s: s[3])):
        for split, ours in (("train", "train"), ("validation", "val"), ("test", "test")):
            rows = [processed_row(i) for i, s in enumerate(STARS) if s[1] == ours and keep(s)]
            (root / config / split).mkdir(parents=True)
            pq.write_table(pa.Table.from_pylist(rows), root / config / split / "0000.parquet")
    return root


def test_processed_layout_fluxes_become_ab_magnitudes(processed, tmp_path):
    full = VarStarStore(import_astrom3(processed, tmp_path / "f", AstroM3Selection("full", 42), progress=False))
    sub = VarStarStore(import_astrom3(processed, tmp_path / "s", AstroM3Selection("sub10", 42), progress=False))
    assert full.info.extra["layout"] == "processed" and full.info.mag_system.startswith("AB")
    assert full.info.extra["dropped_epochs"] == len(STARS)  # one negative flux per star
    assert set(sub.objects["object_id"]) < set(full.objects["object_id"])  # the same star has the same id
    objects = full.objects
    assert sorted(objects["split"]) == sorted(s[1] for s in STARS)
    assert set(METADATA_COLUMNS) <= set(objects.columns)
    for row, (oid, label) in enumerate(zip(objects["object_id"], objects["label"], strict=False)):
        i = [s[0] for s in STARS].index(label)
        lc = full.lightcurve(oid)
        np.testing.assert_allclose(lc.mag, epochs(i)[1:-1, 1], atol=2e-5)
        np.testing.assert_allclose(lc.mag_err, 2.5 / np.log(10) * 0.01, rtol=1e-4)
        assert objects.loc[row, "amplitude"] == pytest.approx(metadata(i)["amplitude"])
        wavelength, flux, _ = full.spectrum(oid)
        np.testing.assert_allclose(flux, spectrum_flux(wavelength, i), rtol=1e-4)


def test_processed_normalised_config_is_refused(processed, tmp_path):
    norm = tmp_path / "norm"
    rows = [processed_row(0)]
    rows[0]["photometry"] = (np.array(rows[0]["photometry"]) * [1, -1, 1]).tolist()
    for split in ("train", "validation", "test"):
        (norm / "full_42" / split).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows), norm / "full_42" / split / "0000.parquet")
    with pytest.raises(UserError, match="_norm"):
        import_astrom3(norm, tmp_path / "n", AstroM3Selection("full", 42), progress=False)


def test_pretraining_on_an_import_never_sees_its_test_stars(raw, tmp_path, monkeypatch):
    """``astrodisc train`` on an AstroM3 import fits on the release's train stars and validates on its val
    stars: the seed-42 test stars (DSCT, HADS) are in neither."""
    import astrodisc.learn.varstars as train_module
    from astrodisc.learn.fit import TrainConfig

    store = VarStarStore(import_astrom3(raw, tmp_path / "s", AstroM3Selection("full", 42), progress=False))
    seen: dict[str, np.ndarray] = {}

    def record(model, loss, score, train_rows, *args, **kwargs):
        seen["train"], seen["val_score"] = train_rows, score()
        raise RuntimeError("recorded")

    monkeypatch.setattr(train_module, "fit", record)
    with pytest.raises(RuntimeError, match="recorded"):
        train_module.pretrain_varstars(store.root, tmp_path / "model", TrainConfig(epochs=1), progress=False)
    labels = store.objects["label"].to_numpy()
    assert sorted(labels[seen["train"]]) == ["EA", "EW", "RRAB", "SR"]
    assert np.isfinite(seen["val_score"])
