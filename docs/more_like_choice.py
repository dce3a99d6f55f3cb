"""How "more like these" chooses the features it reads, measured on the choice sets only
(`discover.active_learning.likeness_blocks`; writes docs/more-like-choice.json).

For each injected rare kind, 10 draws of 5 examples (seeded); for every candidate (every block together, each
block alone, each block beside the predicted class) the share of the survey ranked above each example when it
is left out (`left_out_miss`), and the kind's other members among the first 50 the candidate ranks; then which
candidate each rule would take, and what it finds (in all, and in the worst draw).

The choice sets (none of them reported as held out), built with the shipped encoders:

    astrodisc simulate galaxies --n 10000 --seed 7 --out data/galaxies-calib7
    astrodisc simulate galaxies --n 10000 --seed 8 --out data/galaxies-calib8
    astrodisc simulate varstars --n 10000 --seed 101 --out data/varstars-101
    astrodisc build --dataset data/<set> --out data/<set>/shipped        (each)
    python docs/more_like_choice.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc.chain.artifacts import load_artifacts
from astrodisc.discover import active_learning as al

SETS = (
    ("galaxies-calib7", "anomaly", ("lens", "satellite_trail", "missing_data")),
    ("galaxies-calib8", "anomaly", ("lens", "satellite_trail", "missing_data")),
    ("varstars-101", "rare_type", ("artefact", "microlensing", "nova", "rcb")),
)
DRAWS = 10
Candidate = tuple[str, ...]


def _median(miss: np.ndarray) -> float:
    return float(np.median(miss))


def _geometric_mean(miss: np.ndarray) -> float:
    """As ``likeness_blocks`` summarises (every choice set holds 10,000 objects)."""
    return al.left_out_summary(miss, 10_000)


def _pick(
    weighed: list[Candidate],
    miss: dict[Candidate, np.ndarray],
    width: dict[Candidate, int],
    summary: Callable[[np.ndarray], float],
    factor: float,
) -> Candidate:
    """The candidate a rule takes among those it ``weighed``: the fewest columns within ``factor`` of the best
    ``summary`` of the left-out misses."""
    summaries = {c: summary(miss[c]) for c in weighed}
    best = min(summaries.values())
    return min([c for c in weighed if summaries[c] <= factor * best], key=lambda c: (width[c], summaries[c]))


RULES = {  # name: (weighs the candidates beside the predicted class, summary of the left-out misses, factor)
    "each block alone, median, 1.5x (session 16)": (False, _median, 1.5),
    "each block alone, geometric mean, 2x": (False, _geometric_mean, 2.0),
    "each block beside the predicted class, median, 1.5x": (True, _median, 1.5),
    "each block beside the predicted class, geometric mean, 2x (shipped)": (True, _geometric_mean, 2.0),
}


def main() -> None:
    rows = []
    for name, column, kinds in SETS:
        art = load_artifacts(Path("data") / name / "shipped")
        truth = pd.read_parquet(Path("data") / name / "truth.parquet")
        features = al.likeness_features(al.hunt_features(art.embeddings, art.catalog), art.catalog)
        hunt_blocks = tuple(n for n in features.names if n != al.PREDICTED_CLASS)
        weighed = {False: al.likeness_candidates(hunt_blocks), True: al.likeness_candidates(features.names)}
        candidates = list(dict.fromkeys(weighed[False] + weighed[True]))
        width = {c: features.only(c).width for c in candidates}
        for kind in kinds:
            members = truth[column].astype(str).to_numpy() == kind
            rng = np.random.default_rng(0)
            found: dict[str, list[int]] = {rule: [] for rule in [*RULES, "every block", "best candidate (hindsight)"]}
            for _ in range(DRAWS):
                examples = rng.choice(np.flatnonzero(members), 5, replace=False)
                miss, top = {}, {}
                for c in candidates:
                    part = features.only(c)
                    miss[c] = al.left_out_miss(part, examples, np.array([], int))
                    order = np.argsort(-al.likeness(part, examples, np.array([], int)), kind="stable")
                    top[c] = int(members[order[~np.isin(order, examples)][:50]].sum())
                for rule, (with_class, summary, factor) in RULES.items():
                    found[rule].append(top[_pick(weighed[with_class], miss, width, summary, factor)])
                found["every block"].append(top[features.names])
                found["best candidate (hindsight)"].append(max(top.values()))
            rows.append(
                {
                    "set": name,
                    "kind": kind,
                    "members": int(members.sum()),
                    f"found_in_{DRAWS}_x_50": {rule: sum(v) for rule, v in found.items()},
                    "worst_draw": {rule: min(v) for rule, v in found.items()},
                }
            )
            print(rows[-1], flush=True)
    Path("docs/more-like-choice.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
