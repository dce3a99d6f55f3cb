"""The marks of a click drawn over the map in the browser: the selected object's star, its neighbours' rings
and the box/lasso selection's squares, without touching the map's figure.

Streamlit remounts a plotly chart whenever its figure changes (the element's id hashes the figure), and a
remount rebuilds the chart's WebGL context: 0.2-0.6 s in software-rendered chromium whatever the number of
points, on every click. So the map page keeps its figure from click to click and draws the marks with this
small component instead: an SVG layer laid over the plot area of the chart whose layout ``meta`` is the
page's token, placed in data coordinates through the chart's own axes and redrawn on every zoom, pan or
redraw of the chart (plotly's afterplot, relayout and relayouting events). A mark is clickable: a click on a
ring or the star opens that object (the component's ``open`` trigger), as a click on a marker does.

The same component carries the chart's zoom, which plotly keeps in the browser: each zoom or pan ends in the
component's ``zoom`` state ([x0, x1, y0, y1] in map units, None when the chart is back to its full extent), so a
link can hold it; a zoom handed to the component is applied once to each newly drawn chart, so a link's zoom
comes back without the figure (shared by every session showing the view) carrying it::

    marks = map_marks(shown, neighbour_rows=[3, 17], selected_row=5)
    draw_marks("map_marks", meta="map-1", marks=marks, on_open=open_row)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import pandas as pd
import streamlit as st

from astrodisc.app.figures import MAP_AXES

# The component's script: find the chart by its layout meta, keep one SVG layer over its plot area, redraw the
# marks whenever plotly redraws (zoom, pan, resize) or new marks arrive. Axis pixel positions come from the
# chart's full layout (xaxis._offset + xaxis.l2p(x)), as plotly places its own markers.
_JS = r"""
const SVG = 'http://www.w3.org/2000/svg';
const STYLE = {
  selection: {size: 9, stroke: '#ff7f0e', fill: 'none', width: 1.5},
  neighbour: {size: 11, stroke: '#111111', fill: 'none', width: 1.5},
  selected: {size: 18, stroke: 'white', fill: '#e4002b', width: 1.5},
};

function chartOf(meta) {
  return [...document.querySelectorAll('.js-plotly-plot')].find(
    gd => gd._fullLayout && gd._fullLayout.meta === meta && gd.isConnected);
}

function star(r) {
  const points = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 ? 0.4 * r : r, angle = Math.PI / 5 * i - Math.PI / 2;
    points.push(`${(radius * Math.cos(angle)).toFixed(2)},${(radius * Math.sin(angle)).toFixed(2)}`);
  }
  return `M${points.join('L')}Z`;
}

function shape(mark) {
  const style = STYLE[mark.kind], r = style.size / 2;
  let node;
  if (mark.kind === 'selection') {
    node = document.createElementNS(SVG, 'rect');
    node.setAttribute('x', -r); node.setAttribute('y', -r);
    node.setAttribute('width', 2 * r); node.setAttribute('height', 2 * r);
  } else if (mark.kind === 'neighbour') {
    node = document.createElementNS(SVG, 'circle');
    node.setAttribute('r', r);
  } else {
    node = document.createElementNS(SVG, 'path');
    node.setAttribute('d', star(r));
  }
  node.setAttribute('fill', style.fill); node.setAttribute('stroke', style.stroke);
  node.setAttribute('stroke-width', style.width);
  return node;
}

// The clicked galaxy's picture under its star: centred on it, the size of a mosaic tile.
function pictureNode(xa, ya, mark, picture) {
  const node = document.createElementNS(SVG, 'image');
  const width = Math.abs(xa.l2p(mark.x + picture.width / 2) - xa.l2p(mark.x - picture.width / 2));
  const height = Math.abs(ya.l2p(mark.y + picture.height / 2) - ya.l2p(mark.y - picture.height / 2));
  node.setAttribute('href', picture.uri);
  node.setAttribute('x', xa._offset + xa.l2p(mark.x) - width / 2);
  node.setAttribute('y', ya._offset + ya.l2p(mark.y) - height / 2);
  node.setAttribute('width', width); node.setAttribute('height', height);
  node.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  node.setAttribute('class', 'astrodisc-picture');
  return node;
}

function draw(gd, marks, open, picture) {
  const full = gd._fullLayout, xa = full.xaxis, ya = full.yaxis;
  let layer = gd.querySelector('svg.astrodisc-marks');
  if (!layer) {
    layer = document.createElementNS(SVG, 'svg');
    layer.setAttribute('class', 'astrodisc-marks');
    layer.style.cssText = 'position:absolute;left:0;top:0;pointer-events:none;';
    gd.querySelector('.svg-container').appendChild(layer);
  }
  layer.setAttribute('width', full.width); layer.setAttribute('height', full.height);
  layer.replaceChildren();
  for (const mark of marks) {
    const x = xa._offset + xa.l2p(mark.x), y = ya._offset + ya.l2p(mark.y);
    if (!(x >= xa._offset && x <= xa._offset + xa._length && y >= ya._offset && y <= ya._offset + ya._length)) {
      continue;  // outside the plot area (zoomed away)
    }
    if (mark.kind === 'selected' && picture) layer.appendChild(pictureNode(xa, ya, mark, picture));
    const node = shape(mark);
    node.setAttribute('transform', `translate(${x.toFixed(1)},${y.toFixed(1)})`);
    node.setAttribute('class', `astrodisc-mark ${mark.kind}`);
    node.dataset.row = mark.row;
    node.style.pointerEvents = 'visiblePainted';
    node.style.cursor = 'pointer';
    const title = document.createElementNS(SVG, 'title');
    title.textContent = mark.label;
    node.appendChild(title);
    node.addEventListener('click', () => open(mark.row));
    layer.appendChild(node);
  }
}

// The chart's zoom after a relayout that moved an axis: [x0, x1, y0, y1], or null at the full extent.
function zoomOf(gd, change) {
  if (!Object.keys(change || {}).some(k => /^[xy]axis\.(range|autorange)/.test(k))) return undefined;
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  return xa.autorange && ya.autorange ? null : [...xa.range, ...ya.range].map(Number);
}

export default function (component) {
  const { data, setTriggerValue, setStateValue } = component;
  const open = row => setTriggerValue('open', row);
  let tries = 0;
  const attach = () => {
    const gd = chartOf(data.meta);
    if (!gd || !gd._fullLayout.xaxis || !gd.querySelector('.svg-container')) {
      if (tries++ < 200) setTimeout(attach, 50);  // the chart is still being drawn: look again
      return;
    }
    gd.__astrodiscMarks = () => draw(gd, data.marks, open, data.picture);  // the latest marks
    gd.__astrodiscZoom = change => {
      const zoom = data.report_zoom ? zoomOf(gd, change) : undefined;
      if (zoom !== undefined) setStateValue('zoom', zoom);
    };
    if (!gd.__astrodiscHooked) {
      gd.__astrodiscHooked = true;
      for (const event of ['plotly_afterplot', 'plotly_relayout', 'plotly_relayouting']) {
        gd.on(event, () => gd.__astrodiscMarks());
      }
      gd.on('plotly_relayout', change => gd.__astrodiscZoom(change));
      if (data.zoom && window.Plotly) {  // a new chart: the zoom the link holds
        window.Plotly.relayout(gd, {'xaxis.range': data.zoom.slice(0, 2), 'yaxis.range': data.zoom.slice(2, 4)});
      }
    }
    gd.__astrodiscMarks();
  };
  attach();
}
"""

_COMPONENT = st.components.v2.component("astrodisc_map_marks", js=_JS, isolate_styles=False)


@dataclass(frozen=True)
class Mark:
    """One mark: the catalogue ``row`` it stands for, its map position (x, y) [map units], its ``kind``
    ("selection", "neighbour" or "selected") and ``label`` (the object id, shown as the mark's tooltip)."""

    row: int
    x: float
    y: float
    kind: str
    label: str


def map_marks(
    catalog: pd.DataFrame,
    neighbour_rows: Sequence[int] = (),
    selected_row: int | None = None,
    marked_rows: Sequence[int] = (),
    axes: tuple[str, str] = MAP_AXES,
) -> list[Mark]:
    """The marks over a map of ``catalog`` (its index: catalogue rows) on ``axes``, in drawing order: the
    box/lasso selection (``marked_rows``), the neighbours (``neighbour_rows``), then the selected object.
    Rows not in ``catalog`` (filtered out of the map) get no mark."""
    wanted = [("selection", r) for r in marked_rows] + [("neighbour", r) for r in neighbour_rows]
    wanted += [] if selected_row is None else [("selected", selected_row)]
    shown = [(kind, int(row)) for kind, row in wanted if row in catalog.index]
    if not shown:
        return []
    rows = [row for _, row in shown]
    xy = catalog.loc[rows, list(axes)].to_numpy(dtype=float)
    ids = catalog.loc[rows, "object_id"].astype(str).to_numpy()
    return [
        Mark(row, float(x), float(y), kind, str(label))
        for (kind, row), (x, y), label in zip(shown, xy, ids, strict=False)
    ]


@dataclass(frozen=True)
class SelectedPicture:
    """A picture drawn under the selected object's star: its ``uri`` and its size (``width``, ``height``) [map
    units]."""

    uri: str
    width: float
    height: float


def draw_marks(
    key: str,
    meta: str,
    marks: list[Mark],
    on_open: Callable[[int], None],
    *,
    zoom: Sequence[float] | None = None,
    on_zoom: Callable[[list[float] | None], None] | None = None,
    picture: SelectedPicture | None = None,
) -> None:
    """Draw ``marks`` over the chart whose layout ``meta`` is ``meta`` (the component ``key`` stays the same
    from run to run, so it is never remounted); ``on_open(row)`` runs when a mark is clicked. ``zoom`` (x0, x1,
    y0, y1; map units) is applied to each newly drawn chart; ``on_zoom([x0, x1, y0, y1] or None)`` runs when
    the user zooms or pans (None: back to the full extent); ``picture`` is drawn under the selected object's star.
    """

    def opened() -> None:
        row = st.session_state[key].get("open")
        if row is not None:
            on_open(int(row))

    def zoomed() -> None:
        if on_zoom is not None:
            on_zoom(st.session_state[key].get("zoom"))

    data = {
        "meta": meta,
        "marks": [asdict(m) for m in marks],
        "zoom": None if zoom is None else [float(v) for v in zoom],
        "report_zoom": on_zoom is not None,
        "picture": None if picture is None else asdict(picture),
    }
    _COMPONENT(key=key, data=data, on_open_change=opened, on_zoom_change=zoomed)
