"""``astrodisc fetch``: download a registered public dataset, resumably and checked, the project's one download.

Nothing else in astrodisc touches the network. Each file is fetched into ``<name>.part`` beside its target
with HTTP Range requests that continue a part file left by an interrupted run, retried with exponential
backoff, checked against its registered size and SHA-256, and renamed onto the target only when complete
(a checksum mismatch deletes the part file). A mirror, or a test's local server, replaces every base URL
through ``ASTRODISC_FETCH_BASE``.

Checksums: the astroML-data entries carry the SHA-256 and size of the copies in ``shared/real`` (taken from
astroML/astroML-data). The AstroM³ file's checksum is not known here (Hugging Face is unreachable from where
this was written), so it is registered as unknown and fetch refuses it unless told ``verify=False``
(``--no-verify``): an unverified file is then kept, and the run says so, rather than trusted silently.

Example::

    fetch("stripe82", Path("data/raw/s82"))  # then: astrodisc import stripe82 --source data/raw/s82
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tqdm import tqdm

from astrodisc.errors import UserError

ASTROML_DATA_URL = "https://github.com/astroML/astroML-data/raw/main/datasets/"
ASTROM3_URL = "https://huggingface.co/datasets/AstroMLCore/AstroM3Dataset/resolve/main/"
BASE_ENV = "ASTRODISC_FETCH_BASE"  # replaces every dataset's base URL
RETRIES = 4  # attempts per file after the first
RETRY_BACKOFF_S = 1.0  # wait before retry k is RETRY_BACKOFF_S * 2**k [s]
TIMEOUT_S = 30.0  # socket timeout per request [s]
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: ``url_path`` under the base URL, saved as ``name`` in the target folder."""

    url_path: str
    name: str
    sha256: str | None  # None: not known to astrodisc, refused unless verification is turned off
    size: int | None  # bytes, or None when not known


@dataclass(frozen=True)
class RemoteDataset:
    """A public dataset astrodisc can fetch, and the ``astrodisc import`` verb that reads the folder."""

    name: str
    base_url: str
    files: tuple[RemoteFile, ...]
    about: str


REGISTRY: dict[str, RemoteDataset] = {
    d.name: d
    for d in (
        RemoteDataset(
            "stripe82",
            ASTROML_DATA_URL,
            (
                RemoteFile(
                    "S82_RRLyr/table1.tar.gz",
                    "table1.tar.gz",
                    "f6e767f6b3713f9024e1a33d530cc054f9decb071483ebc794465c478de6c53a",
                    1_221_152,
                ),
                RemoteFile(
                    "S82_RRLyr/table2.dat.gz",
                    "table2.dat.gz",
                    "17dfa90d65d2c91b15b21d76f00d7067266058cc9b2885b44d366f464fcb7614",
                    63_872,
                ),
            ),
            "SDSS Stripe 82 RR Lyrae (Sesar et al. 2010), astroML-data; read with `astrodisc import stripe82`",
        ),
        RemoteDataset(
            "linear",
            ASTROML_DATA_URL,
            (
                RemoteFile(
                    "LINEARattributesFinalApr2013.dat.gz",
                    "LINEARattributesFinalApr2013.dat.gz",
                    "a4f71e2b3f7d3a86f5ecc60852c95e8f783e2e58a57a40b4e9ad6474d4612f47",
                    269_051,
                ),
            ),
            "LINEAR periodic variables (Palaversa et al. 2013), astroML-data; read with `astrodisc import linear`",
        ),
        RemoteDataset(
            "astrom3-photometry",
            ASTROM3_URL,
            (RemoteFile("photometry.zip", "photometry.zip", None, None),),
            "AstroM3 ASAS-SN light curves (~95 MB; checksum unknown: needs --no-verify); the spectra/ and splits/ "
            "folders of the release are thousands of files: clone the Hugging Face repository for those",
        ),
    )
}


def fetch(
    name: str, to: Path, verify: bool = True, registry: dict[str, RemoteDataset] | None = None, progress: bool = True
) -> list[Path]:
    """Download every file of dataset ``name`` into folder ``to``; returns their paths.

    A file already present with its registered checksum is not fetched again. ``verify=False`` accepts
    files whose checksum is unknown (a known checksum is always checked).
    """
    registry = REGISTRY if registry is None else registry
    if name not in registry:
        raise UserError(f"unknown dataset {name!r}: choose one of {', '.join(registry)}")
    dataset = registry[name]
    unknown = [f.name for f in dataset.files if f.sha256 is None]
    if unknown and verify:
        raise UserError(
            f"the checksum of {', '.join(unknown)} is not known to astrodisc, so it cannot be "
            f"verified: rerun with --no-verify to accept it unchecked"
        )
    base = os.environ.get(BASE_ENV, dataset.base_url)
    base = base if base.endswith("/") else base + "/"
    paths = []
    for remote in dataset.files:
        target = Path(to) / remote.name
        if not (target.is_file() and remote.sha256 and sha256_of(target) == remote.sha256):
            download(base + remote.url_path, target, remote, progress)
        paths.append(target)
    return paths


def download(url: str, target: Path, remote: RemoteFile, progress: bool = True) -> Path:
    """Fetch ``url`` into ``target`` via ``target.part`` (resumed if present), checked against ``remote``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    for attempt in range(RETRIES + 1):
        try:
            _continue(url, part, remote, progress)
            break
        except (urllib.error.URLError, OSError) as err:
            if isinstance(err, urllib.error.HTTPError):
                raise UserError(f"{url}: HTTP {err.code} {err.reason}") from None
            if attempt == RETRIES:
                reason = getattr(err, "reason", None) or err
                raise UserError(
                    f"cannot download {remote.name} from {urlsplit(url).netloc} after "
                    f"{RETRIES + 1} attempts ({reason}): no network? {part.name} is kept for a "
                    f"later run to resume"
                ) from None
            time.sleep(RETRY_BACKOFF_S * 2**attempt)
    digest = sha256_of(part)
    if remote.sha256 is not None and digest != remote.sha256:
        part.unlink()
        raise UserError(
            f"checksum mismatch for {remote.name}: expected sha256 {remote.sha256[:12]}…, got "
            f"{digest[:12]}…; the download was deleted"
        )
    os.replace(part, target)  # the part file was fsynced: the target appears whole or not at all
    return target


def _continue(url: str, part: Path, remote: RemoteFile, progress: bool) -> None:
    """Append the rest of ``url`` to ``part``; raises ConnectionError if the server stops before the end."""
    offset = part.stat().st_size if part.is_file() else 0
    if remote.size is not None and offset >= remote.size:
        return
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # nothing left after offset: the part file is whole
            return
        raise
    with response:
        if response.status != 206:  # the server sent the whole file: start over
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else remote.size
        with (
            open(part, "ab" if offset else "wb") as out,
            tqdm(
                total=total,
                initial=offset,
                unit="B",
                unit_scale=True,
                desc=remote.name,
                disable=not progress,
                mininterval=1,
            ) as bar,
        ):
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
    received = part.stat().st_size
    if total is not None and received < total:
        raise ConnectionError(f"connection dropped at {received} of {total} bytes")


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()
