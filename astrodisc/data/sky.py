"""Sky positions of catalogue objects in the frames the sky view offers: equatorial (RA, Dec) and Galactic (l, b).

lon, lat = sky_positions(catalog, "galactic")   # (N,) degrees each; NaN where ra/dec are missing
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SKY_FRAMES: dict[str, tuple[str, str]] = {  # frame: axis titles
    "icrs": ("RA [deg]", "Dec [deg]"),
    "galactic": ("Galactic l [deg]", "Galactic b [deg]"),
}
SKY_AXES = ("sky_lon", "sky_lat")  # columns sky_view adds


def has_sky(catalog: pd.DataFrame) -> bool:
    """Whether the catalogue holds positions (ra, dec columns with at least one finite pair)."""
    if not {"ra", "dec"} <= set(catalog.columns):
        return False
    return bool(np.isfinite(catalog[["ra", "dec"]].to_numpy(dtype=float)).all(axis=1).any())


def sky_positions(catalog: pd.DataFrame, frame: str) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) (N,) float64 [deg] of the catalogue's ICRS ra/dec in ``frame`` ("icrs" or "galactic");
    lon in [0, 360)."""
    if frame not in SKY_FRAMES:
        raise ValueError(f"unknown sky frame {frame!r}: one of {', '.join(SKY_FRAMES)}")
    ra = catalog["ra"].to_numpy(dtype=float)
    dec = catalog["dec"].to_numpy(dtype=float)
    if frame == "icrs":
        return ra, dec
    known = np.isfinite(ra) & np.isfinite(dec)
    lon, lat = np.full(len(ra), np.nan), np.full(len(ra), np.nan)
    from astropy.coordinates import SkyCoord  # noqa: PLC0415 - astropy loads in ~0.5 s; not on the map's first draw

    galactic = SkyCoord(ra[known], dec[known], unit="deg", frame="icrs").galactic
    lon[known], lat[known] = galactic.l.deg, galactic.b.deg
    return lon, lat


def sky_view(catalog: pd.DataFrame, frame: str) -> pd.DataFrame:
    """``catalog`` with the SKY_AXES columns [deg] in ``frame`` added (same index), for render.map_figure."""
    lon, lat = sky_positions(catalog, frame)
    return catalog.assign(**{SKY_AXES[0]: lon, SKY_AXES[1]: lat})
