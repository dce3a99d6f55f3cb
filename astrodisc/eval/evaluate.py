"""One entry to the evaluation of any artifact set: the kind of its dataset picks the protocol
(:mod:`astrodisc.eval.varstars`, :mod:`astrodisc.eval.galaxies`, :mod:`astrodisc.eval.catalogs`).

Example::

    result = evaluate_artifacts(Path("data/varstars-demo/varstars-clip"), EvaluateOptions(frozen=True))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from astrodisc.chain.artifacts import load_artifacts


@dataclass(frozen=True)
class EvaluateOptions:
    fast: bool = False  # tests: one seed, two fractions, two epochs
    seeds: int = 3
    frozen: bool = False  # only what reads the frozen embedding: no network trained
    modalities: tuple[str, ...] = ("photometry", "spectra", "metadata", "all")  # variable stars: grid rows


def evaluate_artifacts(artifacts: Path, options: EvaluateOptions = EvaluateOptions(), progress: bool = True) -> dict:
    """The evaluation JSON of the artifact set at ``artifacts`` by its kind's protocol. A catalogue's evaluation
    trains no network, so ``frozen`` changes nothing there."""
    kind = load_artifacts(artifacts).manifest["dataset"].get("kind")
    if kind == "galaxies":
        from astrodisc.eval.galaxies import GalaxyEvalConfig, evaluate_galaxies

        sky = GalaxyEvalConfig(fast=options.fast, seeds=options.seeds, frozen_only=options.frozen)
        return evaluate_galaxies(artifacts, sky, progress=progress)
    if kind == "catalog":
        from astrodisc.eval.catalogs import CatalogEvalConfig, evaluate_catalogs

        return evaluate_catalogs(artifacts, CatalogEvalConfig(fast=options.fast, seeds=options.seeds), progress)
    from astrodisc.eval.varstars import VarStarEvalConfig, evaluate_varstars

    config = VarStarEvalConfig(
        fast=options.fast, seeds=options.seeds, modalities=options.modalities, frozen_only=options.frozen
    )
    return evaluate_varstars(artifacts, config, progress=progress)
