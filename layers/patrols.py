"""巡逻防控 — patrols: presence per hexagon, tracks and playback, hot-but-unpatrolled cells, 1-3-5 reach and
response times.

Patrol units are vehicles and teams, never named persons. Presence comes from the store's hourly aggregate
(``patrol_presence``); tracks, positions and reach from the pings of a window (``analysis.tracks`` and
``analysis.reach``), over the road graph the rings use (built once per store snapshot).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import shapely

import queries
from analysis.hotspots import count_breaks
from analysis.reach import REACH_LIMIT_MINUTES, minutes_to_nearest_unit, reach_cells, reach_samples
from analysis.tracks import (
    hot_but_unpatrolled,
    hotspot_dosage,
    hotspot_visits,
    positions_at,
    tracks,
    trails_at,
)
from data_pipeline.h3cells import latlng_to_cells
from layers.base import Layer
from layers.hexes import cell_centres, hexagons_geobuf, in_bbox
from layers.rings import checkpoints_frame, road_graph
from layers.timeframe import as_of
from queries.incidents import IncidentFilter, cell_counts

PRESENCE_COLORS = ("#edf8fb", "#bfd3e6", "#9ebcda", "#8c96c6", "#8856a7", "#810f7c")
REACH_COLORS = ("#1a9850", "#fee08b", "#fc8d59")          # 1, 3, 5 minutes
PRESENCE = Layer("presence", "layer_presence", "legend_presence", "presence_cells", "minutes", "heatStyle",
                 PRESENCE_COLORS)
REACH = Layer("reach", "layer_reach", "legend_reach", "patrol_pings_window", "band", "heatStyle", REACH_COLORS)
UNIT_COLORS = {"car": "#1f78b4", "motorbike": "#33a02c", "foot": "#e31a1c", "other": "#6a3d9a"}
# Fixed responders: the checkpoint kinds that are manned posts (站, 岗) answer calls from where they are.
FIXED_KINDS = ("station", "post")
# Hot cells whose patrol dosage the page shows (at res 9, a block).
DOSAGE_CELLS = 15
PATROL_RES = 9
# Pings older than this before a moment no longer place a unit (as analysis.tracks.GAP_MINUTES).
WINDOW_BEFORE = timedelta(minutes=15)


def presence_values(con, res: int, flt: IncidentFilter) -> pd.DataFrame:
    """``cell``, ``minutes`` of patrol time in the filter's window, band and stations."""
    params = {k: v for k, v in flt.params().items() if k in ("from_ts", "to_ts", "hours", "stations")}
    rows = queries.fetch(con, "presence_cells", res=res, **params)
    return pd.DataFrame(rows, columns=["cell", "minutes"]).astype({"cell": np.int64, "minutes": float})


def presence_geobuf(con, res: int, flt: IncidentFilter, bbox=None) -> bytes:
    values = presence_values(con, res, flt)
    lat, lng = cell_centres(values["cell"].to_numpy())
    keep = in_bbox(lat, lng, bbox)
    return hexagons_geobuf(values["cell"].to_numpy()[keep],
                           {"minutes": np.round(values["minutes"].to_numpy()[keep]).astype(np.int64)})


def presence_breaks(con, res: int, flt: IncidentFilter) -> list[float]:
    return count_breaks(presence_values(con, res, flt)["minutes"].to_numpy())


# -- tracks and playback ------------------------------------------------------------------------------------
def pings(con, start: datetime, end: datetime) -> pd.DataFrame:
    rows = queries.fetch(con, "patrol_pings_window", from_ts=start, to_ts=end)
    return pd.DataFrame(rows, columns=["unit_id", "unit_kind", "ts", "lat", "lon", "cell"])


def playback_end(con) -> datetime:
    """The newest ping's time rounded up to 10 minutes (the playback's "now"; the data may be older than now)."""
    latest = queries.fetch(con, "latest_ping")[0][0]
    if latest is None:
        return as_of(con)
    step = timedelta(minutes=10)
    return datetime.min + ((latest - datetime.min) // step) * step + step


def tracks_geojson(con, start: datetime, end: datetime) -> dict:
    """Each unit's tracks in [start, end) (split at gaps and shift changes, simplified), coloured by unit kind."""
    def compute():
        frame = pings(con, start, end)
        if frame.empty:
            return _collection([])
        found = tracks(frame)
        return _collection([_feature(shapely.geometry.mapping(r.geometry), unit_id=r.unit_id, unit_kind=r.unit_kind,
                                     start=str(r.start), end=str(r.end), color=UNIT_COLORS.get(r.unit_kind, "#666"))
                            for r in found.itertuples() if r.geometry is not None])

    return queries.memo(con, ("tracks", start, end), compute)


def positions_geojson(con, at: datetime) -> dict:
    """Where every unit is at ``at`` and its trail of the last minutes (playback)."""
    frame = pings(con, at - WINDOW_BEFORE, at + timedelta(seconds=1))
    if frame.empty:
        return _collection([])
    features = [_feature({"type": "LineString", "coordinates": np.asarray(r.coordinates).tolist()}, what="trail",
                         unit_id=r.unit_id, color=UNIT_COLORS.get(r.unit_kind, "#666"))
                for r in trails_at(frame, at).itertuples() if len(r.coordinates) > 1]
    features += [_feature({"type": "Point", "coordinates": [r.lon, r.lat]}, what="unit", unit_id=r.unit_id,
                          unit_kind=r.unit_kind, color=UNIT_COLORS.get(r.unit_kind, "#666"))
                 for r in positions_at(frame, at).itertuples()]
    return _collection(features)


# -- hot but unpatrolled, dosage, by hour -------------------------------------------------------------------
def hot_unpatrolled_table(con, flt: IncidentFilter, res: int = PATROL_RES, top: int = 15) -> pd.DataFrame:
    """The cells whose patrol time falls most short of their share of incidents (``analysis.tracks``)."""
    counts = cell_counts(con, res, flt)
    if not counts:
        return pd.DataFrame(columns=["cell", "incidents", "patrol_minutes", "fair_minutes", "deficit_minutes"])
    cells, incidents = zip(*counts)
    return hot_but_unpatrolled(np.array(cells), np.array(incidents), presence_values(con, res, flt), top)


def dosage_table(con, flt: IncidentFilter, res: int = PATROL_RES, top: int = DOSAGE_CELLS) -> pd.DataFrame:
    """For the hottest cells: visits, minutes, mean visit length and interval against the research dosage."""
    def compute():
        hot = [c for c, _ in cell_counts(con, res, flt)[:top]]
        frame = pings(con, flt.from_ts, flt.to_ts)
        if not hot or frame.empty:
            return pd.DataFrame(columns=["cell", "visits", "unit_minutes", "mean_visit_minutes",
                                         "mean_interval_minutes", "meets_dosage"])
        frame = frame.assign(cell=_cells_at(frame, res))
        visits = hotspot_visits(frame, np.array(hot, dtype=np.int64))
        return hotspot_dosage(visits, np.array(hot, dtype=np.int64))

    return queries.memo(con, ("dosage", res, top, queries.freeze(tuple(flt.params().items()))), compute)


def _cells_at(frame: pd.DataFrame, res: int) -> np.ndarray:
    return latlng_to_cells(frame["lat"].to_numpy(float), frame["lon"].to_numpy(float), res)


def minutes_and_incidents_by_hour(con, flt: IncidentFilter) -> pd.DataFrame:
    """Patrol minutes and incidents per hour of the day (0-23) in the filter's window."""
    params = {k: v for k, v in flt.params().items() if k in ("from_ts", "to_ts", "stations")}
    minutes = dict(queries.fetch(con, "presence_hour_of_day", **params))
    incidents = np.zeros(24, dtype=np.int64)
    for _weekday, hour, n in queries.fetch(con, "hour_weekday", **flt.params()):
        incidents[hour] += n
    return pd.DataFrame({"hour": np.arange(24), "patrol_minutes": [minutes.get(h, 0.0) for h in range(24)],
                         "incidents": incidents})


# -- 1-3-5 reach --------------------------------------------------------------------------------------------
def fixed_responders(con) -> pd.DataFrame:
    """Manned checkpoints (站, 岗) in the caller's scope, responding by car."""
    checkpoints = checkpoints_frame(con)
    fixed = checkpoints[checkpoints["kind"].isin(FIXED_KINDS)]
    return pd.DataFrame({"lat": fixed["lat"].to_numpy(float), "lon": fixed["lon"].to_numpy(float),
                         "unit_kind": "car"})


def reach_table(con, at: datetime, res: int, include_unreached: bool = False) -> pd.DataFrame:
    """``cell``, ``minutes``, ``band`` (1/3/5; 0 beyond) from the units where they are at ``at`` and the posts."""
    def compute():
        graph = road_graph(con)
        samples = queries.memo(con, ("reach_samples",), lambda: reach_samples(graph))
        units = positions_at(pings(con, at - WINDOW_BEFORE, at + timedelta(seconds=1)), at)
        responders = pd.concat([units[["lat", "lon", "unit_kind"]], fixed_responders(con)], ignore_index=True)
        return reach_cells(graph, samples, responders, res, include_unreached=include_unreached)

    return queries.memo(con, ("reach", at, res, include_unreached), compute)


def reach_geobuf(con, at: datetime, res: int, bbox=None) -> bytes:
    table = reach_table(con, at, res)
    lat, lng = cell_centres(table["cell"].to_numpy(np.int64))
    keep = in_bbox(lat, lng, bbox)
    return hexagons_geobuf(table["cell"].to_numpy(np.int64)[keep], {"band": table["band"].to_numpy(np.int64)[keep]})


@dataclass(frozen=True)
class ReachKpi:
    incidents: int
    within_5min: int
    by_station: pd.DataFrame        # station_id, incidents, within_5min, share


def reach_kpi(con, flt: IncidentFilter) -> ReachKpi:
    """Share of the filter's incidents within 5 minutes of a unit (where it was then) or a manned post."""
    def compute():
        points = pd.DataFrame(queries.fetch(con, "incident_points", **flt.params()),
                              columns=["id", "occurred_at", "lat", "lon", "station_id"])
        if points.empty:
            return ReachKpi(0, 0, pd.DataFrame(columns=["station_id", "incidents", "within_5min", "share"]))
        frame = pings(con, flt.from_ts - WINDOW_BEFORE, flt.to_ts)
        minutes = minutes_to_nearest_unit(road_graph(con), points["lat"], points["lon"], points["occurred_at"],
                                          frame, fixed=fixed_responders(con))
        within = np.asarray(minutes) <= REACH_LIMIT_MINUTES
        by_station = points.assign(within=within).groupby("station_id", as_index=False).agg(
            incidents=("id", "size"), within_5min=("within", "sum"))
        by_station["share"] = by_station["within_5min"] / by_station["incidents"]
        return ReachKpi(len(points), int(within.sum()), by_station)

    return queries.memo(con, ("reach_kpi", queries.freeze(tuple(flt.params().items()))), compute)


def response_times(con, by: str, flt: IncidentFilter | None = None) -> pd.DataFrame:
    """Actual response per station or category: n, median and p90 minutes, share within 5 minutes, and the
    incidents left out (no arrival or no start time; arrival before the report)."""
    if by not in ("station", "category"):
        raise ValueError("by must be station or category")
    rows = queries.fetch(con, "response_times", by=by, **(flt or IncidentFilter()).params())
    return pd.DataFrame(rows, columns=["group", "n", "median_min", "p90_min", "share_within_5min",
                                       "left_out_missing", "left_out_negative"])


def _collection(features: list) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _feature(geometry: dict, **properties) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}

