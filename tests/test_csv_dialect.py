"""CSV dialects that would misread are named before pandas reads them (astrodisc/base/csv_dialect.py)."""

from __future__ import annotations

import pytest

from astrodisc.base.csv_dialect import SEMICOLON_DECIMAL_COMMA, UTF16, check_csv_dialect, csv_dialect_problem
from astrodisc.errors import UserError

PLAIN = b"object_id,ra,dec,g\nS1,10.5,-3.25,15.1\nS2,11.5,-2.25,16.2\n"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"object_id;ra;dec\nS1;10,5;-3,25\n", SEMICOLON_DECIMAL_COMMA),
        (b"# exported 2024\n\ntime;mag\n2458000,5;14,2\n", SEMICOLON_DECIMAL_COMMA),  # comments and blank lines skipped
        (b"time;mag\n1;1,5e-3\n", SEMICOLON_DECIMAL_COMMA),
        (PLAIN.decode().encode("utf-16"), UTF16),  # with a byte-order mark
        (PLAIN.decode().encode("utf-16-le"), UTF16),  # without one
        (PLAIN, None),
        (b"time;mag\n2458000.5;14.2\n", None),  # semicolons with decimal points: readable, the uploads sniff them
        (b'name,ra\n"Smith, J.",10.5\n', None),  # a comma inside quotes
        (b"", None),
        (bytes(range(256)) * 8, None),  # binary garbage is no dialect (its readers refuse it themselves)
    ],
)
def test_csv_dialect_problem(data, problem):
    assert csv_dialect_problem(data) == problem


def test_check_names_the_file_and_the_fix():
    with pytest.raises(
        UserError,
        match=r"^lc\.csv looks semicolon-separated with decimal commas; save it as "
        r"comma-separated with decimal points$",
    ):
        check_csv_dialect(b"time;mag\n1,5;14,2\n", "lc.csv")
    check_csv_dialect(PLAIN, "ok.csv")
