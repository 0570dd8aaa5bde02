"""What each map view shows for its controls: one call per callback, so callbacks stay thin."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode, urlsplit

import queries
from analysis.hotspots import count_breaks
from layers.base import Layer
from layers.coverage import BLIND_RES, BLIND_SPOTS, COVERAGE, COVERAGE_BREAKS_PCT, CameraFilter, blind_spot_table
from layers.heatmap import HeatRequest, heat_breaks, heat_layer, heat_values
from layers.hexes import in_bbox
from layers.timeframe import view_filter
from queries.incidents import IncidentFilter, cell_counts

# Map zoom → H3 resolution: ~5 km² hexes for a county, ~0.015 km² in the streets.
ZOOM_RESOLUTIONS = ((10, 7), (11, 8), (13, 9))
STREET_RES = 10
# A little margin around the viewport, so panning does not show a blank edge before the redraw.
VIEWPORT_PAD = 0.15


def resolution_for_zoom(zoom: float | None) -> int:
    zoom = 11 if zoom is None else zoom
    return next((res for max_zoom, res in ZOOM_RESOLUTIONS if zoom <= max_zoom), STREET_RES)


def viewport_bbox(bounds) -> tuple[float, float, float, float] | None:
    """dash-leaflet bounds [[south, west], [north, east]] → padded (west, south, east, north)."""
    if not bounds:
        return None
    (south, west), (north, east) = bounds
    dx, dy = (east - west) * VIEWPORT_PAD, (north - south) * VIEWPORT_PAD
    return west - dx, south - dy, east + dx, north + dy


@dataclass(frozen=True)
class Controls:
    """The filter bar's state."""

    period: str = "28d"
    categories: tuple[str, ...] = ()
    station: str | None = None
    zone: str | None = None             # a community/village or grid of the station
    hours: tuple[int, int] = (0, 24)
    compare: str | None = None
    custom: tuple | None = None

    def to_filter(self, con) -> IncidentFilter:
        flt = view_filter(con, self.period, self.categories, [self.station] if self.station else None,
                          self.hours, self.custom)
        return replace(flt, zones=[self.zone]) if self.zone else flt


@dataclass(frozen=True)
class HeatView:
    url: str
    hideout: dict
    layer: Layer
    breaks: list[float]
    cells: int


def heat_view(con, controls: Controls, bounds, zoom, label: str, res: int | None = None) -> HeatView:
    """The hex layer for the controls and viewport: its geobuf URL and its browser-side style.

    ``res`` fixes the resolution (the wall's overview) instead of following the zoom.
    """
    flt = controls.to_filter(con)
    req = HeatRequest(res or resolution_for_zoom(zoom), flt, viewport_bbox(bounds), controls.compare)
    values = heat_values(con, req)
    layer = heat_layer(req)
    breaks = heat_breaks(values, layer)
    hideout = {"breaks": breaks, "colors": list(layer.colors), "metric": layer.metric, "label": label}
    return HeatView(heat_url(req), hideout, layer, breaks, len(values["cell"]))


def heat_url(req: HeatRequest) -> str:
    """The read-API URL of a heatmap request (the browser fetches the geobuf itself)."""
    params = [("resolution", req.res), ("from", req.flt.from_ts.isoformat()), ("to", req.flt.to_ts.isoformat())]
    params += [("category", c) for c in req.flt.categories or ()]
    params += [("station", s) for s in req.flt.stations or ()]
    params += [("zone", z) for z in req.flt.zones or ()]
    if req.flt.hours:
        params.append(("hours", ",".join(map(str, req.flt.hours))))
    if req.compare:
        params.append(("compare", req.compare))
    return "/api/v1/layers/incidents.pbf?" + urlencode(params + _bbox_param(req.bbox))


def coverage_view(cameras: CameraFilter, bounds, zoom, label: str) -> HeatView:
    """The coverage layer (视频覆盖率) for the chosen cameras and viewport: fixed classes in per cent."""
    res = resolution_for_zoom(zoom)
    bbox = viewport_bbox(bounds)
    params = [("resolution", res), ("status", "online" if cameras.statuses else "all")]
    params += [("kind", k) for k in cameras.kinds or ()] + [("owner", o) for o in cameras.owners or ()]
    url = "/api/v1/layers/coverage.pbf?" + urlencode(params + _bbox_param(bbox))
    breaks = list(COVERAGE_BREAKS_PCT)
    hideout = {"breaks": breaks, "colors": list(COVERAGE.colors), "metric": COVERAGE.metric, "label": label}
    return HeatView(url, hideout, COVERAGE, breaks, -1)


def blind_view(con, controls: Controls, bounds, label: str) -> HeatView:
    """The blind-spot layer (盲区) at the ranking's resolution, coloured by priority score."""
    flt = controls.to_filter(con)
    ranked = blind_spot_table(con, flt, BLIND_RES)
    bbox = viewport_bbox(bounds)
    in_view = ranked[in_bbox(ranked["lat"].to_numpy(), ranked["lon"].to_numpy(), bbox)]
    breaks = count_breaks(in_view["score"].to_numpy())
    url = heat_url(HeatRequest(BLIND_RES, flt, bbox)).replace("/incidents.pbf?", "/blind-spots.pbf?")
    hideout = {"breaks": breaks, "colors": list(BLIND_SPOTS.colors), "metric": BLIND_SPOTS.metric, "label": label}
    return HeatView(url, hideout, BLIND_SPOTS, breaks, len(in_view))


def _bbox_param(bbox) -> list[tuple[str, str]]:
    return [("bbox", ",".join(f"{v:.5f}" for v in bbox))] if bbox else []


def still_covers(current_url: str | None, new_url: str, bounds) -> bool:
    """True when the hexagons already loaded (``current_url``) are the new request's: the same layer and
    filter, and a viewport padded around the old one that still holds the new one. Small pans then cost
    neither a count nor a download."""
    if not current_url or not bounds:
        return False
    old, new = parse_qs(urlsplit(current_url).query), parse_qs(urlsplit(new_url).query)
    old_bbox, _ = old.pop("bbox", [None])[0], new.pop("bbox", None)
    if old != new or old_bbox is None or urlsplit(current_url).path != urlsplit(new_url).path:
        return False
    west, south, east, north = (float(v) for v in old_bbox.split(","))
    (view_south, view_west), (view_north, view_east) = bounds
    return west <= view_west and east >= view_east and south <= view_south and north >= view_north


def cell_incidents(con, flt: IncidentFilter, cell: int, res: int) -> list[tuple]:
    """(id, occurred_at, category, status) of the incidents inside one hexagon, newest first."""
    return queries.run(con, "cell_incidents", cell=cell, res=res, **flt.params()).fetchall()


def cell_details(con, controls: Controls, cell: int, res: int, latest: int = 10) -> dict:
    """Counts by category, the latest incidents and all their times, inside one hexagon."""
    flt = controls.to_filter(con)
    rows = cell_incidents(con, flt, cell, res)
    by_category = Counter(r[2] for r in rows)
    return {"latest": rows[:latest], "times": [r[1] for r in rows], "filter": flt,
            "categories": sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))}


def station_options(con, allowed: list[str] | None = None) -> list[tuple[str, str]]:
    return queries.fetch(con, "station_list", stations=allowed)


def zone_options(con, station: str | None) -> list[tuple[str, str, str]]:
    """(id, name, level) of the communities/villages and grids inside a station."""
    return queries.fetch(con, "zone_list", station=station) if station else []


def hottest_cells(con, controls: Controls, res: int, top: int = 20) -> list[tuple[int, int]]:
    """The hottest cells of the whole area for the controls (planners rank, not just what is in view)."""
    return cell_counts(con, res, controls.to_filter(con))[:top]
