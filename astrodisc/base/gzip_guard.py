"""A guard against gzip decompression bombs: check how much a ``.gz`` file unpacks to before a parser reads it.

Real tables compress a few times (the Stripe 82 and LINEAR ``.dat.gz`` 2.2x and 3.0x); a file of
zeros compresses ~1000x, gzip's own limit. A file may unpack to MAX_GZIP_RATIO times its size, and any file to
MAX_GZIP_SMALL_BYTES, so that small real tables never trip it.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from astrodisc.errors import UserError

MAX_GZIP_RATIO = 200  # unpacked / packed size allowed
MAX_GZIP_SMALL_BYTES = 64 * 2**20  # any .gz may unpack to this much, whatever its ratio [bytes]


def check_unpacked_size(path: Path) -> None:
    """A UserError if the gzip file ``path`` is damaged or unpacks to more than MAX_GZIP_RATIO times its size (and
    more than MAX_GZIP_SMALL_BYTES): a decompression bomb. Streams through the file, holding 1 MB at a time."""
    limit = max(MAX_GZIP_RATIO * path.stat().st_size, MAX_GZIP_SMALL_BYTES)
    unpacked = 0
    try:
        with gzip.open(path) as stream:
            while chunk := stream.read(2**20):
                unpacked += len(chunk)
                if unpacked > limit:
                    raise UserError(
                        f"refusing {path.name}: it unpacks to more than {limit // 2**20} MB, over "
                        f"{MAX_GZIP_RATIO} times its size (a decompression bomb?)"
                    )
    except (OSError, EOFError, zlib.error) as err:
        raise UserError(f"{path.name} is not a readable gzip file: {type(err).__name__}") from None
