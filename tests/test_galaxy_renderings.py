"""Pretraining on two renderings of the same galaxies (`astrodisc train --pair-with`): each positive pair takes one
view from each, and a dataset of other objects is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from astrodisc.cli import main
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.errors import UserError
from astrodisc.learn.galaxies import ImageData, Renderings, augment_config_for
from astrodisc.learn.galaxy_augment import AugmentConfig


@pytest.fixture(scope="module")
def drawn_twice(tmp_path_factory):
    """A 64-galaxy simulated sky drawn as viewer pictures twice, with other requests (seeds 1 and 2)."""
    root = tmp_path_factory.mktemp("renderings")
    assert main(["simulate", "galaxies", "--n", "64", "--seed", "3", "--out", str(root / "sky"), "--quiet"]) == 0
    for seed in (1, 2):
        args = ["simulate", "viewer", "--sky", str(root / "sky"), "--seed", str(seed), "--out", str(root / f"v{seed}")]
        assert main([*args, "--quiet"]) == 0
    return root


def test_each_pair_takes_one_view_from_each_rendering(drawn_twice):
    first, second = (ImageData(GalaxyStore(drawn_twice / name)) for name in ("v1", "v2"))
    assert not torch.equal(first.pixels, second.pixels)  # the same galaxies, drawn otherwise
    second.__dict__["pixels"] = torch.zeros_like(second.pixels)  # so a view of the second rendering is blank
    plain = augment_config_for(first, AugmentConfig(redraw=0.0))  # rotations and crops keep a blank view blank
    v1, v2 = Renderings([first, second]).pair(np.arange(64), torch.Generator().manual_seed(0), plain)
    blank1, blank2 = v1.flatten(1).abs().sum(1) == 0, v2.flatten(1).abs().sum(1) == 0
    assert torch.equal(blank1, ~blank2)  # never both views from one rendering
    assert 10 < int(blank1.sum()) < 54  # and which one comes first is drawn per galaxy


def test_other_objects_or_the_same_dataset_twice_are_refused(drawn_twice, tmp_path):
    """Pictures of another sky (same bands, unit and size: only the objects differ), and one dataset twice."""
    assert main(["simulate", "galaxies", "--n", "32", "--seed", "3", "--out", str(tmp_path / "sky"), "--quiet"]) == 0
    other = tmp_path / "other"
    assert main(["simulate", "viewer", "--sky", str(tmp_path / "sky"), "--out", str(other), "--quiet"]) == 0
    first = ImageData(GalaxyStore(drawn_twice / "v1"))
    assert GalaxyStore(other).cutouts.shape[1:] == first.store.cutouts.shape[1:]
    with pytest.raises(UserError, match="not another rendering"):
        Renderings([first, ImageData(GalaxyStore(other))])
    with pytest.raises(UserError, match="given twice"):
        Renderings([first, ImageData(GalaxyStore(drawn_twice / "v1"))])


def test_training_with_a_second_rendering_records_it(drawn_twice):
    out = drawn_twice / "model"
    args = ["train", "--dataset", str(drawn_twice / "v1"), "--pair-with", str(drawn_twice / "v2"), "--out", str(out)]
    assert main([*args, "--objective", "moco", "--epochs", "1", "--batch-size", "32", "--quiet"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["paired_with"] == ["v2"] and len(config["training"]["paired_digests"]) == 1
    card = (out / "MODEL_CARD.md").read_text()
    assert f"--pair-with {drawn_twice / 'v2'}" in card and "two renderings of an object: it and `v2`" in card
