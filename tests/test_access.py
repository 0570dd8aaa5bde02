"""Access control (issue 4): each caller reads what their role and scope allow, enforced where data is read.

The acceptance tests talk HTTP to the real server (``python app.py``, gunicorn, 2 workers) on a copy of the
demo store, with accounts made through the real command line. The last test walks every registered Dash
callback and every API route in-process, spying on the query runner, so a new route or callback that reads
without the caller's scope fails the suite.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import duckdb
import pytest
import requests
from conftest import REPO
from test_api import REQUEST_TIMEOUT_S, Server, demo_store_path, serve_copy, stop_server

import queries
from auth.accounts import MAX_FAILED_LOGINS, Accounts

OWN, OTHER = "511181-01", "511181-02"           # 绥山 and 名山
OWN_NAME, OTHER_NAME = "绥山派出所", "名山派出所"
PASSWORD = "a-long-password-1"
WINDOW = {"resolution": 7}                       # every incident: the widest read


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    return demo_store_path(tmp_path_factory)


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory):
    server = serve_copy(demo_store, tmp_path_factory.mktemp("access"))
    yield server
    stop_server(server)


def app_cli(*args: str, db, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python app.py ARGS --db DB`` as a bureau's script would run it (while the server serves)."""
    return subprocess.run([sys.executable, "app.py", *args, "--db", str(db)], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=120, check=True)


def add_user(server: Server, name: str, role: str, station: str | None = None) -> None:
    if Accounts(server.db).user(name) is None:
        Accounts(server.db).add_user(name, role, PASSWORD, station)


def login(server: Server, name: str, password: str = PASSWORD) -> tuple[requests.Session, requests.Response]:
    """A browser-like session signed in through the login form (CSRF token included)."""
    session = requests.Session()
    form = session.get(server.base + "/login", timeout=REQUEST_TIMEOUT_S)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = session.post(server.base + "/login", data={"username": name, "password": password, "csrf": csrf},
                          allow_redirects=False, timeout=REQUEST_TIMEOUT_S)
    return session, answer


def chief_session(server: Server, name: str = "chief-own") -> requests.Session:
    add_user(server, name, "station_chief", OWN)
    session, answer = login(server, name)
    assert answer.status_code == 302, answer.text
    return session


def audit_entries(server: Server, event: str) -> list[tuple]:
    return Accounts(server.db).audit_entries(500, event)


def geojson_counts(response: requests.Response) -> dict[str, int]:
    assert response.status_code == 200, response.text
    return {f["properties"]["cell"]: f["properties"]["incidents"] for f in response.json()["features"]}


# -- unauthenticated ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/", 302), ("GET", "/wall", 302), ("GET", "/plan?lang=en", 302),
    ("GET", "/api/v1/layers/incidents.geojson?resolution=8", 401),
    ("GET", "/api/v1/layers/incidents.pbf?resolution=8", 401),
    ("GET", "/api/v1/layers/boundaries.geojson", 401),
    ("GET", "/api/v1/exports/cells.csv?resolution=8", 401),
    ("GET", "/_dash-layout", 401), ("GET", "/_dash-dependencies", 401),
    ("POST", "/_dash-update-component", 401),
])
def test_unauthenticated_gets_the_login_page_or_401(server, method, path, status):
    response = requests.request(method, server.base + path, allow_redirects=False, timeout=REQUEST_TIMEOUT_S,
                                json={} if method == "POST" else None)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/login?next=")
    else:
        assert response.json() == {"error": "authentication required"}
        assert "incidents" not in response.text


def test_login_page_speaks_both_languages_and_health_stays_public(server):
    zh = requests.get(server.base + "/login", timeout=REQUEST_TIMEOUT_S)
    en = requests.get(server.base + "/login?lang=en", timeout=REQUEST_TIMEOUT_S)
    assert "用户名" in zh.text and "登录" in zh.text and '<html lang="zh-CN">' in zh.text
    assert "User name" in en.text and "Sign in" in en.text
    health = requests.get(server.base + "/api/v1/health", timeout=REQUEST_TIMEOUT_S).json()
    assert health["status"] == "ok" and "incidents" not in health    # figures only for who may read them


def test_session_cookie_and_security_headers(server):
    add_user(server, "leader-h", "leader")
    _session, answer = login(server, "leader-h")
    cookie = answer.headers["Set-Cookie"]
    assert "gis_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    headers = answer.headers
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'" and csp["connect-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert all(src == "'self'" or src.startswith("'sha256-") for src in csp["script-src"].split())
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


def test_login_form_needs_its_csrf_token(server):
    add_user(server, "leader-c", "leader")
    session = requests.Session()
    session.get(server.base + "/login", timeout=REQUEST_TIMEOUT_S)
    answer = session.post(server.base + "/login", data={"username": "leader-c", "password": PASSWORD,
                                                         "csrf": "forged"}, allow_redirects=False)
    assert answer.status_code == 400 and "gis_session" not in session.cookies.get_dict().get("user", "")
    assert session.get(server.base + "/api/v1/layers/incidents.geojson", params=WINDOW).status_code == 401


# -- a station chief ---------------------------------------------------------------------------------------
def test_chief_reading_another_station_by_api_is_denied_and_audited(server):
    session = chief_session(server)
    before = len(audit_entries(server, "denied"))
    response = session.get(server.base + "/api/v1/layers/incidents.geojson",
                           params=WINDOW | {"station": OTHER}, timeout=REQUEST_TIMEOUT_S)
    assert response.status_code == 403 and "features" not in response.text
    denied = audit_entries(server, "denied")
    assert len(denied) == before + 1
    at, event, outcome, actor, _ip, path, detail = denied[0]
    assert (event, outcome, actor, path) == ("denied", "scope", "chief-own", "/api/v1/layers/incidents.geojson")
    assert OTHER in detail


def test_chief_export_of_another_station_is_denied_and_their_own_is_audited(server):
    session = chief_session(server)
    denied = session.get(server.base + "/api/v1/exports/cells.csv", params=WINDOW | {"station": OTHER})
    assert denied.status_code == 403
    assert audit_entries(server, "denied")[0][5] == "/api/v1/exports/cells.csv"
    own = session.get(server.base + "/api/v1/exports/cells.csv", params=WINDOW | {"suppress": "1"})
    assert own.status_code == 200 and own.headers["Content-Type"].startswith("text/csv")
    rows = [line.split(",") for line in own.text.strip().splitlines()[1:]]
    assert rows and all(n == "<3" or int(n) >= 3 for _cell, n in rows)
    exports = audit_entries(server, "export")
    assert exports[0][3] == "chief-own" and "res=7" in exports[0][6]


def test_chief_forged_callback_for_another_station_is_denied_and_audited(server):
    session = chief_session(server)
    page = session.get(server.base + "/", timeout=REQUEST_TIMEOUT_S)
    assert page.status_code == 200
    dependencies = session.get(server.base + "/_dash-dependencies", timeout=REQUEST_TIMEOUT_S).json()
    heatmap = next(d for d in dependencies if d["output"].startswith("..hex-layer.url"))
    values = {"period.value": "365d", "station.value": OTHER, "hours.value": [0, 24], "compare.value": "none",
              "lang.data": "zh", "map.zoom": 10,
              "map.bounds": [[29.3, 103.2], [29.8, 103.8]]}
    body = callback_body(heatmap, values, ["station.value"])
    response = session.post(server.base + "/_dash-update-component", json=body, timeout=REQUEST_TIMEOUT_S)
    assert response.status_code == 403 and "hex-layer" not in response.text
    assert audit_entries(server, "denied")[0][2] == "scope"
    # The same callback for their own station answers.
    own = session.post(server.base + "/_dash-update-component",
                       json=callback_body(heatmap, values | {"station.value": OWN}, ["station.value"]))
    assert own.status_code == 200 and "incidents.pbf" in own.text


def test_chief_boundary_hexes_count_only_incidents_inside(server):
    """At res 7 many hexagons straddle the station's boundary: the chief's counts are the inside incidents."""
    session = chief_session(server)
    chief = geojson_counts(session.get(server.base + "/api/v1/layers/incidents.geojson", params=WINDOW))
    everyone = geojson_counts(server.get("/api/v1/layers/incidents.geojson", WINDOW))
    con = duckdb.connect(str(server.db), read_only=True)
    try:
        inside = dict(con.execute("SELECT printf('%x', h3_r7), count(*) FROM incidents WHERE located "
                                  "AND station_id = ? GROUP BY 1", [OWN]).fetchall())
    finally:
        con.close()
    assert chief == inside
    straddling = [c for c in chief if everyone[c] > chief[c]]
    assert len(straddling) >= 3, "the demo's boundary should cut through several res-7 hexagons"


def test_chief_sees_only_their_outlines_and_places(server):
    session = chief_session(server)
    stations = session.get(server.base + "/api/v1/layers/boundaries.geojson", params={"level": "station"}).json()
    assert [f["properties"]["id"] for f in stations["features"]] == [OWN]
    grids = session.get(server.base + "/api/v1/layers/boundaries.geojson", params={"level": "grid"}).json()
    assert grids["features"] and all(f["properties"]["id"].startswith(OWN) for f in grids["features"])
    everyone = server.get("/api/v1/layers/places.geojson").json()["features"]
    own = session.get(server.base + "/api/v1/layers/places.geojson").json()["features"]
    assert 0 < len(own) < len(everyone)


# -- revocation, rate limit, tokens, kiosk ----------------------------------------------------------------
def test_disabled_user_loses_session_and_token_at_once(server):
    add_user(server, "chief-gone", "station_chief", OWN)
    session, _ = login(server, "chief-gone")
    token = app_cli("users", "token", "chief-gone", db=server.db).stdout.strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    api = server.base + "/api/v1/layers/incidents.geojson"
    assert session.get(api, params=WINDOW).status_code == 200
    assert requests.get(api, params=WINDOW, headers=bearer).status_code == 200
    app_cli("users", "disable", "chief-gone", db=server.db)
    assert session.get(api, params=WINDOW).status_code == 401
    assert requests.get(api, params=WINDOW, headers=bearer).status_code == 401
    assert session.get(server.base + "/", allow_redirects=False).status_code == 302
    assert login(server, "chief-gone")[1].status_code == 401


def test_wrong_passwords_are_rate_limited(server):
    add_user(server, "leader-rl", "leader")
    answers = [login(server, "leader-rl", "wrong-password")[1].status_code for _ in range(MAX_FAILED_LOGINS)]
    assert answers == [401] * MAX_FAILED_LOGINS
    assert login(server, "leader-rl")[1].status_code == 429         # even the right password, for a while
    outcomes = Counter(e[2] for e in audit_entries(server, "login") if e[3] == "leader-rl")
    assert outcomes == {"failed": MAX_FAILED_LOGINS, "throttled": 1}


def test_users_cli_adds_lists_and_prints_a_token(server):
    added = app_cli("users", "add", "planner-cli", "--role", "planner", db=server.db, stdin=PASSWORD + "\n")
    assert "planner-cli" in added.stdout
    listed = app_cli("users", "list", db=server.db).stdout
    assert re.search(r"^planner-cli\tplanner\t-\tactive$", listed, re.M)
    token = app_cli("users", "token", "planner-cli", db=server.db).stdout.splitlines()[-1]
    response = requests.get(server.base + "/api/v1/layers/incidents.geojson", params=WINDOW,
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["features"]
    uses = audit_entries(server, "token_use")
    assert uses[0][3] == "planner-cli" and uses[0][2] == "ok"
    bad = requests.get(server.base + "/api/v1/layers/incidents.geojson", params=WINDOW,
                       headers={"Authorization": "Bearer gis_not-a-token"})
    assert bad.status_code == 401 and audit_entries(server, "token_use")[0][2] == "failed"
    refused = subprocess.run([sys.executable, "app.py", "users", "add", "x", "--role", "station_chief",
                              "--station", "no-such", "--db", str(server.db)], cwd=REPO, input=PASSWORD + "\n",
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "no station" in refused.stderr


def test_kiosk_link_opens_the_wall_in_its_scope_until_revoked(server):
    created = app_cli("kiosk", "create", "--scope", OWN, db=server.db).stdout.strip().splitlines()
    path = created[-1]
    assert re.fullmatch(r"/kiosk/[A-Za-z0-9_-]{40,}", path)
    kiosk_id = int(re.search(r"kiosk link (\d+)", created[0]).group(1))
    display = requests.Session()
    opened = display.get(server.base + path, allow_redirects=False)
    assert opened.status_code == 302 and opened.headers["Location"] == "/wall"
    cookie = opened.headers["Set-Cookie"]
    assert "gis_kiosk=" in cookie and "HttpOnly" in cookie and "Max-Age=34560000" in cookie
    assert display.get(server.base + "/wall").status_code == 200
    assert display.get(server.base + "/", allow_redirects=False).headers["Location"] == "/wall"
    counts = geojson_counts(display.get(server.base + "/api/v1/layers/incidents.geojson", params=WINDOW))
    chief = geojson_counts(chief_session(server).get(server.base + "/api/v1/layers/incidents.geojson",
                                                      params=WINDOW))
    assert counts == chief                        # a station kiosk reads what that station's chief reads
    # A display that restarts opens the same link again.
    assert requests.get(server.base + path, allow_redirects=False).status_code == 302
    app_cli("kiosk", "revoke", str(kiosk_id), db=server.db)
    assert display.get(server.base + "/wall", allow_redirects=False).status_code == 302
    assert display.get(server.base + "/api/v1/layers/incidents.geojson", params=WINDOW).status_code == 401
    assert requests.get(server.base + path, allow_redirects=False).status_code == 403


def test_admin_reads_the_audit_log_but_no_incidents(server):
    add_user(server, "admin-t", "admin")
    session, answer = login(server, "admin-t")
    assert answer.headers["Location"] == "/admin"
    assert session.get(server.base + "/api/v1/layers/incidents.geojson", params=WINDOW).status_code == 403
    assert session.get(server.base + "/admin").status_code == 200
    chief = chief_session(server)
    assert chief.get(server.base + "/admin", allow_redirects=False).status_code == 403


# -- every callback and route applies the scope --------------------------------------------------------------
def callback_body(dep: dict, values: dict, changed: list[str], layout_ids: dict | None = None) -> dict:
    """The request the browser sends for a callback: each input/state with its value (wildcards expanded
    over the ids the page layout holds)."""
    def item(spec: dict):
        if is_wildcard(spec["id"]):
            pattern = json.loads(spec["id"])
            return [{"id": concrete, "property": spec["property"], "value": values.get(spec["property"])}
                    for concrete in (layout_ids or {}).get("dicts", []) if wildcard_match(pattern, concrete)]
        key = f"{spec['id']}.{spec['property']}"
        concrete = {**spec, "id": json.loads(spec["id"])} if spec["id"].startswith("{") else dict(spec)
        return {**concrete, "value": values[key]} if values.get(key) is not None else concrete

    outputs = []
    for part in dep["output"].strip(".").split("..."):
        output_id, prop = part.rsplit(".", 1)
        if not is_wildcard(output_id):
            outputs.append({"id": json.loads(output_id) if output_id.startswith("{") else output_id,
                            "property": prop})
        else:
            pattern = json.loads(output_id)
            outputs.append([{"id": c, "property": prop} for c in (layout_ids or {}).get("dicts", [])
                            if wildcard_match(pattern, c)])
    body = {"output": dep["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [item(s) for s in dep["inputs"]], "changedPropIds": changed}
    if dep["state"]:
        body["state"] = [item(s) for s in dep["state"]]
    return body


def is_wildcard(component_id: str) -> bool:
    return component_id.startswith("{") and any(isinstance(v, list) for v in json.loads(component_id).values())


def wildcard_match(pattern: dict, concrete: dict) -> bool:
    return pattern.keys() == concrete.keys() and all(
        isinstance(v, list) or concrete[k] == v for k, v in pattern.items())


def layout_components(node, found=None) -> dict:
    """Every component of a rendered layout (JSON) by id, with its props; dict ids listed apart."""
    found = found if found is not None else {"dicts": []}
    if isinstance(node, dict) and "props" in node:
        props = node["props"]
        cid = props.get("id")
        if isinstance(cid, dict):
            found["dicts"].append(cid)
        elif cid is not None:
            found[cid] = props
        layout_components(props.get("children"), found)
    elif isinstance(node, list):
        for child in node:
            layout_components(child, found)
    return found


# Plausible values for the controls the callbacks read, with every station-like control set to another
# station: a callback must refuse or return nothing of it.
FORGED = {"period.value": "365d", "hours.value": [0, 24], "compare.value": "previous", "lang.data": "zh",
          "map.zoom": 9, "map.bounds": [[29.2, 103.1], [29.9, 103.8]], "plan-map.zoom": 9,
          "plan-map.bounds": [[29.2, 103.1], [29.9, 103.8]], "plan-period.value": "365d",
          "wall-tick.n_intervals": 1, "wall-screen.data": 1080, "station.value": OTHER,
          "zone.value": f"{OTHER}-001", "categories.value": None, "audit-event.value": None,
          "outline-toggle.value": ["station", "community", "grid"], "places-toggle.value": ["places"],
          "plan-status.value": "all", "plan-cameras-toggle.value": ["cameras"], "plan-n.value": 3,
          "plan-camera-kind.value": "video", "plan-run.n_clicks": 1, "plan-duty.value": "wartime",
          "plan-map.clickData": {"latlng": {"lat": 29.59, "lng": 103.46}},
          "patrol-period.value": "7d", "patrol-hours.value": [20, 24], "patrol-time.value": 100,
          "patrol-play.n_clicks": 1, "patrol-tick.n_intervals": 1, "patrol-map.zoom": 12,
          "patrol-map.bounds": [[29.5, 103.3], [29.7, 103.6]]}
# Controls whose every value leads somewhere else: each callback reading one is walked once per value.
VARIANTS = {"plan-layer.value": ["incidents", "coverage", "blind", "rings"], "plan-map.zoom": [9, 17],
            "patrol-layer.value": ["presence", "reach"]}


def test_every_callback_and_route_applies_the_callers_scope(demo_store, tmp_path, monkeypatch):
    """As 绥山's chief, call every API route and every Dash callback asking for 名山: each one refuses (403)
    or answers without 名山's data, and every scoped query it ran was bound to 绥山 alone."""
    from app import create_app

    db = tmp_path / "walk.duckdb"
    db.write_bytes(demo_store.read_bytes())
    Accounts(db).add_user("walker", "station_chief", PASSWORD, OWN)
    app = create_app(db)
    client = app.server.test_client()
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    assert client.post("/login", data={"username": "walker", "password": PASSWORD, "csrf": csrf}).status_code == 302

    runs: list[tuple[str, object]] = []
    real_run = queries.run

    def spy(con, name, **params):
        runs.append((name, queries.scope_of(con) if isinstance(con, queries.ScopedConnection) else "RAW"))
        return real_run(con, name, **params)

    monkeypatch.setattr(queries, "run", spy)
    monkeypatch.setattr(queries, "MEMO_ENTRIES", 0)          # no answer from a cache: every read is seen

    checked_routes = []
    for rule in app.server.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or "GET" not in rule.methods:
            continue
        runs.clear()
        response = client.get(rule.rule, query_string={"resolution": 8, "station": OTHER, "level": "station",
                                                       "lat": 29.59, "lon": 103.46, "n": 2, "at": "2026-01-01T10:00",
                                                       "from": "2026-01-01", "to": "2026-01-02"})
        text = response.get_data().decode("utf-8", "replace")       # geobuf is binary
        assert response.status_code in (200, 403), (rule.rule, response.status_code, text[:200])
        shown = json.dumps(response.get_json(), ensure_ascii=False) if response.is_json else text
        assert OTHER_NAME not in shown and OTHER not in shown.replace(f"station={OTHER}", ""), rule.rule
        assert_scoped(runs, rule.rule)
        checked_routes.append(rule.rule)
    assert "/api/v1/layers/incidents.pbf" in checked_routes and "/api/v1/exports/cells.csv" in checked_routes

    # A click on a hexagon (res 7 at zoom 9) with 名山's incidents and none of 绥山's.
    con = duckdb.connect(str(db), read_only=True)
    other_cell, other_ids = con.execute(
        "SELECT printf('%x', h3_r7), list(id) FROM incidents WHERE located GROUP BY h3_r7 "
        "HAVING bool_or(station_id = $other) AND NOT bool_or(station_id = $own) ORDER BY count(*) DESC LIMIT 1",
        {"other": OTHER, "own": OWN}).fetchone()
    con.close()
    forged = FORGED | {"hex-layer.clickData": {"type": "Feature", "properties": {"cell": other_cell}}}
    dependencies = [d for d in client.get("/_dash-dependencies").get_json() if not d.get("clientside_function")]
    layouts = {}
    for path in ("/", "/wall", "/plan", "/patrol", "/admin"):
        body = client.post("/_dash-update-component", json=page_body(dependencies, path)).get_json()
        layouts[path] = body["response"]["_pages_content"]["children"]
        assert OTHER_NAME not in json.dumps(layouts[path], ensure_ascii=False), f"{path} offers {OTHER_NAME}"
    ids = layout_components([layouts[p] for p in layouts])
    scoped_reads = 0
    for dep in dependencies:
        if dep["output"].startswith(".._pages_content"):
            continue
        for values in variants(dep, forged):
            runs.clear()
            changed = [f"{s['id']}.{s['property']}" for s in dep["inputs"][:1]]
            response = client.post("/_dash-update-component", json=callback_body(dep, values, changed, ids))
            text = response.get_data(as_text=True)
            assert response.status_code in (200, 204, 403), (dep["output"], response.status_code, text[:300])
            shown = json.dumps(response.get_json(), ensure_ascii=False) if response.is_json else text
            assert OTHER_NAME not in shown and not any(f'"{i}"' in shown for i in other_ids), dep["output"]
            assert_scoped(runs, dep["output"])
            scoped_reads += len(runs)
    assert scoped_reads > 0, "the walk reached no data-reading callback"


def variants(dep: dict, values: dict) -> list[dict]:
    """The forged values, once per value of each VARIANTS control the callback reads."""
    keys = {f"{s['id']}.{s['property']}" for s in dep["inputs"] + dep["state"]}
    out = [values]
    for key, choices in VARIANTS.items():
        if key in keys:
            out = [v | {key: choice} for v in out for choice in choices]
    return out


def page_body(dependencies: list[dict], path: str) -> dict:
    dep = next(d for d in dependencies if d["output"].startswith(".._pages_content"))
    return callback_body(dep, {"_pages_location.pathname": path, "_pages_location.search": ""},
                         ["_pages_location.pathname"])


def assert_scoped(runs: list[tuple[str, object]], where: str) -> None:
    for name, scope in runs:
        assert scope != "RAW", f"{where} ran {name} on a raw connection, around the scope"
        if "$scope" in queries.sql(name):
            assert scope == (OWN,), f"{where} ran {name} with scope {scope!r}"
