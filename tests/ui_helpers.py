"""Plumbing for the browser tests: the real app under gunicorn, and a headless Chromium that records every
request it makes and every console message.

The browser's network log (Chrome DevTools' ``Network.*`` events, read through chromedriver's performance
log) is the source of truth for "what did the page ask for"; the Leaflet map object, found through React's
fibre tree, is the source of truth for "what is drawn".
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]

# Without the background-networking flags Chromium tries to reach Google's services at start and is refused.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver", "chromedriver")
# Schemes that never leave the machine: inline data, and Chromium's own pages (its start tab).
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-untrusted", "devtools"}
# Server start-up: gunicorn forks its workers, each opens the store; a cold machine needs a few seconds.
SERVER_START_TIMEOUT_S = 60
# A callback round trip plus a geobuf fetch takes well under a second here; the margin is for a busy CI.
UI_TIMEOUT_S = 20


def find_executable(candidates) -> str | None:
    for name in candidates:
        path = name if os.path.isabs(name) else shutil.which(name)
        if path and os.access(path, os.X_OK):
            return path
    return None


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, what: str, timeout_s: float = UI_TIMEOUT_S, interval_s: float = 0.2):
    """Poll ``condition()`` until it returns something truthy; fail naming ``what`` (and the last value)."""
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}; last value: {value!r}")


class AppServer:
    """``python app.py --db DB --port N --workers 2`` in a subprocess: the real composition root, gunicorn."""

    def __init__(self, db: Path, log: Path, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token: str | None = None
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIS_")}   # no tile server, default refresh
        self._log_file = open(log, "w")   # noqa: SIM115 — closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "app.py", "--db", str(db), "--port", str(self.port), "--workers", str(workers)],
            cwd=REPO, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)

    def wait_healthy(self) -> dict:
        def health():
            if self.proc.poll() is not None:
                raise AssertionError(f"the app exited {self.proc.returncode}:\n{self.log.read_text()}")
            with contextlib.suppress(OSError):
                return self.get_json("/api/v1/health")
            return None
        return wait_until(health, "the app's /api/v1/health", SERVER_START_TIMEOUT_S)

    def get_json(self, path: str):
        """GET with the server's API token (a leader's) once ``token`` is set."""
        return json.loads(self.get_bytes(path))

    def get_bytes(self, path: str) -> bytes:
        request = urllib.request.Request(self.url + path)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def stop(self) -> None:
        self.proc.terminate()           # gunicorn's master stops its workers on SIGTERM
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log_file.close()


# The Leaflet map of the container with id arguments[0]: react-leaflet keeps it in the context value its
# provider, a child of the container's React fibre, passes down.
_FIND_MAP_JS = """
const el = document.getElementById(arguments[0]);
if (!el || !window.L) return null;
const key = Object.keys(el).find(k => k.startsWith('__reactFiber'));
const stack = key ? [el[key]] : [];
let map = null, visited = 0;
while (stack.length && visited < 10000) {
  const fiber = stack.pop(); visited++;
  const value = fiber.memoizedProps && fiber.memoizedProps.value;
  if (value && value.map instanceof L.Map) { map = value.map; break; }
  if (fiber.child) stack.push(fiber.child);
  if (fiber.sibling && visited > 1) stack.push(fiber.sibling);
}
"""

# Every hexagon layer on the map (a feature with a `cell` property): its properties, fill colour, and
# whether the canvas really holds that colour inside the hexagon. Roads under it and boundaries over it
# blend with the fill along their lines, so seven points are sampled (the centre, and halfway to each
# corner): "painted" when one of them has the fill colour; null when the centre is outside the viewport.
_HEXES_JS = _FIND_MAP_JS + """
if (!map) return null;
const box = map.getContainer().getBoundingClientRect();
const hexes = [];
map.eachLayer(layer => {
  const props = layer.feature && layer.feature.properties;
  if (!props || props.cell === undefined || !layer.getLatLngs) return;
  const centre = map.latLngToContainerPoint(layer.getBounds().getCenter());
  const x = box.left + centre.x, y = box.top + centre.y;
  const canvas = layer._renderer && layer._renderer._container;
  let painted = null;
  if (canvas && canvas.tagName === 'CANVAS' && centre.x > 0 && centre.y > 0 && centre.x < box.width
      && centre.y < box.height) {
    const r = canvas.getBoundingClientRect(), ctx = canvas.getContext('2d');
    const rgb = [1, 3, 5].map(i => parseInt((layer.options.fillColor || '').substr(i, 2), 16));
    const corners = layer.getLatLngs()[0].map(ll => map.latLngToContainerPoint(ll));
    const points = [centre].concat(corners.map(c => L.point((centre.x + c.x) / 2, (centre.y + c.y) / 2)));
    painted = points.some(p => {
      const px = Math.floor((box.left + p.x - r.left) * canvas.width / r.width);
      const py = Math.floor((box.top + p.y - r.top) * canvas.height / r.height);
      const d = ctx.getImageData(px, py, 1, 1).data;
      return d[3] > 0 && rgb.every((c, i) => Math.abs(c - d[i]) <= 12);
    });
  }
  hexes.push({props: props, fill: layer.options.fillColor, x: x, y: y, painted: painted});
});
return hexes;
"""

# A point where a road runs through a hexagon near its centre (client pixels, and the hexagon's cell),
# in any hexagon but arguments[1].
_ROAD_IN_HEXAGON_JS = _FIND_MAP_JS + """
if (!map) return null;
const box = map.getContainer().getBoundingClientRect(), size = map.getSize();
const hexes = [], roads = [];
map.eachLayer(l => {
  const p = l.feature && l.feature.properties;
  if (p && p.cell !== undefined && l._pxBounds) hexes.push(l);
  else if (p && p.road_class !== undefined) roads.push(l);
});
for (const road of roads) for (const ll of road.getLatLngs().flat(3)) {
  const lp = map.latLngToLayerPoint(ll), cp = map.latLngToContainerPoint(ll);
  if (cp.x < 60 || cp.y < 60 || cp.x > size.x - 60 || cp.y > size.y - 60) continue;
  for (const hex of hexes) {
    const b = hex._pxBounds, radius = (b.max.x - b.min.x) / 2;
    if (hex.feature.properties.cell !== arguments[1] && lp.distanceTo(b.getCenter()) < 0.4 * radius
        && hex._containsPoint(lp))
      return {x: box.left + cp.x, y: box.top + cp.y, cell: hex.feature.properties.cell};
  }
}
return null;
"""

_CLICK_TARGET_JS = """
const el = document.elementFromPoint(arguments[0], arguments[1]);
return el ? el.tagName + '.' + (el.parentElement ? el.parentElement.className : '') : null;
"""


class Browser:
    """Headless Chromium over chromedriver, keeping every request URL, response status and console message."""

    def __init__(self, chromium: str, chromedriver: str, base_url: str):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.base_url = base_url
        self.host = urlsplit(base_url).netloc
        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "--window-size=1600,1000",
                     "--hide-scrollbars", "--force-color-profile=srgb"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(chromedriver), options=options)
        self.requests: list[dict] = []      # {"id", "url", "document"} for every request and websocket
        self.statuses: dict[str, int] = {}  # request id → HTTP status
        self.console: list[dict] = []

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- logs ------------------------------------------------------------------------------------------
    def poll_logs(self) -> None:
        """Move chromedriver's buffered log entries (it drains them on read) into our lists."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            method, params = message["method"], message.get("params", {})
            if method == "Network.requestWillBeSent":
                self.requests.append({"id": params["requestId"], "url": params["request"]["url"],
                                      "document": params.get("documentURL", "")})
            elif method == "Network.webSocketCreated":
                self.requests.append({"id": params["requestId"], "url": params["url"], "document": ""})
            elif method == "Network.responseReceived":
                self.statuses[params["requestId"]] = params["response"]["status"]
        self.console.extend(self.driver.get_log("browser"))

    def reset_logs(self) -> None:
        self.poll_logs()
        self.requests.clear()
        self.statuses.clear()
        self.console.clear()

    def foreign_requests(self) -> list[str]:
        """Every request that went (or tried to go) anywhere but the app's own host."""
        self.poll_logs()
        out = []
        for request in self.requests:
            parts = urlsplit(request["url"])
            from_app = request["document"].startswith(self.base_url)
            if parts.scheme in ("http", "https", "ws", "wss"):
                if parts.netloc != self.host:
                    out.append(request["url"])
            elif parts.scheme not in LOCAL_SCHEMES or (from_app and parts.scheme not in ("data", "blob")):
                out.append(request["url"])
        return out

    def failed_responses(self) -> list[tuple[int, str]]:
        self.poll_logs()
        urls = {r["id"]: r["url"] for r in self.requests}
        return [(status, urls.get(rid, rid)) for rid, status in self.statuses.items() if status >= 400]

    def console_errors(self) -> list[str]:
        self.poll_logs()
        return [entry["message"] for entry in self.console if entry["level"] == "SEVERE"]

    def app_requests(self, path_part: str) -> list[str]:
        """URLs the page requested from the app whose path contains ``path_part``, oldest first."""
        self.poll_logs()
        return [r["url"] for r in self.requests if path_part in urlsplit(r["url"]).path
                and urlsplit(r["url"]).netloc == self.host]

    def status_of(self, url: str) -> int | None:
        self.poll_logs()
        ids = [r["id"] for r in self.requests if r["url"] == url]
        return next((self.statuses[i] for i in reversed(ids) if i in self.statuses), None)

    # -- pages -----------------------------------------------------------------------------------------
    def set_viewport(self, width: int, height: int, scale: float = 1) -> None:
        """The page's CSS viewport exactly ``width`` × ``height``, at ``scale`` device pixels per CSS pixel
        (a screenshot is ``scale`` times as large)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": False})

    def open(self, path: str, width: int = 1600, height: int = 1000, scale: float = 1) -> None:
        self.reset_logs()
        self.set_viewport(width, height, scale)
        self.driver.get(self.base_url + path)
        wait_until(lambda: self.driver.execute_script(
            "return !!document.querySelector('.leaflet-container') && !document.querySelector('._dash-loading')"),
            f"{path} to render its map")

    def open_plain(self, path: str, width: int = 1600, height: int = 1000) -> None:
        """Open a page that has no map (the login form)."""
        self.reset_logs()
        self.set_viewport(width, height)
        self.driver.get(self.base_url + path)

    def login(self, name: str, password: str, lang: str = "zh") -> None:
        """Sign in through the real login form (the session cookie then rides on every request)."""
        self.driver.get(f"{self.base_url}/login?lang={lang}")
        self.css("#username").send_keys(name)
        self.css("#password").send_keys(password)
        self.css("#login-submit").click()
        wait_until(lambda: "/login" not in self.driver.current_url, f"{name} to be signed in")

    def hexes(self, map_id: str) -> list[dict] | None:
        return self.driver.execute_script(_HEXES_JS, map_id)

    def map_zoom(self, map_id: str) -> float | None:
        return self.driver.execute_script(_FIND_MAP_JS + "return map ? map.getZoom() : null;", map_id)

    def road_point_in_hexagon(self, map_id: str, other_than: str) -> dict | None:
        return self.driver.execute_script(_ROAD_IN_HEXAGON_JS, map_id, other_than)

    def element_at(self, x: float, y: float) -> str | None:
        return self.driver.execute_script(_CLICK_TARGET_JS, x, y)

    def click_at(self, x: float, y: float) -> None:
        """A real mouse click at viewport pixel (x, y)."""
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).move_to_location(int(x), int(y)).click().perform()

    def css(self, selector: str):
        return self.driver.find_element("css selector", selector)

    def text(self, selector: str) -> str:
        """The rendered text of the first match ("" if none), read in one step: Dash may replace it any time."""
        return self.driver.execute_script(
            "const el = document.querySelector(arguments[0]); return el ? el.innerText.trim() : '';", selector)

    def texts(self, selector: str) -> list[str]:
        return self.driver.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0])).map(el => el.innerText.trim());", selector)

    def screenshot(self, path: Path) -> bytes:
        png = self.driver.get_screenshot_as_png()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        return png


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
