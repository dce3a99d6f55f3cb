"""A real catalogue through the catalogue path: `python docs/linear_as_catalogue.py [WORK_DIR]`.

LINEAR's table of 6,146 periodic variables (Palaversa et al. 2013; shared/real/varstars/linear) is written as a
plain CSV — ra, dec, its ten numeric features and the class from LCtype — and then goes through the commands a
user with only a catalogue runs: `astrodisc import catalog` leaving out the apparent magnitude and the count of
observations the import names (magMed, nObs), `train` (the defaults), `build` and `evaluate` (3 split seeds). Writes
docs/evaluation-linear-catalogue.json and docs/linear-catalogue-clusters.json: the build's clusters against the
classes (ARI, noise as a group of its own), and the 10-NN class accuracy (5-fold) of the map's space (cosine)
beside Euclidean 10-NN on the same columns log-scaled where heavy-tailed, standardised and median-filled. A few
minutes on 2 cores.
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from astrodisc.base.atomic import save_json
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.cli import main
from astrodisc.data.catalogs import CatalogStore
from astrodisc.data.io.varstars import LINEAR_COLUMNS, LINEAR_LABELS
from astrodisc.learn.columns import ColumnScaler
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


def fresh_work_folder(work: Path) -> None:
    """Empty ``work`` for a rerun: a folder such a script made before (it holds MARKER), or a new or empty one."""
    if work.is_dir() and any(work.iterdir()) and not (work / MARKER).is_file():
        raise SystemExit(f"{work} holds files this script did not make: choose a new or empty folder")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / MARKER).touch()


def run(work: Path) -> None:
    """Redo everything in ``work`` (:func:`fresh_work_folder`)."""
    fresh_work_folder(work)
    linear_table(work / "linear.csv")
    dataset, model = work / "linear-catalogue", work / "linear-scarf"
    for argv in (
        [
            "import",
            "catalog",
            "--table",
            str(work / "linear.csv"),
            "--out",
            str(dataset),
            "--exclude-columns",
            "magMed,nObs",
        ],
        ["train", "--dataset", str(dataset), "--out", str(model)],
        ["build", "--dataset", str(dataset), "--model", str(model), "--out", str(dataset / "scarf")],
        ["evaluate", "--artifacts", str(dataset / "scarf"), "--out", str(DOCS / "evaluation-linear-catalogue.json")],
    ):
        if main(argv) != 0:
            raise SystemExit(f"astrodisc {argv[0]} failed")
    save_json(DOCS / "linear-catalogue-clusters.json", cluster_figures(dataset, dataset / "scarf"))


def knn_accuracy(features: np.ndarray, classes: np.ndarray) -> float:
    """Stratified 5-fold accuracy of a 10-nearest-neighbour vote (Euclidean on ``features``)."""
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    return float(cross_val_score(KNeighborsClassifier(10), features, classes, cv=folds).mean())


def cluster_figures(dataset: Path, artifacts: Path, classes: np.ndarray | None = None) -> dict:
    """The build's clusters against the (N,) ``classes`` of the catalogue's objects in its order (None: the
    catalogue's own labels), and the map space's 10-NN accuracy against the columns'."""
    art = load_artifacts(artifacts)
    if classes is None:
        classes = art.catalog["label"].astype(str).to_numpy()
    embedding = np.asarray(art.embeddings[art.map_space], dtype=np.float64)
    raw = CatalogStore(dataset).features().astype(np.float64)
    scaled = ColumnScaler.fit(raw).transform(raw)[:, : raw.shape[1]]  # logged where heavy-tailed, standardised
    missing = ~np.isfinite(raw)
    scaled[missing] = np.broadcast_to(np.nanmedian(np.where(missing, np.nan, scaled), axis=0), scaled.shape)[missing]
    return {
        "clusters": art.manifest["clusters"] | {"n_clusters": int(art.catalog["cluster"].max() + 1)},
        "cluster_ari": float(adjusted_rand_score(classes, art.catalog["cluster"])),
        "knn_map_space_cosine": knn_accuracy(embedding / np.linalg.norm(embedding, axis=1, keepdims=True), classes),
        "knn_columns_euclidean": knn_accuracy(scaled, classes),
        "representation": json.loads((Path(art.manifest["model"]["path"]) / "config.json").read_text())[
            "representation"
        ],
    }


if __name__ == "__main__":
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data") / "linear-catalogue-work")
