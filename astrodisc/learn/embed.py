"""Batch inference: every object of a store into each embedding space of a model."""

from __future__ import annotations

import json
import os
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from tqdm import tqdm

from astrodisc.base.distributed import active_runner, row_ranges
from astrodisc.data.catalogs import CatalogStore
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.open_store import Store
from astrodisc.errors import UserError
from astrodisc.learn.encoders.clip_model import MODALITIES, fuse
from astrodisc.learn.preprocess import MetadataScaler, ModelInputs, model_inputs
from astrodisc.learn.varstars import load_varstar_model, to_batch
from astrodisc.paths import models_dir

if TYPE_CHECKING:  # imported where used: only galaxy stores need them
    from astrodisc.learn.encoders.resnet import ResNetEncoder
    from astrodisc.learn.galaxies import ImageData
    from astrodisc.learn.galaxy_augment import AugmentConfig

EMBED_CHUNK = 65_536  # objects per embedding task; a multiple of embed_inputs' batch, so one process batches as before
IMAGE_CHUNK = 2048  # cutouts per embedding task (as many as before, when they were chunked for the progress bar)


def embed_inputs(
    model,
    meta: np.ndarray,
    inputs: ModelInputs,
    batch_size: int = 1024,
    progress: bool = False,
    representations: bool = False,
) -> dict[str, np.ndarray]:
    """{space: (N, D) float32}: L2-normalised shared-space embeddings per modality plus ``fused``
    (or, with ``representations``, the encoder outputs (N, hidden) per modality, for probes)."""
    out: dict[str, list[np.ndarray]] = {m: [] for m in MODALITIES}
    if not representations:
        out["fused"] = []
    model.eval()
    with torch.no_grad():
        for i in tqdm(range(0, len(inputs), batch_size), desc="embed", disable=not progress):
            batch = to_batch(inputs, meta, np.arange(i, min(i + batch_size, len(inputs))))
            if representations:
                for m in MODALITIES:
                    out[m].append(model.represent(batch, m).numpy())
                continue
            emb = model(batch)
            emb["fused"] = fuse(emb, batch["has_spec"])
            for space, value in emb.items():
                out[space].append(value.numpy())
    return {space: np.concatenate(parts).astype(np.float32) for space, parts in out.items()}


def embed_store(store: Store, model_dir: Path, progress: bool = True) -> dict[str, np.ndarray]:
    """Embeddings of every object of ``store`` with the model in ``model_dir``; a variable-star dataset
    without spectra gets no ``spectra`` space, a galaxy dataset has the one space ``image``, a catalogue the one
    space ``metadata``.

    Variable stars: the light-curve features and then chunks of ``EMBED_CHUNK`` objects run on the
    :func:`astrodisc.base.distributed.active_runner` (here, or on a Dask cluster whose workers each load the model
    from ``model_dir``, which must then be on a filesystem they share)."""
    if isinstance(store, GalaxyStore):
        return embed_galaxies(store, model_dir, progress)
    if isinstance(store, CatalogStore):
        from astrodisc.learn.catalogs import embed_catalog

        return embed_catalog(store, model_dir, progress)
    inputs = model_inputs(store, progress)
    runner = active_runner()
    chunks = [_input_rows(inputs, lo, hi) for lo, hi in row_ranges(len(inputs), runner, EMBED_CHUNK)]
    parts = list(
        tqdm(
            runner.map_chunks(_embed_chunk, chunks, model_dir=str(Path(model_dir).resolve())),
            total=len(chunks),
            desc="embed",
            disable=not progress,
        )
    )
    spaces = {space: np.concatenate([part[space] for part in parts]) for space in parts[0]}
    if not inputs.has_spec.any():
        spaces.pop("spectra")
    return spaces


def _input_rows(inputs: ModelInputs, lo: int, hi: int) -> ModelInputs:
    """Rows ``lo:hi`` of ``inputs`` (views, not copies)."""
    return ModelInputs(**{f.name: getattr(inputs, f.name)[lo:hi] for f in fields(ModelInputs)})


def _embed_chunk(inputs: ModelInputs, *, model_dir: str) -> dict[str, np.ndarray]:
    """{space: (len(inputs), D) float32} of one chunk, with the model of ``model_dir`` (loaded once per process
    and model version)."""
    model, scaler = _cached_model(model_dir, _stamp(model_dir))
    return embed_inputs(model, scaler.transform(inputs.meta_raw), inputs)


@lru_cache(maxsize=2)
def _cached_model(model_dir: str, stamp: int) -> tuple[torch.nn.Module, MetadataScaler]:
    model, scaler, _ = load_varstar_model(Path(model_dir))
    return model, scaler


def embed_galaxies(store: GalaxyStore, model_dir: Path, progress: bool = True) -> dict[str, np.ndarray]:
    """{"image": (N, D)} backbone features of every cutout's centre crop (the representation that the
    probes, the similarity search and the map use, as Stein et al. 2021 search on it), ``IMAGE_CHUNK`` cutouts
    per task of the :func:`astrodisc.base.distributed.active_runner`; and {"arcs": (N, d)}, the arc finder's
    features at full resolution, when the model folder holds one that reads the store (``learn.arc_finder``)."""
    from astrodisc.learn.arc_finder import arc_outputs
    from astrodisc.learn.galaxies import load_galaxy_model

    encoder, _, config = load_galaxy_model(model_dir)
    _check_reads(store, model_dir, encoder, config)
    runner = active_runner()
    chunks = [np.arange(lo, hi) for lo, hi in row_ranges(len(store), runner, IMAGE_CHUNK)]
    parts = runner.map_chunks(
        _encode_chunk, chunks, root=str(Path(store.root).resolve()), model_dir=str(Path(model_dir).resolve())
    )
    spaces = {"image": np.concatenate(list(tqdm(parts, total=len(chunks), desc="embed", disable=not progress)))}
    arcs = arc_outputs(store, model_dir, progress)
    if arcs is not None:
        spaces["arcs"] = arcs[0]
    return spaces


def _reads(config: dict, store: Store) -> bool:
    """Whether a model folder's ``config.json`` (as a dict) is for ``store``'s kind, bands and pixel unit."""
    if config.get("kind") != store.info.kind:
        return False
    if isinstance(store, GalaxyStore):
        channels = config.get("encoder", {}).get("in_channels")
        return channels == len(store.info.bands) and config.get("pixel_unit", "nanomaggy") == store.imaging.pixel_unit
    return True


def shipped_model_for(store: Store) -> Path:
    """The shipped model (a folder of ``models/``, in name order) that reads ``store``: its kind and, for
    galaxies, its bands and pixel unit (flux cutouts or 8-bit colour pictures); a UserError when none does."""
    for folder in sorted(p for p in models_dir().iterdir() if (p / "config.json").is_file()):
        if _reads(json.loads((folder / "config.json").read_text()), store):
            return folder
    raise UserError(f"no shipped model reads {store.info.name} ({_holds(store)}): train one with astrodisc train")


def model_for(store: Store, model_dir: Path | None) -> tuple[Path, str | None]:
    """The model ``astrodisc build`` uses for ``store``, and a note when it is not the one asked for: the shipped
    model that reads the store when ``model_dir`` is None, or when ``model_dir`` is a shipped model of the same
    kind that cannot read it (the flux encoder given colour pictures: its sibling for pictures is taken). A model
    of the user's own is used as given (:func:`check_model` then refuses it if it cannot read the store)."""
    if model_dir is None:
        chosen = shipped_model_for(store)
        return chosen, f"model: {chosen.name}, the shipped model that reads {store.info.name} ({_holds(store)})"
    model_dir = Path(model_dir)
    config_path = model_dir / "config.json"
    shipped = model_dir.resolve().parent == models_dir().resolve() and config_path.is_file()
    config = json.loads(config_path.read_text()) if shipped else {}
    if not shipped or config.get("kind") != store.info.kind or _reads(config, store):
        return model_dir, None  # a model of one's own, of another kind, or one that reads the store: as given
    try:
        chosen = shipped_model_for(store)
    except UserError:
        return model_dir, None  # no sibling: check_model says what the given one cannot read
    return chosen, f"model: {model_dir.name} cannot read {_holds(store)}; using the shipped {chosen.name}, which does"


def _holds(store: Store) -> str:
    if isinstance(store, GalaxyStore):
        return f"{len(store.info.bands)}-band {store.imaging.pixel_unit} cutouts"
    return store.info.kind


def _check_reads(store: GalaxyStore, model_dir: Path, encoder: ResNetEncoder, config: dict) -> None:
    """A UserError unless the image model reads cutouts of ``store``'s bands and pixel unit; it names the
    shipped model that does, if one does."""
    if not _reads(config, store):
        try:
            hint = f"; the shipped {shipped_model_for(store).name} reads them"
        except UserError:
            hint = ""
        raise UserError(
            f"model {Path(model_dir).name} reads {encoder.config.in_channels}-band "
            f"{config.get('pixel_unit')} cutouts; {store.info.name} has {_holds(store)}{hint}"
        )


def check_model(store: Store, model_dir: Path) -> None:
    """Load the model of ``model_dir`` as ``embed_store`` would for ``store``: a UserError if it cannot (weights
    refused, a model of another kind, cutouts of other bands). ``astrodisc build`` asks before it makes its
    staging folder and lock, so a refused model leaves nothing behind."""
    if isinstance(store, GalaxyStore):
        from astrodisc.learn.galaxies import load_galaxy_model

        encoder, _, config = load_galaxy_model(model_dir)
        _check_reads(store, model_dir, encoder, config)
    elif isinstance(store, CatalogStore):
        from astrodisc.learn.catalogs import load_catalog_model

        load_catalog_model(model_dir)
    else:
        load_varstar_model(Path(model_dir))


def _encode_chunk(rows: np.ndarray, *, root: str, model_dir: str) -> np.ndarray:
    """(len(rows), D) features of the cutouts ``rows`` of the galaxy store at ``root`` (model and store opened
    once per process)."""
    from astrodisc.learn.galaxies import encode

    encoder, aug = _cached_image_model(model_dir, _stamp(model_dir))
    return encode(encoder, _image_data(root, os.stat(Path(root) / "objects.parquet").st_mtime_ns), rows, aug)


@lru_cache(maxsize=1)
def _cached_image_model(model_dir: str, stamp: int) -> tuple[ResNetEncoder, AugmentConfig]:
    from astrodisc.learn.galaxies import load_galaxy_model

    encoder, aug, _ = load_galaxy_model(Path(model_dir))
    return encoder, aug


@lru_cache(maxsize=1)
def _image_data(root: str, stamp: int) -> ImageData:
    from astrodisc.learn.galaxies import ImageData

    return ImageData(GalaxyStore(Path(root)))


def _stamp(model_dir: str) -> int:
    """The newest modification time [ns] of a model folder's files: a retrained model is loaded again."""
    return max((p.stat().st_mtime_ns for p in Path(model_dir).rglob("*")), default=0)
