"""The workspace map in headless Chromium against plotly's ``choropleth_map`` drawing the same hexagons.

On the demo store at ``BENCH_UI_SCALE`` (100 ≈ 10 M incidents), served by the real app (``python app.py``,
gunicorn), for a street-zoom view of the urban core over 365 days (~20k H3 res-10 cells on a
2880 × 1600 screen):

- page load: navigation start → the hex layer drawn on the Leaflet canvas, with a cold and a warm cache;
- filter change: the click on "7 days" → the new hexagons drawn;
- bytes per view: what the browser received (CDP ``Network.loadingFinished.encodedDataLength``: on the
  wire, gzip and headers included), split into the app's static code (cached after the first visit), the
  view's data (page, layout, callbacks, basemap layers, hexagons) and the hexagons alone.

The peer is plotly's own answer to "hexagons on a map": ``go.Choroplethmap`` over the same cells (the
read API's GeoJSON for the very URL the page fetched), written with ``write_html(include_plotlyjs=True)``,
map style ``white-bg`` (no tiles, works offline), served gzipped from a local server and timed the same
way, to ``plotly_afterplot`` (and to MapLibre's ``idle``, when the hexagons are really painted). Its filter
change fetches the 7-day GeoJSON from the app (through the same local server) and ``Plotly.react``s.

"Drawn" is read from the page, not guessed: a probe injected before any page script (CDP
``Page.addScriptToEvaluateOnNewDocument``) wraps Leaflet's ``L.Canvas._redraw`` and notes the time of each
redraw that shows a new set of hexagons (features with a ``cell`` property); the app is not changed.

Environment: ``BENCH_UI_SCALE`` (100), ``BENCH_UI_DB`` (an existing demo store instead of building one),
``BENCH_UI_REPEAT`` (5 timed runs of each; the median is kept), ``BENCH_TMP`` (where a built store goes).
"""
from __future__ import annotations

import atexit
import contextlib
import gzip
import http.server
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from bench._util import pipeline, record, run_measured
from pages import ids

REPO = Path(__file__).resolve().parents[1]
SCALE = float(os.environ.get("BENCH_UI_SCALE", "100"))   # 100 ≈ 10 M incidents
REPEAT = int(os.environ.get("BENCH_UI_REPEAT", "5"))

# The view: street zoom (→ H3 res 10) over the densest part of the demo's urban core, 365 days. On a
# 2880 × 1600 screen the map is ~2460 × 1505 px, which with the app's viewport padding holds ~20k cells at
# scale 100 (fewer at small scales: the cell count is printed).
VIEW = {"lat": 29.60, "lon": 103.47, "zoom": 14, "period": "365d"}
FILTER_PERIOD = "7d"
SCREEN = (2880, 1600)
# Targets from the issue.
LOAD_TARGET_MS, FILTER_TARGET_MS, VIEW_TARGET_BYTES = 1500, 1000, 500_000

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# Without the background-networking flags Chromium tries to reach Google's services at start and is refused.
# MapLibre (the peer) needs WebGL: without a GPU that is SwiftShader, which Chromium wants opted into.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-unsafe-swiftshader", "--hide-scrollbars")
SERVER_START_TIMEOUT_S = 90
HEALTH = "/api/v1/health"
LOG_TAIL_CHARS = 6000
DRAW_TIMEOUT_S = 60
# After a view is drawn: time for late requests (basemap layers) to finish and for a stray second redraw
# (which would mean a second hex request) to show up.
SETTLE_S = 1.5

# Runs before any page script. Leaflet: every canvas redraw that shows a new set of hexagons (the first
# feature with a `cell` property is a new object: dash-leaflet replaced the layer's data). Plotly: every
# plotly_afterplot of the page's graph, and MapLibre's next `idle` after it (the frame really painted).
PROBE_JS = """
(() => {
  const probe = window.__benchProbe = {draws: [], clicks: [], plots: [], idle: [], start: null};
  addEventListener('click', () => probe.clicks.push(performance.now()), true);
  let lastFirst = null;
  function noteHexes(renderer) {
    let first = null, count = 0;
    for (const id in renderer._layers) {
      const f = renderer._layers[id].feature;
      if (f && f.properties && f.properties.cell !== undefined) { first = first || renderer._layers[id]; count++; }
    }
    if (first && first !== lastFirst) {
      lastFirst = first;
      probe.draws.push({t: performance.now(), count: count});
    }
  }
  // The page's own scripts (dash-leaflet's bundle, or plotly.js and the newPlot call) have run by now;
  // nothing has been fetched or drawn yet.
  document.addEventListener('DOMContentLoaded', () => {
    if (window.L && L.Canvas) {
      const redraw = L.Canvas.prototype._redraw;
      L.Canvas.prototype._redraw = function () { redraw.apply(this, arguments); noteHexes(this); };
    }
    const gd = document.querySelector('.js-plotly-plot');
    if (gd && gd.on) {
      gd.on('plotly_afterplot', () => {
        probe.plots.push(performance.now());
        const map = gd._fullLayout.map && gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
        if (map) { map.once('idle', () => probe.idle.push(performance.now())); map.triggerRepaint(); }
      });
    }
  });
})();
"""

# The peer's filter change: fetch the GeoJSON, give plotly the new hexagons (same trace otherwise).
PEER_FILTER_JS = """
const probe = window.__benchProbe, gd = document.querySelector('.js-plotly-plot');
probe.start = performance.now();
fetch(arguments[0]).then(r => r.json()).then(gj => {
  const old = gd.data[0];
  const trace = {type: 'choroplethmap', geojson: gj, featureidkey: 'properties.cell',
                 locations: gj.features.map(f => f.properties.cell),
                 z: gj.features.map(f => f.properties.incidents),
                 colorscale: old.colorscale, marker: old.marker, showscale: old.showscale};
  return Plotly.react(gd, [trace], gd.layout);
});
"""


# -- the store and the app --------------------------------------------------------------------------------
@cache
def demo_store() -> tuple[Path, float | None]:
    """(path, seconds to build it) of the demo store: ``BENCH_UI_DB`` if set, else built once per process."""
    if os.environ.get("BENCH_UI_DB"):
        return Path(os.environ["BENCH_UI_DB"]), None
    tmp = Path(tempfile.mkdtemp(prefix="bench-ui-", dir=os.environ.get("BENCH_TMP")))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    db = tmp / "demo.duckdb"
    print(f"building the demo store at scale {SCALE:g} …", flush=True)
    seconds, _, _ = run_measured(pipeline("build-demo", "--db", str(db), "--scale", str(SCALE), "--seed", "3"))
    return db, seconds


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, what: str, timeout_s: float, interval_s: float = 0.02):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")


@contextlib.contextmanager
def running_app(db: Path, workers: int | None = None):
    """``python app.py --db DB --port N`` (gunicorn, the app's default workers): yields its base URL.

    The app's log is printed if the block fails (a callback's traceback is there, not in the browser).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "app.py", "--db", str(db), "--port", str(port)]
    if workers:
        args += ["--workers", str(workers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIS_")}   # no tile server
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        ok = False
        try:
            def healthy():
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"the app exited {proc.returncode}:\n{log.read()}")
                with contextlib.suppress(OSError), urllib.request.urlopen(url + HEALTH, timeout=5) as response:
                    return json.loads(response.read())
                return None
            wait_until(healthy, f"the app's {HEALTH}", SERVER_START_TIMEOUT_S, 0.2)
            yield url
            ok = True
        finally:
            if not ok:
                log.seek(0)
                print(f"--- the app's log ---\n{log.read()[-LOG_TAIL_CHARS:]}", file=sys.stderr)
            proc.terminate()            # gunicorn's master stops its workers on SIGTERM
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- the browser ----------------------------------------------------------------------------------------
class Chromium:
    """Headless Chromium with the probe injected and the network log (CDP events) kept."""

    def __init__(self, width: int, height: int):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self._profile = tempfile.mkdtemp(prefix="bench-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", f"--window-size={width},{height + 200}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(DRAW_TIMEOUT_S)
        self.cdp("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.cdp("Network.enable")
        self.cdp("Page.addScriptToEvaluateOnNewDocument", source=PROBE_JS)

    def cdp(self, method: str, **params):
        return self.driver.execute_cdp_cmd(method, params)

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self._profile, ignore_errors=True)

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def probe(self) -> dict:
        return self.js("return window.__benchProbe || null;") or {}

    def login(self, app: str) -> None:
        """Sign in through the login form (clearing the cache later keeps the session cookie)."""
        self.driver.get(f"{app}/login")
        self.driver.find_element("id", "username").send_keys(BENCH_USER)
        self.driver.find_element("id", "password").send_keys(BENCH_PASSWORD)
        self.driver.find_element("id", "login-submit").click()
        wait_until(lambda: "/login" not in self.driver.current_url, "the bench user to be signed in", DRAW_TIMEOUT_S)

    def clear_cache(self) -> None:
        self.cdp("Network.clearBrowserCache")

    def network(self) -> list[dict]:
        """The HTTP requests finished since the last call: url, bytes on the wire, status."""
        requests: dict[str, dict] = {}
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            method, params = message["method"], message.get("params", {})
            if method == "Network.requestWillBeSent":
                requests.setdefault(params["requestId"], {})["url"] = params["request"]["url"]
            elif method == "Network.responseReceived":
                requests.setdefault(params["requestId"], {})["status"] = params["response"]["status"]
            elif method == "Network.loadingFinished":
                requests.setdefault(params["requestId"], {})["bytes"] = params["encodedDataLength"]
            elif method == "Network.loadingFailed":
                requests.setdefault(params["requestId"], {})["failed"] = params.get("errorText", "failed")
        return [r for r in requests.values() if r.get("url", "").startswith("http")]

    def wait_new_draw(self, seen: int, key: str = "draws") -> dict:
        """The probe's record once it holds more than ``seen`` entries under ``key``."""
        def grown():
            probe = self.probe()
            return probe if len(probe.get(key, [])) > seen else None
        return wait_until(grown, f"a new {key} entry", DRAW_TIMEOUT_S)

    def timeline(self) -> dict:
        """When (ms from navigation start) the DOM was ready and the hexagons were asked for and received."""
        return self.js("""
            const nav = performance.getEntriesByType('navigation')[0];
            const hex = performance.getEntriesByType('resource').filter(e => e.name.includes('/incidents.pbf'))[0];
            return {dom_ready: nav.domContentLoadedEventEnd, hex_request: hex ? hex.startTime : null,
                    hex_received: hex ? hex.responseEnd : null};""")


def split_bytes(requests: list[dict]) -> dict[str, int]:
    """Bytes on the wire by kind: the app's static code, callbacks, read-API data, the hexagons."""
    out = {"static": 0, "page": 0, "callbacks": 0, "api": 0, "hexes": 0}
    for r in requests:
        path = urlsplit(r["url"]).path
        n = r.get("bytes", 0)
        if "/layers/incidents." in path:
            out["hexes"] += n
        elif path.startswith("/api/"):
            out["api"] += n
        elif path.startswith("/_dash-update-component"):
            out["callbacks"] += n
        elif path.startswith(("/_dash-component-suites/", "/assets/", "/_favicon")):
            out["static"] += n
        else:                           # the document, /_dash-layout, /_dash-dependencies
            out["page"] += n
    out["total"] = sum(out.values())
    out["view"] = out["total"] - out["static"]
    return out


def failed(requests: list[dict]) -> list[str]:
    return [f"{r.get('status', r.get('failed'))} {r['url']}" for r in requests
            if r.get("failed") or r.get("status", 200) >= 400]


# -- the app's page -------------------------------------------------------------------------------------
def load_view(browser: Chromium, url: str, cold: bool) -> dict:
    """Open ``url``; the time from navigation start to the hexagons drawn, and what came over the network."""
    if cold:
        browser.clear_cache()
    browser.network()                                   # drop what came before
    browser.driver.get(url)
    browser.wait_new_draw(0)
    time.sleep(SETTLE_S)
    probe, requests = browser.probe(), browser.network()
    if failed(requests):
        raise RuntimeError(f"failed requests: {failed(requests)}")
    return {"ms": probe["draws"][-1]["t"], "draws": len(probe["draws"]), "cells": probe["draws"][-1]["count"],
            "bytes": split_bytes(requests), "hex_urls": hex_urls(requests), **browser.timeline()}


def change_period(browser: Chromium, period: str) -> dict:
    """Click a period; the time from the click to the new hexagons drawn, and the bytes it cost."""
    seen = len(browser.probe()["draws"])
    browser.network()
    browser.driver.find_element("css selector", f'#{ids.PERIOD} input[value="{period}"]').click()
    browser.wait_new_draw(seen)
    time.sleep(SETTLE_S)
    probe, requests = browser.probe(), browser.network()
    if failed(requests):
        raise RuntimeError(f"failed requests: {failed(requests)}")
    return {"ms": probe["draws"][-1]["t"] - probe["clicks"][-1], "draws": len(probe["draws"]) - seen,
            "cells": probe["draws"][-1]["count"], "bytes": split_bytes(requests), "hex_urls": hex_urls(requests)}


def hex_urls(requests: list[dict]) -> list[str]:
    return [r["url"] for r in requests if "/layers/incidents.pbf" in r["url"]]


# -- the peer -------------------------------------------------------------------------------------------
def peer_figure(geojson: dict, map_size: tuple[int, int]):
    """plotly's choropleth_map of the hexagons: the same view, the same colours, no basemap tiles."""
    import plotly.graph_objects as go

    from layers.base import HEAT_COLORS

    features = geojson["features"]
    scale = [(i / (len(HEAT_COLORS) - 1), c) for i, c in enumerate(HEAT_COLORS)]
    fig = go.Figure(go.Choroplethmap(
        geojson=geojson, featureidkey="properties.cell", locations=[f["properties"]["cell"] for f in features],
        z=[f["properties"]["incidents"] for f in features], colorscale=scale,
        marker={"opacity": 0.72, "line": {"width": 0.4, "color": "#ffffff"}}))
    # MapLibre's zoom counts 512-px tiles, Leaflet's 256-px ones: one less for the same scale.
    fig.update_layout(map={"style": "white-bg", "center": {"lat": VIEW["lat"], "lon": VIEW["lon"]},
                           "zoom": VIEW["zoom"] - 1},
                      width=map_size[0], height=map_size[1], margin={"l": 0, "r": 0, "t": 0, "b": 0})
    return fig


def peer_html(fig) -> tuple[str, int]:
    """The page ``write_html(include_plotlyjs=True)`` writes, and the gzipped size of its data alone."""
    with tempfile.TemporaryDirectory(prefix="bench-plotly-") as tmp:
        path = Path(tmp) / "choropleth_map.html"
        fig.write_html(path, include_plotlyjs=True, full_html=True)
        html = path.read_text()
    return html, len(gzip.compress(fig.to_html(include_plotlyjs=False, full_html=True).encode(), 6))


@contextlib.contextmanager
def peer_server(html: str, app_url: str):
    """The peer page, gzipped like the app's payloads, and ``/api/…`` passed through to the app."""
    page = gzip.compress(html.encode(), 6)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/api/"):
                upstream = urllib.request.Request(app_url + self.path, headers={
                    "Accept-Encoding": "gzip", "Authorization": f"Bearer {_token[0]}"})
                with urllib.request.urlopen(upstream, timeout=120) as response:
                    body, headers = response.read(), response.headers
                self.send_response(200)
                for name in ("Content-Type", "Content-Encoding"):
                    if headers.get(name):
                        self.send_header(name, headers[name])
            elif self.path == "/":
                body = page
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Encoding", "gzip")
            else:
                body = b""
                self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def load_peer(browser: Chromium, url: str) -> dict:
    browser.clear_cache()
    browser.network()
    browser.driver.get(url)
    browser.wait_new_draw(0, "idle")
    probe, requests = browser.probe(), browser.network()
    return {"ms": probe["plots"][0], "idle_ms": probe["idle"][0], "bytes": split_bytes(requests)["total"]}


def peer_filter(browser: Chromium, api_path: str) -> dict:
    seen = len(browser.probe()["idle"])
    browser.network()
    browser.js(PEER_FILTER_JS, api_path)
    probe = browser.wait_new_draw(seen, "idle")
    requests = browser.network()
    start = probe["start"]
    return {"ms": next(t for t in probe["plots"] if t > start) - start, "idle_ms": probe["idle"][-1] - start,
            "bytes": split_bytes(requests)["total"]}


# -- the run --------------------------------------------------------------------------------------------
def median(runs: list[dict], key: str = "ms") -> float:
    return round(statistics.median(r[key] for r in runs), 1)


# The bench signs in like a user: a leader of its own in the store's accounts (made if missing).
BENCH_USER, BENCH_PASSWORD = "bench-leader", "bench-password-1"
_token: list[str] = []


def bench_account(db: Path) -> str:
    """Make sure the bench's leader exists; remember an API token for ``fetch``."""
    from auth.accounts import Accounts

    accounts = Accounts(db)
    if accounts.user(BENCH_USER) is None:
        accounts.add_user(BENCH_USER, "leader", BENCH_PASSWORD)
    _token[:] = [accounts.new_api_token(BENCH_USER)]
    return _token[0]


def fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {_token[0]}"} if _token else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


def view_url(base: str) -> str:
    return f"{base}/?period={VIEW['period']}&lat={VIEW['lat']}&lon={VIEW['lon']}&zoom={VIEW['zoom']}"


def store_label(db: Path) -> str:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT value FROM meta WHERE key = 'scenario'").fetchone()
    return row[0] if row else str(db)


def main() -> None:
    db, build_s = demo_store()
    store = store_label(db)
    load_before = os.getloadavg()[0]
    bench_account(db)
    with running_app(db) as app:
        health = json.loads(fetch(app + HEALTH))
        browser = Chromium(*SCREEN)
        try:
            browser.login(app)
            ours = measure_ours(browser, app)
            geojson = json.loads(fetch(app + geojson_path(ours["hex_url"])))
            html, peer_data_bytes = peer_html(peer_figure(geojson, ours["map_size"]))
            with peer_server(html, app) as peer_url:
                peer = measure_peer(browser, peer_url, geojson_path(ours["filter_hex_url"]))
        finally:
            browser.quit()
    if len(geojson["features"]) != ours["cells"]:
        raise RuntimeError(f"the map drew {ours['cells']} hexagons, the API has {len(geojson['features'])}")
    peer_load, peer_filter_ms = median(peer["loads"]), median(peer["filters"])
    peer_page_bytes = peer["loads"][0]["bytes"]
    record("ui_20k_view", {
        "store": store, "incidents": health["incidents"], "build_demo_s": build_s and round(build_s, 1),
        "view": f"res {ours['res']}, zoom {VIEW['zoom']}, {VIEW['period']} at {VIEW['lat']},{VIEW['lon']}",
        "screen_px": "x".join(map(str, SCREEN)), "map_px": "x".join(map(str, ours["map_size"])),
        "cells": ours["cells"], "cells_7d": ours["cells_7d"], "runs": REPEAT,
        # ours: medians of REPEAT runs, ms from navigation start (load) or from the click (filter)
        "load_cold_ms": ours["load_cold_ms"], "load_warm_ms": ours["load_warm_ms"],
        "cold_timeline_ms": ours["cold_timeline_ms"], "filter_ms": ours["filter_ms"],
        "hex_draws_per_view": ours["draws_per_view"],
        # ours: bytes on the wire (gzip and headers included), from the first cold run
        "view_bytes": ours["view_bytes"], "hex_bytes": ours["hex_bytes"], "static_bytes": ours["static_bytes"],
        "filter_bytes": ours["filter_bytes"], "filter_hex_bytes": ours["filter_hex_bytes"],
        # peer: plotly choropleth_map, the same hexagons
        "plotly_load_ms": peer_load, "plotly_load_painted_ms": median(peer["loads"], "idle_ms"),
        "plotly_filter_ms": peer_filter_ms, "plotly_filter_painted_ms": median(peer["filters"], "idle_ms"),
        "plotly_page_bytes": peer_page_bytes, "plotly_data_bytes": peer_data_bytes,
        "plotly_html_raw_bytes": len(html.encode()), "plotly_filter_bytes": peer["filters"][0]["bytes"],
        # side by side: plotly / ours
        "load_ratio": round(peer_load / ours["load_cold_ms"], 2),
        "filter_ratio": round(peer_filter_ms / ours["filter_ms"], 2),
        "hex_bytes_ratio": round(peer_data_bytes / ours["hex_bytes"], 2),
        "page_bytes_ratio": round(peer_page_bytes / (ours["static_bytes"] + ours["view_bytes"]), 2),
        "targets_met": {"load<1.5s": ours["load_cold_ms"] < LOAD_TARGET_MS,
                        "filter<1s": ours["filter_ms"] < FILTER_TARGET_MS,
                        "view<500kB": ours["view_bytes"] < VIEW_TARGET_BYTES},
        "cpus": os.cpu_count(), "loadavg_before": round(load_before, 2), "loadavg_after": round(os.getloadavg()[0], 2),
    })


def geojson_path(pbf_url: str) -> str:
    """The read API's GeoJSON twin of a geobuf URL (same parameters, same hexagons)."""
    parts = urlsplit(pbf_url)
    return parts.path.replace("/incidents.pbf", "/incidents.geojson") + "?" + parts.query


def measure_ours(browser: Chromium, app: str) -> dict:
    url = view_url(app)
    load_view(browser, url, cold=True)                  # warm the server (DuckDB buffers, gunicorn workers)
    colds, warms, filters = [], [], []
    for _ in range(REPEAT):
        colds.append(load_view(browser, url, cold=True))
        filters.append(change_period(browser, FILTER_PERIOD))
    for _ in range(REPEAT):
        warms.append(load_view(browser, url, cold=False))
    first, change = colds[0], filters[0]
    if len(first["hex_urls"]) != 1 or len(change["hex_urls"]) != 1:
        raise RuntimeError(f"expected one hex request per view: {first['hex_urls']} / {change['hex_urls']}")
    size = browser.js("const r = document.getElementById(arguments[0]).getBoundingClientRect(); "
                      "return [Math.round(r.width), Math.round(r.height)];", ids.MAP)
    query = dict(pair.split("=", 1) for pair in urlsplit(first["hex_urls"][0]).query.split("&"))
    timeline = {key: median(colds, key) for key in ("dom_ready", "hex_request", "hex_received")}
    return {"load_cold_ms": median(colds), "load_warm_ms": median(warms), "filter_ms": median(filters),
            "cold_timeline_ms": timeline | {"hex_drawn": median(colds)},
            "draws_per_view": max(r["draws"] for r in colds + warms + filters), "cells": first["cells"],
            "cells_7d": change["cells"], "res": int(query["resolution"]), "map_size": tuple(size),
            "view_bytes": first["bytes"]["view"], "hex_bytes": first["bytes"]["hexes"],
            "static_bytes": first["bytes"]["static"], "filter_bytes": change["bytes"]["total"],
            "filter_hex_bytes": change["bytes"]["hexes"], "hex_url": first["hex_urls"][0],
            "filter_hex_url": change["hex_urls"][0]}


def measure_peer(browser: Chromium, url: str, filter_geojson_path: str) -> dict:
    load_peer(browser, url)                             # warm-up, as for ours
    loads, filters = [], []
    for _ in range(REPEAT):
        loads.append(load_peer(browser, url))
        filters.append(peer_filter(browser, filter_geojson_path))
    return {"loads": loads, "filters": filters}


if __name__ == "__main__":
    main()
