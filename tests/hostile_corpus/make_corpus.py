"""Write the hostile corpus (the files beside this script) from scratch, byte for byte the same on every run.

    .venv/bin/python tests/hostile_corpus/make_corpus.py

Each file is made by one function below, named in CORPUS; README.md says what each is. Nothing here is random
without a fixed seed, and the FITS writer's date cards are dropped, so a rerun changes no committed byte.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from astropy.io import fits
from PIL import Image

HERE = Path(__file__).parent
MARKER = "PWNED"  # the file a pickle payload creates in the working directory if it is ever unpickled
N_OBJECTS = 12  # rows of the corpus test's dataset: the .npy embeddings have this many rows
BOMB_BYTES = 4 * 2**20  # zeros the gzip bomb unpacks to (the test lowers the gzip limit below it)


class Payload:
    """Pickles to a call that creates MARKER in the working directory when unpickled."""

    def __reduce__(self):
        return exec, (f"open({MARKER!r}, 'w').close()",)


# --------------------------------------------------------------------------------------------- light curves


def _csv(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _times(n: int = 40) -> np.ndarray:
    return 2_458_000.5 + np.arange(n) * 0.731


def lc_nan_times() -> bytes:
    """A light curve whose every time is NaN."""
    return _csv("time,mag,err", [f"nan,{14 + 0.1 * np.sin(i):.3f},0.02" for i in range(40)])


def lc_repeated_time() -> bytes:
    """Unsorted rows that all repeat one time: 40 magnitudes of a single instant."""
    order = np.random.default_rng(3).permutation(40)
    return _csv("time,mag,err", [f"2458000.5,{14 + 0.01 * i:.3f},0.02" for i in order])


def lc_wrong_columns() -> bytes:
    """A light curve whose columns are named for nothing astrodisc reads (when, flux)."""
    return _csv("when,flux", [f"{t:.4f},{1000 + i}" for i, t in enumerate(_times())])


def lc_one_row() -> bytes:
    """A single epoch."""
    return _csv("time,mag,err", ["2458000.5,14.2,0.02"])


def lc_huge_value() -> bytes:
    """A good light curve with one magnitude written 1e999 (beyond float64: read as infinity)."""
    rows = [f"{t:.4f},{14 + 0.1 * np.sin(t):.3f},0.02" for t in _times()]
    rows[17] = f"{_times()[17]:.4f},1e999,0.02"
    return _csv("time,mag,err", rows)


# --------------------------------------------------------------------------------------------- FITS


def _fits(hdu: fits.PrimaryHDU) -> bytes:
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def _cube(bands: int, side: int = 16) -> np.ndarray:
    return np.random.default_rng(bands).normal(1, 0.1, (bands, side, side)).astype(np.float32)


def fits_truncated_header() -> bytes:
    """A grz cube's FITS file cut inside its header (no END card, no data)."""
    return _fits(fits.PrimaryHDU(_cube(3)))[:1600]


def fits_nan_image() -> bytes:
    """A (3, 16, 16) cube of NaN."""
    return _fits(fits.PrimaryHDU(np.full((3, 16, 16), np.nan, np.float32)))


def fits_0d() -> bytes:
    """A FITS file whose only HDU has no data (NAXIS = 0)."""
    return _fits(fits.PrimaryHDU())


def fits_wrong_bands() -> bytes:
    """A (2, 16, 16) cube: two bands where the surveys have three."""
    return _fits(fits.PrimaryHDU(_cube(2)))


def fits_really_png() -> bytes:
    """A 32 x 32 RGB PNG named .fits."""
    return _png(np.random.default_rng(5).integers(0, 256, (32, 32, 3), dtype=np.uint8))


# --------------------------------------------------------------------------------------------- images


def _png(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def img_1x1() -> bytes:
    """A 1 x 1 pixel RGB PNG."""
    return _png(np.full((1, 1, 3), 200, np.uint8))


def img_truncated() -> bytes:
    """A 32 x 32 noise PNG cut in the middle of its pixel data."""
    data = _png(np.random.default_rng(6).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    return data[: len(data) // 2]


def img_text() -> bytes:
    """Plain text named .jpg."""
    return b"This is not a JPEG, it is a sentence.\n" * 20


def img_bomb() -> bytes:
    """A 1 x 1 PNG whose header claims 100,000 x 100,000 pixels (CRC fixed, so Pillow trusts it)."""
    data = bytearray(_png(np.zeros((1, 1, 3), np.uint8)))
    data[16:24] = struct.pack(">II", 100_000, 100_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


# --------------------------------------------------------------------------------------------- NPY


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=array.dtype == object)
    return buffer.getvalue()


def _embeddings() -> np.ndarray:
    return np.random.default_rng(8).normal(size=(N_OBJECTS, 4)).astype(np.float32)


def npy_object_pickle() -> bytes:
    """An object array whose pickle, if ever loaded, creates the marker file."""
    return _npy(np.array([Payload(), 1.0], dtype=object))


def npy_nan_rows() -> bytes:
    """(12, 4) embeddings with NaN in rows 3 and 7 and an infinity in row 9."""
    array = _embeddings()
    array[[3, 7]] = np.nan
    array[9, 1] = np.inf
    return _npy(array)


def npy_wrong_ndim() -> bytes:
    """A 1-D array of 12 numbers where (N, D) or (bands, H, W) is expected."""
    return _npy(_embeddings()[:, 0].copy())


def npy_truncated() -> bytes:
    """(12, 4) embeddings cut in half."""
    data = _npy(_embeddings())
    return data[: len(data) // 2]


# --------------------------------------------------------------------------------------------- pickles as weights


def checkpoint_pt() -> bytes:
    """torch.save of a training checkpoint's keys whose values unpickle to the marker-making call."""
    buffer = io.BytesIO()
    torch.save({"model": Payload(), "optimizer": {}, "best_model": {}, "state": '{"epoch": 1}'}, buffer)
    return buffer.getvalue()


def encoder_pt() -> bytes:
    """A plain pickle (no torch zip) of a state dict whose tensor unpickles to the marker-making call."""
    return pickle.dumps({"weight": Payload()}, protocol=2)


# --------------------------------------------------------------------------------------------- gzip, CSV


def gzip_bomb() -> bytes:
    """4 MB of zeros gzipped to 4 kB, named .fits.gz (1000:1; the test lowers the limit to 1 MB)."""
    return gzip.compress(bytes(BOMB_BYTES), mtime=0)


def csv_semicolon_decimal_comma() -> bytes:
    """A light curve and catalogue as a European-locale spreadsheet saves it: ';' between fields, ',' for decimals."""
    rows = [
        f"S{i};{t:.4f};{14 + 0.1 * np.sin(t):.3f};0.02;{10 + i / 7:.4f};{-5 + i / 9:.4f}".replace(".", ",")
        for i, t in enumerate(_times())
    ]
    return _csv("object_id;time;mag;err;ra;dec", rows)


def csv_formula_cells() -> bytes:
    """Spreadsheet formulas (=, +, -, @) in every column, numeric ones included (CSV injection)."""
    formulas = ["=1+1", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1,1)", '=HYPERLINK("http://x")']
    rows = [",".join(formulas[(i + j) % len(formulas)].replace(",", ";") for j in range(7)) for i in range(12)]
    return _csv("object_id,time,mag,err,ra,dec,file_loc", rows)


def csv_binary_garbage() -> bytes:
    """2 kB of random bytes named .csv."""
    return np.random.default_rng(7).integers(0, 256, 2048, dtype=np.uint8).tobytes()


def csv_utf16() -> bytes:
    """A good light curve (with ra, dec) saved as UTF-16 with a byte-order mark."""
    rows = [
        f"S{i},{t:.4f},{14 + 0.1 * np.sin(t):.3f},0.02,{10 + i / 7:.4f},{-5 + i / 9:.4f}"
        for i, t in enumerate(_times())
    ]
    return _csv("object_id,time,mag,err,ra,dec", rows).decode().encode("utf-16")


CORPUS: dict[str, Callable[[], bytes]] = {
    "lc_nan_times.csv": lc_nan_times,
    "lc_repeated_time.csv": lc_repeated_time,
    "lc_wrong_columns.csv": lc_wrong_columns,
    "lc_one_row.csv": lc_one_row,
    "lc_huge_value.csv": lc_huge_value,
    "fits_truncated_header.fits": fits_truncated_header,
    "fits_nan_image.fits": fits_nan_image,
    "fits_0d.fits": fits_0d,
    "fits_wrong_bands.fits": fits_wrong_bands,
    "fits_really_png.fits": fits_really_png,
    "img_1x1.png": img_1x1,
    "img_truncated.png": img_truncated,
    "img_text.jpg": img_text,
    "img_bomb.png": img_bomb,
    "npy_object_pickle.npy": npy_object_pickle,
    "npy_nan_rows.npy": npy_nan_rows,
    "npy_wrong_ndim.npy": npy_wrong_ndim,
    "npy_truncated.npy": npy_truncated,
    "checkpoint.pt": checkpoint_pt,
    "encoder.pt": encoder_pt,
    "gzip_bomb.fits.gz": gzip_bomb,
    "csv_semicolon_decimal_comma.csv": csv_semicolon_decimal_comma,
    "csv_formula_cells.csv": csv_formula_cells,
    "csv_binary_garbage.csv": csv_binary_garbage,
    "csv_utf16.csv": csv_utf16,
}


def main() -> None:
    for name, make in CORPUS.items():
        (HERE / name).write_bytes(make())
        print(f"{name}: {(HERE / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
