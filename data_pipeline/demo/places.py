"""Key places (重点部位): hubs, scenic gates, schools, hospitals, night markets, hotels, malls.

Famous places sit at their approximate real positions; the generic ones (town schools and
clinics, the many guesthouses around 报国寺) are placed next to a road near their town.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import latlon_to_xy, substream, xy_to_lonlat
from .gazetteer import SCENIC_POINTS, TOWNS, URBAN_CORE_CENTRE
from .roads import RoadNetwork

PLACE_KINDS = ("school", "hospital", "night_market", "hotel", "transport_hub", "government", "mall",
               "other")

# (name, kind, lat, lon) of places with a known position.
FIXED_PLACES: tuple[tuple[str, str, float, float], ...] = (
    ("峨眉山站", "transport_hub", 29.6105, 103.5060),
    ("峨眉山客运中心", "transport_hub", 29.5975, 103.4925),
    ("峨眉山旅游客运中心", "transport_hub", *SCENIC_POINTS["峨眉山旅游客运中心"]),
    ("五显岗停车场", "transport_hub", *SCENIC_POINTS["五显岗停车场"]),
    ("雷洞坪车站", "transport_hub", *SCENIC_POINTS["雷洞坪"]),
    ("金顶索道下站", "transport_hub", *SCENIC_POINTS["接引殿"]),
    ("报国寺", "other", *SCENIC_POINTS["报国寺"]),
    ("峨眉山景区大门（游客中心）", "other", 29.5860, 103.4520),
    ("天下名山牌坊", "other", *SCENIC_POINTS["天下名山牌坊"]),
    ("伏虎寺", "other", *SCENIC_POINTS["伏虎寺"]),
    ("清音阁", "other", *SCENIC_POINTS["清音阁"]),
    ("万年寺", "other", *SCENIC_POINTS["万年寺"]),
    ("洗象池", "other", *SCENIC_POINTS["洗象池"]),
    ("金顶", "other", *SCENIC_POINTS["金顶"]),
    ("峨眉山市人民政府", "government", 29.5985, 103.4985),
    ("中共峨眉山市委", "government", 29.5992, 103.4978),
    ("峨眉山市公安局", "government", 29.5968, 103.4990),
    ("峨眉山市人民法院", "government", 29.5955, 103.5005),
    ("峨眉山市政务服务中心", "government", 29.6003, 103.5002),
    ("名山路夜市", "night_market", 29.6035, 103.4870),
    ("佛光路美食街", "night_market", 29.5948, 103.4775),
    ("报国寺小吃街", "night_market", 29.5822, 103.4460),
    ("峨眉山市人民医院", "hospital", 29.6020, 103.4900),
    ("峨眉山市中医医院", "hospital", 29.5960, 103.4850),
    ("峨眉山市妇幼保健院", "hospital", 29.6060, 103.4810),
    ("峨眉山市第二人民医院", "hospital", 29.5865, 103.5575),
    ("峨眉第一中学", "school", 29.6050, 103.4750),
    ("峨眉第二中学", "school", 29.5920, 103.4900),
    ("峨眉山市第三中学", "school", 29.6100, 103.4930),
    ("峨眉山市实验小学", "school", 29.6000, 103.4800),
    ("绥山小学", "school", 29.6070, 103.4720),
    ("名山小学", "school", 29.5990, 103.4950),
    ("西南交通大学峨眉校区", "school", 29.5780, 103.4560),
    ("峨眉山市职业技术学校", "school", 29.6140, 103.4840),
    ("名山商业广场", "mall", 29.6010, 103.4880),
    ("峨眉山国际商贸城", "mall", 29.6080, 103.4990),
    ("佛光购物中心", "mall", 29.5960, 103.4810),
    ("峨眉山茶城", "mall", 29.5930, 103.4950),
    ("红珠山宾馆", "hotel", 29.5840, 103.4380),
    ("峨眉山大酒店", "hotel", 29.5850, 103.4440),
    ("峨眉山温泉饭店", "hotel", 29.5810, 103.4420),
    ("灵秀温泉酒店", "hotel", 29.5795, 103.4485),
    ("金顶大酒店", "hotel", 29.5215, 103.3335),
    ("雷洞坪宾馆", "hotel", 29.5305, 103.3445),
    ("峨眉山市体育中心", "other", 29.6110, 103.4780),
    ("绥山农贸市场", "other", 29.6030, 103.4780),
)

SCENIC_GUESTHOUSES = 48  # 客栈/民宿 around 报国寺 and 黄湾: the scenic area's hotel belt
CITY_HOTELS = 12  # business hotels and small inns in town, incl. some unregistered ones
ENTERTAINMENT_VENUES = 8  # KTV, 网吧, 酒吧 in the core
CONSTRUCTION_SITES = 4
SCENIC_HOTEL_RADIUS_M = 1_800.0
CITY_RADIUS_M = 2_400.0
ROADSIDE_OFFSET_M = (15.0, 45.0)  # buildings stand back from the carriageway

_GUESTHOUSE_WORDS = ("云栖", "山语", "禅心", "竹林", "听泉", "半山", "清风", "茶香", "灵秀", "普贤", "金顶", "峨眉",
                     "秀甲", "佛光", "翠竹", "松风")
_GUESTHOUSE_KINDS = ("客栈", "民宿", "山庄", "酒店", "宾馆")
_CITY_HOTEL_NAMES = ("名山商务酒店", "绥山宾馆", "峨眉山站快捷酒店", "佛光酒店", "秀湖宾馆", "天景大酒店",
                     "客运中心旅社", "东门小旅馆", "南门招待所", "胜利路旅社", "新桥宾馆", "体育街旅馆")
_VENUE_NAMES = ("名山KTV", "星空网吧", "秀湖酒吧", "佛光KTV", "极速网吧", "夜色酒吧", "天景会所", "东门网吧")


def roadside_points(net: RoadNetwork, centre_xy: tuple[float, float], radius_m: float, count: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``count`` points beside roads within ``radius_m`` of a centre (metres)."""
    coords = np.concatenate([np.asarray(g.coords) for g in net.geometry])
    d = np.hypot(coords[:, 0] - centre_xy[0], coords[:, 1] - centre_xy[1])
    near = coords[d < radius_m]
    if len(near) == 0:
        near = coords[np.argsort(d)[:10]]
    picks = near[rng.integers(0, len(near), count)]
    angle = rng.uniform(0.0, 2.0 * np.pi, count)
    offset = rng.uniform(*ROADSIDE_OFFSET_M, count)
    return picks + np.column_stack([np.cos(angle), np.sin(angle)]) * offset[:, None]


def _fixed_rows() -> list[dict]:
    return [{"name": n, "kind": k, "lat": lat, "lon": lon} for n, k, lat, lon in FIXED_PLACES]


def _rows_at(names: list[str], kind: str, xy: np.ndarray) -> list[dict]:
    lon, lat = xy_to_lonlat(xy[:, 0], xy[:, 1])
    return [{"name": n, "kind": kind, "lat": float(a), "lon": float(o)} for n, a, o in zip(names, lat, lon)]


def scenic_guesthouses(net: RoadNetwork, rng: np.random.Generator) -> list[dict]:
    """The guesthouse belt around 报国寺 - 黄湾 (names are invented)."""
    centre = latlon_to_xy(*SCENIC_POINTS["报国寺"])
    xy = roadside_points(net, centre, SCENIC_HOTEL_RADIUS_M, SCENIC_GUESTHOUSES, rng)
    combos = [w + k for w in _GUESTHOUSE_WORDS for k in _GUESTHOUSE_KINDS]
    names = [combos[i] for i in rng.choice(len(combos), SCENIC_GUESTHOUSES, replace=False)]
    return _rows_at(names, "hotel", xy)


def town_services(net: RoadNetwork, rng: np.random.Generator) -> list[dict]:
    """A central primary school (中心小学) and a health centre (卫生院) in every town seat."""
    rows = []
    for town, (lat, lon) in TOWNS.items():
        xy = roadside_points(net, latlon_to_xy(lat, lon), 400.0, 2, rng)
        rows += _rows_at([f"{town}中心小学"], "school", xy[:1])
        rows += _rows_at([f"{town}卫生院"], "hospital", xy[1:])
    return rows


def city_venues(net: RoadNetwork, rng: np.random.Generator) -> list[dict]:
    """Small hotels, entertainment venues and construction sites in the core."""
    centre = latlon_to_xy(*URBAN_CORE_CENTRE)
    hotels = roadside_points(net, centre, CITY_RADIUS_M, CITY_HOTELS, rng)
    venues = roadside_points(net, centre, CITY_RADIUS_M, ENTERTAINMENT_VENUES, rng)
    sites = roadside_points(net, centre, CITY_RADIUS_M * 1.3, CONSTRUCTION_SITES, rng)
    return (_rows_at(list(_CITY_HOTEL_NAMES[:CITY_HOTELS]), "hotel", hotels)
            + _rows_at(list(_VENUE_NAMES[:ENTERTAINMENT_VENUES]), "other", venues)
            + _rows_at([f"建筑工地{i + 1}号" for i in range(CONSTRUCTION_SITES)], "other", sites))


def build_places(net: RoadNetwork, seed: int) -> pd.DataFrame:
    """Build the key-places frame.

    Parameters
    ----------
    net : RoadNetwork
        Roads, used to put generic places beside a street.
    seed : int
        Scenario seed.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, name, kind, lat, lon``; ids ``P0001`` ... in a stable order.
    """
    rng = substream(seed, "places")
    rows = _fixed_rows() + town_services(net, rng) + scenic_guesthouses(net, rng) + city_venues(net, rng)
    frame = pd.DataFrame(rows, columns=["name", "kind", "lat", "lon"])
    frame.insert(0, "id", [f"P{i:04d}" for i in range(1, len(frame) + 1)])
    return frame
