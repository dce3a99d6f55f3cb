"""The marks of a click drawn over the map in the browser: the selected object's star, its neighbours' rings
and the box/lasso selection's squares, without touching the map's figure.

Streamlit remounts a plotly chart whenever its figure changes (the element's id hashes the figure), and a
remount rebuilds the chart's WebGL context: 0.2-0.6 s in software-rendered chromium whatever the number of
points, on every click. So the map page keeps its figure from click to click and draws the marks with this
small component instead: an SVG layer laid over the plot area of the chart whose layout ``meta`` is the
page's token, placed in data coordinates through the chart's own axes and redrawn on every zoom, pan or
redraw of the chart (plotly's afterplot, relayout and relayouting events). A mark is clickable: a click on a
ring or the star opens that object (the component's ``open`` trigger), as a click on a marker does::

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
_JS = """
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

function draw(gd, marks, open) {
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

export default function (component) {
  const { data, setTriggerValue } = component;
  const open = row => setTriggerValue('open', row);
  let tries = 0;
  const attach = () => {
    const gd = chartOf(data.meta);
    if (!gd || !gd._fullLayout.xaxis || !gd.querySelector('.svg-container')) {
      if (tries++ < 200) setTimeout(attach, 50);  // the chart is still being drawn: look again
      return;
    }
    gd.__astrodiscMarks = () => draw(gd, data.marks, open);  // the latest marks
    if (!gd.__astrodiscHooked) {
      gd.__astrodiscHooked = true;
      for (const event of ['plotly_afterplot', 'plotly_relayout', 'plotly_relayouting']) {
        gd.on(event, () => gd.__astrodiscMarks());
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


def draw_marks(key: str, meta: str, marks: list[Mark], on_open: Callable[[int], None]) -> None:
    """Draw ``marks`` over the chart whose layout ``meta`` is ``meta`` (the component ``key`` stays the same
    from run to run, so it is never remounted); ``on_open(row)`` runs when a mark is clicked."""

    def opened() -> None:
        row = st.session_state[key].get("open")
        if row is not None:
            on_open(int(row))

    _COMPONENT(key=key, data={"meta": meta, "marks": [asdict(m) for m in marks]}, on_open_change=opened)
