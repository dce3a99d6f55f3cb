"""How hard the simulated sky is, measured before any encoder is trained on it.

On a calibration sky (its own seed, never the demo's or the evaluation's): the same ResNet as the
encoders trained from scratch with all labels for photometric redshift and for morphology, beside what
brightness and size alone, or the catalogue's colours, give; and how visible each structure (bars, rings, arm
number, tidal debris) is to a linear probe on the raw pixels' PCA and on the catalogue
(:mod:`astrodisc.eval.galaxy_structure`). Run as
``astrodisc calibrate DATASET [--epochs E] [--out JSON]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.truth import read_truth
from astrodisc.eval.galaxies import pixel_pca
from astrodisc.eval.galaxy_structure import structure_section
from astrodisc.eval.metrics import classification_scores, photo_z_scores
from astrodisc.eval.result import plain_json
from astrodisc.learn.encoders.resnet import ResNetConfig, ResNetEncoder
from astrodisc.learn.fit import TrainConfig
from astrodisc.learn.galaxies import ImageData, head_logits, targets_for, train_head, z_from_logits
from astrodisc.learn.galaxy_augment import AugmentConfig
from astrodisc.learn.splits import split_rows


def _catalogue_features(store: GalaxyStore, size: np.ndarray | None) -> np.ndarray:
    o = store.objects
    columns = [o["mag_r"].to_numpy(), (o["mag_g"] - o["mag_r"]).to_numpy(), (o["mag_r"] - o["mag_z"]).to_numpy()]
    return np.column_stack(columns + ([size] if size is not None else []))


def calibrate(dataset_dir: Path, epochs: int = 30, seed: int = 0, progress: bool = True) -> dict:
    store = GalaxyStore(dataset_dir)
    truth = read_truth(store)
    labels = store.objects["label"].to_numpy(object)
    split = split_rows(store.objects["object_id"].to_numpy(), labels, seed)
    classes = sorted(set(labels))
    z = store.objects["z_spec"].to_numpy(float)
    size = truth["re_arcsec"].to_numpy(float)
    out: dict = {
        "dataset": store.info.name,
        "n": len(store),
        "seed": seed,
        "majority_accuracy": float(np.mean(labels[split.test] == max(classes, key=list(labels).count))),
    }

    def gbm_morphology(x: np.ndarray) -> float:
        clf = HistGradientBoostingClassifier(random_state=seed).fit(x[split.train], labels[split.train])
        return classification_scores(labels[split.test], clf.predict(x[split.test]))["accuracy"]

    out["morphology_from_brightness_and_size"] = gbm_morphology(np.column_stack([store.objects["mag_r"], size]))
    out["morphology_from_catalogue_colours_and_size"] = gbm_morphology(_catalogue_features(store, size))
    colours = _catalogue_features(store, None)
    reg = HistGradientBoostingRegressor(random_state=seed).fit(colours[split.train], z[split.train])
    out["photo_z_from_catalogue_colours"] = photo_z_scores(z[split.test], reg.predict(colours[split.test]))

    data = ImageData(store)
    out["structure"] = plain_json(
        structure_section({"pixel_pca": pixel_pca(data), "catalogue": _catalogue_features(store, size)}, truth)
    )
    aug = AugmentConfig()
    config = TrainConfig(epochs=epochs, batch_size=128, lr=1e-3, patience=5, seed=seed)
    for task, values in (("photo_z", z), ("morphology", labels)):
        torch.manual_seed(seed)
        encoder = ResNetEncoder(ResNetConfig(input_px=aug.crop_px))
        y, n_out = targets_for(task, values, classes)
        head, _ = train_head(encoder, data, task, y, n_out, split.train, split.val, aug, config, progress)
        logits = head_logits(head, data, split.test, aug)
        out[f"{task}_cnn_from_scratch"] = (
            photo_z_scores(z[split.test], z_from_logits(logits))
            if task == "photo_z"
            else classification_scores(labels[split.test], np.array(classes)[logits.argmax(1)])
        )
    return out
