"""Whether the picture encoder may train its backbone in bfloat16 (``astrodisc train --bf16``,
:meth:`astrodisc.learn.encoders.resnet.ResNetEncoder.features`), and whether the time it saves buys more epochs:
measured on choice skies only (writes docs/viewer-bf16-choice.json), on the sets and scores of
docs/viewer_redraw_choice.py.

The encoders, each MoCo v2 on two renderings of the demo sky (``astrodisc train --dataset data/galaxies-viewer-demo
--pair-with data/galaxies-viewer-demo-b --out NAME --objective moco --seed 0 --batch-size 256 --patience 5
--epochs N``): ``shipped``, ``models/galaxies-viewer-moco`` (float32, N = 18, 9.8 min); ``bf16-e18``, the same with
``--bf16`` (N = 18, 7.4 min); ``bf16-e25``, with ``--bf16`` and N = 25 (9.9 min, the shipped encoder's time). Each
folder is given under its name here. (These two validated in bfloat16, as the flag first did; their best epochs
were their last, so the validation chose nothing.)

    python docs/viewer_bf16_choice.py shipped bf16-e18 bf16-e25
"""

from __future__ import annotations

import sys

from viewer_redraw_choice import write_choice

if __name__ == "__main__":
    write_choice("viewer-bf16-choice.json", sys.argv[1:])
