"""Links out by coordinates carry the position the services expect."""

from urllib.parse import parse_qs, urlsplit

import pytest

from astrodisc.data.links import cds_portal_url, legacy_viewer_url, simbad_url, sky_links


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_each_service_gets_the_position_in_its_own_parameters():
    simbad = _query(simbad_url(150.1, -2.25))
    assert simbad["Coord"] == "150.100000 -2.250000" and simbad["CooFrame"] == "ICRS"
    assert simbad["Radius"] == "5" and simbad["Radius.unit"] == "arcsec"
    assert _query(cds_portal_url(0.5, 89.0))["target"] == "0.500000 +89.000000"
    legacy = _query(legacy_viewer_url(210.8, 54.35))
    assert (legacy["ra"], legacy["dec"], legacy["layer"]) == ("210.800000", "54.350000", "ls-dr10")
    assert urlsplit(legacy_viewer_url(210.8, 54.35)).netloc == "www.legacysurvey.org"
    assert list(sky_links(1.0, 2.0)) == ["SIMBAD", "CDS portal", "Legacy Survey viewer"]


@pytest.mark.parametrize("ra, dec", [(360.0, 0.0), (-1.0, 0.0), (10.0, 91.0), (float("nan"), 0.0)])
def test_a_position_off_the_sky_is_refused(ra, dec):
    with pytest.raises(ValueError, match="not a sky position"):
        simbad_url(ra, dec)
