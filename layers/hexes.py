"""H3 cells → map geometry: hexagon polygons, viewport filtering, GeoJSON and geobuf payloads.

Coordinate order is stated once: H3 works in (lat, lng); GeoJSON wants [lng, lat]. h3ronpy's WKB
polygons are already (x=lng, y=lat), so no swap happens anywhere else.
"""
from __future__ import annotations

import geobuf
import numpy as np
import pyarrow as pa
import shapely
from h3ronpy.vector import cells_to_coordinates

from data_pipeline.h3cells import cell_polygons, cell_to_str

# 6 decimals ≈ 0.1 m: exact enough for a hexagon edge, compact in geobuf's integer encoding.
COORDINATE_PRECISION = 6


def cell_centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lng) of each cell's centre."""
    if len(cells) == 0:
        return np.empty(0), np.empty(0)
    batch = cells_to_coordinates(pa.array(np.asarray(cells, dtype=np.int64).view(np.uint64)))
    table = pa.record_batch(batch)
    return table.column("lat").to_numpy(), table.column("lng").to_numpy()


def in_bbox(cells: np.ndarray, bbox: tuple[float, float, float, float] | None) -> np.ndarray:
    """Mask of cells whose centre lies in (west, south, east, north); all when bbox is None."""
    if bbox is None or len(cells) == 0:
        return np.ones(len(cells), dtype=bool)
    lat, lng = cell_centres(cells)
    west, south, east, north = bbox
    return (lng >= west) & (lng <= east) & (lat >= south) & (lat <= north)


def hexagon_rings(cells: np.ndarray) -> list[list[list[float]]]:
    """Closed exterior ring of each cell as [[lng, lat], …] (GeoJSON order)."""
    if len(cells) == 0:
        return []
    polygons = cell_polygons(cells)
    coords, index = shapely.get_coordinates(shapely.get_exterior_ring(polygons), return_index=True)
    coords = np.round(coords, COORDINATE_PRECISION)
    bounds = np.searchsorted(index, np.arange(len(cells) + 1))
    return [coords[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:])]


def feature_collection(cells: np.ndarray, properties: dict[str, np.ndarray]) -> dict:
    """GeoJSON FeatureCollection of hexagons with a ``cell`` hex string and the given numeric properties."""
    rings = hexagon_rings(cells)
    columns = {name: np.asarray(values).tolist() for name, values in properties.items()}
    features = []
    for i, cell in enumerate(cells):
        props = {"cell": cell_to_str(cell)} | {name: values[i] for name, values in columns.items()}
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [rings[i]]},
                         "properties": props})
    return {"type": "FeatureCollection", "features": features}


def to_geobuf(collection: dict) -> bytes:
    return geobuf.encode(collection, COORDINATE_PRECISION)
