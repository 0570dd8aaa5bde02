"""Patrols in the store (issue 7): the presence aggregate, the response-time and reach exports (CLI contracts).

On the demo store: the pipeline's hourly presence equals ``analysis.tracks.presence_minutes`` over the same
pings; ``export response-times`` equals a pandas computation from the raw incident times; ``export reach``
lists the road cells with minutes within 5 and blanks beyond, as the map's reach function computes them.
"""
from __future__ import annotations

import csv
from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import cli
from test_api import demo_store_path

from analysis.tracks import presence_minutes
from data_pipeline.h3cells import str_to_cell
from layers.patrols import playback_end, reach_table
from queries import ScopedConnection


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return demo_store_path(tmp_path_factory)


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_hourly_presence_equals_presence_minutes_of_the_pings(demo_db):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        end = con.execute("SELECT date_trunc('hour', max(ts)) FROM patrol_pings").fetchone()[0]
        start = end - timedelta(days=3)
        stored = dict(con.execute("SELECT cell, sum(minutes) FROM patrol_presence WHERE res = 9 AND hour >= ? "
                                  "AND hour < ? AND hour(hour) BETWEEN 8 AND 19 GROUP BY cell",
                                  [start, end]).fetchall())
        pings = con.execute("SELECT unit_id, ts, lat, lon, h3_r9 AS cell FROM patrol_pings WHERE located "
                            "ORDER BY unit_id, ts").df()
    expected = presence_minutes(pings, start, end, hours=(8, 20)).set_index("cell")["minutes"]
    assert len(stored) > 50
    assert pd.Series(stored).sort_index().round(6).to_dict() == expected.sort_index().round(6).to_dict()


def test_export_response_times_by_station_and_category(demo_db, tmp_path):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        raw = con.execute("SELECT coalesce(station_id, '(none)') AS station, category, reported_at, dispatched_at, "
                          "arrived_at FROM incidents").df()
    start = raw["reported_at"].fillna(raw["dispatched_at"])
    raw["minutes"] = (raw["arrived_at"] - start).dt.total_seconds() / 60
    for by, column in (("station", "station"), ("category", "category")):
        out = tmp_path / f"{by}.csv"
        cli("export", "response-times", "--db", demo_db, "--by", by, "--out", out)
        rows = {r["group"]: r for r in read_csv(out)}
        assert list(next(iter(rows.values())))[:5] == ["group", "n", "median_min", "p90_min", "share_within_5min"]
        for group, frame in raw.groupby(column):
            valid = frame["minutes"][frame["minutes"] >= 0]
            row = rows[group]
            assert int(row["n"]) == len(valid)
            assert int(row["left_out_missing"]) == int(frame["minutes"].isna().sum())
            assert float(row["median_min"]) == pytest.approx(valid.median(), abs=0.01)
            assert float(row["p90_min"]) == pytest.approx(valid.quantile(0.9), abs=0.01)
            assert float(row["share_within_5min"]) == pytest.approx((valid <= 5).mean(), abs=1e-4)


def test_export_reach_lists_road_cells_with_minutes_within_five(demo_db, tmp_path):
    con = ScopedConnection(duckdb.connect(str(demo_db), read_only=True), None)
    at = playback_end(con) - timedelta(hours=2)
    out = tmp_path / "reach.csv"
    cli("export", "reach", "--db", demo_db, "--at", at.isoformat(), "--resolution", "9", "--out", out)
    rows = read_csv(out)
    assert list(rows[0]) == ["cell", "minutes"]
    minutes = {str_to_cell(r["cell"]): (float(r["minutes"]) if r["minutes"] else None) for r in rows}
    reached = [m for m in minutes.values() if m is not None]
    assert reached and all(0 <= m <= 5 for m in reached)
    assert any(m is None for m in minutes.values())            # road cells beyond 5 minutes: blank
    expected = reach_table(con, at, 9, include_unreached=True)
    assert set(minutes) == set(expected["cell"].tolist())
    within = expected[expected["band"] > 0]
    assert {c: round(m, 2) for c, m in zip(within["cell"], within["minutes"])} == \
        {c: m for c, m in minutes.items() if m is not None}
    assert np.isin([1, 3, 5], within["band"]).all()            # the three bands all occur at a busy hour
