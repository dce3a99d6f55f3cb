"""Links out by sky position: SIMBAD, the CDS portal and the Legacy Survey viewer.

Each service's address is a constant here, so a moved service is a one-line change. Coordinates are ICRS
degrees; the links open the service's cone around the position::

    simbad_url(150.1, 2.2)  # 'https://simbad.cds.unistra.fr/simbad/sim-coo?Coord=150.1%202.2&...'
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

SIMBAD = "https://simbad.cds.unistra.fr/simbad/sim-coo"
CDS_PORTAL = "https://cdsportal.u-strasbg.fr/"
LEGACY_VIEWER = "https://www.legacysurvey.org/viewer"
LEGACY_LAYER = "ls-dr10"
SIMBAD_RADIUS_ARCSEC = 5.0
LEGACY_ZOOM = 16  # about 0.5 arcmin across: one galaxy and its surroundings


def _position(ra: float, dec: float) -> str:
    if not (0.0 <= ra < 360.0 and -90.0 <= dec <= 90.0):
        raise ValueError(f"not a sky position: ra={ra}, dec={dec} (degrees, ICRS)")
    return f"{ra:.6f} {dec:+.6f}"


def simbad_url(ra: float, dec: float, radius_arcsec: float = SIMBAD_RADIUS_ARCSEC) -> str:
    """SIMBAD objects within ``radius_arcsec`` of (``ra``, ``dec``) [deg]."""
    query = {"Coord": _position(ra, dec), "CooFrame": "ICRS", "Radius": f"{radius_arcsec:g}", "Radius.unit": "arcsec"}
    return f"{SIMBAD}?{urlencode(query, quote_via=quote)}"


def cds_portal_url(ra: float, dec: float) -> str:
    """The CDS portal (SIMBAD, VizieR catalogues, Aladin images) at (``ra``, ``dec``) [deg]."""
    return f"{CDS_PORTAL}?{urlencode({'target': _position(ra, dec)}, quote_via=quote)}"


def legacy_viewer_url(ra: float, dec: float, layer: str = LEGACY_LAYER, zoom: int = LEGACY_ZOOM) -> str:
    """The Legacy Surveys sky viewer centred on (``ra``, ``dec``) [deg]."""
    _position(ra, dec)
    return f"{LEGACY_VIEWER}?{urlencode({'ra': f'{ra:.6f}', 'dec': f'{dec:.6f}', 'layer': layer, 'zoom': zoom})}"


def sky_links(ra: float, dec: float) -> dict[str, str]:
    """{service name: URL} of every link out for a position [deg]."""
    return {
        "SIMBAD": simbad_url(ra, dec),
        "CDS portal": cds_portal_url(ra, dec),
        "Legacy Survey viewer": legacy_viewer_url(ra, dec),
    }
