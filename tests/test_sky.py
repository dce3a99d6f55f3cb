"""Sky positions for the sky view."""

import numpy as np
import pandas as pd
import pytest

from astrodisc.data.sky import has_sky, sky_positions, sky_view


def test_galactic_positions_of_known_landmarks():
    # the Galactic centre and the north Galactic pole (IAU 1958, in ICRS as astropy defines the frames)
    catalog = pd.DataFrame({"ra": [266.40499, 192.85948, np.nan], "dec": [-28.93617, 27.12825, 10.0]})
    lon, lat = sky_positions(catalog, "galactic")
    assert lon[0] == pytest.approx(0.0, abs=1e-3) or lon[0] == pytest.approx(360.0, abs=1e-3)
    assert lat[0] == pytest.approx(0.0, abs=1e-3) and lat[1] == pytest.approx(90.0, abs=1e-3)
    assert np.isnan(lon[2]) and np.isnan(lat[2])
    view = sky_view(catalog, "icrs")
    assert view["sky_lon"].tolist()[:2] == catalog["ra"].tolist()[:2] and view.index.equals(catalog.index)


def test_a_catalogue_without_positions_has_no_sky():
    assert not has_sky(pd.DataFrame({"x": [1.0]}))
    assert not has_sky(pd.DataFrame({"ra": [np.nan], "dec": [1.0]}))
    assert has_sky(pd.DataFrame({"ra": [np.nan, 2.0], "dec": [1.0, 3.0]}))
    with pytest.raises(ValueError, match="unknown sky frame"):
        sky_positions(pd.DataFrame({"ra": [1.0], "dec": [2.0]}), "ecliptic")
