"""Patrol pings at volume (issue 7): 2 M pings ingested and indexed, and the 28-day presence query.

A small demo store gives the jurisdictions; 2,000,000 synthetic pings of 70 units (every 30 s for 16 days,
moving along random walks in the urban area) are written as CSV and ingested through the CLI, which reads,
normalises, deduplicates, indexes (H3 at four resolutions, station by polygon) and rebuilds the hourly
presence. The presence query is then timed like the map asks it (res 9, 28 days, the whole area).
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

import queries
from bench._util import pipeline, record, run_measured
from queries import ScopedConnection

PINGS = int(os.environ.get("BENCH_PINGS", "2000000"))
UNITS = 70
STEP_S = 30
REPEAT = 30


def synthetic_pings(path: Path, anchor: datetime) -> None:
    """``PINGS`` pings of ``UNITS`` units every ``STEP_S`` s ending at ``anchor``: random walks of ~8 m/s."""
    rng = np.random.default_rng(5)
    per_unit = PINGS // UNITS
    start = anchor - timedelta(seconds=per_unit * STEP_S)
    steps = rng.normal(0, 0.00007, size=(UNITS, per_unit, 2)).cumsum(axis=1)
    origin = np.column_stack([29.59 + rng.uniform(-0.02, 0.02, UNITS), 103.47 + rng.uniform(-0.03, 0.03, UNITS)])
    lat = (origin[:, None, 0] + np.clip(steps[..., 0], -0.03, 0.03)).ravel()
    lon = (origin[:, None, 1] + np.clip(steps[..., 1], -0.04, 0.04)).ravel()
    ts = pd.date_range(start, periods=per_unit, freq=f"{STEP_S}s")
    frame = pd.DataFrame({"unit_id": np.repeat([f"B-{i:03d}" for i in range(UNITS)], per_unit),
                          "unit_kind": np.repeat(rng.choice(["car", "motorbike", "foot"], UNITS), per_unit),
                          "ts": np.tile(ts.strftime("%Y-%m-%d %H:%M:%S"), UNITS), "lat": lat.round(6),
                          "lon": lon.round(6)})
    frame.to_csv(path, index=False)


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        db, csv_path = Path(tmp) / "bench.duckdb", Path(tmp) / "pings.csv"
        anchor = datetime(2026, 6, 30)
        run_measured(pipeline("build-demo", "--db", str(db), "--scale", "0.01", "--seed", "3",
                              "--anchor", anchor.date().isoformat()))
        synthetic_pings(csv_path, anchor + timedelta(days=1))
        seconds, peak_mib, _ = run_measured(pipeline("ingest", "patrols", str(csv_path), "--db", str(db)))
        con = duckdb.connect(str(db), read_only=True)
        stored = con.execute("SELECT count(*) FROM patrol_pings").fetchone()[0]
        end = con.execute("SELECT date_trunc('hour', max(ts)) + INTERVAL 1 HOUR FROM patrol_pings").fetchone()[0]
        scoped = ScopedConnection(con, None)
        params = {"res": 9, "from_ts": end - timedelta(days=28), "to_ts": end, "hours": None, "stations": None}
        cells = len(queries.run(scoped, "presence_cells", **params).fetchall())
        samples = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            queries.run(scoped, "presence_cells", **params).fetchall()
            samples.append((time.perf_counter() - start) * 1000)
        record("patrols_2m_pings", {
            "pings_in_file": PINGS, "units": UNITS, "pings_in_store": stored,
            "ingest_s": round(seconds, 2), "pings_per_s": round(PINGS / seconds), "peak_rss_mib": round(peak_mib),
            "target_ingest<5s": seconds < 5,
            "presence_28d_res9_median_ms": round(statistics.median(samples), 1), "presence_cells": cells,
            "target_presence<100ms": statistics.median(samples) < 100,
        })


if __name__ == "__main__":
    main()
