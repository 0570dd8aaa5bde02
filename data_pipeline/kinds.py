"""The data contract of each ingest kind: canonical fields, their types, what is required.

These field names are what a mapping file's ``[columns]`` maps source columns to.
"""
from __future__ import annotations

from dataclasses import dataclass, field

CATEGORIES: dict[str, tuple[str, str]] = {
    # canonical id: (zh label, en label)
    "theft": ("盗窃", "Theft"),
    "robbery": ("抢劫抢夺", "Robbery"),
    "fraud": ("诈骗", "Fraud"),
    "telecom_fraud": ("电信网络诈骗", "Telecom & online fraud"),
    "dispute": ("矛盾纠纷", "Dispute"),
    "violence": ("暴力伤害", "Violence"),
    "public_order": ("扰乱秩序", "Public order"),
    "drugs_vice": ("黄赌毒", "Drugs, gambling & vice"),
    "traffic": ("交通事故", "Traffic accident"),
    "fire_hazard": ("消防隐患", "Fire hazard"),
    "assistance": ("群众求助", "Call for help"),
    "other": ("其他", "Other"),
}

LEVELS = ("bureau", "station", "community", "grid", "ring")
INCIDENT_SOURCES = ("call_110", "patrol", "grid_report", "video_patrol", "other")
CAMERA_KINDS = ("video", "face", "vehicle", "structured", "other")
CAMERA_OWNERS = ("police", "social")
CAMERA_STATUSES = ("online", "offline", "maintenance")
CHECKPOINT_KINDS = ("station", "post", "point", "vehicle")
DUTY_LEVELS = ("routine", "emergency", "wartime")
UNIT_KINDS = ("car", "motorbike", "foot", "other")
PLACE_KINDS = ("school", "hospital", "night_market", "hotel", "transport_hub", "government", "mall", "other")
ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary", "residential", "service", "path",
                "track", "other")

# Typical urban/rural travel speeds by class; used where a source gives no speed. For OpenStreetMap ways
# the source speed is the maxspeed tag when it is a plain number of km/h ("30"); anything else ("50 mph",
# "RU:urban", "walk", "none", "30;50") leaves the class default, rather than guessing a country's rules.
DEFAULT_SPEED_KMH = {
    "motorway": 100.0, "trunk": 70.0, "primary": 50.0, "secondary": 40.0, "tertiary": 30.0,
    "residential": 20.0, "service": 15.0, "track": 15.0, "other": 20.0,
    # Footways, paths, steps, cycleways: no car drives there; at walking speed a route through them costs
    # what walking it costs (foot patrols use them), so car reach does not cut through parks.
    "path": 5.0,
}


@dataclass(frozen=True)
class Field:
    """One canonical field.

    ``type`` is text, time, date, number or enum. ``choices`` lists an enum's values; ``fallback`` is the
    value an enum takes when the source has none or an unknown one (None: stays empty).
    """

    name: str
    type: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    fallback: str | None = None


@dataclass(frozen=True)
class Kind:
    """An ingest kind: its table, its fields and how rows are recognised as already stored."""

    name: str
    table: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ("id",)
    geometry: str = "point"          # point | polygon | line
    derive_id: bool = True           # derive a stable id from the source row when none is mapped
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


_POINT = (Field("lat", "number"), Field("lon", "number"), Field("x", "number"), Field("y", "number"))
# Source column names recognised without a mapping (case-insensitive).
_POINT_ALIASES = {
    "lat": ("lat", "latitude", "纬度", "wd"),
    "lon": ("lon", "lng", "long", "longitude", "经度", "jd"),
    "x": ("x",), "y": ("y",),
}

# OpenStreetMap's keys for the road fields, so an extract (or an Overpass GeoJSON dump) loads without a
# mapping: the way id, the highway tag (→ road_class through SYNONYMS below) and the maxspeed tag.
_OSM_ROAD_ALIASES = {"id": ("osm_id",), "road_class": ("highway",), "speed_kmh": ("maxspeed",)}

KINDS: dict[str, Kind] = {
    "incidents": Kind("incidents", "incidents", (
        Field("id"),
        Field("occurred_at", "time", required=True),
        Field("reported_at", "time"), Field("dispatched_at", "time"), Field("arrived_at", "time"),
        Field("closed_at", "time"),
        Field("category", "enum", choices=tuple(CATEGORIES), fallback="other"),
        Field("source_category"),
        Field("status"),
        Field("source", "enum", choices=INCIDENT_SOURCES, fallback=None),
        Field("source_station"),
        *_POINT,
    ), aliases=_POINT_ALIASES),
    "cameras": Kind("cameras", "cameras", (
        Field("id"), *_POINT,
        Field("kind", "enum", choices=CAMERA_KINDS, fallback="video"),
        Field("owner", "enum", choices=CAMERA_OWNERS, fallback="police"),
        Field("azimuth_deg", "number"), Field("fov_deg", "number"), Field("range_m", "number"),
        Field("status", "enum", choices=CAMERA_STATUSES, fallback="online"),
        Field("installed_at", "date"),
    ), aliases=_POINT_ALIASES),
    "checkpoints": Kind("checkpoints", "checkpoints", (
        Field("id"), Field("name"), *_POINT, Field("ring"),
        Field("kind", "enum", choices=CHECKPOINT_KINDS, fallback="point"),
        Field("duty", "enum", choices=DUTY_LEVELS, fallback="routine"),
    ), aliases=_POINT_ALIASES),
    "patrols": Kind("patrols", "patrol_pings", (
        Field("unit_id", required=True),
        Field("unit_kind", "enum", choices=UNIT_KINDS, fallback="other"),
        Field("ts", "time", required=True), *_POINT,
    ), key=("unit_id", "ts"), derive_id=False, aliases=_POINT_ALIASES),
    "places": Kind("places", "places", (
        Field("id"), Field("name"), Field("kind", "enum", choices=PLACE_KINDS, fallback="other"), *_POINT,
    ), aliases=_POINT_ALIASES),
    "boundaries": Kind("boundaries", "jurisdictions", (
        Field("id"), Field("name"),
        Field("level", "enum", choices=LEVELS, fallback="station"),
        Field("parent_id"),
    ), geometry="polygon"),
    "roads": Kind("roads", "roads", (
        Field("id"), Field("name"),
        Field("road_class", "enum", choices=ROAD_CLASSES, fallback="other"),
        Field("speed_kmh", "number"),
    ), geometry="line", aliases=_OSM_ROAD_ALIASES),
}


def kind(name: str) -> Kind:
    """The ingest kind called ``name``, with a clear error for an unknown one."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown ingest kind {name!r}; expected one of {', '.join(KINDS)}") from None


# Values recognised in any source without a mapping (matched case-insensitively after trimming):
# the canonical id, its Chinese label, and common spellings in bureau exports.
SYNONYMS: dict[str, dict[str, str]] = {
    "category": {zh: cid for cid, (zh, _en) in CATEGORIES.items()} | {
        "盗抢骗": "theft", "电诈": "telecom_fraud", "纠纷": "dispute", "交通": "traffic", "求助": "assistance",
    },
    "source": {"110": "call_110", "110报警": "call_110", "巡逻发现": "patrol", "网格上报": "grid_report",
               "视频巡查": "video_patrol"},
    "kind": {  # cameras, checkpoints and places share the field name "kind"
        "视频": "video", "人脸": "face", "车辆": "vehicle", "结构化": "structured", "alpr": "vehicle",
        "anpr": "vehicle", "站": "station", "岗": "post", "点": "point", "卡口": "vehicle",
        "学校": "school", "医院": "hospital", "夜市": "night_market", "宾馆": "hotel", "酒店": "hotel",
        "旅馆": "hotel", "交通枢纽": "transport_hub", "车站": "transport_hub", "政府": "government",
        "商场": "mall",
    },
    "owner": {"公安": "police", "社会": "social", "public": "police", "private": "social"},
    "status": {"在线": "online", "离线": "offline", "维修": "maintenance", "检修": "maintenance"},
    "duty": {"常态": "routine", "应急": "emergency", "战时": "wartime"},
    "level": {"分局": "bureau", "县局": "bureau", "市局": "bureau", "派出所": "station", "社区": "community",
              "村": "community", "网格": "grid", "圈": "ring"},
    "unit_kind": {"车巡": "car", "摩托": "motorbike", "步巡": "foot", "vehicle": "car", "bike": "motorbike"},
    # OSM highway values: the eight classes by their own names, a *_link ramp as the road it serves,
    # living_street (a shared residential street) as residential. unclassified is kept as tertiary: in OSM it
    # is the lowest rung of the through network, a step above residential streets, and China's village roads
    # (村道) that carry rural through traffic are tagged so. Ways for people on foot or bike (footway,
    # cycleway, path, steps, pedestrian, corridor, bridleway) are "path", at walking speed. Everything else
    # falls back to "other": platform, busway, road (class unknown).
    "road_class": {"motorway_link": "motorway", "trunk_link": "trunk", "primary_link": "primary",
                   "secondary_link": "secondary", "tertiary_link": "tertiary", "unclassified": "tertiary",
                   "living_street": "residential", "高速": "motorway", "国道": "trunk", "省道": "primary",
                   "县道": "secondary", "乡道": "tertiary", "footway": "path", "cycleway": "path",
                   "steps": "path", "pedestrian": "path", "corridor": "path", "bridleway": "path",
                   "步道": "path"},
}

# OpenStreetMap highway values that are not roads one can travel today (lifecycle states): an extract's
# ways tagged so are left out by the reader, like lines that are not highways at all.
OSM_HIGHWAY_NOT_ROADS = ("construction", "proposed", "planned", "abandoned", "disused", "razed", "demolished")

# Compass points in 22.5° steps from north, for directions written as letters (OSM camera:direction).
COMPASS_POINTS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
                  "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
