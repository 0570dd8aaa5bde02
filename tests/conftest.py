"""Shared fixtures: the real public data beside the repo, a CLI runner, a Chicago store built once per worker.

Real data is read in place from ``../shared/data`` (never copied into the repo); tests that need it skip
cleanly when it is absent. Session fixtures build into ``tmp_path_factory``, which pytest-xdist gives
each worker its own of, so ``-n 2`` is safe.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
MAPPINGS = REPO / "data" / "mappings"

CHICAGO_DISTRICTS = "boundaries/chicago/chicago_police_districts.geojson"
CHICAGO_ASSAULTS = "crime/cmd_chicago_aggravated_assaults.csv.gz"
CHICAGO_ASSAULT_ROWS = 148_636


def cli(*args, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m data_pipeline ARGS`` in a subprocess, from the repo root; fails the test on error if ``check``."""
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="200", **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "data_pipeline", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        pytest.fail(f"CLI {' '.join(map(str, args))} exited {proc.returncode}\n"
                    f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def ingest_json(kind: str, *files, db: Path, mapping: Path | None = None, crs: str | None = None) -> list[dict]:
    """Run ``ingest KIND FILES --json`` and return its per-file summaries."""
    args = ["ingest", kind, *files, "--db", db, "--json"]
    if mapping:
        args += ["--mapping", mapping]
    if crs:
        args += ["--crs", crs]
    return json.loads(cli(*args).stdout)


def report_json(db: Path) -> dict:
    return json.loads(cli("report", "--db", db, "--json").stdout)


def query(db: Path, sql: str, params=None) -> list[tuple]:
    """Rows of ``sql`` on a read-only connection to the store ``db``."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def table_contents(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted: equal dicts mean equal contents whatever the file bytes."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def run_cli():
    """The CLI runner: ``run_cli("report", "--db", db, check=False)`` → CompletedProcess."""
    return cli


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real public data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def chicago_store(shared_data, tmp_path_factory) -> Path:
    """Chicago police districts, then the 148,636 aggravated assaults, each with its example mapping.

    Shared by many tests: read it, never write it (copy it with ``writable_copy`` first).
    """
    db = tmp_path_factory.mktemp("chicago") / "chicago.duckdb"
    ingest_json("boundaries", shared_data / CHICAGO_DISTRICTS, db=db,
                mapping=MAPPINGS / "chicago_police_districts.toml")
    ingest_json("incidents", shared_data / CHICAGO_ASSAULTS, db=db,
                mapping=MAPPINGS / "chicago_aggravated_assaults.toml")
    return db


@pytest.fixture
def writable_copy(tmp_path):
    """``writable_copy(db)`` → a private copy of a store that a test may change."""
    def copy(db: Path) -> Path:
        target = tmp_path / db.name
        shutil.copyfile(db, target)
        return target
    return copy


def chicago_districts(shared_data: Path) -> dict[str, object]:
    """Chicago's district polygons by dist_num, the features of one district unioned (as the ingest merges them)."""
    import pyogrio
    import shapely

    frame = pyogrio.read_dataframe(shared_data / CHICAGO_DISTRICTS)
    return {d: shapely.union_all(frame.geometry[frame.dist_num == d].values) for d in sorted(set(frame.dist_num))}


def brute_force_zone(zones: dict[str, object], lon, lat):
    """Id of the polygon that contains each point (shapely ``contains``), None outside all of them."""
    import numpy as np
    import shapely

    out = np.full(len(lon), None, dtype=object)
    hits = np.zeros(len(lon), dtype=int)
    for zone_id, geom in zones.items():
        inside = shapely.contains_xy(geom, lon, lat)
        out[inside] = zone_id
        hits += inside
    assert hits.max(initial=0) <= 1, "the test polygons overlap"
    return out


def chicago_source(shared_data: Path):
    """The Chicago assaults file as pandas reads it (independently of the pipeline)."""
    import pandas as pd

    frame = pd.read_csv(shared_data / CHICAGO_ASSAULTS, dtype={"district": str})
    frame["occurred_at"] = pd.to_datetime(frame["date"], format="%Y-%m-%d %H:%M")
    return frame
