"""A small Python API for notebooks: an artifact set opened as a survey, catalogues in and out.

In the spirit of catalogue-in / catalogue-out APIs (Zoobot's predictions are DataFrames): every answer is a
table whose rows are objects, keyed by ``object_id``, carrying the catalogue's columns. Opening reads the
catalogue, memory-maps the embeddings and loads the faiss indexes; it imports neither torch nor UMAP (the
encoders and the map were run by ``astrodisc build``)::

    import astrodisc

    survey = astrodisc.open("data/varstars-demo/varstars-clip")
    survey.catalog                          # DataFrame: one row per object, with umap_x/umap_y, cluster, ...
    survey.table()                          # the same as an astropy Table (for TOPCAT-minded work)
    survey.embeddings["fused"]              # (N, D) float32, unit rows, row i = catalogue row i
    survey.anomaly_scores.nlargest(10)      # Series by object_id, higher = more unusual
    survey.labels()                         # the standing labels people gave (the label database)
    survey.neighbours("SIMV-42-0000613", k=10)              # the 10 most similar objects, best first
    survey.search(survey.embeddings["fused"][0], k=5)        # objects nearest to any unit vector

``docs/api.md`` runs this example end to end.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from astrodisc.chain.artifacts import Artifacts, load_artifacts
from astrodisc.chain.index import search as index_search
from astrodisc.errors import UserError
from astrodisc.labels.database import LabelDB
from astrodisc.paths import labels_path

if TYPE_CHECKING:
    from astropy.table import Table


@dataclass(frozen=True)
class Survey:
    """An opened artifact set: its catalogue, embeddings and indexes, and the label database beside it."""

    artifacts: Artifacts
    labels_path: Path  # the label database (ASTRODISC_LABELS or <data>/labels.sqlite by default)

    @property
    def name(self) -> str:
        """The dataset's name (labels are kept under it)."""
        return str(self.artifacts.manifest["dataset"]["name"])

    @property
    def catalog(self) -> pd.DataFrame:
        """(N rows) the catalogue: the dataset's columns and those the build added (umap_x, umap_y, cluster,
        anomaly_score, mislabel_score, pred_label, ...)."""
        return self.artifacts.catalog

    @property
    def embeddings(self) -> dict[str, np.ndarray]:
        """space -> (N, D) float32 unit rows (memory-mapped, read-only); row i is catalogue row i."""
        return self.artifacts.embeddings

    @property
    def spaces(self) -> tuple[str, ...]:
        return self.artifacts.spaces

    @property
    def anomaly_scores(self) -> pd.Series:
        """The build's anomaly score of every object (higher = more unusual), indexed by object_id."""
        return pd.Series(
            self.catalog["anomaly_score"].to_numpy(), index=self.catalog["object_id"].astype(str), name="anomaly_score"
        )

    def table(self) -> Table:
        """The catalogue as an astropy Table (text columns masked where missing)."""
        from astrodisc.base.tables import astropy_table  # noqa: PLC0415 - astropy only when a Table is asked for

        return astropy_table(self.catalog)

    def labels(self, annotator: str | None = None) -> pd.DataFrame:
        """The standing labels of this dataset (one row per object and annotator; only ``annotator``'s if
        given), from the label database; empty when nobody labelled yet."""
        return LabelDB(self.labels_path).latest(self.name, annotator)

    def neighbours(self, object_id: str, k: int = 10, space: str | None = None) -> pd.DataFrame:
        """The ``k`` objects most similar to ``object_id`` in ``space`` (default: the map's), the object
        itself left out: their catalogue rows with a ``similarity`` column (cosine), best first."""
        row = self.artifacts.row_of(object_id)
        if row is None:
            raise UserError(f"no object {object_id!r} in {self.name}")
        rows, scores = self.artifacts.neighbours(self._space(space), row, k)
        return self._rows(rows, scores)

    def search(self, vector: np.ndarray, k: int = 10, space: str | None = None) -> pd.DataFrame:
        """The ``k`` objects nearest to ``vector`` ((D,), normalised here) in ``space`` (default: the map's):
        their catalogue rows with a ``similarity`` column (cosine), best first."""
        space = self._space(space)
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        dim = self.embeddings[space].shape[1]
        if query.shape[0] != dim or not np.isfinite(query).all() or not np.linalg.norm(query) > 0:
            raise UserError(f"a query of the {space} space is {dim} finite numbers, not all zero")
        scores, ids = index_search(self.artifacts.indexes[space], query / np.linalg.norm(query), k)
        found = ids[0] >= 0
        return self._rows(ids[0][found], scores[0][found])

    def _space(self, space: str | None) -> str:
        space = self.artifacts.map_space if space is None else space
        if space not in self.spaces:
            raise UserError(f"unknown space {space!r}: this build has {', '.join(self.spaces)}")
        return space

    def _rows(self, rows: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
        found = self.catalog.iloc[rows].reset_index(drop=True)
        return found.assign(similarity=np.asarray(scores, dtype=float))


def open(artifacts_dir: str | Path, labels: str | Path | None = None) -> Survey:  # noqa: A001 - astrodisc.open
    """The artifact set built in ``artifacts_dir`` (``astrodisc build --out``), with the label database at
    ``labels`` (default: the app's). A UserError names what is missing or inconsistent."""
    return Survey(load_artifacts(Path(artifacts_dir)), Path(labels) if labels is not None else labels_path())
