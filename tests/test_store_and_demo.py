"""The store as a whole: the demo build, every SQL query, Parquet inputs, incremental aggregates."""
from __future__ import annotations

import json
import re
from datetime import datetime

import duckdb
import geopandas as gpd
import pandas as pd
import pytest
import shapely

import queries
from data_pipeline.h3cells import MAP_RESOLUTIONS
from tests.conftest import cli, query, report_json

ANCHOR = "2026-06-30"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    cli("build-demo", "--db", db, "--scale", "0.1", "--seed", "5", "--anchor", ANCHOR)
    return db


def test_demo_store_reconciles_and_assigns_every_located_incident(demo_db):
    report = report_json(demo_db)
    assert report["ok"]
    kinds = report["kinds"]
    assert set(kinds) == {"boundaries", "roads", "places", "cameras", "checkpoints", "patrols", "incidents"}
    assert kinds["incidents"]["loaded"] == kinds["incidents"]["rows_read"] > 9_000
    assert report["incidents_located_without_station"] == 0
    levels = dict(query(demo_db, "SELECT level, count(*) FROM jurisdictions GROUP BY level"))
    assert levels["bureau"] == 1 and levels["station"] >= 8 and levels["community"] >= 150 and levels["grid"] > 100


def test_demo_build_is_deterministic_for_seed_and_anchor(demo_db, tmp_path):
    again = tmp_path / "again.duckdb"
    cli("build-demo", "--db", again, "--scale", "0.1", "--seed", "5", "--anchor", ANCHOR)
    digest = ("SELECT md5(string_agg(id || occurred_at::VARCHAR || category || coalesce(station_id, '') || "
              "coalesce(h3_r9::VARCHAR, ''), ',' ORDER BY id)) FROM incidents")
    assert query(again, digest) == query(demo_db, digest)
    other = tmp_path / "other.duckdb"
    cli("build-demo", "--db", other, "--scale", "0.1", "--seed", "6", "--anchor", ANCHOR)
    assert query(other, digest) != query(demo_db, digest)


def test_demo_spans_a_year_before_the_anchor(demo_db):
    first, last = query(demo_db, "SELECT min(occurred_at), max(occurred_at) FROM incidents")[0]
    assert last.date().isoformat() == ANCHOR
    assert (last - first).days >= 365


def test_aggregates_equal_the_incidents_they_summarise(demo_db):
    for res in MAP_RESOLUTIONS:
        got = query(demo_db, "SELECT sum(incidents) FROM incident_cells WHERE res = $r", {"r": res})[0][0]
        assert got == query(demo_db, "SELECT count(*) FROM incidents WHERE located")[0][0], res


def _params_for(sql: str) -> dict:
    values = {"res": 9, "from_ts": datetime(2025, 1, 1), "to_ts": datetime(2027, 1, 1), "categories": None,
              "stations": None, "run_id": None, "hours": None, "cell": 0, "limit": 5,
              "level": "station", "bucket": "week",
              "zones": None, "station": "511181-01", "scope": None, "statuses": ["online"], "kinds": None,
              "owners": None, "by": "station"}
    return {name: values[name] for name in set(re.findall(r"\$(\w+)", sql))}


@pytest.mark.parametrize("name", [n for n in queries.names() if n != "schema"])
def test_every_query_runs_on_a_real_store(name, demo_db, tmp_path):
    """Each .sql file binds its parameters and runs (writers on a copy of the store)."""
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    con = duckdb.connect(str(copy))
    try:
        assert queries.doc(name), f"{name}.sql needs a first comment line"
        con.execute("CREATE TABLE IF NOT EXISTS incident_cells_compact AS FROM incident_cells LIMIT 0")
        queries.run(con, name, **_params_for(queries.sql(name))).fetchall()
    finally:
        con.close()


def test_geoparquet_boundaries_and_parquet_points(tmp_path):
    db = tmp_path / "s.duckdb"
    zones = gpd.GeoDataFrame({"id": ["A", "B"], "name": ["甲派出所", "乙派出所"]},
                             geometry=[shapely.box(103.0, 29.0, 103.5, 29.5), shapely.box(103.5, 29.0, 104.0, 29.5)],
                             crs=4326)
    zones.to_parquet(tmp_path / "zones.parquet")
    points = gpd.GeoDataFrame({"id": ["1", "2", "3"], "occurred_at": ["2025-01-01 08:00"] * 3,
                               "category": ["盗窃", "fraud", "unknown thing"]},
                              geometry=[shapely.Point(103.2, 29.2), shapely.Point(103.7, 29.3), shapely.Point(0, 0)],
                              crs=4326)
    points.to_parquet(tmp_path / "points.parquet")
    cli("ingest", "boundaries", tmp_path / "zones.parquet", "--db", db)
    cli("ingest", "incidents", tmp_path / "points.parquet", "--db", db)
    rows = query(db, "SELECT id, category, station_id, located FROM incidents ORDER BY id")
    assert rows == [("1", "theft", "A", True), ("2", "fraud", "B", True), ("3", "other", None, False)]


def test_incremental_aggregates_equal_a_full_rebuild(tmp_path):
    """Two ingests append aggregate rows; their sums per cell equal a rebuild from all incidents."""
    db = tmp_path / "inc.duckdb"
    times = pd.date_range("2025-03-01", periods=400, freq="37min")
    for part in (0, 1):
        frame = pd.DataFrame({"id": [f"{part}-{i}" for i in range(200)],
                              "occurred_at": times[part * 200:(part + 1) * 200].strftime("%Y-%m-%d %H:%M"),
                              "lat": 29.55 + (pd.RangeIndex(200) % 17) * 0.004,
                              "lon": 103.45 + (pd.RangeIndex(200) % 13) * 0.005})
        frame.to_csv(tmp_path / f"part{part}.csv", index=False)
        cli("ingest", "incidents", tmp_path / f"part{part}.csv", "--db", db)
    expected = query(db, "SELECT h3_r8, count(*) FROM incidents GROUP BY 1 ORDER BY 1")
    got = query(db, "SELECT cell, sum(incidents)::BIGINT FROM incident_cells WHERE res = 8 GROUP BY 1 ORDER BY 1")
    assert got == expected
    export = tmp_path / "cells.csv"
    cli("export", "cells", "--db", db, "--resolution", "8", "--out", export)
    assert sum(pd.read_csv(export)["incidents"]) == 400


def test_report_json_is_machine_readable(demo_db):
    data = json.loads(cli("report", "--db", demo_db, "--json").stdout)
    for counts in data["kinds"].values():
        assert counts["rows_read"] == counts["loaded"] + counts["duplicates"] + counts["rejected"]
