"""How long an evaluation takes, as JSON: ``astrodisc bench --parts evaluate --evaluate-artifacts A[,B...]``.

For each artifact folder in turn, each mode (``frozen``: what reads the frozen embedding; ``full``: the whole
protocol with its networks) is timed end to end (wall seconds, loading and embedding included) with its cell
counts and headline figures. The first folder of each dataset starts cold: its artifact cache and the dataset's
baseline cache are cleared first (a first run); a later folder of the same dataset (another encoder) finds the
baselines the first one left (a second encoder's run). Run it on an idle machine: the targets are wall times.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from astrodisc.chain.artifacts import load_artifacts
from astrodisc.errors import UserError
from astrodisc.eval.cells import ARTIFACT_CACHE_DIR, BASELINES_DIR, PROGRESS_FILE, read_progress
from astrodisc.eval.evaluate import EvaluateOptions, evaluate_artifacts

MODES = ("frozen", "full")


def evaluate_figures(artifact_dirs: list[Path], modes: tuple[str, ...] = MODES, fast: bool = False) -> list[dict]:
    """One record per (artifact folder, mode): seconds, cells run and reused, and the headline figures; ``fast``:
    the tests' reduced protocol (one seed, two fractions)."""
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        raise UserError(f"unknown evaluation mode(s) {', '.join(unknown)}: choose from {', '.join(MODES)}")
    out = []
    seen: set[Path] = set()
    for artifacts in artifact_dirs:
        manifest = load_artifacts(artifacts).manifest
        dataset = Path(manifest["dataset"]["path"]).resolve()
        cold = dataset not in seen
        if cold:
            shutil.rmtree(dataset / BASELINES_DIR, ignore_errors=True)
        seen.add(dataset)
        shutil.rmtree(Path(artifacts) / ARTIFACT_CACHE_DIR, ignore_errors=True)
        for mode in modes:
            start = time.perf_counter()
            result = evaluate_artifacts(
                Path(artifacts), EvaluateOptions(fast=fast, frozen=mode == "frozen"), progress=True
            )
            seconds = time.perf_counter() - start
            progress = read_progress(Path(artifacts) / PROGRESS_FILE)
            out.append(
                {
                    "artifacts": str(artifacts),
                    "kind": manifest["dataset"].get("kind"),
                    "model": result["model"],
                    "n_objects": result["n_objects"],
                    "mode": mode,
                    "first_run_on_dataset": cold and mode == modes[0],
                    "seconds": round(seconds, 1),
                    "cells": progress.total if progress else None,
                    "cells_reused": progress.reused if progress else None,
                    "baselines": result.get("baselines"),
                    "result": result,
                }
            )
    return out
