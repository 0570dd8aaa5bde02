"""Routing, rings and reach on synthetic networks: leaks on a ring crossed by 10,000 roads, interception on
a 100,000-edge network, 1-3-5 reach for 50 units on a 20,000-edge network; networkx / plain GEOS as peers."""
from __future__ import annotations

import statistics
import time

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from analysis import reach, rings
from analysis import roadgraph as rg
from bench._util import record, timed

LAT0, LON0 = 29.6, 103.48              # Emeishan
M_PER_DEG_LAT, M_PER_DEG_LON = 110_850.0, 96_880.0   # near LAT0; the layouts only need to be plausible
RING_ROADS = 10_000
RING_VERTICES = 2_000                  # a county boundary's worth of detail
INTERCEPT_GRID = 224                   # 2 · 224 · 223 = 99,904 edges
REACH_GRID = 100                       # 2 · 100 · 99 = 19,800 edges
UNITS = 50
INCIDENTS = 2_000
REQUESTS = 10                          # per-request figures are medians over this many origins / moments


def lonlat(x_m, y_m) -> np.ndarray:
    return np.column_stack([LON0 + np.asarray(x_m) / M_PER_DEG_LON, LAT0 + np.asarray(y_m) / M_PER_DEG_LAT])


def grid_roads(side: int, spacing_m: float = 100.0) -> np.ndarray:
    """``side`` east-west and ``side`` north-south roads through a square grid: 2·side·(side-1) edges."""
    ticks = np.arange(side) * spacing_m
    xs = np.concatenate([np.tile(ticks, side), np.repeat(ticks, side)])
    ys = np.concatenate([np.repeat(ticks, side), np.tile(ticks, side)])
    return shapely.linestrings(lonlat(xs, ys), indices=np.repeat(np.arange(2 * side), side))


def ring_and_roads(rng):
    """A wobbly ring of radius ~15 km and RING_ROADS spokes crossing it, plus as many roads that do not."""
    angle = np.linspace(0, 2 * np.pi, RING_VERTICES, endpoint=False)
    radius = 15_000 * (1 + 0.08 * np.sin(7 * angle) + 0.02 * rng.standard_normal(RING_VERTICES))
    ring = shapely.Polygon(lonlat(radius * np.cos(angle), radius * np.sin(angle)))
    spoke = rng.uniform(0, 2 * np.pi, RING_ROADS)
    along = np.linspace(11_000, 21_000, 20)                              # 20 vertices, 10 km long
    wiggle = rng.normal(0, 30, (RING_ROADS, 20))
    r = along[None, :] + wiggle
    crossing = shapely.linestrings(lonlat((r * np.cos(spoke)[:, None]).ravel(), (r * np.sin(spoke)[:, None]).ravel()),
                                   indices=np.repeat(np.arange(RING_ROADS), 20))
    # Roads well inside and well outside: candidates the spatial index must throw away.
    centre = rng.uniform(-25_000, 25_000, (RING_ROADS, 2))
    centre = centre[np.abs(np.hypot(*centre.T) - 15_000) > 3_000][: RING_ROADS]
    others = shapely.linestrings(lonlat(np.stack([centre[:, 0], centre[:, 0] + 300], 1).ravel(),
                                        np.stack([centre[:, 1], centre[:, 1] + 200], 1).ravel()),
                                 indices=np.repeat(np.arange(len(centre)), 2))
    roads = np.concatenate([crossing, others])
    classes = rng.choice(["motorway", "trunk", "primary", "secondary", "tertiary", "residential"], len(roads))
    return ring, roads, classes


def bench_leaks(rng) -> None:
    ring, roads, classes = ring_and_roads(rng)
    boundary = shapely.boundary(ring)
    n_checkpoints = 1_500
    cp_xy = shapely.get_coordinates(shapely.line_interpolate_point(boundary, rng.uniform(0, 1, n_checkpoints),
                                                                   normalized=True))
    checkpoints = pd.DataFrame({"id": np.arange(n_checkpoints), "lon": cp_xy[:, 0], "lat": cp_xy[:, 1],
                                "duty": rng.choice(rings.DUTY_LEVELS, n_checkpoints, p=[0.5, 0.3, 0.2])})
    incidents = pd.DataFrame(dict(zip(["lon", "lat"], lonlat(*rng.uniform(-20_000, 20_000, (2, 100_000))).T)))
    start = time.perf_counter()
    entries = rings.find_entries({"县际": ring}, roads, classes)
    entries_s = time.perf_counter() - start
    per_mode = {}
    for mode in rings.DUTY_LEVELS:
        start = time.perf_counter()
        covered = rings.cover_entries(entries, checkpoints, mode)
        leaks = rings.rank_leaks(covered, incidents)
        summary = rings.ring_summary(covered)
        per_mode[mode] = (time.perf_counter() - start, int(summary["covered"].iloc[0]), len(leaks))
    # Peer: the crossing points alone, each road intersected with the whole ring line (no touch rules).
    peer_s = timed(lambda: shapely.intersection(roads, boundary))
    record("routing_ring_leaks", {
        "roads": len(roads), "ring_vertices": RING_VERTICES, "entries": len(entries),
        "checkpoints": n_checkpoints, "incidents": len(incidents),
        "entries_s": round(entries_s, 3),
        **{f"{mode}_cover_rank_s": round(s, 3) for mode, (s, _, _) in per_mode.items()},
        **{f"{mode}_covered": c for mode, (_, c, _) in per_mode.items()},
        **{f"{mode}_leaks": n for mode, (_, _, n) in per_mode.items()},
        "peer_geos_intersection_whole_ring_s": round(peer_s, 3),
    })


def bench_interception(rng) -> None:
    roads = grid_roads(INTERCEPT_GRID)
    start = time.perf_counter()
    graph = rg.build_road_graph(shapely.to_wkb(roads), rng.choice([30.0, 40.0, 60.0], len(roads)))
    graph.csr()
    build_s = time.perf_counter() - start
    side_m = (INTERCEPT_GRID - 1) * 100.0
    lo, hi = 0.2 * side_m + 50, 0.8 * side_m + 50
    ring = shapely.Polygon(lonlat([lo, hi, hi, lo], [lo, lo, hi, hi]))
    cp = lonlat(rng.uniform(lo, hi, 60), np.full(60, lo))
    checkpoints = pd.DataFrame({"lon": cp[:, 0], "lat": cp[:, 1], "duty": rng.choice(rings.DUTY_LEVELS, 60)})
    start = time.perf_counter()
    entries = rings.place_entries(graph, rings.cover_entries(rings.find_entries({"城区": ring}, roads), checkpoints,
                                                             "emergency"))
    prepare_s = time.perf_counter() - start
    origins = lonlat(*rng.uniform(lo + 500, hi - 500, (2, REQUESTS)))
    rings.intercept(graph, entries, origins[0, 1], origins[0, 0], "emergency")       # warm the edge tree
    samples, escapes = [], []
    for lon, lat in origins:
        start = time.perf_counter()
        result = rings.intercept(graph, entries, lat, lon, "emergency")
        samples.append(time.perf_counter() - start)
        escapes.append(int(result.entries["escape"].sum()))
    # Peer: networkx's single-source dijkstra over the same edges, from the nearest node.
    reference = nx.Graph()
    reference.add_weighted_edges_from(zip(graph.edge_u.tolist(), graph.edge_v.tolist(),
                                          graph.edge_seconds().tolist()))
    node, _ = rg.nearest_nodes(graph, origins[:, 1], origins[:, 0])
    peer_s = statistics.median(timed(lambda n=n: nx.single_source_dijkstra_path_length(reference, int(n)))
                               for n in node[:3])
    record("routing_interception", {
        "edges": graph.n_edges, "nodes": graph.n_nodes, "entries": len(entries), "build_graph_s": round(build_s, 3),
        "entries_cover_place_s": round(prepare_s, 3),
        "intercept_median_ms": round(statistics.median(samples) * 1000, 1),
        "intercept_max_ms": round(max(samples) * 1000, 1), "escape_entries_median": statistics.median(escapes),
        "peer_networkx_dijkstra_ms": round(peer_s * 1000, 1),
    })


def bench_reach(rng) -> None:
    roads = grid_roads(REACH_GRID)
    start = time.perf_counter()
    graph = rg.build_road_graph(roads, rng.choice([20.0, 30.0, 50.0], len(roads)))
    graph.csr()
    graph.csr("walk")
    graph.edge_tree  # noqa: B018 - built once per graph, like the samples
    samples = reach.reach_samples(graph)
    prepare_s = time.perf_counter() - start
    side_m = (REACH_GRID - 1) * 100.0
    timings, cells = [], []
    for _ in range(REQUESTS):
        units = pd.DataFrame(dict(zip(["lon", "lat"], lonlat(*rng.uniform(0, side_m, (2, UNITS))).T)))
        units["unit_kind"] = rng.choice(["car", "motorbike", "foot"], UNITS, p=[0.6, 0.2, 0.2])
        start = time.perf_counter()
        table = reach.reach_cells(graph, samples, units, 10)
        timings.append(time.perf_counter() - start)
        cells.append(len(table))
    # The incident KPI: INCIDENTS incidents over a day, 50 units pinging every minute.
    minutes_of_day = np.arange(0, 24 * 60)
    pings = pd.DataFrame({
        "unit_id": np.repeat(np.arange(UNITS), len(minutes_of_day)),
        "unit_kind": np.repeat(rng.choice(["car", "foot"], UNITS, p=[0.8, 0.2]), len(minutes_of_day)),
        "ts": np.tile(np.datetime64("2024-05-01T00:00") + minutes_of_day.astype("timedelta64[m]"), UNITS),
    })
    pings[["lon", "lat"]] = lonlat(*rng.uniform(0, side_m, (2, len(pings))))
    incident = lonlat(*rng.uniform(0, side_m, (2, INCIDENTS)))
    incident_time = np.datetime64("2024-05-01T00:05") + rng.integers(0, 23 * 60, INCIDENTS).astype("timedelta64[m]")
    start = time.perf_counter()
    minutes = reach.minutes_to_nearest_unit(graph, incident[:, 1], incident[:, 0], incident_time, pings)
    kpi_s = time.perf_counter() - start
    # Peer: networkx multi-source dijkstra to 5 minutes from the units' nearest nodes (nodes only, no cells).
    reference = nx.Graph()
    reference.add_weighted_edges_from(zip(graph.edge_u.tolist(), graph.edge_v.tolist(),
                                          graph.edge_seconds().tolist()))
    node, _ = rg.nearest_nodes(graph, units["lat"], units["lon"])
    peer_s = timed(lambda: nx.multi_source_dijkstra_path_length(reference, set(node.tolist()), cutoff=300))
    record("routing_reach", {
        "edges": graph.n_edges, "units": UNITS, "samples": len(samples.node),
        "prepare_graph_and_samples_s": round(prepare_s, 3),
        "reach_res10_median_ms": round(statistics.median(timings) * 1000, 1),
        "reach_res10_max_ms": round(max(timings) * 1000, 1), "cells_reached_median": statistics.median(cells),
        "kpi_incidents": INCIDENTS, "kpi_pings": len(pings), "kpi_s": round(kpi_s, 3),
        "kpi_share_within_5min": round(reach.share_within(minutes), 3),
        "peer_networkx_multisource_nodes_ms": round(peer_s * 1000, 1),
    })


def main() -> None:
    rng = np.random.default_rng(11)
    bench_leaks(rng)
    bench_interception(rng)
    bench_reach(rng)


if __name__ == "__main__":
    main()
