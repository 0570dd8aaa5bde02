"""30 simulated users on the workspace for 60 s: the real Dash callback requests and hex fetches, timed.

Each user (a thread with its own ``requests`` session, loopback only) opens the workspace as the browser
does — the page, ``/_dash-layout``, ``/_dash-dependencies``, the pages callback that returns the workspace
layout, the first heatmap and chart callbacks and the hexagons — then, until the time is up, pauses (think
time) and either changes a filter (period, categories, hours: the heatmap and chart callbacks, as the browser
fires both) or pans/zooms the map (the heatmap callback), and fetches the geobuf URL the heatmap callback
returned. The callback bodies are built from the app's own callback map (``/_dash-dependencies``) in the shape
the browser sends (checked against a captured one: ``output``, ``outputs``, ``inputs`` with values, ``state``,
``changedPropIds``), and carry the page's ``endId`` like the browser's.

Recorded per kind (heatmap and chart callbacks, all callbacks, the geobuf, the page-open requests): count,
errors (an HTTP status other than 200/204, a timeout, a callback answer without ``response``), p50/p95/p99
latency; and the throughput. The load generator runs on the same machine as the app.

Environment: ``BENCH_LOAD_USERS`` (30), ``BENCH_LOAD_SECONDS`` (60, ramp included), ``BENCH_LOAD_RAMP_S`` (5: the
users open the page one after another over this time, not in one burst), ``BENCH_LOAD_THINK_S`` (mean think
time between a user's actions, 1.0; 0 for a stress run), ``BENCH_LOAD_URL`` (an app already running on loopback;
else one is started on the demo store of ``bench_ui``: ``BENCH_UI_DB`` or built at ``BENCH_UI_SCALE``),
``BENCH_LOAD_WORKERS`` (gunicorn workers of the started app; the app's default if unset).
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import random
import re
import threading
import time
from collections import defaultdict
from urllib.parse import urlsplit

import numpy as np
import requests

from bench._util import record
from bench.bench_ui import BENCH_PASSWORD, BENCH_USER, bench_account, demo_store, fetch, running_app

USERS = int(os.environ.get("BENCH_LOAD_USERS", "30"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
THINK_S = float(os.environ.get("BENCH_LOAD_THINK_S", "1.0"))
RAMP_S = float(os.environ.get("BENCH_LOAD_RAMP_S", "5"))
WORKERS = int(os.environ["BENCH_LOAD_WORKERS"]) if os.environ.get("BENCH_LOAD_WORKERS") else None
REQUEST_TIMEOUT_S = 30
CALLBACK_HEADERS = {"Accept": "application/json"}
# Targets from the issue.
CALLBACK_P95_TARGET_MS = 500

# What users look at: a 1600 × 900 map (a 1080p screen less the filter bar and side panel) somewhere over
# the demo's county, at the zooms people work at (res 8 to 10), panning by up to half a screen.
MAP_PX = (1600, 900)
AREA = {"lat": (29.45, 29.68), "lon": (103.30, 103.58)}
ZOOMS = (11, 12, 13, 14, 15)
PAN_FRACTION = 0.5
PERIODS = ("24h", "7d", "28d", "365d")
CATEGORY_CHOICES = (None, ["theft"], ["theft", "fraud", "telecom_fraud"], ["violence", "robbery"])
HOUR_CHOICES = ([0, 24], [18, 24], [8, 18])
# Share of actions that change a filter (the rest pan or zoom the map).
FILTER_SHARE = 0.4

HEATMAP = "..hex-layer.url...hex-layer.hideout...legend.children.."
CHARTS = "..trend-chart.figure...category-chart.figure...matrix-chart.figure.."
PAGES = ".._pages_content.children..._pages_store.data.."


def viewport_bounds(lat: float, lon: float, zoom: int, size=MAP_PX) -> list[list[float]]:
    """[[south, west], [north, east]] of a Web-Mercator map of ``size`` pixels centred on (lat, lon)."""
    scale = 256 * 2 ** zoom
    x = (lon + 180) / 360 * scale
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * scale

    def to_latlon(px: float, py: float) -> tuple[float, float]:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / scale)))), px / scale * 360 - 180

    south, west = to_latlon(x - size[0] / 2, y + size[1] / 2)
    north, east = to_latlon(x + size[0] / 2, y - size[1] / 2)
    return [[south, west], [north, east]]


class CallbackMap:
    """The app's callbacks by output, and the request body the browser would send for one."""

    def __init__(self, dependencies: list[dict]):
        self.by_output = {d["output"]: d for d in dependencies}

    def body(self, output: str, values: dict, changed: list[str]) -> dict:
        dep = self.by_output[output]

        def item(spec: dict) -> dict:
            key = f"{spec['id']}.{spec['property']}"
            return {**spec, "value": values[key]} if values.get(key) is not None else dict(spec)

        outputs = [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in output.strip(".").split("...")]
        body = {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": [item(s) for s in dep["inputs"]], "changedPropIds": changed,
                "parsedChangedPropsIds": changed}
        if dep["state"]:
            body["state"] = [item(s) for s in dep["state"]]
        return body


class Stats:
    """Latencies (of the requests that succeeded) and errors per kind of request, shared by the users."""

    def __init__(self):
        self._lock = threading.Lock()
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def timed(self, kind: str, fn):
        start = time.perf_counter()
        try:
            result, error = fn(), None
        except (requests.RequestException, ValueError, KeyError) as exc:
            result, error = None, f"{type(exc).__name__}: {exc}"[:200]
        ms = (time.perf_counter() - start) * 1000
        with self._lock:
            if error:
                self.errors[kind].append(error)
            else:
                self.ms[kind].append(ms)
        return result

    def figures(self, kind: str) -> dict:
        ms = np.array(self.ms.get(kind, []))
        out = {"ok": len(ms), "errors": len(self.errors.get(kind, []))}
        if len(ms):
            out |= {f"p{q}_ms": round(float(np.percentile(ms, q)), 1) for q in (50, 95, 99)}
            out["max_ms"] = round(float(ms.max()), 1)
        return out


def checked(response: requests.Response) -> requests.Response:
    if response.status_code not in (200, 204):
        raise ValueError(f"HTTP {response.status_code} {response.request.method} {urlsplit(response.url).path}")
    return response


class User:
    """One simulated user: opens the workspace, then filters and pans until ``deadline``."""

    def __init__(self, base: str, stats: Stats, seed: int, deadline: float, start_delay_s: float = 0.0):
        self.base, self.stats, self.deadline, self.start_delay_s = base, stats, deadline, start_delay_s
        self.rng = random.Random(seed)
        self.http, self.http_charts = requests.Session(), requests.Session()   # a session is one thread's
        self.end_id = None
        self.callbacks: CallbackMap | None = None
        self.lat = self.rng.uniform(*AREA["lat"])
        self.lon = self.rng.uniform(*AREA["lon"])
        self.zoom = self.rng.choice(ZOOMS)
        self.values = {"period.value": "28d", "hours.value": [0, 24], "compare.value": "none",
                       "categories.value": None, "lang.data": "zh"}

    def run(self) -> None:
        time.sleep(self.start_delay_s)
        with self.http, self.http_charts:
            if not self.open_page():
                return
            self.heatmap(["map.zoom", "map.bounds"])
            self.charts([])
            while time.monotonic() < self.deadline:
                time.sleep(self.rng.uniform(0.5, 1.5) * THINK_S)
                if time.monotonic() >= self.deadline:
                    break
                if self.rng.random() < FILTER_SHARE:
                    # The browser sends both callbacks of a filter change at once.
                    changed = self.change_filter()
                    charts = threading.Thread(target=self.charts, args=([changed],))
                    charts.start()
                    self.heatmap([changed])
                    charts.join()
                else:
                    self.pan()
                    self.heatmap(["map.zoom", "map.bounds"])

    def open_page(self) -> bool:
        def page():
            for http in (self.http, self.http_charts):
                sign_in(http, self.base)
            html = checked(self.http.get(self.base + "/", timeout=REQUEST_TIMEOUT_S)).text
            self.end_id = json.loads(re.search(r'<script id="_dash-config"[^>]*>(.*?)</script>', html, re.S)
                                     .group(1)).get("end_id")
            checked(self.http.get(self.base + "/_dash-layout", timeout=REQUEST_TIMEOUT_S))
            deps = checked(self.http.get(self.base + "/_dash-dependencies", timeout=REQUEST_TIMEOUT_S)).json()
            self.callbacks = CallbackMap(deps)
            return True

        if not self.stats.timed("page_shell", page):
            return False
        values = {"_pages_location.pathname": "/", "_pages_location.search": ""}
        return self.stats.timed("page_layout_callback", lambda: self.post(
            self.callbacks.body(PAGES, values, ["_pages_location.pathname", "_pages_location.search"]))) is not None

    def post(self, body: dict, http: requests.Session | None = None) -> dict:
        params = {"endId": self.end_id} if self.end_id else None
        response = checked((http or self.http).post(self.base + "/_dash-update-component", params=params,
                                                    json=body, headers=CALLBACK_HEADERS, timeout=REQUEST_TIMEOUT_S))
        answer = response.json()
        if "response" not in answer:
            raise ValueError(f"callback answered without a response: {str(answer)[:120]}")
        return answer["response"]

    def heatmap(self, changed: list[str]) -> None:
        values = self.values | {"map.bounds": viewport_bounds(self.lat, self.lon, self.zoom), "map.zoom": self.zoom}
        answer = self.stats.timed("heatmap_callback", lambda: self.post(
            self.callbacks.body(HEATMAP, values, changed)))
        if answer is None:
            return
        url = answer["hex-layer"]["url"]
        self.stats.timed("pbf", lambda: checked(self.http.get(self.base + url, timeout=REQUEST_TIMEOUT_S)).content)

    def charts(self, changed: list[str]) -> None:
        self.stats.timed("charts_callback", lambda: self.post(self.callbacks.body(CHARTS, self.values, changed),
                                                               self.http_charts))

    def change_filter(self) -> str:
        """Change one filter control; the changed prop id."""
        control = self.rng.choice(("period", "period", "categories", "hours"))
        choices = {"period": PERIODS, "categories": CATEGORY_CHOICES, "hours": HOUR_CHOICES}[control]
        key = f"{control}.value"
        self.values[key] = self.rng.choice([c for c in choices if c != self.values[key]])
        return key

    def pan(self) -> None:
        """Pan by up to half a screen (kept over the county), sometimes zooming one step."""
        if self.rng.random() < 0.3:
            self.zoom = min(max(self.zoom + self.rng.choice((-1, 1)), ZOOMS[0]), ZOOMS[-1])
        (south, west), (north, east) = viewport_bounds(self.lat, self.lon, self.zoom)
        self.lat += self.rng.uniform(-PAN_FRACTION, PAN_FRACTION) * (north - south)
        self.lon += self.rng.uniform(-PAN_FRACTION, PAN_FRACTION) * (east - west)
        self.lat = min(max(self.lat, AREA["lat"][0]), AREA["lat"][1])
        self.lon = min(max(self.lon, AREA["lon"][0]), AREA["lon"][1])


def sign_in(http: requests.Session, base: str) -> None:
    """The login form, as a browser submits it (CSRF token included); the session keeps the cookie."""
    form = checked(http.get(base + "/login", timeout=REQUEST_TIMEOUT_S)).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    checked(http.post(base + "/login", data={"username": BENCH_USER, "password": BENCH_PASSWORD, "csrf": csrf},
                      timeout=REQUEST_TIMEOUT_S))


def run_load(base: str) -> dict:
    if urlsplit(base).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"bench_load only runs against loopback, not {base}")
    stats = Stats()
    start, cpu_start = time.monotonic(), time.process_time()
    deadline = start + SECONDS
    users = [User(base, stats, seed, deadline, seed * RAMP_S / USERS) for seed in range(USERS)]
    threads = [threading.Thread(target=u.run, name=f"user-{i}", daemon=True) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 3 * REQUEST_TIMEOUT_S)
    elapsed = time.monotonic() - start
    generator_cpu_s = time.process_time() - cpu_start      # this process: the users' own share of the 2 cores
    stats.ms["callback"] = stats.ms["heatmap_callback"] + stats.ms["charts_callback"]
    stats.errors["callback"] = stats.errors["heatmap_callback"] + stats.errors["charts_callback"]
    kinds = ("callback", "heatmap_callback", "charts_callback", "pbf", "page_layout_callback", "page_shell")
    figures = {kind: stats.figures(kind) for kind in kinds}
    errors = sum(len(v) for k, v in stats.errors.items() if k != "callback")
    total = sum(len(v) for k, v in stats.ms.items() if k != "callback") + errors
    sample = next((v[0] for v in stats.errors.values() if v), None)
    return {"users": USERS, "seconds": round(elapsed, 1), "ramp_s": RAMP_S, "think_s": THINK_S, "requests": total,
            "requests_per_s": round(total / elapsed, 1), "errors": errors, "first_error": sample,
            "threads_left": sum(t.is_alive() for t in threads), "generator_cpu_s": round(generator_cpu_s, 1),
            **figures,
            "target_callback_p95<500ms": figures["callback"].get("p95_ms", math.inf) < CALLBACK_P95_TARGET_MS,
            "target_0_errors": errors == 0}


def main() -> None:
    load_before = os.getloadavg()[0]
    with contextlib.ExitStack() as stack:
        base = os.environ.get("BENCH_LOAD_URL")
        if base:
            store = None
        else:
            db, _ = demo_store()
            bench_account(db)
            base = stack.enter_context(running_app(db, WORKERS))
            store = str(db)
        health = json.loads(fetch(base + "/api/v1/health"))
        figures = run_load(base)
        record("load_30_users", {"incidents": health.get("incidents"), "store": store,
                                 "workers": WORKERS or "app default", **figures, "cpus": os.cpu_count(),
                                 "loadavg_before": round(load_before, 2),
                                 "loadavg_after": round(os.getloadavg()[0], 2)})
        if figures["errors"]:       # inside the app's block: its log (the traceback) is printed on the way out
            raise RuntimeError(f"{figures['errors']} requests failed; the first: {figures['first_error']}")


if __name__ == "__main__":
    main()
