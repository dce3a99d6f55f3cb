"""Every file of the hostile corpus (``tests/hostile_corpus/``) through every path that takes a user's file: the
upload checkers, the label import (``export.read_table`` and the label checks: read_table alone is a format reader,
to which a well-formed CSV of any content is a good table), every importer as a function and as an ``astrodisc
import`` verb, every model loader, ``load_precomputed`` and ``astrodisc build --embeddings``, and the checkpoint
``astrodisc train`` resumes from. A file a path cannot take (a FITS given to the light-curve upload) is run too.

Each cell runs in a folder of its own, which is also the working directory, holding a catalogue dataset
(``dataset/``), a label database (``labels.sqlite``) and the staged input. It must end in a UserError (a function)
or exit code 2 with one line on stderr, no warning either (the CLI, whose importers are pointed at ``dataset/``
with ``--force``, so a refusal must leave the old dataset as it was), with a one-line message, every file and
folder under the cell's folder byte-identical (empty folders included), and no marker file from a pickle payload.

The outcomes are the table ``docs/hostile-corpus.md``; a test compares the two. To rewrite the table after a
change of the corpus, the paths or a message::

    ASTRODISC_WRITE_CORPUS_TABLE=1 .venv/bin/python -m pytest -q tests/test_hostile_corpus.py
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_hostile_input import CORPUS, ENTRIES, MARKER, ODD_NAMES, Call, _csv, _state, _write

from astrodisc.cli import main
from astrodisc.data.io.astrom3 import AstroM3Selection, import_astrom3
from astrodisc.data.io.catalogs import import_catalog
from astrodisc.data.io.galaxies import import_cutout_folder, import_galaxy10_decals
from astrodisc.data.io.precomputed import load_precomputed
from astrodisc.data.open_store import open_store
from astrodisc.errors import UserError
from astrodisc.labels.database import Label, LabelDB
from astrodisc.learn.catalogs import CatalogPretrainConfig, pretrain_catalogs
from astrodisc.learn.fit import TrainConfig
from astrodisc.paths import PROJECT_ROOT

TABLE = PROJECT_ROOT / "docs" / "hostile-corpus.md"
WRITE_TABLE = "ASTRODISC_WRITE_CORPUS_TABLE"
NOT_CORPUS = ("README.md", "make_corpus.py")
FILES = sorted(p.name for p in CORPUS.iterdir() if p.is_file() and p.name not in NOT_CORPUS)
MAX_FILE_BYTES = 10 * 2**10  # a corpus file stays small
LIMITS: dict[str, dict[str, int]] = {  # corpus file: {"module.CONSTANT": value} lowered while it runs
    "gzip_bomb.fits.gz": {"astrodisc.base.gzip_guard.MAX_GZIP_SMALL_BYTES": 2**20},  # 4 MB of zeros: a bomb
}
DATASET = "dataset"  # the catalogue dataset in every cell's folder (12 objects)
Stage = Callable[[Path, str, bytes], Call]


# --------------------------------------------------------------------------------------------- the paths


def _named(stage: Stage, fixed: str) -> Stage:
    """``stage`` fed the file under the one name its importer looks for (a survey's table, a model's weights)."""
    return lambda root, name, data: stage(root, fixed, data)


def _cutout_catalogue(root: Path, name: str, data: bytes) -> Call:
    """A folder with one good 32 x 32 PNG cutout whose catalogue CSV is the corpus file."""
    folder = root / "in"
    _write(folder / "g.png", (CORPUS / "fits_really_png.fits").read_bytes())  # a good PNG, whatever its corpus name
    catalogue = _write(folder / name, data)
    return lambda: import_cutout_folder(folder, catalogue, root / "out", progress=False)


def _galaxy10(root: Path, name: str, data: bytes) -> Call:
    path = _write(root / "in" / name, data)
    return lambda: import_galaxy10_decals(path, root / "out", progress=False)


def _astrom3_split(root: Path, name: str, data: bytes) -> Call:
    """A raw AstroM3 copy whose train split CSV is the corpus file (val and test good, as is photometry.zip)."""
    ENTRIES["astrom3"](root, name, (CORPUS / "checkpoint.pt").read_bytes())  # a zip, read only after the splits
    _write(root / "in" / "splits" / "sub10" / "42" / "train.csv", data)
    return lambda: import_astrom3(root / "in", root / "out", AstroM3Selection("sub10", 42), progress=False)


def _precomputed(root: Path, name: str, data: bytes) -> Call:
    _write(root / "emb" / "fused.npy", data)
    return lambda: load_precomputed(open_store(root / DATASET), root / "emb")


@dataclass(frozen=True)
class Importer:
    """An importer fed a corpus file in one role: ``stage`` puts the inputs under ``<root>/in`` and returns the
    importer's function call; ``options`` are those inputs as options of ``astrodisc import <verb>``."""

    verb: str
    stage: Stage
    options: Callable[[Path, str], list[str]]
    fixed: str | None = None  # the name the importer looks for; None: the file keeps its corpus name


def _source(root: Path, name: str) -> list[str]:
    return ["--source", str(root / "in")]


IMPORTERS: dict[str, Importer] = {  # role: importer
    "catalog": Importer("catalog", ENTRIES["catalog"], lambda root, name: ["--table", str(root / "in" / name)]),
    "galaxy-folder (a cutout)": Importer(
        "galaxy-folder",
        ENTRIES["cutout-folder"],
        lambda root, name: [*_source(root, name), "--catalogue", str(root / "in" / "catalogue.csv")],
    ),
    "galaxy-folder (the catalogue)": Importer(
        "galaxy-folder",
        _cutout_catalogue,
        lambda root, name: [*_source(root, name), "--catalogue", str(root / "in" / name)],
    ),
    "galaxy10": Importer("galaxy10", _galaxy10, lambda root, name: ["--source", str(root / "in" / name)]),
    "astrom3 (photometry.zip)": Importer(
        "astrom3", ENTRIES["astrom3"], lambda root, name: [*_source(root, name), "--subset", "sub10"], "photometry.zip"
    ),
    "astrom3 (a split CSV)": Importer(
        "astrom3", _astrom3_split, lambda root, name: [*_source(root, name), "--subset", "sub10"], "train.csv"
    ),
    "stripe82": Importer("stripe82", ENTRIES["stripe82"], _source, "table2.dat.gz"),
    "catalina": Importer("catalina", ENTRIES["catalina"], _source, "w_uma_1.csv"),
    "macho": Importer("macho", ENTRIES["macho"], _source, "lc_1.2.3.tar.bz2"),
    "linear": Importer("linear", ENTRIES["linear"], _source, "LINEARattributesFinalApr2013.dat.gz"),
}


def _function(importer: Importer) -> Stage:
    return _named(importer.stage, importer.fixed) if importer.fixed else importer.stage


def _cli(argv: Callable[[Path, str], list[str]], stage: Stage) -> Stage:
    """``stage``'s inputs given to ``astrodisc <argv(root, name)>`` run in this process (its exit code is returned)."""

    def cli_stage(root: Path, name: str, data: bytes) -> Call:
        stage(root, name, data)
        return lambda: main(argv(root, name))

    return cli_stage


def _cli_import(importer: Importer) -> Stage:
    """``astrodisc import <verb>`` over the cell's dataset with --force: a refusal must leave it as it was."""

    def argv(root: Path, name: str) -> list[str]:
        return [
            "import",
            importer.verb,
            "--quiet",
            "--force",
            "--out",
            str(root / DATASET),
            *importer.options(root, importer.fixed or name),
        ]

    return _cli(argv, _function(importer))


def _train_stage(template: Path) -> Stage:
    """A copy of a catalogue model folder trained for one epoch on the cell's dataset, whose checkpoint.pt (to be
    resumed by ``astrodisc train --epochs 2``) is the corpus file."""

    def stage(root: Path, name: str, data: bytes) -> Call:
        shutil.copytree(template, root / "model")
        _write(root / "model" / "checkpoint.pt", data)
        return lambda: None

    return _cli(
        lambda root, name: [
            "train",
            "--quiet",
            "--dataset",
            str(root / DATASET),
            "--out",
            str(root / "model"),
            "--epochs",
            "2",
        ],
        stage,
    )


def paths(model_template: Path) -> dict[str, Stage]:
    """Every path a corpus file is run through, by the name the table gives it."""
    return {
        "upload: light curve": ENTRIES["lightcurve"],
        "upload: spectrum": ENTRIES["spectrum"],
        "upload: cutout (g, r, z fluxes)": ENTRIES["cutout"],
        "upload: cutout (RGB)": ENTRIES["cutout-rgb"],
        "label import (export.read_table)": ENTRIES["labels"],
        **{f"import function: {role}": _function(importer) for role, importer in IMPORTERS.items()},
        **{f"astrodisc import {role}": _cli_import(importer) for role, importer in IMPORTERS.items()},
        **{
            f"{kind} model folder (weights.pt)": _named(ENTRIES[f"model-{kind}"], "weights.pt")
            for kind in ("varstars", "galaxies", "catalog")
        },
        "load_precomputed (fused.npy)": _precomputed,
        "astrodisc build --embeddings (fused.npy)": _cli(
            lambda root, name: [
                "build",
                "--quiet",
                "--dataset",
                str(root / DATASET),
                "--embeddings",
                str(root / "emb"),
                "--out",
                str(root / "art"),
            ],
            _precomputed,
        ),
        "astrodisc train (checkpoint.pt)": _train_stage(model_template),
    }


# --------------------------------------------------------------------------------------------- running a cell


@dataclass(frozen=True)
class Outcome:
    """What one path made of one corpus file."""

    how: str  # "UserError", "exit 2", or how else it ended ("accepted", "exit 0", "crashed: ValueError", ...)
    message: str  # the UserError's message or the CLI's stderr, the cell's folder written <tmp>
    unchanged: bool  # every file and folder under the cell's folder as before
    marker: bool  # the pickle payload's marker file exists

    @property
    def clean(self) -> bool:
        return (
            self.how in ("UserError", "exit 2")
            and "\n" not in self.message
            and 0 < len(self.message) < 600
            and self.unchanged
            and not self.marker
        )


def run_cell(stage: Stage, root: Path, name: str, limits: dict[str, int]) -> Outcome:
    """Stage the corpus file ``name`` in ``root`` (holding the baseline already), run the path, compare the tree."""
    with pytest.MonkeyPatch.context() as patch, contextlib.chdir(root):
        for target, value in limits.items():
            patch.setattr(target, value)
        call = stage(root, name, (CORPUS / name).read_bytes())
        before = _state(root)
        stderr = io.StringIO()
        with (
            contextlib.redirect_stderr(stderr),
            contextlib.redirect_stdout(io.StringIO()),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            try:
                result = call()
                how, message = f"exit {result}" if isinstance(result, int) else "accepted", stderr.getvalue().strip()
                if isinstance(result, int):  # the real CLI prints warnings on stderr too (astropy's as log lines)
                    message = "\n".join([*(f"WARNING: {w.message}" for w in caught), message])
            except UserError as error:
                how, message = "UserError", str(error)
            except (Exception, SystemExit) as error:  # noqa: BLE001 - a crash is recorded (and fails the test)
                how, message = f"crashed: {type(error).__name__}", str(error)
        return Outcome(how, message.replace(str(root), "<tmp>"), _state(root) == before, (root / MARKER).exists())


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> tuple[Path, Path]:
    """(the folder every cell starts from: dataset/ and labels.sqlite, a catalogue model trained one epoch on it)."""
    base = tmp_path_factory.mktemp("baseline")
    table = _write(
        base / "catalogue.csv",
        _csv(
            object_id=[f"S{i}" for i in range(12)],
            ra=np.linspace(10, 20, 12),
            dec=np.linspace(-5, 5, 12),
            g_mag=np.linspace(15, 18, 12),
            r_mag=np.linspace(14, 16, 12),
        ),
    )
    import_catalog(table, base / "cell" / DATASET)
    LabelDB(base / "cell" / "labels.sqlite").add(Label(DATASET, "S1", "ana", "s0", label="star"))
    model = base / "model"
    pretrain_catalogs(base / "cell" / DATASET, model, CatalogPretrainConfig(), TrainConfig(epochs=1), progress=False)
    return base / "cell", model


@pytest.fixture(scope="module")
def outcomes(baseline, tmp_path_factory) -> dict[tuple[str, str], Outcome]:
    """{(corpus file, path): outcome} of every cell, each in a fresh copy of the baseline."""
    cell, model = baseline
    results = {}
    for path, stage in paths(model).items():
        for name in FILES:
            root = tmp_path_factory.mktemp("cell")
            shutil.copytree(cell, root, dirs_exist_ok=True)
            results[name, path] = run_cell(stage, root, name, LIMITS.get(name, {}))
    return results


# --------------------------------------------------------------------------------------------- the table


def corpus_table(outcomes: dict[tuple[str, str], Outcome]) -> str:
    """The Markdown of docs/hostile-corpus.md: per corpus file, each path and how it refused the file."""
    lines = [
        "# The hostile corpus through every path",
        "",
        "Generated by `tests/test_hostile_corpus.py` from the files in `tests/hostile_corpus/` (what each is: its "
        "README.md); do not edit by hand. To rewrite it: "
        f"`{WRITE_TABLE}=1 .venv/bin/python -m pytest -q tests/test_hostile_corpus.py`.",
        "",
        "Every cell ran the file through the path in a folder holding a catalogue dataset and a label database "
        "(the CLI's importers pointed at that dataset with `--force`). *refused* means: a `UserError` (a "
        "function) or exit code 2 with one line on stderr (the CLI), a one-line message, every file and folder "
        "under the cell's folder byte-identical afterwards, and no marker file from a pickle payload. The "
        "cell's folder is written `<tmp>`.",
        "",
    ]
    for name in FILES:
        lines += [f"## `{name}`", "", "| path | outcome | message |", "|---|---|---|"]
        for (file, path), outcome in outcomes.items():
            if file == name:
                verdict = f"refused ({outcome.how})" if outcome.clean else f"**NOT CLEAN** ({outcome.how})"
                lines.append(f"| {path} | {verdict} | {outcome.message.replace('|', '&#124;')} |")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- tests


def test_every_corpus_file_is_refused_by_every_path_in_one_line_and_changes_nothing(outcomes):
    assert len(outcomes) == len(FILES) * len(paths(Path("model")))
    unclean = {cell: outcome for cell, outcome in outcomes.items() if not outcome.clean}
    assert not unclean, "\n".join(f"{cell}: {outcome}" for cell, outcome in unclean.items())
    assert not any(outcome.marker for outcome in outcomes.values()), "a pickle payload was executed"


def test_the_corpus_table_is_current(outcomes):
    table = corpus_table(outcomes)
    if os.environ.get(WRITE_TABLE) == "1":
        TABLE.write_text(table)
    assert TABLE.read_text() == table, f"docs/hostile-corpus.md is stale: rerun with {WRITE_TABLE}=1"


@pytest.mark.parametrize(
    ("name", "path", "words"),
    [
        ("npy_object_pickle.npy", "astrodisc build --embeddings (fused.npy)", "holds Python objects (an object array)"),
        ("npy_nan_rows.npy", "astrodisc build --embeddings (fused.npy)", "3 of 12 rows are NaN, infinite or all zero"),
        ("npy_truncated.npy", "load_precomputed (fused.npy)", "not a readable .npy array"),
        ("checkpoint.pt", "astrodisc train (checkpoint.pt)", "cannot resume from <tmp>/model/checkpoint.pt"),
        ("encoder.pt", "astrodisc train (checkpoint.pt)", "delete it to train from the start"),
        ("img_1x1.png", "import function: galaxy-folder (a cutout)", "1 x 1 pixels is too small to hold a galaxy"),
        ("img_1x1.png", "astrodisc import galaxy-folder (a cutout)", "at least 16 px on a side"),
        ("img_1x1.png", "upload: cutout (RGB)", "1×1 px, too small to hold a galaxy"),
        ("gzip_bomb.fits.gz", "import function: galaxy-folder (a cutout)", "a decompression bomb"),
        *[
            (
                "csv_semicolon_decimal_comma.csv",
                path,
                "looks semicolon-separated with decimal commas; save it as comma-separated with decimal points",
            )
            for path in (
                "import function: catalog",
                "astrodisc import catalog",
                "import function: galaxy-folder (the catalogue)",
                "import function: astrom3 (a split CSV)",
                "import function: catalina",
                "astrodisc import catalina",
            )
        ],
        *[
            ("csv_utf16.csv", path, "is UTF-16 text; save it as UTF-8")
            for path in (
                "import function: catalog",
                "import function: galaxy-folder (the catalogue)",
                "astrodisc import catalina",
            )
        ],
    ],
)
def test_messages_name_the_cause(outcomes, name, path, words):
    outcome = outcomes[name, path]
    assert words in outcome.message, outcome
    assert "weights_only=False" not in outcome.message


def test_corpus_files_are_small_and_remade_byte_for_byte_by_their_script():
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    make_corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_corpus)
    assert sorted(make_corpus.CORPUS) == FILES
    for name, make in make_corpus.CORPUS.items():
        assert make() == (CORPUS / name).read_bytes(), name
        assert (CORPUS / name).stat().st_size <= MAX_FILE_BYTES, name
        assert f"`{name}`" in (CORPUS / "README.md").read_text(), f"{name} is not described in the README"


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_given_to_the_cli_are_only_names(name, baseline, tmp_path, monkeypatch):
    """Traversal, unicode, a leading dash, 240 characters: a corpus file under such a name, made here (a name with
    ../ cannot be committed), is refused by `astrodisc import catalog` and `galaxy-folder` and changes nothing."""
    shutil.copytree(baseline[0], tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    table = tmp_path / "in" / "tables" / name
    cutout = tmp_path / "in" / "cutouts" / name.replace(".csv", ".png")
    _write(table, (CORPUS / "csv_formula_cells.csv").read_bytes())
    _write(cutout, (CORPUS / "img_1x1.png").read_bytes())
    _write(
        tmp_path / "in" / "catalogue.csv",
        _csv(file_loc=[cutout.relative_to(tmp_path / "in" / "cutouts")], ra=[10.0], dec=[1.0]),
    )
    before = _state(tmp_path)
    for argv in (
        ["import", "catalog", "--quiet", "--table", str(table), "--out", str(tmp_path / "new")],
        [
            "import",
            "galaxy-folder",
            "--quiet",
            "--source",
            str(tmp_path / "in" / "cutouts"),
            "--catalogue",
            str(tmp_path / "in" / "catalogue.csv"),
            "--out",
            str(tmp_path / DATASET),
            "--force",
        ],
    ):
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            assert main(argv) == 2
        assert len(stderr.getvalue().strip().splitlines()) == 1, stderr.getvalue()
    assert _state(tmp_path) == before


def test_an_oversized_catalogue_is_refused_from_its_size_before_it_is_read(tmp_path):
    """81 MB on disk (sparse: no disk used) is refused with its size named, allocating almost nothing."""
    table = tmp_path / "huge.csv"
    with open(table, "wb") as handle:
        handle.truncate(81 * 2**20)
    tracemalloc.start()
    try:
        with pytest.raises(UserError, match=r"refusing huge.csv: it is 81 MB, more than the 50 MB"):
            import_catalog(table, tmp_path / "out")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"{peak / 2**20:.1f} MB allocated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.csv"]


def test_a_good_catalogue_passes_every_check_the_corpus_trips(tmp_path):
    """The checks are no blanket refusal: the corpus's UTF-16 catalogue, saved as UTF-8, imports."""
    text = (CORPUS / "csv_utf16.csv").read_bytes().decode("utf-16")
    out, _ = import_catalog(_write(tmp_path / "lc.csv", text.encode()), tmp_path / "ok")
    assert len(pd.read_parquet(out / "objects.parquet")) == 40
    assert json.loads((out / "dataset.json").read_text())["extra"]["features"] == ["time", "mag", "err"]
