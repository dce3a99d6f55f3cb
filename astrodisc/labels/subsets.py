"""Saved subsets: a named map view (colouring and filters, as URL parameters) and optionally the objects
of a selection, kept per dataset in the app's database (labels.sqlite, beside the labels) so they can be
reopened, by anyone, by name or from a link (``?subset=<name>``).

Append-only like the labels: saving a name again keeps the old version in the history and the newest stands.
Objects are kept by id, so a subset survives rebuilds and new models. Example::

    db = SubsetDB(labels_path())
    db.save(Subset("varstars-demo", "long-period Miras", "ana", {"classes": "M"}, ("SIMV-1", "SIMV-7")))
    db.open("varstars-demo", "long-period Miras").object_ids   # ('SIMV-1', 'SIMV-7')
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from astrodisc.base import sqlite_wal
from astrodisc.errors import UserError

MAX_NAME_LENGTH = 80
SCHEMA = sqlite_wal.Schema(
    "saved subsets",
    (
        """
CREATE TABLE IF NOT EXISTS subsets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset TEXT NOT NULL,
    name TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    view TEXT NOT NULL,
    object_ids TEXT,
    created_utc REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS subsets_by_name ON subsets (dataset, name)
""",
    ),
)


@dataclass(frozen=True)
class Subset:
    """A named view of one dataset: ``view`` holds its URL view parameters (astrodisc.app.view_link), and
    ``object_ids`` the selection's objects, or None for a view defined by its filters alone."""

    dataset: str
    name: str
    author: str = ""
    view: dict[str, str] = field(default_factory=dict)
    object_ids: tuple[str, ...] | None = None

    def check(self) -> None:
        name = self.name.strip()
        if not name:
            raise UserError("a saved subset needs a name")
        if len(name) > MAX_NAME_LENGTH:
            raise UserError(f"a subset name has at most {MAX_NAME_LENGTH} characters, got {len(name)}")
        if self.object_ids is not None and not self.object_ids:
            raise UserError("the selection is empty: select objects on the map first, or save the filters alone")


class SubsetDB:
    """The saved subsets in the database at ``path`` (WAL mode; made by the first subset saved)."""

    def __init__(self, path: Path, max_bytes: int | None = None):
        self.path = Path(path)
        self.max_bytes = max_bytes  # refuse saves once the database holds more [bytes] (public mode)

    def save(self, subset: Subset) -> int:
        """Store ``subset`` (checked first; its name stripped); returns its id."""
        subset.check()
        ids = None if subset.object_ids is None else json.dumps(list(subset.object_ids))
        with sqlite_wal.transaction(self.path, SCHEMA, self.max_bytes) as db:
            cursor = db.execute(
                "INSERT INTO subsets (dataset, name, author, view, object_ids, created_utc) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    subset.dataset,
                    subset.name.strip(),
                    subset.author,
                    json.dumps(subset.view, sort_keys=True),
                    ids,
                    time.time(),
                ),
            )
            assert cursor.lastrowid is not None  # set by the INSERT just made
            return cursor.lastrowid

    def names(self, dataset: str) -> list[str]:
        """Names of the subsets saved for ``dataset``, newest first."""
        frame = sqlite_wal.read_frame(
            self.path,
            SCHEMA,
            "SELECT name, MAX(id) AS newest FROM subsets WHERE dataset = ? GROUP BY name ORDER BY newest DESC",
            [dataset],
        )
        return frame["name"].tolist()

    def open(self, dataset: str, name: str) -> Subset:
        """The standing (newest) version of subset ``name`` of ``dataset``; an unknown name is a UserError."""
        frame = sqlite_wal.read_frame(
            self.path,
            SCHEMA,
            "SELECT * FROM subsets WHERE dataset = ? AND name = ? ORDER BY id DESC LIMIT 1",
            [dataset, name],
        )
        if frame.empty:
            raise UserError(f"no saved subset {name!r} in {dataset}")
        row = frame.iloc[0]
        ids = None if row["object_ids"] is None else tuple(json.loads(row["object_ids"]))
        return Subset(dataset, str(row["name"]), str(row["author"]), json.loads(row["view"]), ids)
