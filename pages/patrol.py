"""`/patrol` — 巡逻防控: patrol presence or the 1-3-5 minute reach on the map, tracks with playback, rapid-response
KPIs (modelled and actual), hot-but-unpatrolled cells, hot-spot dosage, patrol minutes against incidents by hour.

For station chiefs (their station's units, posts and incidents only), planners and leadership.
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import dash
import dash_leaflet as dl
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from data_pipeline.h3cells import cell_to_str
from layers.base import Layer
from layers.patrols import (
    PATROL_RES,
    PRESENCE,
    REACH,
    dosage_table,
    hot_unpatrolled_table,
    minutes_and_incidents_by_hour,
    playback_end,
    presence_breaks,
    reach_kpi,
    response_times,
)
from layers.views import Controls, resolution_for_zoom, station_options, viewport_bbox
from pages import ids
from pages.components import base_map, hot_table, legend, may_open, no_access, store, topbar
from pages.i18n import DEFAULT_LANG, number, percent_share, t, timestamp

dash.register_page(__name__, path="/patrol", title="治安态势感知 · 巡逻防控")

PERIODS = ("24h", "7d", "28d")
# Playback over the last day in 10-minute steps; a play step every 1.5 s.
PLAYBACK_STEP_MIN = 10
PLAYBACK_STEPS = 24 * 60 // PLAYBACK_STEP_MIN
PLAY_INTERVAL_MS = 1500
TABLE_ROWS = 10


def layout(lang: str = DEFAULT_LANG, **_query) -> html.Div:
    lang = "en" if lang == "en" else "zh"
    if not may_open("/patrol"):
        return no_access(lang)
    hex_layer = dl.GeoJSON(id=ids.PATROL_HEX, format="geobuf", style={"variable": "gis.heatStyle"},
                           onEachFeature={"variable": "gis.bindCount"}, hideout={})
    layers = [dl.GeoJSON(id=ids.PATROL_TRACKS, style={"variable": "gis.trackStyle"}),
              dl.GeoJSON(id=ids.PATROL_UNITS, style={"variable": "gis.trackStyle"},
                         pointToLayer={"variable": "gis.unitMarker"})]
    return html.Div([
        dcc.Store(id=ids.LANG, data=lang),
        dcc.Interval(id=ids.PATROL_TICK, interval=PLAY_INTERVAL_MS, disabled=True),
        topbar(lang, "/patrol"),
        html.Div([
            controls_bar(lang),
            html.Div([base_map(ids.PATROL_MAP, hex_layer, lang, extra=layers),
                      html.Div(id=ids.PATROL_LEGEND, className="legend")], className="mapbox"),
            html.Div([html.H3(t("patrol_kpis", lang)), html.Div(id=ids.PATROL_KPIS),
                      html.H3(t("minutes_vs_incidents", lang)),
                      dcc.Graph(id=ids.PATROL_HOUR_CHART, config={"displayModeBar": False}),
                      html.H3(t("hot_unpatrolled", lang)), html.Div(id=ids.HOT_UNPATROLLED),
                      html.H3(t("dosage", lang)), html.Div(id=ids.DOSAGE_TABLE),
                      html.H3(t("response_by_station", lang)), html.Div(id=ids.RESPONSE_TABLE)],
                     className="sidepanel"),
        ], className="workspace"),
    ])


def controls_bar(lang: str) -> html.Div:
    radio = {"inline": True, "inputStyle": {"marginRight": "3px", "marginLeft": "8px"}}
    marks = {i: f"-{(PLAYBACK_STEPS - i) * PLAYBACK_STEP_MIN // 60}h" for i in range(0, PLAYBACK_STEPS + 1, 36)}
    return html.Div([
        _field(t("period", lang), dcc.RadioItems(id=ids.PATROL_PERIOD, value="7d", **radio, options=[
            {"label": t(f"period_{p}", lang), "value": p} for p in PERIODS])),
        _field(t("hours", lang), html.Div(dcc.RangeSlider(
            id=ids.PATROL_HOURS, min=0, max=24, step=1, value=[0, 24], allowCross=False,
            marks={h: str(h) for h in range(0, 25, 6)}), style={"width": "180px"})),
        _field(t("layer", lang), dcc.RadioItems(id=ids.PATROL_LAYER, value="presence", **radio, options=[
            {"label": t(f"layer_{c}", lang), "value": c} for c in ("presence", "reach")])),
        _field(t("playback", lang), html.Div(dcc.Slider(
            id=ids.PATROL_TIME, min=0, max=PLAYBACK_STEPS, step=1, value=PLAYBACK_STEPS, marks=marks),
            style={"width": "300px"})),
        html.Button(t("play", lang), id=ids.PATROL_PLAY, n_clicks=0),
        html.Span(id=ids.PATROL_CLOCK, className="clock"),
    ], className="filterbar")


def _field(caption: str, control) -> html.Div:
    return html.Div([html.Label(caption, className="caption"), control], className="field")


def playback_moment(con, step: int | None):
    """The moment a slider step stands for: the last day of patrol data, in whole steps back from its end."""
    step = PLAYBACK_STEPS if step is None else max(0, min(PLAYBACK_STEPS, int(step)))
    return playback_end(con) - timedelta(minutes=(PLAYBACK_STEPS - step) * PLAYBACK_STEP_MIN)


def controls(period, hours) -> Controls:
    return Controls(period=period if period in PERIODS else "7d", hours=tuple(hours) if hours else (0, 24))


@callback(Output(ids.PATROL_HEX, "url"), Output(ids.PATROL_HEX, "hideout"), Output(ids.PATROL_LEGEND, "children"),
          Input(ids.PATROL_PERIOD, "value"), Input(ids.PATROL_HOURS, "value"), Input(ids.PATROL_LAYER, "value"),
          Input(ids.PATROL_TIME, "value"), Input(ids.PATROL_MAP, "bounds"), Input(ids.PATROL_MAP, "zoom"),
          State(ids.LANG, "data"))
def update_map(period, hours, choice, step, bounds, zoom, lang):
    con = store()
    res, box = resolution_for_zoom(zoom), viewport_bbox(bounds)
    box_param = [("bbox", ",".join(f"{v:.5f}" for v in box))] if box else []
    if choice == "reach":
        at = playback_moment(con, step)
        url = "/api/v1/layers/reach.pbf?" + urlencode([("resolution", res), ("at", at.isoformat())] + box_param)
        return url, _hideout(REACH, [1, 3, 5], t("layer_reach", lang)), reach_legend(lang)
    flt = controls(period, hours).to_filter(con)
    params = [("resolution", res), ("from", flt.from_ts.isoformat()), ("to", flt.to_ts.isoformat())]
    if flt.hours:
        params.append(("hours", ",".join(map(str, flt.hours))))
    breaks = presence_breaks(con, res, flt)
    url = "/api/v1/layers/presence.pbf?" + urlencode(params + box_param)
    return url, _hideout(PRESENCE, breaks, t("layer_presence", lang)), legend(PRESENCE, breaks, lang)


def _hideout(layer: Layer, breaks: list, label: str) -> dict:
    return {"breaks": breaks, "colors": list(layer.colors), "metric": layer.metric, "label": label}


def reach_legend(lang: str) -> list:
    rows = [html.Div(t("legend_reach", lang), style={"fontWeight": 600})]
    return rows + [html.Div([html.Span(className="swatch", style={"background": color}), t(f"reach_{m}", lang)],
                            className="row") for m, color in zip((1, 3, 5), REACH.colors)]


@callback(Output(ids.PATROL_TRACKS, "url"), Output(ids.PATROL_UNITS, "url"), Output(ids.PATROL_CLOCK, "children"),
          Input(ids.PATROL_TIME, "value"), State(ids.LANG, "data"))
def update_playback(step, lang):
    """The day's tracks up to the slider's moment, and every unit's position and short trail at it."""
    con = store()
    at = playback_moment(con, step)
    day = urlencode({"from": (at - timedelta(hours=24)).isoformat(), "to": at.isoformat()})
    return (f"/api/v1/layers/patrol-tracks.geojson?{day}",
            f"/api/v1/layers/patrol-positions.geojson?{urlencode({'at': at.isoformat()})}", timestamp(at, lang))


@callback(Output(ids.PATROL_TICK, "disabled"), Output(ids.PATROL_PLAY, "children"), Input(ids.PATROL_PLAY, "n_clicks"),
          State(ids.LANG, "data"), prevent_initial_call=True)
def toggle_play(clicks, lang):
    playing = bool(clicks) and clicks % 2 == 1
    return not playing, t("pause" if playing else "play", lang)


@callback(Output(ids.PATROL_TIME, "value"), Input(ids.PATROL_TICK, "n_intervals"), State(ids.PATROL_TIME, "value"),
          prevent_initial_call=True)
def advance_playback(_n, step):
    if step is None:
        raise PreventUpdate
    return 0 if step >= PLAYBACK_STEPS else step + 1


@callback(Output(ids.PATROL_KPIS, "children"), Output(ids.PATROL_HOUR_CHART, "figure"),
          Output(ids.HOT_UNPATROLLED, "children"), Output(ids.DOSAGE_TABLE, "children"),
          Output(ids.RESPONSE_TABLE, "children"), Input(ids.PATROL_PERIOD, "value"), Input(ids.PATROL_HOURS, "value"),
          State(ids.LANG, "data"))
def update_panel(period, hours, lang):
    con = store()
    flt = controls(period, hours).to_filter(con)
    by_station = response_times(con, "station", flt)
    reach = reach_kpi(con, flt)
    return (kpi_cells(reach, by_station, lang), hour_chart(minutes_and_incidents_by_hour(con, flt), lang),
            hot_table(hot_unpatrolled_table(con, flt, PATROL_RES, TABLE_ROWS), lang),
            dosage_view(dosage_table(con, flt).head(TABLE_ROWS), lang),
            response_table(by_station, reach.by_station, dict(station_options(con)), lang))


def kpi_cells(kpi, by_station, lang: str) -> html.Div:
    n = by_station["n"].sum()
    weighted = lambda column: (by_station[column] * by_station["n"]).sum() / n if n else float("nan")  # noqa: E731
    cells = [(percent_share(kpi.within_5min, kpi.incidents, lang), "kpi_reach_modelled"),
             (_minutes(weighted("median_min")), "kpi_response_median"),
             (_minutes(weighted("p90_min")), "kpi_response_p90"),
             (percent_share(weighted("share_within_5min"), 1.0, lang) if n else "—", "kpi_response_share")]
    return html.Div([html.Div([html.Div(v, className="v"), html.Div(t(label, lang), className="l")], className="cell")
                     for v, label in cells], className="kpi-row")


def _minutes(value: float) -> str:
    return "—" if value != value else f"{value:.1f}"


def hour_chart(table, lang: str) -> dict:
    ink, grid = "#2a3f54", "#e6eaef"
    axis = {"gridcolor": grid, "linecolor": grid, "zeroline": False, "automargin": True}
    return {"data": [
        {"type": "bar", "x": table["hour"].tolist(), "y": table["patrol_minutes"].round().tolist(),
         "name": t("col_patrol_min", lang), "marker": {"color": "#8c96c6"}},
        {"type": "scatter", "mode": "lines+markers", "x": table["hour"].tolist(), "y": table["incidents"].tolist(),
         "name": t("incidents", lang), "yaxis": "y2", "line": {"color": "#cc4c02"}}],
        "layout": {"margin": {"l": 40, "r": 40, "t": 10, "b": 30}, "height": 200, "showlegend": True,
                   "legend": {"orientation": "h", "y": 1.15}, "paper_bgcolor": "rgba(0,0,0,0)",
                   "plot_bgcolor": "rgba(0,0,0,0)", "font": {"size": 11, "color": ink},
                   "xaxis": axis | {"dtick": 3}, "yaxis": axis | {"rangemode": "tozero"},
                   "yaxis2": axis | {"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero",
                                     "tickformat": "d"}}}


def dosage_view(table, lang: str) -> html.Table:
    head = html.Tr([html.Th(t("cell", lang)), html.Th(t("col_visits", lang)), html.Th(t("col_visit_min", lang)),
                    html.Th(t("col_interval_min", lang)), html.Th(t("col_meets", lang))])
    rows = [html.Tr([html.Td(cell_to_str(r.cell)), html.Td(number(r.visits, lang)),
                     html.Td(_minutes(r.mean_visit_minutes)), html.Td(_minutes(r.mean_interval_minutes)),
                     html.Td(t("yes" if r.meets_dosage else "no", lang))]) for r in table.itertuples()]
    return html.Table([head, *rows], className="simple")


def response_table(table, modelled, names: dict, lang: str) -> html.Table:
    """Actual response per station next to the modelled reach (share of its incidents within 5 minutes)."""
    model = {r.station_id: percent_share(r.within_5min, r.incidents, lang) for r in modelled.itertuples()}
    head = html.Tr([html.Th(t("col_group", lang)), html.Th("n"), html.Th(t("col_median", lang)),
                    html.Th(t("col_p90", lang)), html.Th(t("col_within5", lang)), html.Th(t("col_modelled", lang))])
    rows = [html.Tr([html.Td(names.get(r.group, r.group)), html.Td(number(r.n, lang)), html.Td(_minutes(r.median_min)),
                     html.Td(_minutes(r.p90_min)),
                     html.Td(percent_share(r.share_within_5min, 1.0, lang) if r.n else "—"),
                     html.Td(model.get(r.group, "—"))])
            for r in table.itertuples()]
    return html.Table([head, *rows], className="simple")
