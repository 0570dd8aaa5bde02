"""Anchors of incidents: the points each spatial group of incidents clusters around.

Groups (see :data:`incident_profiles.GROUPS`): urban streets and key places inside the
ring road, the night markets, the scenic area (temples, gates, bus stops, the hotel belt),
points along main roads (traffic), town seats, and village seats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from . import incident_profiles as prof
from ._common import StackedCum, lonlat_to_xy, random_points_in, substream, xy_to_lonlat
from .gazetteer import BAOGUO_TEMPLE
from .geography import Geography, load_county_outline_lonlat
from .roads import RoadNetwork, ring_road_area
from .terrain import mountain_index

URBAN_STREET_ANCHORS = 4_000
URBAN_BLOCK_ANCHORS = 2_500  # points inside blocks: homes and shops between the streets
TRAFFIC_ANCHORS = 4_000
URBAN_PLACE_WEIGHT = 15.0  # a school/mall/hospital gate draws as much as 15 street points
TRAFFIC_CLASS_WEIGHT = {"motorway": 1.5, "trunk": 3.0, "primary": 3.0, "secondary": 2.0,
                        "tertiary": 1.0, "residential": 0.3, "track": 0.05}
NIGHT_MARKET_WEIGHT = {"名山路夜市": 0.45, "佛光路美食街": 0.35, "报国寺小吃街": 0.20}
SCENIC_SPOT_WEIGHT = {"报国寺": 10, "峨眉山景区大门（游客中心）": 10, "峨眉山旅游客运中心": 8, "金顶": 8,
                      "雷洞坪车站": 5, "五显岗停车场": 4, "清音阁": 4, "万年寺": 4, "伏虎寺": 3,
                      "天下名山牌坊": 3, "金顶索道下站": 3, "洗象池": 2}
SCENIC_HOTEL_RADIUS_M = 2_500.0  # hotels this close to 报国寺 (or in the mountain) are scenic


@dataclass(frozen=True)
class AnchorTable:
    """Anchors of all groups, concatenated in group order, with per-group draw weights."""

    lon: np.ndarray
    lat: np.ndarray
    sigma_m: np.ndarray  # spread around each anchor
    weights: StackedCum  # table k = the anchors of group k

    def draw(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Index (into ``lon``/``lat``) of an anchor of each incident's group."""
        return self.weights.draw_flat(group, u)


def build_anchors(geo: Geography, net: RoadNetwork, places: pd.DataFrame, seed: int) -> AnchorTable:
    """Anchors for every group in :data:`incident_profiles.GROUPS` order.

    Anchors outside the county outline get zero weight, so every drawn anchor is inside.
    """
    rng = substream(seed, "incident-anchors")
    makers = {"urban": _urban_anchors, "night_market": _night_market_anchors, "scenic": _scenic_anchors,
              "traffic": _traffic_anchors, "town": _town_anchors, "village": _village_anchors}
    outline = load_county_outline_lonlat()
    shapely.prepare(outline)
    lons, lats, sigmas, weights = [], [], [], []
    for group in prof.GROUPS:
        lon, lat, w = makers[group](geo, net, places, rng)
        inside = shapely.contains_xy(outline, lon, lat)
        lons.append(lon)
        lats.append(lat)
        sigmas.append(np.full(len(lon), prof.GROUP_SIGMA_M[group]))
        weights.append(np.where(inside, w, 0.0))
    return AnchorTable(np.concatenate(lons), np.concatenate(lats), np.concatenate(sigmas),
                       StackedCum.from_weights(weights))


def _lonlat(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = xy_to_lonlat(xy[:, 0], xy[:, 1])
    return np.asarray(lon), np.asarray(lat)


def _points_on_roads(net: RoadNetwork, weights: np.ndarray, count: int, rng) -> np.ndarray:
    seg = rng.choice(len(weights), size=count, p=weights / weights.sum())
    pts = shapely.line_interpolate_point(net.geometry[seg], rng.random(count), normalized=True)
    return shapely.get_coordinates(pts)


def _urban_anchors(geo, net, places, rng):
    town = ring_road_area(geo.core)
    mid = shapely.get_coordinates(shapely.line_interpolate_point(net.geometry, 0.5, normalized=True))
    inside = shapely.contains_xy(town, mid[:, 0], mid[:, 1])
    street_w = net.length_m * inside * np.where(net.road_class == "residential", 1.0, 1.5)
    streets = _points_on_roads(net, street_w, URBAN_STREET_ANCHORS, rng)
    blocks = random_points_in(geo.core, URBAN_BLOCK_ANCHORS, rng)
    lon, lat = _lonlat(np.vstack([streets, blocks]))
    kinds = ["school", "hospital", "mall", "hotel", "transport_hub", "government", "other"]
    px = places[places["kind"].isin(kinds)]
    x, y = lonlat_to_xy(px["lon"].to_numpy(), px["lat"].to_numpy())
    urban_place = shapely.contains_xy(town, x, y)
    plon, plat = px["lon"].to_numpy()[urban_place], px["lat"].to_numpy()[urban_place]
    return (np.concatenate([lon, plon]), np.concatenate([lat, plat]),
            np.concatenate([np.ones(len(lon)), np.full(len(plon), URBAN_PLACE_WEIGHT)]))


def _night_market_anchors(geo, net, places, rng):
    rows = places[places["kind"] == "night_market"]
    w = rows["name"].map(NIGHT_MARKET_WEIGHT).fillna(0.1).to_numpy(float)
    return rows["lon"].to_numpy(), rows["lat"].to_numpy(), w


def _scenic_anchors(geo, net, places, rng):
    spots = places[places["name"].isin(list(SCENIC_SPOT_WEIGHT))]
    hotels = places[places["kind"] == "hotel"]
    hx, hy = lonlat_to_xy(hotels["lon"].to_numpy(), hotels["lat"].to_numpy())
    bx, by = lonlat_to_xy(BAOGUO_TEMPLE[1], BAOGUO_TEMPLE[0])
    scenic_hotel = (np.hypot(hx - bx, hy - by) < SCENIC_HOTEL_RADIUS_M) | (mountain_index(hx, hy) > 0.5)
    hotels = hotels[scenic_hotel]
    lon = np.concatenate([spots["lon"].to_numpy(), hotels["lon"].to_numpy()])
    lat = np.concatenate([spots["lat"].to_numpy(), hotels["lat"].to_numpy()])
    w = np.concatenate([spots["name"].map(SCENIC_SPOT_WEIGHT).to_numpy(float), np.ones(len(hotels))])
    return lon, lat, w


def _traffic_anchors(geo, net, places, rng):
    mid = shapely.get_coordinates(shapely.line_interpolate_point(net.geometry, 0.5, normalized=True))
    cls = np.array([TRAFFIC_CLASS_WEIGHT[c] for c in net.road_class])
    w = net.length_m * cls * (1.0 - 0.6 * mountain_index(mid[:, 0], mid[:, 1]))
    return (*_lonlat(_points_on_roads(net, w, TRAFFIC_ANCHORS, rng)), np.ones(TRAFFIC_ANCHORS))


def _town_anchors(geo, net, places, rng):
    xy = np.array(list(geo.town_xy.values()))
    return (*_lonlat(xy), 1.0 - 0.6 * mountain_index(xy[:, 0], xy[:, 1]))


def _village_anchors(geo, net, places, rng):
    xy = np.array(list(geo.village_centre_xy.values()))
    return (*_lonlat(xy), 1.0 - 0.5 * mountain_index(xy[:, 0], xy[:, 1]))
