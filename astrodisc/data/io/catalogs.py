"""Any catalogue table into the catalogue store (:mod:`astrodisc.data.catalogs`): CSV, Parquet, VOTable or a FITS
binary table; positions, ids and labels found by name or given; the numeric columns become the features."""

from __future__ import annotations

import re
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from astrodisc.base.atomic import save_json, save_parquet
from astrodisc.base.gzip_guard import check_unpacked_size
from astrodisc.base.staging import staged_dataset
from astrodisc.base.tables import MAX_TABLE_BYTES, read_table
from astrodisc.data.catalogs import RESERVED
from astrodisc.data.store import DatasetInfo
from astrodisc.errors import UserError

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz")
RA_NAMES = ("ra", "raj2000", "ra_icrs", "radeg", "ra_deg")  # looked for, case-insensitively, without --ra-column
DEC_NAMES = ("dec", "dej2000", "decj2000", "de_icrs", "dec_icrs", "dedeg", "dec_deg")
ID_NAMES = ("object_id", "id", "source_id", "objid", "name")
CLASS_NAMES = ("label", "class")
SERIES_STEMS = frozenset({"p", "per", "period", "a", "amp", "ampl", "amplitude", "f", "freq", "frequency"})


def read_any_table(path: Path, max_bytes: int | None = MAX_TABLE_BYTES) -> pd.DataFrame:
    """A local table file as a DataFrame: FITS binary tables through astropy (multidimensional columns dropped),
    CSV, Parquet and VOTable through :func:`astrodisc.base.tables.read_table`. A file larger on disk than ``max_bytes``
    (None: no limit) is refused from its size alone, before a byte of it is read; so is a CSV whose dialect would
    misread (:mod:`astrodisc.base.csv_dialect`)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no such table file: {path}")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise UserError(
            f"refusing {path.name}: it is {size / 2**20:.0f} MB, more than the {max_bytes / 2**20:.0f} MB "
            "a catalogue table may have; keep the rows and columns you need"
        )
    if path.name.lower().endswith(FITS_SUFFIXES):
        if path.name.lower().endswith(".gz"):
            check_unpacked_size(path)
        from astropy.table import Table  # noqa: PLC0415 - astropy loads in ~0.5 s; not on the map's first draw

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # astropy's header complaints: the file is refused or read anyway
                table = Table.read(path, format="fits")
        except Exception as err:  # noqa: BLE001 - any parser failure is the file's fault, reported in one line
            raise UserError(f"{path.name} is not a readable FITS table: {type(err).__name__}") from None
        table.remove_columns([c for c in table.colnames if table[c].ndim > 1])
        return table.to_pandas()
    return read_table(path.read_bytes(), path.name, max_bytes=None)  # a CSV's dialect checked as it is read


def _find(frame: pd.DataFrame, given: str | None, names: tuple[str, ...]) -> str | None:
    """The column ``given`` (a UserError if absent), else the first of ``names`` present (any case), else None."""
    if given is not None:
        if given not in frame.columns:
            raise UserError(f"no column {given!r} in the table (it has {', '.join(map(str, frame.columns[:12]))}...)")
        return given
    lower = {str(c).lower(): c for c in frame.columns}
    return next((lower[n] for n in names if n in lower), None)


def _as_float(column: pd.Series) -> np.ndarray:
    """Float64 values of a column; non-finite and non-numeric values (inf, masked, NA, text) become NaN."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def _ids(column: pd.Series) -> pd.Series:
    """Object ids as text: integral floats (as CSV gives integer ids next to gaps) lose their ``.0``."""
    if pd.api.types.is_float_dtype(column.dtype) and np.all(np.mod(column.dropna(), 1) == 0):
        column = column.astype("Int64")
    return column.astype(str).str.strip()


def _labels(column: pd.Series) -> pd.Series:
    """Class names as text, None where missing or empty."""
    text = column.astype(object).map(lambda v: v.decode() if isinstance(v, bytes) else v)
    return text.map(lambda v: None if pd.isna(v) else str(v).strip() or None).astype(object)


def is_error_column(name: str) -> bool:
    """Whether a column's name says it holds an uncertainty (``e_*``, ``*_err*``, ``*_error``, ``sigma_*``)."""
    return re.search(r"(^|_)(e|err|error|sigma)(_|$)|_err", name.lower()) is not None


def is_observation_count(name: str) -> bool:
    """Whether a column's name says it counts observations (``nObs``, ``n_epochs``, ``ngood``, ``num_det``): how a
    survey saw the object, not what the object is."""
    return (
        re.fullmatch(
            r"(n|num|number|count)_?(of_)?(obs|observations|epochs|det|detections|points|good|meas)\w*", name.lower()
        )
        is not None
    )


def later_of_a_series(names: list[str]) -> list[str]:
    """The names of a second or later period, amplitude or frequency of a numbered series whose first is also there
    (``P_2`` and ``A_3`` beside ``P_1`` and ``A_1``; ``Per2`` beside ``Per1``; ``freq_2``): catalogues of variable
    stars list a star's secondary periods so, after the primary one that its type is defined by. Other numbered
    columns (``col2``, ``PC3``, ``R21``) are not such a series."""
    present = set(names)
    found = []
    for name in names:
        numbered = re.fullmatch(r"(([A-Za-z]+)[_ ]?)(\d+)", name)
        if numbered and numbered[2].lower() in SERIES_STEMS and int(numbered[3]) >= 2 and f"{numbered[1]}1" in present:
            found.append(name)
    return found


def distance_dependent(names: list[str]) -> list[str]:
    """The names that look like apparent magnitudes or fluxes (``mag``, ``*_mag``, ``phot_g_mean_mag``, ``Vmag``,
    ``magMed``, ``w1``, ``flux_*``, ...): they scale with distance, so they split a map by distance rather than by kind.
    Colours (``bp_rp``, ``j_k``, ``g-r``), errors (``e_*``, ``*_err*``) and absolute magnitudes are not."""
    found = []
    for name in names:
        low = name.lower()
        if is_error_column(name) or re.search(r"color|colour|-|abs", low):
            continue
        if re.fullmatch(r".*mag|mag.*|.*_mag_.*|.*flux.*|w[1-4]|[ugrizyjhkv]s?", low):
            found.append(name)
    return found


def catalog_objects(
    frame: pd.DataFrame,
    *,
    id_column: str | None = None,
    class_column: str | None = None,
    ra_column: str | None = None,
    dec_column: str | None = None,
    columns: tuple[str, ...] | None = None,
    exclude_columns: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, list[str]]:
    """The objects table of a catalogue store made from ``frame``, and notes on what was dropped.

    Columns: object_id (the id column, else ``row<i>``), ra, dec [deg], label (the class column or None), then
    the feature columns as float64 with non-finite values as NaN: ``columns`` if given (each must be numeric),
    else every other numeric or boolean column, less ``exclude_columns``. All-missing columns are dropped with a
    note; a note names the features that look distance-dependent (:func:`distance_dependent`) and how to leave
    them out. No ra/dec, missing ra/dec values, no numeric column, unknown column names or duplicate ids are
    UserErrors.
    """
    frame = frame.reset_index(drop=True)  # rows are matched by position (a Parquet file may carry an index)
    ra, dec = _find(frame, ra_column, RA_NAMES), _find(frame, dec_column, DEC_NAMES)
    if ra is None or dec is None:
        raise UserError(
            f"the table has no ra/dec columns (looked for {'/'.join(RA_NAMES)} and {'/'.join(DEC_NAMES)}): "
            "name them with --ra-column and --dec-column"
        )
    ident, label = _find(frame, id_column, ID_NAMES), _find(frame, class_column, CLASS_NAMES)
    objects = pd.DataFrame(
        {
            "object_id": _ids(frame[ident]) if ident is not None else pd.Series([f"row{i}" for i in range(len(frame))]),
            "ra": _as_float(frame[ra]),
            "dec": _as_float(frame[dec]),
            "label": _labels(frame[label]) if label is not None else None,
        }
    )
    bad_sky = ~(np.isfinite(objects["ra"]) & np.isfinite(objects["dec"]) & (objects["dec"].abs() <= 90))
    if bad_sky.any():
        raise UserError(f"{int(bad_sky.sum())} rows have no valid ra/dec [deg] (first: row {int(np.argmax(bad_sky))})")
    duplicated = objects["object_id"].duplicated()
    if duplicated.any():
        raise UserError(
            f"{int(duplicated.sum())} duplicate object ids in column {ident!r} "
            f"(first: {objects['object_id'][duplicated].iloc[0]!r})"
        )
    notes: list[str] = []
    used = {ra, dec, ident, label}
    numeric = [
        c
        for c in frame.columns
        if c not in used
        and (pd.api.types.is_numeric_dtype(frame[c].dtype) or pd.api.types.is_bool_dtype(frame[c].dtype))
    ]
    skipped = [str(c) for c in frame.columns if c not in used and c not in numeric]
    unknown = [c for c in (*(columns or ()), *exclude_columns) if c not in map(str, frame.columns)]
    if unknown:
        raise UserError(
            f"no column {', '.join(map(repr, unknown))} in the table (it has {', '.join(map(str, frame.columns))})"
        )
    if columns is not None:
        not_numeric = [c for c in columns if c in skipped or c in map(str, used)]
        if not_numeric:
            raise UserError(f"--columns names {', '.join(not_numeric)}: not numeric feature columns")
        numeric = [c for c in numeric if str(c) in columns]
    elif skipped:
        notes.append(f"skipped non-numeric columns: {', '.join(skipped)}")
    numeric = [c for c in numeric if str(c) not in exclude_columns]
    features = {str(c): _as_float(frame[c]) for c in numeric}
    empty = [c for c, v in features.items() if not np.isfinite(v).any()]
    if empty:
        notes.append(f"dropped all-missing columns: {', '.join(empty)}")
    features = {c: v for c, v in features.items() if c not in empty}
    if not features:
        raise UserError("the table has no numeric columns besides ra/dec: nothing to learn from")
    clash = [c for c in features if c.lower() in RESERVED]
    if clash:
        raise UserError(f"columns {', '.join(clash)} clash with names astrodisc uses: rename them in the table")
    distant = distance_dependent(list(features))
    if distant:
        notes.append(
            f"columns that look distance-dependent (apparent magnitudes or fluxes): {', '.join(distant)}; they split "
            f"the map by distance rather than by kind: consider --exclude-columns {','.join(distant)}"
        )
    counts = [c for c in features if is_observation_count(c)]
    if counts:
        notes.append(
            f"columns that count observations: {', '.join(counts)}; they say how often the survey looked, not what "
            f"the object is: consider --exclude-columns {','.join(counts)}"
        )
    return pd.concat([objects, pd.DataFrame(features)], axis=1), notes


def import_catalog(
    table_path: Path,
    out_dir: Path,
    *,
    id_column: str | None = None,
    class_column: str | None = None,
    ra_column: str | None = None,
    dec_column: str | None = None,
    columns: tuple[str, ...] | None = None,
    exclude_columns: tuple[str, ...] = (),
    force: bool = False,
) -> tuple[Path, list[str]]:
    """Write the catalogue store of the table file ``table_path`` to ``out_dir`` (whole or not at all, replacing a
    dataset there only with ``force``: :func:`astrodisc.base.staging.staged_dataset`); returns ``out_dir``
    and the notes of :func:`catalog_objects`."""
    table_path, out_dir = Path(table_path), Path(out_dir)
    with staged_dataset(out_dir, force) as work:
        objects, notes = catalog_objects(
            read_any_table(table_path),
            id_column=id_column,
            class_column=class_column,
            ra_column=ra_column,
            dec_column=dec_column,
            columns=columns,
            exclude_columns=exclude_columns,
        )
        features = [c for c in objects.columns if c not in ("object_id", "ra", "dec", "label")]
        classes = tuple(sorted(objects["label"].dropna().unique()))
        info = DatasetInfo(
            name=out_dir.name,
            kind="catalog",
            classes=classes,
            bands=(),
            encoder_band="",
            time_system="",
            mag_system="",
            source=table_path.name,
            extra={"features": features},
        )
        save_parquet(work / "objects.parquet", objects)
        save_json(work / "dataset.json", asdict(info))
    return out_dir, notes
