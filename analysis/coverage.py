"""Camera coverage: sectors, point-in-sector on arrays, and the covered share of every H3 cell.

A camera covers a *sector*: the points within ``range_m`` of it whose bearing from the camera lies within
``fov_deg / 2`` of ``azimuth_deg`` (degrees clockwise from north). A dome/PTZ camera, or any camera whose
azimuth is unknown (NaN), covers the full disc. Boundaries are inclusive and the camera's own position is
always covered.

Distances and bearings are measured in a local metric frame around each camera: offsets in latitude and
longitude are scaled by the WGS84 ellipsoid's meridional and prime-vertical radii of curvature at the pair's
mid-latitude. Over the few hundred metres a camera sees this agrees with the geodesic to well under a
millimetre per 100 m, anywhere on Earth, without a projection per camera. The same frame, inverted, draws
the sector polygons, so the drawn sector and the tested sector agree.

Coverage of an H3 cell is the share of its area inside at least one sector. It is measured on fine cells
(``COVERAGE_RES``, default 12, ~300 m²): a fine cell counts as covered when its centre lies in a sector.
:func:`covered_fine_cells` does that for a set of cameras and :func:`coverage_by_cell` rolls the covered fine
cells up to the map resolutions; :func:`update_coverage` recomputes only the map cells a change of cameras
can touch.

Conventions: coordinates are WGS84 degrees, given as ``lat, lon`` in that order; H3 cells are signed int64.
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain

import h3ronpy
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from h3ronpy.vector import cells_to_coordinates
from scipy.sparse import csr_array
from scipy.spatial import cKDTree

from data_pipeline.h3cells import MAP_RESOLUTIONS, latlng_to_cells

# --- defaults by kind -------------------------------------------------------------------------------------------------

FULL_CIRCLE_DEG = 360.0


@dataclass(frozen=True)
class CameraDefaults:
    """What a camera of one kind is assumed to see when its source does not say."""

    fov_deg: float  # horizontal field of view
    range_m: float  # distance up to which its picture is still useful for the kind's purpose
    reason: str


# Ranges follow the DORI pixel densities of IEC 62676-4 (detect 25 px/m, observe 62, recognise 125,
# identify 250 px/m across the scene width 2·d·tan(fov/2) at distance d), for the sensor and lens most
# often fitted to each kind in Chinese public-security deployments. A mapping file overrides them.
CAMERA_DEFAULTS: Mapping[str, CameraDefaults] = {
    "video": CameraDefaults(
        fov_deg=90.0, range_m=50.0,
        reason="general surveillance bullet, 4 MP (2560 px) with a 4 mm lens ≈ 90°; at 50 m the scene is "
               "100 m wide, 25.6 px/m: DORI 'detect' (a person is there), the use planners count as coverage"),
    "face": CameraDefaults(
        fov_deg=40.0, range_m=20.0,
        reason="face capture (人脸抓拍), 4 MP with an 8-12 mm lens ≈ 40°; at 20 m the scene is 14.6 m wide, "
               "175 px/m, between DORI 'recognise' and 'identify'; farther faces are too small to match"),
    "vehicle": CameraDefaults(
        fov_deg=40.0, range_m=40.0,
        reason="vehicle checkpoint / e-police (卡口/电警), 12-16 mm lens ≈ 30-40° aimed at a capture line "
               "20-30 m out across 3-4 lanes; beyond ~40 m plates are unreadable"),
    "structured": CameraDefaults(
        fov_deg=60.0, range_m=55.0,
        reason="video structuring (视频结构化), 8 MP (3840 px) with a 6 mm lens ≈ 60°; at 55 m the scene is "
               "63.5 m wide, 60 px/m: DORI 'observe', enough to extract clothing and vehicle attributes"),
    "other": CameraDefaults(
        fov_deg=90.0, range_m=50.0,
        reason="unknown type: assumed to be the commonest camera, a general surveillance bullet (as 'video')"),
}
# A camera without a known azimuth (dome, PTZ, or simply not recorded) is counted as seeing the full circle at
# its kind's range: a PTZ sees one direction at a time but can be turned to any, which is how planners count it.
DOME_FOV_DEG = FULL_CIRCLE_DEG


def fill_camera_defaults(cameras: pd.DataFrame,
                         defaults: Mapping[str, CameraDefaults] = CAMERA_DEFAULTS) -> pd.DataFrame:
    """Cameras with missing ``fov_deg`` / ``range_m`` filled from their kind's defaults.

    Parameters
    ----------
    cameras : pandas.DataFrame
        Columns ``kind``, ``azimuth_deg``, and optionally ``fov_deg`` and ``range_m`` (missing = NaN/None).
        A kind not in ``defaults`` uses the ``"other"`` entry.
    defaults : mapping of kind to CameraDefaults
        Must contain ``"other"``.

    Returns
    -------
    pandas.DataFrame
        A copy in which ``fov_deg`` and ``range_m`` are floats without NaN, and every camera without an
        azimuth has ``fov_deg`` = 360 (the store's rule: azimuth NULL means 360°).
    """
    out = cameras.copy()
    kinds = out["kind"].where(out["kind"].isin(list(defaults)), "other") if "kind" in out else "other"
    kinds = pd.Series(kinds, index=out.index)
    azimuth = pd.to_numeric(out.get("azimuth_deg", pd.Series(np.nan, index=out.index)), errors="coerce")
    for column in ("fov_deg", "range_m"):
        given = pd.to_numeric(out[column], errors="coerce") if column in out else pd.Series(np.nan, index=out.index)
        by_kind = kinds.map({k: getattr(d, column) for k, d in defaults.items()}).astype(float)
        out[column] = given.astype(float).fillna(by_kind)
    out["azimuth_deg"] = azimuth.astype(float)
    out.loc[azimuth.isna(), "fov_deg"] = DOME_FOV_DEG
    return out


# --- approach directions ----------------------------------------------------------------------------------------------

# An enforcement camera listed with an approach ("NB" = the northbound approach) is located at the intersection
# (or its address on the road) and watches the traffic of that approach before and while it enters: northbound
# traffic arrives from the south, so the camera's sector points south (180°). Whether the picture shows front or
# rear plates does not change which stretch of road is watched, and that stretch is what coverage counts.
APPROACH_AZIMUTH_DEG: Mapping[str, float] = {
    "NB": 180.0, "NEB": 225.0, "EB": 270.0, "SEB": 315.0,
    "SB": 0.0, "SWB": 45.0, "WB": 90.0, "NWB": 135.0,
}
_APPROACH_WORDS = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
                   "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW"}


def approach_to_azimuth_deg(approach: str | None) -> float:
    """Azimuth a camera enforcing ``approach`` faces (``"NB"`` → 180°); NaN when blank.

    Accepts ``NB``/``N/B``/``northbound`` and the diagonals (``SEB`` …), case-insensitively.
    Raises ``ValueError`` on anything else, so that a typo is not silently read as a dome.
    """
    if approach is None or (isinstance(approach, float) and math.isnan(approach)):
        return math.nan
    text = re.sub(r"[\s/_-]", "", str(approach)).upper()
    if not text:
        return math.nan
    if text.endswith("BOUND"):
        text = _APPROACH_WORDS.get(text[:-5], text[:-5]) + "B"
    if text not in APPROACH_AZIMUTH_DEG:
        raise ValueError(f"unknown approach direction {approach!r}")
    return APPROACH_AZIMUTH_DEG[text]


def expand_approaches(cameras: pd.DataFrame, approach_columns: Sequence[str]) -> pd.DataFrame:
    """One row per (camera, approach) with its ``azimuth_deg``; ``camera_row`` is the source row's index.

    A camera watching several approaches gets one sector per approach rather than one wider sector: two
    approaches are often opposite (NB + SB), and a single sector spanning them would also claim the two arms
    the camera does not watch. Coverage is a union, so separate sectors lose nothing. A camera with no
    approach keeps one row with azimuth NaN (360°).
    """
    parts = []
    for column in approach_columns:
        azimuth = cameras[column].map(approach_to_azimuth_deg)
        parts.append(cameras.assign(azimuth_deg=azimuth, camera_row=cameras.index)[azimuth.notna()])
    expanded = pd.concat(parts) if parts else cameras.iloc[0:0].assign(azimuth_deg=np.nan, camera_row=[])
    without = ~cameras.index.isin(expanded["camera_row"])
    rest = cameras[without].assign(azimuth_deg=np.nan, camera_row=cameras.index[without])
    out = pd.concat([expanded, rest]).sort_values("camera_row", kind="stable")
    return out.reset_index(drop=True)


# --- sectors ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CameraSectors:
    """Sectors of many cameras as parallel float64 arrays (one entry per sector).

    ``azimuth_deg`` NaN, or ``fov_deg`` >= 360, is a full circle. Build it with :meth:`from_frame` from a
    camera table (defaults filled) or directly from arrays.
    """

    lat: np.ndarray
    lon: np.ndarray
    azimuth_deg: np.ndarray
    fov_deg: np.ndarray
    range_m: np.ndarray

    def __post_init__(self) -> None:
        for name in ("lat", "lon", "azimuth_deg", "fov_deg", "range_m"):
            object.__setattr__(self, name, np.atleast_1d(np.asarray(getattr(self, name), dtype=np.float64)))
        n = len(self.lat)
        if any(len(getattr(self, k)) != n for k in ("lon", "azimuth_deg", "fov_deg", "range_m")):
            raise ValueError("sector arrays must have the same length")
        if not (np.isfinite(self.lat).all() and np.isfinite(self.lon).all()):
            raise ValueError("sector positions must be finite")
        if not (np.isfinite(self.range_m).all() and (self.range_m > 0).all()):
            raise ValueError("range_m must be finite and positive")
        if not (self.fov_deg > 0).all():
            raise ValueError("fov_deg must be positive (NaN is not allowed: fill defaults first)")

    @classmethod
    def from_frame(cls, cameras: pd.DataFrame,
                   defaults: Mapping[str, CameraDefaults] = CAMERA_DEFAULTS) -> CameraSectors:
        """Sectors of a camera table (``lat``, ``lon``, ``kind``, ``azimuth_deg``, ``fov_deg``, ``range_m``)."""
        filled = fill_camera_defaults(cameras, defaults)
        return cls(filled["lat"].to_numpy(float), filled["lon"].to_numpy(float),
                   filled["azimuth_deg"].to_numpy(float), filled["fov_deg"].to_numpy(float),
                   filled["range_m"].to_numpy(float))

    def __len__(self) -> int:
        return len(self.lat)

    @property
    def is_full_circle(self) -> np.ndarray:
        return np.isnan(self.azimuth_deg) | (self.fov_deg >= FULL_CIRCLE_DEG)

    def take(self, index) -> CameraSectors:
        """The sectors at ``index`` (integer positions or a boolean mask)."""
        return CameraSectors(self.lat[index], self.lon[index], self.azimuth_deg[index], self.fov_deg[index],
                             self.range_m[index])

    @staticmethod
    def concat(parts: Iterable[CameraSectors]) -> CameraSectors:
        parts = list(parts)
        return CameraSectors(*(np.concatenate([getattr(p, k) for p in parts]) if parts else np.empty(0)
                               for k in ("lat", "lon", "azimuth_deg", "fov_deg", "range_m")))


# WGS84 ellipsoid.
_A_M = 6_378_137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
# The smallest radius of curvature on the ellipsoid (meridional, at the equator): a chord search radius built
# on it is never too small, wherever the camera is.
_MIN_RADIUS_M = _A_M * (1 - _E2)


def _radii_m(lat_rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Meridional (north) and prime-vertical (east) radii of curvature at ``lat_rad``."""
    w2 = 1 - _E2 * np.sin(lat_rad) ** 2
    return _A_M * (1 - _E2) / w2 ** 1.5, _A_M / np.sqrt(w2)


def local_offsets_m(lat0, lon0, lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """East and north offsets in metres of points from origins (all degrees; arrays broadcast)."""
    phi0 = np.radians(lat0)
    phi = np.radians(lat)
    mid = (phi0 + phi) / 2
    north_radius, east_radius = _radii_m(mid)
    dlon = (np.asarray(lon, dtype=np.float64) - lon0 + 180.0) % 360.0 - 180.0
    return np.radians(dlon) * east_radius * np.cos(mid), (phi - phi0) * north_radius


def offsets_to_latlng(lat0, lon0, east_m, north_m) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`local_offsets_m`: the (lat, lon) degrees at east/north metres from the origins."""
    phi0 = np.radians(lat0)
    phi = phi0 + north_m / _radii_m(phi0)[0]
    for _ in range(3):  # the radii depend on the mid-latitude: a fixed point reached to ~1e-15 in 3 steps
        mid = (phi0 + phi) / 2
        phi = phi0 + north_m / _radii_m(mid)[0]
    mid = (phi0 + phi) / 2
    lon = np.asarray(lon0) + np.degrees(east_m / (_radii_m(mid)[1] * np.cos(mid)))
    return np.degrees(phi), (lon + 180.0) % 360.0 - 180.0


def in_sector(east_m, north_m, azimuth_deg, fov_deg, range_m) -> np.ndarray:
    """Whether points at east/north offsets from a camera lie in its sector (arrays broadcast).

    Inclusive on the arc and on both edges; the camera's own position is inside.
    """
    east_m = np.asarray(east_m, dtype=np.float64)
    north_m = np.asarray(north_m, dtype=np.float64)
    dist2 = east_m * east_m + north_m * north_m
    within_range = dist2 <= np.asarray(range_m, dtype=np.float64) ** 2
    bearing_deg = np.degrees(np.arctan2(east_m, north_m))
    off_axis_deg = np.abs((bearing_deg - azimuth_deg + 540.0) % 360.0 - 180.0)
    full = np.isnan(azimuth_deg) | (np.asarray(fov_deg) >= FULL_CIRCLE_DEG)
    with np.errstate(invalid="ignore"):  # NaN azimuths compare False; `full` already says yes for them
        in_angle = off_axis_deg <= np.asarray(fov_deg) / 2
    return within_range & (full | in_angle | (dist2 == 0))


# Vertices on a drawn arc: 4° steps keep the chord within 0.1 m of the arc at 150 m (sagitta r·(1-cos 2°)).
ARC_STEP_DEG = 4.0


def sector_polygon(lat: float, lon: float, azimuth_deg: float, fov_deg: float, range_m: float,
                   arc_step_deg: float = ARC_STEP_DEG) -> shapely.Polygon:
    """The sector as a shapely polygon in lon/lat (x = lon, y = lat), for drawing; a disc when 360°.

    Arc vertices lie on the true arc, so the polygon lies inside the tested sector and differs from it only
    by the slivers between chords and arc (< 0.1 m deep at 150 m with the default step).
    """
    full = math.isnan(azimuth_deg) or fov_deg >= FULL_CIRCLE_DEG
    if full:
        bearings = np.arange(0.0, FULL_CIRCLE_DEG, arc_step_deg)
    else:
        steps = max(1, math.ceil(fov_deg / arc_step_deg))
        bearings = azimuth_deg - fov_deg / 2 + np.linspace(0.0, fov_deg, steps + 1)
    rad = np.radians(bearings)
    arc_lat, arc_lon = offsets_to_latlng(lat, lon, range_m * np.sin(rad), range_m * np.cos(rad))
    ring = np.column_stack([arc_lon, arc_lat])
    if not full:
        ring = np.vstack([[lon, lat], ring])
    return shapely.Polygon(ring)


def sector_polygons(sectors: CameraSectors, arc_step_deg: float = ARC_STEP_DEG) -> np.ndarray:
    """:func:`sector_polygon` of every sector, as an object array of shapely polygons."""
    return np.array([sector_polygon(*row, arc_step_deg=arc_step_deg) for row in zip(
        sectors.lat, sectors.lon, sectors.azimuth_deg, sectors.fov_deg, sectors.range_m)], dtype=object)


# --- points in sectors ------------------------------------------------------------------------------------------------

# Sectors per k-d tree query batch: bounds the memory of the candidate pairs (a few million at a time).
_SECTORS_PER_BATCH = 4096


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi = np.radians(lat)
    lam = np.radians(lon)
    cos_phi = np.cos(phi)
    return np.column_stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)])


def sector_point_pairs(sectors: CameraSectors, lat: np.ndarray, lon: np.ndarray,
                       tree: cKDTree | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All (sector, point) index pairs where the point lies in the sector.

    Only pairs within range are tested: a k-d tree over the points' unit vectors answers, for every sector,
    the points within its range (as a chord on a sphere of the ellipsoid's smallest radius of curvature, so
    never too few); the exact test then runs on those pairs in the sector's local metric frame.

    Parameters
    ----------
    sectors : CameraSectors
    lat, lon : numpy.ndarray
        Points, WGS84 degrees.
    tree : scipy.spatial.cKDTree, optional
        A tree already built over ``_unit_vectors(lat, lon)``, to reuse across calls on the same points.

    Returns
    -------
    sector_index, point_index : numpy.ndarray of int64
        Parallel arrays, ordered by sector.
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    if len(sectors) == 0 or len(lat) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if tree is None:
        tree = cKDTree(_unit_vectors(lat, lon))
    centres = _unit_vectors(sectors.lat, sectors.lon)
    # 1e-9 absorbs rounding in the chord; the exact test decides the boundary.
    chord = 2 * np.sin(sectors.range_m / (2 * _MIN_RADIUS_M)) * (1 + 1e-9)
    sector_parts, point_parts = [], []
    for start in range(0, len(sectors), _SECTORS_PER_BATCH):
        batch = slice(start, start + _SECTORS_PER_BATCH)
        found = tree.query_ball_point(centres[batch], r=chord[batch], workers=-1, return_sorted=False)
        counts = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        points = np.fromiter(chain.from_iterable(found), dtype=np.int64, count=int(counts.sum()))
        owners = np.repeat(np.arange(start, start + len(found), dtype=np.int64), counts)
        keep = _pairs_in_sector(sectors, owners, lat[points], lon[points])
        sector_parts.append(owners[keep])
        point_parts.append(points[keep])
    return np.concatenate(sector_parts), np.concatenate(point_parts)


def _pairs_in_sector(sectors: CameraSectors, owners: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    east_m, north_m = local_offsets_m(sectors.lat[owners], sectors.lon[owners], lat, lon)
    return in_sector(east_m, north_m, sectors.azimuth_deg[owners], sectors.fov_deg[owners],
                     sectors.range_m[owners])


def points_in_sectors(sectors: CameraSectors, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Per point, whether it lies in at least one sector (bool array as long as ``lat``)."""
    covered = np.zeros(len(lat), dtype=bool)
    covered[sector_point_pairs(sectors, lat, lon)[1]] = True
    return covered


def sector_point_matrix(sectors: CameraSectors, lat: np.ndarray, lon: np.ndarray) -> csr_array:
    """Sparse boolean matrix, sectors × points: entry (i, j) is True when point j lies in sector i."""
    rows, cols = sector_point_pairs(sectors, lat, lon)
    data = np.ones(len(rows), dtype=bool)
    return csr_array((data, (rows, cols)), shape=(len(sectors), len(lat)))


# --- coverage per H3 cell ---------------------------------------------------------------------------------------------

# Fine resolution of the coverage raster: res 12 cells (~300 m² on average, ~265 m² in central China) are a
# few metres across, so the centre test errs by well under a cell on a sector 40-150 m long, and 80,000
# cameras still fit in a minute. Finer (13) is 7× the work for a raster already finer than camera positions.
COVERAGE_RES = 12
# Cameras per work unit: the candidate pairs of one unit (≈ 300 per camera) stay within a few hundred MB.
_CAMERAS_PER_CHUNK = 8192
# Ring count safety: H3 hexagons are not regular (edge lengths vary by a few per cent within a disc), so the
# hexagon edge estimated from a cell's area is shrunk before counting the rings that reach a camera's range.
_EDGE_SHRINK = 0.9


def unique_cells(values: np.ndarray) -> np.ndarray:
    """Sorted unique values of an int64 array, by a sort.

    numpy 2.4's ``np.unique`` hashes integers: on 10⁶ distinct int64 it took 0.74 s against 0.01 s for a sort,
    and 37 s on 2·10⁷.
    """
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.ones(len(values), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def _u64(cells: np.ndarray) -> pa.Array:
    return pa.array(np.ascontiguousarray(cells, dtype=np.int64).view(np.uint64))


def cell_centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) degrees of the centres of int64 H3 cells, vectorised."""
    if len(cells) == 0:
        return np.empty(0), np.empty(0)
    batch = pa.record_batch(cells_to_coordinates(_u64(cells)))
    return batch.column("lat").to_numpy(), batch.column("lng").to_numpy()


def cell_areas_m2(cells: np.ndarray) -> np.ndarray:
    """Exact areas of int64 H3 cells in square metres."""
    if len(cells) == 0:
        return np.empty(0)
    return pa.array(h3ronpy.cells_area_m2(_u64(cells))).to_numpy(zero_copy_only=False)


def _grid_disks(origins: np.ndarray, rings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner position, cell) of every cell within ``rings[i]`` grid steps of ``origins[i]``."""
    owner_parts, cell_parts = [], []
    for k in np.unique(rings):
        members = np.flatnonzero(rings == k)
        disks = pa.array(h3ronpy.grid_disk(_u64(origins[members]), int(k), flatten=False))
        counts = np.diff(disks.offsets.to_numpy())
        cell_parts.append(disks.values.to_numpy(zero_copy_only=False).view(np.int64))
        owner_parts.append(np.repeat(members, counts))
    return np.concatenate(owner_parts), np.concatenate(cell_parts)


def _rings_to_reach(origins: np.ndarray, range_m: np.ndarray) -> np.ndarray:
    # Cells whose centres are within d of a cell's centre are within ceil(d / (1.5·edge)) rings (1.5·edge is
    # the inradius step of a hexagonal disc); the camera itself may sit up to one edge from its cell's centre.
    edge_m = np.sqrt(2 * cell_areas_m2(origins) / (3 * math.sqrt(3))) * _EDGE_SHRINK
    return np.ceil((range_m + edge_m) / (1.5 * edge_m)).astype(np.int64)


def _covered_fine_cells_chunk(sectors: CameraSectors, res: int) -> np.ndarray:
    origins = latlng_to_cells(sectors.lat, sectors.lon, res)
    owners, cells = _grid_disks(origins, _rings_to_reach(origins, sectors.range_m))
    candidate_cells, inverse = _unique_inverse(cells)
    centre_lat, centre_lon = cell_centres(candidate_cells)
    inside = _pairs_in_sector(sectors, owners, centre_lat[inverse], centre_lon[inverse])
    covered = np.zeros(len(candidate_cells), dtype=bool)
    covered[inverse[inside]] = True
    return candidate_cells[covered]


def fine_cells_by_sector(sectors: CameraSectors, res: int = COVERAGE_RES) -> tuple[np.ndarray, np.ndarray]:
    """(sector index, fine cell) for every fine cell whose centre lies in a sector: what each camera covers,
    so that the store can answer coverage for any subset of cameras (a kind, an owner, the online ones)."""
    if len(sectors) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    sector_parts, cell_parts = [], []
    for start in range(0, len(sectors), _CAMERAS_PER_CHUNK):
        chunk = sectors.take(np.arange(start, min(start + _CAMERAS_PER_CHUNK, len(sectors))))
        origins = latlng_to_cells(chunk.lat, chunk.lon, res)
        owners, cells = _grid_disks(origins, _rings_to_reach(origins, chunk.range_m))
        centre_lat, centre_lon = cell_centres(cells)
        inside = _pairs_in_sector(chunk, owners, centre_lat, centre_lon)
        sector_parts.append(owners[inside] + start)
        cell_parts.append(cells[inside])
    return np.concatenate(sector_parts), np.concatenate(cell_parts)


def fine_cell_capacity(map_cells: np.ndarray, fine_res: int = COVERAGE_RES) -> np.ndarray:
    """How many fine cells make a whole map cell (all of one resolution): the denominator of its coverage,
    by the same rule as :func:`coverage_by_cell` (an exact count of fine centres near the fine raster, the
    area ratio above it)."""
    map_cells = np.asarray(map_cells, dtype=np.int64)
    if len(map_cells) == 0:
        return np.empty(0)
    res = int((map_cells[0] >> 52) & 15)
    if fine_res - res <= EXACT_COUNT_MAX_LEVELS:
        return fine_cells_per_cell(map_cells, fine_res).astype(float)
    return cell_areas_m2(map_cells) / _fine_cell_area_m2(map_cells, fine_res)


def covered_fine_cells(sectors: CameraSectors, res: int = COVERAGE_RES) -> np.ndarray:
    """Sorted unique fine H3 cells (int64) whose centre lies in at least one sector.

    Every camera is tested against the cells of a grid disc around it that reaches its range, so the work
    grows with the cameras, not with the area. Cameras are processed in spatially sorted chunks on a thread
    pool (H3 and most numpy kernels release the GIL). The discs assume hexagons: within a disc's reach of one
    of H3's twelve pentagons (all at sea, none near China) a few cells could be missed.

    Parameters
    ----------
    sectors : CameraSectors
    res : int
        Fine resolution (11 or finer; default ``COVERAGE_RES``).

    Returns
    -------
    numpy.ndarray of int64
    """
    if len(sectors) == 0:
        return np.empty(0, dtype=np.int64)
    # Spatial order keeps a chunk's discs overlapping, so each centre is computed once per chunk, not per camera.
    order = np.argsort(latlng_to_cells(sectors.lat, sectors.lon, 5), kind="stable")
    chunks = [sectors.take(order[i:i + _CAMERAS_PER_CHUNK]) for i in range(0, len(order), _CAMERAS_PER_CHUNK)]
    workers = min(len(chunks), os.cpu_count() or 1)
    if workers == 1:
        parts = [_covered_fine_cells_chunk(chunk, res) for chunk in chunks]
    else:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda chunk: _covered_fine_cells_chunk(chunk, res), chunks))
    return unique_cells(np.concatenate(parts))


# Map cells at most this many levels above the fine raster get their fine cells counted exactly (see
# coverage_by_cell): 7**3 = 343 descendants each, times 7 with the neighbours, keeps the count cheap.
EXACT_COUNT_MAX_LEVELS = 3
# Map cells per exact-count work unit (each locates ~7 × 7**levels fine centres).
_MAP_CELLS_PER_COUNT_CHUNK = 2048


def _empty_coverage() -> pd.DataFrame:
    return pd.DataFrame({"res": pd.Series(dtype=np.int8), "cell": pd.Series(dtype=np.int64),
                         "coverage": pd.Series(dtype=np.float64)})


def coverage_by_cell(fine_cells: np.ndarray, resolutions: Sequence[int] = MAP_RESOLUTIONS,
                     fine_res: int = COVERAGE_RES,
                     only_cells: Mapping[int, np.ndarray] | None = None) -> pd.DataFrame:
    """Covered share of each map cell, from the covered fine cells.

    Each covered fine cell is assigned to the map cell that *contains its centre*, not to its H3 parent: H3
    cells do not nest exactly (a parent's descendants overhang its hexagon), and the store bins incidents by
    the cell containing each point, so a hexagon's coverage and its incidents are about the same ground.

    A map cell's coverage is its covered fine cells divided by all fine cells whose centre it contains. That
    count is computed exactly when the map cell is at most ``EXACT_COUNT_MAX_LEVELS`` levels above the fine
    raster (res 9 and 10 under res 12): there the number of fine centres in a hexagon scatters by up to ±10 %
    around area / fine-cell area (res 10 under 12; ±1.5 % for res 9), so an area ratio would show fully covered
    hexagons at 0.90. Coarser cells use the area ratio (count × area of the fine cell at the map cell's centre /
    map cell area, clipped to 1), whose scatter is ±0.5 % at res 8 and ±0.05 % at res 7 (measured on 2,000
    cells over China).

    Parameters
    ----------
    fine_cells : numpy.ndarray of int64
        Covered fine cells at ``fine_res`` (as from :func:`covered_fine_cells`), unique.
    resolutions : sequence of int
        Map resolutions to report; each must be coarser than ``fine_res``.
    fine_res : int
    only_cells : mapping of res to int64 array, optional
        Report only these map cells at each resolution (and no other resolution).

    Returns
    -------
    pandas.DataFrame
        ``res`` (int8), ``cell`` (int64), ``coverage`` (float64, 0 < coverage <= 1), sorted by res and cell.
        Cells without any coverage are absent.
    """
    if any(r >= fine_res for r in resolutions):
        raise ValueError(f"map resolutions {tuple(resolutions)} must be coarser than the fine res {fine_res}")
    fine_cells = np.asarray(fine_cells, dtype=np.int64)
    if len(fine_cells) == 0:
        return _empty_coverage()
    centre_lat, centre_lon = cell_centres(fine_cells)
    frames = []
    for res in sorted(resolutions):
        if only_cells is not None and res not in only_cells:
            continue
        containing = latlng_to_cells(centre_lat, centre_lon, res)
        cells, inverse = _unique_inverse(containing)
        counts = np.bincount(inverse, minlength=len(cells))
        if only_cells is not None:
            keep = np.isin(cells, np.asarray(only_cells[res], dtype=np.int64))
            cells, counts = cells[keep], counts[keep]
        if fine_res - res <= EXACT_COUNT_MAX_LEVELS:
            coverage = counts / fine_cells_per_cell(cells, fine_res)
        else:
            coverage = np.minimum(1.0, counts * _fine_cell_area_m2(cells, fine_res) / cell_areas_m2(cells))
        frames.append(pd.DataFrame({"res": np.full(len(cells), res, dtype=np.int8), "cell": cells,
                                    "coverage": coverage}))
    return pd.concat(frames, ignore_index=True) if frames else _empty_coverage()


def fine_cells_per_cell(map_cells: np.ndarray, fine_res: int = COVERAGE_RES) -> np.ndarray:
    """Exact number of ``fine_res`` cells whose centre lies in each map cell (all of one resolution).

    Those fine cells are all descendants of the map cell or of its six neighbours (a cell's descendants
    overhang it by less than a neighbour's width), so the descendants of the map cells and their neighbours are
    located once per chunk of cells; neighbouring map cells in a chunk share that work.
    """
    map_cells = np.asarray(map_cells, dtype=np.int64)
    counts = np.zeros(len(map_cells), dtype=np.int64)
    if len(map_cells) == 0:
        return counts
    res = int((map_cells[0] >> 52) & 15)  # bits 52-55 of an H3 index hold its resolution
    order = np.argsort(map_cells, kind="stable")  # H3 ids sort roughly by place: chunks stay compact
    chunks = [order[i:i + _MAP_CELLS_PER_COUNT_CHUNK] for i in range(0, len(order), _MAP_CELLS_PER_COUNT_CHUNK)]

    def count_chunk(positions: np.ndarray) -> None:
        cells = map_cells[positions]
        around = unique_cells(pa.array(h3ronpy.grid_disk(_u64(cells), 1, flatten=True))
                                .to_numpy(zero_copy_only=False).view(np.int64))
        fine = pa.array(h3ronpy.change_resolution(_u64(around), fine_res)).to_numpy(zero_copy_only=False)
        lat, lon = cell_centres(fine.view(np.int64))
        containing = latlng_to_cells(lat, lon, res)
        sorted_cells = np.sort(cells)
        at = np.minimum(np.searchsorted(sorted_cells, containing), len(cells) - 1)
        hits = sorted_cells[at] == containing
        per_sorted = np.bincount(at[hits], minlength=len(cells))
        counts[positions[np.argsort(cells, kind="stable")]] = per_sorted

    workers = min(len(chunks), os.cpu_count() or 1)
    if workers == 1:
        for chunk in chunks:
            count_chunk(chunk)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(count_chunk, chunks))
    return counts


def _fine_cell_area_m2(map_cells: np.ndarray, fine_res: int) -> np.ndarray:
    lat, lon = cell_centres(map_cells)
    return cell_areas_m2(latlng_to_cells(lat, lon, fine_res))


def camera_coverage(sectors: CameraSectors, resolutions: Sequence[int] = MAP_RESOLUTIONS,
                    fine_res: int = COVERAGE_RES) -> pd.DataFrame:
    """Coverage per map cell of a set of cameras: :func:`covered_fine_cells` then :func:`coverage_by_cell`."""
    return coverage_by_cell(covered_fine_cells(sectors, fine_res), resolutions, fine_res)


# --- incremental update -----------------------------------------------------------------------------------------------

# Margin on a map cell's circumradius estimated from its area (H3 hexagons are irregular by up to ~20 % in
# shape): a generous one only makes the incremental update recompute a few more cameras.
_CIRCUMRADIUS_MARGIN = 1.5


def cells_touched(sectors: CameraSectors, resolutions: Sequence[int] = MAP_RESOLUTIONS,
                  fine_res: int = COVERAGE_RES) -> dict[int, np.ndarray]:
    """Map cells at each resolution whose coverage these cameras contribute to (sorted int64 per res).

    Pass both the old and the new rows of changed cameras: a moved, removed or repaired camera changes the
    coverage of exactly the cells it covered before and the cells it covers now.
    """
    fine = covered_fine_cells(sectors, fine_res)
    lat, lon = cell_centres(fine)
    return {res: unique_cells(latlng_to_cells(lat, lon, res)) for res in resolutions}


def cameras_reaching(sectors: CameraSectors, cells_by_res: Mapping[int, np.ndarray],
                     fine_res: int = COVERAGE_RES) -> np.ndarray:
    """Boolean mask of sectors that can cover any part of the given map cells (a conservative superset)."""
    reaching = np.zeros(len(sectors), dtype=bool)
    if len(sectors) == 0:
        return reaching
    camera_xyz = _unit_vectors(sectors.lat, sectors.lon)
    fine_edge_m = float(np.sqrt(2 * cell_areas_m2(latlng_to_cells(sectors.lat[:1], sectors.lon[:1], fine_res))[0]
                                / (3 * math.sqrt(3))))
    for cells in cells_by_res.values():
        cells = np.asarray(cells, dtype=np.int64)
        if len(cells) == 0:
            continue
        lat, lon = cell_centres(cells)
        circumradius_m = np.sqrt(2 * cell_areas_m2(cells).max() / (3 * math.sqrt(3))) * _CIRCUMRADIUS_MARGIN
        reach_m = sectors.range_m + circumradius_m + fine_edge_m * _CIRCUMRADIUS_MARGIN
        chord = 2 * np.sin(reach_m / (2 * _MIN_RADIUS_M))
        counts = cKDTree(_unit_vectors(lat, lon)).query_ball_point(camera_xyz, r=chord, workers=-1,
                                                                     return_length=True)
        reaching |= np.asarray(counts) > 0
    return reaching


def update_coverage(coverage: pd.DataFrame, sectors: CameraSectors, changed: CameraSectors,
                    resolutions: Sequence[int] = MAP_RESOLUTIONS, fine_res: int = COVERAGE_RES) -> pd.DataFrame:
    """Coverage after a change of cameras, recomputing only the map cells the change can touch.

    Parameters
    ----------
    coverage : pandas.DataFrame
        The previous result of :func:`camera_coverage` (``res``, ``cell``, ``coverage``).
    sectors : CameraSectors
        All sectors that count *after* the change (e.g. the online cameras now).
    changed : CameraSectors
        The changed sectors, both as they were and as they are (added, removed, moved, status flipped).
    resolutions, fine_res
        As for :func:`camera_coverage`.

    Returns
    -------
    pandas.DataFrame
        The same as :func:`camera_coverage` of ``sectors`` would return.
    """
    touched = cells_touched(changed, resolutions, fine_res)
    nearby = sectors.take(cameras_reaching(sectors, touched, fine_res))
    fresh = coverage_by_cell(covered_fine_cells(nearby, fine_res), resolutions, fine_res, only_cells=touched)
    stale = np.zeros(len(coverage), dtype=bool)
    for res, cells in touched.items():
        at_res = coverage["res"].to_numpy() == res
        stale |= at_res & np.isin(coverage["cell"].to_numpy(), cells)
    kept = coverage[~stale]
    out = pd.concat([kept, fresh], ignore_index=True) if len(kept) else fresh
    return out.sort_values(["res", "cell"], kind="stable").reset_index(drop=True)
