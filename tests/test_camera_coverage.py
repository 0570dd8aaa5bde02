"""Camera coverage in the store (issue 5): the pipeline's coverage stage and the CLI contracts, on real data.

Chicago's red-light and speed cameras over its 148,636 aggravated assaults: the share of incidents in sight
that ``export coverage`` reports is checked against an exact, independent point-in-sector count (geodesic
sector polygons from pyproj, shapely containment; no code of ours). The demo checks the incremental stage
(cameras in two files = in one), the blind-spot and plan-cameras contracts.
"""
from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
import shapely
from conftest import MAPPINGS, REPO, cli, ingest_json, query
from pyproj import Geod

CAMERA_FILES = ("red_light", "speed")
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def chicago_cameras(chicago_store, shared_data, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("chicago-cameras") / "chicago.duckdb"
    shutil.copyfile(chicago_store, db)
    for name in CAMERA_FILES:
        ingest_json("cameras", shared_data / "cameras" / f"chicago_{name}_camera_locations.csv", db=db,
                    mapping=MAPPINGS / f"chicago_{name}_cameras.toml")
    return db


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def geodesic_sector(lat: float, lon: float, azimuth_deg, fov_deg: float, range_m: float) -> shapely.Polygon:
    """The sector as a polygon of geodesic points every 0.5° (a full circle when fov >= 360 or no azimuth)."""
    if azimuth_deg is None or fov_deg >= 360:
        bearings = np.arange(0, 360, 0.5)
        apex = []
    else:
        bearings = np.linspace(azimuth_deg - fov_deg / 2, azimuth_deg + fov_deg / 2,
                               max(2, int(math.ceil(fov_deg / 0.5)) + 1))
        apex = [(lon, lat)]
    lons, lats, _ = GEOD.fwd(np.full(len(bearings), lon), np.full(len(bearings), lat), bearings,
                             np.full(len(bearings), range_m))
    return shapely.Polygon(apex + list(zip(lons, lats)) + apex)


def test_export_coverage_share_equals_an_exact_point_in_sector_count(chicago_cameras, tmp_path):
    out = tmp_path / "coverage.csv"
    cli("export", "coverage", "--db", chicago_cameras, "--resolution", "9", "--out", out)
    rows = read_csv(out)
    assert list(rows[0]) == ["cell", "coverage", "incidents", "covered_incidents"]
    incidents = sum(int(r["incidents"]) for r in rows)
    covered = sum(int(r["covered_incidents"]) for r in rows)
    assert incidents == query(chicago_cameras, "SELECT count(*) FROM incidents WHERE located")[0][0]
    assert all(0 <= float(r["coverage"]) <= 1 for r in rows)

    cameras = query(chicago_cameras, "SELECT lat, lon, azimuth_deg, fov_deg, range_m FROM cameras "
                                     "WHERE located AND status = 'online'")
    assert len(cameras) == 309 and sum(a is not None for _, _, a, _, _ in cameras) > 250
    sectors = [geodesic_sector(*c) for c in cameras]
    points = np.array(query(chicago_cameras, "SELECT lon, lat FROM incidents WHERE located"))
    tree = shapely.STRtree(shapely.points(points))
    inside = np.zeros(len(points), dtype=bool)
    for sector in sectors:
        inside[tree.query(sector, predicate="intersects")] = True
    exact = int(inside.sum())
    assert exact > 100, "Chicago's cameras should see some assaults"
    assert abs(covered / incidents - exact / incidents) <= 0.02
    assert abs(covered - exact) <= max(3, 0.01 * exact)     # per point, so nearly equal, not just close


def test_coverage_cells_hold_the_cameras_sight(chicago_cameras):
    """Nearly every camera sees some res-12 cell centres (a 40° × 40 m sector is ~2 fine cells), every map cell
    it touches has a capacity, and no cell is more than wholly covered."""
    con = duckdb.connect(str(chicago_cameras), read_only=True)
    try:
        cameras = con.execute("SELECT count(*) FROM cameras WHERE located").fetchone()[0]
        seeing = con.execute("SELECT count(DISTINCT camera_id) FROM camera_cells").fetchone()[0]
        capacity = dict(con.execute("SELECT cell, fine_cells FROM coverage_capacity WHERE res = 9").fetchall())
        fine = dict(con.execute("SELECT r9, count(DISTINCT cell) FROM camera_cells GROUP BY 1").fetchall())
    finally:
        con.close()
    assert seeing >= 0.95 * cameras
    assert set(fine) <= set(capacity)
    assert all(0 < fine[c] <= capacity[c] for c in fine)


def test_cameras_in_two_files_give_the_same_coverage_as_in_one(demo_cameras_split, tmp_path):
    whole, split = demo_cameras_split
    for table, order in (("camera_cells", "camera_id, cell"), ("incident_coverage", "id"),
                         ("coverage_capacity", "res, cell")):
        columns = "camera_id, cell, r7, r8, r9, r10" if table == "camera_cells" else "*"
        assert query(whole, f"SELECT {columns} FROM {table} ORDER BY {order}") == \
            query(split, f"SELECT {columns} FROM {table} ORDER BY {order}"), table


@pytest.fixture(scope="module")
def demo_cameras_split(tmp_path_factory):
    """The same demo built twice: once as is, once with its cameras loaded in two halves after the incidents."""
    folder = tmp_path_factory.mktemp("split")
    whole, split = folder / "whole.duckdb", folder / "split.duckdb"
    cli("build-demo", "--db", whole, "--scale", "0.05", "--seed", "5", "--anchor", "2026-06-30")
    rows = query(whole, "SELECT id, lat, lon, kind, owner, azimuth_deg, fov_deg, range_m, status FROM cameras")
    header = ["id", "lat", "lon", "kind", "owner", "azimuth_deg", "fov_deg", "range_m", "status"]
    halves = [folder / "cameras-a.csv", folder / "cameras-b.csv"]
    for path, part in zip(halves, (rows[::2], rows[1::2])):
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows([header, *part])
    shutil.copyfile(whole, split)
    without_cameras(split)
    for path in halves:
        ingest_json("cameras", path, db=split)
    whole_copy = folder / "whole-csv.duckdb"
    # The reference: the same CSV rows in one file, so both stores hold the same (rounded) values.
    shutil.copyfile(split, whole_copy)
    without_cameras(whole_copy)
    both = folder / "cameras-all.csv"
    with open(both, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows[::2], *rows[1::2]])
    ingest_json("cameras", both, db=whole_copy)
    return whole_copy, split


def without_cameras(db) -> None:
    """The store as if no camera had ever been ingested (and nothing derived from cameras)."""
    with duckdb.connect(str(db)) as con:
        for table in ("cameras", "camera_cells", "coverage_capacity", "incident_coverage"):
            con.execute(f"DELETE FROM {table}")
        con.execute("DELETE FROM ingest_runs WHERE kind = 'cameras'")


def test_blind_spots_and_plan_cameras_contracts(demo_cameras_split, tmp_path):
    db, _ = demo_cameras_split
    spots = tmp_path / "blind.csv"
    cli("export", "blind-spots", "--db", db, "--top", "15", "--out", spots)
    ranked = read_csv(spots)
    assert 0 < len(ranked) <= 15 and {"cell", "score"} <= set(ranked[0])
    scores = [float(r["score"]) for r in ranked]
    assert scores == sorted(scores, reverse=True)
    assert [int(r["rank"]) for r in ranked] == list(range(1, len(ranked) + 1))
    assert all(float(r["coverage"]) < 0.3 and int(r["incidents"]) >= 3 for r in ranked)

    plan = tmp_path / "plan.csv"
    answer = subprocess.run([sys.executable, "-m", "data_pipeline", "plan", "cameras", "--db", str(db), "--n", "5",
                             "--range-m", "60", "--fov-deg", "75", "--out", str(plan)], cwd=REPO,
                            capture_output=True, text=True, check=True)
    summary = json.loads(answer.stdout.strip().splitlines()[-1])
    cameras = read_csv(plan)
    assert list(cameras[0]) == ["lat", "lon", "azimuth_deg", "fov_deg", "range_m", "gain_incidents"]
    assert len(cameras) == 5 and all(float(c["range_m"]) == 60 and float(c["fov_deg"]) == 75 for c in cameras)
    gains = [int(c["gain_incidents"]) for c in cameras]
    assert gains == sorted(gains, reverse=True) and gains[0] > 0
    assert summary["covered_after"] - summary["covered_before"] == sum(gains)
    assert summary["incidents"] == query(db, "SELECT count(*) FROM incidents WHERE located")[0][0]
    in_sight = query(db, "SELECT count(*) FROM incident_coverage WHERE online")[0][0]
    assert summary["covered_before"] == in_sight
