"""The simulated sky as survey viewers render it: the pictures astronomers save from the Legacy Survey, SDSS and HSC
viewers, made from a simulated flux sky (:mod:`astrodisc.data.sim.galaxies`) and imported as real ones are.

Each galaxy gets a request as users make them: a pixel scale log-uniform in ``scale_range`` [arcsec/px] and a
picture size from ``sizes`` [px]. Its flux stamp is set in a field of that size filled with the survey's own sky
noise (the stamp's per-band ``sky_sigma``), or cut to it when the request is smaller than the stamp, resampled to
the requested pixels (flux per pixel scaled by the pixel area), drawn in one of the viewers' colour styles
(:func:`astrodisc.data.pictures.viewer_rgb`, one drawn per picture from ``styles``), saved as JPEG (quality in
``jpeg_quality``) or PNG, decoded, and brought to the stamp by the importer's own framing
(:func:`astrodisc.data.pictures.to_stamp`). The result is an ``rgb8`` galaxy store with the same objects and the
same hidden truth, for training and evaluating the encoder of colour pictures. The sky is best simulated on
128-px stamps, so that large galaxies are not cut at a 64-px stamp's edge. Example::

    astrodisc simulate galaxies --stamp-px 128 --out data/galaxies-demo-wide
    astrodisc simulate viewer --sky data/galaxies-demo-wide --out data/galaxies-viewer-demo
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from astrodisc.data.arcs import central
from astrodisc.data.galaxies import DECAM_EXTINCTION, CutoutWriter, GalaxyImaging, GalaxyStore, finish_galaxy_store
from astrodisc.data.pictures import VIEWER_STYLES, Field, Style, as_rgb8, decode_picture, to_stamp, viewer_rgb
from astrodisc.data.store import TRUTH_FILE
from astrodisc.errors import UserError

JPEG_MAGIC = b"\xff\xd8"  # the first bytes of a JPEG file
MAX_FIELD_PX = 640  # the noise field around a stamp, in the stamp's own pixels, is capped at this side


@dataclass(frozen=True)
class ViewerConfig:
    """What users ask the viewers for, and how the pictures are framed on import."""

    seed: int = 0
    scale_range: tuple[float, float] = (0.1, 0.5)  # requested pixel scale [arcsec/px], log-uniform
    sizes: tuple[int, ...] = (128, 152, 200, 256, 300, 424)  # requested picture side [px]
    jpeg_fraction: float = 0.6  # share of pictures saved as JPEG (the rest PNG)
    jpeg_quality: tuple[int, int] = (70, 95)
    styles: tuple[Style, ...] = VIEWER_STYLES  # colour drawings, one chosen at random per picture
    stamp_px: int = 64  # side [px] of the stamps the pictures are brought to (not the flux sky's)
    field: Field = "extent"


def viewer_picture(
    stamp: np.ndarray, sky_sigma: np.ndarray, stamp_scale: float, rng: np.random.Generator, config: ViewerConfig
) -> bytes:
    """One (B, S, S) flux stamp [nanomaggy] at ``stamp_scale`` [arcsec/px] as the bytes of a viewer's picture
    (PNG or JPEG) at a random request; ``sky_sigma`` (B,) is the stamp's per-pixel sky noise [nanomaggy]."""
    scale = float(np.exp(rng.uniform(*np.log(config.scale_range))))
    size = int(rng.choice(config.sizes))
    style = config.styles[int(rng.integers(len(config.styles)))]
    b, s, _ = stamp.shape
    request = int(min(np.ceil(size * scale / stamp_scale), MAX_FIELD_PX))  # the field asked for [stamp px]
    if request <= s:  # the picture's edge cuts the stamp, as a viewer's would cut the sky
        canvas = np.nan_to_num(central(stamp, request)).astype(np.float32)
    else:  # the stamp in a field of the survey's own sky noise
        canvas = rng.normal(0.0, 1.0, (b, request, request)).astype(np.float32) * sky_sigma[:, None, None]
        lo = (request - s) // 2
        canvas[:, lo : lo + s, lo : lo + s] = np.nan_to_num(stamp)
    area = (request * stamp_scale / size) ** 2 / stamp_scale**2  # picture pixel area / stamp pixel area
    resized = np.stack(
        [
            np.asarray(Image.fromarray(plane, mode="F").resize((size, size), Image.Resampling.BOX), np.float32)
            for plane in canvas
        ]
    )
    rgb = viewer_rgb(resized * area, style)
    buffer = io.BytesIO()
    if rng.random() < config.jpeg_fraction:
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=int(rng.integers(*config.jpeg_quality)))
    else:
        Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def viewer_pictures(
    sky: GalaxyStore, config: ViewerConfig, n: int | None = None, progress: bool = False
) -> Iterator[bytes]:
    """The viewer pictures (PNG or JPEG bytes) of the first ``n`` galaxies of a simulated flux sky (all by
    default), in row order, their requests drawn from ``config.seed``; a UserError at once for any other store."""
    stamp_scale = sky.imaging.pixel_scale_arcsec
    if not sky.info.simulated or not sky.imaging.is_flux or stamp_scale is None:
        raise UserError(f"{sky.info.name} is not a simulated flux sky: viewer pictures are rendered from one")
    sky_sigma = sky.objects[[f"sky_sigma_{band}" for band in sky.info.bands]].to_numpy(np.float32)
    rng = np.random.default_rng(config.seed)
    rows = range(len(sky) if n is None else min(n, len(sky)))
    return (
        viewer_picture(np.asarray(sky.cutouts[i]), sky_sigma[i], stamp_scale, rng, config)
        for i in tqdm(rows, desc="viewer pictures", disable=not progress, mininterval=2)
    )


def render_viewer_sky(sky_dir: Path, out: Path, config: ViewerConfig = ViewerConfig(), progress: bool = True) -> Path:
    """The simulated flux sky at ``sky_dir`` as an ``rgb8`` store of viewer pictures written into the folder ``out``
    (``astrodisc simulate viewer`` stages it, so it is published whole); returns ``out``."""
    sky = GalaxyStore(Path(sky_dir))
    pictures = viewer_pictures(sky, config, progress=progress)
    framing = np.zeros(len(sky), np.float32)
    out = Path(out)
    writer = CutoutWriter(out, len(sky), 3, config.stamp_px, np.uint8)
    for i, data in enumerate(pictures):
        picture = decode_picture(data)
        stamp, frame = to_stamp(picture, config.stamp_px, config.field)
        writer.write(i, as_rgb8(stamp)[None])
        framing[i] = frame.side_px / picture.shape[-1]
    writer.close()
    objects = sky.objects.copy()
    objects["framed_fraction"] = framing  # the share of the picture's side the stamp shows
    info = replace(
        sky.info,
        name=out.name,
        bands=("R", "G", "B"),
        encoder_band="G",
        mag_system="",
        source=f"{sky.info.name} rendered as viewer pictures ({asdict(config)})",
        extra={k: v for k, v in sky.info.extra.items() if k != "imaging"}
        | {"stamp_px": config.stamp_px, "field": config.field},
    )
    coefficients = tuple(DECAM_EXTINCTION[b] for b in reversed(sky.info.bands))  # R, G, B = z, r, g
    finish_galaxy_store(out, info, GalaxyImaging(None, "rgb8", 0.0, coefficients), objects)
    shutil.copy2(sky.root / TRUTH_FILE, out / TRUTH_FILE)  # the same galaxies: the same hidden truth
    return out


def write_viewer_files(
    sky_dir: Path, out: Path, config: ViewerConfig = ViewerConfig(), limit: int | None = None, progress: bool = True
) -> Path:
    """The first ``limit`` galaxies of the simulated sky at ``sky_dir`` as a folder of viewer picture files, as an
    astronomer would hand them over: ``out/pictures/<object_id>.jpg|png`` and ``out/catalogue.csv`` (``file_loc``,
    ``ra``, ``dec``, ``label``), for ``astrodisc import galaxy-folder``; returns ``out``."""
    sky = GalaxyStore(Path(sky_dir))
    pictures = viewer_pictures(sky, config, limit, progress)
    folder = Path(out) / "pictures"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for object_id, data in zip(sky.objects["object_id"], pictures, strict=False):  # the first ``limit`` rows
        name = f"{object_id}{'.jpg' if data[:2] == JPEG_MAGIC else '.png'}"
        (folder / name).write_bytes(data)
        files.append(f"pictures/{name}")
    n = len(files)
    catalogue = sky.objects[["ra", "dec", "label"]].iloc[:n].assign(file_loc=files)
    catalogue[["file_loc", "ra", "dec", "label"]].to_csv(Path(out) / "catalogue.csv", index=False)
    return Path(out)
