"""The marks drawn over the map in the browser (astrodisc.app.map_marks): which objects, where, in what order.

Drawn in chromium they are checked by tests/test_browser.py and the click benchmark (astrodisc.ops.click_latency)."""

import numpy as np
import pandas as pd

from astrodisc.app.map_marks import map_marks


def _catalog() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "object_id": [f"OBJ-{i}" for i in range(12)],
            "label": ["EW", "SR", "RRAB"] * 4,
            "umap_x": rng.normal(size=12),
            "umap_y": rng.normal(size=12),
            "ra": rng.uniform(0, 360, 12),
            "dec": rng.uniform(-60, 60, 12),
        }
    )


def test_marks_sit_on_their_objects_in_drawing_order_and_skip_what_the_map_does_not_show():
    catalog = _catalog()
    shown = catalog[catalog["label"] != "SR"]  # a filtered map keeps the full catalogue's rows
    marks = map_marks(shown, neighbour_rows=[3, 4, 9], selected_row=6, marked_rows=[0, 1])
    assert [(m.kind, m.row) for m in marks] == [
        ("selection", 0),
        ("neighbour", 3),
        ("neighbour", 9),
        ("selected", 6),
    ]  # rows 1 and 4 are SR stars, not shown
    for mark in marks:
        assert (mark.x, mark.y) == (catalog.at[mark.row, "umap_x"], catalog.at[mark.row, "umap_y"])
        assert mark.label == f"OBJ-{mark.row}"


def test_marks_follow_the_axes_of_the_view_and_nothing_selected_gives_none():
    catalog = _catalog()
    marks = map_marks(catalog, selected_row=5, axes=("ra", "dec"))
    assert [(m.x, m.y) for m in marks] == [(catalog.at[5, "ra"], catalog.at[5, "dec"])]
    assert map_marks(catalog) == []
    assert map_marks(catalog, selected_row=99) == []  # an unknown row: no mark, no error
