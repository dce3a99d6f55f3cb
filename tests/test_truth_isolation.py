"""Only evaluation may read a simulated survey's hidden truth (training, build and the app never do).

The runtime checks live beside each step (test_build.py, test_end_to_end.py for train and build, and the
app check below; that only evaluation imports the truth reader is the room rule, tests/test_rooms.py); this file
adds that no module names the truth file except the stores and simulators that write it and the reader.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from astrodisc.data.store import TRUTH_FILE
from astrodisc.paths import PROJECT_ROOT

# the store defines the name, the simulator writes the file, the reader reads it
ALLOWED_NAMERS = {
    "astrodisc/data/store.py",  # defines the name
    "astrodisc/data/varstars.py",  # writes a simulated survey's truth beside its light curves
    "astrodisc/data/sim/varstars.py",
    "astrodisc/data/truth.py",
    "astrodisc/data/sim/galaxies.py",
    "astrodisc/data/sim/viewer.py",  # copies the simulated sky's truth beside its viewer pictures
    "astrodisc/data/galaxies.py",  # writes the simulated sky's truth beside its cutouts
    "astrodisc/data/sim/embeddings.py",  # writes the synthetic survey's groups beside its embeddings
}  # (a real import no longer deletes a stale truth: it writes a new folder)


def _sources() -> list[Path]:
    files = list((PROJECT_ROOT / "astrodisc").rglob("*.py")) + [PROJECT_ROOT / "app.py"]
    return files + list((PROJECT_ROOT / "pages").glob("*.py"))


def test_no_other_module_names_the_truth_file():
    namers = {
        str(p.relative_to(PROJECT_ROOT))
        for p in _sources()
        if TRUTH_FILE in p.read_text() or "TRUTH_FILE" in p.read_text()
    }
    assert namers - {"astrodisc/chain/build.py"} == ALLOWED_NAMERS  # build names it only to exclude it


def test_the_app_never_opens_the_truth(tiny_data, record_opens):
    planted = tiny_data.dataset_dir / TRUTH_FILE
    planted.write_bytes(b"PAR1 planted truth")
    st.cache_resource.clear()  # earlier app tests in this process may have cached the artifacts
    record_opens.clear()  # the planting itself was an open
    try:
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120).run()
    finally:
        planted.unlink()
    assert not at.exception
    assert any(p.endswith("objects.parquet") or p.endswith("catalog.parquet") for p in record_opens)
    assert not any(TRUTH_FILE in p for p in record_opens)
