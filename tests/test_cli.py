"""The command line ends bad input with exit code 2 and one line naming the problem."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from astrodisc.cli import SIM_STAMP_PX, main
from astrodisc.data.sim.galaxies import STAMP_PX
from astrodisc.data.sim.varstars import VarStarSimConfig, simulate_varstars
from astrodisc.paths import PROJECT_ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "astrodisc", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def small_survey(tmp_path_factory) -> Path:
    return simulate_varstars(VarStarSimConfig(n=40, seed=2), tmp_path_factory.mktemp("cli") / "s", progress=False)


@pytest.mark.parametrize("verb", ["simulate", "train", "build", "evaluate", "serve", "import", "demo"])
def test_every_verb_has_help(verb):
    done = run(verb, "--help")
    assert done.returncode == 0 and "usage: astrodisc" in done.stdout


def _one_line_error(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in lines[0]


def test_missing_path(tmp_path):
    _one_line_error(
        run("build", "--dataset", str(tmp_path / "nope"), "--model", str(tmp_path), "--out", str(tmp_path / "o")),
        "no such directory",
        "nope",
    )


def test_wrong_format(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    _one_line_error(run("train", "--dataset", str(tmp_path), "--out", str(tmp_path / "m")), "not an astrodisc dataset")


def test_model_that_does_not_match_the_dataset(tmp_path, small_survey):
    model = tmp_path / "galaxy-model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"kind": "galaxies"}))
    (model / "weights.pt").write_bytes(b"\x80\x04junk")
    _one_line_error(
        run("build", "--quiet", "--dataset", str(small_survey), "--model", str(model), "--out", str(tmp_path / "a")),
        "galaxies",
        "not variable stars",
    )


def test_pickle_posing_as_weights_is_refused_not_executed(tmp_path, small_survey):
    import pickle

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"kind": "varstars", "model": {}, "scaler": {"mean": [], "std": []}}))
    (model / "weights.pt").write_bytes(pickle.dumps(Evil()))
    _one_line_error(
        run("build", "--quiet", "--dataset", str(small_survey), "--model", str(model), "--out", str(tmp_path / "a")),
        "cannot load weights",
    )
    assert not marker.exists()


def test_light_curve_of_only_nan(tmp_path):
    source = tmp_path / "catalina"
    source.mkdir()
    (source / "w_uma_1.csv").write_text("MJD,Mag,Magerr\n53000.1,nan,nan\n53001.2,nan,nan\n")
    done = run("import", "catalina", "--source", str(source), "--out", str(tmp_path / "out"))
    _one_line_error(done, "w_uma_1")


def test_unknown_survey_kind_and_class(tmp_path):
    done = run("simulate", "galaxies-xl", "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and "invalid choice" in done.stderr
    source = tmp_path / "catalina"
    source.mkdir()
    (source / "mystery_star_1.csv").write_text("MJD,Mag,Magerr\n53000.1,15.0,0.1\n")
    _one_line_error(run("import", "catalina", "--source", str(source), "--out", str(tmp_path / "out")), "mystery")


def test_simulate_writes_a_store(tmp_path):
    assert main(["simulate", "varstars", "--n", "20", "--seed", "1", "--out", str(tmp_path / "s"), "--quiet"]) == 0
    assert (tmp_path / "s" / "dataset.json").is_file()


@pytest.mark.parametrize("stamp_px", ["32", "512"])
def test_a_stamp_size_the_encoders_cannot_read_or_memory_cannot_hold_is_refused_before_anything_is_written(
    tmp_path, stamp_px
):
    out = tmp_path / "sky"
    _one_line_error(run("simulate", "galaxies", "--n", "20", "--stamp-px", stamp_px, "--out", str(out)), "64-256")
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert SIM_STAMP_PX == STAMP_PX  # the command line's default is the simulator's own


def test_demo_of_both_kinds_takes_no_single_dataset_folder(tmp_path):
    _one_line_error(run("demo", "--data", str(tmp_path / "d")), "--data and --model name one demo")


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("model", ["galaxies-moco", "pickled"])
def test_a_build_with_a_model_it_cannot_use_leaves_nothing_behind(tiny_artifacts, tmp_path, capsys, model):
    """A model of another kind, or weights that are a pickle: refused in one line before the build makes its
    staging folder and lock (it used to leave ``.<out>.builds/`` and ``.<out>.lock``)."""
    dataset = tmp_path / "stars"
    shutil.copytree(tiny_artifacts.dataset_dir, dataset, symlinks=True)
    model_dir = PROJECT_ROOT / "models" / model
    if model == "pickled":
        model_dir = tmp_path / "pickled"
        shutil.copytree(PROJECT_ROOT / "models" / "varstars-clip", model_dir)
        (model_dir / "weights.pt").write_bytes(pickle.dumps({"a": [1, 2, 3]}))
    before = _tree(tmp_path)
    assert (
        main(["build", "--dataset", str(dataset), "--model", str(model_dir), "--out", str(dataset / "new"), "--quiet"])
        == 2
    )
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert _tree(tmp_path) == before


def test_every_entry_point_is_a_verb_and_no_module_runs_as_a_script(capsys):
    """One command line: the hunt, the calibration, the reports, the load client, the screenshots and the
    benchmarks are ``astrodisc`` verbs; no module of the package has a ``__main__`` block of its own (but the
    command line's and the server launcher that ``serve`` starts), and the README, docs and Makefile never
    run ``python -m astrodisc.<module>``."""
    for verb in ("hunt", "calibrate", "report", "load", "screenshots", "bench", "labels"):
        with pytest.raises(SystemExit) as done:
            main([verb, "--help"])
        assert done.value.code == 0 and verb in capsys.readouterr().out
    scripts = {p.name for p in (PROJECT_ROOT / "astrodisc").rglob("*.py") if '__name__ == "__main__"' in p.read_text()}
    assert scripts == {"cli.py", "server.py"}  # (and __main__.py, which is `python -m astrodisc`)
    texts = [PROJECT_ROOT / "README.md", PROJECT_ROOT / "Makefile", *(PROJECT_ROOT / "docs").glob("*.md")]
    assert not [p.name for p in texts if "python -m astrodisc." in p.read_text()]
    assert main(["load", "--think", "3"]) == 2 and "--think takes min,max" in capsys.readouterr().err


def test_quick_is_the_frozen_evaluation_by_another_name():
    from astrodisc.cli import parser

    for flag in ("--quick", "--frozen"):
        assert parser().parse_args(["evaluate", "--artifacts", "x", flag]).frozen is True
    assert parser().parse_args(["evaluate", "--artifacts", "x"]).frozen is False
