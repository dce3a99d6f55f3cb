"""Galaxy cutout importers: FITS and PNG folders with a CSV catalogue, and the Galaxy10 DECaLS HDF5 layout."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from PIL import Image

from astrodisc.data.galaxies import CUTOUTS, DECAM_EXTINCTION, MORPHOLOGIES, GalaxyStore
from astrodisc.data.io import galaxies as galaxy_importers
from astrodisc.data.io.galaxies import (
    GALAXY10_CLASSES,
    import_cutout_folder,
    import_galaxy10_decals,
)
from astrodisc.data.pictures import as_rgb8, to_stamp
from astrodisc.errors import UserError

SCALE_DEG = 0.262 / 3600


def _cube(seed: int, size: int, bands: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(1.0, 0.5, (bands, size, size)).astype(np.float32)


def _header(**cards: object) -> fits.Header:
    header = fits.Header()
    for key, value in cards.items():
        header[key] = value
    return header


def _write_fits(path: Path, cube: np.ndarray, form: str = "primary", **cards: object) -> Path:
    """``form``: primary (cube in the primary HDU), extension (cube in the first extension), planes (2-D HDUs)."""
    header = _header(**cards)
    if form == "primary":
        hdul = fits.HDUList([fits.PrimaryHDU(cube, header=header)])
    elif form == "extension":
        hdul = fits.HDUList([fits.PrimaryHDU(header=header), fits.ImageHDU(cube)])
    else:
        hdul = fits.HDUList([fits.PrimaryHDU(header=header)] + [fits.ImageHDU(plane) for plane in cube])
    hdul.writeto(path)
    return path


def _write_png(path: Path, rgb: np.ndarray) -> Path:
    Image.fromarray(rgb).save(path)
    return path


@pytest.fixture
def fits_folder(tmp_path: Path) -> tuple[Path, Path, dict[str, np.ndarray]]:
    """Four FITS cutouts in three HDU forms and two sizes, one in maggies and one with NaN pixels, plus a CSV."""
    folder = tmp_path / "fits"
    folder.mkdir()
    cubes = {"a": _cube(0, 32), "b": _cube(1, 32), "c": _cube(2, 40), "d": _cube(3, 32), "e": _cube(4, 28)}
    cubes["d"][1, 5, 6] = np.nan  # one bad pixel: replaced by 0 and counted
    _write_fits(folder / "a.fits", cubes["a"], "primary", BUNIT="nanomaggy", CD1_2=0.0, CD2_2=SCALE_DEG, BANDS="grz")
    _write_fits(folder / "b.fits", cubes["b"], "extension", CDELT2=-SCALE_DEG)
    _write_fits(folder / "c.fits", cubes["c"], "planes")
    _write_fits(folder / "d.fits", cubes["d"] * 1e-9, "primary", BUNIT="maggy")
    (folder / "sub").mkdir()
    _write_fits(folder / "sub" / "e.fits", cubes["e"], "planes")
    pd.DataFrame(
        {
            "file_loc": ["a.fits", "b.fits", str(folder / "c.fits"), "d.fits", "sub/e.fits"],
            "ra": [10.0, 20.0, 30.0, 40.0, 50.0],
            "dec": [-1.0, 0.0, 1.0, 2.0, 3.0],
            "label": ["spiral", "elliptical", None, "spiral", "bar"],
            "redshift": [0.1, None, 0.3, 0.4, 0.5],
            "object_id": ["A1", None, "C3", "D4", "E5"],
            "survey_flag": [1, 2, 3, 4, 5],
        }
    ).to_csv(tmp_path / "fits.csv", index=False)
    return folder, tmp_path / "fits.csv", cubes


def test_fits_folder_round_trips_fluxes_and_catalogue(fits_folder, tmp_path):
    folder, csv, cubes = fits_folder
    out = import_cutout_folder(folder, csv, tmp_path / "out", progress=False)
    store = GalaxyStore(out)
    objects = store.objects
    assert list(objects["object_id"]) == ["A1", "b", "C3", "D4", "E5"]  # b: from the file stem
    assert objects["label"].tolist()[:2] == ["spiral", "elliptical"] and pd.isna(objects["label"][2])
    assert store.info.classes == ("bar", "elliptical", "spiral")
    np.testing.assert_allclose(objects["z_spec"], [0.1, np.nan, 0.3, 0.4, 0.5])
    np.testing.assert_allclose(objects["ra"], [10, 20, 30, 40, 50])
    np.testing.assert_allclose(objects["dec"], [-1, 0, 1, 2, 3])
    assert objects["survey_flag"].tolist() == [1, 2, 3, 4, 5]
    assert objects["nonfinite_pixels"].tolist() == [0, 0, 0, 1, 0]
    assert objects["e_bv"].isna().all()
    assert store.imaging.pixel_unit == "nanomaggy" and store.imaging.pixel_scale_arcsec == pytest.approx(0.262)
    assert store.info.bands == ("g", "r", "z") and store.info.kind == "galaxies" and not store.info.simulated
    # the encoder's field, 64 px of 0.262 arcsec, about each 0.262-arcsec picture: the pictures whole, in the
    # middle, the rest of the field at each picture's sky level (never cropped, never black)
    assert store.cutouts.dtype == np.float32 and store.cutouts.shape == (5, 3, 64, 64)
    np.testing.assert_array_equal(store.image("A1")[:, 16:48, 16:48], cubes["a"])
    np.testing.assert_array_equal(store.image("b")[:, 16:48, 16:48], cubes["b"])
    np.testing.assert_array_equal(store.image("C3")[:, 12:52, 12:52], cubes["c"])
    e = store.image("E5")
    np.testing.assert_array_equal(e[:, 18:46, 18:46], cubes["e"])
    np.testing.assert_allclose(e[:, 0, 0], np.median(cubes["e"][:, :3], axis=(1, 2)), rtol=0.2)
    np.testing.assert_allclose(objects["framed_fraction"], [2.0, 2.0, 1.6, 2.0, 64 / 28])
    np.testing.assert_allclose(objects["stamp_scale_arcsec"], 0.262)
    d = store.image("D4")  # stored in maggies: converted to nanomaggies; the NaN became 0
    assert d[1, 16 + 5, 16 + 6] == 0.0
    np.testing.assert_allclose(d[0, 16 + 3, 16 + 4], cubes["d"][0, 3, 4], rtol=1e-6)
    summary = store.info.extra["import_summary"]
    assert summary.startswith("5 FITS pictures, 28–40 px; pixel scale 0.262″/px; framed by the encoder's field")
    assert "resampled to 64 px; bands g/r/z" in summary


def test_a_finer_pixel_scale_is_resampled_to_the_encoders_field_with_its_flux(fits_folder, tmp_path):
    """Pictures at 0.131 arcsec/px (given, as no WCS says otherwise): the encoder's 16.8-arcsec field is 128 of
    their pixels, averaged 2 x 2 into each 0.262-arcsec stamp pixel, whose flux is the four pixels' sum."""
    folder, csv, cubes = fits_folder
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("c", "e"):
        _write_fits(plain / f"{name}.fits", cubes[name], "planes")  # no WCS
    pd.DataFrame({"file_loc": ["c.fits", "e.fits"], "ra": [1.0, 2.0], "dec": [0.0, 0.0]}).to_csv(
        tmp_path / "plain.csv", index=False
    )
    store = GalaxyStore(
        import_cutout_folder(plain, tmp_path / "plain.csv", tmp_path / "out", pixel_scale=0.131, progress=False)
    )
    c = store.image("c")  # 40 px of 0.131 arcsec: 20 stamp pixels in the middle of the 64
    expected = cubes["c"].reshape(3, 20, 2, 20, 2).sum(axis=(2, 4))
    np.testing.assert_allclose(c[:, 22:42, 22:42], expected, rtol=1e-5)
    assert "pixel scale 0.131″/px" in store.info.extra["import_summary"]


def test_explicit_stamp_size_and_a_store_replaced(fits_folder, tmp_path):
    folder, csv, cubes = fits_folder
    import_cutout_folder(folder, csv, tmp_path / "out", progress=False)
    store = GalaxyStore(import_cutout_folder(folder, csv, tmp_path / "out", stamp_px=32, progress=False, force=True))
    assert store.cutouts.shape == (5, 3, 32, 32)
    np.testing.assert_array_equal(store.image("A1"), cubes["a"])
    np.testing.assert_array_equal(store.image("C3"), cubes["c"][:, 4:36, 4:36])  # the encoder's 8.4-arcsec field


def test_png_folder_stores_rgb8_composites(tmp_path):
    folder = tmp_path / "png"
    folder.mkdir()
    rng = np.random.default_rng(5)
    images = {
        name: rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        for name, size in (("g1", 24), ("g2", 24), ("g3", 30))
    }
    for name, rgb in images.items():
        _write_png(folder / f"{name}.png", rgb)
    pd.DataFrame({"file_loc": [f"{n}.png" for n in images], "ra": [1.0, 2.0, 3.0], "dec": [4.0, 5.0, 6.0]}).to_csv(
        tmp_path / "cat.csv", index=False
    )
    store = GalaxyStore(import_cutout_folder(folder, tmp_path / "cat.csv", tmp_path / "out", progress=False))
    assert list(store.objects["object_id"]) == ["g1", "g2", "g3"]
    assert store.objects["label"].isna().all() and store.info.classes == MORPHOLOGIES
    assert store.imaging.pixel_unit == "rgb8" and not store.imaging.is_flux
    assert store.imaging.extinction_coeff == () and store.imaging.pixel_scale_arcsec is None  # nothing assumed
    assert store.info.bands == ("R", "G", "B")
    assert store.cutouts.dtype == np.uint8 and store.cutouts.shape == (3, 3, 64, 64)
    summary = store.info.extra["import_summary"]
    assert summary.startswith("3 png pictures, 24–30 px; pixel scale unknown; framed by each galaxy's extent")
    assert summary.endswith("R/G/B channels, bands not given: no extinction")
    # uniform noise pictures: a sky at level ~127 of 255, nothing like a viewer's dark sky
    assert any(w.startswith("a bright sky (median level 1") for w in store.info.extra["domain_warnings"])
    # the whole picture kept: each is framed about its centre and resampled, never cropped
    whole = GalaxyStore(
        import_cutout_folder(folder, tmp_path / "cat.csv", tmp_path / "whole", field="picture", progress=False)
    )
    np.testing.assert_allclose(whole.objects["framed_fraction"], 1.0)
    g1 = whole.image("g1").astype(float)  # 24 px enlarged to 64: the mean level kept
    np.testing.assert_allclose(g1.mean(axis=(1, 2)), images["g1"].mean(axis=(0, 1)), atol=3)
    named = GalaxyStore(
        import_cutout_folder(folder, tmp_path / "cat.csv", tmp_path / "sdss", survey="sdss", progress=False)
    )
    assert named.imaging.extinction_coeff == tuple(DECAM_EXTINCTION.get(b, 0.0) for b in "irg")
    assert "pixel scale 0.396″/px" in named.info.extra["import_summary"]


def _framed(picture: np.ndarray) -> np.ndarray:
    """(3, 64, 64) uint8 stamp of an (S, S, 3) picture framed by its galaxy's extent."""
    stamp, _ = to_stamp(picture.transpose(2, 0, 1).astype(np.float32), 64, "extent")
    return as_rgb8(stamp)


@pytest.fixture
def galaxy10_file(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    rng = np.random.default_rng(9)
    n = 12
    fields = {
        "images": rng.integers(0, 256, (n, 256, 256, 3), dtype=np.uint8),
        "ans": np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 5, 2], dtype=np.uint8),
        "ra": rng.uniform(0, 360, n),
        "dec": rng.uniform(-30, 60, n),
        "redshift": np.where(np.arange(n) % 4 == 1, np.nan, rng.uniform(0.01, 0.2, n)),
        "pxscale": np.array([0.262] * 7 + [0.3, 0.5, 0.262, 0.4, 0.262]),
    }
    path = tmp_path / "Galaxy10_DECals.h5"
    with h5py.File(path, "w") as file:
        for key, values in fields.items():
            file.create_dataset(key, data=values)
        file.create_dataset("notes", data=np.arange(3))  # wrong length: not a catalogue column
    return path, fields


def test_galaxy10_round_trips_images_labels_and_columns(galaxy10_file, tmp_path, monkeypatch):
    path, fields = galaxy10_file
    monkeypatch.setattr(galaxy_importers, "GALAXY10_CHUNK", 5)  # three chunks: 5, 5, 2
    store = GalaxyStore(import_galaxy10_decals(path, tmp_path / "out", progress=False))
    objects = store.objects
    assert len(store) == 12 and objects["object_id"][11] == "galaxy10-00011"
    assert store.info.classes == GALAXY10_CLASSES
    assert objects["label"].tolist() == [GALAXY10_CLASSES[a] for a in fields["ans"]]
    assert objects["label"][8] == "Edge-on without Bulge"
    np.testing.assert_allclose(objects["ra"], fields["ra"])
    np.testing.assert_allclose(objects["dec"], fields["dec"])
    np.testing.assert_allclose(objects["z_spec"], fields["redshift"])
    assert objects["z_spec"].isna().sum() == 3
    np.testing.assert_allclose(objects["pxscale"], fields["pxscale"])
    assert "notes" not in objects
    assert store.imaging.pixel_unit == "rgb8" and store.imaging.pixel_scale_arcsec is None
    assert store.imaging.extinction_coeff == tuple(DECAM_EXTINCTION[b] for b in "zrg")
    assert store.cutouts.dtype == np.uint8 and store.cutouts.shape == (12, 3, 64, 64)
    for row in (0, 6, 11):  # one row from each chunk: framed by extent as one picture alone would be
        np.testing.assert_array_equal(store.image(f"galaxy10-{row:05d}"), _framed(fields["images"][row]))


def test_galaxy10_limit_keeps_the_first_rows(galaxy10_file, tmp_path):
    path, fields = galaxy10_file
    store = GalaxyStore(import_galaxy10_decals(path, tmp_path / "out", progress=False, limit=4))
    assert store.cutouts.shape == (4, 3, 64, 64)
    assert store.objects["label"].tolist() == list(GALAXY10_CLASSES[:4])
    np.testing.assert_array_equal(store.image("galaxy10-00003"), _framed(fields["images"][3]))


def test_galaxy10_rejects_a_wrong_layout(tmp_path):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset("images", data=np.zeros((2, 8, 8, 3), np.float32))
        file.create_dataset("ans", data=np.zeros(2, np.uint8))
    with pytest.raises(UserError, match=r"bad\.h5.*'images' is float32"):
        import_galaxy10_decals(path, tmp_path / "out", progress=False)
    with h5py.File(path, "w") as file:
        file.create_dataset("images", data=np.zeros((2, 16, 16, 3), np.uint8))
        file.create_dataset("ans", data=np.array([0, 10], np.uint8))
        file.create_dataset("ra", data=np.zeros(2))
        file.create_dataset("dec", data=np.zeros(2))
    with pytest.raises(UserError, match=r"bad\.h5.*'ans' holds values outside"):
        import_galaxy10_decals(path, tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "dataset.json").exists()


# --------------------------------------------------------------------------------------------- bad inputs


def _png_bomb(path: Path) -> None:
    """A valid 1 x 1 PNG whose header declares 100,000 x 100,000 pixels (CRC fixed, so Pillow trusts it)."""
    _write_png(path, np.zeros((1, 1, 3), np.uint8))
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", 100_000, 100_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))


def _bad_truncated(folder: Path) -> str:
    path = _write_fits(folder / "bad.fits", _cube(0, 64))
    path.write_bytes(path.read_bytes()[:6000])
    return "bad.fits"


def _bad_text(folder: Path) -> str:
    (folder / "bad.fits").write_text("this is not a FITS file\n" * 200)
    return "bad.fits"


def _bad_two_bands(folder: Path) -> str:
    _write_fits(folder / "bad.fits", _cube(0, 32, bands=2))
    return "bad.fits"


def _bad_all_nan(folder: Path) -> str:
    _write_fits(folder / "bad.fits", np.full((3, 32, 32), np.nan, np.float32))
    return "bad.fits"


def _bad_unit(folder: Path) -> str:
    _write_fits(folder / "bad.fits", _cube(0, 32), BUNIT="ADU")
    return "bad.fits"


def _bad_band_order(folder: Path) -> str:
    _write_fits(folder / "bad.fits", _cube(0, 32), BANDS="zrg")
    return "bad.fits"


def _bad_bomb(folder: Path) -> str:
    (folder / "good.fits").unlink()
    _write_png(folder / "good.png", np.zeros((16, 16, 3), np.uint8))
    _png_bomb(folder / "bad.png")
    return "bad.png"


def _bad_truncated_png(folder: Path) -> str:
    (folder / "good.fits").unlink()
    _write_png(folder / "good.png", np.zeros((16, 16, 3), np.uint8))
    path = _write_png(folder / "bad.png", np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:3000])
    return "bad.png"


def _bad_mixed(folder: Path) -> str:
    _write_png(folder / "bad.png", np.zeros((32, 32, 3), np.uint8))
    return "bad.png"


@pytest.mark.parametrize(
    "make_bad",
    [
        _bad_truncated,
        _bad_text,
        _bad_two_bands,
        _bad_all_nan,
        _bad_unit,
        _bad_band_order,
        _bad_bomb,
        _bad_truncated_png,
        _bad_mixed,
    ],
)
def test_bad_cutout_files_are_named_and_nothing_opens(make_bad, tmp_path):
    folder = tmp_path / "cutouts"
    folder.mkdir()
    _write_fits(folder / "good.fits", _cube(1, 32))  # listed first: the bad file fails after a good one
    bad = make_bad(folder)
    good = "good.png" if bad.endswith(".png") and make_bad is not _bad_mixed else "good.fits"
    pd.DataFrame({"file_loc": [good, bad], "ra": [1.0, 2.0], "dec": [3.0, 4.0]}).to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "out"
    with pytest.raises(UserError, match=bad.replace(".", r"\.")):
        import_cutout_folder(folder, tmp_path / "c.csv", out, progress=False)
    assert not (out / "dataset.json").exists()
    assert not (out / CUTOUTS).exists() and not list(out.glob("images/.*partial"))


def test_catalogue_without_ra_is_refused(fits_folder, tmp_path):
    folder, csv, _ = fits_folder
    pd.read_csv(csv).drop(columns="ra").to_csv(tmp_path / "nora.csv", index=False)
    with pytest.raises(UserError, match=r"nora\.csv lacks column\(s\) ra"):
        import_cutout_folder(folder, tmp_path / "nora.csv", tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "dataset.json").exists()


def test_pixel_scales_must_agree(fits_folder, tmp_path):
    folder, csv, _ = fits_folder
    _write_fits(folder / "f.fits", _cube(7, 32), CDELT2=2 * SCALE_DEG)
    table = pd.read_csv(csv)
    table.loc[len(table)] = {"file_loc": "f.fits", "ra": 1.0, "dec": 1.0, "object_id": "F6", "survey_flag": 6}
    table.to_csv(csv, index=False)
    with pytest.raises(UserError, match=r"f\.fits has a pixel scale of 0\.524"):
        import_cutout_folder(folder, csv, tmp_path / "out", progress=False)


def test_an_imported_galaxy10_set_trains_builds_and_opens_in_the_app(galaxy10_file, tmp_path, monkeypatch):
    """Colour composites go the way simulated fluxes go: train, build, and the app shows the object's picture
    (the composite itself, not a flux stretch) with its neighbours."""
    from streamlit.testing.v1 import AppTest

    from astrodisc.app import state as app_state
    from astrodisc.chain.artifacts import load_artifacts
    from astrodisc.cli import main
    from astrodisc.paths import PROJECT_ROOT

    path, fields = galaxy10_file
    data_root = tmp_path / "data"
    dataset, model = data_root / "galaxy10", tmp_path / "models" / "g10-simclr"
    assert main(["import", "galaxy10", "--source", str(path), "--out", str(dataset), "--quiet"]) == 0
    assert (
        main(
            [
                "train",
                "--dataset",
                str(dataset),
                "--out",
                str(model),
                "--objective",
                "simclr",
                "--epochs",
                "1",
                "--batch-size",
                "4",
                "--quiet",
            ]
        )
        == 0
    )
    assert (
        main(["build", "--dataset", str(dataset), "--model", str(model), "--out", str(dataset / model.name), "--quiet"])
        == 0
    )
    assert len(load_artifacts(dataset / model.name).catalog) == 12

    monkeypatch.setenv("ASTRODISC_DATA", str(data_root))
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.query_params[app_state.OBJECT_PARAM] = "galaxy10-00003"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.value == "### `galaxy10-00003`" for m in at.markdown)
    assert sum(m.value.startswith("neighbour: ") for m in at.markdown) == 8
    captions = [img.proto.imgs[0].caption for img in at.get("image")]
    assert any(c.startswith("R+G+B composite") for c in captions)  # the stored composite, shown as it is
    assert len(captions) == 1 + 8  # composites have no per-band flux views


def test_a_picture_with_no_galaxy_at_its_centre_is_named_in_a_warning(tmp_path):
    """Framed by extent, a picture whose centre holds no galaxy would become a few pixels blown up: the import
    names it (and only it) so the user can look."""
    folder = tmp_path / "pictures"
    folder.mkdir()
    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[:96, :96]
    galaxy = 200 * np.exp(-((yy - 47.5) ** 2 + (xx - 47.5) ** 2) / (2 * 8.0**2))
    for name in ("a", "b"):
        noisy = 15 + galaxy[..., None] + rng.normal(0, 3, (96, 96, 3))
        _write_png(folder / f"{name}.png", np.clip(noisy, 0, 255).astype(np.uint8))
    _write_png(folder / "empty.png", np.full((96, 96, 3), 15, np.uint8))  # the sky alone
    pd.DataFrame({"file_loc": ["a.png", "b.png", "empty.png"], "ra": [1.0, 2.0, 3.0], "dec": [4.0, 5.0, 6.0]}).to_csv(
        tmp_path / "cat.csv", index=False
    )
    store = GalaxyStore(import_cutout_folder(folder, tmp_path / "cat.csv", tmp_path / "out", progress=False))
    notes = [w for w in store.info.extra["domain_warnings"] if "no galaxy at their centre" in w]
    assert len(notes) == 1 and notes[0].startswith("1 picture(s)") and "empty.png" in notes[0], notes
    assert store.objects["framed_fraction"].iloc[0] > 0.3  # the galaxies themselves framed by their extent
