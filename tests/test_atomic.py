"""Atomic writes: all or nothing, readable by others."""

import numpy as np
import pytest

from astrodisc.base.atomic import save_json, save_npy, write_atomic


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "a.json"
    save_json(target, {"v": 1})

    def broken(path):
        path.write_text('{"v": 2, "half')
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomic(target, broken)
    assert target.read_text().replace(" ", "").replace("\n", "") == '{"v":1}'
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_written_files_are_world_readable(tmp_path):
    save_npy(tmp_path / "x.npy", np.arange(3))
    assert (tmp_path / "x.npy").stat().st_mode & 0o044 == 0o044
    assert np.array_equal(np.load(tmp_path / "x.npy"), np.arange(3))
