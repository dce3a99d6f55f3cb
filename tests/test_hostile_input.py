"""Hostile and malformed input through every public entry point: a UserError with a clear message, and nothing
changed (no file or folder made, written or altered anywhere under the test's folder, which is also the working
directory).

One table, ``CASES``: (entry point, file name, how to make its bytes, words the message must hold). An entry point
stages its input files under ``in/`` and returns the call to make; ``out/`` is where it would write. Some bytes
come from the committed corpus ``tests/hostile_corpus/`` (:func:`_corpus`), which ``test_hostile_corpus.py`` runs
through every path; the cases here are the ones made to measure (a limit lowered, a file in an archive).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from astropy.io import fits
from PIL import Image

from astrodisc.base import tables as export
from astrodisc.data.io import uploads
from astrodisc.data.io import varstars as importers
from astrodisc.data.io.astrom3 import AstroM3Selection, import_astrom3
from astrodisc.data.io.catalogs import import_catalog
from astrodisc.data.io.galaxies import import_cutout_folder
from astrodisc.data.varstars import CLASSES, WAVELENGTH_GRID
from astrodisc.errors import UserError
from astrodisc.labels.database import Label, LabelDB, labels_from_table
from astrodisc.learn.catalogs import load_catalog_model
from astrodisc.learn.encoders.clip_model import ModelConfig, TrimodalCLIP
from astrodisc.learn.encoders.resnet import ResNetConfig, ResNetEncoder
from astrodisc.learn.encoders.tabular import TabularConfig, TabularEncoder
from astrodisc.learn.galaxies import load_galaxy_model
from astrodisc.learn.galaxy_augment import AugmentConfig
from astrodisc.learn.model_folder import save_model_folder
from astrodisc.learn.varstars import load_varstar_model

GRZ = ("g", "r", "z")
MARKER = "PWNED"  # the file a pickle payload would create if it were ever executed
CORPUS = Path(__file__).parent / "hostile_corpus"  # committed hostile files (see its README.md)
ODD_NAMES = ("ñame ☄ ü.csv", "with spaces .csv", "-rf.csv", "--help.csv", "../../etc/passwd.csv", "a" * 240 + ".csv")


# --------------------------------------------------------------------------------------------- hostile bytes


class _Payload:
    """Pickles to a call that creates MARKER in the working directory when unpickled."""

    def __reduce__(self):
        return exec, (f"open({MARKER!r}, 'w').close()",)


def _fits(*hdus: fits.hdu.base.ExtensionHDU) -> bytes:
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), *hdus] if not isinstance(hdus[0], fits.PrimaryHDU) else list(hdus)).writeto(buffer)
    return buffer.getvalue()


def _spectrum(flux: np.ndarray | None = None) -> bytes:
    """A 1-D FITS spectrum over the model's grid (linear WCS), flux ``flux`` (default: a smooth one)."""
    n = 400
    flux = 1 + np.linspace(0, 1, n) if flux is None else flux
    hdu = fits.PrimaryHDU(np.asarray(flux, np.float32))
    hdu.header.update(CRVAL1=float(WAVELENGTH_GRID[0]), CDELT1=float(np.ptp(WAVELENGTH_GRID)) / (n - 1), CRPIX1=1.0)
    return _fits(hdu)


def _cube(bands: int = 3, side: int = 32, fill: float | None = None) -> np.ndarray:
    cube = np.random.default_rng(0).normal(1, 0.1, (bands, side, side)).astype(np.float32)
    if fill is not None:
        cube[:, side // 2, side // 2] = fill
    return cube


def _fits_cube(cube: np.ndarray) -> bytes:
    return _fits(fits.PrimaryHDU(cube))


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _corrupt_header(data: bytes) -> bytes:
    """The first card garbled and a NAXIS1 that is no number."""
    text = bytearray(data)
    text[:80] = b"SIMPLE  = maybe / not a logical".ljust(80)
    at = text.find(b"NAXIS1  =")
    if at >= 0:
        text[at : at + 80] = b"NAXIS1  = 'many'".ljust(80)
    return bytes(text)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=array.dtype == object)
    return buffer.getvalue()


def _png(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def _corpus(name: str) -> Callable[[], bytes]:
    """The bytes of the corpus file ``name``, as a maker named after it (for the case's id)."""

    def make() -> bytes:
        return (CORPUS / name).read_bytes()

    make.__name__ = name.replace(".", "_")
    return make


def _csv(**columns) -> bytes:
    return pd.DataFrame(columns).to_csv(index=False).encode()


def _lightcurve(mag: np.ndarray | None = None) -> bytes:
    time = 2_458_000.0 + np.arange(40.0)
    return _csv(hjd=time, mag=14 + 0.1 * np.sin(time) if mag is None else mag, err=np.full(40, 0.02))


def _catalogue(**override) -> bytes:
    n = 12
    columns = {
        "object_id": [f"S{i}" for i in range(n)],
        "ra": np.linspace(10, 20, n),
        "dec": np.linspace(-5, 5, n),
        "g_mag": np.linspace(15, 18, n),
    }
    return _csv(**{**columns, **override})


def _garbage(n: int = 3000) -> bytes:
    return np.random.default_rng(7).integers(0, 256, n, dtype=np.uint8).tobytes()


def _torch_pickle_weights() -> bytes:
    buffer = io.BytesIO()
    torch.save({"weight": _Payload()}, buffer)
    return buffer.getvalue()


def _tar_bz2(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BOMB_BYTES = 4 * 2**20  # zeros a bomb unpacks to; the member limit is patched below it (no GBs written)


# --------------------------------------------------------------------------------------------- entry points

Call = Callable[[], object]


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _upload(read: Callable[[bytes, str], object]) -> Callable[[Path, str, bytes], Call]:
    return lambda root, name, data: lambda: read(data, name)


def _catalog(root: Path, name: str, data: bytes) -> Call:
    path = _write(root / "in" / name, data)
    return lambda: import_catalog(path, root / "out")


def _cutouts(root: Path, name: str, data: bytes) -> Call:
    folder = root / "in"
    if "/" not in name:
        _write(folder / name, data)
    _write(folder / "catalogue.csv", _csv(file_loc=[name], ra=[10.0], dec=[1.0]))
    return lambda: import_cutout_folder(folder, folder / "catalogue.csv", root / "out", bands=GRZ, progress=False)


def _survey(survey: str) -> Callable[[Path, str, bytes], Call]:
    def stage(root: Path, name: str, data: bytes) -> Call:
        _write(root / "in" / name, data)
        return lambda: importers.import_survey(survey, root / "out", root / "in")

    return stage


def _astrom3(root: Path, name: str, data: bytes) -> Call:
    """A raw AstroM3 copy of one star whose photometry.zip is ``data`` (``name`` unused: the layout fixes it)."""
    folder = root / "in" / "splits" / "sub10" / "42"
    _write(folder / "info.json", json.dumps({"classes": sorted(CLASSES)}).encode())
    for split in ("train", "val", "test"):
        _write(
            folder / f"{split}.csv",
            _csv(
                asassn_name=["ASASSN-V J1"],
                edr3_source_id=[1],
                target=["EW"],
                spec_filename=["spec-1"],
                ra=[10.0],
                dec=[1.0],
            ),
        )
    _write(root / "in" / "photometry.zip", data)
    return lambda: import_astrom3(root / "in", root / "out", AstroM3Selection("sub10", 42), progress=False)


def _labels(root: Path, name: str, data: bytes) -> Call:
    db = LabelDB(root / "labels.sqlite")
    db.add(Label("sky", "G1", "ana", "s0", label="spiral"))

    def call() -> object:
        table = export.read_table(data, name, export.MAX_TABLE_BYTES)
        return db.add_many(labels_from_table(table, "sky", {"G1", "G2"}, "ana", "import"))

    return call


MODEL_FOLDERS: dict[str, tuple[torch.nn.Module, dict]] = {  # kind: (model, config.json)
    "varstars": (
        TrimodalCLIP(ModelConfig(hidden=8, embed_dim=4, gru_hidden=4, n_meta_inputs=3)),
        {
            "model": asdict(ModelConfig(hidden=8, embed_dim=4, gru_hidden=4, n_meta_inputs=3)),
            "scaler": {"mean": [0.0] * 3, "std": [1.0] * 3},
        },
    ),
    "galaxies": (
        ResNetEncoder(ResNetConfig(width=4)),
        {"encoder": asdict(ResNetConfig(width=4)), "augment": asdict(AugmentConfig())},
    ),
    "catalog": (
        TabularEncoder(TabularConfig(n_features=3, feature_dim=4, hidden=8, proj_dim=4)),
        {
            "encoder": asdict(TabularConfig(n_features=3, feature_dim=4, hidden=8, proj_dim=4)),
            "scaler": {"mean": [0.0] * 3, "std": [1.0] * 3},
        },
    ),
}
LOADERS = {"varstars": load_varstar_model, "galaxies": load_galaxy_model, "catalog": load_catalog_model}


def _model(kind: str) -> Callable[[Path, str, bytes], Call]:
    """A good model folder of ``kind`` whose file ``name`` (weights.pt or config.json) is replaced by ``data``."""

    def stage(root: Path, name: str, data: bytes) -> Call:
        model, config = MODEL_FOLDERS[kind]
        save_model_folder(root / "model", model, {"kind": kind, **config})
        _write(root / "model" / name, data)
        return lambda: LOADERS[kind](root / "model")

    return stage


ENTRIES: dict[str, Callable[[Path, str, bytes], Call]] = {
    "lightcurve": _upload(uploads.read_lightcurve),
    "spectrum": _upload(uploads.read_spectrum),
    "cutout": _upload(lambda data, name: uploads.read_cutout(data, name, GRZ, "nanomaggy")),
    "cutout-rgb": _upload(lambda data, name: uploads.read_cutout(data, name, ("R", "G", "B"), "rgb8")),
    "labels": _labels,
    "catalog": _catalog,
    "cutout-folder": _cutouts,
    "catalina": _survey("catalina"),
    "macho": _survey("macho"),
    "stripe82": _survey("stripe82"),
    "linear": _survey("linear"),
    "astrom3": _astrom3,
    **{f"model-{kind}": _model(kind) for kind in MODEL_FOLDERS},
}


# --------------------------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Hostile:
    entry: str  # a key of ENTRIES
    name: str  # the file's name
    make: Callable[[], bytes]  # the file's bytes
    words: str  # a regex the UserError's message must match
    limits: dict[str, int] = field(default_factory=dict)  # "module.CONSTANT": value patched for this case


def _case(entry: str, name: str, make: Callable[[], bytes], words: str, **limits: int) -> object:
    return pytest.param(
        Hostile(entry, name, make, words, {k.replace("__", "."): v for k, v in limits.items()}),
        id=f"{entry}:{make.__name__ if make.__name__ != '<lambda>' else words[:24]}",
    )


CASES = [
    # uploads: light curves
    _case("lightcurve", "lc.csv", lambda: b"", "lc.csv is empty"),
    _case(
        "lightcurve",
        "lc.csv",
        _lightcurve,
        r"lc.csv is \d.* kB; the limit is 1 kB",
        astrodisc__data__io__uploads__MAX_UPLOAD_BYTES=1024,
    ),
    _case("lightcurve", "lc.csv", lambda: _lightcurve(np.full(40, np.nan)), "column mag is all NaN"),
    _case("lightcurve", "lc.csv", lambda: _lightcurve(np.r_[np.full(39, 14.0), np.inf]), "1 infinite values"),
    _case("lightcurve", "lc.csv", _garbage, "lc.csv"),
    _case("lightcurve", "lc.csv", lambda: _csv(hjd=[1.0, 2.0], flux=[3.0, 4.0]), "no magnitude column"),
    _case("lightcurve", "lc.csv", lambda: b"time,mag\n" + b"1,14,0.1\n" * 20, "more fields than the header"),
    _case("lightcurve", "lc.csv.exe", _lightcurve, "cannot read .exe as a light curve"),
    *[_case("lightcurve", name, lambda: b"time,mag\n1,x\n", "values that are not numbers") for name in ODD_NAMES],
    # uploads: spectra
    _case("spectrum", "s.fits", lambda: _truncated(_spectrum()), "not a readable FITS file|holds no spectrum"),
    _case("spectrum", "s.fits", lambda: _corrupt_header(_spectrum()), "not a readable FITS file"),
    _case("spectrum", "s.fits", lambda: _fits(fits.PrimaryHDU(np.ones((50, 50), np.float32))), "is not a spectrum"),
    _case("spectrum", "s.fits", lambda: _spectrum(np.full(400, np.nan)), "flux is all NaN"),
    _case("spectrum", "s.fits", lambda: _spectrum(np.r_[np.ones(399), np.inf]), "flux has 1 infinite values"),
    _case("spectrum", "s.fits", lambda: b"", "s.fits is empty"),
    _case(
        "spectrum", "s.fits", _spectrum, "the limit is 100 bytes", astrodisc__data__io__uploads__MAX_UPLOAD_BYTES=100
    ),
    _case("spectrum", "s.fits", _garbage, "not a readable FITS file"),
    # uploads: cutouts
    _case("cutout", "g.fits", lambda: _truncated(_fits_cube(_cube())), "not a readable FITS file|truncated"),
    _case("cutout", "g.fits", lambda: _corrupt_header(_fits_cube(_cube())), "not a readable FITS file"),
    _case("cutout", "g.fits", lambda: _fits_cube(_cube(bands=2)), "has 2 bands .*this survey has 3"),
    _case("cutout", "g.fits", lambda: _fits_cube(np.ones((2, 3, 8, 8), np.float32)), "holds no 2-D or 3-D image"),
    _case("cutout", "g.fits", lambda: _fits_cube(_cube(fill=np.nan)), "3 NaN pixels"),
    _case("cutout", "g.npy", lambda: _npy(_cube(fill=np.inf)), "3 infinite pixels"),
    _case("cutout", "g.npy", lambda: _npy(np.ones(10, np.float32)), r"has shape \(10,\)"),
    _case("cutout", "g.npy", lambda: _npy(np.array([_Payload()], dtype=object)), "object array.*never loaded"),
    _case("cutout", "g.npy", lambda: _truncated(_npy(_cube())), "not a readable NumPy .npy file"),
    _case("cutout", "g.npy", lambda: b"", "g.npy is empty"),
    _case(
        "cutout",
        "g.npy",
        lambda: _npy(_cube()),
        "the limit is 1 kB",
        astrodisc__data__io__uploads__MAX_UPLOAD_BYTES=1024,
    ),
    _case("cutout-rgb", "g.png", _corpus("img_bomb.png"), "decompression bomb.*at most 4096 px"),
    _case("cutout-rgb", "g.png", lambda: _truncated(_png(np.full((64, 64, 3), 9, np.uint8))), "not a readable PNG"),
    # label import
    _case("labels", "l.csv", lambda: b"", "l.csv is empty"),
    _case("labels", "l.csv", lambda: _csv(object_id=["G1"], interest=[np.inf]), "interest must be"),
    _case("labels", "l.csv", lambda: _csv(object_id=["G1"], interest=["lots"]), "interest must be"),
    _case("labels", "l.csv", lambda: _csv(object_id=["G1", None], label=["a", "b"]), "row 2 has no object_id"),
    _case("labels", "l.parquet", _garbage, "not a readable Parquet table"),
    _case("labels", "l.vot", lambda: b"<?xml version='1.0'?><VOTABLE><RESOURCE>", "not a readable VOTable table"),
    _case(
        "labels",
        "l.csv",
        lambda: _csv(object_id=["G1"] * 400, label=["x"] * 400),
        "the limit is 1 kB",
        astrodisc__base__tables__MAX_TABLE_BYTES=1024,
    ),
    _case("labels", "../../labels.sqlite", lambda: b"SQLite format 3\0", "cannot read .sqlite"),
    # catalogue import
    _case(
        "catalog",
        "t.fits",
        lambda: _truncated(_fits(fits.BinTableHDU(pd.DataFrame({"ra": np.arange(999.0)}).to_records(index=False)))),
        "not a readable FITS table",
    ),
    _case(
        "catalog",
        "t.fits",
        lambda: _corrupt_header(_fits(fits.BinTableHDU.from_columns([fits.Column("ra", "D", array=np.arange(5.0))]))),
        "not a readable FITS table",
    ),
    _case("catalog", "t.csv", lambda: b"", "not a readable CSV table"),
    _case(
        "catalog",
        "t.fits.gz",
        lambda: gzip.compress(bytes(BOMB_BYTES)),
        "refusing t.fits.gz: it unpacks to more",
        astrodisc__base__gzip_guard__MAX_GZIP_SMALL_BYTES=2**20,
    ),
    _case("catalog", "t.fits.gz", lambda: _truncated(gzip.compress(_garbage(9000))), "not a readable gzip file"),
    _case("catalog", "t.csv", lambda: _catalogue(ra=[np.nan] * 12), "12 rows have no valid ra/dec"),
    _case("catalog", "t.csv", lambda: _catalogue(g_mag=[np.inf] * 12), "no numeric columns besides ra/dec"),
    _case("catalog", "t.csv", lambda: b"ra,dec,g\n" + b"1,2,3,4\n" * 5, "more fields than the header"),
    _case("catalog", "t.parquet", _garbage, "not a readable Parquet table"),
    *[
        _case("catalog", name, lambda: _catalogue(ra=["x"] * 12), "no valid ra/dec")
        for name in ODD_NAMES
        if "/" not in name
    ],
    # cutout folder import
    _case("cutout-folder", "g.fits", lambda: _truncated(_fits_cube(_cube())), "g.fits"),
    _case("cutout-folder", "g.fits", lambda: _corrupt_header(_fits_cube(_cube())), "unreadable FITS .*g.fits"),
    _case("cutout-folder", "g.fits", lambda: _fits_cube(_cube(bands=2)), "holds 2 bands, expected 3"),
    _case("cutout-folder", "g.fits", lambda: _fits_cube(np.full((3, 32, 32), np.nan, np.float32)), "NaN or infinite"),
    _case("cutout-folder", "g.png", _corpus("img_bomb.png"), "refusing g.png"),
    _case(
        "cutout-folder",
        "g.fits.gz",
        lambda: gzip.compress(_fits_cube(np.zeros((3, 128, 128), np.float32))),
        "refusing g.fits.gz: 128 x 128 pixels is too large",
        astrodisc__data__io__galaxies__MAX_IMAGE_PIXELS=64 * 64,
    ),
    _case("cutout-folder", "g.fits", lambda: b"", "g.fits"),
    _case("cutout-folder", "../../../etc/passwd", lambda: b"", "cutout file.* of catalogue.csv not found"),
    _case("cutout-folder", "-g ☄.fits", lambda: _fits_cube(_cube(bands=1)), "-g ☄.fits holds 1 bands, expected 3"),
    # survey importers (light-curve text formats and their archives)
    _case("catalina", "w_uma_1.csv", lambda: b"", "unreadable Catalina file w_uma_1.csv"),
    _case(
        "catalina",
        "w_uma_1.csv",
        lambda: b"MJD,Mag,Magerr,RA,Dec\n53000,bright,0.1,1,2\n",
        "unreadable Catalina file w_uma_1.csv: could not convert string to float",
    ),
    _case("catalina", "w_uma_1.csv", lambda: b"MJD,Mag,Magerr,RA,Dec\n53000,14,0.1,,\n", "gives no valid RA/Dec"),
    _case("catalina", "w_uma_1.csv", _garbage, "Catalina|catalina"),
    _case("catalina", "-rf ñ.csv", _lightcurve, "Catalina file name is not <class>_<id>.csv: -rf ñ.csv"),
    _case("macho", "lc_1.2.3.tar.bz2", _garbage, "unreadable archive lc_1.2.3.tar.bz2"),
    _case(
        "macho",
        "lc_1.2.3.tar.bz2",
        lambda: _truncated(_tar_bz2({"lc_1.2.3.B.mjd": _garbage(20000)})),
        "unreadable archive",
    ),
    _case("macho", "lc_1.2.3.tar.bz2", lambda: _tar_bz2({"lc_1.2.3.B.mjd": b"1 2 3\n"}), "unreadable macho"),
    _case(
        "macho",
        "lc_1.2.3.tar.bz2",
        lambda: _tar_bz2({"lc_1.2.3.B.mjd": bytes(BOMB_BYTES)}),
        "refusing lc_1.2.3.B.mjd .* unpacks to 4 MB",
        astrodisc__data__io__varstars__MAX_MEMBER_BYTES=2**20,
    ),
    *[
        _case(
            survey,
            name,
            lambda: gzip.compress(bytes(BOMB_BYTES)),
            f"refusing {name}: it unpacks to more",
            astrodisc__base__gzip_guard__MAX_GZIP_SMALL_BYTES=2**20,
        )
        for survey, name in (("stripe82", "table2.dat.gz"), ("linear", "LINEARattributesFinalApr2013.dat.gz"))
    ],
    _case("stripe82", "table2.dat.gz", _garbage, "table2.dat.gz is not a readable gzip file"),
    _case(
        "linear",
        "LINEARattributesFinalApr2013.dat.gz",
        lambda: _truncated(gzip.compress(_garbage(9000))),
        "not a readable gzip file",
    ),
    _case("astrom3", "photometry.zip", _garbage, "not a readable zip archive"),
    _case(
        "astrom3",
        "photometry.zip",
        lambda: _zip({"vardb_files/ASASSN-VJ1.dat": bytes(BOMB_BYTES)}),
        "refusing vardb_files/ASASSN-VJ1.dat",
        astrodisc__data__io__varstars__MAX_MEMBER_BYTES=2**20,
    ),
    # model folders: a pickle posing as weights is refused and never run
    *[
        _case(f"model-{kind}", "weights.pt", make, "weights.pt is not a plain tensor state dict")
        for kind in MODEL_FOLDERS
        for make in (_corpus("encoder.pt"), _torch_pickle_weights)
    ],
    _case("model-catalog", "weights.pt", lambda: b"", "not a plain tensor state dict"),
    _case("model-catalog", "weights.pt", lambda: _truncated(_torch_pickle_weights()), "not a plain tensor"),
    _case("model-catalog", "weights.pt", lambda: _npy(np.ones(3)), "not a plain tensor state dict"),
    _case("model-catalog", "config.json", lambda: b"{not json", "config.json is not valid JSON"),
    _case("model-catalog", "config.json", lambda: b"[1, 2]", "is for None data"),
    _case("model-catalog", "config.json", lambda: b'{"kind": "catalog"}', "config.json lacks or garbles"),
    _case(
        "model-galaxies",
        "config.json",
        lambda: b'{"kind": "galaxies", "encoder": {"blocks": 3}}',
        "config.json lacks or garbles",
    ),
]


def _state(root: Path) -> dict[str, str]:
    """Every file under ``root`` (SQLite's -wal/-shm scratch files aside) with the hash of its bytes, and every
    folder, empty ones included, as "folder"; a symbolic link as "link to <target>"."""

    def entry(path: Path) -> str:
        if path.is_symlink():
            return f"link to {path.readlink()}"
        return "folder" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()

    return {
        str(p.relative_to(root)): entry(p) for p in sorted(root.rglob("*")) if not p.name.endswith(("-wal", "-shm"))
    }


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_is_refused_in_one_line_and_changes_nothing(case: Hostile, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a payload that ran would leave MARKER here
    for target, value in case.limits.items():
        monkeypatch.setattr(target, value)
    call = ENTRIES[case.entry](tmp_path, case.name, case.make())
    before = _state(tmp_path)
    with pytest.raises(UserError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message and 0 < len(message) < 600, message
    assert re.search(case.words, message), message
    assert not (tmp_path / MARKER).exists(), "a pickle payload was executed"
    assert _state(tmp_path) == before
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_file_names_of_good_files_are_only_names(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    upload = uploads.read_lightcurve(_lightcurve(), name)
    assert upload.name == name and len(upload.time) == 40 and name in upload.describe()
    assert list(tmp_path.iterdir()) == []
    if "/" not in name:  # a file on disk: unicode, spaces, a leading dash, a long name
        out, _ = import_catalog(_write(tmp_path / "in" / name, _catalogue()), tmp_path / "out")
        assert (out / "objects.parquet").is_file()
