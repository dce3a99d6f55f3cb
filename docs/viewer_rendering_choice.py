"""How the picture encoder's training rendering was chosen, measured on choice skies only (writes
docs/viewer-rendering-choice.json).

Two picture encoders, each given as a model folder: the one trained on the previous rendering (64-px flux stamps,
so a large galaxy's light stops at a square edge, all drawn in Lupton's style) and the one trained on the new
rendering (128-px stamps, each picture in one of the three viewers' drawings). Each reads 600 picture files per
choice sky (seeds 8, 9, 10; none of them held out), drawn as a user would save them and imported with defaults:
the standardised logistic probe over 5 stratified folds (accuracy, one-vs-rest AUC of "spiral") and the cosine
neighbours' same-label precision@10 (all classes; spirals). Also, per sky, the share of flux stamps that cut their
galaxy's light at the stamp's edge (``edge_light``).

    mkdir viewer-old && for f in weights.pt config.json; do
        git show ed63047:models/galaxies-viewer-moco/$f > viewer-old/$f; done
    python docs/viewer_rendering_choice.py viewer-old models/galaxies-viewer-moco
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.io.galaxies import import_cutout_folder
from astrodisc.data.pictures import Style
from astrodisc.data.sim.galaxies import GalaxySimConfig, simulate_galaxies
from astrodisc.data.sim.viewer import ViewerConfig, write_viewer_files
from astrodisc.eval.labelled import kfold_probe, neighbour_precision
from astrodisc.learn.galaxies import ImageData, augment_config_for, encode, load_galaxy_model

N_FILES = 600
# (sky seed, flux stamp side [px], the drawings the pictures are made in)
SETS: tuple[tuple[int, int, tuple[Style, ...]], ...] = (
    (8, 64, ("lupton",)),  # the previous rendering
    (8, 64, ("legacy",)),
    (9, 128, ("legacy",)),
    (9, 128, ("lupton", "legacy", "sdss")),
    (10, 128, ("legacy",)),
    (10, 128, ("lupton", "legacy", "sdss")),
)


def edge_light(sky: GalaxyStore, snr: float = 20.0) -> dict[str, float]:
    """The share of a flux sky's stamps, in all and per class, whose outermost 2 px hold r-band light above
    ``snr`` times its noise: the galaxies a stamp of that size cuts at a square edge."""
    band = list(sky.info.bands).index("r")
    r = np.asarray(sky.cutouts[:, band])
    ring = np.ones(r.shape[1:], bool)
    ring[2:-2, 2:-2] = False
    signal = r[:, ring].sum(axis=1) / (sky.sky_sigma()[:, band] * np.sqrt(ring.sum()))
    cut = signal > snr
    labels = sky.objects["label"].astype(str).to_numpy()
    return {"all": float(cut.mean())} | {c: float(cut[labels == c].mean()) for c in sorted(set(labels))}


def scores(model_dir: Path, store: GalaxyStore) -> dict[str, float]:
    """Probe accuracy, AUC of "spiral" and precision@10 (all; spirals) of a picture encoder on an imported set."""
    encoder, augment, _ = load_galaxy_model(model_dir)
    data = ImageData(store)
    features = encode(encoder, data, np.arange(len(store)), augment_config_for(data, augment))
    labels = store.objects["label"].astype(str).to_numpy()
    probe = kfold_probe(features.astype(np.float64), labels)
    neighbours = neighbour_precision(features, labels)
    return {
        "accuracy": probe.metrics["accuracy"].mean,
        "auc_spiral": probe.metrics["auc_spiral"].mean,
        "precision_at_10": neighbours["all"],
        "precision_at_10_spiral": neighbours["spiral"],
    }


def files_scores(sky: Path, work: Path, styles: tuple[Style, ...], models: list[Path]) -> dict[str, dict[str, float]]:
    """Per model (by its folder's name), :func:`scores` on N_FILES picture files drawn from ``sky`` in ``styles``
    (request seed 5) and imported with defaults, both written under ``work``."""
    files, imported = work / "files", work / "imported"
    write_viewer_files(sky, files, ViewerConfig(seed=5, styles=styles), progress=False)
    import_cutout_folder(files, files / "catalogue.csv", imported, progress=False)
    store = GalaxyStore(imported)
    return {model.name: scores(model, store) for model in models}


def main(models: list[Path]) -> None:
    """Every choice set read by every model; writes the JSON beside this script."""
    rows = []
    cut: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed, stamp_px, styles in SETS:
            sky = Path(tmp) / f"sky-{seed}-{stamp_px}"
            if not sky.exists():
                simulate_galaxies(GalaxySimConfig(n=N_FILES, seed=seed, stamp_px=stamp_px), sky, progress=False)
                cut[sky.name] = edge_light(GalaxyStore(sky))
            row = {"sky_seed": seed, "stamp_px": stamp_px, "styles": list(styles)}
            row |= files_scores(sky, Path(tmp) / f"{seed}-{'-'.join(styles)}", styles, models)
            rows.append(row)
            print(json.dumps(row), flush=True)
    out = Path(__file__).with_name("viewer-rendering-choice.json")
    result = {"models": {m.name: str(m) for m in models}, "n_files": N_FILES, "edge_light_snr_20": cut, "sets": rows}
    out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:]])
