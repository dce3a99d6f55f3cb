"""docs/viewer-framing.png: what the picture encoder sees of a few imported viewer pictures — each picture with the
square its galaxy was framed by (yellow), the 64-px stamp the import made of it, and the central 56-px crop the
encoder reads. Shows the first picture of each class of the held-out files:

    astrodisc simulate galaxies --n 10000 --seed 2026 --stamp-px 128 --out data/galaxies-heldout2-wide
    astrodisc simulate viewer --files --n 600 --seed 5 --sky data/galaxies-heldout2-wide \
        --out data/heldout2-viewer-files
    astrodisc import galaxy-folder --source data/heldout2-viewer-files \
        --catalogue data/heldout2-viewer-files/catalogue.csv --out data/heldout2-viewer-imported
    python docs/viewer_framing_figure.py data/heldout2-viewer-files data/heldout2-viewer-imported
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from astrodisc.data.arcs import central
from astrodisc.data.galaxies import GalaxyStore

PANEL_PX = 200
CROP_PX = 56
CAPTION_PX = 18


def figure(files: Path, imported: Path) -> Image.Image:
    """One row per class: the picture file with its frame, the imported stamp, the encoder's crop."""
    store = GalaxyStore(imported)
    objects = store.objects
    rows = [int(np.flatnonzero(objects["label"].to_numpy() == label)[0]) for label in sorted(set(objects["label"]))]
    sheet = Image.new("RGB", (3 * PANEL_PX + 20, len(rows) * (PANEL_PX + CAPTION_PX)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, row in enumerate(rows):
        picture = Image.open(files / objects["file_loc"].iloc[row]).convert("RGB")
        side = picture.width * float(objects["framed_fraction"].iloc[row])
        shown = picture.resize((PANEL_PX, PANEL_PX), Image.Resampling.BICUBIC)
        half = side * PANEL_PX / picture.width / 2
        centre = PANEL_PX / 2
        ImageDraw.Draw(shown).rectangle([centre - half, centre - half, centre + half, centre + half], outline="yellow")
        stamp = np.asarray(store.cutouts[row])
        crop = central(stamp, CROP_PX)
        top = i * (PANEL_PX + CAPTION_PX)
        kind = Path(objects["file_loc"].iloc[row]).suffix[1:].upper()
        caption = (
            f"{objects['label'].iloc[row]}: {picture.width}-px {kind} (yellow: the frame) | the 64-px stamp | "
            f"the encoder's {CROP_PX}-px crop"
        )
        draw.text((2, top + 3), caption, fill="black")
        for j, panel in enumerate(
            (shown, Image.fromarray(stamp.transpose(1, 2, 0)), Image.fromarray(crop.transpose(1, 2, 0)))
        ):
            sheet.paste(
                panel.resize((PANEL_PX, PANEL_PX), Image.Resampling.NEAREST if j else Image.Resampling.BICUBIC),
                (j * (PANEL_PX + 10), top + CAPTION_PX),
            )
    return sheet


if __name__ == "__main__":
    figure(Path(sys.argv[1]), Path(sys.argv[2])).save(Path(__file__).with_name("viewer-framing.png"))
