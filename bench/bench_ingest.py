"""Ingest + index + aggregate of 10 M incidents from a CSV file, end to end through the CLI.

The file is the demo scenario at scale 100 written as a bureau export would be (CSV, local times);
the store already holds the Emeishan jurisdictions, so every row is also assigned its station.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from bench._util import pipeline, record, run_measured

SCALE = float(os.environ.get("BENCH_SCALE", "100"))


def write_export(path: Path, scale: float) -> int:
    """Write the scenario's incidents as one CSV; return the row count."""
    from data_pipeline.demo import generate_scenario

    scenario = generate_scenario(seed=11, scale=scale)
    rows = 0
    with pacsv.CSVWriter(path, _schema()) as writer:
        for frame in scenario.iter_incidents():
            table = pa.Table.from_pandas(frame[list(_schema().names)], schema=_schema(), preserve_index=False)
            writer.write_table(table)
            rows += len(table)
    return rows


def _schema() -> pa.Schema:
    ts = pa.timestamp("s")
    return pa.schema([("id", pa.string()), ("occurred_at", ts), ("reported_at", ts), ("closed_at", ts),
                      ("category", pa.string()), ("status", pa.string()), ("source", pa.string()),
                      ("lat", pa.float64()), ("lon", pa.float64())])


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        tmp = Path(tmp)
        export, db = tmp / "incidents.csv", tmp / "bench.duckdb"
        rows = write_export(export, SCALE)
        boundaries = tmp / "boundaries.parquet"
        _write_boundaries(boundaries)
        run_measured(pipeline("ingest", "boundaries", str(boundaries), "--db", str(db)))
        seconds, peak_mib, out = run_measured(pipeline("ingest", "incidents", str(export), "--db", str(db), "--json"))
        stages = json.loads(out)[0]["seconds"]
        record("ingest_10m", {
            "rows": rows, "seconds": round(seconds, 1), "rows_per_s": int(rows / seconds), "stages_s": stages,
            "peak_rss_mib": int(peak_mib), "csv_mib": int(export.stat().st_size / 2**20),
            "store_mib": int(db.stat().st_size / 2**20),
        })


def _write_boundaries(path: Path) -> None:
    import geopandas as gpd

    from data_pipeline.demo import generate_scenario

    frame = generate_scenario(seed=11, scale=0.01).boundaries
    gpd.GeoDataFrame(frame).to_parquet(path)


if __name__ == "__main__":
    main()
