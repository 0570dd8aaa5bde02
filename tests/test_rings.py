"""Rings: ring lines from polygons and from checkpoints, entries, duty modes, leaks, interception.

Layouts are drawn in metres around a point in Sichuan and mapped to lon/lat by a linear map with the
local metres per degree, so lines straight in metres stay straight in lon/lat (where crossings are
computed) and entries, distances and drive times are known by construction (to ~1e-4).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from analysis import rings
from analysis import roadgraph as rg

LAT0, LON0 = 29.6, 103.48   # Emeishan
_GEOD = Geod(ellps="WGS84")
M_PER_DEG_LAT = _GEOD.inv(LON0, LAT0 - 0.01, LON0, LAT0 + 0.01)[2] / 0.02
M_PER_DEG_LON = _GEOD.inv(LON0 - 0.01, LAT0, LON0 + 0.01, LAT0)[2] / 0.02


def lonlat(*points_m) -> np.ndarray:
    xy = np.array(points_m, dtype=float)
    return np.column_stack([LON0 + xy[:, 0] / M_PER_DEG_LON, LAT0 + xy[:, 1] / M_PER_DEG_LAT])


def line(*points_m) -> shapely.LineString:
    return shapely.LineString(lonlat(*points_m))


def polygon(*points_m) -> shapely.Polygon:
    return shapely.Polygon(lonlat(*points_m))


def metres(lat, lon) -> np.ndarray:
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    return np.column_stack([(lon - LON0) * M_PER_DEG_LON, (lat - LAT0) * M_PER_DEG_LAT])


def latlng(x_m: float, y_m: float) -> tuple[float, float]:
    (lon, lat), = lonlat((x_m, y_m))
    return float(lat), float(lon)


# The ring: a 2 km square, corners (0, 0) and (2000, 2000).
SQUARE = polygon((0, 0), (2000, 0), (2000, 2000), (0, 2000))


def entries_m(entries: pd.DataFrame) -> list[tuple[int, int, int]]:
    """(road, x, y) of each entry, metres rounded: comparable with the layout."""
    xy = np.rint(metres(entries["lat"], entries["lon"])).astype(int)
    return sorted(zip(entries["road"].tolist(), xy[:, 0].tolist(), xy[:, 1].tolist()))


# --- Duty modes --------------------------------------------------------------------------------------


def test_staffed_by_duty_mode():
    duty = ["routine", "emergency", "wartime"]
    assert rings.staffed(duty, "routine").tolist() == [True, False, False]
    assert rings.staffed(duty, "emergency").tolist() == [True, True, False]
    assert rings.staffed(duty, "wartime").tolist() == [True, True, True]
    with pytest.raises(ValueError, match="duty level"):
        rings.staffed(["peacetime"], "routine")


# --- Ring geometry -----------------------------------------------------------------------------------


def test_ring_line_from_a_polygon_is_its_exterior_without_holes():
    outer = [(0, 0), (2000, 0), (2000, 2000), (0, 2000)]
    with_hole = shapely.Polygon(lonlat(*outer), holes=[lonlat((500, 500), (600, 500), (600, 600))])
    ring_line = rings.ring_line(with_hole)
    assert ring_line.geom_type == "LineString" and ring_line.is_ring
    assert ring_line.equals(with_hole.exterior)
    found = rings.ring_polygons({"城区": shapely.to_wkb(with_hole)}, pd.DataFrame({"ring": [], "lat": [], "lon": []}))
    assert not found["城区"].from_checkpoints and len(found["城区"].polygon.interiors) == 0


def test_ring_from_checkpoints_orders_them_around_their_centroid():
    corners = [(2000, 2000), (0, 0), (2000, 0), (0, 2000)]   # shuffled on purpose
    xy = lonlat(*corners)
    ring = rings.ring_polygon_from_checkpoints(xy[:, 1], xy[:, 0])
    assert ring.is_valid and ring.equals(SQUARE)


def test_ring_from_checkpoints_passes_through_a_concave_checkpoint():
    # Five checkpoints with one set back: a convex hull would leave (1000, 1500) inside, off the ring.
    points = [(0, 0), (2000, 0), (2000, 2000), (1000, 1500), (0, 2000)]
    xy = lonlat(*points)
    ring = rings.ring_polygon_from_checkpoints(xy[:, 1], xy[:, 0])
    assert ring.is_valid
    assert all(ring.exterior.distance(shapely.Point(p)) < 1e-12 for p in xy)
    assert ring.area < SQUARE.area


def test_ring_from_too_few_or_collinear_checkpoints_is_refused():
    xy = lonlat((0, 0), (1000, 0))
    with pytest.raises(ValueError, match="at least 3"):
        rings.ring_polygon_from_checkpoints(xy[:, 1], xy[:, 0])
    xy = lonlat((0, 0), (1000, 0), (2000, 0))   # on one parallel: collinear in lon/lat
    with pytest.raises(ValueError, match="collinear"):
        rings.ring_polygon_from_checkpoints(xy[:, 1], xy[:, 0])


def test_ring_polygons_prefers_a_polygon_and_derives_the_rest():
    xy = lonlat((0, 0), (2000, 0), (2000, 2000), (0, 2000), (10, 10), (20, 20))
    checkpoints = pd.DataFrame({"ring": ["县际"] * 4 + ["城区", "孤点"], "lat": xy[:, 1], "lon": xy[:, 0]})
    big = polygon((-5000, -5000), (5000, -5000), (5000, 5000), (-5000, 5000))
    found = rings.ring_polygons({"城区": big}, checkpoints)
    assert list(found) == ["县际", "城区"]        # 孤点 has one checkpoint: no ring
    assert found["城区"].polygon.equals(big) and not found["城区"].from_checkpoints
    assert found["县际"].polygon.equals(SQUARE) and found["县际"].from_checkpoints


# --- Entries -----------------------------------------------------------------------------------------


def test_entries_crossings_touches_and_joined_ways():
    roads = [
        line((-500, 1000), (2500, 1000)),                       # 0: through: two entries
        line((1000, 500), (1000, 2000)),                        # 1: ends on the line from inside ...
        line((1000, 2000), (1000, 3000)),                       # 2: ... where this way leaves: one entry (road 2)
        line((300, -500), (400, 0), (500, -500)),               # 3: touches from outside at a vertex: none
        line((1800, 1000), (2000, 1200), (1800, 1400)),         # 4: touches from inside: none
        line((2500, 300), (2000, 300), (2000, 600), (2500, 600)),  # 5: outside, runs along the line: none
        line((1500, 1500), (1500, 0), (1800, 0), (1900, -400)),  # 6: along the line, then out: entry at (1800, 0)
        line((500, 1500), (500, 0), (700, 0), (700, 500)),      # 7: along the line, back inside: none
        line((3000, 3000), (4000, 4000)),                       # 8: far away: none
        line((-300, 1800), (0, 1800)),                          # 9: ends on the line from outside, alone: none
    ]
    found = rings.ring_entries(SQUARE, roads)
    assert entries_m(found) == [(0, 0, 1000), (0, 2000, 1000), (2, 1000, 2000), (6, 1800, 0)]


def test_entries_of_multilinestrings_and_wkb_point_back_at_the_road():
    roads = [shapely.MultiLineString([line((-100, 300), (100, 300)), line((700, 1900), (700, 2100))]),
             line((1000, 1000), (1100, 1100))]
    found = rings.ring_entries(shapely.to_wkb(SQUARE), shapely.to_wkb(np.array(roads, dtype=object)))
    assert entries_m(found) == [(0, 0, 300), (0, 700, 2000)]


def test_checkpoint_ring_crossed_exactly_at_a_checkpoint_where_ways_are_split():
    # Checkpoints on road vertices, ways split there: the ring passes through the split points.
    corners = lonlat((0, 0), (2000, 0), (2000, 2000), (0, 2000))
    ring = rings.ring_polygon_from_checkpoints(corners[:, 1], corners[:, 0])
    roads = [line((1000, 1000), (2000, 2000)), line((2000, 2000), (3000, 3000))]
    assert entries_m(rings.ring_entries(ring, roads)) == [(1, 2000, 2000)]


def test_find_entries_names_ring_and_road_class():
    roads = [line((-500, 1000), (500, 1000)), line((1000, 1500), (1000, 2500))]
    inner = polygon((0, 0), (1200, 0), (1200, 1200), (0, 1200))
    found = rings.find_entries({"外圈": SQUARE, "内圈": inner}, roads, ["trunk", "residential"])
    assert sorted(zip(found["ring"], found["road"], found["road_class"])) == [
        ("内圈", 0, "trunk"), ("外圈", 0, "trunk"), ("外圈", 1, "residential")]


# --- Coverage and leaks ------------------------------------------------------------------------------


@pytest.fixture
def four_entries():
    """Four roads crossing the square's south side at x = 400, 800, 1200, 1600."""
    roads = [line((x, -500), (x, 500)) for x in (400, 800, 1200, 1600)]
    entries = rings.find_entries({"县际": SQUARE}, roads, ["residential", "motorway", "primary", "residential"])
    assert len(entries) == 4
    return entries


def checkpoints_at(points_m, duty, ring=None, kind=None) -> pd.DataFrame:
    xy = lonlat(*points_m)
    n = len(points_m)
    return pd.DataFrame({"id": [f"cp{i}" for i in range(n)], "lat": xy[:, 1], "lon": xy[:, 0],
                         "duty": duty, "ring": ring or ["县际"] * n, "kind": kind or ["post"] * n})


def test_duty_modes_change_which_entries_are_covered(four_entries):
    checkpoints = checkpoints_at([(400, -50), (800, 100), (1200, 0)], ["routine", "emergency", "wartime"],
                                 kind=["station", "point", "vehicle"])
    covered = {mode: rings.cover_entries(four_entries, checkpoints, mode).sort_values("road")["covered"].tolist()
               for mode in rings.DUTY_LEVELS}
    assert covered == {"routine": [True, False, False, False],
                       "emergency": [True, True, False, False],
                       "wartime": [True, True, True, False]}   # the vehicle checkpoint (卡口) counts
    result = rings.cover_entries(four_entries, checkpoints, "emergency").sort_values("road")
    assert result["checkpoint"].tolist() == ["cp0", "cp1", "cp1", "cp1"]
    np.testing.assert_allclose(result["checkpoint_distance_m"].iloc[:2], [50, 100], rtol=1e-3)


def test_cover_distance_and_checkpoints_of_other_rings(four_entries):
    other_ring = checkpoints_at([(400, 199)], ["routine"], ring=["城区"])
    assert rings.cover_entries(four_entries, other_ring, "routine")["covered"].sum() == 1
    too_far = checkpoints_at([(400, 201)], ["routine"])
    assert rings.cover_entries(four_entries, too_far, "routine")["covered"].sum() == 0
    assert rings.cover_entries(four_entries, too_far, "routine", distance_m=250)["covered"].sum() == 1
    nobody = rings.cover_entries(four_entries, checkpoints_at([(400, 0)], ["wartime"]), "routine")
    assert not nobody["covered"].any() and nobody["checkpoint"].isna().all()


def test_leaks_ranked_by_road_class_then_incidents(four_entries):
    covered = rings.cover_entries(four_entries, checkpoints_at([(3000, 3000)], ["routine"]), "routine")
    incidents = pd.DataFrame(dict(zip(["lon", "lat"], lonlat((1700, 100), (1700, -100), (300, 200)).T)))
    leaks = rings.rank_leaks(covered, incidents)
    x = np.rint(metres(leaks["lat"], leaks["lon"])[:, 0]).astype(int).tolist()
    assert x == [800, 1200, 1600, 400]              # motorway, primary, then residential by incidents
    assert leaks["incidents_nearby"].tolist() == [0, 0, 2, 1]
    assert leaks["rank"].tolist() == [1, 2, 3, 4]


def test_summary_per_ring(four_entries):
    covered = rings.cover_entries(four_entries, checkpoints_at([(400, 0), (800, 0)], ["routine", "wartime"]),
                                  "routine")
    summary = rings.ring_summary(covered, rings=["县际", "城区"])
    assert summary.set_index("ring").to_dict("index") == {"城区": {"entries": 0, "covered": 0, "leaks": 0},
                                                          "县际": {"entries": 4, "covered": 1, "leaks": 3}}


# --- Interception ------------------------------------------------------------------------------------


@pytest.fixture
def escape_network():
    """Roads from an incident at the centre (1000, 1000) of the square ring, all at 36 km/h (10 m/s):

    - east: straight out through (2000, 1000): 1000 m, 100 s;
    - south: out through (1000, 0): 1000 m, 100 s (checkpoints: routine 30 m away, wartime-only to the north);
    - west: leaves through (0, 1000) at 1000 m, loops, and re-enters through (0, 1400) at 2000 m: that
      entry is reached only by crossing the ring at (0, 1000) first;
    - north: a detour out through (1000, 2000): 500 + 800 + 400 + 800 + 100 = 2600 m, 260 s.
    """
    roads = [
        line((1000, 1000), (2000, 1000), (2500, 1000)),                                   # 0 east
        line((1000, 1000), (1000, 0), (1000, -500)),                                      # 1 south
        line((1000, 1000), (0, 1000), (-300, 1000), (-300, 1400), (0, 1400), (500, 1400)),  # 2 west loop
        line((1000, 1000), (1000, 1500), (1800, 1500), (1800, 1900), (1000, 1900), (1000, 2000),
             (1000, 2500)),                                                               # 3 north detour
    ]
    graph = rg.build_road_graph(roads, np.full(len(roads), 36.0))
    entries = rings.find_entries({"城区": SQUARE}, roads, ["primary", "trunk", "residential", "tertiary"])
    assert len(entries) == 5
    checkpoints = checkpoints_at([(1000, -30), (1000, 2000)], ["routine", "wartime"])
    return graph, entries, checkpoints


def interception(escape_network, mode, **kwargs):
    graph, entries, checkpoints = escape_network
    placed = rings.place_entries(graph, rings.cover_entries(entries, checkpoints, mode))
    return graph, rings.intercept(graph, placed, *latlng(1000, 1000), mode, **kwargs)


def by_position(result) -> dict[tuple[int, int], dict]:
    """Entry rows keyed by their (x, y) in metres, each with its row ``position``."""
    xy = np.rint(metres(result.entries["lat"], result.entries["lon"])).astype(int)
    return {(int(x), int(y)): {**row, "position": i}
            for i, ((x, y), row) in enumerate(zip(xy, result.entries.to_dict("records")))}


def test_drive_times_to_entries_and_first_crossings(escape_network):
    _, result = interception(escape_network, "routine")
    rows = by_position(result)
    assert {k: round(r["minutes"] * 60) for k, r in rows.items()} == {
        (2000, 1000): 100, (1000, 0): 100, (0, 1000): 100, (0, 1400): 200, (1000, 2000): 260}
    # The car already left at (0, 1000) on its way to (0, 1400).
    assert rows[(0, 1400)]["first_crossing"] == rows[(0, 1000)]["position"]
    assert rows[(0, 1000)]["routes_through"] == 2 and rows[(0, 1400)]["routes_through"] == 0
    assert rows[(0, 1000)]["escape"] and not rows[(0, 1400)]["escape"]
    assert all(r["first_crossing"] == r["position"] for k, r in rows.items() if k != (0, 1400))


def test_closing_times_by_duty_mode(escape_network):
    # Routine: the south checkpoint closes after 15 min, the car is there in 100 s: it gets through.
    _, routine = interception(escape_network, "routine")
    rows = by_position(routine)
    assert rows[(1000, 0)]["covered"] and rows[(1000, 0)]["open_on_arrival"] and rows[(1000, 0)]["escape"]
    assert not rows[(1000, 2000)]["covered"]                   # its checkpoint is wartime-only
    assert rows[(1000, 2000)]["escape"]                        # a leak: never closed
    # Wartime: the north checkpoint is staffed; closing in 5 min (default) it is still open at 260 s,
    # closing in 4 min it is shut before the car arrives.
    _, wartime = interception(escape_network, "wartime")
    assert by_position(wartime)[(1000, 2000)]["open_on_arrival"]
    _, wartime = interception(escape_network, "wartime", closing_minutes={"wartime": 4.0})
    rows = by_position(wartime)
    assert rows[(1000, 2000)]["covered"] and not rows[(1000, 2000)]["open_on_arrival"]
    assert rows[(1000, 0)]["open_on_arrival"]                  # 100 s < 4 min
    _, fast_close = interception(escape_network, "wartime", closing_minutes={"wartime": 1.5})
    rows = by_position(fast_close)
    assert not rows[(1000, 0)]["open_on_arrival"] and not rows[(1000, 0)]["escape"]
    assert rows[(2000, 1000)]["escape"]                        # a leak stays open


def test_leaks_on_escape_routes(escape_network):
    _, result = interception(escape_network, "routine")
    rows = by_position(result)
    on_route = {k for k, r in rows.items() if r["leak_on_escape_route"]}
    # Every leak the fastest routes leave through; not (0, 1400), which routes reach only after leaving.
    assert on_route == {(2000, 1000), (0, 1000), (1000, 2000)}


def test_escape_route_geometry(escape_network):
    graph, result = interception(escape_network, "routine")
    position = next(i for i, k in enumerate(by_position(result)) if k == (0, 1400))
    route = rings.escape_route(graph, result, position)
    xy = np.rint(metres(*np.asarray(route.coords)[:, ::-1].T)).astype(int)
    assert xy[0].tolist() == [1000, 1000] and xy[-1].tolist() == [0, 1400]
    assert [0, 1000] in xy.tolist() and [-300, 1400] in xy.tolist()


def test_origin_in_the_middle_of_an_edge_that_crosses_the_ring():
    # One straight edge (1500, 1000) → (2500, 1000) crosses the east side at (2000, 1000); the car starts
    # at (1800, 1000) on it. Beyond its east end a road loops round and re-enters at (1500, 2000).
    roads = [line((1500, 1000), (2500, 1000)), line((2500, 1000), (2500, 2500), (1500, 2500), (1500, 1500))]
    graph = rg.build_road_graph(roads, [36.0, 36.0])
    entries = rings.find_entries({"城区": SQUARE}, roads)
    placed = rings.place_entries(graph, rings.cover_entries(entries, checkpoints_at([(0, 0)], ["routine"]),
                                                            "routine"))
    rows = by_position(rings.intercept(graph, placed, *latlng(1800, 1000), "routine"))
    assert round(rows[(2000, 1000)]["minutes"] * 60) == 20       # straight along the edge: 200 m
    assert round(rows[(1500, 2000)]["minutes"] * 60) == 70 + 150 + 100 + 50
    assert rows[(2000, 1000)]["first_crossing"] == rows[(2000, 1000)]["position"]
    assert rows[(1500, 2000)]["first_crossing"] == rows[(2000, 1000)]["position"]

    # One 5 km edge through the whole square, the car at its middle (1000, 1000): both entries are reached
    # straight along the edge, each crossing only itself (not the other, beyond the car's back).
    road = [line((-500, 1000), (4500, 1000))]
    graph = rg.build_road_graph(road, [36.0])
    placed = rings.place_entries(graph, rings.cover_entries(rings.find_entries({"城区": SQUARE}, road),
                                                            checkpoints_at([(0, 0)], ["routine"]), "routine"))
    rows = by_position(rings.intercept(graph, placed, *latlng(1000, 1000), "routine"))
    assert {k: round(r["minutes"] * 60) for k, r in rows.items()} == {(0, 1000): 100, (2000, 1000): 100}
    assert all(r["first_crossing"] == r["position"] and r["routes_through"] == 1 for r in rows.values())


def test_limit_and_unreached_entries(escape_network):
    _, result = interception(escape_network, "routine", limit_minutes=2.0)
    rows = by_position(result)
    assert np.isinf(rows[(1000, 2000)]["minutes"]) and rows[(1000, 2000)]["first_crossing"] == -1
    assert not rows[(1000, 2000)]["open_on_arrival"]


def test_interception_on_a_demo_size_network():
    # ~5,000 edges: a 50 x 50 grid at 100 m, ring around its middle.
    ticks = np.arange(50) * 100.0
    roads = [line(*[(x, t) for x in ticks]) for t in ticks] + [line(*[(t, y) for y in ticks]) for t in ticks]
    ring = polygon((1050, 1050), (3950, 1050), (3950, 3950), (1050, 3950))
    graph = rg.build_road_graph(roads, np.full(len(roads), 40.0))
    entries = rings.find_entries({"城区": ring}, roads, ["primary"] * len(roads))
    assert len(entries) == 4 * 29
    checkpoints = checkpoints_at([(x, 1050) for x in ticks[11:40:2]], ["routine"] * 15)
    placed = rings.place_entries(graph, rings.cover_entries(entries, checkpoints, "routine"))
    result = rings.intercept(graph, placed, *latlng(2500, 2500), "routine")     # timed in bench/, not here
    # Nearest entries: straight down/up/across from the centre, 1450 m, each its own first crossing.
    minutes = result.entries["minutes"].to_numpy()
    first = result.entries["first_crossing"].to_numpy()
    nearest = np.flatnonzero(np.isclose(minutes, 1450 / (40 / 3.6) / 60, rtol=1e-3))
    assert len(nearest) == 4 and (first[nearest] == nearest).all()
    # A route never crosses the ring later than it reaches its target.
    assert (minutes[first] <= minutes + 1e-9).all()
