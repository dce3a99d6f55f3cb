"""What every dataset store shares: ``dataset.json`` (DatasetInfo), ``objects.parquet`` read by object id, and the
name of a simulated survey's hidden truth. One module per kind holds the rest of its layout:
:mod:`astrodisc.data.varstars`, :mod:`astrodisc.data.galaxies`, :mod:`astrodisc.data.catalogs`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from astrodisc.errors import UserError

TRUTH_FILE = "truth.parquet"  # hidden truth of a simulated survey: only evaluation may open it
CATALOG_ADDED_COLUMNS: tuple[str, ...] = (
    "umap_x",
    "umap_y",
    "cluster",
    "cluster_prob",
    "subcluster",
    "subcluster_prob",
    "anomaly_score",
    "mislabel_score",
    "pred_label",
    "pred_prob",
    "label_distance",
    "ood",
)  # the columns the build adds to a store's object table (so a store's own columns may not use them)
ANOMALY_RANK_PREFIX = "anomaly_"  # and one anomaly rank per embedding space: anomaly_<space>


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is: written to dataset.json (``kind`` and ``bands`` default to a variable-star survey's)."""

    name: str
    kind: str = "varstars"
    classes: tuple[str, ...] = ()  # the label vocabulary (a variable-star set: data.varstars.CLASSES)
    bands: tuple[str, ...] = ("V",)
    encoder_band: str = "V"  # the band a V-trained light-curve encoder reads
    time_system: str = "HJD"  # heliocentric Julian date, UTC [days]
    mag_system: str = "Vega"
    simulated: bool = False
    seed: int | None = None
    source: str = ""
    extra: dict = field(default_factory=dict)


def read_info(root: Path) -> DatasetInfo:
    """The DatasetInfo of a dataset folder, or a UserError naming what is wrong."""
    path = Path(root) / "dataset.json"
    if not path.is_file():
        raise UserError(f"not an astrodisc dataset (no dataset.json): {root}")
    raw = json.loads(path.read_text())
    raw["classes"] = tuple(raw["classes"])
    raw["bands"] = tuple(raw["bands"])
    return DatasetInfo(**raw)


class ObjectStore:
    """What every store shares: its DatasetInfo (of the subclass's ``kind``) and the object table by id."""

    kind = ""
    kind_name = ""  # in words, for messages

    def __init__(self, root: Path):
        self.root = Path(root)
        self.info = read_info(self.root)
        if self.info.kind != self.kind:
            raise UserError(f"{self.root} holds {self.info.kind}, not {self.kind_name}")

    @cached_property
    def objects(self) -> pd.DataFrame:
        """The object table: object_id, ra, dec [deg], label, then the kind's own columns."""
        return pd.read_parquet(self.root / "objects.parquet")

    @cached_property
    def row_of(self) -> dict[str, int]:
        return {oid: i for i, oid in enumerate(self.objects["object_id"].astype(str))}

    def __len__(self) -> int:
        return len(self.objects)

    def _row(self, object_id: str) -> int:
        try:
            return self.row_of[str(object_id)]
        except KeyError:
            raise UserError(f"unknown object id {object_id!r} in {self.info.name}") from None
