"""Plotly figures of the app: light curves (raw and folded), periodogram, spectrum, the embedding map, and the
summaries of groups of objects (a median folded light curve, per-group scatter plots and histograms).

Pure functions from arrays and tables to ``plotly.graph_objects.Figure``; no Streamlit here, so tests read the
figures' data directly. Magnitudes always increase downward (reversed y axis), as astronomers plot them.

The map figure carries, in every trace, ``customdata`` = the catalogue row index of each point, so a click or
a lasso selection on the page maps back to objects::

    fig = map_figure(catalog, "label")
    rows = fig.data[0].customdata   # catalogue rows of the first class's points
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, qualitative

from astrodisc.chain.density_map import DENSITY_ABOVE, density_image, lod_sample
from astrodisc.data.period_search import brightest_epoch, fold
from astrodisc.data.varstars import LightCurve

if TYPE_CHECKING:
    from astrodisc.data.period_search import PeriodSearch
    from astrodisc.discover.subclasses import FoldedProfile

CATEGORICAL_COLUMNS: tuple[str, ...] = ("label", "cluster", "pred_label")
# Categories in colours told apart with any colour vision: Okabe & Ito's (2008) seven (black left out, the marks'
# colour), then CARTO's colour-blind-safe "Safe" set; beyond that, Plotly's larger sets (colours then repeat in hue
# but categories stay apart by position, and the legend names them). Numeric columns use Viridis.
OKABE_ITO: tuple[str, ...] = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
PALETTE: tuple[str, ...] = OKABE_ITO + tuple(qualitative.Safe) + tuple(qualitative.Dark24)
MISSING_COLOR = "#b0b0b0"
NOISE_CLUSTER = -1  # HDBSCAN's label for points in no cluster
MAP_POINT_SIZE = 5
MAP_AXES = ("umap_x", "umap_y")
MapExtent = tuple[tuple[float, float], tuple[float, float]]  # ((x0, x1), (y0, y1)) [map units]
PERIODOGRAM_POINTS = 4000  # most points a periodogram figure draws
_MARGIN = dict(l=10, r=10, t=40, b=10)


# Every chart's modebar: no Plotly logo, and the camera button saves an SVG (vector, for a paper; Plotly draws WebGL
# traces such as the map's points into it as a picture), named after the chart; the mouse wheel zooms every chart.
CHART_CONFIG = {
    "displaylogo": False,
    "scrollZoom": True,
    "toImageButtonOptions": {"format": "svg", "filename": "astrodisc-chart"},
}


def is_categorical(catalog: pd.DataFrame, column: str) -> bool:
    """Whether ``column`` is coloured by category (labels, clusters, strings, booleans) rather than a colour scale."""
    dtype = catalog[column].dtype
    return (
        column in CATEGORICAL_COLUMNS or not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    )


def category_names(values: pd.Series, column: str) -> pd.Series:
    """Display names of categories: missing values become "unlabelled", HDBSCAN's -1 cluster "noise". Each
    distinct value is named once (a map of 10^6 objects is redrawn on every click)."""
    codes, uniques = pd.factorize(values)  # code -1: missing
    missing = "noise" if column == "cluster" else "unlabelled"
    if column == "cluster":
        names = [missing if int(v) == NOISE_CLUSTER else f"cluster {int(v)}" for v in uniques]
    else:
        names = [str(v) for v in uniques]
    return pd.Series(np.array(names + [missing], dtype=object)[codes], index=values.index)


def category_colors(names: pd.Series) -> dict[str, str]:
    """Colour of each category in ``names`` (display names, see :func:`category_names`), in drawing order:
    grey "unlabelled"/"noise" first (underneath), then the palette by category size, largest first."""
    counts = names.value_counts(sort=True)
    grey = [n for n in counts.index if n in ("unlabelled", "noise")]
    others = [n for n in counts.index if n not in grey]
    return {**{n: MISSING_COLOR for n in grey}, **{n: PALETTE[i % len(PALETTE)] for i, n in enumerate(others)}}


def _hover_text(catalog: pd.DataFrame, color_by: str) -> np.ndarray:
    label = category_names(catalog["label"], "label") if "label" in catalog else pd.Series("", index=catalog.index)
    text = catalog["object_id"].astype(str) + "<br>label: " + label
    if color_by not in ("object_id", "label"):
        values = catalog[color_by]
        if pd.api.types.is_float_dtype(values.dtype):
            values = values.map(lambda v: f"{v:.4g}")
        text = text + f"<br>{color_by}: " + values.astype(str)
    return text.to_numpy()


def drawn_points(catalog: pd.DataFrame, density_above: int = DENSITY_ABOVE) -> pd.DataFrame:
    """The rows of ``catalog`` :func:`map_figure` draws as markers (what a click, box or lasso can select): all of
    them, or above ``density_above`` objects the seeded sample laid over the density image."""
    return lod_sample(catalog) if len(catalog) > density_above else catalog


def map_figure(
    catalog: pd.DataFrame,
    color_by: str,
    *,
    thumbnails: Sequence[tuple[int, str]] = (),
    thumbnail_size: tuple[float, float] = (0.0, 0.0),
    point_opacity: float = 1.0,
    axes: tuple[str, str] = MAP_AXES,
    axis_titles: tuple[str, str] = ("UMAP 1", "UMAP 2"),
    reversed_axes: tuple[bool, bool] = (False, False),
    ranges: MapExtent | None = None,
    height: int = 620,
    density_above: int = DENSITY_ABOVE,
    meta: str | None = None,
) -> go.Figure:
    """The 2-D embedding map (``umap_x``, ``umap_y``) of ``catalog`` drawn with WebGL (``go.Scattergl``), or any
    other pair of its columns (``axes``; ``reversed_axes`` for a sky view with east left or a magnitude axis).
    The marks of a click (the selected object, its neighbours, a box/lasso selection) are not in the figure:
    :mod:`astrodisc.app.map_marks` draws them over it in the browser, so the figure stays the same from one click
    to the next and the chart is not redrawn. Plotly's own selection styling is switched off (nothing dims).

    Args:
        catalog: the objects to draw; its index is the row of each object in the full catalogue (a filtered
            catalogue keeps the rows of the full one) and goes into every trace's ``customdata``.
        color_by: a catalogue column. Categorical columns (label, cluster, pred_label, strings) give one trace
            per category: grey "unlabelled"/"noise" first (drawn underneath), then the others by size; numeric
            columns give one trace on a Viridis scale, highest values drawn last (on top), plus a grey trace of
            objects without a value.
        thumbnails: (catalogue row, image URI) pairs drawn as pictures centred on their points, under the
            markers (which stay clickable), fitted into a box of ``thumbnail_size``
            (width, height) map units, so they grow as the user zooms in.
        point_opacity: opacity of the objects' markers (lowered over pictures, so the pictures show through).
        density_above: more objects than this are drawn as a density image of all of them under a clickable
            sample of ``astrodisc.chain.density_map.LOD_POINTS`` markers (:mod:`astrodisc.chain.density_map`).
        meta: the layout's ``meta``, a token by which the page's marks find this chart in the browser.
        ranges: the region shown at first (a zoom), else all of it. Over pictures no grid is drawn.
    """
    fig = go.Figure()
    dense = len(catalog) > density_above
    points = drawn_points(catalog, density_above)
    if is_categorical(catalog, color_by):
        names = category_names(catalog[color_by], color_by)
        point_names = names.loc[points.index].to_numpy()
        for name, color in category_colors(names).items():
            part = points[point_names == name]
            fig.add_trace(_points(part, name, _hover_text(part, color_by), dict(color=color), axes=axes))
    else:
        values = pd.to_numeric(points[color_by], errors="coerce")
        known = points.loc[values[values.notna()].sort_values(kind="stable").index]  # highest drawn on top
        marker = dict(
            color=values[known.index].to_numpy(dtype=float),
            colorscale="Viridis",
            showscale=True,
            colorbar=dict(title=dict(text=color_by), thickness=12),
        )
        fig.add_trace(_points(known, color_by, _hover_text(known, color_by), marker, axes=axes))
        missing = points[values.isna()]
        if len(missing):
            fig.add_trace(
                _points(missing, f"no {color_by}", _hover_text(missing, color_by), dict(color=MISSING_COLOR), axes=axes)
            )
    fig.update_traces(
        marker_opacity=point_opacity, selected_marker_opacity=point_opacity, unselected_marker_opacity=point_opacity
    )
    fig.update_layout(
        images=[
            dict(
                source=uri,
                xref="x",
                yref="y",
                x=float(catalog.at[row, axes[0]]),
                y=float(catalog.at[row, axes[1]]),
                sizex=thumbnail_size[0],
                sizey=thumbnail_size[1],
                xanchor="center",
                yanchor="middle",
                layer="below",
                sizing="contain",
            )
            for row, uri in thumbnails
            if row in catalog.index
        ]
        + ([_density_layer(catalog, axes)] if dense else [])
    )
    fig.update_layout(
        height=height,
        margin=_MARGIN,
        uirevision=axes[0],
        clickmode="event+select",
        hovermode="closest",
        meta=meta,
        legend=dict(
            itemsizing="constant",
            title=dict(text=color_by),
            orientation="h",
            yanchor="bottom",
            y=1.01,
            x=0,
            xanchor="left",
        ),
        xaxis=_axis(axis_titles[0], reversed_axes[0], None if ranges is None else ranges[0], not thumbnails),
        yaxis=_axis(axis_titles[1], reversed_axes[1], None if ranges is None else ranges[1], not thumbnails),
    )
    return fig


def _axis(title: str, reversed_axis: bool, extent: tuple[float, float] | None, grid: bool) -> dict:
    """A map axis: its title, reversed or not, over ``extent`` (else the data's), with or without grid lines."""
    axis: dict = dict(title=title, zeroline=False, showgrid=grid)
    if extent is None:
        axis["autorange"] = "reversed" if reversed_axis else True
    else:
        axis["range"] = list(extent[::-1] if reversed_axis else extent)
    return axis


def _density_layer(catalog: pd.DataFrame, axes: tuple[str, str]) -> dict:
    """The layout image of the density of all of ``catalog``'s points on ``axes``, stretched over their extent."""
    image = density_image(catalog[axes[0]].to_numpy(dtype=float), catalog[axes[1]].to_numpy(dtype=float))
    return dict(
        source=image.uri,
        xref="x",
        yref="y",
        x=image.x0,
        y=image.y1,
        sizex=image.width,
        sizey=image.height,
        xanchor="left",
        yanchor="top",
        layer="below",
        sizing="stretch",
    )


def map_extent(catalog: pd.DataFrame) -> MapExtent:
    """((x0, x1), (y0, y1)) [map units]: the extent of ``catalog``'s map positions."""
    xy = catalog[list(MAP_AXES)].to_numpy(dtype=float)
    low, high = xy.min(axis=0), xy.max(axis=0)
    return (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))


def thumbnail_rows(catalog: pd.DataFrame, cells: int, extent: MapExtent | None = None) -> list[int]:
    """One catalogue row per occupied cell of a ``cells`` x ``cells`` grid over ``extent`` (a zoomed region; by
    default the map extent of ``catalog``): the object nearest its cell's centre (a picture mosaic of the map, or
    of the region in view, that covers every populated part of it). Objects outside ``extent`` get none."""
    if catalog.empty:
        return []
    (x0, x1), (y0, y1) = extent or map_extent(catalog)
    xy = catalog[list(MAP_AXES)].to_numpy(dtype=float)
    low, span = np.array([x0, y0]), np.maximum(np.array([x1 - x0, y1 - y0]), 1e-12)
    cell = (xy - low) / span * cells
    inside = np.flatnonzero(((cell >= 0) & (cell <= cells)).all(axis=1))
    cell = np.minimum(cell[inside], cells - 1e-9)
    index = np.floor(cell).astype(int)
    offset = np.linalg.norm(cell - index - 0.5, axis=1)
    key = index[:, 0] * cells + index[:, 1]
    order = np.lexsort((offset, key))  # by cell, nearest the centre first
    first = inside[order[np.r_[True, key[order][1:] != key[order][:-1]]]] if len(inside) else inside
    return [int(r) for r in catalog.index.to_numpy()[first]]


def thumbnail_box(catalog: pd.DataFrame, cells: int, extent: MapExtent | None = None) -> tuple[float, float]:
    """(width, height) [map units] of a picture filling most of one cell of the ``thumbnail_rows`` grid."""
    if catalog.empty:
        return 0.0, 0.0
    (x0, x1), (y0, y1) = extent or map_extent(catalog)
    return 0.9 * (x1 - x0) / cells, 0.9 * (y1 - y0) / cells


def _points(
    part: pd.DataFrame,
    name: str,
    text: np.ndarray,
    marker: dict,
    symbol: str = "circle",
    axes: tuple[str, str] = MAP_AXES,
) -> go.Scattergl:
    marker = {"size": MAP_POINT_SIZE, "symbol": symbol, **marker}
    return go.Scattergl(
        x=part[axes[0]].to_numpy(dtype=float),
        y=part[axes[1]].to_numpy(dtype=float),
        mode="markers",
        name=name,
        marker=marker,
        customdata=part.index.to_numpy(dtype=np.int64),
        text=text,
        hovertemplate="%{text}<extra></extra>",
    )


def band_color(band_index: int) -> str:
    return PALETTE[band_index % len(PALETTE)]


def _mag_layout(fig: go.Figure, x_title: str, mag_system: str, title: str | None, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=_MARGIN,
        title=dict(text=title) if title else None,
        xaxis=dict(title=x_title),
        yaxis=dict(title=f"magnitude [{mag_system}]", autorange="reversed"),
        showlegend=True,
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"),
    )
    return fig


def lightcurve_figure(
    lc: LightCurve,
    bands: Sequence[str],
    *,
    time_system: str = "HJD",
    mag_system: str = "Vega",
    title: str | None = None,
    height: int = 300,
) -> go.Figure:
    """Raw light curve: time [days] vs magnitude (increasing downward) with 1-sigma error bars, one trace per band.

    Times of Julian-date size are drawn relative to a round offset (e.g. "HJD − 2458000") so ticks stay legible.
    """
    offset = time_offset(lc.time)
    fig = go.Figure()
    for b in np.unique(lc.band):
        part = lc.in_band(int(b))
        fig.add_trace(
            go.Scatter(
                x=part.time - offset,
                y=part.mag,
                mode="markers",
                name=bands[int(b)],
                marker=dict(size=4, color=band_color(int(b))),
                error_y=dict(type="data", array=part.mag_err, thickness=0.8, width=0, color=band_color(int(b))),
            )
        )
    x_title = f"time [{time_system} − {offset:.0f}, days]" if offset else f"time [{time_system}, days]"
    return _mag_layout(fig, x_title, mag_system, title, height)


def time_offset(time: np.ndarray) -> float:
    """A round offset [days] (multiple of 1000) below the first epoch of a Julian-date light curve, else 0."""
    finite = np.asarray(time, dtype=float)[np.isfinite(time)]
    if not len(finite) or finite.min() < 10_000:
        return 0.0
    return float(np.floor(finite.min() / 1000.0) * 1000.0)


def folded_figure(
    lc: LightCurve,
    bands: Sequence[str],
    period: float,
    *,
    epoch: float | None = None,
    mag_system: str = "Vega",
    title: str | None = None,
    height: int = 300,
    compact: bool = False,
) -> go.Figure:
    """Light curve folded on ``period`` [days], drawn over phase 0-2 (every epoch twice) with mags downward.

    ``epoch`` [days] sets phase 0; by default the brightest epoch, so maximum light sits at phase 0 and 1.
    ``compact`` gives a small figure without error bars, axis titles or legend (for neighbour thumbnails).
    """
    if epoch is None and np.isfinite(lc.mag).any():
        epoch = brightest_epoch(lc.time, lc.mag)
    fig = go.Figure()
    for b in np.unique(lc.band):
        part = lc.in_band(int(b))
        phase = fold(part.time, period, epoch)
        error = (
            None
            if compact
            else dict(
                type="data",
                array=np.concatenate([part.mag_err, part.mag_err]),
                thickness=0.8,
                width=0,
                color=band_color(int(b)),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([phase, phase + 1.0]),
                y=np.concatenate([part.mag, part.mag]),
                mode="markers",
                name=bands[int(b)],
                marker=dict(size=3 if compact else 4, color=band_color(int(b))),
                error_y=error,
            )
        )
    if title is None and not compact:
        title = f"folded on P = {period:.6g} d"
    fig = _mag_layout(fig, "phase", mag_system, title, height)
    fig.update_xaxes(range=[0.0, 2.0])
    if compact:
        fig.update_layout(showlegend=False, margin=dict(l=4, r=4, t=4, b=4))
        fig.update_xaxes(title=None, showticklabels=False)
        fig.update_yaxes(title=None, showticklabels=False)
    return fig


def periodogram_figure(search: PeriodSearch, chosen_period: float | None = None, *, height: int = 260) -> go.Figure:
    """Lomb-Scargle power against period [days] (log axis), with the best, half, double and chosen periods marked
    by vertical line traces named after them.

    A periodogram longer than ``PERIODOGRAM_POINTS`` is drawn as its upper envelope (``PeriodSearch.envelope``:
    no peak is lost), so the browser gets a few thousand points.
    """
    drawn = search.envelope(PERIODOGRAM_POINTS)
    frequency, power = np.asarray(drawn.frequency, dtype=float), np.asarray(drawn.power, dtype=float)
    fig = go.Figure(
        go.Scatter(
            x=1.0 / frequency,
            y=power,
            mode="lines",
            name="power",
            showlegend=False,
            line=dict(width=1, color="#444444"),
        )
    )
    top = float(np.nanmax(power)) if len(power) else 1.0
    marks = dict(search.candidates)
    if chosen_period is not None:
        marks["chosen"] = float(chosen_period)
    styles = {"best": "#e4002b", "half": "#1f77b4", "double": "#2ca02c", "chosen": "#111111"}
    for name, p in marks.items():  # vertical markers as traces: shapes and annotations differ on log axes
        fig.add_trace(
            go.Scatter(
                x=[p, p],
                y=[0.0, 1.05 * top],
                mode="lines",
                name=f"{name} {p:.4g} d",
                line=dict(color=styles.get(name, "#888888"), width=1.5, dash="solid" if name == "chosen" else "dot"),
                hovertemplate=f"{name}: %{{x:.6g}} d<extra></extra>",
            )
        )
    fig.update_layout(
        height=height,
        margin=_MARGIN,
        xaxis=dict(title="period [days]", type="log"),
        yaxis=dict(title="Lomb-Scargle power", range=[0.0, 1.1 * top]),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, xanchor="left"),
    )
    return fig


def spectrum_figure(
    wavelength: np.ndarray,
    flux: np.ndarray,
    flux_err: np.ndarray,
    *,
    title: str | None = None,
    height: int = 280,
    color: str = "#1f77b4",
    y_title: str = "flux",
) -> go.Figure:
    """Spectrum: flux against wavelength [Angstrom] with a shaded 1-sigma band in ``color``; NaN pixels leave
    gaps."""
    wavelength = np.asarray(wavelength, dtype=float)
    flux = np.asarray(flux, dtype=float)
    err = np.nan_to_num(np.asarray(flux_err, dtype=float), nan=0.0)
    fig = go.Figure(
        _band(wavelength, flux - err, flux + err, color, ("flux - 1σ", "flux + 1σ"))
        + [
            go.Scatter(x=wavelength, y=flux, mode="lines", line=dict(width=1, color=color), name="flux"),
        ]
    )
    fig.update_layout(
        height=height,
        margin=_MARGIN,
        title=dict(text=title) if title else None,
        showlegend=False,
        xaxis=dict(title="wavelength [Å]"),
        yaxis=dict(title=y_title),
    )
    return fig


def folded_profile_figure(
    profile: FoldedProfile, *, color: str = PALETTE[0], title: str | None = None, height: int = 260
) -> go.Figure:
    """A group's median folded light curve: the median normalised magnitude per phase bin and its 16-84 % band
    over the members, drawn over phase 0-2 with 0 (each member's maximum light) at the top."""
    phase = np.concatenate([profile.phase, profile.phase + 1.0])
    twice = [np.concatenate([a, a]) for a in (profile.median, profile.low, profile.high)]
    fig = go.Figure(
        _band(phase, twice[1], twice[2], color, ("16 %", "84 %"))
        + [
            go.Scatter(
                x=phase,
                y=twice[0],
                mode="lines+markers",
                line=dict(width=2, color=color),
                marker=dict(size=3, color=color),
                name="median",
            ),
        ]
    )
    fig.update_layout(
        height=height,
        margin=_MARGIN,
        title=dict(text=title) if title else None,
        showlegend=False,
        xaxis=dict(title="phase", range=[0.0, 2.0]),
        yaxis=dict(title="normalised magnitude", autorange="reversed"),
    )
    return fig


def group_scatter_figure(
    x: pd.Series,
    y: pd.Series,
    groups: pd.Series,
    colors: dict[str, str],
    *,
    x_title: str,
    y_title: str,
    log_x: bool = False,
    height: int = 320,
) -> go.Figure:
    """``y`` against ``x`` (Series sharing the catalogue-row index of ``groups``), one trace per group of
    ``colors`` (name -> colour, in drawing order), ``customdata`` = catalogue row; points without both values
    (or with x <= 0 on a log axis) are left out."""
    x, y = pd.to_numeric(x, errors="coerce"), pd.to_numeric(y, errors="coerce")
    shown = x.notna() & y.notna()
    if log_x:
        shown &= x > 0
    fig = go.Figure()
    for name, color in colors.items():
        part = shown & (groups == name)
        fig.add_trace(
            go.Scatter(
                x=x[part].to_numpy(dtype=float),
                y=y[part].to_numpy(dtype=float),
                mode="markers",
                name=name,
                customdata=x.index[part].to_numpy(),
                marker=dict(size=5, color=color, opacity=0.7),
            )
        )
    fig.update_layout(
        height=height,
        margin=_MARGIN,
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        xaxis=dict(title=x_title, type="log" if log_x else "linear"),
        yaxis=dict(title=y_title),
    )
    return fig


def group_histogram_figure(
    values: pd.Series, groups: pd.Series, colors: dict[str, str], *, x_title: str, bins: int = 30, height: int = 260
) -> go.Figure:
    """Overlaid histograms of ``values`` (a Series sharing the index of ``groups``), one per group of ``colors``
    (name -> colour), on shared bins over the finite values, each normalised to a sum of 1 so groups of
    different size compare."""
    values = pd.to_numeric(values, errors="coerce")
    finite = values[np.isfinite(values.to_numpy(dtype=float))]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    size = (high - low) / bins if high > low else 1.0
    fig = go.Figure(
        [
            go.Histogram(
                x=finite[groups[finite.index] == name].to_numpy(dtype=float),
                name=name,
                histnorm="probability",
                xbins=dict(start=low, end=high + size, size=size),
                marker=dict(color=color),
                opacity=0.55,
            )
            for name, color in colors.items()
        ]
    )
    fig.update_layout(
        height=height,
        margin=_MARGIN,
        barmode="overlay",
        showlegend=False,
        xaxis=dict(title=x_title),
        yaxis=dict(title="share of members"),
    )
    return fig


def _band(x: np.ndarray, low: np.ndarray, high: np.ndarray, color: str, names: tuple[str, str]) -> list[go.Scatter]:
    """Two traces shading ``low``..``high`` along ``x`` in translucent ``color`` (hex): the upper edge, then the
    lower one filled up to it; ``names`` = (lower, upper)."""
    red, green, blue = hex_to_rgb(color)
    return [
        go.Scatter(x=x, y=high, mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=False, name=names[1]),
        go.Scatter(
            x=x,
            y=low,
            mode="lines",
            line=dict(width=0),
            fill="tonexty",
            fillcolor=f"rgba({red},{green},{blue},0.25)",
            hoverinfo="skip",
            showlegend=False,
            name=names[0],
        ),
    ]
