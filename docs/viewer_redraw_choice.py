"""Whether the picture encoder should be trained with its views drawn again in another stretch (``redraw``,
:mod:`astrodisc.learn.galaxy_augment`), measured on choice skies only (writes docs/viewer-redraw-choice.json).

Picture encoders, each given as a model folder, read 600 picture files per choice sky (seeds 8, 9, 10 on 128-px
stamps; none of them held out), saved as a user would save them and imported with defaults, in three drawings:
the Legacy Survey viewer's alone; the three viewers' mixed in one set; and a drawing none of the encoders was
trained on (Lupton's asinh with a softer stretch, ``UNSEEN_LUPTON``), standing in for a viewer whose drawing is
not known. Scores as in docs/viewer_rendering_choice.py: probe accuracy, AUC of "spiral", precision@10.

The encoders of the committed JSON, each ``astrodisc train --dataset data/galaxies-viewer-demo --objective moco
--seed 0 --batch-size 256 --patience 5 --epochs N`` with the redraw of its name: ``viewer-before`` none (the shipped
encoder of commit a539ee1, N = 20); ``viewer-redraw`` strength 0.3 with each channel's gain also varied by
exp(U(-0.15, 0.15)) per view, drawn before the rotation (N = 20); ``viewer-redraw15`` the same at 0.15 (N = 20)
and ``viewer-redraw-e18`` at 0.3 (N = 18), both drawn on the crop; ``viewer-grey`` today's redraw (black level and
stretch, no channel gains; N = 18), bit for bit the ``galaxies-viewer-moco`` of commit 97b5974. The variants were
trained with ``COMPOSITE_REDRAW`` and ``redraw`` edited accordingly (the gains multiplied the redrawn values by
exp(U(-s/2, s/2)) per channel); only today's is in the code.

    python docs/viewer_redraw_choice.py viewer-before viewer-redraw viewer-redraw15 viewer-redraw-e18 viewer-grey
"""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

from viewer_rendering_choice import N_FILES, files_scores

from astrodisc.data import pictures
from astrodisc.data.pictures import Style
from astrodisc.data.sim.galaxies import GalaxySimConfig, simulate_galaxies

SKY_SEEDS = (8, 9, 10)
STAMP_PX = 128
UNSEEN_LUPTON = {"LUPTON_STRETCH": 1.0, "LUPTON_Q": 3.0}  # vs the shipped drawing's 0.3 nanomaggy and Q 8
# (name, drawings, whether the lupton drawing is the unseen one)
DRAWINGS: tuple[tuple[str, tuple[Style, ...], bool], ...] = (
    ("legacy", ("legacy",), False),
    ("mixed", ("lupton", "legacy", "sdss"), False),
    ("unseen", ("lupton",), True),
)


def drawings_scores(models: list[Path]) -> dict:
    """Every set read by every model: the models, the sets' rows and, per drawing, each model's means over the
    skies (the JSON's content)."""
    if len({m.name for m in models}) < len(models):
        raise SystemExit("models are told apart by their folders' names: give each a folder of its own name")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in SKY_SEEDS:
            sky = Path(tmp) / f"sky-{seed}"
            simulate_galaxies(GalaxySimConfig(n=N_FILES, seed=seed, stamp_px=STAMP_PX), sky, progress=False)
            for name, styles, unseen in DRAWINGS:
                with mock.patch.multiple(pictures, **UNSEEN_LUPTON) if unseen else nullcontext():
                    read = files_scores(sky, Path(tmp) / f"{seed}-{name}", styles, models)
                row = {"sky_seed": seed, "drawing": name} | read
                rows.append(row)
                print(json.dumps(row), flush=True)
    means = {
        name: {
            m.name: {
                k: sum(r[m.name][k] for r in rows if r["drawing"] == name) / len(SKY_SEEDS) for k in rows[0][m.name]
            }
            for m in models
        }
        for name, _, _ in DRAWINGS
    }
    return {
        "models": {m.name: str(m) for m in models},
        "n_files": N_FILES,
        "unseen_lupton": UNSEEN_LUPTON,
        "means": means,
        "sets": rows,
    }


def write_choice(name: str, models: list[str]) -> None:
    """:func:`drawings_scores` of the model folders ``models`` as the JSON ``name`` beside this script."""
    result = drawings_scores([Path(m) for m in models])
    Path(__file__).with_name(name).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    write_choice("viewer-redraw-choice.json", sys.argv[1:])
