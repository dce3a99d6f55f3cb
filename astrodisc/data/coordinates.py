"""Sky positions typed by a user (or an object's name, resolved by CDS Sesame when the network is there), the
catalogue object nearest to one, and every object within a radius.

Positions are ICRS (J2000): right ascension and declination in decimal degrees ("150.1 2.2", "150.1, +2.2")
or sexagesimal, right ascension in hours unless marked in degrees ("10h00m24s +02d12m00s", "10:00:24 +02:12:00",
"10 00 24 +02 12 00", "150d06m00s +2d12m00s").

Example::

    sky = CatalogueSky(artifacts.catalog)              # catalogue ra, dec [deg, ICRS]
    match = sky.nearest(parse_position("10:00:24 +02:12:00"))
    match.row, match.separation_arcsec
    sky.within(parse_position("150.1 2.2"), 60.0)    # a cone search: every object within 60 arcsec, nearest first
    position_of("M31")                                # not coordinates: a name, resolved by Sesame
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord

from astrodisc.errors import UserError

FRAME = "icrs"
EXAMPLES = "degrees ('150.1 2.2') or sexagesimal ('10h00m24s +02d12m00s', '10:00:24 +02:12:00')"
_UNIT_MARKS = re.compile(r"[hdms°'\"]", re.IGNORECASE)
SESAME_TIMEOUT_S = 5.0  # per Sesame mirror; without a network the look-up fails at once (no address)


@dataclass(frozen=True)
class Match:
    """The catalogue object nearest to a position: its catalogue row and angular separation [arcsec]."""

    row: int
    separation_arcsec: float


def parse_position(text: str) -> SkyCoord:
    """The ICRS position written in ``text`` (see the module docstring); a UserError if it is not one."""
    tokens = text.replace(",", " ").split()
    ra_text, dec_text = _split(tokens, text)
    degrees = [_float(t) for t in (ra_text, dec_text)]
    try:
        if None not in degrees:
            ra, dec = Angle(degrees[0], u.deg), Angle(degrees[1], u.deg)
        else:
            ra = Angle(ra_text) if _UNIT_MARKS.search(ra_text) else Angle(ra_text, u.hourangle)
            dec = Angle(dec_text) if _UNIT_MARKS.search(dec_text) else Angle(dec_text, u.deg)
    except (ValueError, u.UnitsError):
        raise UserError(f"cannot read {text.strip()!r} as a position: give {EXAMPLES}") from None
    if not 0 <= ra.deg <= 360:
        shown = f"{ra.hour:g} h" if ra.unit == u.hourangle else f"{ra.deg:g}°"
        raise UserError(f"right ascension {shown} in {text.strip()!r} is outside 0–24 h (0–360°)")
    if not -90 <= dec.deg <= 90:
        raise UserError(f"declination {dec.deg:g}° in {text.strip()!r} is outside −90° to +90°")
    return SkyCoord(ra.wrap_at(360 * u.deg), dec, frame=FRAME)


def position_of(text: str) -> SkyCoord:
    """The position written in ``text``: coordinates (:func:`parse_position`), else an object's name resolved by
    :func:`resolve_name`; one UserError line saying both when it is neither."""
    try:
        return parse_position(text)
    except UserError as not_coordinates:
        if not re.search(r"[A-Za-z]", text):
            raise
        try:
            return resolve_name(text.strip())
        except UserError as not_a_name:
            raise UserError(f"{not_coordinates}; nor is it a name: {not_a_name}") from None


def resolve_name(name: str) -> SkyCoord:
    """The ICRS position of the object called ``name`` ("M31", "RR Lyr", "NGC 4151") from CDS Sesame (SIMBAD, NED,
    VizieR) through astropy; a UserError when the name is unknown or Sesame cannot be reached."""
    from astropy.coordinates.name_resolve import NameResolveError
    from astropy.utils import data

    with data.conf.set_temp("remote_timeout", SESAME_TIMEOUT_S):
        try:
            return SkyCoord.from_name(name, frame=FRAME)
        except NameResolveError as err:
            if "All Sesame queries failed" in str(err):
                raise UserError("CDS Sesame, the name resolver, cannot be reached (no network?)") from None
            raise UserError(f"CDS Sesame knows no object called {name!r}") from None


def _split(tokens: list[str], text: str) -> tuple[str, str]:
    """(RA text, Dec text): two tokens, or sexagesimal fields split where Dec's sign starts (else halfway)."""
    if len(tokens) == 2:
        return tokens[0], tokens[1]
    signed = [i for i, t in enumerate(tokens) if i > 0 and t[0] in "+-"]
    cut = signed[0] if signed else (len(tokens) // 2 if len(tokens) in (4, 6) else None)
    if cut is None or len(tokens) < 2:
        raise UserError(f"cannot read {text.strip()!r} as a position: give {EXAMPLES}")
    return ":".join(tokens[:cut]), ":".join(tokens[cut:])


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class CatalogueSky:
    """The sky positions of a catalogue (columns ra, dec [deg, ICRS]) for nearest-object look-ups; rows
    without a position are left out. Build once per catalogue: the k-d tree is kept between look-ups."""

    def __init__(self, catalog: pd.DataFrame):
        if not {"ra", "dec"} <= set(catalog.columns):
            raise UserError("this catalogue has no ra, dec columns: no search by position")
        ra = pd.to_numeric(catalog["ra"], errors="coerce").to_numpy(dtype=float)
        dec = pd.to_numeric(catalog["dec"], errors="coerce").to_numpy(dtype=float)
        known = np.isfinite(ra) & np.isfinite(dec)
        if not known.any():
            raise UserError("no object of this catalogue has a sky position")
        self.rows = np.asarray(catalog.index)[known]
        self.sky = SkyCoord(ra[known] * u.deg, dec[known] * u.deg, frame=FRAME)

    def nearest(self, position: SkyCoord) -> Match:
        """The object nearest to ``position`` (great-circle separation)."""
        index, separation, _ = position.match_to_catalog_sky(self.sky)
        index, arcsec = np.ravel(index)[0], np.ravel(separation.to_value(u.arcsec))[0]
        return Match(int(self.rows[index]), float(arcsec))

    def within(self, position: SkyCoord, radius_arcsec: float) -> list[Match]:
        """Every object within ``radius_arcsec`` of ``position`` (great-circle separation), nearest first."""
        if not radius_arcsec > 0:
            raise UserError(f"a cone's radius must be positive, got {radius_arcsec:g} arcsec")
        arcsec = self.sky.separation(position).to_value(u.arcsec)
        inside = np.flatnonzero(arcsec <= radius_arcsec)
        order = inside[np.argsort(arcsec[inside], kind="stable")]
        return [Match(int(self.rows[i]), float(arcsec[i])) for i in order]
