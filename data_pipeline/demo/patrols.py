"""Patrol GPS tracks: units walk the road graph of their beat and ping every 30 s.

Each unit has a kind (car, motorbike, foot), a home station, a beat (a centre and a
radius on the road network) and duty hours.  While on duty it random-walks the beat,
preferring roads that suit its kind, rarely turning back, and now and then stopping at a
junction for a few minutes (点巡: presence at a point).  Positions are interpolated along
the real road geometry at the ping times and blurred with ~5 m of GPS noise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ._common import latlon_to_xy, substream, xy_to_lonlat
from .gazetteer import BAOGUO_TEMPLE, GOLDEN_SUMMIT, STATIONS, TOWNS, URBAN_CORE_CENTRE
from .roads import RoadNetwork

PING_INTERVAL_S = 30
HISTORY_DAYS = 14  # tracks cover the last 14 days up to the end of the anchor day
GPS_NOISE_M = 5.0  # horizontal accuracy of a vehicle GPS unit (per axis ≈ 3.5 m)
BORDER_NODE_M = 1.0  # a road end this close to the county line is an exit

# Patrol speed as a share of the road's default speed, capped, per unit kind (km/h).
SPEED_SHARE = {"car": 0.7, "motorbike": 0.6}
SPEED_CAP_KMH = {"car": 45.0, "motorbike": 35.0, "foot": 4.5}
FOOT_SPEED_KMH = 4.5
# Preference for each road class when choosing the next street, per unit kind.
CLASS_PREFERENCE = {
    "car": {"motorway": 0.0, "trunk": 2.0, "primary": 3.0, "secondary": 3.0, "tertiary": 1.5,
            "residential": 1.0, "track": 0.2},
    "motorbike": {"motorway": 0.0, "trunk": 1.0, "primary": 2.0, "secondary": 2.0, "tertiary": 2.0,
                  "residential": 2.0, "track": 0.6},
    "foot": {"motorway": 0.0, "trunk": 0.2, "primary": 1.5, "secondary": 1.5, "tertiary": 1.0,
             "residential": 2.0, "track": 1.0},
}
U_TURN_PENALTY = 0.05  # going straight back is rare unless it is a dead end
OUTSIDE_BEAT_PENALTY = 0.03  # leaving the beat radius is discouraged, not forbidden
# Chance of stopping at a junction and the median stop (s), per kind.
STOP_CHANCE = {"car": 0.06, "motorbike": 0.05, "foot": 0.08}
STOP_MEDIAN_S = {"car": 600.0, "motorbike": 420.0, "foot": 300.0}

DAY_SHIFT = (8, 20)  # 白班 08-20 h
FULL_DAY = (0, 24)  # day and night shift (夜班 20-08 h) of the same unit
NIGHT_MARKET_SHIFT = (18, 26)  # 18-02 h, into the next day
SUMMIT_SHIFT = (8, 18)  # the summit is closed to traffic at night


@dataclass(frozen=True)
class UnitSpec:
    """A patrol unit: kind, station, beat centre (lat, lon) and radius, duty hours."""

    unit_id: str
    kind: str
    station_code: str
    centre: tuple[float, float]
    radius_m: float
    hours: tuple[int, int]


def _hq(code: str) -> tuple[float, float]:
    return next(s.hq for s in STATIONS if s.code == code)


NIGHT_MARKETS = {"名山": (29.6035, 103.4870), "佛光": (29.5948, 103.4775)}


def unit_specs() -> list[UnitSpec]:
    """The 28 patrol units of the demo, spread over all ten stations."""
    specs: list[tuple[str, str, tuple[float, float], float, tuple[int, int]]] = []
    for code in ("01", "02", "03"):  # urban stations: two cars, a motorbike, a foot patrol
        specs += [("car", code, _hq(code), 2_500.0, FULL_DAY), ("car", code, URBAN_CORE_CENTRE, 3_500.0, FULL_DAY),
                  ("motorbike", code, _hq(code), 2_000.0, DAY_SHIFT), ("foot", code, _hq(code), 700.0, DAY_SHIFT)]
    specs += [("foot", "02", NIGHT_MARKETS["名山"], 500.0, NIGHT_MARKET_SHIFT),
              ("foot", "01", NIGHT_MARKETS["佛光"], 500.0, NIGHT_MARKET_SHIFT)]
    specs += [("car", "04", BAOGUO_TEMPLE, 5_000.0, FULL_DAY), ("car", "04", (29.555, 103.395), 9_000.0, FULL_DAY),
              ("foot", "04", BAOGUO_TEMPLE, 800.0, DAY_SHIFT), ("foot", "04", GOLDEN_SUMMIT, 600.0, SUMMIT_SHIFT),
              ("motorbike", "04", TOWNS["黄湾镇"], 3_000.0, DAY_SHIFT)]
    for code in ("05", "06", "07", "08", "09", "10"):  # rural stations: a car; plain ones a motorbike too
        specs.append(("car", code, _hq(code), 9_000.0, FULL_DAY))
        if code in ("05", "07", "08"):
            specs.append(("motorbike", code, _hq(code), 4_000.0, DAY_SHIFT))
    return [UnitSpec(f"EMS-巡{i:02d}", kind, code, centre, radius, hours)
            for i, (kind, code, centre, radius, hours) in enumerate(specs, start=1)]


@dataclass(frozen=True)
class Graph:
    """Adjacency of the road network as plain lists (fast for a Python random walk)."""

    neighbours: list[list[tuple[int, int, bool]]]  # node -> [(segment, other node, leaves from u)]
    coords: list[np.ndarray]  # segment -> vertex array from u to v
    cum_m: list[np.ndarray]  # segment -> distance of each vertex from u
    road_class: np.ndarray
    speed_kmh: np.ndarray
    node_xy: np.ndarray


def build_graph(net: RoadNetwork) -> Graph:
    """Turn the noded network into adjacency lists."""
    neighbours: list[list[tuple[int, int, bool]]] = [[] for _ in range(len(net.node_xy))]
    for s, (a, b) in enumerate(zip(net.u.tolist(), net.v.tolist())):
        neighbours[a].append((s, b, True))
        if a != b:
            neighbours[b].append((s, a, False))
    coords = [np.asarray(g.coords) for g in net.geometry]
    cum = [np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(c, axis=0).T))]) for c in coords]
    return Graph(neighbours, coords, cum, net.road_class, net.speed_kmh, net.node_xy)


def unit_speed_ms(kind: str, graph: Graph) -> np.ndarray:
    """Travel speed (m/s) of a unit kind on every segment."""
    if kind == "foot":
        return np.full(len(graph.coords), FOOT_SPEED_KMH / 3.6)
    return np.minimum(graph.speed_kmh * SPEED_SHARE[kind], SPEED_CAP_KMH[kind]) / 3.6


def duty_periods(spec: UnitSpec, first_day: dt.date, days: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """On-duty intervals inside the window, merged when shifts follow each other."""
    window_start = dt.datetime.combine(first_day, dt.time())
    window_end = window_start + dt.timedelta(days=days)
    periods: list[list[dt.datetime]] = []
    for d in range(-1, days):
        start = window_start + dt.timedelta(days=d, hours=spec.hours[0])
        end = window_start + dt.timedelta(days=d, hours=spec.hours[1])
        start, end = max(start, window_start), min(end, window_end)
        if end <= start:
            continue
        if periods and periods[-1][1] >= start:
            periods[-1][1] = max(periods[-1][1], end)
        else:
            periods.append([start, end])
    return [(a, b) for a, b in periods]


@dataclass(frozen=True)
class Beat:
    """What a unit's walk needs, precomputed: start node and per-edge preferences."""

    start_node: int
    segment_weight: list[float]  # class preference per segment
    node_weight: list[float]  # 1 inside the beat radius, the penalty outside
    speed_ms: np.ndarray


def beat_of(graph: Graph, spec: UnitSpec, border_node: np.ndarray) -> Beat:
    """Precompute the beat of a unit on the graph; patrols never drive out over the county line."""
    centre = np.array(latlon_to_xy(*spec.centre))
    dist = np.hypot(*(graph.node_xy - centre).T)
    preference = CLASS_PREFERENCE[spec.kind]
    node_weight = np.where(dist <= spec.radius_m, 1.0, OUTSIDE_BEAT_PENALTY) * ~border_node
    return Beat(int(np.argmin(dist)), [preference[c] for c in graph.road_class], node_weight.tolist(),
                unit_speed_ms(spec.kind, graph))


def walk(graph: Graph, beat: Beat, kind: str, duration_s: float,
         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random walk on the beat for ``duration_s``; returns vertex times (s) and metric xy."""
    node = beat.start_node
    times, points = [np.zeros(1)], [graph.node_xy[node][None, :]]
    t, previous = 0.0, -1
    stop_chance, stop_median = STOP_CHANCE[kind], STOP_MEDIAN_S[kind]
    while t < duration_s:
        seg, other, forward = _choose_edge(graph.neighbours[node], previous, beat, rng.random())
        cum = graph.cum_m[seg]
        xy = graph.coords[seg] if forward else graph.coords[seg][::-1]
        step = (cum if forward else cum[-1] - cum[::-1]) / beat.speed_ms[seg]
        times.append(t + step[1:])
        points.append(xy[1:])
        t += step[-1]
        node, previous = other, seg
        if rng.random() < stop_chance:
            t += stop_median * float(np.exp(0.6 * rng.standard_normal()))
            times.append(np.array([t]))
            points.append(xy[-1:])
    return np.concatenate(times), np.concatenate(points)


def _choose_edge(options, previous: int, beat: Beat, u: float) -> tuple[int, int, bool]:
    """Pick the next edge: class preference, rarely a U-turn, reluctant to leave the beat."""
    weights = []
    for seg, other, _ in options:
        w = beat.segment_weight[seg] * beat.node_weight[other]
        if seg == previous and len(options) > 1:
            w *= U_TURN_PENALTY
        weights.append(w)
    total = sum(weights)
    if total <= 0:
        weights, total = [1.0] * len(options), float(len(options))
    target, acc = u * total, 0.0
    for option, w in zip(options, weights):
        acc += w
        if target < acc:
            return option
    return options[-1]


def pings_for_period(graph: Graph, spec: UnitSpec, beat: Beat, start: dt.datetime,
                     end: dt.datetime, rng: np.random.Generator) -> pd.DataFrame:
    """30-second pings of one unit over one duty period."""
    duration = (end - start).total_seconds()
    times, xy = walk(graph, beat, spec.kind, duration, rng)
    times, keep = np.unique(times, return_index=True)  # a stop may repeat a time stamp
    xy = xy[keep]
    ping_s = np.arange(0.0, duration, PING_INTERVAL_S)
    x = np.interp(ping_s, times, xy[:, 0]) + rng.normal(0.0, GPS_NOISE_M / np.sqrt(2), len(ping_s))
    y = np.interp(ping_s, times, xy[:, 1]) + rng.normal(0.0, GPS_NOISE_M / np.sqrt(2), len(ping_s))
    lon, lat = xy_to_lonlat(x, y)
    ts = np.datetime64(start, "s") + ping_s.astype("timedelta64[s]")
    return pd.DataFrame({"unit_id": spec.unit_id, "unit_kind": spec.kind, "ts": ts, "lat": lat, "lon": lon})


def build_patrols(net: RoadNetwork, outline: BaseGeometry, seed: int, anchor: dt.date) -> pd.DataFrame:
    """GPS pings of all units over the :data:`HISTORY_DAYS` days ending with the anchor day.

    Parameters
    ----------
    net : RoadNetwork
        The road graph the units drive and walk on.
    outline : shapely geometry
        County outline in metres; road ends on it are exits the patrols do not take.
    seed : int
        Scenario seed.
    anchor : datetime.date
        Last day covered.

    Returns
    -------
    pandas.DataFrame
        ``unit_id, unit_kind, ts (naive local time), lat, lon`` sorted by unit and time.
    """
    graph = build_graph(net)
    border_node = shapely.dwithin(shapely.points(graph.node_xy), outline.boundary, BORDER_NODE_M)
    first_day = anchor - dt.timedelta(days=HISTORY_DAYS - 1)
    frames = []
    for k, spec in enumerate(unit_specs()):
        rng = substream(seed, "patrols", k)
        beat = beat_of(graph, spec, border_node)
        for start, end in duty_periods(spec, first_day, HISTORY_DAYS):
            frames.append(pings_for_period(graph, spec, beat, start, end, rng))
    return pd.concat(frames, ignore_index=True)
