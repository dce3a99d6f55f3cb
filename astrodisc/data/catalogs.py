"""The catalogue-only dataset store: any table with ra/dec and numeric columns, whose numeric columns are the
one modality (``metadata``) a tabular encoder (:mod:`astrodisc.learn.catalogs`) learns from.

Layout of a dataset folder::

    dataset.json          DatasetInfo(kind="catalog"); ``extra["features"]`` lists the numeric columns in order
    objects.parquet       one row per object: object_id, ra, dec [deg, as the table gives them], label (or null),
                          then the feature columns (float64, NaN = missing; units those of the source table)

Written by :func:`astrodisc.data.io.catalogs.import_catalog` from CSV, Parquet, VOTable or a FITS binary table.
Example::

    out, notes = import_catalog(Path("gaia_sample.fits"), Path("data/gaia"), class_column="class")
    store = CatalogStore(out)
    x = store.features()  # (N, F) float32, NaN where missing
"""

from __future__ import annotations

import numpy as np

from astrodisc.data.store import CATALOG_ADDED_COLUMNS, ObjectStore

RESERVED = ("object_id", "ra", "dec", "label") + CATALOG_ADDED_COLUMNS  # names the store and the build use


class CatalogStore(ObjectStore):
    """Read-only access to a catalogue dataset folder."""

    kind, kind_name = "catalog", "a catalogue"

    @property
    def feature_columns(self) -> tuple[str, ...]:
        return tuple(self.info.extra["features"])

    def features(self) -> np.ndarray:
        """(N, F) float32 feature values in the order of ``feature_columns``; NaN where missing."""
        return self.objects[list(self.feature_columns)].to_numpy(np.float32, na_value=np.nan)
