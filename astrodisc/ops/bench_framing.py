"""How to bring a viewer's picture to the encoder's stamp: the framings measured on simulated viewer pictures.

``astrodisc bench --parts framing``: a simulated sky (``n`` galaxies on 128-px stamps, its own seed, never a
shipped model's data) is drawn as viewer pictures at random requests (:mod:`astrodisc.data.sim.viewer`: pixel
scales 0.1-0.5 arcsec, 128-424 px, three colour drawings, JPEG or PNG) for each seed, and each picture framed two ways
(:func:`astrodisc.data.pictures.to_stamp`): by the galaxy's measured extent, and as the whole picture. For each,
with no encoder at all (so the choice does not depend on one):

- ``pixel_probe_accuracy``: morphology from the stamps' raw pixels (PCA 50, standardised logistic regression,
  stratified 5-fold; :mod:`astrodisc.eval.labelled`), mean and spread over seeds;
- ``size_spread_dex``: the spread (std of log10) of the galaxies' 90 %-light radii in stamp pixels, how unlike
  one another the same kind of galaxy looks to the encoder;

beside the same figures for the central 64 px of the flux stamps drawn directly (``sky``: what the nanomaggy
encoder reads).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

from astrodisc.data.arcs import central
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.io.galaxies import ENCODER_STAMP_PX
from astrodisc.data.pictures import FIELDS, decode_picture, galaxy_extent, to_stamp, viewer_rgb
from astrodisc.data.sim.galaxies import GalaxySimConfig, simulate_galaxies
from astrodisc.data.sim.viewer import ViewerConfig, viewer_pictures
from astrodisc.eval.labelled import kfold_probe

SKY_SEED = 2027  # the measurement's own sky (the demo is 42, the held-out evaluation sky 2026)
SKY_STAMP_PX = 128  # the flux sky's stamps, as the viewer pictures are drawn from


def _figures(stamps: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Pixel-probe accuracy and size spread of (N, 3, S, S) 0-255 stamps."""
    features = PCA(50, random_state=0).fit_transform(stamps.reshape(len(stamps), -1) / 255.0)
    radii = np.array([galaxy_extent(stamp) for stamp in stamps])
    return {
        "pixel_probe_accuracy": kfold_probe(features, labels).metrics["accuracy"].mean,
        "size_spread_dex": float(np.std(np.log10(radii))),
    }


def framing_figures(workdir: Path, n: int = 2000, seeds: tuple[int, ...] = (0, 1, 2)) -> dict:
    """The framings' figures (see the module docstring) as a JSON-ready dict."""
    sky_dir = Path(workdir) / f"framing-sky-{n}-{SKY_STAMP_PX}"
    if not (sky_dir / "dataset.json").is_file():
        simulate_galaxies(GalaxySimConfig(n=n, seed=SKY_SEED, stamp_px=SKY_STAMP_PX), sky_dir, progress=False)
    sky = GalaxyStore(sky_dir)
    labels = sky.objects["label"].astype(str).to_numpy()
    direct = np.stack([viewer_rgb(c).transpose(2, 0, 1) for c in central(sky.cutouts, ENCODER_STAMP_PX)]).astype(
        np.float32
    )
    out: dict = {"n": n, "sky_seed": SKY_SEED, "seeds": list(seeds), "sky": _figures(direct, labels)}
    runs: dict[str, list[dict[str, float]]] = {field: [] for field in FIELDS}
    for seed in seeds:
        pictures = [decode_picture(data) for data in viewer_pictures(sky, ViewerConfig(seed=seed))]
        for field in FIELDS:
            stamps = np.stack([to_stamp(p, ENCODER_STAMP_PX, field)[0] for p in pictures])
            runs[field].append(_figures(np.clip(stamps, 0, 255), labels))
    for name, figures in runs.items():
        out[name] = {
            key: {"mean": float(np.mean([f[key] for f in figures])), "std": float(np.std([f[key] for f in figures]))}
            for key in figures[0]
        }
    return out
