"""Which spirals' neighbours are not spirals, among 600 picture files: measured on choice skies only (seeds 8, 9, 10
on 128-px stamps, the Legacy Survey viewer's drawing, imported with defaults, as in docs/viewer_redraw_choice.py).
Writes docs/spiral-neighbours.json — each spiral's same-label share among its 10 cosine neighbours, averaged per
quarter of the spirals' mean r-band surface brightness within the half-light radius,
mu_r = m_r + 2.5 log10(2 pi r_e^2) [mag/arcsec^2] (m_r from the sky's catalogue, r_e from its hidden truth; a
face-on surface brightness) — and docs/spiral-neighbours.png:
the spirals of sky 8 worst served by their neighbours (the lowest shares) in the brightest and in the faintest
quarter, each with its five nearest neighbours as the encoder reads them (the imported 64-px stamps), captioned
with the neighbours' labels.

    python docs/spiral_neighbours.py models/galaxies-viewer-moco
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
from viewer_redraw_choice import SKY_SEEDS, STAMP_PX
from viewer_rendering_choice import N_FILES

from astrodisc.chain.index import build_index, search
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.io.galaxies import import_cutout_folder
from astrodisc.data.sim.galaxies import GalaxySimConfig, simulate_galaxies
from astrodisc.data.sim.viewer import ViewerConfig, write_viewer_files
from astrodisc.data.truth import read_truth
from astrodisc.eval.labelled import NEIGHBOURS
from astrodisc.eval.protocol import unit_rows
from astrodisc.learn.galaxies import ImageData, augment_config_for, encode, load_galaxy_model

SHOWN = 4  # spirals shown per quarter
SHOWN_NEIGHBOURS = 5
TILE_PX = 96
CAPTION_PX = 14


def spirals(sky: Path, imported: Path, model: Path) -> tuple[pd.DataFrame, GalaxyStore, np.ndarray]:
    """Per spiral of an imported set: its row, mu_r, r_e [arcsec], the same-label share of its neighbours and
    their labels (a list); the store; and every object's (N, NEIGHBOURS) neighbour rows."""
    store = GalaxyStore(imported)
    encoder, augment, _ = load_galaxy_model(model)
    data = ImageData(store)
    unit = unit_rows(encode(encoder, data, np.arange(len(store)), augment_config_for(data, augment)))
    _, nearest = search(build_index(unit), unit, NEIGHBOURS, exclude=np.arange(len(unit)))
    labels = store.objects["label"].astype(str).to_numpy()
    simulated = GalaxyStore(sky)
    truth = simulated.objects[["object_id", "mag_r"]].assign(re_arcsec=read_truth(simulated)["re_arcsec"].to_numpy())
    # each file is named by its galaxy's object_id, which the import keeps
    matched = store.objects[["object_id"]].merge(truth, on="object_id", how="left", validate="one_to_one")
    if matched["re_arcsec"].isna().any():
        raise SystemExit(f"{imported.name}: files of galaxies not in {sky.name}")
    table = pd.DataFrame(
        {
            "row": np.arange(len(store)),
            "mu_r": matched["mag_r"] + 2.5 * np.log10(2 * np.pi * matched["re_arcsec"] ** 2),
            "re_arcsec": matched["re_arcsec"],
            "share": (labels[nearest] == labels[:, None]).mean(axis=1),
            "neighbour_labels": list(labels[nearest]),
        }
    )
    return table[labels == "spiral"].reset_index(drop=True), store, nearest


def sheet(table: pd.DataFrame, store: GalaxyStore, nearest: np.ndarray) -> Image.Image:
    """Rows of a spiral and its nearest neighbours: the SHOWN lowest shares of the brightest quarter, then of the
    faintest."""
    labels = store.objects["label"].astype(str).to_numpy()
    quarter = pd.qcut(table["mu_r"], 4, labels=False)
    worst = table.sort_values(["share", "row"])
    chosen = [*worst["row"][quarter == 0][:SHOWN], *worst["row"][quarter == 3][:SHOWN]]
    width = (SHOWN_NEIGHBOURS + 1) * TILE_PX
    image = Image.new("RGB", (width, len(chosen) * (TILE_PX + CAPTION_PX)), "white")
    draw = ImageDraw.Draw(image)
    for i, row in enumerate(chosen):
        top = i * (TILE_PX + CAPTION_PX)
        mu, share = table.loc[table["row"] == row, ["mu_r", "share"]].iloc[0]
        names = ", ".join(labels[nearest[row, :SHOWN_NEIGHBOURS]])
        caption = f"spiral, mu_r {mu:.1f}, {share:.0%} of 10 neighbours spirals | the first five: {names}"
        draw.text((2, top + 1), caption, fill="black")
        for j, shown in enumerate([row, *nearest[row, :SHOWN_NEIGHBOURS]]):
            tile = Image.fromarray(np.asarray(store.cutouts[shown]).transpose(1, 2, 0))
            image.paste(tile.resize((TILE_PX, TILE_PX), Image.Resampling.NEAREST), (j * TILE_PX, top + CAPTION_PX))
    return image


def main(model: Path) -> None:
    """Every choice sky; writes the JSON and the picture beside this script."""
    per_sky = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in SKY_SEEDS:
            sky, files, imported = (Path(tmp) / f"{name}-{seed}" for name in ("sky", "files", "imported"))
            simulate_galaxies(GalaxySimConfig(n=N_FILES, seed=seed, stamp_px=STAMP_PX), sky, progress=False)
            write_viewer_files(sky, files, ViewerConfig(seed=5, styles=("legacy",)), progress=False)
            import_cutout_folder(files, files / "catalogue.csv", imported, progress=False)
            table, store, nearest = spirals(sky, imported, model)
            by_brightness = table.groupby(pd.qcut(table["mu_r"], 4), observed=True)
            by_size = table.groupby(pd.qcut(table["re_arcsec"], 4), observed=True)
            per_sky[str(seed)] = {
                "n_spirals": len(table),
                "precision_at_10_spiral": float(table["share"].mean()),
                "by_mu_r": [
                    {
                        "mu_r": [round(q.left, 2), round(q.right, 2)],
                        "precision_at_10": float(group["share"].mean()),
                        "neighbours": pd.Series(np.concatenate(group["neighbour_labels"].to_list()))
                        .value_counts(normalize=True)
                        .round(3)
                        .to_dict(),
                    }
                    for q, group in by_brightness
                ],
                "by_re_arcsec": [
                    {"re_arcsec": [round(q.left, 2), round(q.right, 2)], "precision_at_10": float(s)}
                    for q, s in by_size["share"].mean().items()
                ],
            }
            print(json.dumps(per_sky[str(seed)]), flush=True)
            if seed == SKY_SEEDS[0]:
                sheet(table, store, nearest).save(Path(__file__).with_name("spiral-neighbours.png"))
    means = {
        key: [float(np.mean([s[key][i]["precision_at_10"] for s in per_sky.values()])) for i in range(4)]
        for key in ("by_mu_r", "by_re_arcsec")
    }
    result = {"model": str(model), "n_files": N_FILES, "drawing": "legacy", "quarter_means": means, "skies": per_sky}
    Path(__file__).with_name("spiral-neighbours.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
