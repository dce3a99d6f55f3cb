"""The 24 galaxies of the held-out sky (seed 2026) the arc finder ranks first, as it reads them: the central
32 px as a g, r, z composite and the host-nulled S/N image (grey, -2 to +4 sigma), captioned with the finder's
probability and the hidden truth. Writes docs/arc-finder-top.png; needs the held-out build:

    astrodisc simulate galaxies --n 10000 --seed 2026 --out data/galaxies-heldout2
    astrodisc build --dataset data/galaxies-heldout2 --out data/galaxies-heldout2/shipped
    python docs/arc_finder_top.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from astrodisc.app.galaxy_rgb import arc_view
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.data.arcs import ARC_PROBABILITY, PIXEL_SCALE_DEFAULT
from astrodisc.data.galaxies import GalaxyStore

SKY = Path("data/galaxies-heldout2")
CELL, COLUMNS, SHOWN = 120, 4, 24


def main() -> None:
    art = load_artifacts(SKY / "shipped")
    store = GalaxyStore(SKY)
    truth = pd.read_parquet(SKY / "truth.parquet")
    inputs = store.psf_and_sky()
    assert inputs is not None, "the held-out sky's catalogue gives PSF and sky"
    psf, sky = inputs
    probability = art.catalog[ARC_PROBABILITY].to_numpy()
    order = np.argsort(-probability)[:SHOWN]
    sheet = Image.new("RGB", (COLUMNS * (2 * CELL + 8), (SHOWN // COLUMNS) * (CELL + 24)), "white")
    draw = ImageDraw.Draw(sheet)
    for k, row in enumerate(order):
        view = arc_view(np.asarray(store.cutouts[row]), psf[row], sky[row], PIXEL_SCALE_DEFAULT)
        assert view is not None  # the finder ranked it: PSF and sky are measured
        composite = Image.fromarray(view[0]).resize((CELL, CELL), Image.Resampling.NEAREST)
        grey = Image.fromarray(view[1]).convert("RGB")
        x, y = (k % COLUMNS) * (2 * CELL + 8), (k // COLUMNS) * (CELL + 24)
        sheet.paste(composite, (x, y))
        sheet.paste(grey.resize((CELL, CELL), Image.Resampling.NEAREST), (x + CELL, y))
        lens = truth["anomaly"].iloc[row] == "lens"
        caption = f"lens S/N {truth['arc_snr'].iloc[row]:.0f}" if lens else f"{truth['label'].iloc[row]} (no lens)"
        colour = (0, 90, 0) if lens else (160, 0, 0)
        draw.text((x + 4, y + CELL + 5), f"p={probability[row]:.2f} {caption}", fill=colour)
    sheet.save("docs/arc-finder-top.png")
    print(f"{int((truth['anomaly'].iloc[order] == 'lens').sum())} lenses among the first {SHOWN}")


if __name__ == "__main__":
    main()
