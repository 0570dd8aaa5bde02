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
from layers.geobuf_encode import polygons_to_geobuf

# 6 decimals ≈ 0.1 m: exact enough for a hexagon edge, compact in geobuf's integer encoding.
COORDINATE_PRECISION = 6


def cell_centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lng) of each cell's centre."""
    if len(cells) == 0:
        return np.empty(0), np.empty(0)
    batch = cells_to_coordinates(pa.array(np.asarray(cells, dtype=np.int64).view(np.uint64)))
    table = pa.record_batch(batch)
    return table.column("lat").to_numpy(), table.column("lng").to_numpy()


def in_bbox(lat: np.ndarray, lng: np.ndarray, bbox: tuple[float, float, float, float] | None) -> np.ndarray:
    """Mask of the cells whose centre (lat, lng) lies in (west, south, east, north); all when bbox is None."""
    if bbox is None:
        return np.ones(len(lat), dtype=bool)
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


def hexagons_geobuf(cells: np.ndarray, properties: dict[str, np.ndarray]) -> bytes:
    """The same FeatureCollection as ``feature_collection`` (integer properties), as geobuf, built column-wise.

    An empty collection is written as present but empty (the reference encoder leaves it out, which
    decoders read as no object at all)."""
    if len(cells) == 0:
        return polygons_to_geobuf(np.empty((0, 2)), np.empty(0, dtype=np.int64), {"cell": []},
                                  dict.fromkeys(properties, np.empty(0, dtype=np.int64)), COORDINATE_PRECISION)
    coords, index = shapely.get_coordinates(shapely.get_exterior_ring(cell_polygons(cells)), return_index=True)
    last = np.r_[index[1:] != index[:-1], True]           # geobuf drops each ring's closing vertex
    counts = np.bincount(index[~last], minlength=len(cells))
    return polygons_to_geobuf(coords[~last], counts, {"cell": [cell_to_str(c) for c in cells]},
                              {name: np.asarray(v, dtype=np.int64) for name, v in properties.items()},
                              COORDINATE_PRECISION)
