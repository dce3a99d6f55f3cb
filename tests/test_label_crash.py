"""A writer killed with SIGKILL mid-write loses at most the label it was writing, and nobody else's.

Four writer processes each add 500 labels to one LabelDB, one transaction per label, printing the label's
number after each ``add`` returns (so every printed label is committed). One writer is killed with SIGKILL
after it has reported a few dozen commits; the other three finish. A fresh LabelDB, as after a restart, must
then hold every reported label, at most one more of the killed writer's (committed but not yet printed), no
label twice, and a database that passes ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys

from astrodisc.labels.database import LabelDB

WRITERS, LABELS_EACH = 4, 500
KILL_AFTER = 60  # the victim's reported commits before it is killed

# A fresh interpreter per writer, not a multiprocessing child: spawn re-runs the parent's __main__.
_WRITER = """
import sys
from astrodisc.labels.database import Label, LabelDB
path, annotator, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = LabelDB(path)
for i in range(n):
    db.add(Label("sky", f"{annotator}-{i:04d}", annotator, "s1", label="spiral", interest=i % 6))
    print(i, flush=True)
"""


def _writer(path: str, annotator: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, path, annotator, str(LABELS_EACH)], stdout=subprocess.PIPE, text=True
    )


def test_a_writer_killed_mid_write_loses_at_most_its_last_label(tmp_path):
    path = str(tmp_path / "labels.sqlite")
    LabelDB(path)
    annotators = [f"w{k}" for k in range(WRITERS)]
    writers = {a: _writer(path, a) for a in annotators}
    victim = writers[annotators[0]]
    reported = {a: [] for a in annotators}
    for line in victim.stdout:  # the victim's commits as they happen
        reported[annotators[0]].append(int(line))
        if len(reported[annotators[0]]) == KILL_AFTER:
            victim.send_signal(signal.SIGKILL)
            break
    assert victim.wait(timeout=30) == -signal.SIGKILL
    reported[annotators[0]] += [int(line) for line in victim.stdout]  # printed before the kill, still piped
    for a in annotators[1:]:
        out, _ = writers[a].communicate(timeout=120)
        assert writers[a].returncode == 0
        reported[a] = [int(line) for line in out.split()]

    history = LabelDB(path).history("sky")  # a fresh handle, as after a restart
    assert not history.duplicated(["annotator", "object_id"]).any()
    stored = history.groupby("annotator")["object_id"].apply(set).to_dict()
    for a in annotators:
        assert {f"{a}-{i:04d}" for i in reported[a]} <= stored.get(a, set()), a
    killed = len(stored[annotators[0]])
    assert len(reported[annotators[0]]) <= killed <= len(reported[annotators[0]]) + 1
    assert killed < LABELS_EACH  # it really died mid-way
    assert [len(stored[a]) for a in annotators[1:]] == [LABELS_EACH] * (WRITERS - 1)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(
        f"killed writer: {len(reported[annotators[0]])} reported, {killed} stored; "
        f"others: {[len(stored[a]) for a in annotators[1:]]}"
    )
