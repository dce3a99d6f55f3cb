"""Read a built artifact set (see :mod:`astrodisc.chain.build`): catalog, embeddings, indexes, manifest.

Embeddings are memory-mapped, so opening a survey of millions costs only the catalog and the
indexes. Example::

    art = load_artifacts(Path("data/varstars-demo/varstars-clip"))
    rows, scores = art.neighbours("fused", row=0, k=10)                 # most similar objects
    rows, scores = art.neighbours("spectra", 0, 10, query_space="photometry")  # cross-modal
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import pandas as pd

from astrodisc.chain.index import load_index, search
from astrodisc.data.store import CATALOG_ADDED_COLUMNS
from astrodisc.errors import UserError

CLUSTER_LAYOUT_FILE = "cluster_layout.npy"  # under stages/: the build's clustering layout (astrodisc.chain.clusters)
SCALE_SAMPLE = 5_000  # objects whose nearest-pair similarity sets the common similarity scale of a space


@dataclass(frozen=True)
class Artifacts:
    """One complete artifact set; row i of the catalog is row i of every embedding and index."""

    root: Path
    manifest: dict
    catalog: pd.DataFrame  # (N rows) objects.parquet columns + CATALOG_ADDED_COLUMNS
    embeddings: dict[str, np.ndarray]  # space -> (N, D) float32 memmap, unit rows
    indexes: dict[str, faiss.Index]  # space -> inner-product index over those rows

    @property
    def spaces(self) -> tuple[str, ...]:
        return tuple(self.embeddings)

    @functools.cached_property
    def _rows_by_id(self) -> pd.Index:
        """The catalogue's object ids as strings, hashed once (a lookup per click at 10^6 rows)."""
        return pd.Index(self.catalog["object_id"].astype(str).to_numpy())

    def row_of(self, object_id: str) -> int | None:
        """Catalogue row of the object ``object_id`` (its first, were ids repeated), None if there is none."""
        position = self._rows_by_id.get_indexer_for([str(object_id)])[0]
        return None if position < 0 else int(self.catalog.index[position])

    @functools.cached_property
    def cluster_layout(self) -> np.ndarray:
        """(N, d) float32 memmap of the layout the build's clusters and sub-clusters were found in
        (:mod:`astrodisc.chain.clusters`); a UserError for a set built before it was kept."""
        path = self.root / "stages" / CLUSTER_LAYOUT_FILE
        if not path.is_file():
            raise UserError(f"{self.root.name} was built before clusters kept their layout: build it again")
        return np.load(path, mmap_mode="r")

    @property
    def map_space(self) -> str:
        """The space the build mapped, clustered and voted in (as its manifest records)."""
        return self.manifest["stages"]["map"]["inputs"]["space"]

    def neighbours(
        self, space: str, row: int, k: int, query_space: str | None = None, min_separation_arcsec: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` objects most similar to object ``row`` in ``space``, the object itself excluded.

        With ``query_space`` the query is the object's vector in that space, searched in the index of
        ``space`` (cross-modal search; the two spaces must share a dimension, as CLIP spaces do).
        With ``min_separation_arcsec`` > 0, objects closer than that on the sky (catalogue ra/dec [deg]) are
        dropped: the same galaxy imaged twice is not a look-alike.
        Returns ``rows`` (k,) int64 catalog rows and ``scores`` (k,) float32 cosine similarities,
        best first.
        """
        query_space = space if query_space is None else query_space
        for name in (space, query_space):
            if name not in self.indexes:
                raise UserError(f"unknown space {name!r}: this build has {', '.join(self.spaces)}")
        if not 0 <= row < len(self.catalog):
            raise UserError(f"row {row} is outside the catalog of {len(self.catalog)} objects")
        query = self.embeddings[query_space][row]
        if query.shape[0] != self.indexes[space].d:
            raise UserError(
                f"spaces {query_space!r} (D={query.shape[0]}) and {space!r} "
                f"(D={self.indexes[space].d}) are not one shared space"
            )
        asked = k
        while True:
            scores, ids = search(self.indexes[space], query, asked, exclude=np.array([row]))
            found = ids[0] >= 0
            rows, scores = ids[0][found], scores[0][found]
            if min_separation_arcsec > 0:
                far = self._separation_arcsec(row, rows) >= min_separation_arcsec
                rows, scores = rows[far], scores[far]
            if len(rows) >= k or found.sum() < asked:  # enough, or the index has no more
                return rows[:k], scores[:k]
            asked *= 2

    def nearest_pair_scale(self, space: str, sample: int = SCALE_SAMPLE, seed: int = 0) -> np.ndarray:
        """(m,) sorted cosine similarities of ``sample`` objects (seeded; all if fewer) to their nearest other
        object in ``space``: what "close" means there. Cosine values are not comparable between spaces (a
        spectra space may put every pair above 0.9, a metadata space few), so a similarity is said on this
        common scale as the share of the survey's nearest pairs it beats (:func:`nearest_pair_share`)."""
        n = len(self.catalog)
        rows = np.sort(np.random.default_rng(seed).choice(n, size=min(sample, n), replace=False))
        scores, _ = search(self.indexes[space], np.asarray(self.embeddings[space])[rows], 1, exclude=rows)
        found = scores[:, 0]
        return np.sort(found[np.isfinite(found)])

    def _separation_arcsec(self, row: int, rows: np.ndarray) -> np.ndarray:
        """(len(rows),) angular separations [arcsec] of catalogue ``rows`` from ``row``; no ra/dec: infinite."""
        if not {"ra", "dec"} <= set(self.catalog.columns):
            return np.full(len(rows), np.inf)
        ra = np.radians(self.catalog["ra"].to_numpy(dtype=float))
        dec = np.radians(self.catalog["dec"].to_numpy(dtype=float))
        from astropy.coordinates import angular_separation  # noqa: PLC0415 - astropy loads in ~0.5 s; not on the map's first draw

        separation = angular_separation(ra[row], dec[row], ra[rows], dec[rows])
        return np.nan_to_num(np.degrees(separation) * 3600.0, nan=np.inf)


def nearest_pair_share(scale: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(k,) share in [0, 1] of a space's nearest pairs (``scale``, sorted, from
    :meth:`Artifacts.nearest_pair_scale`) less alike than each cosine similarity of ``scores`` (k,)."""
    if not len(scale):
        return np.full(len(scores), np.nan)
    return np.searchsorted(scale, np.asarray(scores, dtype=float), side="left") / len(scale)


def load_artifacts(out_dir: Path) -> Artifacts:
    """Open the artifact set in ``out_dir``; a missing or inconsistent part is a UserError naming it.

    ``out_dir`` is normally a link that a build replaces atomically (see :mod:`astrodisc.chain.build`): it is
    resolved once and every file is read from that one version, so the set read is never a mixture of
    two builds. Should a build publish (and remove this version) while it is read, the new one is read."""
    root = Path(out_dir)
    version = root.resolve()
    while True:
        try:
            return _load_version(root, version)
        except (OSError, UserError):
            if root.resolve() == version:
                raise
            version = root.resolve()


def _load_version(root: Path, version: Path) -> Artifacts:
    """The artifact set of ``root`` read from the folder ``version`` it resolves to; messages name ``root``."""
    manifest_path = version / "manifest.json"
    if not manifest_path.is_file():
        raise UserError(f"no complete artifact set in {root} (manifest.json missing): run `astrodisc build`")
    try:
        manifest = json.loads(manifest_path.read_text())
        spaces = list(manifest["spaces"])
    except (json.JSONDecodeError, KeyError, TypeError):
        raise UserError(f"unreadable manifest.json in {root}: rebuild with `astrodisc build`") from None
    files = [Path("catalog.parquet")] + [
        Path(sub) / f"{s}.{ext}" for s in spaces for sub, ext in (("embeddings", "npy"), ("index", "faiss"))
    ]
    missing = [str(p) for p in files if not (version / p).is_file()]
    if missing:
        raise UserError(f"incomplete artifact set in {root}: missing {', '.join(missing)}")
    catalog = pd.read_parquet(version / "catalog.parquet")
    absent = [c for c in ("object_id",) + CATALOG_ADDED_COLUMNS if c not in catalog.columns]
    if absent:
        raise UserError(
            f"catalog.parquet in {root} lacks columns {', '.join(absent)}: "
            "rebuild with `astrodisc build` (only the stages that changed rerun)"
        )
    embeddings = {s: np.load(version / "embeddings" / f"{s}.npy", mmap_mode="r") for s in spaces}
    indexes = {s: load_index(version / "index" / f"{s}.faiss") for s in spaces}
    for s in spaces:
        if not len(catalog) == len(embeddings[s]) == indexes[s].ntotal:
            raise UserError(
                f"space {s!r} in {root} has {len(embeddings[s])} embeddings and {indexes[s].ntotal} "
                f"indexed rows for {len(catalog)} catalog rows: rebuild with `astrodisc build`"
            )
    return Artifacts(root, manifest, catalog, embeddings, indexes)
