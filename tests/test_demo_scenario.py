"""The embedded Emeishan demo scenario: determinism, geography, equipment, patrols, incidents."""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from data_pipeline.demo import generate_scenario
from data_pipeline.demo.checkpoints import county_entries
from data_pipeline.demo.geography import build_geography, load_county_outline_lonlat
from data_pipeline.demo.roads import build_road_network

ANCHOR = dt.date(2026, 6, 30)
METRIC = "EPSG:32648"  # UTM 48N, metres
SCENIC_STATION = "511181-04"  # 峨眉山景区派出所
SMALL_SCALE = 0.2  # 20,000 incidents: enough for monthly comparisons, fast to generate


@pytest.fixture(scope="module")
def scenario():
    return generate_scenario(seed=7, scale=SMALL_SCALE, anchor=ANCHOR)


@pytest.fixture(scope="module")
def incidents(scenario):
    return pd.concat(scenario.iter_incidents(), ignore_index=True)


def _level(scenario, level: str):
    return scenario.boundaries[scenario.boundaries["level"] == level]


def _metric(frame):
    return frame.to_crs(METRIC)


def test_same_seed_gives_identical_frames(scenario):
    again = generate_scenario(seed=7, scale=SMALL_SCALE, anchor=ANCHOR)
    for name in ("places", "cameras", "checkpoints", "patrols"):
        pd.testing.assert_frame_equal(getattr(scenario, name), getattr(again, name))
    for name in ("boundaries", "roads"):
        a, b = getattr(scenario, name), getattr(again, name)
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert a.geometry.to_wkb().tolist() == b.geometry.to_wkb().tolist()
    first = next(scenario.iter_incidents(chunk_rows=3_000))
    pd.testing.assert_frame_equal(first, next(again.iter_incidents(chunk_rows=3_000)))


def test_different_seed_gives_different_frames(scenario):
    other = generate_scenario(seed=8, scale=SMALL_SCALE, anchor=ANCHOR)
    assert not scenario.cameras[["lat", "lon"]].equals(other.cameras[["lat", "lon"]])
    assert not scenario.patrols[["lat", "lon"]].head(1000).equals(other.patrols[["lat", "lon"]].head(1000))
    a = next(scenario.iter_incidents(chunk_rows=2_000))
    b = next(other.iter_incidents(chunk_rows=2_000))
    assert not a[["lat", "lon"]].equals(b[["lat", "lon"]])


def test_incidents_do_not_depend_on_chunk_size(scenario, incidents):
    chunks = list(scenario.iter_incidents(chunk_rows=7_001))
    assert [len(c) for c in chunks[:-1]] == [7_001] * (len(chunks) - 1)
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), incidents)
    assert len(incidents) == scenario.incident_count == round(100_000 * SMALL_SCALE)


def test_bureau_is_the_real_emeishan_outline(scenario):
    bureau = _level(scenario, "bureau")
    assert bureau["id"].tolist() == ["511181"]
    area_km2 = _metric(bureau).area.iloc[0] / 1e6
    assert 1_100 < area_km2 < 1_250  # 峨眉山市 is ≈ 1,183 km²


def test_every_boundary_is_valid_and_has_a_parent(scenario):
    b = scenario.boundaries
    assert b.geometry.is_valid.all()
    assert set(b.geom_type) <= {"Polygon", "MultiPolygon"}
    assert b["id"].is_unique
    assert set(b["level"]) == {"bureau", "station", "community", "grid", "ring"}
    children = b[b["level"] != "bureau"]
    assert children["parent_id"].isin(b["id"]).all()
    assert {"城区圈", "县际圈"} <= set(_level(scenario, "ring")["name"])


def test_stations_tile_the_county(scenario):
    stations = _metric(_level(scenario, "station"))
    outline = _metric(_level(scenario, "bureau")).geometry.iloc[0]
    union = shapely.union_all(stations.geometry.values)
    assert 8 <= len(stations) <= 12
    assert abs(union.area - outline.area) / outline.area < 0.005
    assert outline.symmetric_difference(union).area / outline.area < 0.005
    overlap = stations.area.sum() - union.area
    assert overlap / outline.area < 1e-4
    assert {"绥山派出所", "名山派出所", "峨山派出所"} <= set(stations["name"])


def test_communities_and_villages_lie_in_their_station(scenario):
    communities = _metric(_level(scenario, "community"))
    stations = _metric(_level(scenario, "station")).set_index("id")
    assert len(communities) == 24 + 128
    for _, row in communities.iterrows():
        parent = stations.geometry[row["parent_id"]]
        assert row.geometry.difference(parent).area < 1.0, row["name"]


def test_grids_subdivide_urban_communities(scenario):
    grids = _metric(_level(scenario, "grid"))
    communities = _metric(_level(scenario, "community")).set_index("id")
    assert 150 <= len(grids) <= 600
    parents = communities.loc[grids["parent_id"].unique()]
    assert len(parents) == 24  # grids subdivide the urban communities only
    for cid, group in grids.groupby("parent_id"):
        assert abs(group.area.sum() - communities.geometry[cid].area) / communities.geometry[cid].area < 1e-3


def test_urban_ring_has_four_stations_eight_posts_two_points(scenario):
    urban = scenario.checkpoints[scenario.checkpoints["ring"] == "城区圈"]
    assert urban["kind"].value_counts().to_dict() == {"post": 8, "station": 4, "point": 2}
    assert set(scenario.checkpoints["ring"]) <= set(_level(scenario, "ring")["name"])
    assert set(scenario.checkpoints["duty"]) <= {"wartime", "emergency", "routine"}


def test_county_ring_leaves_some_entries_open(scenario):
    geo = build_geography(7)
    entries = county_entries(geo, build_road_network(geo, 7))
    covered = scenario.checkpoints[scenario.checkpoints["ring"] == "县际圈"]
    assert (covered["kind"] == "vehicle").all()
    assert 5 <= len(covered) < len(entries)


def test_camera_inventory_matches_the_seeds(scenario):
    cams = scenario.cameras
    kinds = cams["kind"].value_counts()
    assert len(cams) == 3_102
    assert kinds["face"] == 40 and kinds["vehicle"] == 35
    assert 550 <= (cams["owner"] == "social").sum() <= 650
    assert 0.85 <= (cams["status"] == "online").mean() <= 0.95
    domes = cams["azimuth_deg"].isna()
    assert (cams.loc[domes, "fov_deg"] == 360).all()
    assert cams.loc[~domes, "fov_deg"].between(30, 90).all()
    assert cams["range_m"].between(20, 150).all()
    assert cams["installed_at"].max() <= ANCHOR


def test_rural_camera_density_is_far_below_the_core(scenario):
    cams = scenario.cameras
    ring = _metric(_level(scenario, "ring").query("name == '城区圈'")).geometry.iloc[0]
    outline = _metric(_level(scenario, "bureau")).geometry.iloc[0]
    xy = _metric(_points(cams)).get_coordinates()
    inside = shapely.contains_xy(ring, xy["x"].to_numpy(), xy["y"].to_numpy())
    core_density = inside.sum() / (ring.area / 1e6)
    rural_density = (~inside).sum() / ((outline.area - ring.area) / 1e6)
    assert rural_density < core_density / 20


def _points(frame):
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")


def test_roads_are_noded_and_connected(scenario):
    roads = _metric(scenario.roads)
    assert 500 <= len(roads) <= 5_000
    assert set(roads["road_class"]) <= {"motorway", "trunk", "primary", "secondary", "tertiary", "residential",
                                        "track"}
    ends = np.round(np.vstack([np.array([g.coords[0], g.coords[-1]]) for g in roads.geometry]), 2)
    nodes = {tuple(p): i for i, p in enumerate(np.unique(ends, axis=0))}
    graph = nx.Graph([(nodes[tuple(ends[2 * i])], nodes[tuple(ends[2 * i + 1])]) for i in range(len(roads))])
    assert nx.is_connected(graph)
    surface = roads[roads["road_class"] != "motorway"].geometry.values  # motorways cross on bridges
    left, right = shapely.STRtree(surface).query(surface, predicate="crosses")
    assert len(left) == 0


def test_places_cover_the_key_kinds(scenario):
    places = scenario.places
    assert 100 <= len(places) <= 200
    counts = places["kind"].value_counts()
    assert counts["night_market"] in (2, 3) and counts["hotel"] >= 30
    assert {"峨眉山站", "报国寺"} <= set(places["name"])


def test_patrols_ping_every_30_s_along_roads(scenario):
    pings = scenario.patrols
    assert pings["unit_id"].nunique() >= 24
    assert set(pings["unit_kind"]) <= {"car", "motorbike", "foot", "other"}
    steps = pings.groupby("unit_id")["ts"].diff().dropna().dt.total_seconds()
    assert (steps == 30).mean() > 0.99
    start = pd.Timestamp(ANCHOR - dt.timedelta(days=13))
    assert pings["ts"].min() >= start and pings["ts"].max() < pd.Timestamp(ANCHOR + dt.timedelta(days=1))
    sample = _metric(_points(pings.sample(3_000, random_state=1)))
    roads = _metric(scenario.roads).geometry.values
    _, distance = shapely.STRtree(roads).query_nearest(sample.geometry.values, return_distance=True)
    assert np.quantile(distance, 0.99) < 30


def test_point_layers_lie_inside_the_county(scenario):
    outline = load_county_outline_lonlat()
    for name in ("places", "cameras", "checkpoints", "patrols"):
        frame = getattr(scenario, name)
        assert shapely.contains_xy(outline, frame["lon"].to_numpy(), frame["lat"].to_numpy()).all(), name


def test_incidents_span_a_year_and_stay_inside_the_county(incidents):
    assert incidents["id"].is_unique
    assert incidents["occurred_at"].max() - incidents["occurred_at"].min() > pd.Timedelta(days=365)
    assert incidents["occurred_at"].max() < pd.Timestamp(ANCHOR + dt.timedelta(days=1))
    located = incidents.dropna(subset=["lat", "lon"])
    assert 0.002 < 1 - len(located) / len(incidents) < 0.01
    outline = load_county_outline_lonlat()
    assert shapely.contains_xy(outline, located["lon"].to_numpy(), located["lat"].to_numpy()).all()


def test_incident_timestamps_are_ordered_and_coded(incidents):
    assert (incidents["reported_at"] >= incidents["occurred_at"]).all()
    dispatched = incidents.dropna(subset=["dispatched_at"])
    assert (dispatched["dispatched_at"] >= dispatched["reported_at"]).all()
    arrived = incidents.dropna(subset=["arrived_at"])
    assert (arrived["arrived_at"] >= arrived["dispatched_at"]).all()
    assert incidents["closed_at"].isna().any() and incidents["dispatched_at"].isna().any()
    assert (incidents.loc[incidents["closed_at"].notna(), "status"] == "closed").all()
    assert set(incidents["source"]) == {"call_110", "patrol", "grid_report", "video_patrol"}
    mix = incidents["category"].value_counts(normalize=True)
    assert mix.index[0] == "theft"  # property crime is the largest block


def test_incident_rhythms_follow_the_category(incidents):
    hour = incidents["occurred_at"].dt.hour
    telecom = hour[incidents["category"] == "telecom_fraud"]
    assert telecom.between(8, 18).mean() > 0.7
    violence = hour[incidents["category"] == "violence"]
    assert ((violence >= 20) | (violence < 3)).mean() > 0.5


def test_tourist_season_fills_the_scenic_station(scenario, incidents):
    station = _level(scenario, "station").set_index("id").geometry[SCENIC_STATION]
    located = incidents.dropna(subset=["lat", "lon"])
    inside = shapely.contains_xy(station, located["lon"].to_numpy(), located["lat"].to_numpy())
    months = located.loc[inside, "occurred_at"].dt.to_period("M").value_counts()
    summer = months[[m for m in months.index if m.month in (7, 8)]].mean()
    off_season = months[[m for m in months.index if m.month in (3, 4, 11, 12)]].mean()
    assert summer > 1.3 * off_season


def test_filed_incidents_decline_year_on_year(incidents):
    end = pd.Timestamp(ANCHOR + dt.timedelta(days=1))
    year = pd.Timedelta(days=365)
    last = incidents["occurred_at"].between(end - year, end, inclusive="left").sum()
    previous = incidents["occurred_at"].between(end - 2 * year, end - year, inclusive="left").sum()
    assert 0.80 < last / previous < 0.97
