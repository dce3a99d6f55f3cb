"""Datasets are written whole or not at all (astrodisc/base/staging.py): an existing dataset at --out is refused
without --force and swapped for the new one in one step with it; a refusal or a failure leaves nothing behind."""

from __future__ import annotations

import contextlib
import errno
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_hostile_input import _state

from astrodisc.base import staging
from astrodisc.base.staging import exchange, staged_dataset
from astrodisc.cli import main
from astrodisc.errors import UserError


def _table(path: Path, n: int) -> Path:
    pd.DataFrame(
        {
            "object_id": [f"S{i}" for i in range(n)],
            "ra": np.linspace(10, 20, n),
            "dec": np.linspace(-5, 5, n),
            "period": np.linspace(1.0, 3.0, n),
        }
    ).to_csv(path, index=False)
    return path


def _cli(*argv: str) -> tuple[int, list[str]]:
    """Exit code and stderr lines of ``astrodisc <argv>`` run in this process."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = main(list(argv))
    return code, stderr.getvalue().strip().splitlines()


def _import(tmp_path: Path, n: int, *options: str) -> tuple[int, list[str]]:
    return _cli(
        "import",
        "catalog",
        "--quiet",
        "--table",
        str(_table(tmp_path / f"t{n}.csv", n)),
        "--out",
        str(tmp_path / "ds"),
        *options,
    )


def _rows(dataset: Path) -> int:
    return len(pd.read_parquet(dataset / "objects.parquet"))


def test_an_existing_dataset_is_refused_without_force_and_replaced_whole_with_it(tmp_path):
    assert _import(tmp_path, 12) == (0, [])
    _table(tmp_path / "t20.csv", 20)
    before = _state(tmp_path)
    code, lines = _import(tmp_path, 20)
    assert code == 2 and len(lines) == 1 and "already holds a dataset: give --force to replace it" in lines[0]
    assert _state(tmp_path) == before
    assert _import(tmp_path, 20, "--force") == (0, [])
    assert _rows(tmp_path / "ds") == 20 and json.loads((tmp_path / "ds" / "dataset.json").read_text())["name"] == "ds"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "t12.csv", "t20.csv"]  # no staging folder left


def test_without_an_atomic_exchange_the_old_dataset_is_moved_aside_then_replaced(tmp_path, monkeypatch):
    def unsupported(a: Path, b: Path) -> None:
        raise OSError(errno.ENOSYS, "no renameat2")

    monkeypatch.setattr(staging, "exchange", unsupported)
    assert _import(tmp_path, 12) == (0, [])
    assert _import(tmp_path, 20, "--force") == (0, [])
    assert _rows(tmp_path / "ds") == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "t12.csv", "t20.csv"]


def test_a_refused_import_with_force_leaves_the_old_dataset_and_no_folder(tmp_path):
    assert _import(tmp_path, 12) == (0, [])
    (tmp_path / "bad.csv").write_text("ra,dec,g\n1,2,3,4\n")
    nested = tmp_path / "a" / "b" / "ds"
    before = _state(tmp_path)
    for out, force in ((tmp_path / "ds", ["--force"]), (nested, [])):
        code, lines = _cli("import", "catalog", "--table", str(tmp_path / "bad.csv"), "--out", str(out), *force)
        assert code == 2 and len(lines) == 1 and "more fields than the header" in lines[0]
    assert _state(tmp_path) == before  # the dataset as it was; no a/, a/b/ nor staging folder made


def test_simulate_refuses_an_existing_dataset_without_force(tmp_path):
    out = str(tmp_path / "sim")
    assert _cli("simulate", "embeddings", "--n", "10", "--seed", "1", "--out", out, "--quiet")[0] == 0
    before = _state(tmp_path)
    code, lines = _cli("simulate", "embeddings", "--n", "12", "--out", out, "--quiet")
    assert code == 2 and "give --force to replace it" in lines[0] and _state(tmp_path) == before
    assert _cli("simulate", "embeddings", "--n", "12", "--out", out, "--quiet", "--force")[0] == 0
    assert _rows(tmp_path / "sim") == 12 and sorted(p.name for p in tmp_path.iterdir()) == ["sim"]


def test_what_is_not_a_dataset_is_never_replaced(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.tex").write_text("years of work")
    (tmp_path / "file").write_text("a file")
    (tmp_path / "link").symlink_to(tmp_path / "notes")
    for out, words in (
        ("notes", "holds files but no dataset.json"),
        ("file", "is a file"),
        ("link", "is a symbolic link"),
    ):
        with pytest.raises(UserError, match=words), staged_dataset(tmp_path / out, force=True):
            pytest.fail("the body must not run")
    assert (tmp_path / "notes" / "thesis.tex").read_text() == "years of work"
    (tmp_path / "empty" / "images").mkdir(parents=True)  # a folder of empty folders is no one's work: replaced
    with staged_dataset(tmp_path / "empty") as work:
        (work / "dataset.json").write_text("{}")
    assert sorted(p.name for p in (tmp_path / "empty").iterdir()) == ["dataset.json"]


def test_a_failure_while_writing_keeps_the_old_dataset_and_leaves_no_staging(tmp_path):
    old = tmp_path / "ds"
    old.mkdir()
    (old / "dataset.json").write_text('{"old": true}')
    with pytest.raises(RuntimeError, match="killed"), staged_dataset(old, force=True) as work:
        (work / "objects.parquet").write_text("half")
        raise RuntimeError("killed")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["dataset.json", "ds"]
    assert (old / "dataset.json").read_text() == '{"old": true}'


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("from a")
    (tmp_path / "b").mkdir()
    exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b" / "x").read_text() == "from a" and list((tmp_path / "a").iterdir()) == []
