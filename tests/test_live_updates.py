"""Contract: a new ``ingest`` while the dashboard serves shows within one refresh, with no restart and no failed
request, and readers never see a half-written store.

The design under test: the pipeline writes a private copy of the store and ``os.replace``s it
(``data_pipeline.store.writing``); the app's ``StoreReader`` notices the new file and opens it through a hard
link of its own. The unit tests drive ``StoreReader`` against ``store.writing`` directly; the live tests run
the real gunicorn server, load it from several threads and ingest new incidents underneath it.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import geobuf
import h3
import pytest
import requests
from conftest import ingest_json
from test_api import (
    REQUEST_TIMEOUT_S,
    SERVER_WORKERS,
    TODAY,
    Server,
    api_cells,
    demo_store_path,
    export_cells,
    serve_copy,
    stop_server,
)

from data_pipeline import store
from layers.reader import StoreReader

# ---------------------------------------------------------------------------------- StoreReader, unit


def write_value(db: Path, value: int) -> None:
    """Replace the store the pipeline's way (private copy, checkpoint, ``os.replace``) with ``t.v = value``."""
    # Real writes are seconds apart; file times tick per kernel jiffy (a few ms), so keep versions apart.
    time.sleep(0.02)
    with store.writing(db) as con:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT $v AS v", {"v": value})


def value(cursor) -> int:
    # The reader's snapshot mechanics, below the scope: a raw cursor (the app only hands out scoped ones).
    return cursor.execute("SELECT v FROM t").fetchone()[0]


def links_of(db: Path) -> list[Path]:
    return sorted((db.parent / f".{db.name}.readers").glob("*.duckdb"))


def test_reader_follows_each_replacement_and_leaves_no_links(tmp_path):
    db = tmp_path / "store.duckdb"
    write_value(db, 1)
    reader = StoreReader(db)
    try:
        in_flight = reader._raw_cursor()
        generations = [reader.generation]
        assert value(in_flight) == 1
        for v in (2, 3, 4, 5):
            write_value(db, v)
            assert value(reader._raw_cursor()) == v                      # the next cursor sees the new store
            if v == 2:
                assert value(in_flight) == 1                        # a request in flight keeps its snapshot
            generations.append(reader.generation)
            assert 1 <= len(links_of(db)) <= 2                      # old snapshots are closed, not piled up
        # Filesystems hand freed inode numbers to new files: the generation must still never repeat.
        assert len(set(generations)) == len(generations)
    finally:
        reader.close()
    assert links_of(db) == []
    assert os.stat(db).st_nlink == 1                                # no hard link to the store is left


def test_reader_takes_the_store_replaced_while_it_opens(tmp_path, monkeypatch):
    db = tmp_path / "store.duckdb"
    write_value(db, 1)
    real_link = os.link
    swapped = []

    def link_after_a_swap(src, dst, *args, **kwargs):   # the pipeline replaces the store just before the link
        if not swapped:
            swapped.append(True)
            write_value(db, 2)
        return real_link(src, dst, *args, **kwargs)

    reader = StoreReader(db)
    try:
        monkeypatch.setattr(os, "link", link_after_a_swap)
        assert value(reader._raw_cursor()) == 2
        monkeypatch.setattr(os, "link", real_link)
        assert value(reader._raw_cursor()) == 2
        assert len(links_of(db)) == 1                               # the second cursor did not reopen
    finally:
        reader.close()
    assert links_of(db) == []


def test_reader_removes_links_of_dead_processes(tmp_path):
    db = tmp_path / "store.duckdb"
    write_value(db, 1)
    folder = db.parent / f".{db.name}.readers"
    folder.mkdir()
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    orphan, alive = folder / f"{ended.pid}-0.duckdb", folder / f"{os.getppid()}-0.duckdb"
    os.link(db, orphan)                                              # a worker killed before it closed
    os.link(db, alive)                                               # a process that still runs
    reader = StoreReader(db)
    try:
        assert value(reader._raw_cursor()) == 1
        assert not orphan.exists()
        assert alive.exists()
    finally:
        reader.close()
        alive.unlink()
    assert os.stat(db).st_nlink == 1


# ------------------------------------------------------------------------------------ the live server

NEW_PER_INGEST = 4
INGESTS = 2
LOAD_THREADS = 4
# The load never runs longer than this, whatever happens.
LOAD_BUDGET_S = 20
# "Within one refresh": the wall refreshes every minute; the API must show new incidents well within that.
VISIBLE_WITHIN_S = 5
# Today (the demo is anchored today) at resolution 9: the window the new incidents fall in.
WINDOW = {"resolution": 9, "from": TODAY.isoformat(), "to": (TODAY + timedelta(days=1)).isoformat()}
# Near the demo's county seat (Emeishan city, about 29.60 N 103.48 E).
NEAR_LAT, NEAR_LON = 29.600, 103.480
LOAD = [("/api/v1/health", None), ("/api/v1/layers/incidents.geojson", WINDOW), ("/", None),
        ("/api/v1/layers/incidents.geojson", {"resolution": 8})]


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    return demo_store_path(tmp_path_factory)


def new_incidents(folder: Path, batch: int, count: int = NEW_PER_INGEST) -> list[tuple[float, float]]:
    """A CSV of ``count`` new thefts today (canonical columns); their (lat, lon)."""
    points = [(NEAR_LAT + 0.0011 * i, NEAR_LON + 0.0017 * batch) for i in range(count)]
    start = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=2, minutes=10 * batch)
    with open(folder / f"new-{batch}.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "occurred_at", "category", "lat", "lon"])
        for i, (lat, lon) in enumerate(points):
            writer.writerow([f"LIVE-{batch}-{i}", (start + timedelta(minutes=i)).isoformat(sep=" "), "theft",
                             lat, lon])
    return points


def ingest(db: Path, folder: Path, batch: int) -> list[tuple[float, float]]:
    points = new_incidents(folder, batch)
    (summary,) = ingest_json("incidents", folder / f"new-{batch}.csv", db=db)
    assert summary["loaded"] == summary["located"] == NEW_PER_INGEST
    return points


def health(server: Server) -> dict:
    response = server.get("/api/v1/health")
    assert response.status_code == 200
    return response.json()


def wait_for_incidents(server: Server, incidents: int) -> float:
    """Seconds until ``/health`` reports ``incidents``; fails after VISIBLE_WITHIN_S."""
    start = time.monotonic()
    while health(server)["incidents"] != incidents:
        assert time.monotonic() - start < VISIBLE_WITHIN_S, f"{incidents} incidents not visible after a swap"
        time.sleep(0.05)
    return time.monotonic() - start


@dataclass
class Hit:
    thread: int
    path: str
    start: float
    end: float
    status: int | str                       # the HTTP status, or the error
    total: int | None = None                # /health: incidents; the window's GeoJSON: their sum


def load(server: Server, thread: int, stop: threading.Event, deadline: float, hits: list[Hit]) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.token}"
    step = thread
    while not stop.is_set() and time.monotonic() < deadline:
        path, params = LOAD[step % len(LOAD)]
        step += 1
        start = time.monotonic()
        try:
            response = session.get(server.base + path, params=params, timeout=REQUEST_TIMEOUT_S)
            total = None
            if response.status_code == 200 and path.endswith("health"):
                total = response.json()["incidents"]
            elif response.status_code == 200 and params is WINDOW:
                total = sum(f["properties"]["incidents"] for f in response.json()["features"])
            hits.append(Hit(thread, path, start, time.monotonic(), response.status_code, total))
        except (requests.RequestException, ValueError) as err:
            hits.append(Hit(thread, path, start, time.monotonic(), repr(err)))


def test_ingest_while_serving(demo_store, tmp_path):
    server = serve_copy(demo_store, tmp_path)
    db = server.db
    try:
        before = health(server)
        before_cells = api_cells(server, WINDOW)
        hits: list[Hit] = []
        stop = threading.Event()
        threads = [threading.Thread(target=load, args=(server, n, stop, time.monotonic() + LOAD_BUDGET_S, hits))
                   for n in range(LOAD_THREADS)]
        for thread in threads:
            thread.start()
        added: Counter[str] = Counter()
        swaps, generations, delays = [], [before["store_generation"]], []
        try:
            time.sleep(0.5)                                          # load is running before the first swap
            for batch in range(INGESTS):
                started = time.monotonic()
                added.update(h3.latlng_to_cell(lat, lon, WINDOW["resolution"]) for lat, lon in ingest(db, tmp_path,
                                                                                                       batch))
                swaps.append((started, time.monotonic()))
                delays.append(wait_for_incidents(server, before["incidents"] + NEW_PER_INGEST * (batch + 1)))
                generations.append(health(server)["store_generation"])
            time.sleep(0.5)                                          # and keeps running after the last one
        finally:
            stop.set()
            for thread in threads:
                thread.join()

        failed = [h for h in hits if h.status != 200]
        assert failed == [], f"{len(failed)} of {len(hits)} requests failed, e.g. {failed[:3]}"
        assert len(hits) >= 30 and {h.path for h in hits} == {path for path, _ in LOAD}
        for started, ended in swaps:                                 # requests were in flight during every ingest
            assert any(h.start < ended and h.end > started for h in hits)
        # Never a half-written state: every answer is the store before or after a whole ingest.
        whole = {before["incidents"] + NEW_PER_INGEST * k for k in range(INGESTS + 1)}
        whole_window = {sum(before_cells.values()) + NEW_PER_INGEST * k for k in range(INGESTS + 1)}
        for thread in range(LOAD_THREADS):
            mine = [h for h in hits if h.thread == thread and h.total is not None and h.path.endswith("health")]
            assert {h.total for h in mine} <= whole
            assert [h.total for h in mine] == sorted(h.total for h in mine)     # never back to an older store
        assert {h.total for h in hits if h.total is not None and not h.path.endswith("health")} <= whole_window

        # The new incidents are in the API, cell by cell, as in the export; seen within seconds, no restart.
        assert max(delays) < VISIBLE_WITHIN_S
        assert len(set(generations)) == INGESTS + 1
        after = api_cells(server, WINDOW)
        assert after == dict(Counter(before_cells) + added)
        assert after == export_cells(db, WINDOW, tmp_path / "cells.csv")
        assert server.proc.poll() is None
        assert server.log_text().count("Booting worker") == SERVER_WORKERS
    finally:
        stop_server(server)
    assert links_of(db) == [], "the workers left snapshot links behind"
    assert os.stat(db).st_nlink == 1


def test_map_payload_is_revalidated_after_an_ingest(demo_store, tmp_path):
    # The map's geobuf may be cached by the browser, but only until the store changes.
    server = serve_copy(demo_store, tmp_path)
    try:
        path = "/api/v1/layers/incidents.pbf"
        first = server.get(path, WINDOW)
        assert first.status_code == 200
        assert "no-cache" in first.headers["Cache-Control"] or "max-age=0" in first.headers["Cache-Control"]
        etag = first.headers["ETag"]
        unchanged = server.get(path, WINDOW, headers={"If-None-Match": etag})
        assert unchanged.status_code == 304 and unchanged.content == b""
        total = sum(f["properties"]["incidents"] for f in geobuf.decode(first.content)["features"])

        ingest(server.db, tmp_path, batch=0)
        changed = server.get(path, WINDOW, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["ETag"] != etag
        assert sum(f["properties"]["incidents"] for f in geobuf.decode(changed.content)["features"]) == (
            total + NEW_PER_INGEST)
    finally:
        stop_server(server)
