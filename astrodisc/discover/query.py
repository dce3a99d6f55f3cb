"""A user's own object as a query: embed one upload with the model that built an artifact set, then search.

The embedding goes through the code that embedded the catalogue, so an object exported from the survey and
uploaded again lands on its own catalogue vector:

* variable stars: :func:`astrodisc.learn.preprocess.object_inputs` then :func:`astrodisc.learn.embed.embed_inputs`. The
  trimodal CLIP model embeds each modality on its own, so a light curve alone is a query in the ``photometry``
  space and a spectrum alone one in the ``spectra`` space. The CLIP spaces share one dimension: such a query
  can search any of them (cross-modal search, as in AstroM3).
* galaxies: :func:`astrodisc.learn.galaxies.encode` on the cutout's centre crop (space ``image``), after
  resampling to the survey's pixel scale when the file gave its own. The sky noise per band, which sets the
  asinh stretch, is measured on the cutout's edge (the catalogue's comes from the survey); E(B-V) is given
  by the caller (0 unless known).

Example::

    query = embed_upload(read_lightcurve(data, "lc.csv"), artifacts, store)
    rows, scores = search_neighbours(artifacts, query, space="spectra", k=10)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from astrodisc.chain.artifacts import Artifacts
from astrodisc.chain.index import search
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.data.io.uploads import CutoutUpload, LightCurveUpload, SpectrumUpload, Upload
from astrodisc.data.open_store import Store
from astrodisc.data.pictures import to_stamp
from astrodisc.errors import UserError
from astrodisc.learn.embed import embed_inputs
from astrodisc.learn.galaxies import encode, load_galaxy_model
from astrodisc.learn.galaxy_augment import AugmentConfig, inference_view
from astrodisc.learn.preprocess import ModelInputs, object_inputs
from astrodisc.learn.varstars import load_varstar_model

SCALE_TOLERANCE = 0.01  # relative pixel-scale difference below which a cutout is not resampled
SKY_EDGE_FRACTION = 1 / 16  # width of the cutout edge the sky noise is measured on, as a fraction of its side


@dataclass(frozen=True)
class Query:
    """One uploaded object embedded: ``vector`` (D,) float32 of unit norm in ``space``."""

    space: str
    vector: np.ndarray


def model_dir(artifacts: Artifacts) -> Path:
    """The model folder that built ``artifacts`` (its manifest's model path), which must still be there."""
    path = Path(artifacts.manifest.get("model", {}).get("path", ""))
    if not (path / "weights.pt").is_file():
        raise UserError(
            f"the model that built this set is not at {path}: uploads cannot be embedded "
            f"(search by catalogue object or position still works)"
        )
    return path


def embed_upload(upload: Upload, artifacts: Artifacts, store: Store, ebv: float = 0.0) -> Query:
    """Embed ``upload`` with the model of ``artifacts`` (built on ``store``); ``ebv`` is the Galactic E(B-V)
    [mag] towards an uploaded cutout (ignored for variable stars)."""
    is_galaxies = isinstance(store, GalaxyStore)
    if isinstance(upload, CutoutUpload) != is_galaxies:
        wanted = "a galaxy cutout" if is_galaxies else "a light curve or a spectrum"
        raise UserError(f"{store.info.name} holds {store.kind_name}: upload {wanted}")
    path = model_dir(artifacts)
    if isinstance(upload, LightCurveUpload):
        return _embed_varstar(object_inputs(lightcurve=upload.lightcurve()), "photometry", path)
    if isinstance(upload, SpectrumUpload):
        return _embed_varstar(object_inputs(spectrum=upload.on_grid()), "spectra", path)
    assert isinstance(store, GalaxyStore)  # a cutout for another kind of store is refused above
    return _embed_cutout(upload, store, path, ebv)


def search_neighbours(artifacts: Artifacts, query: Query, space: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` catalogue objects most similar to ``query`` in ``space``: ``rows`` (k,) int64 catalogue rows
    and ``scores`` (k,) float32 cosine similarities, best first. The query's space and ``space`` must share a
    dimension (the CLIP spaces do); otherwise a UserError says so."""
    if space not in artifacts.indexes:
        raise UserError(f"unknown space {space!r}: this build has {', '.join(artifacts.spaces)}")
    index = artifacts.indexes[space]
    if index.d != len(query.vector):
        raise UserError(
            f"the {space} space (D={index.d}) and your {query.space} query (D={len(query.vector)}) "
            f"are not one shared space: search the {query.space} space"
        )
    scores, ids = search(index, query.vector, k)
    found = ids[0] >= 0
    return ids[0][found], scores[0][found]


# ---- variable stars -----------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _varstar_model(path: str, stamp: float):
    """The CLIP model and metadata scaler of a model folder, loaded once per folder and weights time."""
    model, scaler, _ = load_varstar_model(Path(path))
    return model, scaler


def _embed_varstar(inputs: ModelInputs, space: str, path: Path) -> Query:
    model, scaler = _varstar_model(str(path), (path / "weights.pt").stat().st_mtime)
    vectors = embed_inputs(model, scaler.transform(inputs.meta_raw), inputs)
    return Query(space, _unit(vectors[space][0]))


# ---- galaxies -----------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _image_model(path: str, stamp: float):
    encoder, aug, _ = load_galaxy_model(Path(path))
    return encoder, aug


class _Cutouts:
    """Cutouts held in memory with what ``train_images.encode`` reads of a store (``ImageData.inference``)."""

    def __init__(self, pixels: np.ndarray, sky_sigma: np.ndarray, ebv: np.ndarray, coeff: tuple[float, ...]):
        self.pixels = torch.from_numpy(pixels)  # (N, B, S, S) [pixel unit]
        self.sky_sigma = torch.from_numpy(sky_sigma)  # (N, B) [pixel unit]
        self.ebv = torch.from_numpy(ebv)  # (N,) [mag]
        self.coeff = torch.tensor(coeff, dtype=torch.float32)

    def inference(self, rows: np.ndarray, config: AugmentConfig) -> torch.Tensor:
        r = torch.from_numpy(np.asarray(rows))
        return inference_view(self.pixels[r], config, self.sky_sigma[r], self.ebv[r], self.coeff)


def _embed_cutout(upload: CutoutUpload, store: GalaxyStore, path: Path, ebv: float) -> Query:
    encoder, aug = _image_model(str(path), (path / "weights.pt").stat().st_mtime)
    imaging = store.imaging
    if imaging.pixel_scale_arcsec is None:  # pictures framed as the store's were on import
        pixels, _ = to_stamp(upload.pixels, store.stamp_px, store.info.extra.get("field", "extent"))
    else:
        pixels = resample(upload.pixels, upload.pixel_scale_arcsec, imaging.pixel_scale_arcsec, imaging.is_flux)
    if pixels.shape[-1] < aug.crop_px:
        scale = imaging.pixel_scale_arcsec
        raise UserError(
            f"{upload.name} is {pixels.shape[-1]}×{pixels.shape[-1]} px at {scale:g}″/px; the model reads the "
            f"central {aug.crop_px}×{aug.crop_px} px ({aug.crop_px * (scale or 0):.1f}″)"
        )
    sky = sky_sigma(pixels, upload.name) if imaging.is_flux else np.zeros(len(pixels), np.float32)
    if not np.isfinite(ebv) or ebv < 0:
        raise UserError(f"E(B-V) must be a non-negative number of magnitudes, got {ebv}")
    data = _Cutouts(
        pixels[None], sky[None], np.array([ebv], np.float32), imaging.extinction_coeff[: len(store.info.bands)]
    )
    return Query("image", _unit(encode(encoder, data, np.array([0]), aug)[0]))


def resample(pixels: np.ndarray, scale_arcsec: float | None, target_arcsec: float, is_flux: bool) -> np.ndarray:
    """(B, S', S') float32 ``pixels`` (B, S, S) resampled from ``scale_arcsec`` to ``target_arcsec`` [arcsec/px]:
    pixel averages over the new pixels when they are larger (exact for whole-number ratios), bilinear when
    smaller. Fluxes per pixel scale with the pixel area, 8-bit levels do not. Unchanged when the scale is
    unknown (None) or within SCALE_TOLERANCE."""
    if scale_arcsec is None or abs(scale_arcsec / target_arcsec - 1) < SCALE_TOLERANCE:
        return pixels
    ratio = scale_arcsec / target_arcsec  # < 1: the upload's pixels are smaller, so there will be fewer
    size = max(1, round(pixels.shape[-1] * ratio))
    x = torch.from_numpy(np.ascontiguousarray(pixels))[None]
    if ratio < 1:
        out = F.interpolate(x, size=(size, size), mode="area")[0].numpy()
    else:
        out = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)[0].numpy()
    return (out / ratio**2 if is_flux else out).astype(np.float32)


def sky_sigma(pixels: np.ndarray, name: str = "the cutout") -> np.ndarray:
    """(B,) per-pixel sky noise [pixel unit] of a (B, S, S) flux cutout: the scaled median absolute deviation
    of its edge pixels (a frame SKY_EDGE_FRACTION of the side wide), 3-sigma clipped to drop neighbours' light."""
    side = pixels.shape[-1]
    width = max(2, round(side * SKY_EDGE_FRACTION))
    edge = np.ones((side, side), bool)
    edge[width:-width, width:-width] = False
    out = []
    for band, image in enumerate(pixels):
        values = image[edge].astype(np.float64)
        for _ in range(5):
            centre = np.median(values)
            sigma = 1.4826 * np.median(np.abs(values - centre))
            if sigma <= 0:
                break
            values = values[np.abs(values - centre) < 3 * sigma]
        sigma = 1.4826 * np.median(np.abs(values - np.median(values)))
        if not sigma > 0:
            raise UserError(
                f"{name}: band {band + 1} has no sky noise at its edge (constant pixels?), so its "
                f"brightness scale cannot be set"
            )
        out.append(sigma)
    return np.array(out, np.float32)


def _unit(vector: np.ndarray) -> np.ndarray:
    """(D,) float32 of unit norm, as the built indexes hold."""
    vector = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm == 0:
        raise UserError("the model gave no usable embedding for this upload (zero or non-finite vector)")
    return vector / norm
