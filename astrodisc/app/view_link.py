"""A map view as URL query parameters, so a link opens the same view: dataset, model, colouring, filters,
the selected object, its panel (neighbour space, k, period choice), the map's zoom and the selection (a saved
subset's name, a box or lasso polygon, or a picked cluster), never a list of ids.

    ?dataset=varstars-demo&model=varstars-clip&colour=period&classes=M,SR&range=amplitude:0.5:3&object=SIM-000042
    &space=spectra&k=12&period=lomb-scargle:2P&zoom=-1.5:4.2:0.3:6&lasso=1.2,3.4;2.5,3.6;2.1,5

Reading is forgiving, because links outlive builds: a parameter naming a column or class this catalogue lacks
is dropped with a note for the page to show, never an error. Reading is bounded: a parameter whose name or
value is longer than ``MAX_VALUE_CHARS`` is refused whole before any use (:func:`overlong`; app.py drops it from
every link with a one-line note), so no link value costs more than a few microseconds to parse or a short line
to show. Pure functions of mappings and tables; the pages do the reading and writing of ``st.query_params``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

DATASET, MODEL, COLOUR, CLASSES, RANGE, OBJECT, SUBSET = (
    "dataset",
    "model",
    "colour",
    "classes",
    "range",
    "object",
    "subset",
)
SPACE, K, PERIOD, ZOOM, LASSO, GROUP = "space", "k", "period", "zoom", "lasso", "group"
KEEP_MISSING = ":keep-missing"  # a range's suffix: objects without a value stay (range=period:1:5:keep-missing)
VIEW_PARAMS: tuple[str, ...] = (COLOUR, CLASSES, RANGE)  # the map view's own parameters (a dataset's columns)
SELECTION_PARAMS: tuple[str, ...] = (LASSO, GROUP)  # how a selection travels (besides a subset's name)
PANEL_PARAMS: tuple[str, ...] = (SPACE, K, PERIOD)  # the object panel's choices
# Everything that belongs to one artifact set's view: dropped when another set is picked.
SET_PARAMS: tuple[str, ...] = (*VIEW_PARAMS, SUBSET, OBJECT, *PANEL_PARAMS, ZOOM, *SELECTION_PARAMS)
PERIOD_SOURCES = {"catalogue": "catalogue", "lomb-scargle": "Lomb–Scargle"}  # link word: the page's choice
POLYGON_VERTICES = 48  # a lasso is written with at most this many vertices (every k-th of the drawn path)
COORDINATE_DIGITS = 5  # significant digits of a map coordinate in a link: 1e-5 of the map's extent
CLASS_SEPARATOR = ","
# Longest link parameter name or value [characters]. The longest value the app writes is ``classes``, the kept
# class names joined by commas: 155 characters for Galaxy10's ten, so 1,024 holds some 100 classes of nine
# characters; object ids (<= 30), subset names (<= 80, subsets.MAX_NAME_LENGTH) and ranges (a column name and two
# numbers, < 100) are far below it. A 1,024-character value parses in microseconds and shows as one line.
MAX_VALUE_CHARS = 1024
SHOWN_NAME_CHARS = 40  # a refused parameter's name is shown cut to this


@dataclass(frozen=True)
class MapView:
    """Colouring and filters of the map: ``classes`` None keeps every class; ``range_column`` None, no range;
    ``keep_missing``: the objects without a value in ``range_column`` stay on the map."""

    colour: str | None = None
    classes: tuple[str, ...] | None = None
    range_column: str | None = None
    low: float | None = None
    high: float | None = None
    keep_missing: bool = False


def to_query(view: MapView) -> dict[str, str]:
    """The query parameters of ``view`` (only those that differ from "everything, default colouring")."""
    query: dict[str, str] = {}
    if view.colour is not None:
        query[COLOUR] = view.colour
    if view.classes is not None:
        query[CLASSES] = CLASS_SEPARATOR.join(view.classes)
    if view.range_column is not None and view.low is not None and view.high is not None:
        suffix = KEEP_MISSING if view.keep_missing else ""
        query[RANGE] = f"{view.range_column}:{view.low:.6g}:{view.high:.6g}{suffix}"
    return query


def from_query(
    params: Mapping[str, str], catalog: pd.DataFrame, class_names: list[str], colours: list[str], numeric: list[str]
) -> tuple[MapView, list[str]]:
    """The view that ``params`` ask for, checked against this catalogue, and a note for each part dropped.

    ``class_names`` are the filterable class names (missing labels as "unlabelled"), ``colours`` the columns
    the map can be coloured by, ``numeric`` the columns a range may be set on.
    """
    notes: list[str] = []
    refused = overlong({name: [value] for name, value in params.items()})
    if refused:
        notes.append(overlong_note(refused))
        params = {name: value for name, value in params.items() if name not in refused}
    colour = params.get(COLOUR)
    if colour is not None and colour not in colours:
        notes.append(f"no column {colour!r} to colour by")
        colour = None
    classes = None
    if params.get(CLASSES):
        asked = [c for c in params[CLASSES].split(CLASS_SEPARATOR) if c]
        unknown = [c for c in asked if c not in class_names]
        if unknown:
            notes.append(f"no class {', '.join(map(repr, unknown))}")
        classes = tuple(c for c in class_names if c in asked)  # the page's order
    range_column = low = high = None
    text = params.get(RANGE) or ""
    keep_missing = text.endswith(KEEP_MISSING)
    if text:
        column, low, high = _parse_range(text.removesuffix(KEEP_MISSING))
        if column is None:
            notes.append(f"unreadable range {params[RANGE]!r} (expected column:low:high)")
        elif column not in numeric:
            notes.append(f"no numeric column {column!r} for a range")
        else:
            values = pd.to_numeric(catalog[column], errors="coerce").to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            if len(values):  # clipped into the slider's extent
                range_column = column
                low, high = (
                    float(np.clip(low, values.min(), values.max())),
                    float(np.clip(high, values.min(), values.max())),
                )
    return MapView(colour, classes, range_column, low, high, keep_missing and range_column is not None), notes


def overlong(params: Mapping[str, Sequence[str]], limit: int = MAX_VALUE_CHARS) -> dict[str, int]:
    """{name: length} of each parameter of ``params`` (name: its values) whose name or any value is longer than
    ``limit`` characters, the length being the longest of them. One ``len`` per value: microseconds whatever
    the values hold.

    >>> overlong({"object": ["SIM-1"], "range": ["x" * 100_000]})
    {'range': 100000}
    """
    lengths = {name: max([len(name), *map(len, values)]) for name, values in params.items()}
    return {name: length for name, length in lengths.items() if length > limit}


def overlong_note(refused: Mapping[str, int], limit: int = MAX_VALUE_CHARS) -> str:
    """One line of plain text naming the parameters :func:`overlong` refused (names cut to SHOWN_NAME_CHARS)."""
    shown = [f"{_cut(name)} ({length:,} characters)" for name, length in refused.items()]
    return f"{', '.join(shown)}: longer than {limit:,} characters"


def _cut(name: str) -> str:
    return name if len(name) <= SHOWN_NAME_CHARS else name[:SHOWN_NAME_CHARS] + "…"


def _parse_range(text: str) -> tuple[str | None, float, float]:
    column, _, bounds = text.rpartition(":")
    column, _, low = column.rpartition(":")
    try:
        low_value, high_value = float(low), float(bounds)
    except ValueError:
        return None, np.nan, np.nan
    if not column or not np.isfinite([low_value, high_value]).all() or low_value > high_value:
        return None, np.nan, np.nan
    return column, low_value, high_value


# ---- the camera, the selection and the object panel -------------------------------------------------------------


@dataclass(frozen=True)
class PanelView:
    """The object panel's choices: neighbour ``space`` and count ``k``; the folded light curve's
    ``period_source`` (a value of PERIOD_SOURCES) and ``period_factor`` ("P", "P/2", "2P"). None: the default."""

    space: str | None = None
    k: int | None = None
    period_source: str | None = None
    period_factor: str | None = None


def panel_to_query(panel: PanelView) -> dict[str, str]:
    """The query parameters of ``panel`` (only the choices made)."""
    query: dict[str, str] = {}
    if panel.space is not None:
        query[SPACE] = panel.space
    if panel.k is not None:
        query[K] = str(panel.k)
    if panel.period_source is not None or panel.period_factor is not None:
        words = {page: word for word, page in PERIOD_SOURCES.items()}
        query[PERIOD] = f"{words.get(panel.period_source or '', '')}:{panel.period_factor or ''}"
    return query


def panel_from_query(
    params: Mapping[str, str], spaces: Sequence[str], max_k: int, factors: Sequence[str]
) -> tuple[PanelView, list[str]]:
    """The panel ``params`` ask for, checked against this set's ``spaces``, k in 1..``max_k`` and the fold
    ``factors``, with a note for each part dropped."""
    notes: list[str] = []
    space = params.get(SPACE)
    if space is not None and space not in spaces:
        notes.append(f"no space {space!r}")
        space = None
    k = None
    if params.get(K) is not None:
        text = params[K]
        if text.isdigit() and 1 <= int(text) <= max_k:
            k = int(text)
        else:
            notes.append(f"k {text!r} is not a whole number from 1 to {max_k}")
    source = factor = None
    if params.get(PERIOD) is not None:
        word, _, factor_text = params[PERIOD].partition(":")
        source = PERIOD_SOURCES.get(word)
        factor = factor_text if factor_text in factors else None
        if (word and source is None) or (factor_text and factor is None):
            notes.append(f"unreadable period choice {params[PERIOD]!r} (expected catalogue|lomb-scargle:P|P/2|2P)")
    return PanelView(space, k, source, factor), notes


def format_zoom(x_range: Sequence[float], y_range: Sequence[float]) -> str:
    """The ``zoom`` value of a map shown over ``x_range`` and ``y_range`` (map units): "x0:x1:y0:y1"."""
    return ":".join(_number(v) for v in (*x_range, *y_range))


def parse_zoom(text: str | None) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """((x0, x1), (y0, y1)) of a ``zoom`` value, None if absent or unreadable (four finite numbers, x0 < x1,
    y0 < y1)."""
    values = _numbers(text or "", ":")
    if values is None or len(values) != 4 or values[0] >= values[1] or values[2] >= values[3]:
        return None
    return (values[0], values[1]), (values[2], values[3])


def format_polygons(polygons: Sequence[np.ndarray]) -> str:
    """The ``lasso`` value of box or lasso polygons of (M, 2) vertices each (map units): "x,y;x,y;…|x,y;…", with
    at most POLYGON_VERTICES vertices in all (every k-th vertex of a longer path), COORDINATE_DIGITS significant
    digits each: at most 48 x 24 characters, well under MAX_VALUE_CHARS."""
    budget = max(3, POLYGON_VERTICES // max(len(polygons), 1))
    parts = []
    for vertices in polygons[: POLYGON_VERTICES // 3]:
        vertices = np.asarray(vertices, dtype=float)
        step = int(np.ceil(len(vertices) / budget)) if len(vertices) else 1
        parts.append(";".join(f"{_number(x)},{_number(y)}" for x, y in vertices[::step]))
    return "|".join(parts)


def parse_polygons(text: str | None) -> list[np.ndarray] | None:
    """The (M, 2) vertices of each polygon of a ``lasso`` value, None if absent or unreadable (each polygon at
    least three finite vertices)."""
    if not text:
        return None
    polygons = []
    for part in text.split("|"):
        vertices = [_numbers(pair, ",") for pair in part.split(";")]
        if len(vertices) < 3 or any(v is None or len(v) != 2 for v in vertices):
            return None
        polygons.append(np.array(vertices, dtype=float))
    return polygons


def box_polygon(x_range: Sequence[float], y_range: Sequence[float]) -> np.ndarray:
    """(4, 2) corners of a box selection."""
    (x0, x1), (y0, y1) = sorted(x_range), sorted(y_range)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)


def inside_polygons(points: np.ndarray, polygons: Sequence[np.ndarray]) -> np.ndarray:
    """(N,) bool: which of (N, 2) ``points`` lie inside any of the polygons of (M, 2) vertices (even-odd rule,
    the rule plotly's lasso selects by); O(N M), one vectorised pass per edge."""
    x, y = np.asarray(points, dtype=float).T
    found = np.zeros(len(x), dtype=bool)
    for vertices in polygons:
        inside = np.zeros(len(x), dtype=bool)
        for (x0, y0), (x1, y1) in zip(vertices, np.roll(vertices, -1, axis=0), strict=True):
            crosses = (y0 > y) != (y1 > y)
            with np.errstate(divide="ignore", invalid="ignore"):
                x_cross = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
            inside ^= crosses & (x < x_cross)
        found |= inside
    return found


def format_group(column: str, value: str) -> str:
    """The ``group`` value of a picked cluster or sub-cluster: "cluster:3", "subcluster:M #0"."""
    return f"{column}:{value}"


def parse_group(text: str | None, columns: Sequence[str]) -> tuple[str, str] | None:
    """(column, value) of a ``group`` value whose column is one of ``columns``, else None."""
    column, _, value = (text or "").partition(":")
    return (column, value) if column in columns and value else None


def _number(value: float) -> str:
    return f"{float(value):.{COORDINATE_DIGITS}g}"


def _numbers(text: str, separator: str) -> list[float] | None:
    try:
        values = [float(part) for part in text.split(separator)]
    except ValueError:
        return None
    return values if np.isfinite(values).all() else None
