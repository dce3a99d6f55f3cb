"""Simulated OGLE-like catalogues of long-period variables through the catalogue path:
`python docs/lpv_catalogue_clusters.py [WORK_DIR]`.

For each seed, 12,000 Miras, SRVs and OSARGs (:mod:`astrodisc.data.sim.lpv_catalog`; the subtype hidden, not in
the table) go through what a user with only a catalogue runs: `astrodisc import catalog` naming the id/RA/Dec
columns and leaving out the apparent magnitudes I and V, `train` and `build` with the defaults. Per seed: the
build's clusters against the subtypes (ARI), the embedding's criterion on the same build as it clustered before
(HDBSCAN on an 8-D UMAP of the map space), an expert's three-component mixture on log P_1 and log A_1, the 10-NN
subtype accuracy of the map space (cosine) beside Euclidean 10-NN on the columns log-scaled, standardised and
median-filled, and the build's criterion on the same catalogue with three periods listed for every star. Seeds
1-3 chose the criterion (:mod:`astrodisc.chain.column_clusters`); 4-6 were not used for any choice. Writes
docs/lpv-catalogue-clusters.json; about 2 minutes a seed on 2 cores.
"""

import sys
from pathlib import Path

import numpy as np
from linear_as_catalogue import cluster_figures, fresh_work_folder
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from astrodisc.base.atomic import save_json
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.chain.clusters import find_groups
from astrodisc.chain.column_clusters import column_clusters
from astrodisc.chain.subclusters import descriptive_columns
from astrodisc.cli import main
from astrodisc.data.sim.lpv_catalog import simulate_lpv_catalog

DOCS = Path(__file__).resolve().parent
CHOICE_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = (4, 5, 6)
N_STARS = 12_000
SKY = {"RA": "ra", "Dec": "dec"}  # the columns the import is told are the position


def seed_figures(work: Path, seed: int) -> dict:
    """Import, train and build one simulated catalogue in ``work``; its figures (module docstring)."""
    table, subtype = simulate_lpv_catalog(N_STARS, seed)
    table.to_csv(work / "lpv.csv", index=False)
    dataset, model = work / "lpv-catalogue", work / "lpv-model"
    for argv in (
        ["import", "catalog", "--table", str(work / "lpv.csv"), "--out", str(dataset)]
        + ["--id-column", "ID", "--ra-column", "RA", "--dec-column", "Dec", "--exclude-columns", "I,V"],
        ["train", "--dataset", str(dataset), "--out", str(model)],
        ["build", "--dataset", str(dataset), "--model", str(model), "--out", str(dataset / "art")],
    ):
        if main(argv) != 0:
            raise SystemExit(f"astrodisc {argv[0]} failed")
    art = load_artifacts(dataset / "art")
    truth = dict(zip(table["ID"], subtype, strict=True))
    classes = np.array([truth[i] for i in art.catalog["object_id"]])
    embedding_groups, _ = find_groups(np.asarray(art.embeddings[art.map_space]), seed=0)
    period_amplitude = np.log10(table[["P_1", "A_1"]].to_numpy())
    expert = GaussianMixture(3, n_init=3, random_state=0).fit_predict(period_amplitude)
    return cluster_figures(dataset, dataset / "art", classes) | {
        "subtype_counts": {str(k): int(v) for k, v in zip(*np.unique(subtype, return_counts=True), strict=True)},
        "embedding_criterion_ari": float(adjusted_rand_score(classes, embedding_groups.labels)),
        "embedding_criterion_clusters": embedding_groups.n_groups,
        "expert_log_period_amplitude_ari": float(adjusted_rand_score(subtype, expert)),
    }


def every_period_listed_ari(seed: int) -> dict:
    """The build's criterion on the same catalogue with three periods listed for every star (the import and the
    build read the table as :func:`seed_figures` does; the criterion alone is run here): ARI and the columns; ARI
    None where it finds no groups and the build would fall back to the embedding criterion."""
    table, subtype = simulate_lpv_catalog(N_STARS, seed, every_period_listed=True)
    found = column_clusters(descriptive_columns(table.drop(columns=["I", "V"]).rename(columns=SKY)))
    if found is None:  # no groups in the columns: the build would fall back to the embedding criterion
        return {"ari": None, "columns": []}
    return {"ari": float(adjusted_rand_score(subtype, found.groups.labels)), "columns": list(found.columns)}


def run(work: Path) -> None:
    """Redo every seed in ``work`` (:func:`fresh_work_folder`)."""
    fresh_work_folder(work)
    by_seed = {}
    for seed in CHOICE_SEEDS + HELD_OUT_SEEDS:
        (work / str(seed)).mkdir()
        listed = every_period_listed_ari(seed)
        by_seed[str(seed)] = seed_figures(work / str(seed), seed) | {
            "every_period_listed_ari": listed["ari"],
            "every_period_listed_columns": listed["columns"],
        }

    def mean(key: str, seeds: tuple[int, ...]) -> float:
        return float(np.mean([by_seed[str(s)][key] for s in seeds]))

    keys = ("cluster_ari", "embedding_criterion_ari", "expert_log_period_amplitude_ari")
    save_json(
        DOCS / "lpv-catalogue-clusters.json",
        {
            "choice_seeds": list(CHOICE_SEEDS),
            "held_out_seeds": list(HELD_OUT_SEEDS),
            "mean_choice": {k: mean(k, CHOICE_SEEDS) for k in keys},
            "mean_held_out": {k: mean(k, HELD_OUT_SEEDS) for k in keys},
            "by_seed": by_seed,
        },
    )


if __name__ == "__main__":
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data") / "lpv-catalogue-work")
