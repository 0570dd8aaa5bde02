"""The 30-day, one-station heatmap query over a 20 M-incident store: aggregates vs the raw table."""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

import queries
from bench._util import pipeline, record, run_measured
from queries.incidents import IncidentFilter

SCALE = float(os.environ.get("BENCH_QUERY_SCALE", "200"))   # 200 ≈ 20 M incidents
REPEAT = 30


def median_ms(con, name: str, params: dict) -> float:
    queries.run(con, name, **params).fetchall()   # warm the buffer pool, as a serving process would be
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        queries.run(con, name, **params).fetchall()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        db = Path(tmp) / "bench.duckdb"
        build_s, _, _ = run_measured(pipeline("build-demo", "--db", str(db), "--scale", str(SCALE), "--seed", "3"))
        con = duckdb.connect(str(db), read_only=True)
        rows = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
        station, last = con.execute("SELECT station_id, max(occurred_at) FROM incidents WHERE station_id IS "
                                    "NOT NULL GROUP BY station_id ORDER BY count(*) DESC LIMIT 1").fetchone()
        to_ts = datetime(last.year, last.month, last.day) + timedelta(days=1)
        flt = IncidentFilter(to_ts - timedelta(days=30), to_ts, stations=[station])
        params = {"res": 9, **flt.params()}
        agg_ms = median_ms(con, "cells", {k: v for k, v in params.items() if k != "zones"})
        raw_ms = median_ms(con, "cells_exact", params)
        cells = len(queries.run(con, "cells", **{k: v for k, v in params.items() if k != "zones"}).fetchall())
        record("query_30d_station", {
            "incidents": rows, "build_demo_s": round(build_s, 1), "station": station, "cells": cells,
            "aggregates_median_ms": round(agg_ms, 1), "raw_table_median_ms": round(raw_ms, 1),
            "ratio": round(raw_ms / agg_ms, 1),
        })


if __name__ == "__main__":
    main()
