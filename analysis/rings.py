"""Checkpoint rings (查控圈 / 防控圈): ring lines, entries, leaks under a duty mode, and interception.

A ring is a polygon (a jurisdiction of level ``ring``) or, when none is given, the polygon through its
checkpoints in order of their angle around their centroid (``ring_polygon_from_checkpoints``). The ring
line is the polygon's outer boundary; holes are ignored, a ring is one cordon.

Entries (``ring_entries``): every point where a road passes from the inside of the ring to the outside
(or back). A road crossing twice has two entries. A road that only touches the line (meets it and
turns back to the side it came from, or ends on it with nothing continuing on the other side) has
none; a stretch that runs exactly along the line is passed over, so a road that follows the line and
then leaves on the other side crosses where it leaves. Roads that meet on the line (one way ending on
it where the next begins, within ``SNAP_TOLERANCE_M``, as junctions are merged in the road graph)
are joined: an entry for the road that leaves on the outside. Geometry is planar in lon/lat, the
space both the roads and the ring are drawn in; a crossing is a topological fact, not a distance.

A ring line drawn along a road (an administrative boundary that follows a street) makes that road
wander across it, and each wiggle is an entry: draw rings across roads, not along them.

Duty modes (常态/应急/战时): a checkpoint whose duty level is d is staffed in mode m when
rank(d) ≤ rank(m), with routine < emergency < wartime. An entry is covered in a mode when a staffed
checkpoint of any ring (whichever ring it is labelled with) is within ``COVER_DISTANCE_M`` of the
crossing point; vehicle checkpoints (卡口) count like any other. An uncovered entry is a leak (漏洞).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from analysis.roadgraph import (
    SNAP_TOLERANCE_M,
    LocalFrame,
    RoadGraph,
    TravelTimes,
    as_geometries,
    locate_on_roads,
    route_line,
    seconds_at_edge_points,
    travel_times_from_points,
)
from data_pipeline.kinds import DUTY_LEVELS, ROAD_CLASSES

COVER_DISTANCE_M = 200.0
# Incidents within this distance of a leak raise it in the ranking (same class): a leak near where
# things happen is where an offender is likeliest to leave.
INCIDENT_RADIUS_M = 500.0
# Minutes from the alarm until a staffed checkpoint is closed (拦截/封控), by the duty mode in force.
# Assumptions, to be set per bureau: in wartime duty (战时) the node is fully staffed and on alert, so
# closing is relaying the alarm and pulling the barrier: 5 min, the "professional rescue in 5 minutes"
# tier of 1-3-5. Emergency duty (应急) keeps reduced crews on heightened alert: 8 min. Routine duty
# (常态) crews check traffic but must be reinforced from the station before they can block: 15 min,
# the outer "15-minute" circle of common 5/10/15-minute closing-circle (封控圈) targets.
CLOSING_MINUTES = {"routine": 15.0, "emergency": 8.0, "wartime": 5.0}
# An entry with no staffed checkpoint is never closed unless a unit is sent: by default it stays open.
LEAK_CLOSING_MINUTES = np.inf

# Boundary contacts closer than this along a road (degrees) are one contact: the same crossing found
# in two neighbouring chunks of the ring line. ~0.1 mm, far below any real geometry.
_SAME_CONTACT_DEG = 1e-9
# Ring lines are cut into pieces of this many segments so that each road is intersected only with
# the few pieces near it, not with a county boundary of thousands of vertices.
_CHUNK_SEGMENTS = 32
_OUTSIDE, _ALONG, _INSIDE = -1, 0, 1


def duty_rank(duty) -> np.ndarray:
    """Rank of each duty level (routine 0, emergency 1, wartime 2); raises on an unknown level."""
    values = pd.Series(duty, dtype=object)
    ranks = values.map({d: i for i, d in enumerate(DUTY_LEVELS)})
    if ranks.isna().any():
        bad = sorted(set(values[ranks.isna()].astype(str)))
        raise ValueError(f"unknown duty level(s) {bad}; expected one of {', '.join(DUTY_LEVELS)}")
    return ranks.to_numpy(dtype=np.int64)


def staffed(duty, mode: str) -> np.ndarray:
    """Whether each checkpoint is staffed in duty mode ``mode``: its lowest duty level ranks at or below it."""
    return duty_rank(duty) <= duty_rank([mode])[0]


@dataclass(frozen=True)
class Ring:
    """A ring's polygon and how it was obtained."""

    name: str
    polygon: shapely.Polygon | shapely.MultiPolygon
    from_checkpoints: bool

    @property
    def line(self) -> shapely.LineString | shapely.MultiLineString:
        return ring_line(self.polygon)


def ring_polygon_from_checkpoints(lat, lon) -> shapely.Polygon:
    """The ring through a ring's checkpoints, in order of their angle around their centroid.

    Angles are taken in metres (``LocalFrame``), ties by distance from the centroid. Unlike a convex
    hull, the line passes through every checkpoint, including those set back in a concave stretch, so
    each checkpoint sits on its own ring. Needs at least three distinct, non-collinear positions.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    keep = np.isfinite(lat) & np.isfinite(lon)
    points = np.unique(np.column_stack([lon[keep], lat[keep]]), axis=0)
    if len(points) < 3:
        raise ValueError(f"a ring needs at least 3 distinct checkpoint positions, got {len(points)}")
    xy = LocalFrame.around(points[:, 1], points[:, 0]).to_xy_m(points[:, 1], points[:, 0])
    offset = xy - xy.mean(axis=0)
    order = np.lexsort((np.hypot(*offset.T), np.arctan2(offset[:, 1], offset[:, 0])))
    polygon = shapely.Polygon(points[order])
    if not polygon.is_valid:
        polygon = _largest_polygon(shapely.make_valid(polygon))
    if polygon is None or polygon.area == 0:
        raise ValueError("the checkpoints are collinear: they do not enclose anything")
    return polygon


def _largest_polygon(geom):
    polygons = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
    return max(polygons, key=lambda g: g.area) if polygons else None


def ring_polygons(polygons: Mapping[str, object], checkpoints: pd.DataFrame) -> dict[str, Ring]:
    """Every ring with a polygon or at least three located checkpoints, by name.

    Parameters
    ----------
    polygons : mapping of ring name to shapely (Multi)Polygon or WKB
        Ring boundaries as ingested (jurisdictions of level ``ring``); a ring with one wins over its
        checkpoints.
    checkpoints : DataFrame
        ``ring``, ``lat``, ``lon``: rings without a polygon are derived from theirs.

    Returns
    -------
    dict of str to Ring
        Sorted by name; rings that can be neither read nor derived are left out.
    """
    rings: dict[str, Ring] = {}
    for name, geom in polygons.items():
        outer = _outer_polygon(geom)
        if outer is not None:
            rings[name] = Ring(name, outer, from_checkpoints=False)
    located = checkpoints[checkpoints["lat"].notna() & checkpoints["lon"].notna() & checkpoints["ring"].notna()]
    for name, group in located.groupby("ring", sort=True):
        if name in rings:
            continue
        try:
            rings[name] = Ring(name, ring_polygon_from_checkpoints(group["lat"], group["lon"]), from_checkpoints=True)
        except ValueError:
            continue
    return dict(sorted(rings.items()))


def _outer_polygon(geom):
    """The polygon(s) bounded by the outer rings of ``geom`` (holes dropped); None if there is none."""
    if geom is None:
        return None
    if isinstance(geom, bytes | bytearray | memoryview):
        geom = shapely.from_wkb(bytes(geom))
    parts = [shapely.Polygon(p.exterior) for p in shapely.get_parts(geom)
             if p.geom_type == "Polygon" and not p.is_empty]
    if not parts:
        return None
    union = shapely.union_all(shapely.make_valid(np.array(parts, dtype=object)))
    return union if union.geom_type in ("Polygon", "MultiPolygon") else _largest_polygon(union)


def ring_line(ring) -> shapely.LineString | shapely.MultiLineString:
    """The ring line: the outer boundary of the ring polygon (a MultiLineString for a multi-part ring)."""
    outer = _outer_polygon(ring)
    if outer is None:
        return shapely.LineString()
    return shapely.boundary(outer)


def ring_entries(ring, roads) -> pd.DataFrame:
    """Points where roads cross a ring line (see the module notes for what counts as crossing).

    Parameters
    ----------
    ring : shapely Polygon or MultiPolygon, or WKB
        The ring polygon (lon/lat); its outer boundary is the line.
    roads : sequence of shapely LineString / MultiLineString, or WKB
        Road centrelines (lon/lat).

    Returns
    -------
    DataFrame
        ``road`` (index into ``roads``), ``lat``, ``lon``: one row per entry, by road and along it.
    """
    empty = pd.DataFrame({"road": np.empty(0, dtype=np.int64), "lat": np.empty(0), "lon": np.empty(0)})
    polygon = _outer_polygon(ring)
    if polygon is None:
        return empty
    geoms = as_geometries(roads)
    # MultiLineStrings are walked part by part; results point back at the road.
    lines, line_road = shapely.get_parts(geoms, return_index=True)
    shapely.prepare(polygon)
    chunks = _boundary_chunks(shapely.boundary(polygon))
    chunk_tree = shapely.STRtree(chunks)
    events = _boundary_events(lines, chunks, chunk_tree)
    if events is None:
        return empty
    ev_line, ev_s, ev_xy = events
    ev_contact = _on_line(shapely.points(ev_xy), chunk_tree)
    piece, side = _piece_sides(lines, polygon, chunk_tree, ev_line, ev_s)
    keys = _crossing_keys(piece, side, ev_line) | _junction_keys(piece, side, ev_line, ev_xy, ev_contact)
    if not keys:
        return empty
    keys_arr = np.array(sorted(keys), dtype=np.int64)
    event = keys_arr // 2 + keys_arr % 2   # key = 2 * piece start event + (1 if at the piece's end)
    event = np.unique(event)
    return pd.DataFrame({"road": line_road[ev_line[event]].astype(np.int64),
                         "lat": ev_xy[event, 1], "lon": ev_xy[event, 0]})


def _boundary_chunks(boundary) -> np.ndarray:
    """The ring line cut into short linestrings of at most ``_CHUNK_SEGMENTS`` segments each."""
    chunks = []
    for line in shapely.get_parts(boundary):
        coords = shapely.get_coordinates(line)
        n_segments = len(coords) - 1
        for start in range(0, n_segments, _CHUNK_SEGMENTS):
            chunks.append(shapely.LineString(coords[start:min(start + _CHUNK_SEGMENTS, n_segments) + 1]))
    return np.array(chunks, dtype=object)


def _on_line(points: np.ndarray, chunk_tree: shapely.STRtree) -> np.ndarray:
    """Whether each point lies on the ring line (within ``_SAME_CONTACT_DEG``), through the chunks' index."""
    hit, _ = chunk_tree.query(points, predicate="dwithin", distance=_SAME_CONTACT_DEG)
    on = np.zeros(len(points), dtype=bool)
    on[hit] = True
    return on


def _boundary_events(lines: np.ndarray, chunks: np.ndarray, chunk_tree: shapely.STRtree):
    """Along each road line touching the ring: its contacts with the line and its two ends, merged and sorted.

    Returns (line index, distance along the line in degrees, (n, 2) lon/lat) per event, or None.
    """
    if len(chunks) == 0 or len(lines) == 0:
        return None
    line_idx, chunk_idx = chunk_tree.query(lines, predicate="intersects")
    if len(line_idx) == 0:
        return None
    hits = shapely.intersection(lines[line_idx], chunks[chunk_idx])
    parts, part_hit = shapely.get_parts(hits, return_index=True)
    kind = shapely.get_type_id(parts)
    is_point = kind == 0
    is_line = kind == 1   # a stretch along the ring line: both of its ends are contacts
    contact_points = np.concatenate([parts[is_point], shapely.get_point(parts[is_line], 0),
                                     shapely.get_point(parts[is_line], -1)])
    contact_line = line_idx[np.concatenate([part_hit[is_point], part_hit[is_line], part_hit[is_line]])]
    touched = np.unique(line_idx)
    line = np.concatenate([contact_line, touched, touched])
    s = np.concatenate([shapely.line_locate_point(lines[contact_line], contact_points),
                        np.zeros(len(touched)), shapely.length(lines[touched])])
    order = np.lexsort((s, line))
    line, s = line[order], s[order]
    new = np.ones(len(s), dtype=bool)
    new[1:] = (line[1:] != line[:-1]) | (s[1:] - s[:-1] > _SAME_CONTACT_DEG)
    line, s = line[new], s[new]
    xy = shapely.get_coordinates(shapely.line_interpolate_point(lines[line], s))
    return line, s, xy


def _piece_sides(lines, polygon, chunk_tree, ev_line, ev_s):
    """Pieces of road between consecutive events (indexed by their first event) and their side of the ring."""
    piece = np.flatnonzero(ev_line[1:] == ev_line[:-1])
    # Between two consecutive contacts a piece lies wholly on one side, so its midpoint tells which.
    mid = shapely.line_interpolate_point(lines[ev_line[piece]], (ev_s[piece] + ev_s[piece + 1]) / 2)
    along = _on_line(mid, chunk_tree)
    mid_xy = shapely.get_coordinates(mid)
    inside = shapely.contains_xy(polygon, mid_xy[:, 0], mid_xy[:, 1])
    side = np.where(along, _ALONG, np.where(inside, _INSIDE, _OUTSIDE))
    return piece, side


def _crossing_keys(piece, side, ev_line) -> set[int]:
    """Crossings within one road: consecutive pieces (stretches along the line skipped) on opposite sides.

    Key of an entry: 2 × (first event of the outside piece) + (1 if the entry is at that piece's end).
    """
    off_line = np.flatnonzero(side != _ALONG)
    a, b = off_line[:-1], off_line[1:]
    same_road = ev_line[piece[a]] == ev_line[piece[b]]
    a, b = a[same_road], b[same_road]
    crossing = side[a] != side[b]
    a, b = a[crossing], b[crossing]
    leaving = side[b] == _OUTSIDE
    keys = np.where(leaving, 2 * piece[b], 2 * piece[a] + 1)
    return set(keys.tolist())


def _junction_keys(piece, side, ev_line, ev_xy, ev_contact) -> set[int]:
    """Crossings between roads: an outside piece starting or ending on the line where another road is inside."""
    piece_at_start = {int(p): i for i, p in enumerate(piece)}      # event → piece starting there
    piece_at_end = {int(p) + 1: i for i, p in enumerate(piece)}    # event → piece ending there
    inside_events, outside_ends = [], []
    for event in np.flatnonzero(ev_contact):
        for at, flag in ((piece_at_start.get(int(event)), 0), (piece_at_end.get(int(event)), 1)):
            if at is None:
                continue
            if side[at] == _INSIDE:
                inside_events.append(event)
            elif side[at] == _OUTSIDE:
                outside_ends.append((event, 2 * piece[at] + flag))
    if not inside_events or not outside_ends:
        return set()
    inside_events = np.unique(inside_events)
    frame = LocalFrame.around(ev_xy[:, 1], ev_xy[:, 0])
    tree = cKDTree(frame.to_xy_m(ev_xy[inside_events, 1], ev_xy[inside_events, 0]))
    out_event = np.array([e for e, _ in outside_ends])
    out_key = np.array([k for _, k in outside_ends])
    # Two nearest inside contacts: at most one of them is this very event (a road touching from inside).
    distance, nearest = tree.query(frame.to_xy_m(ev_xy[out_event, 1], ev_xy[out_event, 0]), k=2,
                                   distance_upper_bound=SNAP_TOLERANCE_M)
    found = nearest < len(inside_events)
    other = found & (inside_events[np.minimum(nearest, len(inside_events) - 1)] != out_event[:, None])
    return set(out_key[other.any(axis=1)].tolist())


def find_entries(rings: Mapping[str, object], roads, road_class: Sequence[str] | None = None) -> pd.DataFrame:
    """Entries of every ring: ``ring``, ``road``, ``road_class``, ``lat``, ``lon``.

    ``rings`` maps names to polygons or ``Ring`` objects (``ring_polygons``); ``road_class`` gives each
    road's class ("other" when not given).
    """
    geoms = as_geometries(roads)
    classes = np.asarray(road_class if road_class is not None else ["other"] * len(geoms), dtype=object)
    frames = []
    for name, ring in rings.items():
        found = ring_entries(ring.polygon if isinstance(ring, Ring) else ring, geoms)
        frames.append(found.assign(ring=name, road_class=classes[found["road"].to_numpy()]))
    columns = ["ring", "road", "road_class", "lat", "lon"]
    if not frames:
        return pd.DataFrame({c: [] for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def cover_entries(entries: pd.DataFrame, checkpoints: pd.DataFrame, mode: str, *,
                  distance_m: float = COVER_DISTANCE_M) -> pd.DataFrame:
    """Which entries a checkpoint staffed in ``mode`` covers.

    Parameters
    ----------
    entries : DataFrame
        ``lat``, ``lon`` (from ``find_entries``).
    checkpoints : DataFrame
        ``lat``, ``lon``, ``duty`` and optionally ``id``; every ring's checkpoints (any ring's staffed
        checkpoint covers an entry), all kinds including vehicle checkpoints.
    mode : {"routine", "emergency", "wartime"}
        Duty mode in force.
    distance_m : float
        An entry is covered when a staffed checkpoint is within this distance of the crossing point.

    Returns
    -------
    DataFrame
        ``entries`` plus ``covered`` (bool), ``checkpoint`` (``id`` — or row position — of the nearest
        staffed checkpoint, at any distance; None when none is staffed) and ``checkpoint_distance_m``.
    """
    located = checkpoints[checkpoints["lat"].notna() & checkpoints["lon"].notna()]
    on_duty = located[staffed(located["duty"], mode)] if len(located) else located
    ids = on_duty["id"].to_numpy(dtype=object) if "id" in on_duty else on_duty.index.to_numpy(dtype=object)
    distance = np.full(len(entries), np.inf)
    nearest: np.ndarray = np.full(len(entries), None, dtype=object)
    if len(on_duty) and len(entries):
        frame = LocalFrame.around(np.concatenate([entries["lat"], on_duty["lat"]]),
                                  np.concatenate([entries["lon"], on_duty["lon"]]))
        tree = cKDTree(frame.to_xy_m(on_duty["lat"], on_duty["lon"]))
        distance, index = tree.query(frame.to_xy_m(entries["lat"], entries["lon"]))
        nearest = ids[index]
    return entries.assign(covered=distance <= distance_m, checkpoint=nearest, checkpoint_distance_m=distance)


def rank_leaks(covered: pd.DataFrame, incidents: pd.DataFrame | None = None, *,
               radius_m: float = INCIDENT_RADIUS_M) -> pd.DataFrame:
    """The leaks (uncovered entries), most serious first: by road class (motorway first), then incidents nearby.

    ``incidents`` has ``lat``, ``lon``; ``incidents_nearby`` counts those within ``radius_m``. Ties are
    broken by ring, then position, so the order is stable. Adds ``incidents_nearby`` and ``rank`` (1 = worst).
    """
    leaks = covered[~covered["covered"].to_numpy(dtype=bool)].copy()
    class_rank = leaks["road_class"].map({c: i for i, c in enumerate(ROAD_CLASSES)}).fillna(len(ROAD_CLASSES))
    nearby = np.zeros(len(leaks), dtype=np.int64)
    if incidents is not None and len(leaks):
        points = incidents[incidents["lat"].notna() & incidents["lon"].notna()]
        if len(points):
            frame = LocalFrame.around(leaks["lat"], leaks["lon"])
            tree = cKDTree(frame.to_xy_m(points["lat"], points["lon"]))
            nearby = tree.query_ball_point(frame.to_xy_m(leaks["lat"], leaks["lon"]), radius_m, return_length=True)
    leaks["incidents_nearby"] = np.asarray(nearby, dtype=np.int64)
    order = np.lexsort((leaks["lon"].to_numpy(), leaks["lat"].to_numpy(), leaks["ring"].astype(str).to_numpy(),
                        -leaks["incidents_nearby"].to_numpy(), class_rank.to_numpy()))
    leaks = leaks.iloc[order].reset_index(drop=True)
    leaks["rank"] = np.arange(1, len(leaks) + 1)
    return leaks


def ring_summary(covered: pd.DataFrame, rings: Sequence[str] | None = None) -> pd.DataFrame:
    """Per ring: ``entries``, ``covered``, ``leaks`` (the KPI "covered k / n"); ``rings`` adds rings with none."""
    counts = covered.groupby("ring", sort=True)["covered"].agg(entries="size", covered="sum")
    if rings is not None:
        counts = counts.reindex(sorted(set(rings) | set(counts.index)), fill_value=0)
    counts = counts.astype(np.int64)
    counts["leaks"] = counts["entries"] - counts["covered"]
    return counts.rename_axis("ring").reset_index()


# --- Interception ------------------------------------------------------------------------------------


def place_entries(graph: RoadGraph, entries: pd.DataFrame) -> pd.DataFrame:
    """Entries placed on the graph: adds ``edge`` and ``fraction`` (along ``edge_u`` → ``edge_v``).

    Run once per graph and ring set; ``road`` must index the roads the graph was built from. Where two
    roads share a segment, the entry is placed on the one routing uses, so escape routes see it.
    """
    snap = locate_on_roads(graph, entries["lat"].to_numpy(dtype=float), entries["lon"].to_numpy(dtype=float),
                           entries["road"].to_numpy(dtype=np.int64))
    edge, fraction = snap.edge.copy(), snap.fraction.copy()
    placed = edge >= 0
    if placed.any():
        u, v = graph.edge_u[edge[placed]], graph.edge_v[edge[placed]]
        routed = graph.edges_between(u, v)
        flipped = graph.edge_u[routed] != u
        fraction[placed] = np.where(flipped, 1 - fraction[placed], fraction[placed])
        edge[placed] = routed
    return entries.assign(edge=edge, fraction=fraction)


@dataclass(frozen=True, eq=False)
class Interception:
    """The result of ``intercept``: per-entry figures and the drive-time tree (for ``escape_route``)."""

    entries: pd.DataFrame
    times: TravelTimes


def intercept(graph: RoadGraph, entries: pd.DataFrame, origin_lat: float, origin_lon: float, mode: str, *,
              closing_minutes: Mapping[str, float] = CLOSING_MINUTES,
              leak_closing_minutes: float = LEAK_CLOSING_MINUTES,
              limit_minutes: float = np.inf) -> Interception:
    """Drive times from an incident to each ring entry, and which entries a car gets through before they close.

    Parameters
    ----------
    graph : RoadGraph
        Built once from the roads the entries refer to.
    entries : DataFrame
        From ``place_entries(graph, cover_entries(...))``: ``edge``, ``fraction``, ``covered``; pass the
        entries of the ring(s) of interest (crossings are looked for among these only).
    origin_lat, origin_lon : float
        Where the car starts (the incident). It starts on the nearest road with no access time, the
        earliest it could be away.
    mode : {"routine", "emergency", "wartime"}
        Duty mode in force at the incident's time; picks the closing time of covered entries.
    closing_minutes : mapping of duty mode to minutes
        Time from the alarm until a staffed entry is closed (``CLOSING_MINUTES``).
    leak_closing_minutes : float
        Time until an uncovered entry is closed (never, by default).
    limit_minutes : float
        Search horizon; entries farther are unreached.

    Returns
    -------
    Interception
        ``entries`` plus: ``minutes`` (drive time, inf if unreached), ``closes_after_minutes``,
        ``open_on_arrival`` (a car arrives before it closes), ``first_crossing`` (row position of the
        entry where the fastest route to this entry first crosses the ring; itself when it crosses
        nowhere earlier; -1 unreached), ``routes_through`` (how many entries' fastest routes first
        cross here), ``escape`` (the car can leave here: its own first crossing and open on arrival),
        ``leak_on_escape_route`` (a leak that fastest routes cross the ring through).
    """
    if mode not in closing_minutes:
        raise ValueError(f"no closing time for duty mode {mode!r}")
    times = travel_times_from_points(graph, [origin_lat], [origin_lon], limit_seconds=limit_minutes * 60,
                                     mode="drive", access_speed_kmh=np.inf)
    edge = entries["edge"].to_numpy(dtype=np.int64)
    fraction = entries["fraction"].to_numpy(dtype=float)
    covered = entries["covered"].to_numpy(dtype=bool)
    seconds, _ = seconds_at_edge_points(graph, times, edge, fraction)
    minutes = seconds / 60
    closes = np.where(covered, float(closing_minutes[mode]), float(leak_closing_minutes))
    first = _first_crossings(graph, times, edge, fraction, seconds)
    routes_through = np.bincount(first[first >= 0], minlength=len(entries))
    open_on_arrival = minutes < closes
    escape = open_on_arrival & (first == np.arange(len(entries)))
    result = entries.assign(minutes=minutes, closes_after_minutes=closes, open_on_arrival=open_on_arrival,
                            first_crossing=first, routes_through=routes_through, escape=escape,
                            leak_on_escape_route=~covered & (routes_through > 0))
    return Interception(result, times)


def _first_crossings(graph: RoadGraph, times: TravelTimes, edge, fraction, seconds) -> np.ndarray:
    """For each entry, the entry at which the fastest route to it first crosses the ring (-1 if unreached)."""
    n_entries = len(edge)
    first = np.full(n_entries, -1, dtype=np.int64)
    reached = np.isfinite(seconds) & (edge >= 0)
    if not reached.any():
        return first
    # Entries per edge in order along it: the first met going u → v, and the first met going v → u.
    order = np.lexsort((fraction, edge))
    order = order[edge[order] >= 0]
    edges_with, start = np.unique(edge[order], return_index=True)
    stop = np.append(start[1:], len(order))
    from_u, from_v = order[start], order[stop - 1]

    def entry_on(edges, coming_from_u):
        pos = np.minimum(np.searchsorted(edges_with, edges), len(edges_with) - 1)
        has = edges_with[pos] == edges
        return np.where(has, np.where(coming_from_u, from_u[pos], from_v[pos]), -1)

    n = graph.n_nodes
    predecessor = times.predecessor
    own = np.full(n + 1, -1, dtype=np.int64)   # entry on the tree edge into each node (index n: sentinel)
    child = np.flatnonzero(predecessor >= 0)
    tree_edge = graph.edges_between(predecessor[child], child, times.mode)
    own[child] = np.where(tree_edge >= 0, entry_on(tree_edge, graph.edge_u[np.maximum(tree_edge, 0)]
                                                   == predecessor[child]), -1)
    if times.origin is not None:
        _mark_origin_edge(graph, times, own, edge, fraction)
    topmost = _topmost_marked(own, np.append(np.where(predecessor >= 0, predecessor, n), n))
    # Each reached entry: its approach node, then the first entry on its own edge from that side.
    e = np.where(reached, edge, 0)
    edge_s = graph.edge_seconds(times.mode)[e]
    u, v = graph.edge_u[e], graph.edge_v[e]
    via_u = times.seconds[u] + fraction * edge_s
    via_v = times.seconds[v] + (1 - fraction) * edge_s
    approach_u = via_u <= via_v
    approach = np.where(approach_u, u, v)
    on_own_edge = entry_on(e, approach_u)
    first = np.where(topmost[approach] >= 0, topmost[approach], on_own_edge)
    if times.origin is not None:
        _straight_from_origin(times, first, reached, edge, fraction, seconds, np.minimum(via_u, via_v))
    return np.where(reached, first, -1)


def _mark_origin_edge(graph, times, own, edge, fraction) -> None:
    """Entries between the origin and the end node a route leaves its edge by are crossed first."""
    origin_edge, origin_fraction = int(times.origin.edge[0]), float(times.origin.fraction[0])
    if origin_edge < 0:
        return
    on_edge = np.flatnonzero(edge == origin_edge)
    toward_u = on_edge[fraction[on_edge] < origin_fraction]
    toward_v = on_edge[fraction[on_edge] > origin_fraction]
    u, v = graph.edge_u[origin_edge], graph.edge_v[origin_edge]
    if len(toward_u) and times.predecessor[u] < 0:
        own[u] = toward_u[np.argmax(fraction[toward_u])]
    if len(toward_v) and times.predecessor[v] < 0:
        own[v] = toward_v[np.argmin(fraction[toward_v])]


def _straight_from_origin(times, first, reached, edge, fraction, seconds, via_nodes) -> None:
    """Entries on the origin's own edge reached straight along it: the first entry between origin and it."""
    origin_edge, origin_fraction = int(times.origin.edge[0]), float(times.origin.fraction[0])
    on_edge = np.flatnonzero(reached & (edge == origin_edge) & (seconds < via_nodes))
    for i in on_edge:
        between = np.flatnonzero((edge == origin_edge)
                                 & ((fraction - origin_fraction) * (fraction[i] - origin_fraction) > 0)
                                 & (np.abs(fraction - origin_fraction) <= abs(fraction[i] - origin_fraction)))
        first[i] = between[np.argmin(np.abs(fraction[between] - origin_fraction))] if len(between) else i


def _topmost_marked(own: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """For each node, the mark nearest the root among it and its ancestors (-1 if none), by pointer jumping.

    Invariant: ``best[x]`` is the topmost mark on the path from x up to, not including, ``jump[x]``;
    each pass doubles that span, so log₂(depth) passes cover every path. ``parent`` has a sentinel last.
    """
    best, jump = own.copy(), parent.copy()
    sentinel = len(parent) - 1
    while not np.all(jump == sentinel):
        above = best[jump]
        best = np.where(above >= 0, above, best)
        jump = jump[jump]
    return best


def escape_route(graph: RoadGraph, interception: Interception, position: int) -> shapely.LineString | None:
    """The fastest route (lon/lat) from the origin to the entry at row ``position``; None if unreached."""
    row = interception.entries.iloc[position]
    if int(row["edge"]) < 0:
        return None
    return route_line(graph, interception.times, int(row["edge"]), float(row["fraction"]))
