"""Bring a store written by an earlier version up to date: today's tables and what they derive from the rows.

A bureau's store outlives the software: after an update, the dashboard must not fail on a table the old
version never made. ``python app.py`` runs this before serving (and ``python -m data_pipeline upgrade`` on
demand): the schema is applied through the usual atomic write, and derived tables that are empty while their
sources are not — camera coverage, patrol presence — are computed from the stored rows. A store already
current is left untouched (not even copied).
"""
from __future__ import annotations

from pathlib import Path

from data_pipeline import store
from data_pipeline.coverage import index_cameras
from data_pipeline.presence import rebuild_presence


def upgrade_needed(db: str | Path) -> list[str]:
    """What an upgrade would do: tables to create and derived tables to compute (empty: the store is current)."""
    con = store.read_only(db)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        wanted = set(_schema_tables())
        todo = [f"create {t}" for t in sorted(wanted - tables)]
        if _count(con, tables, "cameras") and not _count(con, tables, "camera_cells"):
            todo.append("compute camera coverage")
        if _count(con, tables, "patrol_pings") and not _count(con, tables, "patrol_presence"):
            todo.append("compute patrol presence")
        return todo
    finally:
        con.close()


def upgrade(db: str | Path) -> list[str]:
    """Upgrade the store at ``db`` if it needs it; returns what was done."""
    todo = upgrade_needed(db)
    if not todo:
        return []
    with store.writing(db) as con:               # applies schema.sql
        if "compute camera coverage" in todo:
            # Each camera run also covers the stored incidents near it: every incident is then accounted for.
            for (run_id,) in con.execute("SELECT DISTINCT run_id FROM cameras ORDER BY run_id").fetchall():
                index_cameras(con, run_id)
        if "compute patrol presence" in todo:
            rebuild_presence(con)
    return todo


def _schema_tables() -> list[str]:
    import re

    import queries

    return re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", queries.sql("schema"))


def _count(con, tables: set[str], table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] if table in tables else 0
