"""1-3-5 minute reach: bands, sample points on long edges, travel modes, unit positions, the incident KPI.

The known network is one straight 3.6 km road at 36 km/h (10 m/s): a unit at its west end reaches
600 m in 1 minute, 1800 m in 3 and 3000 m in 5. The Helsinki OSM extract checks reach against networkx.
"""
from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from analysis import reach
from analysis import roadgraph as rg
from data_pipeline.h3cells import latlng_to_cells, str_to_cell

LAT0, LON0 = 29.6, 103.48
_GEOD = Geod(ellps="WGS84")
M_PER_DEG_LAT = _GEOD.inv(LON0, LAT0 - 0.01, LON0, LAT0 + 0.01)[2] / 0.02
M_PER_DEG_LON = _GEOD.inv(LON0 - 0.01, LAT0, LON0 + 0.01, LAT0)[2] / 0.02
WALK_MS = rg.WALKING_SPEED_KMH / 3.6


def latlng(x_m, y_m):
    return LAT0 + np.asarray(y_m, dtype=float) / M_PER_DEG_LAT, LON0 + np.asarray(x_m, dtype=float) / M_PER_DEG_LON


def line(*points_m) -> shapely.LineString:
    xy = np.array(points_m, dtype=float)
    lat, lon = latlng(xy[:, 0], xy[:, 1])
    return shapely.LineString(np.column_stack([lon, lat]))


def responders(points_m, kinds) -> pd.DataFrame:
    xy = np.array(points_m, dtype=float).reshape(-1, 2)
    lat, lon = latlng(xy[:, 0], xy[:, 1])
    return pd.DataFrame({"lat": lat, "lon": lon, "unit_kind": kinds})


@pytest.fixture(scope="module")
def straight():
    """One road, (0, 0) → (3600, 0), digitised with only its two ends: a single 3.6 km edge."""
    graph = rg.build_road_graph([line((0, 0), (3600, 0))], [36.0])
    return graph, reach.reach_samples(graph, resolutions=(9, 10))


def cell_at(x_m, y_m, res) -> int:
    lat, lon = latlng([x_m], [y_m])
    return int(latlng_to_cells(lat, lon, res)[0])


def test_minutes_band():
    assert reach.minutes_band([0.0, 1.0, 1.01, 3.0, 4.9, 5.0, 5.01, np.inf, np.nan]).tolist() == [
        1, 1, 3, 3, 5, 5, 0, 0, 0]


def test_samples_cover_every_cell_along_a_long_edge(straight):
    graph, samples = straight
    assert graph.n_edges == 1
    assert len(samples.node) == 2 + int(np.ceil(3600 / reach.SAMPLE_SPACING_M)) - 1
    # Every res-10 cell the road runs through for at least the spacing (by dense sampling every metre)
    # has a sample, though the edge has no vertex inside any of them.
    lat, lon = latlng(np.arange(0, 3601.0), np.zeros(3601))
    cells, metres_in_cell = np.unique(latlng_to_cells(lat, lon, 10), return_counts=True)
    crossed = set(cells[metres_in_cell >= reach.SAMPLE_SPACING_M].tolist())
    assert len(crossed) > 25 and crossed <= set(samples.by_res[10].cells.tolist())


def test_reach_bands_on_a_known_road(straight):
    graph, samples = straight
    table = reach.reach_cells(graph, samples, responders([(0, 0)], ["car"]), 10).set_index("cell")
    # By hand: samples every 25 m; a cell's minutes is its westmost sample's distance at 600 m/min.
    sample_x = np.arange(0, 3601, 25.0)
    sample_lat, sample_lon = latlng(sample_x, np.zeros(len(sample_x)))
    sample_cell = np.array([str_to_cell(h3.latlng_to_cell(a, b, 10)) for a, b in zip(sample_lat, sample_lon)])
    for x_m, expected_band in [(10, 1), (400, 1), (800, 3), (1600, 3), (2000, 5), (2800, 5)]:
        cell = cell_at(x_m, 0, 10)
        row = table.loc[cell]
        assert row["band"] == expected_band, x_m
        assert row["minutes"] == pytest.approx(sample_x[sample_cell == cell].min() / 600, rel=1e-4, abs=1e-9)
    reached = {c for c, x in zip(sample_cell, sample_x) if any(sample_x[sample_cell == c] <= 3000)}
    assert set(table.index) == reached
    assert cell_at(3200, 0, 10) not in table.index                  # beyond 5 minutes
    assert table["minutes"].max() <= 5.0
    everything = reach.reach_cells(graph, samples, responders([(0, 0)], ["car"]), 10, include_unreached=True)
    beyond = everything.set_index("cell").loc[cell_at(3200, 0, 10)]
    assert np.isnan(beyond["minutes"]) and beyond["band"] == 0
    with pytest.raises(ValueError, match="resolution 8"):
        reach.reach_cells(graph, samples, responders([(0, 0)], ["car"]), 8)


def test_foot_units_walk_and_cars_drive(straight):
    graph, samples = straight
    foot = reach.reach_cells(graph, samples, responders([(0, 0)], ["foot"]), 10)
    # 5 minutes at 5 km/h is ~417 m: every reached cell lies within that of the unit.
    assert foot["minutes"].max() <= 5.0
    assert cell_at(400, 0, 10) in set(foot["cell"]) and cell_at(500, 0, 10) not in set(foot["cell"])
    assert reach.travel_modes(["foot", "car", "motorbike", None, "station"]).tolist() == [
        "walk", "drive", "drive", "drive", "drive"]


def test_off_road_units_walk_to_the_road_first(straight):
    graph, samples = straight
    minutes = reach.sample_minutes(graph, samples, reach.responder_times(graph, responders([(1000, 60)], ["car"])))
    node_west = int(np.argmin(graph.node_lon))
    # 60 m at walking pace (43.2 s), then 1000 m at 10 m/s.
    assert minutes[node_west] == pytest.approx((60 / WALK_MS + 100) / 60, rel=1e-3)
    # A sample on the same edge near the unit: straight along the edge, not round through a node.
    near = np.flatnonzero(samples.edge >= 0)[np.argmin(np.abs(samples.fraction[samples.edge >= 0] - 1000 / 3600))]
    assert minutes[near] == pytest.approx(60 / WALK_MS / 60, abs=25 / 600 + 1e-3)


def test_posts_and_units_together_nearest_wins(straight):
    graph, samples = straight
    both = responders([(0, 0), (3600, 0)], ["car", "post"])
    table = reach.reach_cells(graph, samples, both, 10).set_index("cell")
    assert table.loc[cell_at(3590, 0, 10), "band"] == 1
    assert len(table) == len(samples.by_res[10].cells)               # 1.8 km either way: all reached
    none = reach.reach_cells(graph, samples, responders([], []), 10)
    assert len(none) == 0


def test_positions_at_take_the_latest_recent_ping():
    pings = pd.DataFrame({
        "unit_id": ["a", "a", "a", "b", "c"],
        "unit_kind": ["car", "car", "car", "foot", "car"],
        "ts": pd.to_datetime(["2024-05-01 10:00", "2024-05-01 10:04", "2024-05-01 10:07",
                              "2024-05-01 09:40", "2024-05-01 10:05"]),
        "lat": [1.0, 2.0, 3.0, 4.0, np.nan], "lon": [1.0, 2.0, 3.0, 4.0, 5.0],
    })
    at = reach.positions_at(pings, "2024-05-01 10:05")
    assert at["unit_id"].tolist() == ["a"] and at["lat"].tolist() == [2.0]   # b is stale, c unlocated
    assert reach.positions_at(pings, "2024-05-01 10:05", max_age_s=3600)["unit_id"].tolist() == ["a", "b"]


def test_minutes_to_nearest_unit_uses_positions_at_each_incident_time(straight):
    graph, _ = straight
    lat, lon = latlng([0, 3000, 3600, 2000], [0, 0, 0, 0])
    pings = pd.DataFrame({"unit_id": ["car1", "car1", "walker"], "unit_kind": ["car", "car", "foot"],
                          "ts": pd.to_datetime(["2024-05-01 10:00", "2024-05-01 11:00", "2024-05-01 11:00"]),
                          "lat": lat[[0, 1, 3]], "lon": lon[[0, 1, 3]]})
    incident_lat, incident_lon = latlng([600, 600, 2100, 1800], [0, 0, 0, 30])
    times = pd.to_datetime(["2024-05-01 10:03", "2024-05-01 11:03", "2024-05-01 11:03", "2024-05-01 12:00"])
    minutes = reach.minutes_to_nearest_unit(graph, incident_lat, incident_lon, times, pings)
    assert minutes[0] == pytest.approx(1.0, rel=1e-3)        # car at 0 m at 10:03: 600 m
    assert minutes[1] == pytest.approx(4.0, rel=1e-3)        # car moved to 3000 m by 11:03: 2400 m
    # Walker: 100 m in 1.2 min (the car needs 1.5). Tolerance: the road is straight in lon/lat, the edge
    # straight in metres; they part by ~0.15 m mid-edge, which both points walk at 1.4 m/s.
    assert minutes[2] == pytest.approx(100 / WALK_MS / 60, abs=0.5 / 60)
    assert np.isinf(minutes[3])                               # 12:00: every ping is stale
    # A post is there at every moment: incident 3 (30 m off the road) is reached from it.
    post = responders([(3600, 0)], ["post"])
    with_post = reach.minutes_to_nearest_unit(graph, incident_lat, incident_lon, times, pings, fixed=post)
    assert with_post[3] == pytest.approx((1800 / 10 + 30 / WALK_MS) / 60, rel=1e-3)
    assert with_post[0] == pytest.approx(1.0, rel=1e-3)
    assert reach.share_within(with_post) == 1.0
    assert reach.share_within(minutes) == 0.75


def test_a_unit_found_by_a_shallow_search_does_not_hide_a_nearer_one():
    """The first search (1 minute) sees car A at 110 s through a node 50 s away; car B, at 105 s, sits on
    an edge whose nearer end is 90 s away and is only seen by the next search: B must win."""
    graph = rg.build_road_graph([line((-3600, 0), (-900, 0), (0, 0), (500, 0), (3600, 0))], [36.0])
    cars = responders([(1100, 0), (-1050, 0)], ["car", "car"])
    pings = cars.assign(unit_id=["A", "B"], ts=pd.to_datetime(["2024-05-01 10:00"] * 2))
    lat, lon = latlng([0], [0])
    minutes = reach.minutes_to_nearest_unit(graph, lat, lon, pd.to_datetime(["2024-05-01 10:01"]), pings)
    assert minutes[0] == pytest.approx(105 / 60, rel=1e-3)
    alone = reach.minutes_to_nearest_unit(graph, lat, lon, pd.to_datetime(["2024-05-01 10:01"]), pings.iloc[:1])
    assert alone[0] == pytest.approx(110 / 60, rel=1e-3)


def test_incidents_without_a_position_get_no_value(straight):
    graph, _ = straight
    lat, lon = latlng([0], [0])
    pings = pd.DataFrame({"unit_id": ["u"], "unit_kind": ["car"], "ts": pd.to_datetime(["2024-05-01 10:00"]),
                          "lat": lat, "lon": lon})
    minutes = reach.minutes_to_nearest_unit(graph, [np.nan, lat[0]], [np.nan, lon[0]],
                                            pd.to_datetime(["2024-05-01 10:01", "2024-05-01 10:01"]), pings)
    assert np.isnan(minutes[0]) and minutes[1] == pytest.approx(0, abs=1e-9)
    assert reach.share_within(minutes) == 1.0


def grid_roads(side: int, spacing_m: float = 100.0) -> np.ndarray:
    ticks = np.arange(side) * spacing_m
    xy = [np.column_stack([ticks, np.full(side, t)]) for t in ticks]
    xy += [np.column_stack([np.full(side, t), ticks]) for t in ticks]
    xy = np.concatenate(xy)
    lat, lon = latlng(xy[:, 0], xy[:, 1])
    return shapely.linestrings(np.column_stack([lon, lat]), indices=np.repeat(np.arange(2 * side), side))


def test_reach_for_50_units_on_20k_edges():
    roads = grid_roads(100)                                   # 2 · 100 · 99 = 19,800 edges
    graph = rg.build_road_graph(roads, np.full(len(roads), 30.0))
    samples = reach.reach_samples(graph, resolutions=(9,))
    rng = np.random.default_rng(7)
    units = responders(rng.uniform(0, 9900, (50, 2)), rng.choice(["car", "foot"], 50))
    table = reach.reach_cells(graph, samples, units, 9)       # timed in bench/bench_routing.py, not here
    assert set(table["band"]) == {1, 3, 5}


# --- Real OSM roads --------------------------------------------------------------------------------------


@pytest.mark.realdata
def test_helsinki_reach_matches_networkx(shared_data):
    nx = pytest.importorskip("networkx")
    from test_roadgraph import DRIVABLE, helsinki_drivable, networkx_reference

    from data_pipeline.kinds import DEFAULT_SPEED_KMH

    ways = helsinki_drivable(shared_data)
    road_class = ways["highway"].map(DRIVABLE).to_numpy()
    graph = rg.build_road_graph(ways.geometry.to_numpy(), np.full(len(ways), np.nan), road_class=road_class)
    samples = reach.reach_samples(graph, resolutions=(10,))
    reference = networkx_reference(ways, [DEFAULT_SPEED_KMH[c] for c in road_class])
    # A car standing on the busiest junction, and an incident exactly on another node 2-4 minutes away.
    unit = int(np.argmax(np.bincount(np.concatenate([graph.edge_u, graph.edge_v]))))
    expected = nx.single_source_dijkstra_path_length(reference, (graph.node_lon[unit], graph.node_lat[unit]),
                                                     weight="weight", cutoff=300)
    car = pd.DataFrame({"lat": [graph.node_lat[unit]], "lon": [graph.node_lon[unit]], "unit_kind": ["car"]})
    minutes = reach.sample_minutes(graph, samples, reach.responder_times(graph, car))
    node_key = {(lon, lat): i for i, (lon, lat) in enumerate(zip(graph.node_lon, graph.node_lat))}
    for key, seconds in expected.items():
        assert minutes[node_key[key]] == pytest.approx(seconds / 60, rel=1e-4, abs=1e-6)
    assert np.isfinite(minutes[: graph.n_nodes]).sum() == len(expected)
    # The cell holding the target node: its minutes are at most the node's, and no sample beats the tree.
    target_key = min((k for k, s in expected.items() if 120 <= s <= 240), key=expected.get)
    table = reach.reach_cells(graph, samples, car, 10).set_index("cell")
    target_cell = str_to_cell(h3.latlng_to_cell(target_key[1], target_key[0], 10))
    assert table.loc[target_cell, "minutes"] <= expected[target_key] / 60 + 1e-9
    # And the incident KPI at that node: the same minutes as networkx.
    pings = pd.DataFrame({"unit_id": ["car"], "unit_kind": ["car"], "ts": pd.to_datetime(["2024-05-01 10:00"]),
                          "lat": car["lat"], "lon": car["lon"]})
    got = reach.minutes_to_nearest_unit(graph, [target_key[1]], [target_key[0]],
                                        pd.to_datetime(["2024-05-01 10:02"]), pings)
    assert got[0] == pytest.approx(expected[target_key] / 60, rel=1e-4)
