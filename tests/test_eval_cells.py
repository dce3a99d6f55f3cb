"""An evaluation's cells: encoder-independent cells shared through the dataset's baseline cache, resumable runs,
and the progress file the Model page shows."""

from pathlib import Path

import numpy as np
import pytest

from astrodisc.eval import summary
from astrodisc.eval.cells import PROGRESS_FILE, Cell, baseline_cache, read_progress, run_cells
from astrodisc.eval.protocol import ResultCache


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "survey"
    root.mkdir()
    (root / "dataset.json").write_text('{"name": "survey"}')
    np.save(root / "objects.npy", np.arange(10))
    (root / "objects.parquet").write_bytes(b"rows")
    return root


def _cells(calls: list[str], fail: str | None = None) -> list[Cell]:
    def compute(key: str) -> dict:
        if key == fail:
            raise RuntimeError("interrupted")
        calls.append(key)
        return {"accuracy": 0.5 + len(key) / 100, "classes": ["a", "b"]}

    return [
        Cell("probe-0", lambda: compute("probe-0")),
        Cell("scratch-0", lambda: compute("scratch-0"), keep="dataset", cost=10),
        Cell("anomaly", lambda: compute("anomaly"), keep="never"),
        Cell("finetune-0", lambda: compute("finetune-0"), cost=10),
    ]


def test_a_second_encoder_reuses_the_baselines(dataset: Path, tmp_path: Path) -> None:
    baselines = baseline_cache(dataset, {"epochs": 3})
    first, second = [], []
    one = run_cells(_cells(first), ResultCache(tmp_path / "a", "x"), baselines, tmp_path / "a" / PROGRESS_FILE, False)
    two = run_cells(_cells(second), ResultCache(tmp_path / "b", "x"), baselines, tmp_path / "b" / PROGRESS_FILE, False)
    assert first == ["probe-0", "scratch-0", "anomaly", "finetune-0"]
    assert second == ["probe-0", "anomaly", "finetune-0"]  # the from-scratch network is the dataset's, not retrained
    assert one == two and one["scratch-0"]["accuracy"] == pytest.approx(0.59)
    assert baselines.root.parent == dataset / "evaluation-baselines"
    progress = read_progress(tmp_path / "b" / PROGRESS_FILE)
    assert progress is not None and progress.complete and progress.reused == 1 and progress.total == 4
    assert progress.finished[-1] == {"cell": "finetune-0", "accuracy": pytest.approx(0.60)}  # numbers only
    assert summary.evaluation_in_progress(tmp_path / "b") is None  # finished: nothing to show as running


def test_an_interrupted_evaluation_shows_its_cells_and_resumes(dataset: Path, tmp_path: Path) -> None:
    own, baselines, calls = ResultCache(tmp_path, "x"), baseline_cache(dataset, {}), []
    with pytest.raises(RuntimeError):
        run_cells(_cells(calls, fail="finetune-0"), own, baselines, tmp_path / PROGRESS_FILE, False)
    running = summary.evaluation_in_progress(tmp_path)
    assert running is not None and (running.done, running.total) == (3, 4)
    assert running.seconds_left is not None and running.seconds_left >= 0
    table = summary.progress_table(running)
    assert list(table["cell"]) == ["probe-0", "scratch-0", "anomaly"] and "accuracy" in table
    calls.clear()
    run_cells(_cells(calls), own, baselines, tmp_path / PROGRESS_FILE, False)
    assert calls == ["anomaly", "finetune-0"]  # what finished was kept; only what reads the build is redone
    assert summary.evaluation_in_progress(tmp_path) is None


def test_the_baseline_key_follows_the_data_and_the_settings(dataset: Path) -> None:
    key = baseline_cache(dataset, {"epochs": 3}).root.name
    assert baseline_cache(dataset, {"epochs": 3}).root.name == key
    assert baseline_cache(dataset, {"epochs": 4}).root.name != key
    (dataset / "objects.parquet").write_bytes(b"other rows")
    assert baseline_cache(dataset, {"epochs": 3}).root.name != key
