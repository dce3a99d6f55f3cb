"""Datasets written whole or not at all: every importer and simulator writes into a staging folder beside ``out``
and publishes it in one rename, so a refused or killed run leaves ``out`` as it was.

The staging folder is ``<parent>/.<name>.staging-<random>/<name>`` (the dataset's own name, which DatasetInfo
records, and on the filesystem of ``out``, so the rename is atomic). Publication:

* ``out`` absent: the staging folder is renamed to ``out``.
* ``out`` an existing dataset (it holds dataset.json): refused unless ``force``; with ``force`` the two folders
  are exchanged in one ``renameat2(RENAME_EXCHANGE)`` (Linux 3.15+), so ``out`` holds the complete old dataset
  or the complete new one at every instant, and the old one is then deleted. Where the kernel or filesystem
  cannot exchange, the old folder is first renamed aside (a crash between the two renames leaves ``out`` absent
  and the old dataset intact beside it, never a mixture).
* ``out`` an empty folder (or one holding only empty folders): replaced as a dataset is, without ``force``.
* ``out`` a file, a symbolic link, or a folder holding files but no dataset.json: refused, even with ``force``
  (it is not ours to delete).

A refusal or a failure while writing removes the staging folder and any parent folder made for ``out``, so
nothing is left behind; a killed run leaves only its hidden staging folder. Example::

    with staged_dataset(Path("data/gaia"), force=True) as work:
        save_parquet(work / "objects.parquet", objects)
        save_json(work / "dataset.json", asdict(info))
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from astrodisc.errors import UserError

AT_FDCWD = -100  # renameat2: paths relative to the working directory
RENAME_EXCHANGE = 2  # renameat2: swap the two paths atomically


def check_out(out: Path, force: bool) -> None:
    """A UserError if a dataset may not be written to ``out`` (see the module docstring for the rules)."""
    out = Path(out)
    if out.is_symlink():
        raise UserError(f"--out {out} is a symbolic link: give the folder it points to")
    if not out.exists():
        return
    if not out.is_dir():
        raise UserError(f"--out {out} is a file, not a dataset folder")
    if (out / "dataset.json").is_file():
        if not force:
            raise UserError(f"--out {out} already holds a dataset: give --force to replace it, or another --out")
        return
    if any(path.is_file() or path.is_symlink() for path in out.rglob("*")):
        raise UserError(
            f"--out {out} holds files but no dataset.json: refusing to replace a folder that is not "
            "an astrodisc dataset; give a new or empty folder"
        )


@contextmanager
def staged_dataset(out: Path, force: bool = False) -> Iterator[Path]:
    """The folder to write the dataset of ``out`` into; published as ``out`` when the body returns, removed with
    any parent folder made for it when the body raises. A UserError before anything is made if ``out`` may not be
    written (:func:`check_out`)."""
    out = Path(os.path.abspath(out))  # "." and ".." resolved: the staging folder goes beside the named folder
    check_out(out, force)
    made = _make_parents(out.parent)
    try:
        holder = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    except BaseException:
        _remove_empty(made)
        raise
    work = holder / out.name
    try:
        work.mkdir()
        yield work
        _publish(work, out)
    except BaseException:
        shutil.rmtree(holder, ignore_errors=True)
        _remove_empty(made)
        raise
    shutil.rmtree(holder, ignore_errors=True)  # after an exchange it holds the old dataset


def _make_parents(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; returns those made, deepest first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a run made for ``out`` (deepest first), those still empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _publish(work: Path, out: Path) -> None:
    """Put the finished dataset ``work`` at ``out``: a rename, or an exchange with the folder already there."""
    if not out.exists():
        os.rename(work, out)
        return
    try:
        exchange(work, out)
    except OSError as error:
        if error.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        aside = work.with_name(f"{out.name}.old")
        os.rename(out, aside)
        os.rename(work, out)


def exchange(a: Path, b: Path) -> None:
    """Swap the paths ``a`` and ``b`` in one atomic step (Linux ``renameat2`` with RENAME_EXCHANGE); an OSError
    (ENOSYS where the C library has no renameat2) where this system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(b))
