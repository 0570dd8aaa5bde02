"""Pieces the pages share: the top bar, the map with its basemap layers, the legend."""
from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html
from flask import current_app

from auth.web import csrf_token, current_principal, scoped_store
from data_pipeline.h3cells import cell_to_str
from layers.base import Layer
from layers.basemap import OUTLINE_LEVELS, OUTLINE_STYLE, PLACE_ICONS, store_extent
from pages import ids
from pages.i18n import number, t

NAV = (("/", "nav_workspace"), ("/wall", "nav_wall"), ("/plan", "nav_plan"), ("/patrol", "nav_patrol"),
       ("/admin", "nav_admin"))
# Emeishan's centre: where the map opens when the store has no jurisdictions yet.
FALLBACK_CENTER = (29.60, 103.48)
# Leaflet's default maxZoom: the deepest a link may open the map.
MAX_ZOOM = 18
# Half-size of the box a link's view starts on before it zooms to its own zoom (any small box will do).
VIEW_START_DEG = 0.001


def store():
    """The store, as far as the current caller may read it (their stations only, for a chief)."""
    return scoped_store()


def may_open(path: str) -> bool:
    principal = current_principal()
    return principal is not None and principal.may_open(path)


def topbar(lang: str, active: str) -> html.Div:
    other = "en" if lang == "zh" else "zh"
    links = [dcc.Link(t(key, lang), href=f"{path}?lang={lang}", className="active" if path == active else "")
             for path, key in NAV if may_open(path)]
    return html.Div([html.H1(t("app_title", lang)), *links, html.Div(className="spacer"),
                     dcc.Link(t("lang_switch", lang), href=f"{active}?lang={other}", id=ids.LANG_SWITCH),
                     account_menu(lang)], className="topbar")


def account_menu(lang: str) -> html.Div:
    """Who is signed in, and a sign-out button (a POST form with the session's CSRF token)."""
    principal = current_principal()
    if principal is None or principal.via != "session":
        return html.Div()
    station = f" · {principal.station}" if principal.station else ""
    return html.Div([
        html.Span(f"{principal.name} ({t('role_' + principal.role, lang)}{station})", className="who"),
        html.Form([dcc.Input(type="hidden", name="csrf", value=csrf_token()),
                   html.Button(t("logout", lang), type="submit", id=ids.LOGOUT, className="logout")],
                  method="POST", action="/logout"),
    ], className="account")


def no_access(lang: str) -> html.Div:
    """What a page shows to a caller whose role may not open it (even through a forged page request)."""
    return html.Div([topbar(lang, ""), html.Div(html.H2(t("no_access", lang)), className="no-access")])


def base_map(map_id: str, hex_layer: dl.GeoJSON, lang: str, dark: bool = False, outlines=("station",),
             places: bool = True, zoom_control: bool = True, view: tuple[float, float, float] | None = None,
             zoom_snap: float = 1, extra: list | None = None) -> dl.Map:
    """The offline map: our own outlines, roads and key places under the hex layer.

    It opens on ``view`` (lat, lon, zoom) when given, else fitted to the store's extent. ``extra`` layers go
    above the hexagons and outlines (cameras, recommendations).
    """
    extent = store_extent(store())
    children = []
    tile_url = current_app.config.get("TILE_URL")
    if tile_url:
        children.append(dl.TileLayer(url=tile_url))
    children.append(dl.GeoJSON(url="/api/v1/layers/roads.geojson", id=f"{map_id}-roads",
                               style={"variable": "gis.roadStyle"},
                               hideout={"color": "#3b4d63" if dark else "#a9b4bf"}))
    children.append(hex_layer)
    for level in OUTLINE_LEVELS:
        style = dict(OUTLINE_STYLE[level], color="#7fa7d6" if dark else OUTLINE_STYLE[level]["color"])
        children.append(dl.GeoJSON(url=outline_url(level) if level in outlines else None,
                                   id={"type": ids.OUTLINE_LAYER, "map": map_id, "level": level},
                                   style={"variable": "gis.outlineStyle"}, hideout={"style": style},
                                   onEachFeature={"variable": "gis.bindName"}, interactive=False))
        children.append(dl.GeoJSON(url=label_url(level) if level in outlines else None,
                                   id={"type": ids.OUTLINE_LABELS, "map": map_id, "level": level},
                                   pointToLayer={"variable": "gis.labelMarker"}))
    if places:
        children.append(dl.GeoJSON(url="/api/v1/layers/places.geojson", id={"type": ids.PLACES_LAYER, "map": map_id},
                                   pointToLayer={"variable": "gis.placeMarker"}, hideout={"lang": lang}))
    children.extend(extra or [])
    # dash-leaflet 1.1.3's trackViewport compares against the `center` prop and throws when it is unset,
    # so bounds alone would never report zoom/bounds back: give the extent's centre too (no zoom, so the
    # map still fits the bounds to the screen, 1080p or 4K).
    kwargs = {"bounds": [[extent[0], extent[1]], [extent[2], extent[3]]],
              "center": ((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2)} if extent else \
        {"center": FALLBACK_CENTER, "zoom": 11}
    if view:
        # A link's view. dash-leaflet reports the viewport (so the first hex request covers just the screen)
        # only when the map's zoom differs from its `zoom` prop: start on a small box round the centre, then
        # set the zoom through `viewport`.
        lat, lon, zoom = view
        box = [[lat - VIEW_START_DEG, lon - VIEW_START_DEG], [lat + VIEW_START_DEG, lon + VIEW_START_DEG]]
        kwargs = {"bounds": box, "center": (lat, lon), "viewport": {"center": (lat, lon), "zoom": zoom}}
    return dl.Map(children, id=map_id, trackViewport=True, zoomControl=zoom_control, attributionControl=False,
                  preferCanvas=True, zoomSnap=zoom_snap, style={"height": "100%", "width": "100%"}, **kwargs)


def map_view(lat, lon, zoom) -> tuple[float, float, float] | None:
    """A link's ``?lat=&lon=&zoom=`` → the map's opening view; None when absent or not a place on Earth."""
    try:
        view = float(lat), float(lon), float(zoom)
    except (TypeError, ValueError):
        return None
    return view if abs(view[0]) <= 90 and abs(view[1]) <= 180 and 0 <= view[2] <= MAX_ZOOM else None


def outline_url(level: str) -> str:
    return f"/api/v1/layers/boundaries.geojson?level={level}"


def label_url(level: str) -> str:
    return f"/api/v1/layers/labels.geojson?level={level}"


def places_legend(lang: str) -> html.Div:
    """The key-place badges with their kinds."""
    badges = [(kind, zh if lang == "zh" else en, color) for kind, (zh, en, color) in PLACE_ICONS.items()]
    return html.Div([html.Div([html.Span(icon, className="badge", style={"background": color}),
                               t(f"place_{kind}", lang)]) for kind, icon, color in badges],
                    className="places-legend")


def legend(layer: Layer, breaks: list[float], lang: str) -> list:
    """Legend rows: one swatch per class with its range."""
    rows = [html.Div(t(layer.legend_key, lang), style={"fontWeight": 600})]
    lower = None
    for color, upper in zip(layer.colors, breaks):
        if lower is None:
            text = f"≤ {number(upper, lang)}"
        else:
            text = f"{number(lower, lang)} – {number(upper, lang)}"
        rows.append(html.Div([html.Span(className="swatch", style={"background": color}), text], className="row"))
        lower = upper
    return rows


def hot_table(table, lang: str) -> html.Table:
    """Hot but unpatrolled cells (``layers.patrols.hot_unpatrolled_table``): incidents, patrol and short minutes."""
    head = html.Tr([html.Th(t("cell", lang)), html.Th(t("incidents", lang)), html.Th(t("col_patrol_min", lang)),
                    html.Th(t("col_deficit_min", lang))])
    rows = [html.Tr([html.Td(cell_to_str(r.cell)), html.Td(number(r.incidents, lang)),
                     html.Td(number(round(r.patrol_minutes), lang)), html.Td(number(round(r.deficit_minutes), lang))])
            for r in table.itertuples()]
    return html.Table([head, *rows], className="simple")
