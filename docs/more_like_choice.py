"""How "more like these" chooses the features it reads, measured on the choice sets only
(`discover.active_learning.likeness_blocks`; writes docs/more-like-choice.json).

For each injected rare kind, 3 draws of 5 examples (seeded); for every candidate (every block together, each
block alone) the median share of the survey ranked above each example when it is left out, and the kind's other
members among the first 50 the candidate ranks; then which candidate each rule would take, and what it finds.

The choice sets (none of them reported as held out), built with the shipped encoders:

    astrodisc simulate galaxies --n 10000 --seed 7 --out data/galaxies-calib7
    astrodisc simulate galaxies --n 10000 --seed 8 --out data/galaxies-calib8
    astrodisc simulate varstars --n 10000 --seed 101 --out data/varstars-101
    astrodisc build --dataset data/<set> --out data/<set>/shipped        (each)
    python docs/more_like_choice.py
"""

from __future__ import annotations

import json
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
RULES = {
    "every block": lambda miss, width: max(width, key=width.get),
    "best median": lambda miss, width: min(miss, key=miss.get),
    "fewest columns within 1.5x of the best (shipped)": lambda miss, width: min(
        [c for c in miss if miss[c] <= 1.5 * min(miss.values())], key=lambda c: (width[c], miss[c])
    ),
    "fewest columns within 0.01 of the best": lambda miss, width: min(
        [c for c in miss if miss[c] <= min(miss.values()) + 0.01], key=lambda c: (width[c], miss[c])
    ),
}


def main() -> None:
    rows = []
    for name, column, kinds in SETS:
        art = load_artifacts(Path("data") / name / "shipped")
        truth = pd.read_parquet(Path("data") / name / "truth.parquet")
        features = al.hunt_features(art.embeddings, art.catalog)
        candidates = [features.names] + [(block,) for block in features.names]
        width = {c: features.only(c).width for c in candidates}
        for kind in kinds:
            members = truth[column].astype(str).to_numpy() == kind
            rng = np.random.default_rng(0)
            found = dict.fromkeys(RULES, 0)
            for _ in range(3):
                examples = rng.choice(np.flatnonzero(members), 5, replace=False)
                miss, top = {}, {}
                for c in candidates:
                    part = features.only(c)
                    above = []
                    for i, left_out in enumerate(examples):
                        score = al.likeness(part, np.delete(examples, i), np.array([], int))
                        above.append(float(np.mean(score > score[left_out])))
                    score = al.likeness(part, examples, np.array([], int))
                    order = np.argsort(-score, kind="stable")
                    miss[c], top[c] = float(np.median(above)), int(members[order[~np.isin(order, examples)][:50]].sum())
                for rule, pick in RULES.items():
                    found[rule] += top[pick(miss, width)]
            rows.append({"set": name, "kind": kind, "members": int(members.sum()), "found_in_3_x_50": found})
            print(rows[-1], flush=True)
    Path("docs/more-like-choice.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
