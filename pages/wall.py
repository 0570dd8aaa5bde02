"""`/wall` — the command-centre wall display: dark, no clicks, readable from 5 m, refreshes itself."""
from __future__ import annotations

import os

import dash
import dash_leaflet as dl
from dash import Input, Output, State, callback, dcc, html

from layers.charts import matrix_figure
from layers.coverage import coverage_kpis
from layers.heatmap import INCIDENTS
from layers.kpis import kpis, top_categories
from layers.patrols import reach_kpi, response_times
from layers.timeframe import as_of, data_time
from layers.views import Controls, heat_view
from pages import ids
from pages.components import base_map, legend, may_open, no_access, store
from pages.i18n import DEFAULT_LANG, category_label, number, percent, percent_share, t, timestamp, weekdays

dash.register_page(__name__, path="/wall", title="治安态势感知 · 指挥大屏")

# Refresh interval: GIS_WALL_REFRESH_S overrides the default minute.
REFRESH_S = int(os.environ.get("GIS_WALL_REFRESH_S", "60"))
# The map cycles through these periods, one per refresh, so the wall shows "now" and "lately" unattended.
CYCLE = (("24h", "period_24h"), ("7d", "period_7d"), ("28d", "period_28d"))
# Chart text scales with the screen like the CSS (vh units): 1.8 % of its height, 18 px at least.
CHART_FONT_SHARE = 0.018
MIN_CHART_FONT_PX = 18
# The wall shows the whole county at one resolution (~0.7 km² hexes), whatever the screen's pixel size.
WALL_RES = 8


def layout(lang: str = DEFAULT_LANG, refresh: str | None = None, **_query) -> html.Div:
    lang = "en" if lang == "en" else "zh"
    if not may_open("/wall"):
        return no_access(lang)
    interval_s = int(refresh) if refresh and refresh.isdigit() else REFRESH_S
    hex_layer = dl.GeoJSON(id=ids.WALL_MAP_LAYER, format="geobuf", style={"variable": "gis.heatStyle"}, hideout={})
    return html.Div([
        dcc.Store(id=ids.LANG, data=lang),
        dcc.Interval(id=ids.WALL_TICK, interval=interval_s * 1000),
        html.Div([html.H1(t("app_title", lang)), html.Span(id=ids.WALL_UPDATED, className="updated")],
                 className="title"),
        dcc.Store(id="wall-screen"),
        html.Div([base_map("wall-map", hex_layer, lang, dark=True, places=False, zoom_control=False,
                           zoom_snap=0.25),
                  html.Div(id="wall-layer-name", className="layer-name"),
                  html.Div(id="wall-legend", className="legend")], className="mapcell"),
        html.Div([
            html.Div(id=ids.WALL_KPIS, className="kpis"),
            html.Div([html.H2(t("wall_readiness", lang)), html.Div(id=ids.WALL_COVERAGE, className="coverage-kpis")],
                     className="box"),
            html.Div([html.H2(t("top_categories", lang)), html.Div(id="wall-topcats", className="topcats")],
                     className="box"),
            html.Div([html.H2(t("matrix", lang)),
                      dcc.Graph(id=ids.WALL_MATRIX, responsive=True, style={"height": "calc(100% - 4vh)"},
                                config={"displayModeBar": False, "staticPlot": True})],
                     className="box", style={"flex": "1"}),
        ], className="side"),
    ], className="wall")


@callback(Output(ids.WALL_KPIS, "children"), Output("wall-topcats", "children"), Output(ids.WALL_MATRIX, "figure"),
          Output(ids.WALL_UPDATED, "children"), Output(ids.WALL_COVERAGE, "children"),
          Input(ids.WALL_TICK, "n_intervals"), Input("wall-screen", "data"), State(ids.LANG, "data"))
def refresh_figures(_tick, screen_height, lang):
    con = store()
    now = as_of(con)
    tiles = [kpi_tile(k, lang) for k in kpis(con, now)]
    week = Controls(period="7d").to_filter(con)
    coverage = coverage_tiles(coverage_kpis(con, Controls(period="28d").to_filter(con)), lang)
    coverage += readiness_tiles(reach_kpi(con, week), response_times(con, "station", week), lang)
    cats = [html.Div([category_label(c, lang), html.Span(number(n, lang), className="n")])
            for c, n in top_categories(con, now)]
    flt = Controls(period="28d").to_filter(con)
    font = max(MIN_CHART_FONT_PX, int((screen_height or 1080) * CHART_FONT_SHARE))
    matrix = matrix_figure(con, flt, {"weekdays": weekdays(lang), "height": None, "font": font}, dark=True)
    return tiles, cats, matrix, f"{t('updated', lang)} {timestamp(data_time(con), lang)}", coverage


def readiness_tiles(reach, responses, lang: str) -> list:
    """1-3-5: incidents of the last 7 days within 5 minutes of a unit (modelled) and actually reached in 5."""
    n = responses["n"].sum()
    arrived = (responses["share_within_5min"].fillna(0) * responses["n"]).sum()
    figures = [(percent_share(reach.within_5min, reach.incidents, lang), "kpi_reach_modelled"),
               (percent_share(arrived, n, lang), "kpi_response_share")]
    return [html.Div([html.Span(value, className="n"), html.Span(t(label, lang))]) for value, label in figures]


def coverage_tiles(k, lang: str) -> list:
    """Camera coverage at a glance: incidents (28 days) and key places in sight, main roads, cameras online."""
    figures = [(percent_share(k.incidents_covered, k.incidents, lang), "kpi_incidents_covered"),
               (percent_share(k.places_covered, k.places, lang), "kpi_places_covered"),
               (percent_share(k.main_road_covered_m, k.main_road_m, lang), "kpi_roads_covered"),
               (percent_share(k.cameras_online, k.cameras, lang), "kpi_cameras_online")]
    return [html.Div([html.Span(value, className="n"), html.Span(t(label, lang))]) for value, label in figures]


def kpi_tile(kpi, lang: str) -> html.Div:
    return html.Div([
        html.Div(t(f"kpi_{kpi.period}", lang), className="label"),
        html.Div(number(kpi.incidents, lang), className="value"),
        html.Div(f"{t('vs_previous', lang)} {percent(kpi.vs_previous_pct, lang)}",
                 className=_delta(kpi.vs_previous_pct)),
        html.Div(f"{t('vs_last_year', lang)} {percent(kpi.vs_last_year_pct, lang)}",
                 className=_delta(kpi.vs_last_year_pct)),
    ], className="kpi")


def _delta(value: float | None) -> str:
    return "delta " + ("flat" if not value else "up" if value > 0 else "down")


@callback(Output(ids.WALL_MAP_LAYER, "url"), Output(ids.WALL_MAP_LAYER, "hideout"), Output("wall-legend", "children"),
          Output("wall-layer-name", "children"), Input(ids.WALL_TICK, "n_intervals"), State(ids.LANG, "data"))
def cycle_map(tick, lang):
    period, key = CYCLE[(tick or 0) % len(CYCLE)]
    view = heat_view(store(), Controls(period=period), None, None, t("incidents", lang), res=WALL_RES)
    hideout = view.hideout | {"edge": "#0b1220", "opacity": 0.8}
    return view.url, hideout, legend(INCIDENTS, view.breaks, lang), f"{t('layer_incidents', lang)} · {t(key, lang)}"


# The screen height, once, so that plotly's pixel-sized text can follow the wall's size.
dash.clientside_callback("function(_) { return window.innerHeight; }", Output("wall-screen", "data"),
                         Input(ids.WALL_TICK, "id"))
