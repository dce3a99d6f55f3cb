"""The Search page run headless with AppTest on small sets built with the shipped encoders: uploads (good and
malformed), a catalogue object searched across modalities, a sky position, and "open on map"."""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from search_data import cutout_npy, lightcurve_csv, real_sets
from streamlit.testing.v1 import AppTest

from astrodisc.app import state as app_state
from astrodisc.app.pages.search import KINDS
from astrodisc.app.widgets import NEIGHBOUR_PREFIX
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.chain.build import build_artifacts
from astrodisc.cli import main
from astrodisc.data.galaxies import DUPLICATE_RADIUS_ARCSEC, GalaxyStore
from astrodisc.data.io.uploads import read_cutout, read_lightcurve
from astrodisc.data.varstars import VarStarStore
from astrodisc.discover.query import embed_upload, search_neighbours
from astrodisc.paths import PROJECT_ROOT, models_dir

APP = str(PROJECT_ROOT / "app.py")
SEARCH_PAGE = "pages/search.py"  # relative to app.py
DEFAULT_K = 10
NPY_TYPE = "application/octet-stream"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return real_sets(tmp_path_factory)


@pytest.fixture()
def stars(built, monkeypatch):
    star_set, _ = built
    monkeypatch.setenv("ASTRODISC_DATA", str(star_set.data_root))
    return load_artifacts(star_set.artifact_dir), VarStarStore(star_set.dataset_dir)


@pytest.fixture()
def sky(built, monkeypatch):
    _, sky_set = built
    monkeypatch.setenv("ASTRODISC_DATA", str(sky_set.data_root))
    return load_artifacts(sky_set.artifact_dir), GalaxyStore(sky_set.dataset_dir)


def _search_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(SEARCH_PAGE).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _neighbour_ids(at: AppTest) -> list[str]:
    return [
        m.value.removeprefix(NEIGHBOUR_PREFIX).strip("`") for m in at.markdown if m.value.startswith(NEIGHBOUR_PREFIX)
    ]


def _ids(artifacts, rows) -> list[str]:
    return [str(artifacts.catalog.at[int(r), "object_id"]) for r in rows]


def _values(array) -> np.ndarray:
    """A plotly JSON array: a list, or base64 typed data ({"dtype", "bdata"})."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]).newbyteorder("<"))
    return np.asarray(array)


def _files(root) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and modification time [ns]."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def _state(at: AppTest, but: str) -> dict:
    return {k: v for k, v in at.session_state.to_dict().items() if k != but}


@pytest.mark.parametrize("target", ["photometry", "spectra"])
def test_an_uploaded_light_curve_lists_the_objects_the_index_finds(stars, target):
    artifacts, store = stars
    row = 13
    data = lightcurve_csv(store, row)
    at = _search_page()
    at.radio(key="search_mode").set_value("your data").run()
    at.selectbox(key="search_target_photometry").set_value(target).run()
    at.file_uploader(key="search_upload_light_curve").set_value(("my star.csv", data, "text/csv")).run()
    _ok(at)
    query = embed_upload(read_lightcurve(data, "my star.csv"), artifacts, store)
    rows, _ = search_neighbours(artifacts, query, target, DEFAULT_K)
    shown = _neighbour_ids(at)
    assert shown == _ids(artifacts, rows) and len(shown) == DEFAULT_K
    if target == "photometry":
        assert shown[0] == str(store.objects["object_id"].iloc[row])  # itself, at similarity 1
        assert any("similarity 1.000" in c.value for c in at.caption)
    assert any(
        c.value.startswith("Your light curve my star.csv:") and f"searched in the {target} space" in c.value
        for c in at.caption
    )
    assert not at.error
    # the upload is drawn above what it found: every epoch read, magnitudes increasing downwards
    (drawn,) = [c for c in at.get("plotly_chart") if "your light curve" in c.proto.spec]
    figure = json.loads(drawn.proto.spec)
    read = read_lightcurve(data, "my star.csv")
    assert sum(len(_values(t["y"])) for t in figure["data"]) == len(read.mag)
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"
    # similarities also on each space's nearest-pair scale
    assert all(" · closer than " in c.value for c in at.caption if "similarity" in c.value)


@pytest.mark.parametrize(
    "kind,name,data,message",
    [
        (
            "light curve",
            "lc.csv",
            b"hjd,flux\n1,2\n2,3\n",
            "lc.csv has no magnitude column (accepted names: mag, magnitude",
        ),
        ("light curve", "lc.csv", b"", "lc.csv is empty"),
        ("light curve", "lc.csv", b"hjd,mag\n" + b"1,nan\n" * 20, "lc.csv: column mag is all NaN"),
        (
            "spectrum",
            "spec.fits",
            b"SIMPLE  =                    T" + bytes(2000),
            "spec.fits is not a readable FITS file",
        ),
        (
            "spectrum",
            "spec.csv",
            b"wavelength,flux\n10000,1\n10002,1\n10004,1\n",
            "spec.csv covers 10000–10004 Å, 0% of the model's grid 3850–9000 Å",
        ),
    ],
)
def test_a_malformed_upload_shows_its_message_and_changes_nothing(stars, kind, name, data, message):
    _, store = stars
    at = _search_page()
    at.radio(key="search_upload_kind").set_value(kind).run()
    uploader = f"search_upload_{kind.replace(' ', '_')}"
    state, files, query = _state(at, uploader), _files(store.root.parent), dict(at.query_params)
    assert state["search_mode"] == "your data" and any(f.endswith("manifest.json") for f in files)
    at.file_uploader(key=uploader).set_value((name, data, "application/octet-stream")).run()
    _ok(at)
    assert len(at.error) == 1 and at.error[0].value.startswith(f"Not searched: {message}"), at.error
    assert not _neighbour_ids(at)
    assert _state(at, uploader) == state  # nothing but the uploader's own value changed
    assert dict(at.query_params) == query
    assert _files(store.root.parent) == files  # nothing written: no label database, no cache, no artifact


def test_a_catalogue_object_searches_another_modality_as_artifacts_neighbours_does(stars):
    artifacts, store = stars
    object_id = str(store.objects["object_id"].iloc[21])
    at = _search_page()
    at.radio(key="search_mode").set_value("a catalogue object").run()
    at.text_input(key="search_object").input(object_id).run()
    for query_space, target in (("photometry", "spectra"), ("spectra", "metadata"), ("fused", "fused")):
        at.selectbox(key="search_query_space").set_value(query_space).run()
        at.selectbox(key="search_target").set_value(target).run()
        _ok(at)
        rows, _ = artifacts.neighbours(target, 21, DEFAULT_K, query_space=query_space)
        assert _neighbour_ids(at) == _ids(artifacts, rows), (query_space, target)
        previews = [img.proto.imgs[0].caption for img in at.get("image")]  # the target space's own modality
        expected = "spectrum" if target == "spectra" else "folded on P = "
        assert len(previews) == len(rows) and all(p.startswith(expected) for p in previews), (target, previews)
    at.text_input(key="search_object").input("NO-SUCH-STAR").run()
    assert [e.value for e in at.error] == ["No object 'NO-SUCH-STAR' in search-stars."]
    assert not _neighbour_ids(at)


@pytest.fixture(scope="module")
def built_pictures(built, tmp_path_factory):
    """The search sky's galaxies as viewer picture files (JPEG and PNG), imported with defaults and built with
    the shipped picture encoder, alone in a data root of their own."""
    _, sky_set = built
    root = tmp_path_factory.mktemp("pictures")
    files, dataset = root / "files", root / "data" / "search-pictures"
    assert (
        main(["simulate", "viewer", "--files", "--sky", str(sky_set.dataset_dir), "--out", str(files), "--quiet"]) == 0
    )
    source = ["--source", str(files), "--catalogue", str(files / "catalogue.csv")]
    assert main(["import", "galaxy-folder", *source, "--out", str(dataset), "--quiet"]) == 0
    build_artifacts(dataset, models_dir() / "galaxies-viewer-moco", dataset / "shipped", seed=0, progress=False)
    return root / "data", files


def test_a_picture_survey_takes_the_jpeg_a_viewer_saved_and_asks_no_reddening(built_pictures, monkeypatch):
    data_root, files = built_pictures
    monkeypatch.setenv("ASTRODISC_DATA", str(data_root))
    catalogue = pd.read_csv(files / "catalogue.csv")
    row = next(i for i, f in enumerate(catalogue["file_loc"]) if f.endswith(".jpg"))
    at = _search_page()
    assert "search_ebv" not in [n.key for n in at.number_input]  # 8-bit colour pictures are not dereddened
    assert at.file_uploader(key="search_upload_picture").label == "Upload a picture"
    assert KINDS["picture"][2] in [c.value for c in at.caption]
    name = Path(catalogue["file_loc"].iloc[row]).name
    at.file_uploader(key="search_upload_picture").set_value(
        (name, (files / catalogue["file_loc"].iloc[row]).read_bytes(), "image/jpeg")
    ).run()
    _ok(at)
    assert _neighbour_ids(at)[0] == str(GalaxyStore(data_root / "search-pictures").objects["object_id"].iloc[row])


def test_a_galaxy_searches_its_image_or_arcs_space_each_only_in_itself(sky):
    """The arc finder's space (32-d) and the image space (128-d) cannot search each other: each query space
    offers only itself as the space to search, and the arcs space finds what its index finds."""
    artifacts, store = sky
    at = _search_page()
    at.radio(key="search_mode").set_value("a catalogue object").run()
    at.text_input(key="search_object").input(str(store.objects["object_id"].iloc[5])).run()
    assert at.selectbox(key="search_query_space").options == ["image", "arcs"]
    for space in ("image", "arcs"):
        at.selectbox(key="search_query_space").set_value(space).run()
        _ok(at)
        assert at.selectbox(key=f"search_target_{space}").options == [space]
        rows, _ = artifacts.neighbours(space, 5, DEFAULT_K, min_separation_arcsec=DUPLICATE_RADIUS_ARCSEC)
        assert _neighbour_ids(at) == _ids(artifacts, rows), space


def test_a_sky_position_finds_the_nearest_object_and_opens_it_on_the_map(stars):
    _, store = stars
    target = store.objects.iloc[33]
    dec = target["dec"] + 1.0 / 3600  # 1 arcsec north
    text = f"{target['ra'] / 15:.10f}h {dec:+.10f}d"
    at = _search_page()
    at.radio(key="search_mode").set_value("a sky position").run()
    at.text_input(key="search_position").input(text).run()
    _ok(at)
    assert any(m.value == f"nearest: `{target['object_id']}`" for m in at.markdown)
    assert any(" · 1.00″ from RA " in c.value for c in at.caption)
    at.button(key="search_open_position").click().run()
    _ok(at)
    assert at.query_params[app_state.OBJECT_PARAM] == target["object_id"]
    assert any(m.value == f"### `{target['object_id']}`" for m in at.markdown)  # the map's object panel
    at.switch_page(SEARCH_PAGE).run()  # back: the mode and the position were kept
    assert at.radio(key="search_mode").value == "a sky position"
    assert at.text_input(key="search_position").value == text
    at.text_input(key="search_position").input("somewhere nice").run()
    assert len(at.error) == 1 and "cannot read 'somewhere nice' as a position: give degrees" in at.error[0].value


def test_a_cone_lists_every_object_within_its_radius_nearest_first(stars):
    _, store = stars
    target = store.objects.iloc[33]
    at = _search_page()
    at.radio(key="search_mode").set_value("a sky position").run()
    at.text_input(key="search_position").input(f"{target['ra']} {target['dec']}").run()
    assert not [d for d in at.dataframe if "separation_arcsec" in d.value.columns]  # radius 0: the nearest only
    sky = SkyCoord(store.objects["ra"].to_numpy() * u.deg, store.objects["dec"].to_numpy() * u.deg)
    arcsec = sky.separation(SkyCoord(target["ra"] * u.deg, target["dec"] * u.deg)).arcsec
    radius = float(np.sort(arcsec)[6])  # the target and its six nearest on the sky
    at.number_input(key="search_cone_radius").set_value(radius).run()
    _ok(at)
    (table,) = [d.value for d in at.dataframe if "separation_arcsec" in d.value.columns]
    inside = np.flatnonzero(arcsec <= radius)
    assert set(table["object_id"]) == set(store.objects["object_id"].iloc[inside]) and len(table) == 7
    assert table["object_id"].iloc[0] == target["object_id"] and table["separation_arcsec"].is_monotonic_increasing
    assert any(m.value.startswith("**7 objects within") for m in at.markdown)


def test_an_uploaded_cutout_finds_its_galaxy_and_an_object_array_is_refused(sky):
    artifacts, store = sky
    row = 19
    at = _search_page()
    uploader = at.file_uploader(key="search_upload_cutout")
    assert uploader.label == "Upload a cutout"
    at.number_input(key="search_ebv").set_value(round(float(store.objects["e_bv"].iloc[row]), 2)).run()
    at.file_uploader(key="search_upload_cutout").set_value(("g.npy", cutout_npy(store, row), NPY_TYPE)).run()
    _ok(at)
    shown = _neighbour_ids(at)
    assert str(store.objects["object_id"].iloc[row]) in shown[:2]
    upload = read_cutout(cutout_npy(store, row), "g.npy", store.info.bands, store.imaging.pixel_unit)
    query = embed_upload(upload, artifacts, store, ebv=round(float(store.objects["e_bv"].iloc[row]), 2))
    assert shown == _ids(artifacts, search_neighbours(artifacts, query, "image", DEFAULT_K)[0])
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"pixels": 1}], dtype=object), allow_pickle=True)
    at.file_uploader(key="search_upload_cutout").set_value(("evil.npy", buffer.getvalue(), NPY_TYPE)).run()
    _ok(at)
    assert [e.value for e in at.error] == [
        ("Not searched: evil.npy holds Python objects (an object array), which are never loaded; save a numeric array")
    ]
    assert not _neighbour_ids(at)


def test_without_its_model_the_page_says_so_and_still_searches_by_position(stars, tmp_path, monkeypatch):
    """An artifact set copied without its model: uploads cannot be embedded, the rest works."""
    _, store = stars
    copy = tmp_path / store.info.name
    shutil.copytree(store.root, copy)
    manifest_path = copy / "varstars-clip" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model"]["path"] = str(tmp_path / "gone" / "varstars-clip")
    manifest_path.write_text(json.dumps(manifest))
    monkeypatch.setenv("ASTRODISC_DATA", str(tmp_path))
    at = _search_page()
    assert any("the model that built this set is not at" in w.value for w in at.warning)
    assert not at.file_uploader
    at.radio(key="search_mode").set_value("a sky position").run()
    target = store.objects.iloc[5]
    at.text_input(key="search_position").input(f"{target['ra']}, {target['dec']}").run()
    assert any(m.value == f"nearest: `{target['object_id']}`" for m in at.markdown)


def test_picking_another_set_starts_its_choices_afresh(built, tmp_path, monkeypatch):
    """The object id, spaces and k belong to one set: after picking another set the page searches that set's
    objects in its spaces, not the last set's id in a space it lacks."""
    star_set, sky_set = built
    for one in built:
        (tmp_path / one.dataset_dir.name).symlink_to(one.dataset_dir, target_is_directory=True)
    monkeypatch.setenv("ASTRODISC_DATA", str(tmp_path))
    labels = {one.dataset_dir.name: f"{one.dataset_dir.name} · {one.artifact_dir.name}" for one in built}
    at = _search_page()
    at.sidebar.selectbox[0].set_value(labels[star_set.dataset_dir.name]).run()
    at.radio(key="search_mode").set_value("a catalogue object").run()
    at.selectbox(key="search_query_space").set_value("spectra").run()
    stars_first = str(load_artifacts(star_set.artifact_dir).catalog.at[0, "object_id"])
    assert at.text_input(key="search_object").value == stars_first
    at.sidebar.selectbox[0].set_value(labels[sky_set.dataset_dir.name]).run()
    _ok(at)
    sky_artifacts = load_artifacts(sky_set.artifact_dir)
    assert at.text_input(key="search_object").value == str(sky_artifacts.catalog.at[0, "object_id"])
    assert at.selectbox(key="search_query_space").value == "image" and not at.error
    rows, _ = sky_artifacts.neighbours("image", 0, DEFAULT_K, min_separation_arcsec=DUPLICATE_RADIUS_ARCSEC)
    assert _neighbour_ids(at) == _ids(sky_artifacts, rows)
