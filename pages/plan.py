"""`/plan` — the planner: the heatmap with analysis panels (camera gaps, rings and reach follow)."""
from __future__ import annotations

import dash
import dash_leaflet as dl
from dash import Input, Output, State, callback, dcc, html

from data_pipeline.h3cells import cell_to_str
from layers.views import Controls, heat_view, hottest_cells
from pages import ids
from pages.components import base_map, legend, may_open, no_access, store, topbar
from pages.i18n import DEFAULT_LANG, number, t

dash.register_page(__name__, path="/plan", title="治安态势感知 · 研判规划")

PLAN_RES = 9


def layout(lang: str = DEFAULT_LANG, **_query) -> html.Div:
    lang = "en" if lang == "en" else "zh"
    if not may_open("/plan"):
        return no_access(lang)
    hex_layer = dl.GeoJSON(id="plan-hex", format="geobuf", style={"variable": "gis.heatStyle"},
                           onEachFeature={"variable": "gis.bindCount"}, hideout={})
    return html.Div([
        dcc.Store(id=ids.LANG, data=lang),
        topbar(lang, "/plan"),
        html.Div([
            html.Div([html.Label(t("period", lang), className="caption"),
                      dcc.RadioItems(id="plan-period", value="28d", inline=True,
                                     inputStyle={"marginRight": "3px", "marginLeft": "8px"},
                                     options=[{"label": t(f"period_{p}", lang), "value": p}
                                              for p in ("7d", "28d", "365d")])], className="filterbar"),
            html.Div([base_map("plan-map", hex_layer, lang), html.Div(id="plan-legend", className="legend")],
                     className="mapbox"),
            html.Div([html.H3(t("hottest", lang)), html.Div(id=ids.HOTTEST_TABLE)], className="sidepanel"),
        ], className="workspace"),
    ])


@callback(Output("plan-hex", "url"), Output("plan-hex", "hideout"), Output("plan-legend", "children"),
          Output(ids.HOTTEST_TABLE, "children"), Input("plan-period", "value"), Input("plan-map", "bounds"),
          Input("plan-map", "zoom"), State(ids.LANG, "data"))
def update_plan(period, bounds, zoom, lang):
    con = store()
    controls = Controls(period=period)
    view = heat_view(con, controls, bounds, zoom, t("incidents", lang))
    rows = [html.Tr([html.Td(i + 1), html.Td(cell_to_str(c)), html.Td(number(n, lang))])
            for i, (c, n) in enumerate(hottest_cells(con, controls, PLAN_RES))]
    table = html.Table([html.Tr([html.Th("#"), html.Th(t("cell", lang)), html.Th(t("incidents", lang))]), *rows],
                       className="simple")
    return view.url, view.hideout, legend(view.layer, view.breaks, lang), table
