"""查控圈 — checkpoint rings: ring lines, checkpoints by kind and duty, entries and leaks, interception.

The store gives rings (jurisdictions of level ``ring``, else derived from their checkpoints), checkpoints
(the caller's scope), roads and incidents; ``analysis.rings`` finds where roads cross each ring, which
entries a staffed checkpoint covers in a duty mode, and how fast a car gets from an incident to each entry.
The road graph and the placed entries are built once per store snapshot and reused by every request.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

import queries
from analysis.rings import (
    CLOSING_MINUTES,
    COVER_DISTANCE_M,
    cover_entries,
    escape_route,
    find_entries,
    intercept,
    place_entries,
    rank_leaks,
    ring_polygons,
    ring_summary,
    staffed,
)
from analysis.roadgraph import RoadGraph, build_road_graph
from data_pipeline.kinds import DUTY_LEVELS
from queries.incidents import IncidentFilter

CHECKPOINT_GLYPHS = {"station": ("站", "S"), "post": ("岗", "P"), "point": ("点", "·"), "vehicle": ("卡", "V")}
DUTY_COLORS = {"routine": "#1f78b4", "emergency": "#ff7f00", "wartime": "#e31a1c"}
# Rings are drawn from this far: the analysis needs them as polygons, the map as lines, a few metres apart is
# invisible at county zoom.
LINE_DECIMALS = 6


@dataclass(frozen=True)
class RingAnalysis:
    """Entries with coverage in one duty mode, the leaks ranked, and the KPI per ring."""

    mode: str
    distance_m: float
    entries: pd.DataFrame        # ring, road, road_class, lat, lon, covered, checkpoint, checkpoint_distance_m
    leaks: pd.DataFrame          # the uncovered entries, ranked (rank 1 = worst)
    summary: pd.DataFrame        # ring, entries, covered, leaks


def checkpoints_frame(con) -> pd.DataFrame:
    rows = queries.fetch(con, "checkpoints_all")
    return pd.DataFrame(rows, columns=["id", "name", "lat", "lon", "ring", "kind", "duty", "station_id"])


def rings(con) -> dict:
    """Ring name → ``analysis.rings.Ring`` (from its polygon, or derived from its checkpoints)."""
    def compute():
        polygons = {name: geometry for _id, name, geometry in queries.fetch(con, "rings_all")}
        return ring_polygons(polygons, checkpoints_frame(con))

    return queries.memo(con, ("rings",), compute)


def roads_frame(con) -> pd.DataFrame:
    rows = queries.fetch(con, "roads_all")
    return pd.DataFrame(rows, columns=["id", "name", "road_class", "geometry"])


def road_graph(con) -> RoadGraph:
    """The drivable road graph of the store (speeds by class where a road has none), built once per snapshot."""
    def compute():
        roads = pd.DataFrame(queries.fetch(con, "roads_speeds"), columns=["road_class", "speed_kmh", "geometry"])
        return build_road_graph(roads["geometry"].tolist(), roads["speed_kmh"].to_numpy(float),
                                road_class=roads["road_class"].tolist())

    return queries.memo(con, ("road_graph",), compute)


def ring_entries(con) -> pd.DataFrame:
    """Every ring's entries (where a road crosses its line), in the caller's view of the rings."""
    def compute():
        roads = roads_frame(con)
        return find_entries(rings(con), roads["geometry"].tolist(), roads["road_class"].tolist())

    return queries.memo(con, ("ring_entries",), compute)


def ring_analysis(con, mode: str = "routine", distance_m: float = COVER_DISTANCE_M, ring: str | None = None,
                  flt: IncidentFilter | None = None) -> RingAnalysis:
    """Entries covered in duty ``mode`` by a staffed checkpoint within ``distance_m`` (of any ring), leaks ranked
    by road class and the incidents of ``flt`` (default: all) within 500 m."""
    if mode not in DUTY_LEVELS:
        raise ValueError(f"duty must be one of {', '.join(DUTY_LEVELS)}")

    def compute():
        entries = ring_entries(con)
        if ring is not None:
            entries = entries[entries["ring"] == ring].reset_index(drop=True)
        covered = cover_entries(entries, checkpoints_frame(con), mode, distance_m=distance_m)
        incidents = pd.DataFrame(queries.fetch(con, "incident_positions", **(flt or IncidentFilter()).params()),
                                 columns=["lat", "lon", "incidents"])
        leaks = rank_leaks(covered, incidents)
        names = [ring] if ring is not None else list(rings(con))
        return RingAnalysis(mode, distance_m, covered, leaks, ring_summary(covered, names))

    period = queries.freeze(tuple((flt or IncidentFilter()).params().items()))
    return queries.memo(con, ("ring_analysis", mode, float(distance_m), ring, period), compute)


def rings_geojson(con, mode: str, lang: str = "zh") -> dict:
    """Ring lines, checkpoints (glyph by kind, colour by duty, staffed or not in ``mode``) and entries
    (covered or leak) as one FeatureCollection; ``what`` tells them apart."""
    analysis = ring_analysis(con, mode)
    features = [_feature(shapely.geometry.mapping(_rounded(r.line)), what="ring", name=name,
                         derived=r.from_checkpoints) for name, r in rings(con).items()]
    checkpoints = checkpoints_frame(con)
    for c, on_duty in zip(checkpoints.itertuples(), _staffed(checkpoints, mode)):
        glyph_zh, glyph_en = CHECKPOINT_GLYPHS.get(c.kind, ("点", "·"))
        features.append(_feature({"type": "Point", "coordinates": [c.lon, c.lat]}, what="checkpoint", id=c.id,
                                 name=c.name, ring=c.ring, kind=c.kind, duty=c.duty, staffed=bool(on_duty),
                                 glyph=glyph_en if lang == "en" else glyph_zh, color=DUTY_COLORS.get(c.duty, "#666")))
    for e in analysis.entries.itertuples():
        features.append(_feature({"type": "Point", "coordinates": [e.lon, e.lat]}, what="entry", ring=e.ring,
                                 road_class=e.road_class, covered=bool(e.covered)))
    return {"type": "FeatureCollection", "features": features}


def _staffed(checkpoints: pd.DataFrame, mode: str) -> np.ndarray:
    return staffed(checkpoints["duty"], mode) if len(checkpoints) else np.zeros(0, dtype=bool)


@dataclass(frozen=True)
class InterceptionView:
    reachable: int                # entries a car reaches before they can be closed (its first crossings)
    entries: int
    leaks_on_routes: int
    nearest_minutes: float
    geojson: dict                 # escape routes and the entries, for the map


def interception(con, lat: float, lon: float, mode: str = "routine", closing: dict | None = None) -> InterceptionView:
    """From an incident at (lat, lon) in duty ``mode``: which entries a car can cross before they close, the
    fastest escape routes (to those entries) and the leaks on them."""
    graph = road_graph(con)
    placed = queries.memo(con, ("placed_entries", mode), lambda: place_entries(graph, ring_analysis(con, mode).entries))
    result = intercept(graph, placed, lat, lon, mode, closing_minutes=closing or CLOSING_MINUTES)
    entries = result.entries
    escapes = np.flatnonzero(entries["escape"].to_numpy())
    features = []
    for position in escapes:
        line = escape_route(graph, result, int(position))
        if line is not None:
            row = entries.iloc[position]
            features.append(_feature(shapely.geometry.mapping(_rounded(line)), what="route",
                                     minutes=round(float(row["minutes"]), 1), covered=bool(row["covered"])))
    for row in entries.itertuples():
        features.append(_feature({"type": "Point", "coordinates": [row.lon, row.lat]}, what="entry",
                                 escape=bool(row.escape), covered=bool(row.covered),
                                 minutes=None if not np.isfinite(row.minutes) else round(float(row.minutes), 1),
                                 closes_after_minutes=None if not np.isfinite(row.closes_after_minutes)
                                 else float(row.closes_after_minutes)))
    features.append(_feature({"type": "Point", "coordinates": [lon, lat]}, what="origin"))
    finite = entries["minutes"][np.isfinite(entries["minutes"])]
    return InterceptionView(int(entries["escape"].sum()), len(entries), int(entries["leak_on_escape_route"].sum()),
                            float(finite.min()) if len(finite) else float("nan"),
                            {"type": "FeatureCollection", "features": features})


def _feature(geometry: dict, **properties) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _rounded(geom):
    return shapely.transform(geom, lambda xy: np.round(xy, LINE_DECIMALS))
