"""A map view as URL query parameters, so a link opens the same view: dataset, model, colouring, filters,
the selected object and a saved subset.

    ?dataset=varstars-demo&model=varstars-clip&colour=period&classes=M,SR&range=amplitude:0.5:3&object=SIM-000042

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
KEEP_MISSING = ":keep-missing"  # a range's suffix: objects without a value stay (range=period:1:5:keep-missing)
VIEW_PARAMS: tuple[str, ...] = (COLOUR, CLASSES, RANGE)  # the map view's own parameters (a dataset's columns)
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
