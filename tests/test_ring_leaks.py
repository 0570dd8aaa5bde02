"""Checkpoint rings on the demo store (issue 6): the ``export ring-leaks`` contract, duty modes, rings from
polygons and from checkpoints, and interception through the app's own functions.

The hand-made networks with known entries and leaks are in tests/test_rings.py; here the store's rings,
checkpoints and roads go through the same code the map and the CLI use.
"""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import duckdb
import pytest
from conftest import REPO
from test_api import demo_store_path

from data_pipeline.kinds import ROAD_CLASSES
from layers.rings import interception, ring_analysis, rings
from queries import ScopedConnection

URBAN, COUNTY = "城区圈", "县际圈"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return demo_store_path(tmp_path_factory)


def ring_leaks(db, *args: str, out) -> tuple[dict, list[dict]]:
    answer = subprocess.run([sys.executable, "-m", "data_pipeline", "export", "ring-leaks", "--db", str(db),
                             *args, "--out", str(out)], cwd=REPO, capture_output=True, text=True, check=True)
    with open(out, newline="", encoding="utf-8") as f:
        return json.loads(answer.stdout.strip().splitlines()[-1]), list(csv.DictReader(f))


def test_export_ring_leaks_contract_and_duty_modes(demo_db, tmp_path):
    by_mode = {mode: ring_leaks(demo_db, "--duty", mode, out=tmp_path / f"{mode}.csv")
               for mode in ("routine", "emergency", "wartime")}
    summary, rows = by_mode["routine"]
    assert set(summary["rings"]) == {URBAN, COUNTY}
    assert {"ring", "lat", "lon", "road_class"} <= set(rows[0])
    for mode, (summary, rows) in by_mode.items():
        leaks = sum(r["entries"] - r["covered"] for r in summary["rings"].values())
        assert len(rows) == leaks, mode
        assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    covered = [by_mode[m][0]["rings"][URBAN]["covered"] for m in ("routine", "emergency", "wartime")]
    # 4站8岗2点: the stations are staffed always, the posts from emergency on, the points only in wartime.
    assert covered[0] < covered[1] < covered[2], covered
    entries = {by_mode[m][0]["rings"][URBAN]["entries"] for m in by_mode}
    assert len(entries) == 1                                     # the entries are the roads', not the duty's
    # Leaks are ranked by road class first (motorway first), then by incidents nearby.
    order = [ROAD_CLASSES.index(r["road_class"]) for r in by_mode["routine"][1]]
    assert order == sorted(order) and order[0] == ROAD_CLASSES.index("motorway")


def test_one_ring_and_a_wider_cover_distance(demo_db, tmp_path):
    summary, rows = ring_leaks(demo_db, "--ring", URBAN, out=tmp_path / "urban.csv")
    assert set(summary["rings"]) == {URBAN} and {r["ring"] for r in rows} == {URBAN}
    wide, _ = ring_leaks(demo_db, "--ring", URBAN, "--distance-m", "2000", out=tmp_path / "wide.csv")
    assert wide["rings"][URBAN]["covered"] >= summary["rings"][URBAN]["covered"]
    refused = subprocess.run([sys.executable, "-m", "data_pipeline", "export", "ring-leaks", "--db", str(demo_db),
                              "--ring", "环省", "--out", str(tmp_path / "x.csv")], cwd=REPO, capture_output=True,
                             text=True)
    assert refused.returncode == 2 and "no ring" in refused.stderr


def test_rings_without_polygons_are_derived_from_their_checkpoints(demo_db, tmp_path):
    db = tmp_path / "no-polygons.duckdb"
    shutil.copyfile(demo_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM jurisdictions WHERE level = 'ring'")
    con = ScopedConnection(duckdb.connect(str(db), read_only=True), None)
    derived = rings(con)
    assert set(derived) == {URBAN, COUNTY} and all(r.from_checkpoints for r in derived.values())
    analysis = ring_analysis(con, "routine")
    assert set(analysis.summary["ring"]) == {URBAN, COUNTY} and analysis.summary["entries"].min() > 0
    # A ring through its own checkpoints: each checkpoint sits on the line, so its road's entry is covered.
    assert analysis.summary.set_index("ring").loc[URBAN, "covered"] > 0


def test_interception_closes_more_entries_in_wartime(demo_db):
    con = ScopedConnection(duckdb.connect(str(demo_db), read_only=True), None)
    urban = rings(con)[URBAN].polygon
    centre = urban.representative_point()
    routine = interception(con, centre.y, centre.x, "routine")
    wartime = interception(con, centre.y, centre.x, "wartime")
    assert routine.entries == wartime.entries > 0
    assert 0 < wartime.reachable <= routine.reachable
    assert 0 < routine.nearest_minutes < 30
    routes = [f for f in routine.geojson["features"] if f["properties"]["what"] == "route"]
    assert len(routes) == routine.reachable            # one fastest route per entry a car gets through
    assert all(f["geometry"]["type"] == "LineString" for f in routes)
