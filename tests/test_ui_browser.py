"""The dashboard in a real headless Chromium, against the real app (gunicorn, 2 workers) over a demo store.

Every view loads and draws its hexagons, the filters and the comparison mode change what the map asks for
and shows, a click on a hexagon fills the side panel, the language switch translates the page, the wall
cycles its periods, and no page ever asks any host but the app's own. What the map draws is checked
against the read API for the very URL the page requested, so "the map changed" means "it changed to the
right numbers". ``UPDATE_SCREENSHOTS=1`` also writes the README's screenshots to ``docs/screenshots/``.

Skips (with the reason) where Chromium or chromedriver is missing. Run alone: ``pytest -m browser``.
"""
from __future__ import annotations

import os
import re
import time
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import geobuf
import pytest
from conftest import REPO, cli
from ui_helpers import (
    CHROMEDRIVER_CANDIDATES,
    CHROMIUM_CANDIDATES,
    AppServer,
    Browser,
    find_executable,
    free_port,
    png_size,
    wait_until,
)

from auth.accounts import DEMO_PASSWORD, Accounts
from layers.base import CHANGE_COLORS, HEAT_COLORS
from layers.coverage import BLIND_COLORS, COVERAGE_COLORS
from layers.patrols import PRESENCE, REACH

CHROMIUM = find_executable(CHROMIUM_CANDIDATES)
CHROMEDRIVER = find_executable(CHROMEDRIVER_CANDIDATES)
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip("browser tests need Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)",
                allow_module_level=True)
pytest.importorskip("selenium", reason="browser tests need selenium: pip install -r requirements-dev.txt")

# One server and one browser for the module: keep them on one xdist worker (with --dist loadgroup).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# The demo store: deterministic for (scale, seed, anchor). The app's "now" is the wall clock, so the
# scenario ends today, or the 24-hour and 7-day periods would be empty.
DEMO_SCALE, DEMO_SEED = 0.2, 7
SCREENSHOTS = REPO / "docs" / "screenshots"
VIEWS = (("/", "map"), ("/wall", "wall-map"), ("/plan", "plan-map"))
HEAT_PBF = "/api/v1/layers/incidents.pbf"
# Hexagons whose colour is found on the canvas (see ui_helpers): a few may be covered by boundaries and
# dense roads; a map that drew nothing, or drew the wrong colours, has none.
MIN_PAINTED_FRACTION = 0.9
# Leaflet fades a redrawn layer in over 0.25 s; a screenshot waits a little longer.
LEAFLET_FADE_S = 0.8
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ui")
    db = tmp / "demo.duckdb"
    cli("build-demo", "--db", db, "--scale", DEMO_SCALE, "--seed", DEMO_SEED, "--anchor", date.today().isoformat())
    server = AppServer(db, tmp / "server.log")
    try:
        server.wait_healthy()
        server.token = Accounts(db).new_api_token("leader")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(app):
    b = Browser(CHROMIUM, CHROMEDRIVER, app.url)
    b.login("leader", DEMO_PASSWORD)       # build-demo's documented leader
    yield b
    b.quit()


# -- helpers ---------------------------------------------------------------------------------------------
def api_cells(app: AppServer, pbf_url: str) -> dict[str, dict]:
    """The read API's answer (GeoJSON) for the same parameters as a map's geobuf URL: cell → properties."""
    parts = urlsplit(pbf_url)
    geojson = app.get_json(parts.path.replace(".pbf", ".geojson") + "?" + parts.query)
    return {f["properties"]["cell"]: f["properties"] for f in geojson["features"]}


def settled_heatmap(browser: Browser, app: AppServer, map_id: str, want=lambda url: True, station: str | None = None):
    """Wait until the map draws exactly the cells the API gives for the newest geobuf URL the page requested
    (and that URL satisfies ``want``); return (url, API cells, drawn hexagons by cell). The API is asked as
    a leader; ``station`` narrows it to what a station's chief sees."""
    last = {}

    def settled():
        urls = browser.app_requests(HEAT_PBF)
        if not urls or not want(urls[-1]):
            last.update(newest_url=urls[-1] if urls else None)
            return None
        expected = api_cells(app, urls[-1].replace("?", f"?station={station}&", 1) if station else urls[-1])
        drawn = {h["props"]["cell"]: h for h in browser.hexes(map_id) or []}
        last.update(newest_url=urls[-1], api_cells=len(expected), drawn_cells=len(drawn),
                    missing=sorted(set(expected) - set(drawn))[:5], extra=sorted(set(drawn) - set(expected))[:5])
        last.update(painted=painted_fraction(drawn))
        done = set(drawn) == set(expected) and last["painted"] >= MIN_PAINTED_FRACTION
        return (urls[-1], expected, drawn) if done else None

    try:
        return wait_until(settled, f"the map {map_id!r} to draw the API's cells")
    except AssertionError as err:
        raise AssertionError(f"{err}\n{last}") from None


def settled_layer(browser: Browser, app: AppServer, map_id: str, path: str):
    """Like ``settled_heatmap`` for any geobuf hex layer: wait until the map draws exactly the cells of the
    newest ``path`` URL the page requested (decoded here from the same URL); return (url, cells, drawn)."""
    def settled():
        urls = browser.app_requests(path)
        if not urls:
            return None
        expected = {f["properties"]["cell"]: f["properties"]
                    for f in geobuf.decode(app.get_bytes(urlsplit(urls[-1]).path + "?" + urlsplit(urls[-1]).query))
                    ["features"]}
        drawn = {h["props"]["cell"]: h for h in browser.hexes(map_id) or []}
        return (urls[-1], expected, drawn) if set(drawn) == set(expected) and expected else None

    return wait_until(settled, f"the map {map_id!r} to draw the cells of {path}")


def painted_fraction(drawn: dict) -> float:
    """The share of hexagons in the viewport whose colour is on the canvas (0 when none is in view)."""
    seen = [h["painted"] for h in drawn.values() if h["painted"] is not None]
    return sum(seen) / len(seen) if seen else 0.0


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def window_days(url: str) -> float:
    q = query(url)
    return (datetime.fromisoformat(q["to"][0]) - datetime.fromisoformat(q["from"][0])).total_seconds() / 86400


def assert_draws_api_numbers(drawn: dict, expected: dict, colors, metric: str = "incidents") -> None:
    """Same cells and values as the API, each coloured from the layer's classes and painted on the canvas."""
    assert expected, "the API returned no cells for this view: nothing to draw"
    assert {c: h["props"][metric] for c, h in drawn.items()} == {c: p[metric] for c, p in expected.items()}
    assert {h["fill"] for h in drawn.values()} <= set(colors)
    assert painted_fraction(drawn) >= MIN_PAINTED_FRACTION


def assert_clean(browser: Browser) -> None:
    """No console errors, no failed responses, nothing from any host but the app's own."""
    assert browser.console_errors() == []
    assert browser.failed_responses() == []
    assert browser.foreign_requests() == []


def click_radio(browser: Browser, control_id: str, value: str) -> None:
    browser.css(f"#{control_id} input[value='{value}']").find_element("xpath", "./ancestor::label").click()


# -- tests -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "map_id"), VIEWS, ids=[p for p, _ in VIEWS])
def test_view_loads_and_draws_hexagons(browser, app, path, map_id):
    browser.open(path)
    url, expected, drawn = settled_heatmap(browser, app, map_id)
    assert browser.status_of(url) == 200
    assert_draws_api_numbers(drawn, expected, HEAT_COLORS)
    # The offline basemap is the app's own GeoJSON; there is no tile layer at all.
    for layer in ("/api/v1/layers/roads.geojson", "/api/v1/layers/boundaries.geojson"):
        # Requested with the page, but a large layer may still be arriving when the hexes have settled.
        wait_until(lambda layer=layer: [browser.status_of(u) for u in browser.app_requests(layer)][:1] == [200],
                   f"{layer} answered 200")
    assert not browser.driver.find_elements("css selector", ".leaflet-tile"), "a tile layer is on the map"
    if path == "/":
        assert "点击地图上的六边形查看详情" in browser.text(".sidepanel")
    elif path == "/wall":
        values = wait_until(lambda: browser.texts(".kpi .value"), "the KPI tiles")
        assert browser.texts(".kpi .label") == ["近24小时警情", "近7天警情", "近28天警情"]
        assert all(re.fullmatch(r"[\d,.]+万?", v) for v in values), values
    else:
        # The planner ranks the hottest res-9 cells of the whole area: its first row is the API's maximum.
        rank, cell, incidents = wait_until(lambda: browser.texts("#hottest-table tr td"), "the hottest cells")[:3]
        q = query(url)
        whole_area = api_cells(app, f"{HEAT_PBF}?resolution=9&from={q['from'][0]}&to={q['to'][0]}")
        top = max(p["incidents"] for p in whole_area.values())
        assert (rank, int(incidents), whole_area[cell]["incidents"]) == ("1", top, top)
    assert_clean(browser)


def test_page_requests_nothing_but_its_own_host(browser, app):
    """Every request of every view, including what a filter change loads, goes to the app itself."""
    browser.reset_logs()
    for path, map_id in VIEWS:
        browser.driver.get(app.url + path)
        settled_heatmap(browser, app, map_id)
        if path == "/":
            click_radio(browser, "period", "7d")
            settled_heatmap(browser, app, map_id, want=lambda url: window_days(url) == 7)
    browser.poll_logs()
    own = {urlsplit(r["url"]).path for r in browser.requests if urlsplit(r["url"]).netloc == browser.host}
    # The audit saw the page's real traffic: scripts, callbacks, the basemap and the heat layer.
    assert {"/_dash-layout", "/_dash-update-component", HEAT_PBF, "/api/v1/layers/roads.geojson"} <= own
    assert any(p.startswith("/_dash-component-suites/dash_leaflet/") for p in own)
    assert browser.foreign_requests() == []


def test_request_audit_catches_a_foreign_host(browser, app):
    """The audit above can fail: a tile the page asks from another host (loopback, so nothing leaves) is caught."""
    browser.open("/plan")
    foreign = f"http://tiles.localhost:{free_port()}/11/1620/846.png"
    browser.driver.execute_script("new Image().src = arguments[0];", foreign)
    assert wait_until(lambda: browser.foreign_requests(), "the audit to see the foreign request") == [foreign]


def test_filters_change_the_map(browser, app):
    browser.open("/")
    url_28d, cells_28d, _ = settled_heatmap(browser, app, "map")
    assert window_days(url_28d) == 28 and "category" not in query(url_28d)

    click_radio(browser, "period", "7d")
    url_7d, cells_7d, drawn = settled_heatmap(browser, app, "map", want=lambda url: window_days(url) == 7)
    assert_draws_api_numbers(drawn, cells_7d, HEAT_COLORS)
    # Both end at the store's "now" (the end of the current hour: equal unless an hour turned meanwhile).
    to_28d, to_7d = (datetime.fromisoformat(query(url)["to"][0]) for url in (url_28d, url_7d))
    assert timedelta(0) <= to_7d - to_28d <= timedelta(hours=1)
    # Seven days are a part of 28: fewer cells, none new, no cell with more incidents.
    assert set(cells_7d) < set(cells_28d)
    assert all(p["incidents"] <= cells_28d[c]["incidents"] for c, p in cells_7d.items())

    from selenium.webdriver.common.keys import Keys

    browser.css("#categories").click()
    browser.css(".dash-dropdown-options input[value='theft']").find_element("xpath", "./ancestor::label").click()
    browser.css("body").send_keys(Keys.ESCAPE)
    url_theft, cells_theft, drawn = settled_heatmap(browser, app, "map",
                                                    want=lambda url: query(url).get("category") == ["theft"])
    assert_draws_api_numbers(drawn, cells_theft, HEAT_COLORS)
    assert window_days(url_theft) == 7
    assert set(cells_theft) <= set(cells_7d)
    assert sum(p["incidents"] for p in cells_theft.values()) < sum(p["incidents"] for p in cells_7d.values())
    assert_clean(browser)


def test_comparison_mode_shows_change(browser, app):
    browser.open("/")
    settled_heatmap(browser, app, "map")
    assert browser.text("#legend").startswith("案件数")

    click_radio(browser, "compare", "previous")
    url, expected, drawn = settled_heatmap(browser, app, "map",
                                           want=lambda url: query(url).get("compare") == ["previous"])
    assert_draws_api_numbers(drawn, expected, CHANGE_COLORS, metric="change")
    assert all(p["change"] == p["incidents"] - p["baseline"] for p in expected.values())
    assert {p["change"] > 0 for p in expected.values()} == {True, False}, "a change map with one sign only"
    wait_until(lambda: browser.text("#legend").startswith("变化（起）"), "the change legend")
    assert len(browser.driver.find_elements("css selector", "#legend .swatch")) >= 2

    click_radio(browser, "compare", "none")
    settled_heatmap(browser, app, "map", want=lambda url: "compare" not in query(url))
    wait_until(lambda: browser.text("#legend").startswith("案件数"), "the count legend back")
    assert_clean(browser)


def test_hex_click_fills_the_panel(browser, app):
    browser.open("/")
    # Key-place badges sit above the hexagons and take clicks: switch them off first.
    browser.css("#places-toggle label").click()
    wait_until(lambda: not browser.driver.find_elements("css selector", ".place-icon"), "the badges to go")
    url, expected, drawn = settled_heatmap(browser, app, "map")
    # The hottest cell whose centre is on the map canvas (not under the legend or the layer box).
    hottest = sorted(drawn.values(), key=lambda h: -h["props"]["incidents"])
    target = next(h for h in hottest if (browser.element_at(h["x"], h["y"]) or "").startswith("CANVAS."))
    cell = target["props"]["cell"]

    browser.click_at(target["x"], target["y"])
    wait_until(lambda: f"网格编号 {cell}" in browser.text("#panel"), f"the panel to show cell {cell}")
    tables = browser.driver.find_elements("css selector", "#panel table")
    assert len(tables) == 2
    by_category = [row.find_elements("css selector", "td") for row in tables[0].find_elements("css selector", "tr")]
    assert sum(int(tds[1].text.replace(",", "")) for tds in by_category) == expected[cell]["incidents"]
    latest = tables[1].find_elements("css selector", "tr")
    assert [th.text for th in latest[0].find_elements("css selector", "th")] == ["编号", "时间", "案件类别", "状态"]
    assert len(latest) - 1 == min(10, expected[cell]["incidents"])
    for row in latest[1:]:
        tds = row.find_elements("css selector", "td")
        assert tds[0].text and re.fullmatch(r"\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}", tds[1].text)

    # A click on a hexagon right where a road runs through it is the hexagon's, not the road's.
    crossing = browser.road_point_in_hexagon("map", other_than=cell)
    assert crossing, "no road runs through a hexagon near its centre"
    assert browser.element_at(crossing["x"], crossing["y"]).startswith("CANVAS.")
    browser.click_at(crossing["x"], crossing["y"])
    wait_until(lambda: f"网格编号 {crossing['cell']}" in browser.text("#panel"), "the panel to show the crossed cell")
    assert_clean(browser)


def test_language_switch(browser, app):
    browser.open("/")
    settled_heatmap(browser, app, "map")
    assert "派出所工作台" in browser.text(".topbar") and browser.text("#lang-switch") == "English"
    assert browser.text("#legend").startswith("案件数（每个六边形）")

    browser.css("#lang-switch").click()
    wait_until(lambda: "Station workspace" in browser.text(".topbar"), "the English top bar")
    assert query(browser.driver.current_url)["lang"] == ["en"]
    wait_until(lambda: browser.text("#legend").startswith("Incidents per hexagon"), "the English legend")
    wait_until(lambda: "Trend" in browser.text(".sidepanel"), "the English side panel")
    assert "Last 7 days" in browser.text(".filterbar")
    assert browser.text("#lang-switch") == "中文"   # the way back is named in its own language
    for part in (".topbar h1", ".topbar a:not(#lang-switch)", ".filterbar", "#legend", ".layer-toggles",
                 ".sidepanel"):
        for text in browser.texts(part):
            assert not CJK.search(text), f"Chinese left in {part}: {text!r}"

    browser.css("#lang-switch").click()
    wait_until(lambda: "派出所工作台" in browser.text(".topbar"), "the Chinese top bar back")
    wait_until(lambda: browser.text("#legend").startswith("案件数"), "the Chinese legend back")

    browser.open("/wall?lang=en")
    wait_until(lambda: "Incidents, last 24 h" in browser.text(".kpis"), "the English wall")
    # Every UI text is English; jurisdiction names on the map are data (proper names) and stay as written.
    for part in (".wall .title", ".kpis", ".wall .box", ".wall .legend", ".wall .layer-name"):
        assert not CJK.search(browser.text(part)), part
    assert_clean(browser)


def test_wall_cycles_periods_and_fits_the_screen(browser, app):
    browser.open("/wall?refresh=3", 1920, 1080)
    labels = {1: "案件热力 · 近24小时", 7: "案件热力 · 近7天", 28: "案件热力 · 近28天"}
    # One refresh later the map has moved on from the last 24 hours, unattended, and says so.
    url, expected, drawn = settled_heatmap(browser, app, "wall-map", want=lambda url: window_days(url) > 1)
    wait_until(lambda: browser.text("#wall-layer-name") == labels[window_days(url)], "the layer name")
    assert_draws_api_numbers(drawn, expected, HEAT_COLORS)
    periods = [window_days(u) for u in browser.app_requests(HEAT_PBF)]
    assert periods[0] == 1 and 7 in periods, periods
    # Readable from 5 m on a 1080p wall, and nothing scrolls off it.
    sizes = browser.driver.execute_script("""
        const px = s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize);
        const page = document.documentElement;
        return {kpi: px('.kpi .value'), label: px('.kpi .label'),
                overflow: page.scrollHeight - innerHeight + page.scrollWidth - innerWidth};
    """)
    assert sizes["kpi"] >= 48 and sizes["label"] >= 18 and sizes["overflow"] <= 0, sizes
    assert_clean(browser)


@pytest.mark.skipif(os.environ.get("UPDATE_SCREENSHOTS") != "1", reason="set UPDATE_SCREENSHOTS=1 to rewrite them")
@pytest.mark.parametrize(("name", "path", "map_id", "width", "height", "scale"), [
    ("workspace.png", "/", "map", 1600, 1000, 1),
    ("wall.png", "/wall", "wall-map", 1920, 1080, 1),
    # A 4K wall panel runs at 200 % scaling (kiosk: --force-device-scale-factor=2): the 1080p layout, sharper.
    ("wall-4k.png", "/wall", "wall-map", 1920, 1080, 2),
])
def test_screenshots(browser, app, name, path, map_id, width, height, scale):
    browser.open(path, width, height, scale)
    settled_heatmap(browser, app, map_id)
    if path == "/wall":
        wait_until(lambda: browser.driver.find_elements("css selector", "#wall-matrix .main-svg"), "the matrix")
        wait_until(lambda: browser.driver.find_elements("css selector", ".kpi .value"), "the KPI tiles")
    else:
        wait_until(lambda: browser.driver.find_elements("css selector", "#matrix-chart .main-svg"), "the charts")
        wait_until(lambda: browser.driver.find_elements("css selector", ".place-icon"), "the key places")
    time.sleep(LEAFLET_FADE_S)
    png = browser.screenshot(SCREENSHOTS / name)
    assert png_size(png) == (width * scale, height * scale)
    assert_clean(browser)


def test_planner_coverage_blind_spots_and_placement(browser, app):
    """/plan switches between the case heatmap, camera coverage and blind spots (each drawn exactly as the API
    serves it, in its own colours), ranks blind spots with their exports, and places new cameras."""
    browser.open("/plan")
    settled_heatmap(browser, app, "plan-map")
    click_radio(browser, "plan-layer", "coverage")
    _url, cells, drawn = settled_layer(browser, app, "plan-map", "/api/v1/layers/coverage.pbf")
    assert {c: h["props"]["coverage_pct"] for c, h in drawn.items()} == {c: p["coverage_pct"] for c, p in cells.items()}
    assert all(0 <= p["coverage_pct"] <= 100 for p in cells.values())
    assert {h["fill"] for h in drawn.values()} <= set(COVERAGE_COLORS)
    wait_until(lambda: browser.text("#plan-legend").startswith("覆盖率"), "the coverage legend")
    click_radio(browser, "plan-layer", "blind")
    _url, cells, drawn = settled_layer(browser, app, "plan-map", "/api/v1/layers/blind-spots.pbf")
    assert {h["fill"] for h in drawn.values()} <= set(BLIND_COLORS)
    for layer in ("/api/v1/layers/blind-places.geojson", "/api/v1/layers/blind-roads.geojson"):
        wait_until(lambda layer=layer: [browser.status_of(u) for u in browser.app_requests(layer)][-1:] == [200],
                   f"{layer} answered 200")
    assert "主干道无视频覆盖" in browser.text("#plan-legend")

    kpis = wait_until(lambda: browser.texts("#plan-kpis .v"), "the coverage KPIs")
    assert len(kpis) == 4 and all(re.fullmatch(r"[\d.]+%|[\d,]+ / [\d,]+", v) for v in kpis), kpis
    rows = wait_until(lambda: browser.texts("#blind-table tr")[1:], "the blind-spot ranking")
    href = browser.css("#plan-exports a").get_attribute("href")
    exported = app.get_bytes(urlsplit(href).path + "?" + urlsplit(href).query).decode().splitlines()
    assert exported[0].startswith("rank,cell,score") and len(exported) - 1 >= len(rows)
    assert [line.split(",")[1] for line in exported[1:4]] == [r.split()[1] for r in rows[:3]]

    n = browser.css("#plan-n")
    n.clear()
    n.send_keys("3")
    browser.css("#plan-run").click()
    result = wait_until(lambda: "→" in browser.text("#plan-result") and browser.text("#plan-result"),
                        "the placement result")
    assert result.startswith("视频范围内案件")
    assert len(browser.texts("#plan-result tr")) == 1 + 3
    labels = wait_until(lambda: browser.texts(".plan-label"), "the new cameras on the map")
    assert [label.split()[0] for label in labels] == ["#1", "#2", "#3"]
    assert_clean(browser)


def test_planner_rings_leaks_and_interception(browser, app):
    """The ring layer shows rings, checkpoints and entries; the duty mode changes the covered count; a click
    on the map computes the escape routes from there."""
    browser.open("/plan")
    settled_heatmap(browser, app, "plan-map")
    click_radio(browser, "plan-layer", "rings")
    url = wait_until(lambda: browser.app_requests("/api/v1/layers/rings.geojson"), "the ring layer")[-1]
    layer = app.get_json(urlsplit(url).path + "?" + urlsplit(url).query)
    kinds = {f["properties"]["what"] for f in layer["features"]}
    assert kinds == {"ring", "checkpoint", "entry"}
    routine = wait_until(lambda: browser.texts("#ring-kpis .v"), "the ring KPIs")
    click_radio(browser, "plan-duty", "wartime")
    wartime = wait_until(lambda: (v := browser.texts("#ring-kpis .v")) != routine and v, "the wartime KPIs")
    covered = [int(v.split("/")[0]) for v in wartime]
    assert sum(covered) > sum(int(v.split("/")[0]) for v in routine)
    box = browser.driver.execute_script("const r = document.getElementById('plan-map').getBoundingClientRect(); "
                                        "return [r.left, r.top, r.width, r.height];")
    browser.click_at(box[0] + box[2] / 2, box[1] + box[3] / 2)
    text = wait_until(lambda: "分钟可达" in browser.text("#intercept-result") and browser.text("#intercept-result"),
                      "the interception result")
    assert re.search(r"最近入口 [\d.]+ 分钟可达；\d+ 个入口可在封控前驶出", text), text
    assert_clean(browser)


def test_patrol_presence_reach_and_playback(browser, app):
    """/patrol draws patrol presence and the 1-3-5 reach exactly as the API serves them, shows the rapid-response
    KPIs and the rankings, and the playback slider moves the clock and the units."""
    browser.open("/patrol")
    _url, cells, drawn = settled_layer(browser, app, "patrol-map", "/api/v1/layers/presence.pbf")
    assert {c: h["props"]["minutes"] for c, h in drawn.items()} == {c: p["minutes"] for c, p in cells.items()}
    assert {h["fill"] for h in drawn.values()} <= set(PRESENCE.colors)
    kpis = wait_until(lambda: browser.texts("#patrol-kpis .v"), "the rapid-response KPIs")
    assert len(kpis) == 4 and re.fullmatch(r"[\d.]+%", kpis[0]), kpis
    assert wait_until(lambda: browser.texts("#hot-unpatrolled tr")[1:], "the hot-but-unpatrolled ranking")
    assert wait_until(lambda: browser.texts("#response-table tr")[1:], "the response times")
    click_radio(browser, "patrol-layer", "reach")
    _url, cells, drawn = settled_layer(browser, app, "patrol-map", "/api/v1/layers/reach.pbf")
    assert {p["band"] for p in cells.values()} <= {1, 3, 5}
    assert {h["fill"] for h in drawn.values()} <= set(REACH.colors)
    clock = browser.text("#patrol-clock")
    positions = browser.app_requests("/api/v1/layers/patrol-positions.geojson")
    browser.css("#patrol-time .dash-slider-track").click()         # the middle of the day
    wait_until(lambda: browser.text("#patrol-clock") != clock, "the playback clock to move")
    newer = wait_until(lambda: browser.app_requests("/api/v1/layers/patrol-positions.geojson")[len(positions):],
                       "the units at the new moment")
    units = app.get_json(urlsplit(newer[-1]).path + "?" + urlsplit(newer[-1]).query)
    assert {f["properties"]["what"] for f in units["features"]} <= {"unit", "trail"} and units["features"]
    assert_clean(browser)


def test_station_chief_sees_only_their_station(browser, app):
    """Signed in as 名山's chief: the filter offers only 名山, every drawn hexagon holds only 名山's incidents,
    and the planner page is refused; then back to the leader for the other tests."""
    chief, station = "chief-02", "511181-02"
    try:
        logout(browser)
        browser.login(chief, DEMO_PASSWORD)
        browser.open("/")
        # The map settles on exactly what the leader's API gives for 名山 alone.
        url, expected, drawn = settled_heatmap(browser, app, "map", station=station)
        assert_draws_api_numbers(drawn, expected, HEAT_COLORS)
        assert "station=" not in url            # the chief's map asks for "everything" and gets their station
        browser.css("#station").click()
        options = wait_until(lambda: browser.texts(".dash-dropdown-options label"), "the station options")
        assert options == ["名山派出所"]
        assert chief in browser.text(".account")
        assert_clean(browser)
        browser.driver.get(app.url + "/plan")
        wait_until(lambda: "无权访问" in browser.driver.page_source, "the planner page to be refused")
    finally:
        logout(browser)
        browser.login("leader", DEMO_PASSWORD)


def logout(browser: Browser) -> None:
    browser.driver.get(browser.base_url + "/")
    wait_until(lambda: browser.driver.find_elements("css selector", "#logout"), "the sign-out button")
    browser.css("#logout").click()
    wait_until(lambda: "/login" in browser.driver.current_url, "the login page after sign-out")


@pytest.mark.skipif(os.environ.get("UPDATE_SCREENSHOTS") != "1", reason="set UPDATE_SCREENSHOTS=1 to rewrite them")
def test_login_screenshot(browser, app):
    browser.open_plain("/login")
    assert "用户名" in browser.text("form.login")
    browser.screenshot(SCREENSHOTS / "login.png")
    assert_clean(browser)


@pytest.mark.skipif(os.environ.get("UPDATE_SCREENSHOTS") != "1", reason="set UPDATE_SCREENSHOTS=1 to rewrite them")
def test_planner_screenshot(browser, app):
    browser.open("/plan")
    settled_heatmap(browser, app, "plan-map")
    click_radio(browser, "plan-layer", "coverage")
    settled_layer(browser, app, "plan-map", "/api/v1/layers/coverage.pbf")
    browser.css("#plan-run").click()
    wait_until(lambda: browser.texts(".plan-label"), "the new cameras on the map")
    time.sleep(LEAFLET_FADE_S)
    browser.screenshot(SCREENSHOTS / "plan.png")
    assert_clean(browser)


@pytest.mark.skipif(os.environ.get("UPDATE_SCREENSHOTS") != "1", reason="set UPDATE_SCREENSHOTS=1 to rewrite them")
def test_patrol_screenshot(browser, app):
    browser.open("/patrol")
    settled_layer(browser, app, "patrol-map", "/api/v1/layers/presence.pbf")
    click_radio(browser, "patrol-layer", "reach")
    settled_layer(browser, app, "patrol-map", "/api/v1/layers/reach.pbf")
    wait_until(lambda: browser.texts("#dosage-table tr")[1:], "the dosage table")
    time.sleep(LEAFLET_FADE_S)
    browser.screenshot(SCREENSHOTS / "patrol.png")
    assert_clean(browser)
