"""The read API (``/api/v1``): same queries as the map, so the numbers always agree.

- ``GET /api/v1/health``
- ``GET /api/v1/layers/incidents.geojson?resolution=R&from=DATE&to=DATE&category=&station=`` (+ ``hours``,
  ``compare=previous|last_year``, ``bbox=w,s,e,n``): hexagons with ``cell``, ``incidents`` (and ``baseline``,
  ``change`` when comparing); cells without incidents are omitted.
- ``GET /api/v1/layers/incidents.pbf?…``: the same as geobuf, for the map.
- ``GET /api/v1/layers/boundaries.geojson?level=station|community|grid``, ``roads.geojson``, ``places.geojson``.
"""
from __future__ import annotations

import json
from functools import lru_cache

from flask import Blueprint, Response, current_app, jsonify, request

import queries
from api.params import BadRequest, heat_request
from layers.basemap import OUTLINE_LEVELS, outlines_geojson, places_geojson, roads_geojson
from layers.heatmap import heat_geojson
from layers.hexes import to_geobuf

api = Blueprint("api", __name__, url_prefix="/api/v1")
# Basemap layers change only when the store does: cache them per store generation.
_BASEMAP_CACHE = 16


def reader():
    return current_app.config["STORE_READER"]


@api.errorhandler(BadRequest)
def bad_request(err: BadRequest):
    return jsonify(error=str(err)), 400


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
    collection = heat_geojson(reader().cursor(), heat_request(request.args))
    return Response(to_geobuf(collection), mimetype="application/x-protobuf",
                    headers={"Cache-Control": "private, max-age=60"})


@api.get("/layers/boundaries.geojson")
def boundaries():
    level = request.args.get("level", "station")
    if level not in OUTLINE_LEVELS:
        raise BadRequest(f"level must be one of {', '.join(OUTLINE_LEVELS)}")
    return _geojson_response(_cached_basemap(reader().generation, "outlines", level))


@api.get("/layers/roads.geojson")
def roads():
    return _geojson_response(_cached_basemap(reader().generation, "roads", ""))


@api.get("/layers/places.geojson")
def places():
    return _geojson_response(_cached_basemap(reader().generation, "places", ""))


def _geojson_response(text: str) -> Response:
    return Response(text, mimetype="application/geo+json", headers={"Cache-Control": "private, max-age=300"})


@lru_cache(maxsize=_BASEMAP_CACHE)
def _cached_basemap(generation: int, what: str, level: str) -> str:
    con = reader().cursor()
    collection = {"outlines": lambda: outlines_geojson(con, level), "roads": lambda: roads_geojson(con),
                  "places": lambda: places_geojson(con)}[what]()
    return json.dumps(collection, ensure_ascii=False)
