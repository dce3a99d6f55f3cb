"""Importers of real galaxy cutouts into the galaxy store (layout in :mod:`astrodisc.data.galaxies`).

* :func:`import_cutout_folder`: a folder of FITS flux cutouts or PNG/JPEG colour composites, listed by a CSV.
* :func:`import_galaxy10_decals`: the Galaxy10 DECaLS HDF5 file (17,736 labelled 256 x 256 colour composites).

Every file is validated before it is used, and a bad one stops the import with a UserError naming it.
Each import writes into a staging folder published whole (:mod:`astrodisc.base.staging`), so an import
that fails leaves nothing behind, and a dataset already at ``out`` is replaced only with ``force``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from astropy.io import fits
from PIL import Image
from tqdm import tqdm

from astrodisc.base.csv_files import read_csv_file
from astrodisc.base.gzip_guard import check_unpacked_size
from astrodisc.base.staging import staged_dataset
from astrodisc.data.galaxies import (
    DECAM_EXTINCTION,
    MIN_CUTOUT_PX,
    MORPHOLOGIES,
    CutoutWriter,
    GalaxyImaging,
    finish_galaxy_store,
)
from astrodisc.data.pictures import COLOUR_MODES, EXTENT_FIELD, FIELDS, MIN_EXTENT_PX, Field, as_rgb8, to_stamp
from astrodisc.data.store import DatasetInfo
from astrodisc.errors import UserError

ENCODER_SCALE = 0.262  # arcsec/px of the simulated sky the flux encoder learned (DECaLS)
ENCODER_STAMP_PX = 64  # stamp side [px] the shipped encoders read (their crop is the central 56 px)
# The viewers' pixel scales [arcsec/px] and the bands of their colour pictures (blue, green, red channel order
# reversed: a picture's R channel holds the reddest band)
SURVEYS: dict[str, tuple[float, tuple[str, str, str]]] = {
    "legacy": (0.262, ("g", "r", "z")),
    "sdss": (0.396, ("g", "r", "i")),
    "hsc": (0.168, ("g", "r", "i")),
}
SMALL_FRAME, LARGE_FRAME = 0.08, 1.0  # a median framed fraction outside these is far from the encoder's domain
BRIGHT_SKY = 60  # an 8-bit picture whose sky level is brighter than this was stretched unlike a viewer's
MAX_IMAGE_PIXELS = 4096 * 4096  # per band: larger "cutouts" are refused before they are decoded
MAX_NONFINITE = 0.5  # a cutout with a larger fraction of NaN/inf pixels is refused
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fits.fz")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
RGB_BANDS = ("R", "G", "B")
# FITS BUNIT -> factor to nanomaggies (AB: 1 nanomaggy = 3.631 microjansky). Maggy names match in any case,
# Jansky units exactly (MJy is not mJy).
MAGGY_UNITS: dict[str, float] = {"nanomaggy": 1.0, "nanomaggies": 1.0, "nmgy": 1.0, "maggy": 1e9, "maggies": 1e9}
JANSKY_UNITS: dict[str, float] = {"Jy": 1e6 / 3.631, "mJy": 1e3 / 3.631, "uJy": 1 / 3.631, "nJy": 1e-3 / 3.631}
Hdu: TypeAlias = fits.PrimaryHDU | fits.ImageHDU | fits.CompImageHDU  # an HDU that holds an image

GALAXY10_CLASSES: tuple[str, ...] = (
    "Disturbed",
    "Merging",
    "Round Smooth",
    "In-between Round Smooth",
    "Cigar Shaped Smooth",
    "Barred Spiral",
    "Tight Spiral",
    "Loose Spiral",
    "Edge-on without Bulge",
    "Edge-on with Bulge",
)
GALAXY10_CHUNK = 256  # images per HDF5 read: 256 x 256 x 256 x 3 bytes = 50 MB


# --------------------------------------------------------------------------------------------- writing


@contextmanager
def _writing(out: Path, n: int, bands: int, stamp_px: int, dtype: type) -> Iterator[CutoutWriter]:
    """A CutoutWriter whose partial file is removed if the body fails, and renamed into place if it succeeds
    (``out`` is a fresh staging folder: :mod:`astrodisc.base.staging` publishes it whole)."""
    writer = CutoutWriter(out, n, bands, stamp_px, dtype)
    try:
        yield writer
    except BaseException:
        writer.tmp.unlink(missing_ok=True)
        raise
    writer.close()


# --------------------------------------------------------------------------------------------- FITS files


def _fits_planes(hdul: fits.HDUList, name: str, n_bands: int) -> list[Hdu]:
    """The HDUs holding the cutout: one (B, H, W) cube (primary or first image HDU with data) or B 2-D images."""
    images = [hdu for hdu in hdul if hdu.is_image and hdu.header.get("NAXIS", 0) > 0]
    if not images:
        raise UserError(f"no image data in {name}")
    ndim = images[0].header["NAXIS"]
    if ndim == 3:
        if images[0].shape[0] != n_bands:
            raise UserError(f"{name} holds {images[0].shape[0]} bands, expected {n_bands}")
        return images[:1]
    if ndim != 2:
        raise UserError(f"{name} holds a {ndim}-D image, expected a (bands, y, x) cube or one 2-D image per band")
    planes = [hdu for hdu in images if hdu.header["NAXIS"] == 2]
    if len(planes) != n_bands:
        raise UserError(f"{name} holds {len(planes)} 2-D images, expected {n_bands} (one per band)")
    if len({hdu.shape for hdu in planes}) > 1:
        raise UserError(f"{name}: its per-band images differ in size {sorted({hdu.shape for hdu in planes})}")
    return planes


def _card(hdul: fits.HDUList, hdu: Hdu, key: str) -> Any:
    """A header value from the image HDU, else from the primary header, else None (a card holds any type: the
    callers' arithmetic is checked at run time, a TypeError becoming a UserError)."""
    return hdu.header.get(key, hdul[0].header.get(key))


def _pixel_scale(hdul: fits.HDUList, hdu: Hdu) -> float | None:
    """Pixel scale [arcsec] along y from CD1_2/CD2_2 or CDELT2 [deg], or None without a WCS."""
    if _card(hdul, hdu, "CD2_2") is not None:
        return 3600.0 * float(np.hypot(_card(hdul, hdu, "CD1_2") or 0.0, _card(hdul, hdu, "CD2_2")))
    if _card(hdul, hdu, "CDELT2") is not None:
        return 3600.0 * abs(float(_card(hdul, hdu, "CDELT2")))
    return None


def _flux_factor(hdul: fits.HDUList, hdu: Hdu, name: str) -> float:
    """Factor from the HDU's BUNIT to nanomaggies (no BUNIT: already nanomaggies)."""
    unit = _card(hdul, hdu, "BUNIT")
    if unit is None or not str(unit).strip():
        return 1.0
    unit = str(unit).strip()
    factor = MAGGY_UNITS.get(unit.lower(), JANSKY_UNITS.get(unit))
    if factor is None:
        raise UserError(f"{name} has BUNIT {unit!r}: expected a flux in nanomaggy, maggy or (m/u/n)Jy")
    return factor


def _check_cutout_size(name: str, height: int, width: int) -> None:
    """A UserError for a picture too large for a cutout (more than MAX_IMAGE_PIXELS per band) or too small to hold
    a galaxy (under MIN_CUTOUT_PX on a side)."""
    if height * width > MAX_IMAGE_PIXELS:
        raise UserError(f"refusing {name}: {width} x {height} pixels is too large for a cutout")
    if min(height, width) < MIN_CUTOUT_PX:
        raise UserError(
            f"refusing {name}: {width} x {height} pixels is too small to hold a galaxy (a cutout has at "
            f"least {MIN_CUTOUT_PX} px on a side)"
        )


@contextmanager
def _open_fits(path: Path) -> Iterator[fits.HDUList]:
    """The HDU list of a FITS file, or a UserError naming it if it is unreadable, truncated or a gzip bomb."""
    if path.name.lower().endswith(".gz"):
        check_unpacked_size(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hdul = fits.open(path, memmap=False)
    except (OSError, ValueError, TypeError, IndexError, KeyError, EOFError) as error:
        raise UserError(f"unreadable FITS file {path.name}: {error}") from None
    with hdul:
        truncated = [str(w.message) for w in caught if "truncated" in str(w.message)]
        if truncated:
            raise UserError(f"truncated FITS file {path.name}: {truncated[0]}")
        yield hdul


def _check_bands(hdul: fits.HDUList, name: str, bands: tuple[str, ...]) -> None:
    """A Legacy-Surveys style BANDS card (e.g. 'grz') must list the expected bands in order."""
    declared = hdul[0].header.get("BANDS")
    if declared is not None and str(declared).replace(",", "").replace(" ", "") != "".join(bands):
        raise UserError(f"{name} declares bands {declared!r} (BANDS card), expected {''.join(bands)!r}")


def _fits_shape(path: Path, bands: tuple[str, ...]) -> tuple[int, int, float | None]:
    """(height, width, pixel scale [arcsec] or None) of a FITS cutout, validated from its headers only."""
    with _open_fits(path) as hdul:
        try:
            planes = _fits_planes(hdul, path.name, len(bands))
            scale = _pixel_scale(hdul, planes[0])
        except UserError:
            raise
        except (ValueError, KeyError, TypeError) as error:
            raise UserError(f"unreadable FITS header in {path.name}: {error}") from None
        height, width = planes[0].shape[-2:]
        _check_cutout_size(path.name, height, width)
        _check_bands(hdul, path.name, bands)
        _flux_factor(hdul, planes[0], path.name)
        return height, width, scale


def _read_fits(path: Path, bands: tuple[str, ...]) -> np.ndarray:
    """(B, H, W) float32 fluxes [nanomaggy] of a FITS cutout; non-finite pixels are left as they are."""
    with _open_fits(path) as hdul:
        planes = _fits_planes(hdul, path.name, len(bands))
        try:
            data = [
                np.asarray(hdu.data, dtype=np.float32) * np.float32(_flux_factor(hdul, hdu, path.name))
                for hdu in planes
            ]
        except UserError:
            raise
        except (OSError, ValueError, TypeError, EOFError) as error:
            raise UserError(f"unreadable FITS data in {path.name}: {error}") from None
    return data[0] if len(planes) == 1 else np.stack(data)


# --------------------------------------------------------------------------------------------- PNG / JPEG


@contextmanager
def _open_image(path: Path) -> Iterator[Image.Image]:
    """A Pillow image (header read, pixels not yet decoded), or a UserError naming the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UserError(f"refusing {path.name}: {error}") from None
    except (OSError, ValueError, SyntaxError) as error:
        raise UserError(f"unreadable image file {path.name}: {error}") from None
    with image:
        _check_cutout_size(path.name, image.height, image.width)
        if image.mode not in COLOUR_MODES:
            raise UserError(f"{path.name} is not a colour image (Pillow mode {image.mode}): expected RGB")
        yield image


def _image_shape(path: Path) -> tuple[int, int, None]:
    with _open_image(path) as image:
        return image.height, image.width, None


def _read_image(path: Path) -> np.ndarray:
    """(3, H, W) uint8 R, G, B of a PNG/JPEG file."""
    with _open_image(path) as image:
        try:
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
        except (OSError, ValueError, SyntaxError) as error:
            raise UserError(f"unreadable image file {path.name}: {error}") from None
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))


# --------------------------------------------------------------------------------------------- cutout folder


def _file_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(FITS_SUFFIXES):
        return "FITS"
    if name.endswith(IMAGE_SUFFIXES):
        return "image"
    raise UserError(
        f"unsupported cutout file {path.name}: expected FITS ({', '.join(FITS_SUFFIXES)}) "
        f"or an image ({', '.join(IMAGE_SUFFIXES)})"
    )


def _stem(path: Path) -> str:
    """A file's name without its cutout extension (``a.b.fits.gz`` -> ``a.b``)."""
    suffix = next((s for s in FITS_SUFFIXES + IMAGE_SUFFIXES if path.name.lower().endswith(s)), path.suffix)
    return path.name[: len(path.name) - len(suffix)]


def _numeric(table: pd.DataFrame, column: str, csv: Path) -> np.ndarray:
    try:
        return pd.to_numeric(table[column]).to_numpy(np.float64)
    except (ValueError, TypeError) as error:
        raise UserError(f"column {column} of {csv.name} is not numeric: {error}") from None


def _read_catalogue(catalogue_csv: Path, folder: Path) -> tuple[pd.DataFrame, list[Path]]:
    """The catalogue as an object table (object_id, ra, dec, label, z_spec, e_bv, file_loc, extra columns)
    and each row's cutout file."""
    if not catalogue_csv.is_file():
        raise UserError(f"catalogue not found: {catalogue_csv}")
    table = read_csv_file(
        catalogue_csv, "catalogue", dtype={"file_loc": "string", "label": "string", "object_id": "string"}
    )
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in ("file_loc", "ra", "dec") if c not in table]
    if missing:
        raise UserError(f"catalogue {catalogue_csv.name} lacks column(s) {', '.join(missing)}: needs file_loc, ra, dec")
    if table.empty:
        raise UserError(f"catalogue {catalogue_csv.name} lists no cutouts")
    if table["file_loc"].isna().any():
        raise UserError(f"catalogue {catalogue_csv.name} has rows without a file_loc")
    files = [p if p.is_absolute() else folder / p for p in map(Path, table["file_loc"].str.strip())]
    absent = [str(p) for p in files if not p.is_file()]
    if absent:
        raise UserError(f"{len(absent)} cutout file(s) of {catalogue_csv.name} not found, e.g. {absent[0]}")
    ra, dec = _numeric(table, "ra", catalogue_csv), _numeric(table, "dec", catalogue_csv)
    bad = ~(np.isfinite(ra) & np.isfinite(dec) & (np.abs(dec) <= 90))
    if bad.any():
        raise UserError(f"invalid ra/dec for {files[int(np.argmax(bad))].name} in {catalogue_csv.name}")
    stems = [_stem(p) for p in files]
    ids = table["object_id"].fillna(pd.Series(stems, index=table.index)) if "object_id" in table else stems
    z_column = next((c for c in ("redshift", "z_spec") if c in table), None)
    nan = np.full(len(table), np.nan)
    objects = pd.DataFrame(
        {
            "object_id": pd.array([str(i).strip() for i in ids], dtype="string"),
            "ra": np.mod(ra, 360.0),
            "dec": dec,
            "label": (
                table["label"].str.strip().replace("", pd.NA)
                if "label" in table
                else pd.array([pd.NA] * len(table), dtype="string")
            ),
            "z_spec": _numeric(table, z_column, catalogue_csv) if z_column else nan,
            "e_bv": _numeric(table, "e_bv", catalogue_csv) if "e_bv" in table else nan,
            "file_loc": table["file_loc"],
        }
    )
    duplicated = objects["object_id"][objects["object_id"].duplicated()]
    if len(duplicated):
        raise UserError(f"object ids repeat in {catalogue_csv.name}: {', '.join(sorted(set(duplicated))[:5])}")
    used = {"file_loc", "ra", "dec", "label", "object_id", "e_bv", z_column}
    for column in table.columns:
        if column not in used:
            objects[column] = table[column]
    return objects, files


def _common_pixel_scale(scales: list[float | None], files: list[Path], given: float | None) -> float | None:
    """The files' pixel scale [arcsec/px]: their median WCS scale (they must agree to 1 %), else ``given``
    (``--pixel-scale`` or the named survey's), else None (unknown)."""
    known = [(s, p) for s, p in zip(scales, files, strict=False) if s is not None]
    if not known:
        return given
    median = float(np.median([s for s, _ in known]))
    for scale, path in known:
        if abs(scale / median - 1) > 0.01:
            raise UserError(
                f"{path.name} has a pixel scale of {scale:.4g} arcsec, the median file {median:.4g}: "
                "resample the cutouts to one scale first"
            )
    return median


def _framing_box(field: Field | Literal["angular"], scale: float | None, stamp_px: int) -> float | None:
    """The side [picture px] of the fixed angular field, or None for the pictures' own framings."""
    if field != "angular":
        return None
    if scale is None:
        raise UserError("an angular field needs the pixel scale: give --pixel-scale or --survey, or --field extent")
    return stamp_px * ENCODER_SCALE / scale


def _domain_warnings(framed: np.ndarray, sky_levels: np.ndarray, grey: np.ndarray, is_fits: bool) -> list[str]:
    """What sets an import far from the domain the shipped encoders learned (their simulated sky, as a viewer
    frames and draws it), each in words."""
    notes = []
    median = float(np.median(framed))
    if median < SMALL_FRAME:
        notes.append(f"the galaxies span a median {median:.0%} of their pictures: the stamps are mostly upsampled")
    if median > LARGE_FRAME:
        notes.append(f"the frames reach past the pictures' edges (median {median:.0%} of a side): galaxies cut off?")
    if not is_fits and grey.mean() > 0.5:
        notes.append(f"{grey.mean():.0%} of the pictures are grey (R = G = B): the encoder learned colour pictures")
    if not is_fits and float(np.median(sky_levels)) > BRIGHT_SKY:
        notes.append(
            f"a bright sky (median level {np.median(sky_levels):.0f}/255): stretched unlike the survey viewers"
        )
    return notes


def _undetected_note(files: list[Path], undetected: np.ndarray, shown: int = 3) -> list[str]:
    """The pictures framed by extent in which no galaxy was found at the centre (their stamps show a few pixels
    blown up), named, so the user can look at them; none, no note."""
    if not undetected.any():
        return []
    names = ", ".join(files[i].name for i in np.flatnonzero(undetected)[:shown])
    return [
        f"{int(undetected.sum())} picture(s) show no galaxy at their centre, so their stamps enlarge a few pixels "
        f"(e.g. {names}): check them, or import with --field picture"
    ]


def import_cutout_folder(
    folder: Path,
    catalogue_csv: Path,
    out: Path,
    stamp_px: int = ENCODER_STAMP_PX,
    bands: tuple[str, ...] | None = None,
    progress: bool = True,
    force: bool = False,
    pixel_scale: float | None = None,
    survey: str | None = None,
    field: Field | Literal["angular"] | None = None,
) -> Path:
    """Import a folder of cutouts listed by a CSV catalogue into a galaxy store at ``out``; returns ``out``. The
    store is written whole or not at all, replacing a dataset at ``out`` only with ``force``
    (:mod:`astrodisc.base.staging`). What was done is one line, ``info.extra["import_summary"]`` (with any
    warning that the pictures lie far from the shipped encoders' domain in ``info.extra["domain_warnings"]``).

    The catalogue has ``file_loc`` (path relative to ``folder`` or absolute), ``ra``, ``dec`` [deg] and
    optionally ``label``, ``redshift`` (-> ``z_spec``), ``e_bv`` [mag] and ``object_id`` (else the file
    name without its extensions); other columns are kept verbatim.

    All files are of one kind:

    * FITS: a (B, H, W) cube in the primary or first image HDU with data, or B 2-D image HDUs, in the order
      of ``bands`` (default: the survey's, else g, r, z); fluxes in BUNIT (nanomaggy when absent; maggy and
      Jansky units are converted) stored as float32 nanomaggies. NaN/inf pixels become 0 (counted per object in
      ``nonfinite_pixels``); a cutout with more than half of them is refused.
    * PNG/JPEG: colour pictures as survey viewers save them, stored as uint8 R, G, B (``pixel_unit`` "rgb8").
      Their channels are bands only when the user says which (``survey`` or ``bands``: then the extinction
      coefficients of those bands are recorded, reddest in R); otherwise none are.

    The pixel scale [arcsec/px] comes from the FITS WCS, else ``pixel_scale``, else the named ``survey``'s
    (:data:`SURVEYS`), else it is unknown. Every picture becomes a ``stamp_px`` stamp by resampling, never by
    a crop (:func:`astrodisc.data.pictures.to_stamp`): ``field="angular"`` (the default for FITS of known scale)
    takes the encoder's own field, ``stamp_px`` x 0.262 arcsec; ``"extent"`` (the default otherwise) frames each
    galaxy by its measured 90 %-light radius, as the simulated sky frames its galaxies; ``"picture"`` keeps each
    picture's own framing. Fluxes are rescaled with the pixel area. Per object: ``framed_fraction`` (the share of
    the picture's side the stamp shows) and ``stamp_scale_arcsec`` (NaN where the scale is unknown).
    A picture under MIN_CUTOUT_PX (16) on a side is refused: it cannot hold a resolved galaxy.
    ``classes`` are the catalogue's sorted labels (MORPHOLOGIES if it has none).
    """
    folder, catalogue_csv, out = Path(folder), Path(catalogue_csv), Path(out)
    if not folder.is_dir():
        raise UserError(f"cutout folder not found: {folder}")
    if stamp_px < MIN_CUTOUT_PX:
        raise UserError(f"stamp size must be at least {MIN_CUTOUT_PX} px, got {stamp_px}")
    if survey is not None and survey not in SURVEYS:
        raise UserError(f"unknown survey {survey!r}: one of {', '.join(SURVEYS)}")
    if pixel_scale is not None and not (np.isfinite(pixel_scale) and 0.01 <= pixel_scale <= 60):
        raise UserError(f"--pixel-scale is in arcsec per pixel, between 0.01 and 60; got {pixel_scale}")
    if field is not None and field not in (*FIELDS, "angular"):
        raise UserError(f"--field is one of angular, {', '.join(FIELDS)}; got {field!r}")
    with staged_dataset(out, force) as work:
        _write_cutout_folder(folder, catalogue_csv, work, stamp_px, bands, progress, pixel_scale, survey, field)
    return out


def _write_cutout_folder(
    folder: Path,
    catalogue_csv: Path,
    out: Path,
    stamp_px: int,
    bands: tuple[str, ...] | None,
    progress: bool,
    pixel_scale: float | None,
    survey: str | None,
    field: Field | Literal["angular"] | None,
) -> None:
    """The work of :func:`import_cutout_folder`, writing the store into the (staging) folder ``out``."""
    objects, files = _read_catalogue(catalogue_csv, folder)
    kinds = {_file_kind(p): p for p in files}
    if len(kinds) > 1:
        raise UserError(
            f"mixed FITS and image files in {catalogue_csv.name} "
            f"(e.g. {kinds['FITS'].name}, {kinds['image'].name}): import each kind separately"
        )
    is_fits = "FITS" in kinds
    survey_scale, survey_bands = SURVEYS[survey] if survey else (None, None)
    named_bands = tuple(bands) if bands else survey_bands
    if named_bands is not None and not is_fits and len(named_bands) != 3:
        raise UserError(f"a colour picture holds 3 bands; --bands names {len(named_bands)}")
    file_bands = named_bands or ("g", "r", "z") if is_fits else RGB_BANDS
    probe = (lambda p: _fits_shape(p, file_bands)) if is_fits else _image_shape
    shapes = [probe(p) for p in tqdm(files, desc="check cutouts", disable=not progress, mininterval=2)]
    scale = _common_pixel_scale([s[2] for s in shapes], files, pixel_scale or survey_scale)
    field = field or ("angular" if is_fits and scale is not None else "extent")
    box = _framing_box(field, scale, stamp_px)

    n = len(files)
    nonfinite, framed = np.zeros(n, np.int64), np.zeros(n, np.float32)
    sky_levels, grey, undetected = np.zeros(n, np.float32), np.zeros(n, bool), np.zeros(n, bool)
    with _writing(out, n, len(file_bands), stamp_px, np.float32 if is_fits else np.uint8) as writer:
        for i, path in enumerate(tqdm(files, desc="import cutouts", disable=not progress, mininterval=2)):
            cube = _read_fits(path, file_bands) if is_fits else _read_image(path).astype(np.float32)
            if cube.ndim == 2:
                cube = cube[None]
            if is_fits:
                bad = ~np.isfinite(cube)
                if bad.mean() > MAX_NONFINITE:
                    raise UserError(f"{path.name}: {bad.mean():.0%} of its pixels are NaN or infinite")
                cube[bad] = 0.0
                nonfinite[i] = bad.sum()
            stamp, framing = to_stamp(cube, stamp_px, "picture" if field == "angular" else field, side_px=box)
            framed[i] = framing.side_px / max(cube.shape[-2:])
            undetected[i] = framing.r90_px is not None and framing.r90_px <= MIN_EXTENT_PX
            if is_fits:
                writer.write(i, (stamp * (framing.side_px / stamp_px) ** 2)[None])  # flux per (larger) pixel
            else:
                writer.write(i, as_rgb8(stamp)[None])
                sky_levels[i] = framing.sky_level
                grey[i] = bool(np.ptp(cube, axis=0).max() <= 2)
    if is_fits:
        objects["nonfinite_pixels"] = nonfinite
    sides = np.array([max(s[:2]) for s in shapes])
    objects["framed_fraction"] = framed
    objects["stamp_scale_arcsec"] = framed * sides * scale / stamp_px if scale else np.nan
    labels = sorted(set(objects["label"].dropna()))
    stored_scale = ENCODER_SCALE if field == "angular" else None
    if field == "picture" and scale is not None and np.ptp(sides) == 0:
        stored_scale = float(sides[0] * scale / stamp_px)  # one size and scale: one stamp scale
    coefficients = tuple(DECAM_EXTINCTION.get(b, 0.0) for b in (named_bands or ("g", "r", "z")))
    imaging = (
        GalaxyImaging(stored_scale, "nanomaggy", 22.5, coefficients)
        if is_fits
        else GalaxyImaging(stored_scale, "rgb8", 0.0, coefficients[::-1] if named_bands else ())
    )
    what = f"{n} {'FITS' if is_fits else '/'.join(sorted({p.suffix.lower().lstrip('.') for p in files}))} pictures"
    size_text = f"{sides.min()}–{sides.max()} px" if np.ptp(sides) else f"{sides[0]} px"
    share = f"{np.median(framed):.0%} of a picture's side"
    framing_text = {
        "angular": f"the encoder's field ({stamp_px * ENCODER_SCALE:.1f}″: {share})",
        "extent": f"each galaxy's extent ({EXTENT_FIELD:g} × its 90 %-light diameter: median {share})",
        "picture": "each whole picture",
    }[field]
    band_text = (
        f"bands {'/'.join(file_bands)}"
        if is_fits
        else (
            f"R/G/B = {'/'.join(reversed(named_bands))}"
            if named_bands
            else "R/G/B channels, bands not given: no extinction"
        )
    )
    summary = (
        f"{what}, {size_text}; pixel scale {f'{scale:.3g}″/px' if scale else 'unknown'}; framed by {framing_text}, "
        f"resampled to {stamp_px} px; {band_text}"
    )
    warnings_found = _domain_warnings(framed, sky_levels, grey, is_fits) + _undetected_note(files, undetected)
    info = DatasetInfo(
        name=out.name,
        kind="galaxies",
        classes=tuple(labels) or MORPHOLOGIES,
        bands=file_bands,
        encoder_band="r" if "r" in file_bands else file_bands[len(file_bands) // 2],
        time_system="",
        mag_system="AB" if is_fits else "",
        simulated=False,
        source=f"cutout folder {folder} with catalogue {catalogue_csv.name}",
        extra={
            "stamp_px": stamp_px,
            "field": field,
            "source_pixel_scale_arcsec": scale,
            "nonfinite_pixels_replaced": int(nonfinite.sum()),
            "import_summary": summary,
            "domain_warnings": warnings_found,
        },
    )
    finish_galaxy_store(out, info, imaging, objects)


# --------------------------------------------------------------------------------------------- Galaxy10 DECaLS


def _h5_column(file, key: str, n: int, path: Path) -> np.ndarray:  # file: h5py.File
    """A 1-D numeric dataset of length ``n`` as a NumPy array, or a UserError naming the file."""
    if key not in file:
        raise UserError(f"{path.name} has no dataset {key!r}: not a Galaxy10 DECaLS file")
    column = file[key]
    if column.shape != (n,) or column.dtype.kind not in "biuf":
        raise UserError(f"{path.name}: {key!r} is {column.dtype} {column.shape}, expected {n} numbers")
    return column[()]


def import_galaxy10_decals(
    h5_path: Path, out: Path, progress: bool = True, limit: int | None = None, force: bool = False
) -> Path:
    """Import Galaxy10 DECaLS (``Galaxy10_DECals.h5``) into a galaxy store at ``out``, whole or not at all,
    replacing a dataset there only with ``force`` (:mod:`astrodisc.base.staging`); returns ``out``.

    The file holds ``images`` (N, 256, 256, 3) uint8 colour composites of DECaLS g, r, z imaging (not
    fluxes), ``ans`` (N,) the class index into GALAXY10_CLASSES, ``ra``, ``dec`` [deg], ``redshift``
    (NaN where unknown -> null ``z_spec``) and further per-galaxy columns (``pxscale`` [arcsec/pixel], ...),
    kept as catalogue columns when 1-D numeric of length N. Each picture is framed by its galaxy's extent and
    resampled to a 64-px rgb8 stamp (:func:`astrodisc.data.pictures.to_stamp`), R/G/B = z/r/g. ``object_id`` is
    ``galaxy10-<row>`` (row in the file); ``limit`` keeps the first rows. Images are read in chunks.
    """
    h5_path, out = Path(h5_path), Path(out)
    if not h5_path.is_file():
        raise UserError(f"Galaxy10 file not found: {h5_path}")
    if limit is not None and limit < 1:
        raise UserError(f"limit must be positive, got {limit}")
    with staged_dataset(out, force) as work:
        _write_galaxy10(h5_path, work, progress, limit)
    return out


def _write_galaxy10(h5_path: Path, out: Path, progress: bool, limit: int | None) -> None:
    """The work of :func:`import_galaxy10_decals`, writing the store into the (staging) folder ``out``."""
    import h5py  # only this importer needs it

    try:
        file = h5py.File(h5_path, "r")
    except OSError as error:
        raise UserError(f"unreadable HDF5 file {h5_path.name}: {error}") from None
    with file:
        if "images" not in file:
            raise UserError(f"{h5_path.name} has no dataset 'images': not a Galaxy10 DECaLS file")
        images = file["images"]
        if images.ndim != 4 or images.shape[3] != 3 or images.shape[1] != images.shape[2] or images.dtype != np.uint8:
            raise UserError(f"{h5_path.name}: 'images' is {images.dtype} {images.shape}, expected uint8 (N, S, S, 3)")
        total, size = images.shape[0], images.shape[1]
        _check_cutout_size(h5_path.name, size, size)
        n = total if limit is None else min(limit, total)
        ans = _h5_column(file, "ans", total, h5_path)[:n]
        if ans.size and (np.any(ans != np.round(ans)) or ans.min() < 0 or ans.max() >= len(GALAXY10_CLASSES)):
            raise UserError(f"{h5_path.name}: 'ans' holds values outside the class indices 0..9")
        objects = pd.DataFrame(
            {
                "object_id": pd.array([f"galaxy10-{i:05d}" for i in range(n)], dtype="string"),
                "ra": _h5_column(file, "ra", total, h5_path)[:n].astype(np.float64),
                "dec": _h5_column(file, "dec", total, h5_path)[:n].astype(np.float64),
                "label": pd.array([GALAXY10_CLASSES[int(a)] for a in ans], dtype="string"),
                "z_spec": (
                    _h5_column(file, "redshift", total, h5_path)[:n].astype(np.float64)
                    if "redshift" in file
                    else np.full(n, np.nan)
                ),
                "e_bv": np.full(n, np.nan),
            }
        )
        for key in sorted(set(file) - {"images", "ans", "ra", "dec", "redshift"}):
            column = file[key]
            if isinstance(column, h5py.Dataset) and column.shape == (total,) and column.dtype.kind in "biuf":
                objects[key] = column[:n]
        framed = np.zeros(n, np.float32)
        with (
            _writing(out, n, 3, ENCODER_STAMP_PX, np.uint8) as writer,
            tqdm(total=n, desc="import Galaxy10", disable=not progress, mininterval=2) as bar,
        ):
            for start in range(0, n, GALAXY10_CHUNK):
                stop = min(start + GALAXY10_CHUNK, n)
                for row, picture in enumerate(images[start:stop].transpose(0, 3, 1, 2), start):
                    stamp, framing = to_stamp(picture.astype(np.float32), ENCODER_STAMP_PX, "extent")
                    writer.write(row, as_rgb8(stamp)[None])
                    framed[row] = framing.side_px / size
                bar.update(stop - start)
        objects["framed_fraction"] = framed
    info = DatasetInfo(
        name=out.name,
        kind="galaxies",
        classes=GALAXY10_CLASSES,
        bands=RGB_BANDS,
        encoder_band="G",
        time_system="",
        mag_system="",
        simulated=False,
        source="Galaxy10 DECaLS (astroNN, Leung & Bovy 2019, MNRAS 483, 3255; labels from Galaxy Zoo "
        "DECaLS, Walmsley et al. 2022, MNRAS 509, 3966; DESI Legacy Imaging Surveys g, r, z "
        f"colour composites): {h5_path.name}",
        extra={
            "stamp_px": ENCODER_STAMP_PX,
            "field": "extent",
            "rows_in_file": total,
            "import_summary": f"{n} Galaxy10 DECaLS pictures, {size} px at 0.262″/px; framed by each galaxy's "
            f"extent (median {np.median(framed) if n else 0:.0%} of a picture's side), resampled to "
            f"{ENCODER_STAMP_PX} px; R/G/B = z/r/g",
        },
    )
    coefficients = tuple(DECAM_EXTINCTION[b] for b in "zrg")  # the R, G, B channels' bands
    finish_galaxy_store(out, info, GalaxyImaging(None, "rgb8", 0.0, coefficients), objects)
