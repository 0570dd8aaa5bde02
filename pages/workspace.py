"""`/` — the station workspace: filter bar, the case heatmap on the offline map, charts and hex details."""
from __future__ import annotations

import dash
import dash_leaflet as dl
from dash import ALL, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from data_pipeline.h3cells import str_to_cell
from data_pipeline.kinds import CATEGORIES
from layers.basemap import OUTLINE_LEVELS
from layers.charts import category_figure, cell_figures, matrix_figure, trend_figure
from layers.patrols import PATROL_RES, hot_unpatrolled_table
from layers.views import (
    Controls,
    cell_details,
    heat_view,
    resolution_for_zoom,
    station_options,
    still_covers,
    zone_options,
)
from pages import ids
from pages.components import (
    base_map,
    hot_table,
    label_url,
    legend,
    map_view,
    may_open,
    no_access,
    outline_url,
    places_legend,
    store,
    topbar,
)
from pages.i18n import DEFAULT_LANG, category_label, number, t, timestamp, weekdays

dash.register_page(__name__, path="/", title="治安态势感知 · 派出所工作台")

PERIOD_CHOICES = ("24h", "7d", "28d", "365d", "custom")
HOT_ROWS = 5
DEFAULT_PERIOD = "28d"


def layout(lang: str = DEFAULT_LANG, period=None, lat=None, lon=None, zoom=None, **_query) -> html.Div:
    """The workspace; a link may set its opening period (not "custom") and map view (``lat``, ``lon``, ``zoom``)."""
    lang = "en" if lang == "en" else "zh"
    if not may_open("/"):
        return no_access(lang)
    hex_layer = dl.GeoJSON(id=ids.HEX_LAYER, format="geobuf", style={"variable": "gis.heatStyle"},
                           onEachFeature={"variable": "gis.bindCount"}, hideout={})
    return html.Div([
        dcc.Store(id=ids.LANG, data=lang),
        topbar(lang, "/"),
        html.Div([
            filter_bar(lang, period if period in PERIOD_CHOICES[:-1] else DEFAULT_PERIOD),
            html.Div([base_map(ids.MAP, hex_layer, lang, view=map_view(lat, lon, zoom)),
                      html.Div(id=ids.LEGEND, className="legend"),
                      layer_toggles(lang)], className="mapbox"),
            side_panel(lang),
        ], className="workspace"),
    ])


def filter_bar(lang: str, period: str = DEFAULT_PERIOD) -> html.Div:
    stations = station_options(store())
    return html.Div([
        _field(t("period", lang), dcc.RadioItems(
            id=ids.PERIOD, value=period, inline=True, inputStyle={"marginRight": "3px", "marginLeft": "8px"},
            options=[{"label": t(f"period_{p}", lang), "value": p} for p in PERIOD_CHOICES])),
        dcc.DatePickerRange(id=ids.CUSTOM_RANGE, display_format="YYYY-MM-DD", style={"fontSize": "12px"},
                            start_date_placeholder_text=t("date_from", lang),
                            end_date_placeholder_text=t("date_to", lang)),
        _field(t("categories", lang), dcc.Dropdown(
            id=ids.CATEGORIES, multi=True, placeholder=t("all_categories", lang), style={"minWidth": "220px"},
            options=[{"label": category_label(c, lang), "value": c} for c in CATEGORIES])),
        _field(t("station", lang), dcc.Dropdown(
            id=ids.STATION, placeholder=t("all_stations", lang), style={"minWidth": "170px"},
            options=[{"label": name, "value": sid} for sid, name in stations])),
        _field(t("zone", lang), dcc.Dropdown(id=ids.ZONE, placeholder=t("all_zones", lang),
                                             style={"minWidth": "190px"}, options=[])),
        _field(t("hours", lang), html.Div(dcc.RangeSlider(
            id=ids.HOURS, min=0, max=24, step=1, value=[0, 24], marks={h: str(h) for h in range(0, 25, 6)},
            allowCross=False), style={"width": "200px"})),
        _field(t("compare", lang), dcc.RadioItems(
            id=ids.COMPARE, value="none", inline=True, inputStyle={"marginRight": "3px", "marginLeft": "8px"},
            options=[{"label": t(f"compare_{c}", lang), "value": c} for c in ("none", "previous", "last_year")])),
    ], className="filterbar")


def _field(caption: str, control) -> html.Div:
    return html.Div([html.Label(caption, className="caption"), control], className="field")


def layer_toggles(lang: str) -> html.Div:
    return html.Div([
        html.Div(t("outlines", lang), style={"fontWeight": 600}),
        dcc.Checklist(id=ids.OUTLINE_TOGGLE, value=["station"],
                      options=[{"label": t(f"level_{lv}", lang), "value": lv} for lv in OUTLINE_LEVELS]),
        dcc.Checklist(id=ids.PLACES_TOGGLE, value=["places"], options=[{"label": t("places", lang),
                                                                          "value": "places"}]),
        places_legend(lang),
    ], className="layer-toggles")


def side_panel(lang: str) -> html.Div:
    return html.Div([
        html.Div(id=ids.PANEL, children=html.P(t("click_hex", lang), className="muted")),
        html.H3(t("trend", lang)), dcc.Graph(id=ids.TREND_CHART, config={"displayModeBar": False}),
        html.H3(t("by_category", lang)), dcc.Graph(id=ids.CATEGORY_CHART, config={"displayModeBar": False}),
        html.H3(t("matrix", lang)), dcc.Graph(id=ids.MATRIX_CHART, config={"displayModeBar": False}),
        html.H3(t("hot_unpatrolled", lang)), html.Div(id=ids.WORKSPACE_HOT),
    ], className="sidepanel")


def controls_from(period, custom_start, custom_end, categories, station, zone, hours, compare) -> Controls:
    custom = (custom_start, custom_end) if period == "custom" and custom_start and custom_end else None
    return Controls(period if period != "custom" or custom else "28d", tuple(categories or ()), station,
                    zone if station else None, tuple(hours or (0, 24)), None if compare == "none" else compare,
                    _dates(custom))


def _dates(custom):
    from datetime import datetime

    return None if custom is None else tuple(datetime.fromisoformat(d[:10]) for d in custom)


FILTER_INPUTS = [Input(ids.PERIOD, "value"), Input(ids.CUSTOM_RANGE, "start_date"),
                 Input(ids.CUSTOM_RANGE, "end_date"), Input(ids.CATEGORIES, "value"), Input(ids.STATION, "value"),
                 Input(ids.ZONE, "value"), Input(ids.HOURS, "value"), Input(ids.COMPARE, "value")]


@callback(Output(ids.HEX_LAYER, "url"), Output(ids.HEX_LAYER, "hideout"), Output(ids.LEGEND, "children"),
          *FILTER_INPUTS, Input(ids.MAP, "bounds"), Input(ids.MAP, "zoom"), State(ids.LANG, "data"),
          State(ids.HEX_LAYER, "url"))
def update_heatmap(period, start, end, categories, station, zone, hours, compare, bounds, zoom, lang, loaded):
    controls = controls_from(period, start, end, categories, station, zone, hours, compare)
    view = heat_view(store(), controls, bounds, zoom, t("incidents", lang))
    if still_covers(loaded, view.url, bounds):
        raise PreventUpdate
    return view.url, view.hideout, legend(view.layer, view.breaks, lang)


@callback(Output(ids.TREND_CHART, "figure"), Output(ids.CATEGORY_CHART, "figure"),
          Output(ids.MATRIX_CHART, "figure"), *FILTER_INPUTS, State(ids.LANG, "data"))
def update_charts(period, start, end, categories, station, zone, hours, compare, lang):
    con = store()
    flt = controls_from(period, start, end, categories, station, zone, hours, compare).to_filter(con)
    labels = chart_labels(lang)
    return trend_figure(con, flt, labels), category_figure(con, flt, labels), matrix_figure(con, flt, labels)


@callback(Output(ids.WORKSPACE_HOT, "children"), *FILTER_INPUTS, State(ids.LANG, "data"))
def update_hot_unpatrolled(period, start, end, categories, station, zone, hours, compare, lang):
    """The filter's hot cells whose patrol time falls short of their share of incidents (top 5)."""
    con = store()
    flt = controls_from(period, start, end, categories, station, zone, hours, compare).to_filter(con)
    return hot_table(hot_unpatrolled_table(con, flt, PATROL_RES, HOT_ROWS), lang)


def chart_labels(lang: str) -> dict:
    return {"incidents": t("incidents", lang), "category": lambda c: category_label(c, lang),
            "weekdays": weekdays(lang)}


@callback(Output(ids.PANEL, "children"), Input(ids.HEX_LAYER, "clickData"), *FILTER_INPUTS,
          State(ids.MAP, "zoom"), State(ids.LANG, "data"), prevent_initial_call=True)
def show_cell(feature, period, start, end, categories, station, zone, hours, compare, zoom, lang):
    if not feature:
        return dash.no_update
    controls = controls_from(period, start, end, categories, station, zone, hours, compare)
    con, cell, res = store(), feature["properties"]["cell"], resolution_for_zoom(zoom)
    details = cell_details(con, controls, str_to_cell(cell), res)
    trend, matrix = cell_figures(details["times"], details["filter"], chart_labels(lang) | {"height": 160})
    return cell_panel(cell, details, lang, trend, matrix)


def cell_panel(cell: str, details: dict, lang: str, trend, matrix) -> list:
    rows = [html.Tr([html.Td(category_label(c, lang)), html.Td(number(n, lang))]) for c, n in details["categories"]]
    latest = [html.Tr([html.Td(i), html.Td(timestamp(ts, lang)), html.Td(category_label(c, lang)), html.Td(s or "")])
              for i, ts, c, s in details["latest"]]
    head = html.Tr([html.Th(t(k, lang)) for k in ("id", "time", "categories", "status")])
    graph = {"config": {"displayModeBar": False}, "style": {"height": "160px"}}
    return [html.H3(f"{t('cell', lang)} {cell}"), html.Table(rows, className="simple"),
            html.H3(t("trend", lang)), dcc.Graph(figure=trend, **graph),
            html.H3(t("matrix", lang)), dcc.Graph(figure=matrix, **graph),
            html.H3(t("latest", lang)), html.Table([head, *latest], className="simple")]


@callback(Output({"type": ids.OUTLINE_LAYER, "map": ids.MAP, "level": ALL}, "url"),
          Output({"type": ids.OUTLINE_LABELS, "map": ids.MAP, "level": ALL}, "url"),
          Input(ids.OUTLINE_TOGGLE, "value"))
def toggle_outlines(levels):
    shown = levels or []
    return ([outline_url(lv) if lv in shown else None for lv in OUTLINE_LEVELS],
            [label_url(lv) if lv in shown else None for lv in OUTLINE_LEVELS])


@callback(Output({"type": ids.PLACES_LAYER, "map": ids.MAP}, "url"), Input(ids.PLACES_TOGGLE, "value"))
def toggle_places(value):
    return "/api/v1/layers/places.geojson" if value else None


@callback(Output(ids.ZONE, "options"), Output(ids.ZONE, "value"), Input(ids.STATION, "value"),
          State(ids.LANG, "data"))
def zones_of_station(station, lang):
    options = [{"label": f"{name}（{t(f'level_{level}', lang)}）", "value": zid}
               for zid, name, level in zone_options(store(), station)]
    return options, None
