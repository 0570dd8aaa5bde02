"""H3 on arrays: points → cells (signed int64), parents by bit arithmetic, hex strings.

h3-py 4.x has no vectorised ``latlng_to_cell``; h3ronpy's call is vectorised and releases the GIL, so
large arrays are split across threads.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
from h3ronpy.vector import cells_to_wkb_polygons, coordinates_to_cells

FINEST_RES = 15
# The resolutions the incident_cells aggregates hold (spelled out in queries/aggregate_incidents.sql).
MAP_RESOLUTIONS = (7, 8, 9, 10)
# Below this many points a thread pool costs more than it saves.
_PARALLEL_MIN_POINTS = 200_000


def latlng_to_cells(lat: np.ndarray, lon: np.ndarray, res: int = FINEST_RES) -> np.ndarray:
    """H3 cells (int64) of valid WGS84 points; the caller passes only finite, in-range coordinates."""
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    if len(lat) == 0:
        return np.empty(0, dtype=np.int64)
    workers = min(os.cpu_count() or 1, max(1, len(lat) // _PARALLEL_MIN_POINTS))
    if workers == 1:
        return _cells(lat, lon, res)
    bounds = np.linspace(0, len(lat), workers + 1, dtype=np.int64)
    slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(lambda s: _cells(lat[s], lon[s], res), slices))
    return np.concatenate(parts)


def latlng_to_cells_at(lat: np.ndarray, lon: np.ndarray, resolutions=MAP_RESOLUTIONS) -> dict[int, np.ndarray]:
    """The exact cell of each point at each resolution (H3 cells do not nest: parents are not enough)."""
    return {res: latlng_to_cells(lat, lon, res) for res in resolutions}


def _cells(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    return pa.array(coordinates_to_cells(lat, lon, res)).to_numpy(zero_copy_only=False).view(np.int64)


def cell_to_parent(cells: np.ndarray, res: int) -> np.ndarray:
    """Parent cells at ``res`` (same bit arithmetic as the SQL macro ``h3_parent``).

    Bits 52-55 of an H3 index hold its resolution; each digit finer than ``res`` is set to 7.
    """
    cells = np.asarray(cells, dtype=np.int64)
    clear_res = np.int64(~(15 << 52))
    return (cells & clear_res) | np.int64(res << 52) | np.int64((1 << ((15 - res) * 3)) - 1)


def cell_to_str(cell: int) -> str:
    """Hex string of an int64 cell, as h3-py writes it."""
    return format(int(cell) & 0xFFFFFFFFFFFFFFFF, "x")


def str_to_cell(text: str) -> int:
    """Signed int64 of an H3 hex string."""
    value = int(text, 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def cell_polygons(cells: np.ndarray) -> np.ndarray:
    """Shapely hexagons (x = lng, y = lat) of int64 cells, vectorised."""
    import shapely

    if len(cells) == 0:
        return np.empty(0, dtype=object)
    wkb = pa.array(cells_to_wkb_polygons(pa.array(np.asarray(cells, dtype=np.int64).view(np.uint64))))
    return shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
