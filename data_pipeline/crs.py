"""Coordinate systems in, WGS84 out: ``wgs84``, ``gcj02``, ``bd09`` or any ``EPSG:nnnn``.

GCJ-02 ("Mars coordinates", Amap/Tencent) and BD-09 (Baidu) are China's obfuscated map datums. The
forward formula is public; the inverse has no closed form, so ``gcj02_to_wgs84`` iterates the forward
transform (fixed-point), which converges to well under a centimetre. Vectorised with numpy because a
bureau's export has millions of points (the scalar libraries on PyPI do ~100 k points/s).
"""
from __future__ import annotations

import re

import numpy as np

# Krasovsky 1940 ellipsoid, the reference of the GCJ-02 offset formula.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
# BD-09 adds a further rotation/scale in a polar frame; constants of the published formula.
_BD_X_PI = np.pi * 3000.0 / 180.0
_BD_OFFSET_LON, _BD_OFFSET_LAT = 0.0065, 0.006
# Four fixed-point steps bring the GCJ-02 inverse below 1e-9 degrees (~0.1 mm).
_INVERSE_ITERATIONS = 4

GEOGRAPHIC = ("wgs84", "gcj02", "bd09")


def normalise_crs(crs: str | None) -> str:
    """Canonical spelling of a CRS argument: wgs84, gcj02, bd09 or EPSG:nnnn."""
    if crs is None or crs == "":
        return "wgs84"
    text = crs.strip().lower().replace("-", "").replace("_", "")
    if text in ("wgs84", "epsg4326", "epsg:4326"):
        return "wgs84"
    if text in ("gcj02", "gcj"):
        return "gcj02"
    if text in ("bd09", "bd09ll", "baidu"):
        return "bd09"
    match = re.fullmatch(r"epsg:?(\d{4,6})", text)
    if match:
        return f"EPSG:{match.group(1)}"
    raise ValueError(f"unknown CRS {crs!r}: use wgs84, gcj02, bd09 or EPSG:nnnn")


def is_projected(crs: str) -> bool:
    """True when coordinates come as x/y: a projected EPSG CRS (EPSG:4490, CGCS2000, is lat/lon)."""
    if not crs.startswith("EPSG:"):
        return False
    from pyproj import CRS

    return not CRS.from_user_input(crs).is_geographic


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 shift (dlon, dlat) in degrees at WGS84 position (lon, lat)."""
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 (the published forward formula), vectorised."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84 by fixed-point iteration of the forward transform."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(_INVERSE_ITERATIONS):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02 (the published inverse of Baidu's polar shift)."""
    x = np.asarray(lon, dtype=float) - _BD_OFFSET_LON
    y = np.asarray(lat, dtype=float) - _BD_OFFSET_LAT
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def projected_to_wgs84(x, y, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Projected x/y in ``crs`` (EPSG:nnnn) → WGS84 lon, lat with pyproj."""
    from pyproj import Transformer

    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def to_wgs84(a, b, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert (lon, lat) or projected (x, y) in ``crs`` to WGS84 (lon, lat)."""
    crs = normalise_crs(crs)
    if crs == "wgs84":
        return np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if crs == "gcj02":
        return gcj02_to_wgs84(a, b)
    if crs == "bd09":
        return bd09_to_wgs84(a, b)
    return projected_to_wgs84(a, b, crs)


def transform_geometries(geoms: np.ndarray, crs: str) -> np.ndarray:
    """Apply ``to_wgs84`` to every vertex of an array of shapely geometries."""
    import shapely

    crs = normalise_crs(crs)
    if crs == "wgs84":
        return geoms
    return shapely.transform(geoms, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs)))
