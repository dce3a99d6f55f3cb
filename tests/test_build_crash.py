"""A build killed mid-way leaves the previous artifact set loadable, and the next build resumes where it stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_distributed import flat_map  # UMAP's stand-in

from astrodisc.chain.artifacts import load_artifacts
from astrodisc.chain.build import BuildParams, build_artifacts, remove_artifact_set
from astrodisc.data.io.precomputed import load_precomputed
from astrodisc.data.sim.embeddings import SyntheticConfig, write_synthetic
from astrodisc.errors import UserError

OLD = BuildParams(exact_below=100_000)
NEW = replace(OLD, exact_below=500, umap_min_dist=0.3)  # reruns index (finished before the kill) and map (killed in)
KILLED_BUILD = """
import sys, time
from pathlib import Path
import astrodisc.chain.build as build
from astrodisc.data.io.precomputed import load_precomputed
build.fit_map = lambda *args, **kwargs: time.sleep(600)  # the map stage hangs until the test kills the build
dataset, out, exact_below, min_dist = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
build.build_artifacts(dataset, dataset / "embeddings", out, embed=load_precomputed, progress=True,
                      params=build.BuildParams(exact_below=exact_below, umap_min_dist=min_dist))
"""


def _ran(out: Path) -> set[str]:
    return {name for name, stage in load_artifacts(out).manifest["stages"].items() if stage["ran"]}


@contextmanager
def _build_hanging_in_map(dataset: Path, out: Path) -> Iterator[subprocess.Popen]:
    """Run a build with ``NEW`` in a subprocess, yield it once it reports the map stage running (where it hangs),
    SIGKILL it after the block."""
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(dataset), str(out), str(NEW.exact_below), str(NEW.umap_min_dist)],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    try:
        for line in process.stderr:
            if line.startswith("[build] map") and "running" in line:
                break
            assert time.monotonic() < deadline, "the build never reached its map stage"
        else:
            pytest.fail(f"the build ended (code {process.wait()}) before its map stage")
        yield process
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


def _build_killed_in_map(dataset: Path, out: Path) -> None:
    with _build_hanging_in_map(dataset, out):
        pass


def test_a_killed_rebuild_leaves_the_old_set_and_the_next_build_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr("astrodisc.chain.build.fit_map", flat_map)
    dataset = write_synthetic(SyntheticConfig(n=1500, dim=16, n_clusters=6, labelled_share=0.2), tmp_path / "d")
    out = tmp_path / "art"
    build_artifacts(dataset, dataset / "embeddings", out, embed=load_precomputed, params=OLD, progress=False)
    before = load_artifacts(out)
    assert out.is_symlink() and before.manifest["params"]["exact_below"] == OLD.exact_below

    _build_killed_in_map(dataset, out)
    after_kill = load_artifacts(out)  # the old set, complete: the killed build touched none of it
    assert after_kill.manifest == before.manifest
    pd.testing.assert_frame_equal(after_kill.catalog, before.catalog)
    np.testing.assert_array_equal(after_kill.embeddings["fused"], before.embeddings["fused"])
    staging = tmp_path / ".art.builds" / "staging"
    assert (staging / "stages" / "index.json").is_file() and not (staging / "stages" / "map.json").exists()

    build_artifacts(dataset, dataset / "embeddings", out, embed=load_precomputed, params=NEW, progress=False)
    # the killed build's index is kept; the clusters read the embedding, not the map, so they stand
    assert _ran(out) == {"map", "anomaly", "labels", "catalog"}
    rebuilt = load_artifacts(out)
    assert rebuilt.manifest["params"]["exact_below"] == NEW.exact_below
    assert rebuilt.manifest["spaces"]["fused"]["index"]["type"] == "IndexIVFFlat"
    assert [p.name for p in (tmp_path / ".art.builds").iterdir()] == [out.resolve().name]  # old versions removed
    pd.testing.assert_frame_equal(rebuilt.catalog[["object_id", "label"]], before.catalog[["object_id", "label"]])

    remove_artifact_set(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".art.lock", "d"]  # the lock file stays, empty
    assert (tmp_path / ".art.lock").stat().st_size == 0


def test_an_older_plain_artifact_folder_becomes_a_version(tmp_path, monkeypatch):
    monkeypatch.setattr("astrodisc.chain.build.fit_map", flat_map)
    dataset = write_synthetic(SyntheticConfig(n=300, dim=8, n_clusters=3), tmp_path / "d")
    out = tmp_path / "art"
    build_artifacts(dataset, dataset / "embeddings", out, embed=load_precomputed, progress=False)
    plain = tmp_path / "plain"
    os.rename(out.resolve(), plain)  # what a build before versioned sets left: a plain folder
    out.unlink()
    os.rename(plain, out)
    inode = (out / "embeddings" / "fused.npy").stat().st_ino
    build_artifacts(dataset, dataset / "embeddings", out, embed=load_precomputed, progress=False)
    assert out.is_symlink() and _ran(out) == set()
    assert (out / "embeddings" / "fused.npy").stat().st_ino == inode  # hard-linked, not copied
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not an artifact set"):
        build_artifacts(dataset, dataset / "embeddings", tmp_path / "other", embed=load_precomputed, progress=False)
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_a_second_build_into_the_same_out_stops_at_once_and_the_lock_dies_with_its_holder(tmp_path, monkeypatch):
    monkeypatch.setattr("astrodisc.chain.build.fit_map", flat_map)
    dataset = write_synthetic(SyntheticConfig(n=400, dim=8, n_clusters=3), tmp_path / "d")
    out = tmp_path / "art"
    build_artifacts(dataset, dataset / "embeddings", out, embed=load_precomputed, params=OLD, progress=False)
    before = load_artifacts(out).manifest
    staging = tmp_path / ".art.builds" / "staging"
    with _build_hanging_in_map(dataset, out) as first:
        staged = sorted(p.relative_to(staging) for p in staging.rglob("*"))
        with pytest.raises(UserError, match=rf"another build is writing .*art \(process {first.pid}\)"):
            build_artifacts(dataset, dataset / "embeddings", out, embed=load_precomputed, params=OLD, progress=False)
        assert sorted(p.relative_to(staging) for p in staging.rglob("*")) == staged  # the second build touched nothing
        with pytest.raises(UserError, match="another build is writing"):
            remove_artifact_set(out)  # nor is the set removed under a running build
        assert load_artifacts(out).manifest == before
    # SIGKILLed: the kernel dropped its lock, and the next build resumes its staging
    build_artifacts(dataset, dataset / "embeddings", out, embed=load_precomputed, params=NEW, progress=False)
    assert _ran(out) == {"map", "anomaly", "labels", "catalog"}  # the clusters read the embedding, not the map
