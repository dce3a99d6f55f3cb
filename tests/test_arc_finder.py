"""The arc finder: arcs pasted in at the S/N asked for, a briefly trained finder tells them from none, the
shipped finder raises its probability when an arc is pasted into a real build's galaxies, a build with it
adds the arcs space and columns, and the Label page walks its lens candidates."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from search_data import real_sets
from sklearn.metrics import roc_auc_score
from streamlit.testing.v1 import AppTest

from astrodisc.app.galaxy_rgb import ARC_VIEW_PX, arc_view
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.data.arcs import PIXEL_SCALE_DEFAULT, central
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.red_sequence import LENS_SCORE, red_sequence_probability
from astrodisc.data.sim.galaxies import GalaxySimConfig, simulate_galaxies
from astrodisc.discover.label_queue import LENS_CANDIDATES
from astrodisc.learn.arc_finder import (
    ArcFinderConfig,
    arc_bank,
    arc_outputs,
    finder_input,
    has_arc_finder,
    inject,
    load_arc_finder,
    train_arc_finder,
)
from astrodisc.paths import PROJECT_ROOT, models_dir

SCALE = 0.262


@pytest.fixture(scope="module")
def small_sky(tmp_path_factory) -> GalaxyStore:
    out = tmp_path_factory.mktemp("arc-sky") / "sky"
    simulate_galaxies(GalaxySimConfig(n=300, seed=5, workers=1), out, progress=False)
    return GalaxyStore(out)


def _probability(net, config, cutouts: np.ndarray, psf: np.ndarray, sky: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return torch.sigmoid(net(finder_input(cutouts, psf, sky, SCALE, config.crop_px))).numpy()


def _pasted(store: GalaxyStore, rows: np.ndarray, config: ArcFinderConfig, seed: int) -> np.ndarray:
    """Cutouts ``rows`` of ``store`` with an arc of a fresh bank (its own seed) pasted into each."""
    psf, sky = store.psf_and_sky()
    bank = torch.from_numpy(arc_bank(config, store.stamp_px, SCALE, np.random.default_rng(seed)))
    x = torch.from_numpy(np.asarray(store.cutouts[rows], np.float32))
    gen = torch.Generator().manual_seed(seed)
    psf_px = torch.from_numpy(psf[rows] / SCALE).float()
    return inject(x, psf_px, torch.from_numpy(sky[rows]).float(), bank, config, gen).numpy()


def test_a_pasted_arc_has_the_signal_to_noise_asked_for(small_sky):
    config = ArcFinderConfig(bank_size=20, arc_snr=(30.0, 30.0))
    rows = np.arange(20)
    _, sky = small_sky.psf_and_sky()
    added = _pasted(small_sky, rows, config, seed=1) - np.asarray(small_sky.cutouts[rows], np.float32)
    snr = np.sqrt((added**2 / sky[rows, :, None, None] ** 2).sum(axis=(1, 2, 3)))
    assert np.all((snr > 29.0) & (snr < 33.0))  # 30 against the sky, plus the arc's own photon noise


def test_a_briefly_trained_finder_tells_pasted_arcs_from_none_and_loads_back(small_sky, tmp_path):
    config = ArcFinderConfig(steps=300, batch_size=64, width=8, bank_size=200, arc_snr=(40.0, 120.0))
    training = train_arc_finder(small_sky, tmp_path, config, "test", progress=False)
    assert training.loss_last < training.loss_first - 0.05 and has_arc_finder(tmp_path)
    net, loaded, scale = load_arc_finder(tmp_path)
    assert loaded == config and scale == SCALE
    rows = np.arange(100, 300)  # fresh arcs (another bank) in the galaxies, against the same galaxies plain
    psf, sky = small_sky.psf_and_sky()
    with_arc = _probability(net, config, _pasted(small_sky, rows, config, seed=9), psf[rows], sky[rows])
    plain = _probability(net, config, np.asarray(small_sky.cutouts[rows]), psf[rows], sky[rows])
    truth = np.r_[np.ones(len(rows)), np.zeros(len(rows))]
    assert roc_auc_score(truth, np.r_[with_arc, plain]) > 0.65  # 300 steps of a narrow network: 0.71
    features, probability = arc_outputs(small_sky, tmp_path, progress=False)
    assert features.shape == (len(small_sky), config.feature_dim) and np.isfinite(features).all()
    assert np.allclose(probability[rows], plain, atol=1e-5)


def test_the_shipped_finder_sees_arcs_pasted_into_a_build_and_the_build_holds_its_space(tmp_path_factory):
    """The build of 60 simulated galaxies with models/galaxies-moco: an ``arcs`` space of unit rows, an
    ``arc_probability`` column and the ``lens_score`` weighing it by the red sequence; arcs of S/N 30-100 pasted
    into those galaxies raise the shipped finder's probability for most of them and rank them above the plain
    ones."""
    _, sky_set = real_sets(tmp_path_factory)
    art = load_artifacts(sky_set.artifact_dir)
    assert art.embeddings["arcs"].shape[0] == len(art.catalog)
    assert np.allclose(np.linalg.norm(art.embeddings["arcs"], axis=1), 1.0, atol=1e-4)
    store = GalaxyStore(sky_set.dataset_dir)
    model = models_dir() / "galaxies-moco"
    net, config, _ = load_arc_finder(model)
    plain = art.catalog["arc_probability"].to_numpy()
    assert np.all((plain >= 0) & (plain <= 1))
    red = red_sequence_probability(store.objects)  # the label-free lens score: the finder on the red sequence
    assert red is not None and np.allclose(art.catalog[LENS_SCORE].to_numpy(), plain * red, atol=1e-6)
    rows = np.arange(len(store))
    psf, sky = store.psf_and_sky()
    pasted = _probability(
        net, config, _pasted(store, rows, ArcFinderConfig(bank_size=60, arc_snr=(30.0, 100.0)), 4), psf, sky
    )
    assert np.mean(pasted > plain) >= 0.75  # 0.83 (the rest: bright cores where the finder is unsure)
    assert roc_auc_score(np.r_[np.ones(len(rows)), np.zeros(len(rows))], np.r_[pasted, plain]) > 0.8


def test_the_label_page_walks_a_galaxy_builds_lens_candidates_highest_lens_score_first_with_the_arc_view(
    tmp_path_factory, tmp_path, monkeypatch
):
    _, sky_set = real_sets(tmp_path_factory)
    catalog = load_artifacts(sky_set.artifact_dir).catalog
    queue = catalog["object_id"].to_numpy()[np.argsort(-catalog[LENS_SCORE].to_numpy(), kind="stable")]
    monkeypatch.setenv("ASTRODISC_DATA", str(sky_set.data_root))
    monkeypatch.setenv("ASTRODISC_LABELS", str(tmp_path / "labels.sqlite"))
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/label.py").run()
    at.sidebar.text_input(key="annotator").input("ana").run()
    assert LENS_CANDIDATES in at.sidebar.selectbox(key="queue_order").options
    at.sidebar.selectbox(key="queue_order").set_value(LENS_CANDIDATES).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = next(m.value for m in at.markdown if m.value.startswith("### `")).strip("#` ")
    assert shown == queue[0]
    (arcs,) = [e for e in at.expander if e.label.startswith("Arc view")]  # what the finder reads, host nulled
    assert len(arcs.get("image")) == 2


def test_the_arc_view_nulls_the_galaxy_so_a_pasted_arc_stands_out(small_sky):
    """Where an arc of S/N 60-100 was pasted (its r-band flux above 3 sky sigma), the arc view's grey rises on
    most galaxies (an arc of the core's own colour is nulled with it: physics, not a fault)."""
    psf, sky = small_sky.psf_and_sky()
    rows = np.arange(16)
    pasted = _pasted(small_sky, rows, ArcFinderConfig(bank_size=16, arc_snr=(60.0, 100.0)), 1)
    rises = []
    for k, row in enumerate(rows):
        plain = arc_view(np.asarray(small_sky.cutouts[row]), psf[row], sky[row], PIXEL_SCALE_DEFAULT)
        with_arc = arc_view(pasted[k], psf[row], sky[row], PIXEL_SCALE_DEFAULT)
        assert plain is not None and with_arc is not None
        assert plain[0].shape == (ARC_VIEW_PX, ARC_VIEW_PX, 3) and plain[1].shape == (ARC_VIEW_PX, ARC_VIEW_PX)
        arc = central(pasted[k] - np.asarray(small_sky.cutouts[row]), ARC_VIEW_PX)[1] > 3 * sky[row, 1]
        if arc.any():
            rises.append(float(with_arc[1][arc].astype(float).mean() - plain[1][arc].astype(float).mean()))
    assert len(rises) >= 12 and np.mean(rises) > 15 and np.mean(np.array(rises) > 20) >= 0.4, rises
    assert arc_view(np.asarray(small_sky.cutouts[0]), psf[0], np.full(3, np.nan), PIXEL_SCALE_DEFAULT) is None


def test_no_arc_outputs_without_a_finder_without_psf_and_sky_or_at_another_pixel_scale(small_sky, tmp_path):
    model = models_dir() / "galaxies-moco"
    assert arc_outputs(small_sky, tmp_path, progress=False) is None  # no finder in this folder
    assert arc_outputs(small_sky, model, progress=False) is not None
    shutil.copytree(small_sky.root, tmp_path / "sky")
    objects = pd.read_parquet(tmp_path / "sky" / "objects.parquet")
    objects.drop(columns=["psf_fwhm_g"]).to_parquet(tmp_path / "sky" / "objects.parquet")
    assert arc_outputs(GalaxyStore(tmp_path / "sky"), model, progress=False) is None
    shutil.copytree(small_sky.root, tmp_path / "coarse")
    info = json.loads((tmp_path / "coarse" / "dataset.json").read_text())
    info["extra"]["imaging"]["pixel_scale_arcsec"] = 0.5  # 32 px would cover 16 arcsec, not 8.4
    (tmp_path / "coarse" / "dataset.json").write_text(json.dumps(info))
    assert arc_outputs(GalaxyStore(tmp_path / "coarse"), model, progress=False) is None


def test_the_train_arcs_verb_adds_a_finder_and_its_card_section_to_a_galaxy_model(small_sky, tmp_path, capsys):
    from astrodisc.cli import main

    model = tmp_path / "galaxies-model"
    shutil.copytree(models_dir() / "galaxies-moco", model, ignore=shutil.ignore_patterns("arcs"))
    assert main(["train-arcs", "--dataset", str(small_sky.root), "--model", str(model), "--steps", "3"]) == 0
    assert has_arc_finder(model) and "trained the arc finder" in capsys.readouterr().out
    card = (model / "MODEL_CARD.md").read_text()
    assert "## Arc finder (arcs/)" in card and f"--model {model} --steps 3 --seed 0" in card
    assert "- made by: `astrodisc train --dataset data/galaxies-demo" in card  # the encoder's own line kept
    assert main(["train-arcs", "--dataset", str(small_sky.root), "--model", str(tmp_path / "none")]) == 2
    assert "no such directory" in capsys.readouterr().err
