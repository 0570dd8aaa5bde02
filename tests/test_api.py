"""Contract: the read API (``/api/v1``) of the real server serves what ``export cells`` writes, as H3 hexagons.

Each test talks HTTP to ``python app.py --db STORE --port P --workers 2`` (gunicorn, several processes) on
the demo store and, when ``../shared/data`` is there, on the Chicago store. The expectation for counts is the
CLI's ``export cells`` with the same filters (run in-process through the CLI's own ``main``: the same code
path, without paying an interpreter start per case); for geometry it is h3-py's ``cell_to_boundary``; for
comparison mode it is two plain API calls over windows computed here.

The server helpers and the shared demo store are imported by ``test_live_updates.py``.
"""
from __future__ import annotations

import csv
import fcntl
import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import geobuf
import h3
import pytest
import requests
from conftest import REPO, cli, query

from auth.accounts import Accounts
from data_pipeline.__main__ import main as pipeline

DEMO_SCALE = 0.1
DEMO_SEED = 3
# The demo scenario ends on its anchor day; anchoring it today makes "recent" windows hold incidents.
TODAY = date.today()
SERVER_WORKERS = 2
# Gunicorn imports Dash, DuckDB and the pages in each worker: a few seconds on a loaded 2-core machine.
STARTUP_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 30
# geobuf and the GeoJSON body both keep 6 decimals (≈ 0.1 m); h3-py returns full doubles.
COORD_TOLERANCE_DEG = 1.5e-6


# ---------------------------------------------------------------------------------------------- the server

@dataclass
class Server:
    """A running ``app.py``: its base URL, process and log file."""

    base: str
    proc: subprocess.Popen
    log: Path
    db: Path
    token: str | None = None     # a leader's API token, sent unless a request brings its own headers

    def get(self, path: str, params=None, headers=None, **kwargs) -> requests.Response:
        headers = dict(headers or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return requests.get(self.base + path, params=params, headers=headers, timeout=REQUEST_TIMEOUT_S, **kwargs)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db: Path, log: Path, workers: int = SERVER_WORKERS) -> Server:
    """``python app.py --db DB --port <free> --workers N``, returned once ``/api/v1/health`` answers 200."""
    for _attempt in range(3):          # a free port can be taken by someone else before gunicorn binds it
        port = free_port()
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "app.py", "--db", str(db), "--host", "127.0.0.1", "--port", str(port),
                 "--workers", str(workers)],
                cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                env=dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1"))
        server = Server(f"http://127.0.0.1:{port}", proc, log, db)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if server.get("/api/v1/health").status_code == 200 and proc.poll() is None:
                    return server
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        stop_server(server)
        if "Address already in use" not in server.log_text():
            break
    pytest.fail(f"the server did not start on {db}:\n{server.log_text()[-4000:]}")


def stop_server(server: Server) -> int:
    """Graceful stop (SIGTERM to gunicorn's master); the return code of the master."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, signal.SIGKILL)     # our own session: the master and its workers
            server.proc.wait()
    return server.proc.returncode


def demo_store_path(tmp_path_factory) -> Path:
    """The demo store (scale 0.1, seed 3, anchored today), built once per test run, also under xdist.

    Shared: copy it before serving or changing it.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent               # the run's folder, common to its xdist workers
    folder = root / "api-demo-store"
    folder.mkdir(exist_ok=True)
    db, done = folder / "demo.duckdb", folder / "built"
    with open(folder / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            cli("build-demo", "--db", db, "--scale", DEMO_SCALE, "--seed", DEMO_SEED, "--anchor", TODAY.isoformat())
            done.touch()
    return db


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    return demo_store_path(tmp_path_factory)


def serve_copy(store: Path, folder: Path) -> Server:
    """A server on a copy of the store, with a leader's API token for the tests' requests."""
    db = folder / store.name
    shutil.copyfile(store, db)
    server = start_server(db, folder / "server.log")
    server.token = leader_token(db)
    return server


def leader_token(db: Path, name: str = "test-leader") -> str:
    accounts = Accounts(db)
    if accounts.user(name) is None:
        accounts.add_user(name, "leader", "test-password-1")
    return accounts.new_api_token(name)


@pytest.fixture(scope="module")
def demo_server(demo_store, tmp_path_factory):
    server = serve_copy(demo_store, tmp_path_factory.mktemp("demo-server"))
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def chicago_server(chicago_store, tmp_path_factory):
    server = serve_copy(chicago_store, tmp_path_factory.mktemp("chicago-server"))
    yield server
    stop_server(server)


# ------------------------------------------------------------------------------------------------ helpers

def api_features(server: Server, params: dict, path: str = "/api/v1/layers/incidents.geojson") -> list[dict]:
    response = server.get(path, params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return body["features"]


def api_cells(server: Server, params: dict) -> dict[str, int]:
    """{cell: incidents} of the API's GeoJSON; fails on a repeated cell or an empty one (they are omitted)."""
    features = api_features(server, params)
    cells = {f["properties"]["cell"]: f["properties"]["incidents"] for f in features}
    assert len(cells) == len(features), "a cell appears twice"
    assert all(n > 0 for n in cells.values()), "cells without incidents must be omitted"
    return cells


def export_cells(db: Path, params: dict, out: Path) -> dict[str, int]:
    """``export cells`` with the API query's filters, as {cell: incidents} read back from its CSV."""
    args = ["export", "cells", "--db", str(db), "--resolution", str(params["resolution"]), "--out", str(out)]
    for name, option in (("from", "--from"), ("to", "--to"), ("category", "--category"), ("station", "--station")):
        values = params.get(name)
        for value in [values] if isinstance(values, str) else values or ():
            args += [option, value]
    assert pipeline(args) == 0
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["cell", "incidents"]
    return {cell: int(n) for cell, n in rows[1:]}


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def moment(days_ago: int, hhmm: str) -> str:
    return f"{day(days_ago)}T{hhmm}:00"


# ------------------------------------------------------------------------------- counts equal the export

DEMO, CHICAGO = "demo", "chicago"


def on_chicago(*values, id: str):
    """A case on the Chicago store (real data: skipped without ../shared/data, deselected by -m 'not realdata')."""
    return pytest.param(CHICAGO, *values, id=id, marks=pytest.mark.realdata)


CASES = [  # store, API query parameters (lists become repeated parameters)
    pytest.param(DEMO, {"resolution": 9}, id="demo-r9-everything"),
    pytest.param(DEMO, {"resolution": 7, "from": day(365), "to": day(30)}, id="demo-r7-days"),
    pytest.param(DEMO, {"resolution": 8, "from": day(90), "to": day(0), "category": ["theft", "dispute"]},
                 id="demo-r8-category-repeated"),
    pytest.param(DEMO, {"resolution": 10, "from": moment(60, "08:30"), "to": moment(10, "17:45"),
                        "station": "511181-01,511181-03"}, id="demo-r10-subhour-station-commas"),
    pytest.param(DEMO, {"resolution": 9, "from": f"{day(200)} 00:10", "to": moment(20, "23:59"),
                        "category": "theft,fraud", "station": ["511181-02", "511181-05"]},
                 id="demo-r9-subhour-both-filters"),
    pytest.param(DEMO, {"resolution": 6, "from": day(180), "to": day(0)}, id="demo-r6-no-aggregates"),
    pytest.param(DEMO, {"resolution": 11, "from": moment(120, "06:15"), "station": "511181-04"},
                 id="demo-r11-subhour-station"),
    pytest.param(DEMO, {"resolution": 8, "to": day(400)}, id="demo-r8-only-to"),
    pytest.param(DEMO, {"resolution": 9, "category": "no_such_category"}, id="demo-empty"),
    on_chicago({"resolution": 8, "from": "2015-01-01", "to": "2016-01-01"}, id="chicago-r8-year"),
    on_chicago({"resolution": 9, "from": "2015-03-01T00:30:00", "to": "2015-06-01 12:15",
                "station": ["1,18", "7"]}, id="chicago-r9-subhour-stations"),
    on_chicago({"resolution": 10, "from": "2019-12-01", "category": "violence", "station": "25"},
               id="chicago-r10-category-station"),
    on_chicago({"resolution": 11, "from": "2018-01-01", "to": "2019-01-01"}, id="chicago-r11"),
    on_chicago({"resolution": 7, "to": "2012-01-01"}, id="chicago-r7-only-to"),
]


@pytest.mark.parametrize(("store", "params"), CASES)
def test_api_counts_equal_export_cells(request, tmp_path, store, params):
    server: Server = request.getfixturevalue(f"{store}_server")
    expected = export_cells(server.db, params, tmp_path / "cells.csv")
    assert api_cells(server, params) == expected
    if params.get("category") != "no_such_category":
        assert sum(expected.values()) > 0                     # the case selects something


@pytest.mark.parametrize("store", [DEMO, pytest.param(CHICAGO, marks=pytest.mark.realdata)])
def test_from_is_inclusive_and_to_exclusive(request, tmp_path, store):
    # Both ends are instants that carry incidents: to the second on the demo store (counted from the
    # incidents), whole hours on Chicago's minute-resolution times (counted from the aggregates).
    server: Server = request.getfixturevalue(f"{store}_server")
    instants = query(server.db, """
        SELECT occurred_at, count(*) FROM incidents
        WHERE located AND (NOT $whole_hours OR (minute(occurred_at) = 0 AND second(occurred_at) = 0))
        GROUP BY 1 ORDER BY 1""", {"whole_hours": store == CHICAGO})
    start, at_start = instants[len(instants) // 2]
    end, at_end = next(row for row in instants if row[0] >= start + timedelta(days=7))
    inside = query(server.db, "SELECT count(*) FROM incidents WHERE located AND occurred_at >= $a AND occurred_at < $b",
                   {"a": start, "b": end})[0][0]
    params = {"resolution": 9, "from": start.isoformat(), "to": end.isoformat()}
    cells = api_cells(server, params)
    assert at_start > 0 and at_end > 0
    assert sum(cells.values()) == inside
    assert cells == export_cells(server.db, params, tmp_path / "cells.csv")


def test_filters_narrow_the_counts(demo_server):
    # Guards the cases above against a filter the API and the export would both ignore.
    everything = api_cells(demo_server, {"resolution": 8, "from": day(90), "to": day(0)})
    theft = api_cells(demo_server, {"resolution": 8, "from": day(90), "to": day(0), "category": "theft"})
    station = api_cells(demo_server, {"resolution": 8, "from": day(90), "to": day(0), "station": "511181-01"})
    later = api_cells(demo_server, {"resolution": 8, "from": moment(60, "12:30"), "to": day(0)})
    for part in (theft, station, later):
        assert 0 < sum(part.values()) < sum(everything.values())
        assert all(n <= everything[c] for c, n in part.items())


def test_hours_and_bbox(demo_server):
    # Not in the export's contract: checked against the API's own unfiltered answers.
    window = {"resolution": 9, "from": day(90), "to": day(0)}
    eight, nine = (Counter(api_cells(demo_server, window | {"hours": h})) for h in ("8", "9"))
    assert eight and nine
    assert api_cells(demo_server, window | {"hours": "8,9"}) == dict(eight + nine)
    everything = api_cells(demo_server, window)
    west, south, east, north = 103.44, 29.57, 103.50, 29.62
    inside = {cell: n for cell, n in everything.items()
              if west <= h3.cell_to_latlng(cell)[1] <= east and south <= h3.cell_to_latlng(cell)[0] <= north}
    assert 0 < len(inside) < len(everything)
    assert api_cells(demo_server, window | {"bbox": f"{west},{south},{east},{north}"}) == inside


# ------------------------------------------------------------------------------------ geometry is H3's

@pytest.mark.parametrize("res", [7, 10, 11])
def test_features_are_the_h3_hexagons_of_their_cells(demo_server, res):
    features = api_features(demo_server, {"resolution": res, "from": day(120), "to": day(0)})
    assert features
    for feature in features:
        assert feature["type"] == "Feature"
        assert set(feature["properties"]) == {"cell", "incidents"}
        cell = feature["properties"]["cell"]
        assert h3.is_valid_cell(cell) and h3.get_resolution(cell) == res
        assert feature["geometry"]["type"] == "Polygon"
        (ring,) = feature["geometry"]["coordinates"]
        assert ring[0] == ring[-1], "a GeoJSON ring is closed"
        expected = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]       # GeoJSON order: lng, lat
        assert len(ring) - 1 == len(expected)
        assert [c for point in ring[:-1] for c in point] == pytest.approx(
            [c for point in expected for c in point], abs=COORD_TOLERANCE_DEG)


# -------------------------------------------------------------------------------------- comparison mode

def previous_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    return start - (end - start), start


def year_earlier(moment_: datetime) -> datetime:
    if moment_.month == 2 and moment_.day == 29:
        return moment_.replace(year=moment_.year - 1, day=28)
    return moment_.replace(year=moment_.year - 1)


COMPARE_CASES = [  # store, compare, from, to, other filters
    pytest.param(DEMO, "previous", day(28), day(0), {}, id="demo-previous-28d"),
    pytest.param(DEMO, "previous", moment(45, "08:20"), moment(30, "19:05"), {"category": "theft,dispute"},
                 id="demo-previous-subhour-categories"),
    pytest.param(DEMO, "last_year", day(60), day(30), {"station": ["511181-01", "511181-03"]},
                 id="demo-last-year-stations"),
    pytest.param(DEMO, "last_year", moment(20, "00:30"), moment(5, "12:45"), {}, id="demo-last-year-subhour"),
    on_chicago("last_year", "2016-02-29", "2016-03-08", {}, id="chicago-last-year-29-february"),
    on_chicago("previous", "2017-06-01T10:30", "2017-07-01", {"station": "11"},
               id="chicago-previous-station"),
]


@pytest.mark.parametrize(("store", "compare", "frm", "to", "filters"), COMPARE_CASES)
def test_comparison_is_two_plain_calls(request, store, compare, frm, to, filters):
    server: Server = request.getfixturevalue(f"{store}_server")
    start, end = datetime.fromisoformat(frm), datetime.fromisoformat(to)
    base_start, base_end = (previous_window(start, end) if compare == "previous"
                            else (year_earlier(start), year_earlier(end)))
    res = 9
    current = api_cells(server, {"resolution": res, "from": frm, "to": to, **filters})
    baseline = api_cells(server, {"resolution": res, "from": base_start.isoformat(), "to": base_end.isoformat(),
                                  **filters})
    assert sum(current.values()) > 0 and sum(baseline.values()) > 0            # both windows hold incidents
    features = api_features(server, {"resolution": res, "from": frm, "to": to, "compare": compare, **filters})
    got = {f["properties"]["cell"]: f["properties"] for f in features}
    assert len(got) == len(features)
    assert set(got) == set(current) | set(baseline)          # a cell of either window; none of neither
    for cell, props in got.items():
        assert set(props) == {"cell", "incidents", "baseline", "change"}
        assert props["incidents"] == current.get(cell, 0)
        assert props["baseline"] == baseline.get(cell, 0)
        assert props["change"] == props["incidents"] - props["baseline"]


# ----------------------------------------------------------------------------------------- bad requests

BAD = [  # query parameters, the parameter the error must name
    ({}, "resolution"),
    ({"resolution": "nine"}, "resolution"),
    ({"resolution": "9.5"}, "resolution"),
    ({"resolution": "16"}, "resolution"),
    ({"resolution": "-1"}, "resolution"),
    ({"resolution": "9", "from": "yesterday"}, "from"),
    ({"resolution": "9", "from": "2025-01-01", "to": "2025-13-01"}, "to"),
    ({"resolution": "9", "compare": "week"}, "compare"),
    ({"resolution": "9", "bbox": "103.4,29.5,103.6"}, "bbox"),
    ({"resolution": "9", "bbox": "w,s,e,n"}, "bbox"),
    ({"resolution": "9", "hours": "24"}, "hours"),
    ({"resolution": "9", "hours": "8,morning"}, "hours"),
    ({"resolution": "9", "hours": "²"}, "hours"),
    ({"resolution": "9", "from": "0001-01-01", "to": "2025-01-01", "compare": "last_year"}, "compare"),
    ({"resolution": "9", "to": "9999-12-31", "compare": "previous"}, "compare"),
]


@pytest.mark.parametrize("layer", ["incidents.geojson", "incidents.pbf"])
@pytest.mark.parametrize(("params", "name"), BAD, ids=[f"{n}-{i}" for i, (_, n) in enumerate(BAD)])
def test_bad_parameters_are_400_naming_the_parameter(demo_server, layer, params, name):
    response = demo_server.get(f"/api/v1/layers/{layer}", params)
    assert response.status_code == 400, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    assert name in response.json()["error"]


def test_bad_outline_level_is_400(demo_server):
    response = demo_server.get("/api/v1/layers/boundaries.geojson", {"level": "province"})
    assert response.status_code == 400
    assert "level" in response.json()["error"]


# --------------------------------------------------------------------------------------------- health

def test_health_reports_the_store(demo_server):
    con = duckdb.connect(str(demo_server.db), read_only=True)
    try:
        latest, incidents = con.execute("SELECT max(occurred_at), count(*) FROM incidents").fetchone()
    finally:
        con.close()
    answers = [demo_server.get("/api/v1/health") for _ in range(2 * SERVER_WORKERS + 2)]   # reach every worker
    for response in answers:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/json")
    bodies = [r.json() for r in answers]
    assert bodies[0]["status"] == "ok"
    assert bodies[0]["incidents"] == incidents
    assert bodies[0]["latest_incident"] == latest.isoformat()
    assert bodies[0]["store_generation"]
    assert all(b == bodies[0] for b in bodies), "every worker reports the same store"


# ---------------------------------------------------------------------------------------------- geobuf

@pytest.mark.parametrize("params", [
    {"resolution": 9, "from": day(90), "to": day(0), "category": "theft"},
    {"resolution": 8, "from": moment(30, "06:30"), "to": day(0), "compare": "previous"},
    {"resolution": 11, "from": day(30), "station": "511181-01"},
], ids=["plain", "compare", "r11"])
def test_geobuf_decodes_to_the_geojson(demo_server, params):
    features = api_features(demo_server, params)
    response = demo_server.get("/api/v1/layers/incidents.pbf", params)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-protobuf"
    decoded = geobuf.decode(response.content)
    assert decoded["type"] == "FeatureCollection"
    assert features and len(decoded["features"]) == len(features)
    by_cell = {f["properties"]["cell"]: f for f in features}
    for feature in decoded["features"]:
        expected = by_cell[feature["properties"]["cell"]]
        assert feature["properties"] == expected["properties"]
        assert feature["geometry"]["type"] == "Polygon"
        (ring,) = feature["geometry"]["coordinates"]
        (want,) = expected["geometry"]["coordinates"]
        assert [c for p in ring for c in p] == pytest.approx([c for p in want for c in p], abs=COORD_TOLERANCE_DEG)


# ------------------------------------------------------------------------------------------------ gzip

GZIP_MAGIC = b"\x1f\x8b"


def raw_body(server: Server, path: str, params, accept: str) -> tuple[requests.Response, bytes]:
    """The response and its body exactly as sent (not decoded by requests)."""
    response = server.get(path, params, headers={"Accept-Encoding": accept}, stream=True)
    return response, response.raw.read(decode_content=False)


@pytest.mark.parametrize(("path", "params"), [
    ("/api/v1/layers/incidents.geojson", {"resolution": 9}),
    ("/api/v1/layers/incidents.pbf", {"resolution": 9}),
    ("/api/v1/layers/boundaries.geojson", {"level": "community"}),
    ("/", None),
], ids=["geojson", "geobuf", "boundaries", "dash-page"])
def test_responses_are_gzipped_when_accepted(demo_server, path, params):
    plain, identity = raw_body(demo_server, path, params, "identity")
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert not identity.startswith(GZIP_MAGIC)

    packed, body = raw_body(demo_server, path, params, "gzip")
    assert packed.status_code == 200
    assert packed.headers.get("Content-Encoding") == "gzip"
    assert "accept-encoding" in packed.headers.get("Vary", "").lower()       # caches keep both versions apart
    assert body.startswith(GZIP_MAGIC)
    assert len(body) < len(identity)
    if path == "/":                                  # Dash's page embeds a per-request token
        assert gzip.decompress(body).lstrip().lower().startswith(b"<!doctype html>")
    else:
        assert gzip.decompress(body) == identity


# ------------------------------------------------------------------------------------------- shutdown

def test_workers_exit_cleanly(demo_store, tmp_path):
    server = serve_copy(demo_store, tmp_path)
    try:
        assert server.get("/api/v1/layers/incidents.geojson", {"resolution": 8}).status_code == 200
    finally:
        returncode = stop_server(server)
    log = server.log_text()
    assert returncode == 0
    assert "SIGABRT" not in log and "terminate called" not in log, log[-2000:]
