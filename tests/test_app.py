"""The Streamlit app run headless with AppTest on the fixture artifacts."""

import base64
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from astrodisc.app import figures as render
from astrodisc.app import state as app_state
from astrodisc.app import view_link
from astrodisc.app.page_text import shown
from astrodisc.app.pages.map import THUMBNAIL_CELLS
from astrodisc.app.widgets import NEIGHBOUR_PREFIX
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.period_search import lomb_scargle
from astrodisc.data.varstars import VarStarStore
from astrodisc.paths import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
MAP_PAGE = "pages/map.py"  # relative to app.py


def _run(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _decode(value):
    """Plotly's JSON with numpy arrays as base64 typed arrays ({"dtype", "bdata", "shape"}) back to arrays."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
        return array.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else array
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _figures(at: AppTest, axis_title: str) -> list[go.Figure]:
    """The plotly figures on the page whose x axis is titled ``axis_title``."""
    figures = [go.Figure(_decode(json.loads(c.proto.spec)), skip_invalid=True) for c in at.get("plotly_chart")]
    return [f for f in figures if f.layout.xaxis.title.text == axis_title]


def _map_traces(at: AppTest) -> dict[str, go.Scattergl]:
    (figure,) = _figures(at, "UMAP 1")
    return {t.name: t for t in figure.data}


def _map_rows(at: AppTest) -> list[int]:
    """Catalogue rows drawn on the map."""
    return sorted(int(r) for t in _map_traces(at).values() for r in t.customdata)


def _marks(at: AppTest, chart: str = "map") -> dict[str, list[int]]:
    """Catalogue rows of the marks the page draws over ``chart`` (astrodisc.app.map_marks), by kind."""
    (element,) = [e for e in at.get("bidi_component") if e.proto.id.endswith(f"marks_{chart}")]
    marks = json.loads(element.proto.json)["marks"]
    return {kind: [m["row"] for m in marks if m["kind"] == kind] for kind in ("selection", "neighbour", "selected")}


def _neighbour_ids(at: AppTest) -> list[str]:
    return [
        m.value.removeprefix(NEIGHBOUR_PREFIX).strip("`") for m in at.markdown if m.value.startswith(NEIGHBOUR_PREFIX)
    ]


def test_without_artifacts_the_app_says_how_to_build(tmp_path, monkeypatch):
    monkeypatch.setenv("ASTRODISC_DATA", str(tmp_path))
    at = _run()
    (message,) = at.info
    assert "make demo" in message.value and "astrodisc build" in message.value
    assert not at.get("plotly_chart")


def test_map_draws_every_object_and_flags_simulated_data(tiny_data):
    at = _run()
    assert at.sidebar.selectbox[0].value == "tiny-sim · fake-encoder"
    assert any("Simulated data" in w.value for w in at.warning)
    n = tiny_data.n_objects
    assert _map_rows(at) == list(range(n))
    assert any(c.value.startswith(f"{n} of {n} objects shown") for c in at.caption)
    assert not _neighbour_ids(at)  # nothing selected yet


def test_every_rerun_of_the_map_page_runs_through_app(tiny_data):
    """A rerun requests pages/map.py itself, which AppTest (like a fresh server) runs without app.py while
    Streamlit treats pages/ as an old-style multipage folder: the page hands the run back to app.py, so the
    picker and the simulated flag stay, the map is drawn once, and widget state and query survive."""
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    at = _run({app_state.OBJECT_PARAM: "TINY-0007"})
    next(s for s in at.sidebar.selectbox if s.label == "Colour by").set_value("cluster").run()
    at.switch_page(MAP_PAGE).run()
    at.query_params[app_state.OBJECT_PARAM] = "TINY-0007"  # switch_page clears the query, as st.switch_page does
    at.run()
    assert not at.exception
    assert [s.label for s in at.sidebar.selectbox][:2] == ["Dataset · model", "Colour by"]
    assert at.sidebar.selectbox[0].value == "tiny-sim · fake-encoder"
    assert next(s for s in at.sidebar.selectbox if s.label == "Colour by").value == "cluster"
    assert sum("Simulated data" in w.value for w in at.warning) == 1
    assert _map_rows(at) == list(range(len(catalog)))
    assert len(_map_traces(at)) == catalog["cluster"].nunique(dropna=False)
    assert _marks(at)["selected"] == [int(catalog.index[catalog["object_id"] == "TINY-0007"][0])]
    assert any(m.value == "### `TINY-0007`" for m in at.markdown)


def test_class_and_range_filters_narrow_the_map(tiny_data):
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    at = _run()
    at.sidebar.multiselect[0].set_value(["EW", "SR"]).run()
    expected = catalog.index[catalog["label"].isin(["EW", "SR"])].tolist()
    assert _map_rows(at) == expected
    range_box = next(s for s in at.sidebar.selectbox if s.label == "Range on")
    range_box.set_value("amplitude").run()
    at.sidebar.slider[0].set_value((0.3, 0.6)).run()
    keep = catalog["label"].isin(["EW", "SR"]) & catalog["amplitude"].between(0.3, 0.6)
    assert _map_rows(at) == catalog.index[keep].tolist()
    assert 0 < keep.sum() < len(expected)


def test_a_link_opens_the_same_view_and_the_view_writes_its_link(tiny_sky, monkeypatch):
    """Dataset, model, colouring, class and range filters and the object travel in the URL: a view set by
    widgets is in the query, and a fresh session opened with that query draws exactly the same objects."""
    monkeypatch.setenv("ASTRODISC_DATA", str(tiny_sky.data_root))
    catalog = load_artifacts(tiny_sky.artifact_dir).catalog
    at = _run()
    at.sidebar.selectbox(key=app_state.PICKER_KEY).set_value(SKY_SET).run()
    at.sidebar.selectbox(key="colour_by").set_value("z_spec").run()
    at.sidebar.multiselect(key="classes").set_value(["elliptical", "spiral"]).run()
    at.sidebar.selectbox(key="range_on").set_value("mag_r").run()
    low, high = (round(float(q), 2) for q in catalog["mag_r"].quantile([0.2, 0.8]))
    at.sidebar.slider(key="range_of_mag_r").set_value((low, high)).run()
    object_id = str(catalog.at[3, "object_id"])
    at.query_params[app_state.OBJECT_PARAM] = object_id
    at.run()
    link = {k: at.query_params[k] for k in at.query_params}
    assert link["dataset"] == "tiny-sky" and link["model"] == "fake-encoder" and link["colour"] == "z_spec"
    assert link["classes"] == "elliptical,spiral" and link["range"] == f"mag_r:{low:g}:{high:g}"
    drawn = _map_rows(at)
    keep = catalog["label"].isin(["elliptical", "spiral"]) & catalog["mag_r"].between(low, high)
    assert drawn == catalog.index[keep].tolist() and 0 < len(drawn) < len(catalog)

    fresh = _run(link)  # a colleague opens the link
    assert fresh.sidebar.selectbox(key=app_state.PICKER_KEY).value == SKY_SET
    assert fresh.sidebar.selectbox(key="colour_by").value == "z_spec"
    assert _map_rows(fresh) == drawn
    assert any(m.value == f"### `{object_id}`" for m in fresh.markdown)


def test_the_map_view_survives_a_visit_to_another_page(tiny_data):
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    at = _run()
    at.sidebar.selectbox(key="colour_by").set_value("period").run()
    at.sidebar.multiselect(key="classes").set_value(["SR"]).run()
    at.switch_page("pages/label.py").run()
    at.switch_page(MAP_PAGE).run()
    assert not at.exception
    assert at.sidebar.selectbox(key="colour_by").value == "period"
    assert _map_rows(at) == catalog.index[catalog["label"] == "SR"].tolist()
    assert at.query_params["classes"] == "SR" and at.query_params["colour"] == "period"


def test_a_link_restores_the_panel_the_selection_and_survives_another_page(tiny_data):
    """Space, k and the period choice come back from a link, a picked cluster is the selection again, and all of
    it (with the zoom) survives a visit to another page; a bad k or space is dropped with a note."""
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    members = catalog.index[catalog["cluster"].astype(str) == "1"].tolist()
    link = {
        "object": "TINY-0005",
        "space": "spectra",
        "k": "5",
        "period": "lomb-scargle:P/2",
        "zoom": "-1:1:-2:2",
        "group": "cluster:1",
    }
    at = _run(link)
    assert at.selectbox(key="space").value == "spectra" and at.slider(key="k").value == 5
    assert at.radio(key="period_source").value == "Lomb–Scargle"
    assert at.session_state["period_factor"] == "P/2"
    assert f"{len(members)} objects in the box/lasso selection" in [m.value.strip("*") for m in at.markdown]
    assert {k: at.query_params[k] for k in link} == link
    at.switch_page("pages/label.py").run()
    at.switch_page(MAP_PAGE).run()
    assert {k: at.query_params[k] for k in link} == link
    assert at.slider(key="k").value == 5

    bad = _run({"object": "TINY-0005", "space": "nowhere", "k": "500", "lasso": "1,2;oops"})
    notes = " ".join(shown(w.value) for w in bad.warning)
    assert "no space 'nowhere'" in notes and "k '500'" in notes and "unreadable selection lasso" in notes
    assert bad.selectbox(key="space").value == "fused" and bad.slider(key="k").value == 8


def test_picking_another_set_drops_the_last_sets_view_from_the_link(tiny_sky, monkeypatch):
    monkeypatch.setenv("ASTRODISC_DATA", str(tiny_sky.data_root))
    at = _run({"object": "TINY-0005", "space": "spectra", "k": "5", "zoom": "-1:1:-2:2", "group": "cluster:1"})
    at.sidebar.selectbox(key=app_state.PICKER_KEY).set_value(SKY_SET).run()
    assert not at.exception
    assert set(at.query_params) == {"dataset", "model"}


def test_a_link_naming_what_this_catalogue_lacks_shows_the_rest_and_says_so(tiny_data):
    at = _run({"colour": "no_such_column", "classes": "EW,XYZ", "range": "amplitude:oops"})
    notes = " ".join(shown(w.value) for w in at.warning)  # the text a reader sees (link values are escaped)
    assert "no_such_column" in notes and "'XYZ'" in notes and "unreadable range" in notes
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    assert _map_rows(at) == catalog.index[catalog["label"] == "EW"].tolist()  # the part that made sense stays
    assert at.query_params["classes"] == "EW"


def test_a_saved_subset_reopens_by_name_and_from_a_link(tiny_data, monkeypatch, tmp_path):
    from astrodisc.labels.subsets import SubsetDB

    monkeypatch.setenv("ASTRODISC_LABELS", str(tmp_path / "labels.sqlite"))
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    at = _run()
    at.sidebar.selectbox(key="colour_by").set_value("cluster").run()
    caught = catalog.index[catalog["label"].isin(["EW", "RRAB"])].tolist()[::3]
    at.session_state["lasso_rows"] = caught
    at.sidebar.text_input(key="subset_name").set_value("my pick").run()
    at.sidebar.button(key="subset_save").click().run()
    assert any("Saved 8 objects and the view as 'my pick'" in s.value for s in at.success)
    saved = SubsetDB(tmp_path / "labels.sqlite").open("tiny-sim", "my pick")
    assert saved.object_ids == tuple(catalog.loc[caught, "object_id"]) and saved.view == {"colour": "cluster"}
    at.sidebar.text_input(key="subset_name").set_value("  ").run()
    at.sidebar.button(key="subset_save").click().run()
    assert any("Not saved: a saved subset needs a name" in e.value for e in at.error)

    fresh = _run({"dataset": "tiny-sim", "subset": "my pick"})  # a colleague opens the link
    assert _map_rows(fresh) == caught
    assert fresh.sidebar.selectbox(key="colour_by").value == "cluster"
    fresh.button(key="unfocus").click().run()
    assert _map_rows(fresh) == list(range(len(catalog))) and "subset" not in fresh.query_params
    fresh.sidebar.selectbox(key="subset_pick").set_value("my pick").run()
    fresh.sidebar.button(key="subset_open").click().run()
    assert _map_rows(fresh) == caught

    unknown = _run({"dataset": "tiny-sim", "subset": "nope"})
    assert any("no saved subset 'nope'" in w.value for w in unknown.warning)
    assert _map_rows(unknown) == list(range(len(catalog)))


@pytest.mark.parametrize("space,k", [("fused", 8), ("photometry", 5)])
def test_selected_object_shows_its_neighbours(tiny_data, space, k):
    artifacts = load_artifacts(tiny_data.artifact_dir)
    row = 4  # an EW star without a catalogue period: the panel folds it on the Lomb-Scargle period
    object_id = str(artifacts.catalog.at[row, "object_id"])
    at = _run({app_state.OBJECT_PARAM: object_id})
    at.selectbox(key="space").set_value(space).run()
    at.slider(key="k").set_value(k).run()
    assert not at.exception
    rows, _ = artifacts.neighbours(space, row, k)
    assert _neighbour_ids(at) == [str(artifacts.catalog.at[int(r), "object_id"]) for r in rows]
    assert any(m.value == f"### `{object_id}`" for m in at.markdown)
    marks = _marks(at)
    assert marks["selected"] == [row]
    assert sorted(marks["neighbour"]) == sorted(int(r) for r in rows)
    folded = _figures(at, "phase")
    assert tuple(folded[0].layout.xaxis.range) == (0.0, 2.0)
    assert np.isnan(artifacts.catalog.at[row, "period"])
    lc = VarStarStore(tiny_data.dataset_dir).lightcurve(object_id)
    best = lomb_scargle(lc.time, lc.mag, lc.mag_err).best_period
    assert folded[0].layout.title.text == f"folded on P = {best:.6g} d"
    assert 0.3 <= best <= 0.45  # the fixture's EW period range


def test_a_prediction_carries_its_distance_to_the_nearest_label_and_its_flag(tiny_data):
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    flagged = catalog.index[catalog["ood"]].tolist()
    plain = catalog.index[~catalog["ood"] & catalog["label_distance"].notna()].tolist()
    assert flagged and plain  # the fixture's unlabelled loners lie far from every label
    for row, expect_flag in ((flagged[0], True), (plain[0], False)):
        at = _run({app_state.OBJECT_PARAM: str(catalog.at[row, "object_id"])})
        (facts,) = [m.value for m in at.markdown if "predicted **" in m.value]
        assert f"{catalog.at[row, 'label_distance']:.3f} from the nearest label" in facts
        assert ("far from every label" in facts) == expect_flag


def test_unknown_object_id_is_a_warning_not_an_error(tiny_data):
    at = _run({app_state.OBJECT_PARAM: "NOT-A-STAR"})
    assert any("NOT-A-STAR" in w.value for w in at.warning)
    assert not _neighbour_ids(at)


@pytest.mark.parametrize("colour", ["cluster", "pred_label", "anomaly_score", "mislabel_score", "j_k"])
def test_every_colouring_draws_every_object(tiny_data, colour):
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    at = _run()
    next(s for s in at.sidebar.selectbox if s.label == "Colour by").set_value(colour).run()
    assert not at.exception
    assert _map_rows(at) == list(range(len(catalog)))
    traces = _map_traces(at)
    if colour in ("anomaly_score", "mislabel_score", "j_k"):
        scaled = traces[colour]
        np.testing.assert_allclose(scaled.marker.color, catalog.loc[scaled.customdata, colour])
    else:
        assert len(traces) == catalog[colour].nunique(dropna=False)


def test_period_choice_refolds_on_lomb_scargle_and_double_period(tiny_data):
    artifacts = load_artifacts(tiny_data.artifact_dir)
    row = 0  # an EW star with a catalogue period
    object_id = str(artifacts.catalog.at[row, "object_id"])
    catalogue = float(artifacts.catalog.at[row, "period"])
    at = _run({app_state.OBJECT_PARAM: object_id})
    assert _figures(at, "phase")[0].layout.title.text == f"folded on P = {catalogue:.6g} d"
    at.radio(key="period_source").set_value("Lomb–Scargle").run()
    lc = VarStarStore(tiny_data.dataset_dir).lightcurve(object_id)
    best = lomb_scargle(lc.time, lc.mag, lc.mag_err).best_period
    assert _figures(at, "phase")[0].layout.title.text == f"folded on P = {best:.6g} d"
    assert abs(best - catalogue) / catalogue < 0.01  # the search recovers the catalogue period
    at.button_group(key="period_factor").set_value("2P").run()
    assert _figures(at, "phase")[0].layout.title.text == f"folded on P = {2 * best:.6g} d"
    (periodogram,) = _figures(at, "period [days]")
    assert max(periodogram.data[0].y) > 0.5


def test_go_to_object_id_selects_it(tiny_data):
    artifacts = load_artifacts(tiny_data.artifact_dir)
    at = _run()
    at.sidebar.text_input(key="goto_object").input("TINY-0030").run()
    assert not at.exception
    assert at.query_params[app_state.OBJECT_PARAM] == "TINY-0030"
    assert any(m.value == "### `TINY-0030`" for m in at.markdown)
    rows, _ = artifacts.neighbours("fused", 30, 8)
    assert _neighbour_ids(at) == [str(artifacts.catalog.at[int(r), "object_id"]) for r in rows]


def test_interactions_do_not_reload_artifacts(tiny_data, monkeypatch):
    loads = []

    def counting_load(path):
        loads.append(path)
        return load_artifacts(path)

    monkeypatch.setattr(app_state, "load_artifacts", counting_load)
    app_state._load.clear()
    at = _run({app_state.OBJECT_PARAM: "TINY-0001"})
    next(s for s in at.sidebar.selectbox if s.label == "Colour by").set_value("cluster").run()
    at.slider(key="k").set_value(3).run()
    at.radio(key="period_source").set_value("Lomb–Scargle").run()
    assert not at.exception
    assert len(_neighbour_ids(at)) == 3
    assert loads == [tiny_data.artifact_dir]


# ---- the galaxy demo's kind of dataset ---------------------------------------------------------------------

SKY_SET = "tiny-sky · fake-encoder"


def _open_sky(monkeypatch, tiny_sky, object_id: str | None = None) -> AppTest:
    """The app on the data root holding both fixtures, switched to the galaxy set through the sidebar picker
    (its first change: a fresh session once forgot it) and ``object_id`` opened."""
    monkeypatch.setenv("ASTRODISC_DATA", str(tiny_sky.data_root))
    at = _run()
    at.sidebar.selectbox(key=app_state.PICKER_KEY).set_value(SKY_SET).run()
    assert at.sidebar.selectbox(key=app_state.PICKER_KEY).value == SKY_SET
    assert any(h.value == SKY_SET for h in at.subheader)
    if object_id is not None:
        at.query_params[app_state.OBJECT_PARAM] = object_id
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _image_count(at: AppTest) -> int:
    return len(at.get("image"))


def test_picker_offers_both_kinds_and_the_galaxy_map_is_a_picture_mosaic(tiny_sky, monkeypatch):
    at = _open_sky(monkeypatch, tiny_sky)
    assert at.sidebar.selectbox(key=app_state.PICKER_KEY).options == ["tiny-sim · fake-encoder", SKY_SET]
    catalog = load_artifacts(tiny_sky.artifact_dir).catalog
    assert _map_rows(at) == list(range(len(catalog)))
    (figure,) = _figures(at, "UMAP 1")
    images = figure.layout.images
    # one galaxy per occupied cell of the page's grid: at least one per island (morphology) of the fake map
    assert len(images) == len(render.thumbnail_rows(catalog, THUMBNAIL_CELLS)) >= catalog["label"].nunique()
    xy = catalog[["umap_x", "umap_y"]].to_numpy()
    for image in images:  # each picture sits on a galaxy of the map
        assert np.min(np.hypot(xy[:, 0] - image.x, xy[:, 1] - image.y)) < 1e-6
        assert image.source.startswith("data:image/png;base64,")
    assert figure.layout.xaxis.showgrid is False and figure.layout.yaxis.showgrid is False  # no lines across them
    at.sidebar.toggle(key="pictures").set_value(False).run()
    assert not _figures(at, "UMAP 1")[0].layout.images


def test_a_zoom_re_tiles_the_galaxy_mosaic_over_the_region_in_view(tiny_sky, monkeypatch):
    """Zoomed on a quarter of the map, the mosaic is a fresh grid over that quarter: pictures of galaxies in view
    only, larger in map units the less is in view, and the figure opens at that zoom."""
    at = _open_sky(monkeypatch, tiny_sky)
    catalog = load_artifacts(tiny_sky.artifact_dir).catalog
    (x0, x1), (y0, y1) = render.map_extent(catalog)
    zoom = ((x0, 0.5 * (x0 + x1)), (y0, 0.5 * (y0 + y1)))
    at.query_params["zoom"] = view_link.format_zoom(*zoom)
    at.run()
    (figure,) = _figures(at, "UMAP 1")
    shown_zoom = view_link.parse_zoom(at.query_params["zoom"])
    assert tuple(figure.layout.xaxis.range) == shown_zoom[0] and tuple(figure.layout.yaxis.range) == shown_zoom[1]
    rows = render.thumbnail_rows(catalog, THUMBNAIL_CELLS, shown_zoom)
    assert len(figure.layout.images) == len(rows) > 0
    for image in figure.layout.images:
        assert shown_zoom[0][0] <= image.x <= shown_zoom[0][1] and shown_zoom[1][0] <= image.y <= shown_zoom[1][1]
        assert image.sizex == pytest.approx(0.9 * (shown_zoom[0][1] - shown_zoom[0][0]) / THUMBNAIL_CELLS)


def test_a_galaxy_opens_with_its_picture_and_look_alikes_without_its_sky_twin(tiny_sky, monkeypatch):
    from conftest import sky_twins

    from astrodisc.data.galaxies import DUPLICATE_RADIUS_ARCSEC

    artifacts = load_artifacts(tiny_sky.artifact_dir)
    catalog = artifacts.catalog
    twins = sky_twins(catalog, DUPLICATE_RADIUS_ARCSEC)
    assert twins, "the fixture sky should hold a galaxy catalogued twice"
    row, twin = twins[0]
    plain, _ = artifacts.neighbours("image", row, 8)
    assert plain[0] == twin  # the fake encoder makes the twin the most similar entry ...
    at = _open_sky(monkeypatch, tiny_sky, str(catalog.at[row, "object_id"]))
    rows, _ = artifacts.neighbours("image", row, 8, min_separation_arcsec=DUPLICATE_RADIUS_ARCSEC)
    shown = _neighbour_ids(at)
    assert shown == [str(catalog.at[int(r), "object_id"]) for r in rows]
    assert str(catalog.at[twin, "object_id"]) not in shown  # ... and the page leaves it out
    store = GalaxyStore(tiny_sky.dataset_dir)
    assert store.psf_and_sky() is not None  # a simulated sky: its arc view is drawn (centre, host nulled)
    assert _image_count(at) == 1 + len(store.info.bands) + 2 + 8  # picture, each band, arc view, neighbour cards
    assert not _figures(at, "phase")  # no light-curve panels on a galaxy


def test_a_box_selection_of_galaxies_shows_their_pictures(tiny_sky, monkeypatch):
    at = _open_sky(monkeypatch, tiny_sky)
    catalog = load_artifacts(tiny_sky.artifact_dir).catalog
    caught = catalog.index[catalog["label"] == "elliptical"].tolist()[:30]  # as a lasso round one island would
    at.session_state["lasso_rows"] = caught
    at.run()
    assert not at.exception
    assert any(m.value == f"**{len(caught)} objects in the box/lasso selection**" for m in at.markdown)
    gallery = [img for img in at.get("image") if img.proto.imgs[0].caption]
    assert [img.proto.imgs[0].caption for img in gallery] == [str(catalog.at[r, "object_id"]) for r in caught[:24]]
    assert any(c.value == f"the first 24 of {len(caught)} selected galaxies" for c in at.caption)
    assert len(at.get("download_button")) == 3  # the selection as CSV, Parquet, VOTable


def test_the_sky_view_is_linked_with_the_map_and_objects_link_out_by_position(tiny_data):
    """A selection shows on both views; the sky view draws the shown objects at their RA/Dec or Galactic l/b;
    the open object links to SIMBAD, the CDS portal and the Legacy Survey viewer at its position."""
    from astrodisc.data.links import sky_links
    from astrodisc.data.sky import sky_positions

    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    at = _run({app_state.OBJECT_PARAM: "TINY-0005"})
    at.sidebar.multiselect(key="classes").set_value(["EW", "SR"]).run()
    at.sidebar.toggle(key="sky_view").set_value(True).run()
    caught = catalog.index[catalog["label"] == "EW"].tolist()[:5]
    at.session_state["lasso_rows"] = caught
    at.run()
    (sky,) = _figures(at, "RA [deg]")
    shown = catalog[catalog["label"].isin(["EW", "SR"])]
    drawn = {int(r): (x, y) for t in sky.data for r, x, y in zip(t.customdata, t.x, t.y, strict=False)}
    assert sorted(drawn) == shown.index.tolist()
    assert all(drawn[r] == (catalog.at[r, "ra"], catalog.at[r, "dec"]) for r in drawn)
    assert sky.layout.xaxis.autorange == "reversed"  # east to the left
    for chart in ("sky", "map"):  # the selection is marked on both views
        assert sorted(_marks(at, chart)["selection"]) == caught

    at.sidebar.radio(key="sky_frame").set_value("galactic").run()
    (sky,) = _figures(at, "Galactic l [deg]")
    lon, lat = sky_positions(catalog, "galactic")
    points = {int(r): (x, y) for t in sky.data for r, x, y in zip(t.customdata, t.x, t.y, strict=False)}
    assert all(np.allclose(points[r], (lon[r], lat[r])) for r in points)

    row = int(catalog.index[catalog["object_id"] == "TINY-0005"][0])
    expected = sky_links(float(catalog.at[row, "ra"]), float(catalog.at[row, "dec"]))
    buttons = {b.proto.label: b.proto.url for b in at.get("link_button")}
    assert buttons == expected


def test_map_only_these_narrows_the_map_and_its_pictures_to_a_selection(tiny_sky, monkeypatch):
    at = _open_sky(monkeypatch, tiny_sky)
    catalog = load_artifacts(tiny_sky.artifact_dir).catalog
    caught = catalog.index[catalog["label"] == "spiral"].tolist()
    at.session_state["lasso_rows"] = caught
    at.run()
    at.button(key="focus").click().run()
    assert not at.exception
    assert _map_rows(at) == caught
    (figure,) = _figures(at, "UMAP 1")
    assert len(figure.layout.images) == len(render.thumbnail_rows(catalog.loc[caught], THUMBNAIL_CELLS))
    caught_x = catalog.loc[caught, "umap_x"].to_numpy(dtype=float)
    assert all(np.min(np.abs(caught_x - image.x)) < 1e-5 for image in figure.layout.images)  # spirals only
    at.button(key="unfocus").click().run()
    assert _map_rows(at) == list(range(len(catalog)))
    at.session_state["lasso_rows"] = caught  # narrow again, then pick the other set
    at.run()
    at.button(key="focus").click().run()
    at.sidebar.selectbox(key=app_state.PICKER_KEY).set_value("tiny-sim · fake-encoder").run()
    stars = load_artifacts(tiny_sky.data_root / "tiny-sim" / "fake-encoder").catalog
    assert _map_rows(at) == list(range(len(stars)))  # the narrowing belonged to the galaxy set


# ---- labeling sessions ---------------------------------------------------------------------------------------

LABEL_PAGE = "pages/label.py"


def _label_page(monkeypatch, tiny_data, tmp_path, annotator: str | None = "ana") -> AppTest:
    monkeypatch.setenv("ASTRODISC_LABELS", str(tmp_path / "labels.sqlite"))
    at = _run()
    at.switch_page(LABEL_PAGE).run()
    if annotator:
        at.sidebar.text_input(key="annotator").input(annotator).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown_object(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("### `")).strip("#` ")


def test_a_labeling_session_saves_skips_undoes_and_resumes(tiny_data, monkeypatch, tmp_path):
    from astrodisc.discover.label_queue import queue_rows
    from astrodisc.labels.database import LabelDB

    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    queue = [str(catalog.at[r, "object_id"]) for r in queue_rows(catalog, "anomaly score")]
    at = _label_page(monkeypatch, tiny_data, tmp_path)
    at.sidebar.selectbox(key="queue_order").set_value("anomaly score").run()
    assert _shown_object(at) == queue[0]  # highest anomaly score first
    at.selectbox(key="label_class").set_value("EW").run()
    at.button_group(key="label_interest").set_value(4).run()
    at.text_input(key="label_note").input("odd minimum").run()
    at.button(key="save").click().run()
    assert _shown_object(at) == queue[1]
    at.button(key="skip").click().run()
    assert _shown_object(at) == queue[2]
    at.button(key="unsure").click().run()
    assert _shown_object(at) == queue[3]
    at.button(key="undo").click().run()  # the "unsure" is retracted: its object comes back
    assert _shown_object(at) == queue[2]

    db = LabelDB(tmp_path / "labels.sqlite")
    mine = db.latest("tiny-sim", "ana")
    assert mine[["object_id", "label", "interest", "note"]].values.tolist() == [[queue[0], "EW", 4, "odd minimum"]]
    assert len(db.history("tiny-sim")) == 3  # label, unsure, its retraction: nothing overwritten

    again = _label_page(monkeypatch, tiny_data, tmp_path)  # a new browser session: resumes after the label
    again.sidebar.selectbox(key="queue_order").set_value("anomaly score").run()
    assert _shown_object(again) == queue[1]
    assert not any("standing labels" in c.value for c in again.caption)  # all labels are read only when opened
    again.session_state["all_labels"] = True  # the expander opened
    again.run()
    assert any(c.value.startswith("1 standing label by 1 annotator") for c in again.caption)
    assert len(again.get("download_button")) == 3  # CSV, Parquet, VOTable


def test_the_learning_queue_follows_the_interest_scores_given(tiny_data, monkeypatch, tmp_path):
    """Scoring the first object 5 pulls its neighbours in the embedding up the queue (the fixture's classes are
    islands): the next object is the learning queue's answer, of the first object's class."""
    from astrodisc.discover.active_learning import hunt_features
    from astrodisc.discover.label_queue import LEARNING, queue_rows
    from astrodisc.labels.database import LabelDB

    artifacts = load_artifacts(tiny_data.artifact_dir)
    catalog = artifacts.catalog
    at = _label_page(monkeypatch, tiny_data, tmp_path)
    assert at.sidebar.selectbox(key="queue_order").value == LEARNING
    label_of = dict(zip(catalog["object_id"], catalog["label"].astype(object), strict=False))
    while pd.isna(label_of[_shown_object(at)]):  # the unlabelled loners top the anomaly ranking: skip them
        at.button(key="skip").click().run()
    first = _shown_object(at)
    assert any(m.value == f"survey: **{label_of[first]}**" for m in at.markdown)  # the survey's own label
    at.button_group(key="label_interest").set_value(5).run()
    at.button(key="save").click().run()
    scored = LabelDB(tmp_path / "labels.sqlite").latest("tiny-sim", "ana")
    skipped = set(at.session_state["label_skipped"]) | {first}
    expected = [
        r
        for r in queue_rows(catalog, LEARNING, hunt_features(artifacts.embeddings, catalog), scored)
        if catalog.at[r, "object_id"] not in skipped
    ][0]
    assert _shown_object(at) == catalog.at[expected, "object_id"]
    assert label_of[_shown_object(at)] == label_of[first]
    (preview,) = [d for d in at.table if "why here" in d.value.columns]  # what comes next, and why
    assert len(preview.value) == 10 and preview.value["why here"].str.startswith("anomaly rank ").all()
    assert preview.value["why here"].str.endswith(f"near {first}, which you scored 5").all()


def test_labeling_needs_a_name_and_blind_mode_hides_the_prediction_and_others(tiny_data, monkeypatch, tmp_path):
    from astrodisc.labels.database import Label, LabelDB

    at = _label_page(monkeypatch, tiny_data, tmp_path, annotator=None)
    assert any("Enter your name" in i.value for i in at.info)
    assert not any(m.value.startswith("### `") for m in at.markdown)  # no object before a name is given
    at.sidebar.text_input(key="annotator").input("ben").run()
    LabelDB(tmp_path / "labels.sqlite").add(Label("tiny-sim", _shown_object(at), "ana", "s0", label="RRAB", interest=2))
    at.run()
    assert any(m.value.startswith("model: predicted **") for m in at.markdown)
    assert any(c.value == "ana: RRAB · interest 2" for c in at.caption)
    at.sidebar.toggle(key="blind").set_value(True).run()
    assert not any(m.value.startswith(("model: predicted **", "survey: ")) for m in at.markdown)
    assert not any(c.value.startswith("ana: ") for c in at.caption)
    at.sidebar.toggle(key="blind").set_value(False).run()
    at.selectbox(key="label_class").set_value("EW").run()
    at.button_group(key="label_interest").set_value(2).run()
    at.button(key="save").click().run()  # ben disagrees with ana on the class, agrees on the interest
    at.session_state["all_labels"] = True  # the expander opened
    at.run()
    (table,) = [d for d in at.dataframe if "Cohen κ (class)" in d.value.columns]
    assert table.value.iloc[0]["annotators"] == "ana · ben" and table.value.iloc[0]["objects (class)"] == 1


def test_sending_a_selection_without_a_samp_hub_says_what_to_start(tiny_data, monkeypatch, tmp_path):
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:file://{tmp_path / 'no-hub.lock'}")
    at = _run()
    at.session_state["lasso_rows"] = [0, 1, 2]
    at.run()
    at.button(key="samp_send").click().run()
    assert not at.exception
    assert any("Not sent" in e.value and "start TOPCAT or Aladin" in e.value for e in at.error)


def test_a_cluster_or_sub_cluster_picked_becomes_the_selection(tiny_data):
    at = _run()
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    sub = str(catalog["subcluster"].dropna().iloc[0])
    at.sidebar.selectbox(key="map_group_pick").set_value(("subcluster", sub)).run()
    assert not at.exception
    members = np.flatnonzero(catalog["subcluster"].astype(str).to_numpy() == sub).tolist()
    assert at.session_state["lasso_rows"] == members and len(members) > 0  # what a lasso of them would hold
    at.sidebar.selectbox(key="map_group_pick").set_value(("cluster", "0")).run()
    assert at.session_state["lasso_rows"] == np.flatnonzero(catalog["cluster"].to_numpy() == 0).tolist()
    assert any(b.key == "samp_send" for b in at.button)  # the selection's actions are offered


def test_a_range_says_how_many_have_no_value_and_can_keep_them(tiny_data):
    """A range at its full extent hides nothing; narrowed, it drops the objects without a value unless the user
    keeps them, and the choice travels in the link."""
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    no_period = catalog["period"].isna().to_numpy()
    assert 0 < no_period.sum() < len(catalog)
    at = _run()
    at.sidebar.selectbox(key="range_on").set_value("period").run()
    assert _map_rows(at) == catalog.index.tolist()  # the full extent: every object, those without a period too
    (keep,) = [c for c in at.sidebar.checkbox if c.key == "keep_missing_period"]
    assert keep.label == f"Keep the {no_period.sum():,} objects without period" and not keep.value
    low, high = (round(float(q), 3) for q in catalog["period"].quantile([0.1, 0.9]))
    at.sidebar.slider(key="range_of_period").set_value((low, high)).run()
    inside = catalog["period"].between(low, high).to_numpy()
    assert _map_rows(at) == catalog.index[inside].tolist()
    at.sidebar.checkbox(key="keep_missing_period").check().run()
    assert _map_rows(at) == catalog.index[inside | no_period].tolist()
    link = {k: at.query_params[k] for k in at.query_params}
    assert link["range"] == f"period:{low:g}:{high:g}:keep-missing"
    fresh = _run(link)
    assert fresh.sidebar.checkbox(key="keep_missing_period").value
    assert _map_rows(fresh) == catalog.index[inside | no_period].tolist()


def test_every_chart_of_an_object_saves_as_svg_and_zooms_with_the_wheel(tiny_data):
    at = _run({app_state.OBJECT_PARAM: "TINY-0007"})
    configs = {
        json.loads(c.proto.spec)["layout"].get("xaxis", {}).get("title", {}).get("text", ""): c.proto.config
        for c in at.get("plotly_chart")
    }
    assert len(configs) >= 3  # the map, the folded and the raw light curve
    for title, config in configs.items():
        assert json.loads(config)["toImageButtonOptions"]["format"] == "svg", title
        assert json.loads(config)["scrollZoom"] is True, title


def test_two_columns_plot_linked_with_the_map_and_the_selections_statistics(tiny_data):
    """Period against amplitude: the objects with both values are drawn (period on a log scale, as a positive
    heavy-tailed column), the map's selection is the plot's, and its statistics are those of its values."""
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    at = _run({"group": "cluster:1"})
    at.sidebar.toggle(key="plot_columns").set_value(True).run()
    assert not at.exception
    assert (
        at.sidebar.selectbox(key="plot_x").value == "period" and at.sidebar.selectbox(key="plot_y").value == "amplitude"
    )
    assert (
        at.sidebar.checkbox(key="plot_log_x_period").value and not at.sidebar.checkbox(key="plot_log_y_amplitude").value
    )
    (figure,) = _figures(at, "log10 period")
    drawn = sorted(int(r) for t in figure.data for r in t.customdata)
    assert drawn == catalog.index[catalog["period"].notna()].tolist()
    x = np.concatenate([np.asarray(t.x, dtype=float) for t in figure.data])
    rows = np.concatenate([np.asarray(t.customdata, dtype=int).ravel() for t in figure.data])
    np.testing.assert_allclose(x, np.log10(catalog.loc[rows, "period"].to_numpy(dtype=float)))
    members = catalog.index[catalog["cluster"].astype(str) == "1"]
    (table,) = [d.value for d in at.dataframe if "median_all" in d.value.columns]
    period = table.set_index("column").loc["period"]
    values = catalog.loc[members, "period"].dropna()
    assert period["n"] == len(values) and period["median"] == pytest.approx(values.median())
    assert period["p16"] == pytest.approx(np.percentile(values, 16))
    assert period["n_all"] == catalog["period"].notna().sum()
    at.sidebar.selectbox(key="plot_y").set_value("j_k").run()  # a colour: linear, not reversed
    (figure,) = _figures(at, "log10 period")
    assert figure.layout.yaxis.title.text == "j_k" and figure.layout.yaxis.autorange is True


def test_more_like_this_ranks_the_objects_of_its_kind_first_and_selects_them(tiny_data):
    """From a clicked object and then from a selection: the fixture's classes are islands in the embedding, so the
    objects most like one of a class are of its class; "Select them" makes them the map's selection."""
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    row = int(catalog.index[catalog["label"] == "RRAB"][0])
    at = _run({app_state.OBJECT_PARAM: str(catalog.at[row, "object_id"])})
    assert not at.get("dataframe") or all("likeness" not in d.value.columns for d in at.dataframe)
    at.button(key="more_like_object_ask").click().run()
    (table,) = [d for d in at.dataframe if "likeness" in d.value.columns]
    found = table.value
    assert len(found) == min(50, len(catalog) - 1) and catalog.at[row, "object_id"] not in set(found["object_id"])
    assert found["likeness"].is_monotonic_decreasing
    rrab = int((catalog["label"] == "RRAB").sum()) - 1  # the other objects of its class
    same = catalog.set_index("object_id").loc[found["object_id"].head(rrab), "label"]
    assert (same == "RRAB").mean() >= 0.9  # with 52 objects the "survey at large" holds its class too
    assert len(at.get("download_button")) >= 3
    at.button(key="more_like_object_select").click().run()
    selected = at.session_state["lasso_rows"]
    assert sorted(catalog.loc[selected, "object_id"]) == sorted(found["object_id"])
    at.button(key="more_like_selection_ask").click().run()  # and from the selection itself: the objects left
    (table,) = [d for d in at.dataframe if "likeness" in d.value.columns]
    assert set(table.value["object_id"]) == set(catalog["object_id"]) - set(found["object_id"])


def test_a_whole_selection_is_labelled_at_once(tiny_data, monkeypatch, tmp_path):
    from astrodisc.labels.database import LabelDB

    monkeypatch.setenv("ASTRODISC_LABELS", str(tmp_path / "labels.sqlite"))
    at = _run()
    at.session_state["lasso_rows"] = [0, 1, 2, 5]
    at.run()
    at.text_input(key="sel_annotator").input("ana")
    at.button(key="FormSubmitter:label_selection-Label all 4").click().run()
    assert any(e.value.startswith("Nothing labelled: give your name and a class") for e in at.error)
    assert not len(LabelDB(tmp_path / "labels.sqlite").latest("tiny-sim"))  # nothing half-done
    at.selectbox(key="sel_class").set_value("M")
    at.button_group(key="sel_interest").set_value(3)
    at.button(key="FormSubmitter:label_selection-Label all 4").click().run()
    assert any(s.value.startswith("Labelled 4 objects M") for s in at.success)
    stored = LabelDB(tmp_path / "labels.sqlite").latest("tiny-sim", "ana")
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    assert sorted(stored["object_id"]) == sorted(catalog.loc[[0, 1, 2, 5], "object_id"])
    assert set(stored["label"]) == {"M"} and set(stored["interest"]) == {3}


def test_more_like_your_labels_on_the_label_page_ranks_that_class_first(tiny_data, monkeypatch, tmp_path):
    """Two objects labelled EW and one RRAB by the annotator: "more like your labels EW" (against the RRAB)
    lists the other EW stars first, none of the examples, and hands them to the map as its selection."""
    from astrodisc.labels.database import Label, LabelDB

    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    ew = catalog.index[catalog["label"] == "EW"].tolist()
    rrab = catalog.index[catalog["label"] == "RRAB"].tolist()
    db = LabelDB(tmp_path / "labels.sqlite")
    for r, label in ((ew[0], "EW"), (ew[1], "EW"), (rrab[0], "RRAB")):
        db.add(Label("tiny-sim", str(catalog.at[r, "object_id"]), "ana", "s0", label=label))
    at = _label_page(monkeypatch, tiny_data, tmp_path)
    assert "likeness" not in str([d.value.columns.tolist() for d in at.dataframe])  # closed: nothing computed
    at.session_state["label_more_like"] = True  # the expander opened
    at.run()
    at.selectbox(key="more_like_from").set_value("your labels EW").run()
    at.button(key="more_like_label_ask").click().run()
    (table,) = [d for d in at.dataframe if "likeness" in d.value.columns]
    found = table.value["object_id"].tolist()
    examples = set(catalog.loc[[ew[0], ew[1], rrab[0]], "object_id"])
    others = len(ew) - 2
    assert not examples & set(found)
    assert (catalog.set_index("object_id").loc[found[:others], "label"] == "EW").mean() >= 0.9
    at.button(key="more_like_label_select").click().run()
    assert sorted(at.session_state["lasso_rows"]) == sorted(catalog.index[catalog["object_id"].isin(found)])


def test_more_like_candidates_go_to_samp_with_their_likeness_or_say_what_to_start(tiny_data, monkeypatch, tmp_path):
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:file://{tmp_path / 'no-hub.lock'}")
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    at = _run({app_state.OBJECT_PARAM: str(catalog.at[0, "object_id"])})
    at.button(key="more_like_object_ask").click().run()
    at.button(key="more_like_object_samp").click().run()
    assert not at.exception
    assert any("Not sent" in e.value and "start TOPCAT or Aladin" in e.value for e in at.error)


def test_the_map_colours_by_the_annotators_labels_interest_and_predicted_interest(tiny_data, monkeypatch, tmp_path):
    """After ana labels on the Label page, the Map page offers her labels (a new class name too), her interest
    scores and the interest the learning queue predicts from them as colourings, each drawn on the map."""
    at = _label_page(monkeypatch, tiny_data, tmp_path)
    catalog = load_artifacts(tiny_data.artifact_dir).catalog
    first = _shown_object(at)
    at.selectbox(key="label_class").set_value("a new class…").run()
    at.text_input(key="label_new_class").input("odd one").run()
    at.button_group(key="label_interest").set_value(5).run()
    at.button(key="save").click().run()
    at.switch_page("pages/map.py").run()
    offered = at.sidebar.selectbox(key="colour_by").options
    assert {"labels (ana)", "interest (ana)", "predicted interest (ana)"} <= set(offered)
    row = int(catalog.index[catalog["object_id"] == first][0])

    at.sidebar.selectbox(key="colour_by").set_value("labels (ana)").run()
    traces = _map_traces(at)
    assert [int(r) for r in traces["odd one"].customdata] == [row]  # the new class name, on its object

    at.sidebar.selectbox(key="colour_by").set_value("interest (ana)").run()
    traces = _map_traces(at)
    assert [int(r) for r in traces["interest (ana)"].customdata] == [row] and list(
        traces["interest (ana)"].marker.color
    ) == [5]
    assert len(traces["no interest (ana)"].customdata) == len(catalog) - 1

    at.sidebar.selectbox(key="colour_by").set_value("predicted interest (ana)").run()
    predicted = _map_traces(at)["predicted interest (ana)"]
    colour = dict(zip((int(r) for r in predicted.customdata), predicted.marker.color, strict=True))
    assert len(colour) == len(catalog) and 0.0 <= min(colour.values()) and max(colour.values()) <= 5.0
    assert colour[row] == max(colour.values())  # the object scored 5 is the one predicted most interesting
