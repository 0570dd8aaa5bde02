"""1-3-5 minute reach (快速响应圈): how soon the nearest patrol unit, post or station can be at a place.

Travel runs over a ``RoadGraph``: cars and motorbikes at the road's speed, foot patrols at
``WALKING_SPEED_KMH`` on every road. A responder (unit position, fixed post or station) is placed on
its nearest road edge; if it is off the road, the gap is walked first (``WALKING_SPEED_KMH``), and an
incident off the road is walked to from the road the same way.

Reach per H3 cell is the minimum over sample points along the roads in that cell: every node plus
points every ``SAMPLE_SPACING_M`` along each edge, so a cell crossed by a long edge without a vertex in it
is still reached. A cell with no road in it, or one a road only clips for less than the spacing, has no
value: reach is modelled on the network only.

Frames used here (column names as in the store):
``PING_COLUMNS`` for patrol pings, ``RESPONDER_COLUMNS`` for responders at one moment.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.roadgraph import (
    MODES,
    WALKING_SPEED_KMH,
    EdgeSnap,
    RoadGraph,
    TravelTimes,
    seconds_at_edge_points,
    seconds_from_each_point,
    snap_to_edges,
    travel_times_from_points,
)
from data_pipeline.h3cells import MAP_RESOLUTIONS, latlng_to_cells

# Upper bounds of the bands: self-rescue within 1 minute, mutual rescue within 3, professional rescue
# within 5 (1分钟自救、3分钟互救、5分钟专业救).
REACH_BANDS_MINUTES = (1, 3, 5)
REACH_LIMIT_MINUTES = 5.0
# Sample spacing along edges: well below the edge of a res-10 hexagon (~66 m), so every cell a road
# runs through for 25 m or more gets a sample even where the road has no vertex inside it.
SAMPLE_SPACING_M = 25.0
# A unit's position at a moment is its latest ping at or before it, if at most this old; older and the
# unit is treated as not on patrol (off shift, or its tracker silent), not as standing still.
POSITION_MAX_AGE_S = 600.0
# Unit kinds that travel on foot; every other kind (car, motorbike, other, post, station) drives.
FOOT_KINDS = frozenset({"foot"})
# The incident KPI searches from each incident to these shares of the limit in turn, stopping at the
# first that finds a unit (see ``minutes_to_nearest_unit``): 1, 2.5, then 5 minutes.
_DEEPENING_SHARES = (0.2, 0.5, 1.0)
PING_COLUMNS = ("unit_id", "unit_kind", "ts", "lat", "lon")
RESPONDER_COLUMNS = ("lat", "lon", "unit_kind")


def travel_modes(unit_kind) -> np.ndarray:
    """Travel mode per unit kind: "walk" for foot units, "drive" for every other kind (or none)."""
    kinds = pd.Series(unit_kind, dtype=object)
    return np.where(kinds.isin(FOOT_KINDS).to_numpy(), "walk", "drive")


def minutes_band(minutes, bands=REACH_BANDS_MINUTES) -> np.ndarray:
    """The band each time falls in: the smallest bound ≥ minutes (1, 3 or 5), 0 beyond the last."""
    minutes = np.asarray(minutes, dtype=float)
    bounds = np.asarray(bands)
    pos = np.searchsorted(bounds.astype(float), minutes, side="left")
    inside = np.isfinite(minutes) & (pos < len(bounds))
    return np.where(inside, bounds[np.minimum(pos, len(bounds) - 1)], 0)


@dataclass(frozen=True, eq=False)
class _CellIndex:
    """Samples grouped by their cell at one resolution: order, the distinct cells, where each group starts."""

    order: np.ndarray
    cells: np.ndarray
    starts: np.ndarray


@dataclass(frozen=True, eq=False)
class ReachSamples:
    """Sample points along a graph's roads and their H3 cells; build once per graph with ``reach_samples``.

    Nodes come first (``node`` ≥ 0, ``edge`` -1), then the points inside edges (``edge`` ≥ 0 at ``fraction``).
    """

    node: np.ndarray
    edge: np.ndarray
    fraction: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    by_res: Mapping[int, _CellIndex]

    @property
    def resolutions(self) -> tuple[int, ...]:
        return tuple(self.by_res)


def reach_samples(graph: RoadGraph, *, spacing_m: float = SAMPLE_SPACING_M,
                  resolutions=MAP_RESOLUTIONS) -> ReachSamples:
    """Sample points along every edge (nodes, plus a point every ``spacing_m``) with their cells at each resolution."""
    pieces = np.maximum(np.ceil(graph.edge_length_m / spacing_m).astype(np.int64), 1)
    inner = pieces - 1
    edge = np.repeat(np.arange(graph.n_edges), inner)
    step = np.arange(inner.sum()) - np.repeat(np.cumsum(inner) - inner, inner) + 1
    fraction = step / np.repeat(pieces, inner)
    u, v = graph.edge_u[edge], graph.edge_v[edge]
    lat = np.concatenate([graph.node_lat, graph.node_lat[u] + fraction * (graph.node_lat[v] - graph.node_lat[u])])
    lon = np.concatenate([graph.node_lon, graph.node_lon[u] + fraction * (graph.node_lon[v] - graph.node_lon[u])])
    by_res = {}
    for res in resolutions:
        cells = latlng_to_cells(lat, lon, res)
        order = np.argsort(cells, kind="stable")
        distinct, starts = np.unique(cells[order], return_index=True)
        by_res[int(res)] = _CellIndex(order, distinct, starts)
    return ReachSamples(
        node=np.concatenate([np.arange(graph.n_nodes), np.full(len(edge), -1)]),
        edge=np.concatenate([np.full(graph.n_nodes, -1), edge]),
        fraction=np.concatenate([np.zeros(graph.n_nodes), fraction]),
        lat=lat, lon=lon, by_res=by_res,
    )


def responder_times(graph: RoadGraph, responders: pd.DataFrame, *,
                    limit_minutes: float = REACH_LIMIT_MINUTES) -> dict[str, TravelTimes]:
    """Travel times from the nearest responder to every node, one multi-source dijkstra per travel mode.

    ``responders`` has ``lat``, ``lon`` and optionally ``unit_kind`` (see ``travel_modes``); in each
    result ``source`` indexes its rows.
    """
    modes = travel_modes(responders["unit_kind"] if "unit_kind" in responders else [None] * len(responders))
    lat = responders["lat"].to_numpy(dtype=float)
    lon = responders["lon"].to_numpy(dtype=float)
    times = {}
    for mode in MODES:
        rows = np.flatnonzero(modes == mode)
        if len(rows) == 0:
            continue
        found = travel_times_from_points(graph, lat[rows], lon[rows], limit_seconds=limit_minutes * 60, mode=mode)
        source = np.where(found.source >= 0, rows[np.maximum(found.source, 0)], -1)
        times[mode] = TravelTimes(found.seconds, source, found.predecessor, mode, found.limit_seconds,
                                  found.origin, found.origin_seconds)
    return times


def sample_minutes(graph: RoadGraph, samples: ReachSamples, times: Mapping[str, TravelTimes]) -> np.ndarray:
    """Minutes from the nearest responder to every sample point (``inf`` beyond the limit), fastest mode wins."""
    best = np.full(len(samples.node), np.inf)
    is_node = samples.node >= 0
    inner = ~is_node
    for found in times.values():
        seconds = np.full(len(best), np.inf)
        seconds[is_node] = found.seconds[samples.node[is_node]]
        seconds[inner], _ = seconds_at_edge_points(graph, found, samples.edge[inner], samples.fraction[inner])
        np.minimum(best, seconds, out=best)
    return best / 60


def reach_cells(graph: RoadGraph, samples: ReachSamples, responders: pd.DataFrame, res: int, *,
                limit_minutes: float = REACH_LIMIT_MINUTES, bands=REACH_BANDS_MINUTES,
                include_unreached: bool = False) -> pd.DataFrame:
    """Minutes from the nearest responder per H3 cell, and the 1-3-5 band it falls in.

    Parameters
    ----------
    graph : RoadGraph
    samples : ReachSamples
        From ``reach_samples(graph)``, holding cells at ``res``.
    responders : DataFrame
        ``lat``, ``lon``, optional ``unit_kind``: unit positions at the moment (``positions_at``) plus
        fixed posts and stations.
    res : int
        H3 resolution (one of ``samples.resolutions``).
    limit_minutes : float
        Search limit; cells farther are unreached.
    include_unreached : bool
        Also list the network's cells beyond the limit, with NaN minutes and band 0.

    Returns
    -------
    DataFrame
        ``cell`` (int64), ``minutes`` (float: minimum over the cell's sample points), ``band``
        (1, 3, 5; 0 beyond the last band), ordered by cell.
    """
    if res not in samples.by_res:
        raise ValueError(f"samples hold no cells at resolution {res}; they hold {samples.resolutions}")
    index = samples.by_res[res]
    if len(responders):
        minutes = sample_minutes(graph, samples, responder_times(graph, responders, limit_minutes=limit_minutes))
    else:
        minutes = np.full(len(samples.node), np.inf)
    if len(index.cells):
        per_cell = np.minimum.reduceat(minutes[index.order], index.starts)
    else:
        per_cell = np.empty(0)
    reached = per_cell <= limit_minutes
    keep = slice(None) if include_unreached else reached
    per_cell = np.where(reached, per_cell, np.nan)
    return pd.DataFrame({"cell": index.cells[keep], "minutes": per_cell[keep],
                         "band": minutes_band(per_cell[keep], bands).astype(np.int16)})


def _to_ns(values) -> np.ndarray:
    """int64 nanoseconds of times (datetime64, pandas timestamps or ISO strings)."""
    return pd.to_datetime(pd.Series(np.atleast_1d(values))).to_numpy("datetime64[ns]").view(np.int64)


def positions_at(pings: pd.DataFrame, at, *, max_age_s: float = POSITION_MAX_AGE_S) -> pd.DataFrame:
    """Each unit's position at ``at``: its latest located ping at or before it, if at most ``max_age_s`` old.

    ``pings`` has ``PING_COLUMNS`` (``unit_kind`` optional). Returns those columns, one row per unit placed.
    """
    at_ns = _to_ns(at)[0]
    ts_ns = _to_ns(pings["ts"]) if len(pings) else np.empty(0, dtype=np.int64)
    located = pings["lat"].notna().to_numpy() & pings["lon"].notna().to_numpy()
    recent = located & (ts_ns <= at_ns) & (ts_ns >= at_ns - int(max_age_s * 1e9))
    chosen = pings[recent].assign(_ns=ts_ns[recent]).sort_values("_ns", kind="stable")
    latest = chosen.groupby("unit_id", sort=False).tail(1).sort_values("unit_id", kind="stable")
    return latest.drop(columns="_ns").reset_index(drop=True)


def _latest_ping_pairs(event_ns: np.ndarray, unit: np.ndarray, ping_ns: np.ndarray,
                       max_age_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """(event, ping) pairs: for every event, each unit's latest ping at or before it, if at most max_age_ns old."""
    codes, _ = pd.factorize(pd.Series(unit, dtype=object))
    order = np.lexsort((ping_ns, codes))
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    events_out, pings_out = [], []
    for group in np.split(order, bounds):
        if len(group) == 0:
            continue
        times = ping_ns[group]
        latest = np.searchsorted(times, event_ns, side="right") - 1
        fresh = latest >= 0
        fresh[fresh] = event_ns[fresh] - times[latest[fresh]] <= max_age_ns
        events_out.append(np.flatnonzero(fresh))
        pings_out.append(group[latest[fresh]])
    if not events_out:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(events_out), np.concatenate(pings_out)


def minutes_to_nearest_unit(graph: RoadGraph, incident_lat, incident_lon, incident_time, pings: pd.DataFrame, *,
                            fixed: pd.DataFrame | None = None, max_age_s: float = POSITION_MAX_AGE_S,
                            limit_minutes: float = REACH_LIMIT_MINUTES) -> np.ndarray:
    """Modelled minutes from the nearest unit to each incident, with units where they were at its time.

    Parameters
    ----------
    graph : RoadGraph
    incident_lat, incident_lon : array-like of float
        Incident locations, WGS84.
    incident_time : array-like of datetime
        When each incident occurred; units are placed by the ``positions_at`` rule at that moment.
    pings : DataFrame
        ``PING_COLUMNS``; ``unit_kind`` decides the travel mode (``travel_modes``).
    fixed : DataFrame, optional
        Posts and stations (``RESPONDER_COLUMNS``), available at every moment.
    max_age_s : float
        Oldest ping that still places a unit.
    limit_minutes : float
        Search limit: incidents farther from every unit get ``inf``.

    Returns
    -------
    ndarray of float64
        Minutes per incident; ``inf`` when no unit could arrive within ``limit_minutes``; NaN for an
        incident without a position or time.

    Notes
    -----
    Travel is symmetric, so each incident runs its own dijkstra *from the incident* and reads off the
    units placed at its moment: every incident gets exactly its own set of unit positions. The searches
    deepen (``_DEEPENING_SHARES`` of the limit): an incident with a unit within a shallow search is
    final, since a deeper one cannot find a nearer unit, and most incidents are settled by the first,
    cheap search (its cost grows with the area searched, the square of the limit).
    """
    lat = np.asarray(incident_lat, dtype=float).ravel()
    lon = np.asarray(incident_lon, dtype=float).ravel()
    event_ns = _to_ns(incident_time) if len(lat) else np.empty(0, dtype=np.int64)
    # An incident without a position or time has no modelled reach (NaN), never a fake one.
    unplaced = ~(np.isfinite(lat) & np.isfinite(lon)) | (event_ns == np.iinfo(np.int64).min)
    best = np.where(unplaced, np.nan, np.inf)
    pings = _located(pings)
    fixed = _located(fixed) if fixed is not None else pd.DataFrame({"lat": [], "lon": [], "unit_kind": []})
    pairs = _incident_responder_pairs(event_ns, unplaced, pings, fixed, max_age_s)
    if pairs is None or graph.n_edges == 0:
        return best
    pair_event, pair_responder, responders = pairs
    r_snap = snap_to_edges(graph, responders["lat"].to_numpy(dtype=float), responders["lon"].to_numpy(dtype=float))
    r_access_s = r_snap.distance_m / (WALKING_SPEED_KMH / 3.6)
    r_mode = travel_modes(responders["unit_kind"])
    placed = np.flatnonzero(~unplaced)
    i_snap = snap_to_edges(graph, lat[placed], lon[placed])
    incident_row = np.full(len(lat), -1, dtype=np.int64)
    incident_row[placed] = np.arange(len(placed))
    i_access_s = i_snap.distance_m / (WALKING_SPEED_KMH / 3.6)
    pending = np.unique(pair_event)
    for share in _DEEPENING_SHARES:
        limit_s = share * limit_minutes * 60
        seconds = np.full(len(lat), np.inf)
        for mode in MODES:
            in_mode = r_mode[pair_responder] == mode
            events = pending[np.isin(pending, pair_event[in_mode])]
            rows = incident_row[events]
            snap = EdgeSnap(i_snap.edge[rows], i_snap.fraction[rows], i_snap.distance_m[rows])
            for idx, from_incident in seconds_from_each_point(graph, snap, i_access_s[rows], limit_seconds=limit_s,
                                                              mode=mode):
                batch_events = events[idx]
                sel = _pairs_of(pair_event, batch_events)
                sel = sel[in_mode[sel]]
                row_in_batch = np.searchsorted(batch_events, pair_event[sel])
                total = _responder_seconds(graph, mode, from_incident, row_in_batch, pair_responder[sel], r_snap,
                                           r_access_s, snap, i_access_s[rows], idx)
                np.minimum.at(seconds, batch_events[row_in_batch], total)
        settled = seconds[pending] <= limit_s
        best[pending[settled]] = seconds[pending[settled]]
        pending = pending[~settled]
        if len(pending) == 0:
            break
    return best / 60


def _incident_responder_pairs(event_ns, unplaced, pings, fixed, max_age_s):
    """(event, responder) pairs sorted by event, and the responders (pings in use, then fixed); None if none."""
    ping_ns = _to_ns(pings["ts"]) if len(pings) else np.empty(0, dtype=np.int64)
    timeless = np.where(unplaced, np.iinfo(np.int64).min, event_ns)
    event, ping = _latest_ping_pairs(timeless, pings["unit_id"].to_numpy(), ping_ns, int(max_age_s * 1e9))
    used, ping_responder = np.unique(ping, return_inverse=True)
    placed = np.flatnonzero(~unplaced)
    n_fixed = len(fixed)
    pair_event = np.concatenate([event, np.repeat(placed, n_fixed)])
    pair_responder = np.concatenate([ping_responder.ravel(), np.tile(len(used) + np.arange(n_fixed), len(placed))])
    if len(pair_event) == 0:
        return None
    order = np.argsort(pair_event, kind="stable")
    responders = pd.concat([_responder_frame(pings.iloc[used]), _responder_frame(fixed)], ignore_index=True)
    return pair_event[order], pair_responder[order], responders


def _pairs_of(pair_event: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Positions of the pairs (sorted by event) whose event is one of ``events`` (sorted, distinct)."""
    start = np.searchsorted(pair_event, events, side="left")
    stop = np.searchsorted(pair_event, events, side="right")
    counts = stop - start
    return np.repeat(start, counts) + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def _responder_seconds(graph, mode, from_incident, row, responder, r_snap, r_access_s, i_snap, i_access_s, idx):
    """Seconds from each responder to its incident (row of ``from_incident``), by its edge's nearer end."""
    edge_s = graph.edge_seconds(mode)
    e = r_snap.edge[responder]
    on_network = e >= 0
    e = np.where(on_network, e, 0)
    f = r_snap.fraction[responder]
    via_u = from_incident[row, graph.edge_u[e]] + f * edge_s[e]
    via_v = from_incident[row, graph.edge_v[e]] + (1 - f) * edge_s[e]
    total = r_access_s[responder] + np.minimum(via_u, via_v)
    # Responder and incident on the same edge: straight along it, not round through a node.
    incident = idx[row]
    same = on_network & (i_snap.edge[incident] == e)
    direct = r_access_s[responder] + i_access_s[incident] + np.abs(i_snap.fraction[incident] - f) * edge_s[e]
    total = np.where(same, np.minimum(total, direct), total)
    return np.where(on_network, total, np.inf)


def _located(frame: pd.DataFrame) -> pd.DataFrame:
    keep = frame["lat"].notna().to_numpy() & frame["lon"].notna().to_numpy()
    if "ts" in frame:
        keep &= frame["ts"].notna().to_numpy()
    return frame[keep].reset_index(drop=True)


def _responder_frame(frame: pd.DataFrame) -> pd.DataFrame:
    kinds = frame["unit_kind"] if "unit_kind" in frame else pd.Series([None] * len(frame), index=frame.index)
    return pd.DataFrame({"lat": frame["lat"].to_numpy(dtype=float), "lon": frame["lon"].to_numpy(dtype=float),
                         "unit_kind": kinds.to_numpy(dtype=object)})


def share_within(minutes, limit_minutes: float = REACH_LIMIT_MINUTES) -> float:
    """Share of incidents with modelled minutes ≤ ``limit_minutes``, among those with a value (NaN if none)."""
    minutes = np.asarray(minutes, dtype=float)
    minutes = minutes[~np.isnan(minutes)]
    return float(np.mean(minutes <= limit_minutes)) if len(minutes) else float("nan")
