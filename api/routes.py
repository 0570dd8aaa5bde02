"""The read API (``/api/v1``): same queries as the map, so the numbers always agree.

- ``GET /api/v1/health``
- ``GET /api/v1/layers/incidents.geojson?resolution=R&from=DATE&to=DATE&category=&station=`` (+ ``zone``, ``hours``,
  ``compare=previous|last_year``, ``bbox=w,s,e,n``): hexagons with ``cell``, ``incidents`` (and ``baseline``,
  ``change`` when comparing); cells without incidents are omitted.
- ``GET /api/v1/layers/incidents.pbf?…``: the same as geobuf, for the map.
- ``GET /api/v1/layers/boundaries.geojson?level=station|community|grid``, ``roads.geojson``, ``places.geojson``.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from datetime import timedelta

import numpy as np
from flask import Blueprint, Response, current_app, jsonify, request

import queries
from analysis.rings import COVER_DISTANCE_M
from api.params import (
    BadRequest,
    bbox,
    camera_filter,
    coordinate,
    duty_mode,
    heat_request,
    incident_filter,
    map_resolution,
    moment,
    positive_number,
    whole_number,
)
from auth.web import audit, current_principal
from auth.web import scoped_store as store
from data_pipeline.export import (
    SHARE_MIN_COUNT,
    blind_spots_csv,
    cells_csv,
    coverage_csv,
    response_times_csv,
    ring_leaks_csv,
)
from data_pipeline.kinds import CAMERA_KINDS
from layers.basemap import OUTLINE_LEVELS, labels_geojson, outlines_geojson, places_geojson, roads_geojson
from layers.coverage import (
    BLIND_RES,
    blind_places_geojson,
    blind_roads_geojson,
    blind_spot_table,
    blind_spots_geobuf,
    blind_spots_geojson,
    cameras_geojson,
    coverage_geobuf,
    coverage_table,
    plan_cameras,
)
from layers.heatmap import heat_geobuf, heat_geojson
from layers.patrols import positions_geojson, presence_geobuf, reach_geobuf, response_times, tracks_geojson
from layers.rings import interception, ring_analysis, rings, rings_geojson
from queries.incidents import cell_counts

api = Blueprint("api", __name__, url_prefix="/api/v1")
# Tracks are drawn for a day or two: a longer window is a heavy answer and an unreadable map.
MAX_TRACK_WINDOW = timedelta(days=2)
# Flask-Compress (app.py) gzips only the mimetypes on its list, which has neither GeoJSON nor geobuf: the API
# compresses its own payloads. Below _GZIP_MIN_BYTES the gzip header costs more than it saves.
_GZIP_MIMETYPES = frozenset({"application/geo+json", "application/x-protobuf"})
_GZIP_MIN_BYTES = 500
_GZIP_LEVEL = 6


def reader():
    return current_app.config["STORE_READER"]


def scope_tag(stations: tuple[str, ...] | None) -> str:
    return "all" if stations is None else hashlib.sha256("\x1f".join(stations).encode()).hexdigest()[:16]


@api.errorhandler(BadRequest)
def bad_request(err: BadRequest):
    return jsonify(error=str(err)), 400


@api.after_request
def gzip_payload(response: Response) -> Response:
    """Gzip a GeoJSON or geobuf body when the client accepts gzip."""
    if response.mimetype not in _GZIP_MIMETYPES:
        return response
    response.vary.add("Accept-Encoding")
    if (request.accept_encodings["gzip"] <= 0 or response.status_code != 200 or response.direct_passthrough
            or "Content-Encoding" in response.headers or (response.content_length or 0) < _GZIP_MIN_BYTES):
        return response
    response.set_data(gzip.compress(response.get_data(), _GZIP_LEVEL))
    response.headers["Content-Encoding"] = "gzip"
    return response


@api.get("/health")
def health():
    """Liveness for anyone; the incident figures only for a caller who may read them (their scope's)."""
    body = {"status": "ok", "store_generation": reader().generation}
    principal = current_principal()
    if principal is not None and principal.stations != ():
        latest, incidents = queries.run(store(), "latest_incident").fetchone()
        body |= {"incidents": incidents, "latest_incident": latest.isoformat() if latest else None}
    return jsonify(body)


@api.get("/layers/incidents.geojson")
def incidents_geojson():
    collection = heat_geojson(store(), heat_request(request.args))
    return Response(json.dumps(collection, ensure_ascii=False), mimetype="application/geo+json")


@api.get("/layers/incidents.pbf")
def incidents_geobuf():
    req = heat_request(request.args)
    return _revalidated(lambda con: heat_geobuf(con, req), "application/x-protobuf")


@api.get("/exports/cells.csv")
def export_cells():
    """Incidents per cell as CSV, like ``export cells``; ``suppress=1`` shows cells with 1-2 incidents as "<3"
    (for sharing outside the bureau). Audited."""
    req = heat_request(request.args)
    suppress = request.args.get("suppress", "0") in ("1", "true", "yes")
    text = cells_csv(cell_counts(store(), req.res, req.flt), suppress_below=SHARE_MIN_COUNT if suppress else None)
    audit("export", "ok", f"cells res={req.res} {request.query_string.decode()[:300]}")
    return _csv_download(text, f"cells_r{req.res}.csv")


@api.get("/layers/coverage.pbf")
def coverage_geobuf_layer():
    """Covered share per hexagon (``coverage_pct`` 0-100) by the chosen cameras: status=online|all, kind, owner."""
    res, cameras, box = map_resolution(request.args), camera_filter(request.args), bbox(request.args)
    return _revalidated(lambda con: coverage_geobuf(con, res, cameras, box), "application/x-protobuf")


@api.get("/layers/blind-spots.pbf")
def blind_spots_geobuf_layer():
    """Blind-spot hexagons (``score``, ``incidents``, ``rank``) for the incident filter."""
    flt, res, box = incident_filter(request.args), map_resolution(request.args, BLIND_RES), bbox(request.args)
    return _revalidated(lambda con: blind_spots_geobuf(con, flt, res, box), "application/x-protobuf")


@api.get("/layers/cameras.geojson")
def cameras_layer():
    """Cameras (kind, owner, status) as points, or with ``sectors=1`` as their sectors' polygons."""
    box, sectors = bbox(request.args), request.args.get("sectors") == "1"
    return _revalidated(lambda con: json.dumps(cameras_geojson(con, box, sectors), ensure_ascii=False),
                        "application/geo+json")


@api.get("/layers/blind-places.geojson")
def blind_places_layer():
    """Key places no online camera sees."""
    return _revalidated(lambda con: queries.memo(con, ("blind_places",), lambda: json.dumps(
        blind_places_geojson(con), ensure_ascii=False)), "application/geo+json")


@api.get("/layers/blind-roads.geojson")
def blind_roads_layer():
    """Main-road segments mostly out of every online camera's sight."""
    return _revalidated(lambda con: queries.memo(con, ("blind_roads",), lambda: json.dumps(
        blind_roads_geojson(con), ensure_ascii=False)), "application/geo+json")


@api.get("/exports/coverage.csv")
def export_coverage():
    """Like ``export coverage``: cell, coverage, incidents, covered_incidents. Audited."""
    res, flt = map_resolution(request.args), incident_filter(request.args)
    table = coverage_table(store(), res, flt, camera_filter(request.args))
    audit("export", "ok", f"coverage res={res} {request.query_string.decode()[:300]}")
    return _csv_download(coverage_csv(table), f"coverage_r{res}.csv")


@api.get("/exports/blind-spots.csv")
@api.get("/exports/blind-spots.geojson")
def export_blind_spots():
    """Blind spots ranked (``top=K``), as CSV like ``export blind-spots`` or as GeoJSON hexagons. Audited."""
    flt, res = incident_filter(request.args), map_resolution(request.args, BLIND_RES)
    top = whole_number(request.args, "top", None, 1, 100_000)
    audit("export", "ok", f"blind-spots res={res} {request.query_string.decode()[:300]}")
    if request.path.endswith(".geojson"):
        return Response(json.dumps(blind_spots_geojson(store(), flt, res, top), ensure_ascii=False),
                        mimetype="application/geo+json",
                        headers={"Content-Disposition": f'attachment; filename="blind_spots_r{res}.geojson"'})
    return _csv_download(blind_spots_csv(blind_spot_table(store(), flt, res, top)), f"blind_spots_r{res}.csv")


@api.get("/plan/cameras")
def plan_cameras_route():
    """布点建议: ``n`` new cameras (``kind``, ``range_m``, ``fov_deg``) for the incident filter, as JSON."""
    n = whole_number(request.args, "n", 10, 1, 200)
    flt, kind = incident_filter(request.args), request.args.get("kind", "video")
    if kind not in CAMERA_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(CAMERA_KINDS)}")
    placement = plan_cameras(store(), flt, n, kind, positive_number(request.args, "range_m"),
                             positive_number(request.args, "fov_deg"))
    cameras = placement.cameras.drop(columns="site").replace({np.nan: None}).to_dict("records")
    return jsonify(placement.summary() | {"cameras": cameras})


@api.get("/layers/rings.geojson")
def rings_layer():
    """Ring lines, checkpoints (kind, duty, staffed in ``duty``) and entries (covered or leak)."""
    mode, lang = duty_mode(request.args), "en" if request.args.get("lang") == "en" else "zh"
    return _revalidated(lambda con: queries.memo(con, ("rings_geojson", mode, lang), lambda: json.dumps(
        rings_geojson(con, mode, lang), ensure_ascii=False)), "application/geo+json")


@api.get("/exports/ring-leaks.csv")
def export_ring_leaks():
    """Like ``export ring-leaks``: uncovered entries ranked (``duty``, ``ring``, ``distance_m``). Audited."""
    mode = duty_mode(request.args)
    distance_m = positive_number(request.args, "distance_m") or COVER_DISTANCE_M
    con = store()
    ring = request.args.get("ring") or None
    if ring is not None and ring not in rings(con):
        raise BadRequest(f"ring must be one of {', '.join(rings(con))}")
    analysis = ring_analysis(con, mode, distance_m, ring)
    audit("export", "ok", f"ring-leaks {request.query_string.decode()[:300]}")
    return _csv_download(ring_leaks_csv(analysis.leaks), f"ring_leaks_{mode}.csv")


@api.get("/plan/intercept")
def intercept_route():
    """拦截: from an incident at ``lat``, ``lon`` in ``duty`` mode, the entries a car reaches before they close."""
    lat, lon = coordinate(request.args, "lat", 90), coordinate(request.args, "lon", 180)
    view = interception(store(), lat, lon, duty_mode(request.args))
    return jsonify(reachable=view.reachable, entries=view.entries, leaks_on_routes=view.leaks_on_routes,
                   nearest_minutes=None if view.nearest_minutes != view.nearest_minutes else view.nearest_minutes,
                   geojson=view.geojson)


@api.get("/layers/presence.pbf")
def presence_layer():
    """Patrol minutes per hexagon for the window (``from``, ``to``), band (``hours``) and ``station``."""
    res, flt, box = map_resolution(request.args), incident_filter(request.args), bbox(request.args)
    return _revalidated(lambda con: presence_geobuf(con, res, flt, box), "application/x-protobuf")


@api.get("/layers/reach.pbf")
def reach_layer():
    """1-3-5 minute reach (``band``) at the moment ``at`` from the units and manned posts."""
    res, at, box = map_resolution(request.args), moment(request.args), bbox(request.args)
    return _revalidated(lambda con: reach_geobuf(con, at, res, box), "application/x-protobuf")


@api.get("/layers/patrol-tracks.geojson")
def patrol_tracks_layer():
    """Each patrol unit's tracks in [from, to) (at most two days), simplified, coloured by unit kind."""
    flt = incident_filter(request.args)
    if flt.to_ts - flt.from_ts > MAX_TRACK_WINDOW:
        raise BadRequest("from/to: tracks are drawn for at most two days at a time")
    return _revalidated(lambda con: json.dumps(tracks_geojson(con, flt.from_ts, flt.to_ts)), "application/geo+json")


@api.get("/layers/patrol-positions.geojson")
def patrol_positions_layer():
    """Every unit's position at ``at`` and its trail of the last minutes (the playback)."""
    at = moment(request.args)
    return _revalidated(lambda con: json.dumps(positions_geojson(con, at)), "application/geo+json")


@api.get("/exports/response-times.csv")
def export_response_times():
    """Like ``export response-times``: per station or category (``by``). Audited."""
    by = request.args.get("by", "station")
    if by not in ("station", "category"):
        raise BadRequest("by must be station or category")
    table = response_times(store(), by, incident_filter(request.args))
    audit("export", "ok", f"response-times {request.query_string.decode()[:300]}")
    return _csv_download(response_times_csv(table), f"response_times_{by}.csv")


def _csv_download(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@api.get("/layers/boundaries.geojson")
def boundaries():
    return _basemap_response("outlines", _level())


@api.get("/layers/labels.geojson")
def labels():
    return _basemap_response("labels", _level())


def _level() -> str:
    level = request.args.get("level", "station")
    if level not in OUTLINE_LEVELS:
        raise BadRequest(f"level must be one of {', '.join(OUTLINE_LEVELS)}")
    return level


@api.get("/layers/roads.geojson")
def roads():
    return _basemap_response("roads", "")


@api.get("/layers/places.geojson")
def places():
    return _basemap_response("places", "")


_BASEMAP = {"outlines": outlines_geojson, "labels": labels_geojson,
            "roads": lambda con, _level: roads_geojson(con), "places": lambda con, _level: places_geojson(con)}


def _basemap_response(what: str, level: str) -> Response:
    """A basemap layer, built once per store snapshot and scope."""
    return _revalidated(lambda con: queries.memo(con, ("basemap", what, level), lambda: json.dumps(
        _BASEMAP[what](con, level), ensure_ascii=False)), "application/geo+json")


def _revalidated(body, mimetype: str) -> Response:
    """``body(con)`` with an ETag of the store generation and the caller's scope, revalidated on every use.

    A new ingest must show at the next refresh, and a browser shared by two users must not revalidate one
    user's layer for the other. The generation is read before the body: a swap in between costs a re-send.
    """
    etag = f"{reader().generation}-{scope_tag(current_principal().stations)}"
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(body(store()), mimetype=mimetype)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
