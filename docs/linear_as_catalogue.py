"""A real catalogue through the catalogue path: `python docs/linear_as_catalogue.py [WORK_DIR]`.

LINEAR's table of 6,146 periodic variables (Palaversa et al. 2013; shared/real/varstars/linear) is written as a
plain CSV — ra, dec, its ten numeric features and the class from LCtype — and then goes through the commands a
user with only a catalogue runs: `astrodisc import catalog`, `train` (SCARF, the defaults), `build` and
`evaluate` (3 split seeds). Writes docs/evaluation-linear-catalogue.json; about a minute on 2 cores.
"""

import shutil
import sys
from pathlib import Path

import pandas as pd

from astrodisc.cli import main
from astrodisc.data.io.varstars import LINEAR_COLUMNS, LINEAR_LABELS
from astrodisc.paths import shared_dir

DOCS = Path(__file__).resolve().parent
MARKER = ".made-by-linear_as_catalogue"  # what lets a rerun replace the folder
SOURCE = shared_dir() / "real" / "varstars" / "linear" / "LINEARattributesFinalApr2013.dat.gz"


def linear_table(csv: Path) -> None:
    """LINEAR's table as a catalogue CSV: object_id, ra, dec, ug, gi, iK, JK, logP, Ampl, skew, kurt, magMed,
    nObs and class (RRAB, RRC, EA, EW, DSCT)."""
    table = pd.read_csv(SOURCE, sep=r"\s+", comment="#", header=None, names=list(LINEAR_COLUMNS))
    table["class"] = table["LCtype"].astype(str).map(LINEAR_LABELS)
    table.drop(columns=["LCtype"]).rename(columns={"LINEARobjectID": "object_id"}).to_csv(csv, index=False)


def run(work: Path) -> None:
    """Redo everything in ``work``: a folder this script made before (it holds MARKER), or a new or empty one."""
    if work.is_dir() and any(work.iterdir()) and not (work / MARKER).is_file():
        raise SystemExit(f"{work} holds files this script did not make: choose a new or empty folder")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / MARKER).touch()
    linear_table(work / "linear.csv")
    dataset, model = work / "linear-catalogue", work / "linear-scarf"
    for argv in (
        ["import", "catalog", "--table", str(work / "linear.csv"), "--out", str(dataset)],
        ["train", "--dataset", str(dataset), "--out", str(model)],
        ["build", "--dataset", str(dataset), "--model", str(model), "--out", str(dataset / "scarf")],
        ["evaluate", "--artifacts", str(dataset / "scarf"), "--out", str(DOCS / "evaluation-linear-catalogue.json")],
    ):
        if main(argv) != 0:
            raise SystemExit(f"astrodisc {argv[0]} failed")


if __name__ == "__main__":
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data") / "linear-catalogue-work")
