"""The DuckDB store file: one writer at a time, readers never see a half-written state.

DuckDB allows one writing process per file. A write therefore happens on a private copy of the store
(``<store>.writing-<pid>``) that replaces the store with an atomic ``os.replace`` only after it has
committed and checkpointed; readers keep reading the snapshot they opened and pick up the new file on
their next connect. A failed write deletes its copy: the store is unchanged, all or nothing.
"""
from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

import queries

DEFAULT_TIMEZONE = "Asia/Shanghai"
# A writer keeps DuckDB within this budget and spills to disk beyond it (peak-memory target: 4 GB).
WRITER_MEMORY_LIMIT = "2GB"
SCHEMA_VERSION = "1"


@contextmanager
def writing(path: str | Path, fresh: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a private copy of the store; on success the copy atomically becomes the store.

    ``fresh`` starts from an empty store instead of a copy (the demo build replaces the whole store).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _writer_lock(path):
        work = path.with_name(f"{path.name}.writing-{os.getpid()}")
        _remove(work)
        if path.exists() and not fresh:
            shutil.copyfile(path, work)
        try:
            con = duckdb.connect(str(work), config={"memory_limit": WRITER_MEMORY_LIMIT})
            con.execute("SET enable_progress_bar = false")
            try:
                ensure_schema(con)
                yield con
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _fsync(work)
            os.replace(work, path)
            shutil.rmtree(work.with_name(work.name + ".tmp"), ignore_errors=True)
        except BaseException:
            _remove(work)
            raise


def read_only(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the store's current snapshot."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no store here (build one with `python -m data_pipeline build-demo`)")
    return duckdb.connect(str(path), read_only=True)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables and settings (idempotent)."""
    con.execute(queries.sql("schema"))
    if get_meta(con, "timezone") is None:
        set_meta(con, "timezone", DEFAULT_TIMEZONE)
    set_meta(con, "schema_version", SCHEMA_VERSION)


def get_meta(con, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = $key", {"key": key}).fetchone()
    return row[0] if row else None


def set_meta(con, key: str, value: str) -> None:
    con.execute("DELETE FROM meta WHERE key = $key", {"key": key})
    con.execute("INSERT INTO meta VALUES ($key, $value)", {"key": key, "value": value})


@contextmanager
def _writer_lock(path: Path) -> Iterator[None]:
    # An advisory lock on a side file serialises writers (two ingests, a user change during an ingest).
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """Delete a working copy with its write-ahead log and DuckDB's spill folder."""
    for p in (path, path.with_name(path.name + ".wal")):
        if p.exists():
            p.unlink()
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)
