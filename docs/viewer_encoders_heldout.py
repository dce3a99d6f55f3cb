"""Picture encoders side by side on the held-out pictures (writes docs/viewer-encoders-heldout.json), from their
frozen evaluations: for each encoder, ``astrodisc build --dataset D --model <encoder> --out D/<name>`` and
``astrodisc evaluate --artifacts D/<name> --frozen --out <json>`` on the 10,000 held-out viewer pictures (the
store) and on the 600 held-out picture files as imported (docs/galaxies.md says how both are made).

    python docs/viewer_encoders_heldout.py NAME=STORE_EVAL.json,FILES_EVAL.json [NAME=...]

The committed JSON: ``session-18``, the encoder of commit ed63047 (trained on the 64-px rendering);
``session-19``, that of commit a539ee1 (128-px rendering, three drawings); ``session-20``, that of commit 97b5974
(with redrawn views); ``shipped``, today's (each pair one view from each of two renderings).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DATASETS = {
    "store": "galaxies-heldout2-viewer (10,000 pictures)",
    "files": "heldout2-viewer-imported (600 files, imported)",
}


def figures(evaluation: dict) -> dict:
    """The probe, spiral AUC and neighbour precision of the embedding and the pixels' PCA, the morphology probe
    per label fraction and, where the truth has them, the structure features' AUCs."""
    out: dict = {}
    for space in ("embedding", "pixel_pca"):
        labelled = evaluation["labelled"][space]
        out[space] = {
            "probe_accuracy": labelled["probe"]["accuracy"]["mean"],
            "auc_spiral": labelled["probe"]["auc_spiral"]["mean"],
            "precision_at_10": labelled["precision_at_10"],
        }
    morphology = evaluation["morphology"]
    for arm in ("probe", "pixel_pca"):
        out[f"morphology_{arm}"] = {f: cell["accuracy"]["mean"] for f, cell in morphology[arm].items()}
    structure = evaluation.get("structure", {})
    features = {k: v for k, v in structure.items() if isinstance(v, dict) and "auc" in v.get("embedding", {})}
    if features:
        out["structure_auc"] = {
            k: {space: v[space]["auc"]["mean"] for space in ("embedding", "pixel_pca")} for k, v in features.items()
        }
    return out


def main(pairs: list[str]) -> None:
    """Each NAME=STORE,FILES pair read; writes the JSON beside this script."""
    result: dict = {"note": __doc__.split("\n\n")[0].replace("\n", " "), "datasets": DATASETS}
    for pair in pairs:
        name, paths = pair.split("=", 1)
        store, files = paths.split(",")
        result[name] = {
            "store": figures(json.loads(Path(store).read_text())),
            "files": figures(json.loads(Path(files).read_text())),
        }
    Path(__file__).with_name("viewer-encoders-heldout.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
