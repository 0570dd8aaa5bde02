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
import json
from functools import lru_cache

from flask import Blueprint, Response, current_app, jsonify, request

import queries
from api.params import BadRequest, heat_request
from layers.basemap import OUTLINE_LEVELS, labels_geojson, outlines_geojson, places_geojson, roads_geojson
from layers.heatmap import heat_geobuf, heat_geojson

api = Blueprint("api", __name__, url_prefix="/api/v1")
# Basemap layers change only when the store does: cache them per store generation.
_BASEMAP_CACHE = 16
# Flask-Compress (app.py) gzips only the mimetypes on its list, which has neither GeoJSON nor geobuf: the API
# compresses its own payloads. Below _GZIP_MIN_BYTES the gzip header costs more than it saves.
_GZIP_MIMETYPES = frozenset({"application/geo+json", "application/x-protobuf"})
_GZIP_MIN_BYTES = 500
_GZIP_LEVEL = 6


def reader():
    return current_app.config["STORE_READER"]


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
    con = reader().cursor()
    latest, incidents = queries.run(con, "latest_incident").fetchone()
    return jsonify(status="ok", incidents=incidents, latest_incident=latest.isoformat() if latest else None,
                   store_generation=reader().generation)


@api.get("/layers/incidents.geojson")
def incidents_geojson():
    collection = heat_geojson(reader().cursor(), heat_request(request.args))
    return Response(json.dumps(collection, ensure_ascii=False), mimetype="application/geo+json")


@api.get("/layers/incidents.pbf")
def incidents_geobuf():
    # Revalidated on every use (a new ingest must show at the next refresh); unchanged while the store is.
    req = heat_request(request.args)
    etag = reader().generation      # read before the body: a swap in between only costs a re-send
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(heat_geobuf(reader().cursor(), req), mimetype="application/x-protobuf")
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@api.get("/layers/boundaries.geojson")
def boundaries():
    return _geojson_response(_cached_basemap(reader().generation, "outlines", _level()))


@api.get("/layers/labels.geojson")
def labels():
    return _geojson_response(_cached_basemap(reader().generation, "labels", _level()))


def _level() -> str:
    level = request.args.get("level", "station")
    if level not in OUTLINE_LEVELS:
        raise BadRequest(f"level must be one of {', '.join(OUTLINE_LEVELS)}")
    return level


@api.get("/layers/roads.geojson")
def roads():
    return _geojson_response(_cached_basemap(reader().generation, "roads", ""))


@api.get("/layers/places.geojson")
def places():
    return _geojson_response(_cached_basemap(reader().generation, "places", ""))


def _geojson_response(text: str) -> Response:
    return Response(text, mimetype="application/geo+json", headers={"Cache-Control": "private, max-age=300"})


@lru_cache(maxsize=_BASEMAP_CACHE)
def _cached_basemap(generation: str, what: str, level: str) -> str:
    con = reader().cursor()
    collection = {"outlines": lambda: outlines_geojson(con, level), "roads": lambda: roads_geojson(con),
                  "places": lambda: places_geojson(con), "labels": lambda: labels_geojson(con, level)}[what]()
    return json.dumps(collection, ensure_ascii=False)
