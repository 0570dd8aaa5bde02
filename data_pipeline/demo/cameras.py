"""Cameras (天网 + 雪亮 channels): where they are, which way they look, and their state.

Counts follow the seeds for Emeishan: 3,102 HD video channels of which exactly 40 are face
capture and 35 vehicle checkpoints; about 600 social cameras at schools, hospitals, malls
and hotels are connected.  Police video clusters at urban junctions and along main roads,
so villages and the mountain are thin: the blind spots the bureau complains about.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from ._common import bearing_deg, largest_remainder, latlon_to_xy, substream, xy_to_lonlat
from .checkpoints import Checkpoint
from .geography import Geography
from .roads import RoadNetwork, ring_road_area
from .terrain import mountain_index

TOTAL_CAMERAS = 3_102  # the seeds: 3,102 HD video channels (天网 + 雪亮)
FACE_CAMERAS = 40  # the seeds: 40 face-recognition channels
VEHICLE_CAMERAS = 35  # the seeds: 35 vehicle checkpoints (车辆卡口)
SOCIAL_CAMERAS = 600  # social resources connected (schools, hospitals, malls, hotels)
STRUCTURED_CAMERAS = 160  # structured-video channels on arterials and town entries
OTHER_POLICE_CAMERAS = 30  # thermal / panoramic / test channels

DOME_SHARE = 0.25  # share of PTZ domes (360°) among ordinary video cameras
JUNCTION_CAMERA_SHARE = 0.35  # share of police video mounted at urban junctions
# (fov_deg low, fov_deg high, range_m low, range_m high) for fixed cameras of each kind.
OPTICS = {"video": (60.0, 90.0, 80.0, 150.0), "face": (50.0, 60.0, 40.0, 45.0),
          "vehicle": (50.0, 55.0, 60.0, 70.0), "structured": (60.0, 80.0, 80.0, 120.0),
          "other": (70.0, 90.0, 40.0, 60.0)}
DOME_RANGE_M = (60.0, 100.0)
AZIMUTH_NOISE_DEG = 12.0
STREET_AXIS_OFFSET_DEG = 55.0  # urban streets run along/across the 55° core axis (roads.py)

# Density weights for police video along roads.
CLASS_WEIGHT = {"motorway": 0.2, "trunk": 3.0, "primary": 3.0, "secondary": 2.0, "tertiary": 1.0,
                "residential": 1.5, "track": 0.1}
URBAN_WEIGHT = 14.0  # inside the ring road
TOWN_WEIGHT = 4.0  # within TOWN_RADIUS_M of a town seat
TOWN_RADIUS_M = 800.0
MOUNTAIN_DAMPING = 0.9  # weight falls by 90 % on the high mountain

# Face cameras per key place (name fragment -> count); the rest go to urban-ring stations.
FACE_SITES = (("峨眉山站", 4), ("峨眉山客运中心", 3), ("峨眉山旅游客运中心", 3),
              ("峨眉山景区大门", 3), ("报国寺", 2), ("金顶", 2), ("雷洞坪车站", 1),
              ("名山路夜市", 2), ("佛光路美食街", 2), ("报国寺小吃街", 2), ("名山商业广场", 2),
              ("峨眉山市人民医院", 2), ("峨眉山市人民政府", 2), ("峨眉山国际商贸城", 1),
              ("峨眉第一中学", 1))
SOCIAL_PER_KIND = {"school": 6.0, "hospital": 6.0, "mall": 12.0, "hotel": 3.0, "other": 2.0}

# 雪亮工程 put a camera or two at most village seats (entrances, squares); mountain villages
# got fewer.
VILLAGE_CAMERAS_MEAN = 1.4

OFFLINE_URBAN = 0.04  # poorly maintained rural cameras fail more often (the Wudu report)
OFFLINE_RURAL = 0.12
MAINTENANCE_SHARE = 0.035

FIRST_INSTALL_YEAR = 2014  # 天网 started before 雪亮工程 (2016-2020)
SOCIAL_FIRST_INSTALL_YEAR = 2018  # social cameras were connected from 2018 on
XUELIANG_PEAK = (2017, 2020)  # most channels date from the 雪亮工程 build-out


def _optics(kind: np.ndarray, dome: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = len(kind)
    fov = np.empty(n)
    rng_m = np.empty(n)
    for k, (f0, f1, r0, r1) in OPTICS.items():
        m = kind == k
        fov[m] = rng.uniform(f0, f1, m.sum())
        rng_m[m] = rng.uniform(r0, r1, m.sum())
    fov[dome] = 360.0
    rng_m[dome] = rng.uniform(*DOME_RANGE_M, dome.sum())
    return np.round(fov), np.round(rng_m)


def sample_along_roads(net: RoadNetwork, weights: np.ndarray, count: int,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points along segments drawn by ``weights``; returns metric xy and the road bearing there."""
    seg = rng.choice(len(weights), size=count, p=weights / weights.sum())
    frac = rng.uniform(0.05, 0.95, count)
    pts = shapely.line_interpolate_point(net.geometry[seg], frac, normalized=True)
    ahead = shapely.line_interpolate_point(net.geometry[seg], np.minimum(frac + 0.02, 1.0), normalized=True)
    xy = shapely.get_coordinates(pts)
    d = shapely.get_coordinates(ahead) - xy
    return xy, bearing_deg(d[:, 0], d[:, 1])


def police_video_weights(geo: Geography, net: RoadNetwork) -> np.ndarray:
    """Weight of each segment for police video: length x class x urban/town x terrain."""
    mid = shapely.get_coordinates(shapely.line_interpolate_point(net.geometry, 0.5, normalized=True))
    town = ring_road_area(geo.core).buffer(50.0)
    urban = shapely.contains_xy(town, mid[:, 0], mid[:, 1])
    seats = np.array(list(geo.town_xy.values()))
    near_town = (np.hypot(mid[:, None, 0] - seats[None, :, 0], mid[:, None, 1] - seats[None, :, 1])
                 < TOWN_RADIUS_M).any(axis=1)
    place = np.where(urban, URBAN_WEIGHT, np.where(near_town, TOWN_WEIGHT, 1.0))
    terrain = 1.0 - MOUNTAIN_DAMPING * mountain_index(mid[:, 0], mid[:, 1])
    cls = np.array([CLASS_WEIGHT[c] for c in net.road_class])
    return net.length_m * cls * place * terrain


def junction_cameras(geo: Geography, net: RoadNetwork, count: int, rng: np.random.Generator):
    """Cameras at urban junctions (degree >= 3), each looking down one of the arms."""
    degree = np.bincount(np.concatenate([net.u, net.v]), minlength=len(net.node_xy))
    town = ring_road_area(geo.core)
    nodes = np.where((degree >= 3) & shapely.contains_xy(town, net.node_xy[:, 0], net.node_xy[:, 1]))[0]
    picks = nodes[rng.integers(0, len(nodes), count)]
    xy = net.node_xy[picks] + rng.normal(0.0, 4.0, (count, 2))
    azimuth = rng.choice([0.0, 90.0, 180.0, 270.0], count) + STREET_AXIS_OFFSET_DEG
    return xy, azimuth % 360.0


def village_cameras(geo: Geography, rng: np.random.Generator):
    """Zero to a few cameras at each village seat (fewer in the mountains)."""
    seats = np.array(list(geo.village_centre_xy.values()))
    mean = VILLAGE_CAMERAS_MEAN * (1.0 - 0.7 * mountain_index(seats[:, 0], seats[:, 1]))
    counts = rng.poisson(mean)
    base = np.repeat(seats, counts, axis=0)
    xy = base + rng.normal(0.0, 40.0, base.shape)
    return xy, rng.uniform(0.0, 360.0, len(xy))


def _place_xy(places: pd.DataFrame, fragment: str) -> np.ndarray:
    row = places[places["name"].str.contains(fragment, regex=False)].iloc[0]
    return np.array(latlon_to_xy(row["lat"], row["lon"]))


def face_cameras(places: pd.DataFrame, checkpoints: list[Checkpoint], rng: np.random.Generator):
    """40 face-capture cameras at hubs, gates, night markets, and urban-ring stations."""
    xy, az = [], []
    for fragment, n in FACE_SITES:
        target = _place_xy(places, fragment)
        for _ in range(n):
            angle = rng.uniform(0.0, 2 * np.pi)
            cam = target + 20.0 * np.array([np.sin(angle), np.cos(angle)])
            xy.append(cam)
            az.append(float(bearing_deg(*(target - cam))))
    stations = [c for c in checkpoints if c.kind == "station"]
    k = 0
    while len(xy) < FACE_CAMERAS:
        c = stations[k % len(stations)].crossing
        xy.append(np.array(c.xy) + rng.normal(0.0, 5.0, 2))
        az.append((c.bearing_deg + 180.0 * (k // len(stations) % 2)) % 360.0)
        k += 1
    return np.array(xy[:FACE_CAMERAS]), np.array(az[:FACE_CAMERAS])


def vehicle_cameras(checkpoints: list[Checkpoint], rng: np.random.Generator):
    """35 plate-recognition cameras: both directions at county-ring 卡口 and urban-ring 站, then 岗."""
    order = ([c for c in checkpoints if c.kind == "vehicle"] + [c for c in checkpoints if c.kind == "station"]
             + [c for c in checkpoints if c.kind == "post"])
    xy, az = [], []
    for direction in (0.0, 180.0, 0.0, 180.0):
        for c in order:
            if len(xy) == VEHICLE_CAMERAS:
                break
            xy.append(np.array(c.crossing.xy) + rng.normal(0.0, 6.0, 2))
            az.append((c.crossing.bearing_deg + direction) % 360.0)
    return np.array(xy), np.array(az)


def social_cameras(places: pd.DataFrame, rng: np.random.Generator):
    """600 cameras owned by schools, hospitals, malls and hotels, pointed at their entrance."""
    eligible = places[places["kind"].isin(list(SOCIAL_PER_KIND))]
    counts = largest_remainder(eligible["kind"].map(SOCIAL_PER_KIND).to_numpy(), SOCIAL_CAMERAS)
    centres = np.array([latlon_to_xy(a, o) for a, o in zip(eligible["lat"], eligible["lon"])])
    base = np.repeat(centres, counts, axis=0)
    angle = rng.uniform(0.0, 2 * np.pi, len(base))
    dist = rng.uniform(10.0, 60.0, len(base))
    xy = base + np.column_stack([np.sin(angle), np.cos(angle)]) * dist[:, None]
    return xy, bearing_deg(*(base - xy).T)


def install_dates(n: int, anchor: dt.date, rng: np.random.Generator, first_year: int) -> np.ndarray:
    """Installation dates, most of them in the 雪亮工程 years, none after the anchor day."""
    years = np.arange(first_year, anchor.year + 1)
    weight = np.where((years >= XUELIANG_PEAK[0]) & (years <= XUELIANG_PEAK[1]), 3.0, 1.0)
    year = rng.choice(years, n, p=weight / weight.sum())
    start = np.array([dt.date(y, 1, 1).toordinal() for y in year])
    last = anchor.toordinal()
    day = np.minimum(start + rng.integers(0, 365, n), last)
    return np.array([dt.date.fromordinal(int(d)) for d in day], dtype=object)


def camera_status(xy: np.ndarray, geo: Geography, rng: np.random.Generator) -> np.ndarray:
    """online / offline / maintenance, with rural cameras failing more often."""
    urban = shapely.contains_xy(ring_road_area(geo.core).buffer(500.0), xy[:, 0], xy[:, 1])
    p_off = np.where(urban, OFFLINE_URBAN, OFFLINE_RURAL)
    u = rng.random(len(xy))
    return np.where(u < p_off, "offline", np.where(u < p_off + MAINTENANCE_SHARE, "maintenance", "online"))


def build_cameras(geo: Geography, net: RoadNetwork, places: pd.DataFrame,
                  checkpoints: list[Checkpoint], seed: int, anchor: dt.date) -> pd.DataFrame:
    """Build the camera inventory (count independent of the incident scale).

    Parameters
    ----------
    geo, net, places, checkpoints
        The scenario parts the cameras are mounted on.
    seed : int
        Scenario seed.
    anchor : datetime.date
        Last day of the scenario; no camera is installed after it.

    Returns
    -------
    pandas.DataFrame
        ``id, lat, lon, kind, owner, azimuth_deg (NaN = 360° dome), fov_deg, range_m,
        status, installed_at``.
    """
    rng = substream(seed, "cameras")
    parts = _camera_parts(geo, net, places, checkpoints, rng)
    xy = np.concatenate([p[0] for p in parts])
    azimuth = np.concatenate([p[1] for p in parts]) + rng.normal(0.0, AZIMUTH_NOISE_DEG, len(xy))
    kind = np.concatenate([[p[2]] * len(p[0]) for p in parts])
    owner = np.concatenate([[p[3]] * len(p[0]) for p in parts])
    dome = np.concatenate([p[4] for p in parts])
    azimuth = np.where(dome, np.nan, np.round(azimuth % 360.0, 1))
    fov, range_m = _optics(kind, dome, rng)
    installed = np.where(owner == "social", install_dates(len(xy), anchor, rng, SOCIAL_FIRST_INSTALL_YEAR),
                         install_dates(len(xy), anchor, rng, FIRST_INSTALL_YEAR))
    lon, lat = xy_to_lonlat(xy[:, 0], xy[:, 1])
    return pd.DataFrame({"id": [f"CAM{i:05d}" for i in range(1, len(xy) + 1)], "lat": lat, "lon": lon,
                         "kind": kind, "owner": owner, "azimuth_deg": azimuth, "fov_deg": fov,
                         "range_m": range_m, "status": camera_status(xy, geo, rng),
                         "installed_at": installed})


def _camera_parts(geo, net, places, checkpoints, rng):
    """(xy, azimuth, kind, owner, dome mask) per group of cameras."""
    fixed = np.zeros  # fixed(n, bool): no domes in the group
    face_xy, face_az = face_cameras(places, checkpoints, rng)
    veh_xy, veh_az = vehicle_cameras(checkpoints, rng)
    soc_xy, soc_az = social_cameras(places, rng)
    social_other = rng.random(len(soc_xy)) < 0.08
    arterial = police_video_weights(geo, net) * np.isin(net.road_class, ["trunk", "primary", "secondary"])
    str_xy, str_az = sample_along_roads(net, arterial, STRUCTURED_CAMERAS, rng)
    n_video = (TOTAL_CAMERAS - FACE_CAMERAS - VEHICLE_CAMERAS - SOCIAL_CAMERAS - STRUCTURED_CAMERAS
               - OTHER_POLICE_CAMERAS)
    v_xy, v_az = village_cameras(geo, rng)
    n_video -= len(v_xy)
    n_junction = int(n_video * JUNCTION_CAMERA_SHARE)
    j_xy, j_az = junction_cameras(geo, net, n_junction, rng)
    r_xy, r_az = sample_along_roads(net, police_video_weights(geo, net), n_video - n_junction, rng)
    r_az = r_az + 180.0 * rng.integers(0, 2, len(r_az))
    o_xy, o_az = sample_along_roads(net, police_video_weights(geo, net), OTHER_POLICE_CAMERAS, rng)
    return [
        (face_xy, face_az, "face", "police", fixed(len(face_xy), bool)),
        (veh_xy, veh_az, "vehicle", "police", fixed(len(veh_xy), bool)),
        (soc_xy[~social_other], soc_az[~social_other], "video", "social",
         rng.random((~social_other).sum()) < DOME_SHARE),
        (soc_xy[social_other], soc_az[social_other], "other", "social", fixed(social_other.sum(), bool)),
        (str_xy, str_az, "structured", "police", fixed(len(str_xy), bool)),
        (j_xy, j_az, "video", "police", rng.random(len(j_xy)) < DOME_SHARE),
        (r_xy, r_az, "video", "police", rng.random(len(r_xy)) < DOME_SHARE),
        (v_xy, v_az, "video", "police", rng.random(len(v_xy)) < DOME_SHARE),
        (o_xy, o_az, "other", "police", rng.random(len(o_xy)) < 0.5),
    ]
