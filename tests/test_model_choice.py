"""Which shipped encoder reads a dataset: build picks by what the dataset holds (flux cutouts or 8-bit pictures)
and says so; a model of the user's own is taken as given and refused, with the shipped one named, if it cannot."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.io.galaxies import import_cutout_folder
from astrodisc.data.open_store import open_store
from astrodisc.errors import UserError
from astrodisc.learn.embed import check_model, model_for
from astrodisc.paths import models_dir

FLUX_MODEL, PICTURE_MODEL = "galaxies-moco", "galaxies-viewer-moco"


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> GalaxyStore:
    root = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(1)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(root / f"g{i}.png")
    pd.DataFrame({"file_loc": [f"g{i}.png" for i in range(3)], "ra": [1.0, 2, 3], "dec": [0.0, 0, 0]}).to_csv(
        root / "cat.csv", index=False
    )
    return GalaxyStore(import_cutout_folder(root, root / "cat.csv", root / "store", progress=False))


def test_build_picks_the_shipped_model_that_reads_pictures(pictures):
    chosen, note = model_for(pictures, None)
    assert chosen.name == PICTURE_MODEL and note.startswith(f"model: {PICTURE_MODEL}, the shipped model that reads")
    check_model(pictures, chosen)  # it does read them


def test_the_shipped_flux_model_given_for_pictures_gives_way_to_its_sibling(pictures):
    chosen, note = model_for(pictures, models_dir() / FLUX_MODEL)
    assert chosen.name == PICTURE_MODEL
    assert note == f"model: {FLUX_MODEL} cannot read 3-band rgb8 cutouts; using the shipped {PICTURE_MODEL}, which does"


def test_a_model_of_ones_own_is_taken_as_given_and_refused_naming_the_shipped_one(pictures, tmp_path):
    own = tmp_path / "my-flux-model"
    shutil.copytree(models_dir() / FLUX_MODEL, own)
    assert model_for(pictures, own) == (own, None)
    with pytest.raises(UserError, match=f"reads 3-band nanomaggy cutouts.*the shipped {PICTURE_MODEL} reads them"):
        check_model(pictures, own)


def test_a_shipped_model_of_another_kind_is_refused_not_swapped(tiny_artifacts):
    stars = open_store(tiny_artifacts.dataset_dir)
    assert model_for(stars, models_dir() / FLUX_MODEL) == (models_dir() / FLUX_MODEL, None)
    with pytest.raises(UserError):
        check_model(stars, models_dir() / FLUX_MODEL)
