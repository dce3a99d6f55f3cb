"""CSV files that would misread, detected before pandas reads them.

A spreadsheet set to a European locale saves "CSV" with semicolons between fields and commas as decimal marks
(``ra;dec`` / ``10,5;-3,25``); read as comma-separated, every number splits in two, and the message that follows
(a row with more fields than the header, a column of text) names a symptom, not the cause. A file saved as
UTF-16 (Excel's "Unicode text") reads as binary garbage. :func:`csv_dialect_problem` names either cause in
words; :func:`check_csv_dialect` raises it as a UserError. Every CSV is read through
:func:`astrodisc.base.tables.read_csv_rows`, which calls the check first (uploads, label imports, the catalogue and
survey importers). This module imports nothing of astrodisc but its error type, so any reader may import it.

Example::

    csv_dialect_problem(b"ra;dec\\n10,5;-3,25\\n")
    # 'looks semicolon-separated with decimal commas; save it as comma-separated with decimal points'
"""

from __future__ import annotations

import codecs
import re

from astrodisc.errors import UserError

SNIFF_BYTES = 64 * 2**10  # the head of a file the dialect is judged from [bytes]
SNIFF_LINES = 50  # at most this many lines of it
DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+(?:[eE][-+]?\d+)?\s*$")  # a number written with a decimal comma
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
SEMICOLON_DECIMAL_COMMA = (
    "looks semicolon-separated with decimal commas; save it as comma-separated with decimal points"
)
UTF16 = "is UTF-16 text; save it as UTF-8"


def csv_dialect_problem(data: bytes) -> str | None:
    """Why the CSV ``data`` would misread, as a phrase that follows the file's name, or None if it looks plain.

    Two dialects are named: UTF-16 text (a byte-order mark, or ASCII interleaved with NUL bytes) and semicolon
    separators with decimal commas (the first line holds a semicolon and no comma, and a field of the lines
    after it is a number with a decimal comma). Only the first SNIFF_BYTES are looked at.
    """
    head = data[:SNIFF_BYTES]
    if _is_utf16(head):
        return UTF16
    lines = [
        line
        for line in head.decode("utf-8", errors="replace").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ][:SNIFF_LINES]
    if not lines or ";" not in lines[0] or "," in lines[0]:
        return None
    fields = (field for line in lines[1:] for field in line.split(";"))
    return SEMICOLON_DECIMAL_COMMA if any(DECIMAL_COMMA.match(field) for field in fields) else None


def _is_utf16(head: bytes) -> bool:
    """True for UTF-16 text: a byte-order mark, or mostly NUL bytes at every other position of ASCII text."""
    if head.startswith(UTF16_BOMS):
        return True
    sample = head[:512]
    if len(sample) < 8:
        return False
    return any(
        sample[start::2].count(0) > 0.9 * len(sample[start::2]) and 0 not in sample[1 - start :: 2] for start in (0, 1)
    )


def check_csv_dialect(data: bytes, name: str) -> None:
    """A UserError naming the file ``name`` and the cause if its bytes ``data`` are a CSV that would misread."""
    problem = csv_dialect_problem(data)
    if problem is not None:
        raise UserError(f"{name} {problem}")
