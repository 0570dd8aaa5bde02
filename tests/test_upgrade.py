"""A store written before the coverage and presence tables existed is brought up to date before serving.

The old store is made by dropping today's derived tables from a fresh demo store; after ``upgrade`` they hold
exactly what a fresh build holds, a second upgrade does nothing, and the store file is not even rewritten.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest
from conftest import cli, file_sha256, query
from test_api import demo_store_path

from data_pipeline.upgrade import upgrade, upgrade_needed

NEW_TABLES = ("camera_cells", "coverage_capacity", "incident_coverage", "patrol_presence")
ORDER = {"camera_cells": "camera_id, cell", "coverage_capacity": "res, cell", "incident_coverage": "id",
         "patrol_presence": "res, station_id, hour, unit_kind, cell"}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return demo_store_path(tmp_path_factory)


def test_an_old_store_is_upgraded_to_what_a_fresh_build_holds(demo_db, tmp_path):
    old = tmp_path / "old.duckdb"
    shutil.copyfile(demo_db, old)
    with duckdb.connect(str(old)) as con:
        for table in NEW_TABLES:
            con.execute(f"DROP TABLE {table}")
    assert {f"create {t}" for t in NEW_TABLES} <= set(upgrade_needed(old))
    done = upgrade(old)
    assert "compute camera coverage" in done and "compute patrol presence" in done
    for table in NEW_TABLES:
        columns = {"camera_cells": "camera_id, cell, r7, r8, r9, r10",
                   "patrol_presence": "res, station_id, hour, unit_kind, cell, round(minutes, 6)"}.get(table, "*")
        fresh = query(demo_db, f"SELECT {columns} FROM {table} ORDER BY {ORDER[table]}")
        upgraded = query(old, f"SELECT {columns} FROM {table} ORDER BY {ORDER[table]}")
        assert fresh and upgraded == fresh, table
    before = file_sha256(old)
    assert upgrade(old) == [] and file_sha256(old) == before


def test_the_cli_reports_an_up_to_date_store(demo_db, tmp_path):
    copy = tmp_path / "current.duckdb"
    shutil.copyfile(demo_db, copy)
    answer = cli("upgrade", "--db", copy)
    assert "up to date" in answer.stdout + answer.stderr
