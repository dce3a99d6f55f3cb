"""How the training budget of the galaxy evaluation's networks moves the label-efficiency factor, measured on the
calibration sky only (seed 7; never reported as held out); writes docs/galaxy-finetune-budget.json.

For each budget, the morphology network fine-tuned from the probe with 25 % of the labels and the same network from
scratch with every label, 3 split seeds, as ``astrodisc evaluate`` trains them
(``eval.galaxies.morphology_networks``): the 4x target of the label-efficiency factor is met where the first
reaches the second. Each run's epochs and best epoch say whether the budget or the early stopping ended it.
One budget per call (by its number), merged into the JSON, so they can run side by side:

    astrodisc simulate galaxies --n 10000 --seed 7 --out data/galaxies-calib7
    astrodisc build --dataset data/galaxies-calib7 --out data/galaxies-calib7/shipped
    OMP_NUM_THREADS=1 python docs/finetune_budget.py 0 &
    OMP_NUM_THREADS=1 python docs/finetune_budget.py 1 &
    OMP_NUM_THREADS=1 python docs/finetune_budget.py 2        (about an hour on 2 cores)
"""

from __future__ import annotations

import fcntl
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

from astrodisc.base.atomic import save_json
from astrodisc.eval.galaxies import GalaxyEvalConfig, morphology_networks
from astrodisc.eval.protocol import mean_std
from astrodisc.eval.result import plain_json

ARTIFACTS = Path("data/galaxies-calib7/shipped")
OUT = Path("docs/galaxy-finetune-budget.json")
FEW = 0.25  # the label fraction at which fine-tuning must match from scratch with every label for 4x
BUDGET_FIELDS = ("epochs", "patience", "finetune_lr", "scratch_lr")
BUDGETS = {
    "evaluation default": GalaxyEvalConfig(fractions=(FEW,)),
    "twice the epochs and patience, fine-tuning at a third of the rate": GalaxyEvalConfig(
        fractions=(FEW,), epochs=40, patience=8, finetune_lr=1e-4
    ),
    "twice the epochs and patience": GalaxyEvalConfig(fractions=(FEW,), epochs=40, patience=8),
}


def _arm(runs: dict[str, list[dict]]) -> dict:
    """Accuracy over the seeds per fraction, with each run's epochs and best epoch."""
    return {
        fraction: {
            **plain_json(mean_std(seeds)),
            "epochs": [run["epochs"] for run in seeds],
            "best_epoch": [run["best_epoch"] for run in seeds],
        }
        for fraction, seeds in runs.items()
    }


def main(budget: int) -> None:
    name, config = list(BUDGETS.items())[budget]
    finetune = morphology_networks(ARTIFACTS, config, pretrained=True)
    scratch = morphology_networks(ARTIFACTS, replace(config, fractions=(1.0,)), pretrained=False)
    arms = {"finetune": _arm(finetune), "scratch": _arm(scratch)}
    few, target = arms["finetune"][str(FEW)]["accuracy"]["mean"], arms["scratch"]["1.0"]["accuracy"]["mean"]
    with open(ARTIFACTS / ".finetune-budget.lock", "a") as lock:  # budgets run side by side merge one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        result: dict = json.loads(OUT.read_text()) if OUT.is_file() else {"artifacts": str(ARTIFACTS), "budgets": {}}
        result["budgets"][name] = {
            "config": {k: v for k, v in asdict(config).items() if k in BUDGET_FIELDS},
            **arms,
            "finetune_minus_scratch_all_labels": few - target,
            "label_efficiency_4x_met": few >= target,
        }
        save_json(OUT, result)
    print(name, f"fine-tuned with {FEW:.0%} of the labels {few:.4f}, from scratch with all {target:.4f}")


if __name__ == "__main__":
    main(int(sys.argv[1]))
