"""Any two catalogue columns against each other (or a column against a map axis), drawn like the map, so a click,
box or lasso there is the map's selection and the map's selection is marked there too.

A positive, heavy-tailed column (periods, amplitudes, fluxes) is offered on a log scale, drawn as log10 of its
values on a linear axis titled "log10 <column>" (the density image and the marks then need no log axis of their
own); a magnitude axis runs bright at the top or right, as astronomers draw it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from astrodisc.app import figures as render
from astrodisc.discover.subclasses import is_colour
from astrodisc.learn.columns import heavy_tailed

X_COLUMN, Y_COLUMN = "_plot_x", "_plot_y"  # the two plotted values, as columns of the plotted frame
MAP_COLUMNS = render.MAP_AXES  # a column may also be a map axis
_ERROR = re.compile(r"(^|_)(e|err|error|sigma)(_|$)|_err")


def is_magnitude(column: str) -> bool:
    """Whether ``column`` holds magnitudes (``mag_r``, ``phot_g_mean_mag``, ``k_mag``): smaller is brighter, so its
    axis is reversed. Colours and magnitude errors are not."""
    low = column.lower()
    return "mag" in low and not _ERROR.search(low) and not is_colour(column)


def logged_by_default(catalog: pd.DataFrame, column: str) -> bool:
    """Whether ``column`` is best read on a log scale: positive and heavy-tailed, and neither a colour nor a
    magnitude (already logarithmic)."""
    if column in MAP_COLUMNS or is_magnitude(column) or is_colour(column):
        return False
    return heavy_tailed(pd.to_numeric(catalog[column], errors="coerce").to_numpy(dtype=float))


def plotted(catalog: pd.DataFrame, x: str, y: str, log_x: bool, log_y: bool) -> tuple[pd.DataFrame, tuple[str, str]]:
    """The rows of ``catalog`` with a finite value to draw on both axes, with the drawn values in X_COLUMN and
    Y_COLUMN (log10 where asked; non-positive values then have none), and the two axis titles."""
    drawn = {}
    titles = []
    for name, column, logged in ((X_COLUMN, x, log_x), (Y_COLUMN, y, log_y)):
        values = pd.to_numeric(catalog[column], errors="coerce").to_numpy(dtype=float)
        if logged:
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.where(values > 0, np.log10(values), np.nan)
        drawn[name] = values
        titles.append(f"log10 {column}" if logged else column)
    keep = np.isfinite(drawn[X_COLUMN]) & np.isfinite(drawn[Y_COLUMN])
    frame = catalog.loc[keep].assign(**{name: values[keep] for name, values in drawn.items()})
    return frame, (titles[0], titles[1])


def column_figure(frame: pd.DataFrame, colour_by: str, titles: tuple[str, str], x: str, y: str, meta: str) -> go.Figure:
    """The plot of :func:`plotted`'s ``frame`` coloured like the map, magnitude axes reversed."""
    return render.map_figure(
        frame,
        colour_by,
        axes=(X_COLUMN, Y_COLUMN),
        axis_titles=titles,
        reversed_axes=(is_magnitude(x), is_magnitude(y)),
        height=460,
        meta=meta,
    )
