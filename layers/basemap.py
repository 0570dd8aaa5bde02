"""The offline basemap, drawn from our own store: jurisdiction outlines, roads, key places.

No tile server is needed (police networks have no internet); a bureau may add its intranet tiles
through ``GIS_TILE_URL`` (see app.py), off by default.
"""
from __future__ import annotations

import numpy as np
import shapely

import queries

OUTLINE_LEVELS = ("station", "community", "grid")
# Outlines simplified for drawing: ~5 m keeps a county's boundary crisp at street zoom.
OUTLINE_TOLERANCE_DEG = 0.00005
OUTLINE_STYLE = {
    "station": {"color": "#1f4e79", "weight": 2.5, "fill": False},
    "community": {"color": "#5b7fa6", "weight": 1.2, "fill": False, "dashArray": "4 3"},
    "grid": {"color": "#8aa5c4", "weight": 0.8, "fill": False, "dashArray": "2 3"},
}
ROAD_WEIGHTS = {"motorway": 3.5, "trunk": 3.0, "primary": 2.5, "secondary": 2.0, "tertiary": 1.5}
# Key-place badges: one character and a colour per kind (text, not emoji: a CJK font is all it needs).
PLACE_ICONS = {"school": ("校", "S", "#2b7bba"), "hospital": ("医", "H", "#d7301f"),
               "night_market": ("夜", "N", "#8c2d04"), "hotel": ("宿", "L", "#6a51a3"),
               "transport_hub": ("站", "T", "#238b45"), "government": ("政", "G", "#b8860b"),
               "mall": ("商", "M", "#c51b7d"), "other": ("点", "•", "#525252")}


def _features(rows, geometry_index: int, props) -> dict:
    geoms = shapely.from_wkb(np.array([r[geometry_index] for r in rows], dtype=object))
    geoms = shapely.simplify(geoms, OUTLINE_TOLERANCE_DEG, preserve_topology=True)
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": props(r)}
                for r, g in zip(rows, geoms)]
    return {"type": "FeatureCollection", "features": features}


def outlines_geojson(con, level: str) -> dict:
    rows = queries.run(con, "boundaries_geojson", level=level).fetchall()
    return _features(rows, 3, lambda r: {"id": r[0], "name": r[1], "parent_id": r[2], "level": level})


def labels_geojson(con, level: str) -> dict:
    """One point per jurisdiction (a point surely inside it) carrying its name: the map's labels."""
    rows = queries.run(con, "boundaries_geojson", level=level).fetchall()
    points = shapely.point_on_surface(shapely.from_wkb(np.array([r[3] for r in rows], dtype=object)))
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(p),
                 "properties": {"id": r[0], "name": r[1], "level": level}} for r, p in zip(rows, points)]
    return {"type": "FeatureCollection", "features": features}


def roads_geojson(con) -> dict:
    rows = queries.run(con, "roads_all").fetchall()
    return _features(rows, 3, lambda r: {"id": r[0], "name": r[1], "road_class": r[2],
                                         "weight": ROAD_WEIGHTS.get(r[2], 1.0)})


def places_geojson(con) -> dict:
    rows = queries.run(con, "places_all").fetchall()
    features = []
    for pid, name, kind, lat, lon in rows:
        icon_zh, icon_en, color = PLACE_ICONS.get(kind, PLACE_ICONS["other"])
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": {"id": pid, "name": name, "kind": kind, "icon_zh": icon_zh,
                                        "icon_en": icon_en, "color": color}})
    return {"type": "FeatureCollection", "features": features}


def store_extent(con) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of the bureau's jurisdictions, to frame the map."""
    row = queries.run(con, "store_extent").fetchone()
    return None if row[0] is None else tuple(row)
