"""`/plan` — the planner: case heatmap, camera coverage and blind spots, their rankings, 布点建议, and the
checkpoint rings with their leaks and interception (click an incident's location). Patrol reach joins with its
issue.
"""
from __future__ import annotations

import dash
import dash_leaflet as dl
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from data_pipeline.h3cells import cell_to_str
from data_pipeline.kinds import CAMERA_KINDS, CAMERA_OWNERS, DUTY_LEVELS
from layers.coverage import BLIND_RES, CameraFilter, blind_spot_table, coverage_kpis, placement_geojson, plan_cameras
from layers.heatmap import HeatRequest
from layers.patrols import hot_unpatrolled_table
from layers.rings import interception, ring_analysis
from layers.views import Controls, blind_view, coverage_view, heat_url, heat_view, hottest_cells, viewport_bbox
from pages import ids
from pages.components import base_map, hot_table, legend, may_open, no_access, store, topbar
from pages.i18n import DEFAULT_LANG, number, percent_share, t

dash.register_page(__name__, path="/plan", title="治安态势感知 · 研判规划")

PLAN_RES = 9
LAYER_CHOICES = ("incidents", "coverage", "blind", "rings")
LEAK_ROWS = 15
# Camera sectors are drawn from this zoom on (a street); below it the cameras are clustered dots.
SECTOR_ZOOM = 16
BLIND_ROWS = 15
DEFAULT_NEW_CAMERAS = 10
MAX_NEW_CAMERAS = 200


def layout(lang: str = DEFAULT_LANG, **_query) -> html.Div:
    lang = "en" if lang == "en" else "zh"
    if not may_open("/plan"):
        return no_access(lang)
    hex_layer = dl.GeoJSON(id=ids.PLAN_HEX, format="geobuf", style={"variable": "gis.heatStyle"},
                           onEachFeature={"variable": "gis.bindCount"}, hideout={})
    return html.Div([
        dcc.Store(id=ids.LANG, data=lang),
        topbar(lang, "/plan"),
        html.Div([
            controls_bar(lang),
            html.Div([base_map(ids.PLAN_MAP, hex_layer, lang, extra=camera_layers(lang)),
                      html.Div(id=ids.PLAN_LEGEND, className="legend")], className="mapbox"),
            html.Div([html.H3(t("rings_title", lang)), html.Div(id=ids.RING_KPIS),
                      html.P(t("intercept_hint", lang), id=ids.INTERCEPT_RESULT, className="muted"),
                      html.H3(t("leaks", lang)), html.Div(id=ids.LEAK_EXPORT, className="exports"),
                      html.Div(id=ids.LEAK_TABLE),
                      html.H3(t("coverage_kpis", lang)), html.Div(id=ids.PLAN_KPIS),
                      placement_panel(lang),
                      html.H3(t("blind_spots", lang)), html.Div(id=ids.PLAN_EXPORTS, className="exports"),
                      html.Div(id=ids.BLIND_TABLE),
                      html.H3(t("hot_unpatrolled", lang)), html.Div(id=ids.PLAN_HOT),
                      html.H3(t("hottest", lang)), html.Div(id=ids.HOTTEST_TABLE)], className="sidepanel"),
        ], className="workspace"),
    ])


def controls_bar(lang: str) -> html.Div:
    radio = {"inline": True, "inputStyle": {"marginRight": "3px", "marginLeft": "8px"}}
    return html.Div([
        _field(t("period", lang), dcc.RadioItems(id=ids.PLAN_PERIOD, value="28d", **radio, options=[
            {"label": t(f"period_{p}", lang), "value": p} for p in ("7d", "28d", "365d")])),
        _field(t("layer", lang), dcc.RadioItems(id=ids.PLAN_LAYER, value="incidents", **radio, options=[
            {"label": t(f"layer_{c}", lang), "value": c} for c in LAYER_CHOICES])),
        _field(t("duty", lang), dcc.RadioItems(id=ids.PLAN_DUTY, value="routine", **radio, options=[
            {"label": t(f"duty_{d}", lang), "value": d} for d in DUTY_LEVELS])),
        _field(t("camera_status", lang), dcc.RadioItems(id=ids.PLAN_STATUS, value="online", **radio, options=[
            {"label": t(f"status_{s}", lang), "value": s} for s in ("online", "all")])),
        _field(t("camera_kind", lang), dcc.Dropdown(
            id=ids.PLAN_KIND, multi=True, placeholder=t("all_kinds", lang), style={"minWidth": "160px"},
            options=[{"label": t(f"kind_{k}", lang), "value": k} for k in CAMERA_KINDS])),
        _field(t("camera_owner", lang), dcc.Dropdown(
            id=ids.PLAN_OWNER, multi=True, placeholder=t("all_owners", lang), style={"minWidth": "150px"},
            options=[{"label": t(f"owner_{o}", lang), "value": o} for o in CAMERA_OWNERS])),
        dcc.Checklist(id=ids.PLAN_CAMERAS_TOGGLE, value=[],
                      options=[{"label": t("cameras_shown", lang), "value": "cameras"}]),
    ], className="filterbar")


def camera_layers(lang: str) -> list:
    """Cameras (clustered dots, or sectors at street zoom) and the recommended cameras, above the hexagons."""
    words = {k: t(f"kind_{k}", lang) for k in CAMERA_KINDS} | {o: t(f"owner_{o}", lang) for o in CAMERA_OWNERS}
    words |= {s: t(f"state_{s}", lang) for s in ("online", "offline", "maintenance")}
    return [
        dl.GeoJSON(id=ids.PLAN_CAMERA_POINTS, cluster=True, zoomToBoundsOnClick=True,
                   superClusterOptions={"radius": 80, "maxZoom": SECTOR_ZOOM - 1},
                   pointToLayer={"variable": "gis.cameraMarker"}, clusterToLayer={"variable": "gis.cameraCluster"},
                   hideout={"words": words}),
        dl.GeoJSON(id=ids.PLAN_CAMERA_SECTORS, style={"variable": "gis.cameraSectorStyle"}),
        dl.GeoJSON(id=ids.BLIND_ROADS, style={"variable": "gis.blindRoadStyle"},
                   onEachFeature={"variable": "gis.bindName"}),
        dl.GeoJSON(id=ids.BLIND_PLACES, pointToLayer={"variable": "gis.blindPlaceMarker"},
                   onEachFeature={"variable": "gis.bindName"}),
        dl.GeoJSON(id=ids.PLAN_RESULT_LAYER, style={"variable": "gis.planStyle"},
                   onEachFeature={"variable": "gis.bindPlan"}),
        dl.GeoJSON(id=ids.RINGS_LAYER, style={"variable": "gis.ringStyle"},
                   pointToLayer={"variable": "gis.ringPoint"}, onEachFeature={"variable": "gis.bindName"}),
        dl.GeoJSON(id=ids.INTERCEPT_LAYER, style={"variable": "gis.interceptStyle"},
                   pointToLayer={"variable": "gis.interceptPoint"}),
    ]


def placement_panel(lang: str) -> html.Div:
    return html.Div([
        html.H3(t("plan_title", lang)),
        html.Div([
            html.Label(t("plan_n", lang), className="caption"),
            dcc.Input(id=ids.PLAN_N, type="number", min=1, max=MAX_NEW_CAMERAS, step=1, value=DEFAULT_NEW_CAMERAS,
                      style={"width": "70px"}),
            dcc.Dropdown(id=ids.PLAN_CAMERA_KIND, value="video", clearable=False, style={"width": "140px"},
                         options=[{"label": t(f"kind_{k}", lang), "value": k} for k in CAMERA_KINDS]),
            html.Button(t("plan_run", lang), id=ids.PLAN_RUN, n_clicks=0),
        ], className="field", style={"gap": "8px"}),
        dcc.Loading(html.Div(id=ids.PLAN_RESULT, className="plan-result")),
    ])


def _field(caption: str, control) -> html.Div:
    return html.Div([html.Label(caption, className="caption"), control], className="field")


def camera_filter(status, kinds, owners) -> CameraFilter:
    return CameraFilter(("online",) if status != "all" else None, tuple(kinds) if kinds else None,
                        tuple(owners) if owners else None)


@callback(Output(ids.PLAN_HEX, "url"), Output(ids.PLAN_HEX, "hideout"), Output(ids.PLAN_LEGEND, "children"),
          Output(ids.PLAN_HEX, "style"), Input(ids.PLAN_PERIOD, "value"), Input(ids.PLAN_LAYER, "value"),
          Input(ids.PLAN_STATUS, "value"), Input(ids.PLAN_KIND, "value"), Input(ids.PLAN_OWNER, "value"),
          Input(ids.PLAN_MAP, "bounds"), Input(ids.PLAN_MAP, "zoom"), State(ids.LANG, "data"))
def update_map(period, choice, status, kinds, owners, bounds, zoom, lang):
    con, controls = store(), Controls(period=period)
    extra = []
    if choice == "coverage":
        view = coverage_view(camera_filter(status, kinds, owners), bounds, zoom, t("layer_coverage", lang))
    elif choice == "blind":
        view = blind_view(con, controls, bounds, t("legend_blind", lang))
        extra = [html.Div([html.Span(className="swatch ring"), t("legend_blind_places", lang)], className="row"),
                 html.Div([html.Span(className="swatch dashed"), t("legend_blind_roads", lang)], className="row")]
    else:
        view = heat_view(con, controls, bounds, zoom, t("incidents", lang))
    rows = legend(view.layer, view.breaks, lang) + extra
    return view.url, view.hideout, rows, {"variable": f"gis.{view.layer.style}"}


@callback(Output(ids.PLAN_KPIS, "children"), Output(ids.BLIND_TABLE, "children"), Output(ids.PLAN_EXPORTS, "children"),
          Output(ids.HOTTEST_TABLE, "children"), Output(ids.PLAN_HOT, "children"), Input(ids.PLAN_PERIOD, "value"),
          State(ids.LANG, "data"))
def update_rankings(period, lang):
    con, controls = store(), Controls(period=period)
    flt = controls.to_filter(con)
    ranked = blind_spot_table(con, flt, BLIND_RES, BLIND_ROWS)
    hottest = hottest_cells(con, controls, PLAN_RES)
    query = heat_url(HeatRequest(BLIND_RES, flt)).split("?", 1)[1]
    exports = [html.A(t("export_csv", lang), href=f"/api/v1/exports/blind-spots.csv?{query}", download=""),
               html.A(t("export_geojson", lang), href=f"/api/v1/exports/blind-spots.geojson?{query}", download="")]
    return (kpi_cells(coverage_kpis(con, flt), lang), blind_table(ranked, lang), exports,
            hottest_table(hottest, lang), hot_table(hot_unpatrolled_table(con, flt, PLAN_RES, BLIND_ROWS), lang))


def kpi_cells(k, lang: str) -> html.Div:
    cells = [(percent_share(k.incidents_covered, k.incidents, lang), "kpi_incidents_covered"),
             (percent_share(k.places_covered, k.places, lang), "kpi_places_covered"),
             (percent_share(k.main_road_covered_m, k.main_road_m, lang), "kpi_roads_covered"),
             (f"{number(k.cameras_online, lang)} / {number(k.cameras, lang)}", "kpi_cameras_online")]
    return html.Div([html.Div([html.Div(v, className="v"), html.Div(t(label, lang), className="l")], className="cell")
                     for v, label in cells], className="kpi-row")


def blind_table(ranked, lang: str) -> html.Table:
    head = html.Tr([html.Th("#"), html.Th(t("cell", lang)), html.Th(t("col_score", lang)),
                    html.Th(t("incidents", lang)), html.Th(t("col_uncovered", lang)), html.Th(t("col_coverage", lang))])
    rows = [html.Tr([html.Td(r.rank), html.Td(cell_to_str(r.cell)), html.Td(number(round(r.score), lang)),
                     html.Td(number(r.incidents, lang)), html.Td(number(r.uncovered, lang)),
                     html.Td(f"{r.coverage:.0%}")]) for r in ranked.itertuples()]
    return html.Table([head, *rows], className="simple")


def hottest_table(rows, lang: str) -> html.Table:
    body = [html.Tr([html.Td(i + 1), html.Td(cell_to_str(c)), html.Td(number(n, lang))]) for i, (c, n) in
            enumerate(rows)]
    return html.Table([html.Tr([html.Th("#"), html.Th(t("cell", lang)), html.Th(t("incidents", lang))]), *body],
                      className="simple")


@callback(Output(ids.BLIND_PLACES, "url"), Output(ids.BLIND_ROADS, "url"), Input(ids.PLAN_LAYER, "value"))
def show_blind_places_and_roads(choice):
    """With the blind-spot layer: key places and main roads out of every online camera's sight."""
    if choice != "blind":
        return None, None
    return "/api/v1/layers/blind-places.geojson", "/api/v1/layers/blind-roads.geojson"


@callback(Output(ids.PLAN_CAMERA_POINTS, "url"), Output(ids.PLAN_CAMERA_SECTORS, "url"),
          Input(ids.PLAN_CAMERAS_TOGGLE, "value"), Input(ids.PLAN_MAP, "zoom"), Input(ids.PLAN_MAP, "bounds"))
def show_cameras(shown, zoom, bounds):
    if not shown:
        return None, None
    if zoom is not None and zoom >= SECTOR_ZOOM and bounds:
        box = ",".join(f"{v:.5f}" for v in viewport_bbox(bounds))
        return None, f"/api/v1/layers/cameras.geojson?sectors=1&bbox={box}"
    return "/api/v1/layers/cameras.geojson", None


@callback(Output(ids.PLAN_RESULT_LAYER, "data"), Output(ids.PLAN_RESULT, "children"), Input(ids.PLAN_RUN, "n_clicks"),
          State(ids.PLAN_N, "value"), State(ids.PLAN_CAMERA_KIND, "value"), State(ids.PLAN_PERIOD, "value"),
          State(ids.LANG, "data"), prevent_initial_call=True)
def run_placement(_clicks, n, kind, period, lang):
    if not n or not 1 <= int(n) <= MAX_NEW_CAMERAS or kind not in CAMERA_KINDS:
        raise PreventUpdate
    con = store()
    placement = plan_cameras(con, Controls(period=period).to_filter(con), int(n), kind)
    return placement_geojson(placement.cameras), placement_result(placement, lang)


@callback(Output(ids.RINGS_LAYER, "url"), Output(ids.RING_KPIS, "children"), Output(ids.LEAK_TABLE, "children"),
          Output(ids.LEAK_EXPORT, "children"), Input(ids.PLAN_LAYER, "value"), Input(ids.PLAN_DUTY, "value"),
          State(ids.LANG, "data"))
def update_rings(choice, mode, lang):
    """The ring layer (with the rings choice), the covered-entries KPI per ring and the leaks, in a duty mode."""
    mode = mode if mode in DUTY_LEVELS else "routine"
    analysis = ring_analysis(store(), mode)
    url = f"/api/v1/layers/rings.geojson?duty={mode}&lang={lang}" if choice == "rings" else None
    kpis = [html.Div([html.Div(name, className="l"), html.Div(t("ring_entries", lang).format(
        covered=number(r.covered, lang), entries=number(r.entries, lang)), className="v")], className="cell")
        for name, r in zip(analysis.summary["ring"], analysis.summary.itertuples())]
    export = html.A(t("export_csv", lang), href=f"/api/v1/exports/ring-leaks.csv?duty={mode}", download="")
    return url, html.Div(kpis, className="kpi-row"), leak_table(analysis.leaks.head(LEAK_ROWS), lang), [export]


def leak_table(leaks, lang: str) -> html.Table:
    head = html.Tr([html.Th("#"), html.Th(t("col_ring", lang)), html.Th(t("col_road", lang)),
                    html.Th(t("col_nearby", lang)), html.Th(t("col_nearest", lang))])
    rows = [html.Tr([html.Td(r.rank), html.Td(r.ring), html.Td(t(f"road_{r.road_class}", lang)),
                     html.Td(number(r.incidents_nearby, lang)), html.Td(metres(r.checkpoint_distance_m, lang))])
            for r in leaks.itertuples()]
    return html.Table([head, *rows], className="simple")


def metres(value: float, lang: str) -> str:
    return "–" if value == float("inf") else number(round(value), lang)


@callback(Output(ids.INTERCEPT_LAYER, "data"), Output(ids.INTERCEPT_RESULT, "children"),
          Input(ids.PLAN_MAP, "clickData"), Input(ids.PLAN_LAYER, "value"), Input(ids.PLAN_DUTY, "value"),
          State(ids.LANG, "data"), prevent_initial_call=True)
def run_interception(click, choice, mode, lang):
    """A click on the map with the rings layer: the incident's escape routes and the entries open to it."""
    if choice != "rings" or not click or "latlng" not in click:
        return EMPTY, t("intercept_hint", lang)
    latlng = click["latlng"]
    view = interception(store(), float(latlng["lat"]), float(latlng["lng"]), mode if mode in DUTY_LEVELS else "routine")
    minutes = "–" if view.nearest_minutes != view.nearest_minutes else f"{view.nearest_minutes:.1f}"
    text = t("intercept_result", lang).format(minutes=minutes, reachable=view.reachable, leaks=view.leaks_on_routes)
    return view.geojson, text


EMPTY = {"type": "FeatureCollection", "features": []}


def placement_result(placement, lang: str) -> list:
    gain = placement.covered_after - placement.covered_before
    summary = t("plan_before_after", lang).format(
        before=f"{number(placement.covered_before, lang)} ({placement.share_before:.1%})",
        after=f"{number(placement.covered_after, lang)} ({placement.share_after:.1%})", gain=number(gain, lang))
    head = html.Tr([html.Th("#"), html.Th(t("plan_heading", lang)), html.Th(t("plan_gain", lang))])
    rows = [html.Tr([html.Td(i + 1), html.Td(t("heading_dome", lang) if c.azimuth_deg != c.azimuth_deg
                                             else f"{c.azimuth_deg:.0f}°"), html.Td(number(c.gain_incidents, lang))])
            for i, c in enumerate(placement.cameras.itertuples())]
    return [html.P(summary), html.Table([head, *rows], className="simple")]
