"""视频覆盖 — cameras, their coverage per hexagon, blind spots (盲区) and where the next cameras should go.

What each camera sees is computed in the pipeline (``data_pipeline/coverage.py``); here the store is asked for
the cameras a view chooses (status, kind, owner) and the incidents of its filter, always within the caller's
scope, and ``analysis`` ranks and recommends.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

import queries
from analysis.blindspots import (
    MAIN_ROAD_CLASSES,
    blind_spots,
    places_in_sight,
    road_length_in_sight,
    roads_out_of_sight,
)
from analysis.coverage import CameraSectors, sector_polygons
from analysis.placement import candidate_poses, candidate_sites, recommend_cameras
from layers.base import Layer
from layers.hexes import cell_centres, feature_collection, hexagons_geobuf, in_bbox
from queries.incidents import IncidentFilter

# Sequential red (uncovered) → green (covered), readable on light and dark maps; classes in per cent.
COVERAGE_COLORS = ("#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850")
COVERAGE_BREAKS_PCT = [10, 25, 50, 75, 90, 100]
BLIND_COLORS = ("#fcc5c0", "#fa9fb5", "#f768a1", "#dd3497", "#ae017e", "#7a0177")
COVERAGE = Layer("coverage", "layer_coverage", "legend_coverage", "coverage_cells", "coverage_pct",
                 "heatStyle", COVERAGE_COLORS)
BLIND_SPOTS = Layer("blind_spots", "layer_blind", "legend_blind", "coverage_by_category", "score",
                    "blindStyle", BLIND_COLORS)
STATUS_COLORS = {"online": "#1a9850", "offline": "#d73027", "maintenance": "#fdae61"}
# Resolution of the blind-spot ranking and the recommender's candidate areas (~0.1 km² hexagons: a block).
BLIND_RES = 9
# Blind spots the recommender looks into for sites (the highest-scored ones).
PLAN_BLIND_CELLS = 60


@dataclass(frozen=True)
class CameraFilter:
    """Which cameras count: ``statuses`` None means every camera ("if the offline ones were repaired")."""

    statuses: tuple[str, ...] | None = ("online",)
    kinds: tuple[str, ...] | None = None
    owners: tuple[str, ...] | None = None

    def params(self) -> dict:
        as_list = lambda v: list(v) if v else None  # noqa: E731
        return {"statuses": as_list(self.statuses), "kinds": as_list(self.kinds), "owners": as_list(self.owners)}


ONLINE = CameraFilter()


# -- coverage ----------------------------------------------------------------------------------------------
def coverage_values(con, res: int, cameras: CameraFilter = ONLINE) -> pd.DataFrame:
    """``cell``, ``coverage`` (0-1) of every map cell the chosen cameras see any of."""
    rows = queries.fetch(con, "coverage_cells", res=res, **cameras.params())
    return pd.DataFrame(rows, columns=["cell", "coverage"]).astype({"cell": np.int64, "coverage": float})


def coverage_geobuf(con, res: int, cameras: CameraFilter, bbox=None) -> bytes:
    values = coverage_values(con, res, cameras)
    cells = values["cell"].to_numpy()
    lat, lng = cell_centres(cells)
    keep = in_bbox(lat, lng, bbox)
    pct = np.round(values["coverage"].to_numpy()[keep] * 100).astype(np.int64)
    return hexagons_geobuf(cells[keep], {"coverage_pct": pct})


def coverage_table(con, res: int, flt: IncidentFilter, cameras: CameraFilter = ONLINE) -> pd.DataFrame:
    """Per cell with coverage or incidents: ``cell``, ``coverage``, ``incidents``, ``covered_incidents``
    (incidents whose own point an online camera sees), ``covered_any`` (any camera, online or not)."""
    counts = pd.DataFrame(queries.fetch(con, "coverage_incidents", res=res, **flt.params()),
                          columns=["cell", "incidents", "covered_incidents", "covered_any"])
    table = coverage_values(con, res, cameras).merge(counts, on="cell", how="outer")
    table = table.fillna({"coverage": 0.0, "incidents": 0, "covered_incidents": 0, "covered_any": 0})
    return table.astype({"cell": np.int64, "incidents": np.int64, "covered_incidents": np.int64,
                         "covered_any": np.int64}).sort_values("cell", kind="stable").reset_index(drop=True)


# -- blind spots -------------------------------------------------------------------------------------------
def blind_spot_table(con, flt: IncidentFilter, res: int = BLIND_RES, top: int | None = None) -> pd.DataFrame:
    """Blind spots ranked by priority (see ``analysis.blindspots``) with each cell's centre (lat, lon)."""
    def compute():
        rows = queries.fetch(con, "coverage_by_category", res=res, **flt.params())
        by_category = pd.DataFrame(rows, columns=["cell", "category", "incidents", "uncovered"])
        ranked = blind_spots(by_category, coverage_values(con, res))
        lat, lon = cell_centres(ranked["cell"].to_numpy(np.int64))
        return ranked.assign(lat=lat, lon=lon)

    ranked = queries.memo(con, ("blind_spots", res, queries.freeze(tuple(flt.params().items()))), compute)
    return ranked if top is None else ranked.head(top)


def blind_spots_geobuf(con, flt: IncidentFilter, res: int, bbox=None) -> bytes:
    ranked = blind_spot_table(con, flt, res)
    keep = in_bbox(ranked["lat"].to_numpy(), ranked["lon"].to_numpy(), bbox)
    ranked = ranked[keep]
    return hexagons_geobuf(ranked["cell"].to_numpy(np.int64),
                           {"score": np.round(ranked["score"].to_numpy()).astype(np.int64),
                            "incidents": ranked["incidents"].to_numpy(np.int64), "rank": ranked["rank"].to_numpy()})


def blind_spots_geojson(con, flt: IncidentFilter, res: int = BLIND_RES, top: int | None = None) -> dict:
    ranked = blind_spot_table(con, flt, res, top)
    props = {c: ranked[c].to_numpy() for c in ("rank", "incidents", "uncovered")}
    props |= {"score": np.round(ranked["score"].to_numpy(), 2), "coverage": np.round(ranked["coverage"], 3)}
    return feature_collection(ranked["cell"].to_numpy(np.int64), props)


# -- cameras -----------------------------------------------------------------------------------------------
def cameras_frame(con) -> pd.DataFrame:
    """The located cameras in the caller's scope."""
    rows = queries.fetch(con, "cameras_all")
    return pd.DataFrame(rows, columns=["id", "lat", "lon", "kind", "owner", "status", "azimuth_deg", "fov_deg",
                                       "range_m", "station_id"])


def sectors_of(cameras: pd.DataFrame) -> CameraSectors:
    return CameraSectors.from_frame(cameras)


# Sector outlines on the map: a point every 10° of arc is smooth at street zoom and keeps the payload small.
DRAW_ARC_STEP_DEG = 10.0
# 6 decimals ≈ 0.1 m.
DRAW_DECIMALS = 6


def cameras_geojson(con, bbox=None, sectors: bool = False) -> dict:
    """Cameras as points (kind, owner, status, colour), or as their sectors' polygons (street zoom)."""
    cameras = cameras_frame(con)
    cameras = cameras[in_bbox(cameras["lat"].to_numpy(), cameras["lon"].to_numpy(), bbox)]
    if sectors and len(cameras):
        geoms = [shapely.geometry.mapping(g) for g in _drawn(sector_polygons(sectors_of(cameras), DRAW_ARC_STEP_DEG))]
    else:
        geoms = [{"type": "Point", "coordinates": [lon, lat]} for lat, lon in zip(cameras["lat"], cameras["lon"])]
    features = [{"type": "Feature", "geometry": g,
                 "properties": {"id": r.id, "kind": r.kind, "owner": r.owner, "status": r.status,
                                "color": STATUS_COLORS.get(r.status, "#888888")}}
                for g, r in zip(geoms, cameras.itertuples())]
    return {"type": "FeatureCollection", "features": features}


def placement_geojson(cameras: pd.DataFrame) -> dict:
    """The recommended cameras' sectors, numbered in the order chosen, with each one's marginal gain."""
    if cameras.empty:
        return {"type": "FeatureCollection", "features": []}
    polygons = _drawn(sector_polygons(CameraSectors.from_frame(cameras.assign(kind="video")), DRAW_ARC_STEP_DEG))
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": shapely.geometry.mapping(g),
         "properties": {"rank": i + 1, "gain_incidents": int(gain)}}
        for i, (g, gain) in enumerate(zip(polygons, cameras["gain_incidents"]))]}


def _drawn(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, DRAW_DECIMALS))


def blind_places_geojson(con) -> dict:
    """Key places (schools, hospitals, night markets, hotels ...) no online camera sees, in the caller's scope."""
    places, seen = _places_in_sight(con)
    blind = places[~seen]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
         "properties": {"id": r.id, "name": r.name, "kind": r.kind}} for r in blind.itertuples()]}


def blind_roads_geojson(con) -> dict:
    """Main-road segments mostly out of every online camera's sight (``analysis.blindspots``)."""
    roads, lines = _main_roads(con)
    if not roads:
        return {"type": "FeatureCollection", "features": []}
    dark = roads_out_of_sight(lines, _online_sectors(con))
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": shapely.geometry.mapping(g),
         "properties": {"id": r[0], "name": r[1], "road_class": r[2]}}
        for r, g, d in zip(roads, _drawn(lines), dark) if d]}


def _online_sectors(con) -> CameraSectors | None:
    """The sectors of the online cameras in the caller's scope (None: no camera online)."""
    cameras = cameras_frame(con)
    online = cameras[cameras["status"] == "online"]
    return sectors_of(online) if len(online) else None


def _places_in_sight(con) -> tuple[pd.DataFrame, np.ndarray]:
    """The key places in the caller's scope, and whether an online camera sees each."""
    places = pd.DataFrame(queries.fetch(con, "places_all"), columns=["id", "name", "kind", "lat", "lon"])
    online = _online_sectors(con)
    return places, places_in_sight(places, online) if online is not None else np.zeros(len(places), dtype=bool)


def _main_roads(con) -> tuple[list[tuple], np.ndarray]:
    """The main-road rows (motorway … secondary) and their lines."""
    roads = [r for r in queries.fetch(con, "roads_all") if r[2] in MAIN_ROAD_CLASSES]
    return roads, shapely.from_wkb(np.array([r[3] for r in roads], dtype=object)) if roads else np.empty(0)


# -- KPIs --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoverageKpis:
    incidents: int
    incidents_covered: int
    places: int
    places_covered: int
    main_road_m: float
    main_road_covered_m: float
    cameras: int
    cameras_online: int


def coverage_kpis(con, flt: IncidentFilter) -> CoverageKpis:
    """Share of incidents in sight, key places in sight, main-road length in sight, cameras online."""
    def compute():
        counts = coverage_table(con, 7, flt)
        cameras = cameras_frame(con)
        sectors = _online_sectors(con)
        places, seen_places = _places_in_sight(con)
        _roads, lines = _main_roads(con)
        seen_m, total_m = road_length_in_sight(lines, sectors) if sectors is not None else (0.0, 0.0)
        return CoverageKpis(int(counts["incidents"].sum()), int(counts["covered_incidents"].sum()), len(places),
                            int(seen_places.sum()), total_m, seen_m, len(cameras),
                            int((cameras["status"] == "online").sum()))

    return queries.memo(con, ("coverage_kpis", queries.freeze(tuple(flt.params().items()))), compute)


# -- 布点建议: where the next cameras should go -------------------------------------------------------------
def plan_cameras(con, flt: IncidentFilter, n: int, kind: str = "video", range_m: float | None = None,
                 fov_deg: float | None = None, blind_cells: int = PLAN_BLIND_CELLS):
    """``n`` new cameras maximising the period's incidents newly in sight (``analysis.placement``).

    Candidate sites: junctions and points along roads inside the top blind spots (incident points and fine
    cell centres where a blind spot has no road); every site with 8 headings at the kind's (or the given)
    field of view and range. Returns the ``Placement`` (cameras with marginal gains, before → after).
    """
    incidents = pd.DataFrame(queries.fetch(con, "incident_positions", **flt.params()),
                             columns=["lat", "lon", "incidents"])
    blind = blind_spot_table(con, flt, BLIND_RES, top=blind_cells)
    roads = [r[3] for r in queries.fetch(con, "roads_all")]
    sites = candidate_sites(blind["cell"].to_numpy(np.int64), roads, incidents["lat"].to_numpy(),
                            incidents["lon"].to_numpy())
    poses = candidate_poses(sites, kind=kind, fov_deg=fov_deg, range_m=range_m)
    return recommend_cameras(poses, incidents["lat"].to_numpy(), incidents["lon"].to_numpy(), n,
                             existing=_online_sectors(con),
                             incident_weights=incidents["incidents"].to_numpy(np.int64))
