"""Positions typed by a user (degrees and sexagesimal, ICRS) and the nearest catalogue object with its separation."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest
from astropy.coordinates import name_resolve

from astrodisc.data.coordinates import CatalogueSky, parse_position, position_of, resolve_name
from astrodisc.errors import UserError

ARCSEC = 1 / 3600  # [deg]


@pytest.mark.parametrize(
    "text,ra,dec",
    [
        ("150.1 2.2", 150.1, 2.2),
        ("150.1, +2.2", 150.1, 2.2),
        ("  150.1,-2.2 ", 150.1, -2.2),
        ("10h00m24s +02d12m00s", 150.1, 2.2),
        ("10:00:24 +02:12:00", 150.1, 2.2),
        ("10 00 24 -02 12 00", 150.1, -2.2),
        ("10:00:24.6, -00:30:36", 150.1025, -0.51),
        ("150d06m00s +2d12m00s", 150.1, 2.2),
        ("0 -90", 0.0, -90.0),
    ],
)
def test_degrees_and_sexagesimal(text, ra, dec):
    position = parse_position(text)
    assert position.frame.name == "icrs"
    assert position.ra.deg == pytest.approx(ra, abs=1e-9) and position.dec.deg == pytest.approx(dec, abs=1e-9)


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "cannot read '' as a position"),
        ("M31", "cannot read 'M31' as a position: give degrees ('150.1 2.2') or sexagesimal"),
        ("10:00:24", "cannot read '10:00:24' as a position"),
        ("150.1 2.2 7", "cannot read '150.1 2.2 7' as a position"),
        ("400 2", "right ascension 400° in '400 2' is outside 0–24 h (0–360°)"),
        ("150 95", "declination 95° in '150 95' is outside −90° to +90°"),
        ("10:00:24 +95:00:00", "declination 95° in '10:00:24 +95:00:00' is outside"),
    ],
)
def test_bad_positions_are_refused_with_the_reason(text, message):
    with pytest.raises(UserError) as caught:
        parse_position(text)
    assert message in str(caught.value)


def _separation_arcsec(ra1, dec1, ra2, dec2) -> float:
    """Great-circle separation [arcsec] by the haversine formula, independent of astropy."""
    ra1, dec1, ra2, dec2 = np.radians([ra1, dec1, ra2, dec2])
    h = np.sin((dec2 - dec1) / 2) ** 2 + np.cos(dec1) * np.cos(dec2) * np.sin((ra2 - ra1) / 2) ** 2
    return float(np.degrees(2 * np.arcsin(np.sqrt(h))) * 3600)


@pytest.fixture()
def catalog() -> pd.DataFrame:
    """Known positions (one without), on a non-default index: rows are the index labels."""
    return pd.DataFrame(
        {
            "object_id": ["A", "B", "C", "D", "E"],
            "ra": [150.1, 150.1 + 20 * ARCSEC, 10.0, 359.9999, np.nan],
            "dec": [2.2, 2.2, 60.0, -89.0, 0.0],
        },
        index=[10, 11, 12, 13, 14],
    )


@pytest.mark.parametrize(
    "text,row,ra,dec",
    [
        ("150.1 2.2", 10, 150.1, 2.2),  # on A
        ("10:00:24 +02:12:01.5", 10, 150.1, 2.2 + 1.5 * ARCSEC),  # 1.5" north of A
        ("150.1045 2.2", 11, 150.1045, 2.2),  # between A and B, nearer B
        ("00:40:00.1 +60:00:00", 12, 10.0 + 0.1 * 15 * ARCSEC, 60.0),  # 0.1 s of RA east of C, at Dec 60
        ("0.0002 -89.0", 13, 0.0002, -89.0),  # across RA 0/360 from D
    ],
)
def test_nearest_object_and_its_separation(catalog, text, row, ra, dec):
    match = CatalogueSky(catalog).nearest(parse_position(text))
    assert match.row == row
    expected = _separation_arcsec(ra, dec, catalog.at[row, "ra"], catalog.at[row, "dec"])
    assert match.separation_arcsec == pytest.approx(expected, abs=0.01)


def test_separations_in_arcsec_on_known_offsets(catalog):
    sky = CatalogueSky(catalog)
    assert sky.nearest(parse_position("10:00:24 +02:12:01.5")).separation_arcsec == pytest.approx(1.5, abs=0.01)
    # 0.1 s of right ascension at Dec 60 is 1.5" * cos 60 = 0.75" on the sky
    assert sky.nearest(parse_position("00:40:00.1 +60:00:00")).separation_arcsec == pytest.approx(0.75, abs=0.01)


def test_a_catalogue_without_positions_is_refused():
    with pytest.raises(UserError, match="no ra, dec columns"):
        CatalogueSky(pd.DataFrame({"object_id": ["A"]}))
    with pytest.raises(UserError, match="no object of this catalogue has a sky position"):
        CatalogueSky(pd.DataFrame({"object_id": ["A"], "ra": [np.nan], "dec": [1.0]}))


def test_a_cone_holds_every_object_within_its_radius_nearest_first(catalog):
    sky = CatalogueSky(catalog)
    centre = parse_position("10:00:24 +02:12:00")
    arcsec = np.array(
        [_separation_arcsec(150.1, 2.2, r, d) for r, d in zip(catalog["ra"], catalog["dec"], strict=True)]
    )
    for radius in (0.5, 2.0, 3600.0, 648_000.0):
        cone = sky.within(centre, radius)
        assert sorted(m.row for m in cone) == sorted(catalog.index[arcsec <= radius])
        assert [m.separation_arcsec for m in cone] == sorted(m.separation_arcsec for m in cone)
    with pytest.raises(UserError, match="radius must be positive"):
        sky.within(centre, 0.0)


class _Sesame:
    """A local stand-in for CDS Sesame: answers M31 as Sesame does (a "%J ra dec" line), nothing else."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                body = b"# M31\n%J 10.68470833 +41.26875000 = 00:42:44.33 +41:16:07.5\n" if "M31" in self.path else b""
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/sesame/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_a_name_is_resolved_by_sesame_and_its_failures_are_one_line():
    sesame = _Sesame()
    try:
        with name_resolve.sesame_url.set([sesame.url]):
            m31 = position_of("M31")
            assert m31.ra.deg == pytest.approx(10.68470833) and m31.dec.deg == pytest.approx(41.26875)
            with pytest.raises(UserError, match="knows no object called 'Nowhere Nebula'"):
                resolve_name("Nowhere Nebula")
    finally:
        sesame.httpd.shutdown()
        sesame.httpd.server_close()
    with name_resolve.sesame_url.set([sesame.url]):  # the server is gone: as without a network
        with pytest.raises(UserError) as refused:
            position_of("M33")  # (astropy keeps M31's answer: a resolved name needs no network again)
    message = str(refused.value)
    assert "\n" not in message and message.startswith("cannot read 'M33' as a position")
    assert "cannot be reached (no network?)" in message
    assert position_of("150.1 2.2").ra.deg == pytest.approx(150.1)  # coordinates never ask the network
