"""Whether the picture encoder may train its convolutions in bfloat16 (``astrodisc train --bf16``,
:meth:`astrodisc.learn.encoders.resnet.ResNetEncoder.features`), and whether the time it saves buys more epochs:
measured on choice skies only (writes docs/viewer-bf16-choice.json), on the sets and scores of
docs/viewer_redraw_choice.py.

The encoders, each MoCo v2 on two renderings of the demo sky (``astrodisc train --dataset data/galaxies-viewer-demo
--pair-with data/galaxies-viewer-demo-b --objective moco --seed 0 --batch-size 256 --patience 5``): ``shipped``,
``models/galaxies-viewer-moco`` (float32, 18 epochs, 9.8 min); ``bf16-e18``, the same with ``--bf16`` (18 epochs,
7.4 min); ``bf16-e25``, with ``--bf16 --epochs 25`` (9.9 min, the shipped encoder's time). Each folder is given
under its name here.

    python docs/viewer_bf16_choice.py shipped bf16-e18 bf16-e25
"""

from __future__ import annotations

import sys

from viewer_redraw_choice import write_choice

if __name__ == "__main__":
    write_choice("viewer-bf16-choice.json", sys.argv[1:])
