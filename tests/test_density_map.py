"""A large map is a density image of every object under a clickable level-of-detail sample."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from PIL import Image

from astrodisc.app import figures as render
from astrodisc.app.map_marks import map_marks
from astrodisc.chain.density_map import LOD_POINTS, density_image, lod_sample


def _catalog(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "object_id": [f"o{i}" for i in range(n)],
            "umap_x": rng.normal(size=n),
            "umap_y": rng.normal(size=n),
            "label": rng.choice(["A", "B", None], size=n),
            "anomaly_score": rng.random(n),
        }
    )
    return frame.set_axis(np.arange(n) + 7)  # catalogue rows need not start at 0


def test_density_image_covers_the_points_with_darker_cells_where_they_crowd():
    x = np.r_[np.zeros(900), np.linspace(0, 10, 100)]
    image = density_image(x, np.r_[np.zeros(900), np.linspace(-5, 5, 100)], bins=20)
    assert (image.x0, image.y1, image.width, image.height) == (0.0, 5.0, 10.0, 10.0)
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(image.uri.split(",", 1)[1]))))
    assert pixels.shape == (20, 20, 4)
    crowded, single = pixels[9, 0], pixels[0, 19]  # (0, 0) holds 900 points, the top-right corner one
    assert crowded[3] == single[3] == 255 and crowded[0] < single[0]
    assert pixels[0, 0, 3] == 0  # an empty cell is transparent


def test_a_large_map_draws_a_sample_over_a_density_image_and_marks_any_row():
    catalog = _catalog(25_000)
    for colour in ("label", "anomaly_score"):
        fig = render.map_figure(catalog, colour, density_above=10_000)
        assert fig.layout.images[-1].source.startswith("data:image/png;base64,")
        drawn = np.concatenate([t.customdata for t in fig.data])
        assert len(drawn) == LOD_POINTS and set(drawn) == set(lod_sample(catalog).index)
    unsampled = sorted(set(catalog.index) - set(lod_sample(catalog).index))[:2]  # marks find rows off the sample
    marks = map_marks(catalog, neighbour_rows=unsampled, selected_row=2000)
    assert [(m.row, m.kind) for m in marks] == [
        (unsampled[0], "neighbour"),
        (unsampled[1], "neighbour"),
        (2000, "selected"),
    ]
    small = render.map_figure(catalog.iloc[:3000], "label")  # below the threshold: every point, no image
    assert len(small.layout.images) == 0 and sum(len(t.customdata) for t in small.data) == 3000


def test_lod_sample_is_seeded_and_keeps_catalogue_rows():
    catalog = _catalog(500)
    sample = lod_sample(catalog, 100)
    assert len(sample) == 100 and sample.index.is_monotonic_increasing and set(sample.index) <= set(catalog.index)
    assert sample.index.equals(lod_sample(catalog, 100).index)
    assert lod_sample(catalog, 1000) is catalog
