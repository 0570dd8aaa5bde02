"""The road network: urban street grid, main roads between towns, expressways, village tracks.

Every non-motorway line is noded with all the others (``unary_union``), so segments meet
at shared endpoints and a routing graph can be built by matching endpoint coordinates.
Motorways are grade-separated: they cross other roads on bridges and join the network
only at interchanges (收费站), where a link road ends exactly on a motorway node.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ._common import GEOGRAPHIC_CRS, geometry_to_lonlat, latlon_to_xy, substream
from .gazetteer import SCENIC_POINTS, TOWNS, URBAN_CORE_CENTRE
from .geography import Geography

ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary", "residential", "track")
# Default travel speeds per class (km/h), the same table the ingest pipeline uses when a
# source has none: expressway 100, first-class highway 70, urban arterial 50, county road
# 40, township road 30, residential street 20, unpaved village track 15.
SPEED_KMH = {"motorway": 100.0, "trunk": 70.0, "primary": 50.0, "secondary": 40.0,
             "tertiary": 30.0, "residential": 20.0, "track": 15.0}
CLASS_RANK = {c: i for i, c in enumerate(ROAD_CLASSES)}

# Urban street grid: blocks of ≈ 320 m x 280 m, aligned with the core's NE-SW axis.
STREET_SPACING_ALONG_M = 320.0
STREET_SPACING_ACROSS_M = 280.0
STREET_AXIS_BEARING_DEG = 55.0
STREET_NODE_JITTER_M = 25.0
STREET_DROP_SHARE = 0.08  # share of grid edges removed so blocks are not all equal
TOWN_GRID_SPACING_M = 200.0  # small market-town grids of 3 x 3 streets
TOWN_GRID_HALF_SIZE = 1  # streets either side of the town's main crossing

CURVE_STEP_M = 250.0  # one shape point per 250 m on curved roads
CURVE_AMPLITUDE_SHARE = 0.045  # lateral wander as a share of leg length on the plain
CURVE_AMPLITUDE_MAX_M = 900.0
TRACK_WIGGLE = 1.0  # village tracks meander like the plain roads
VILLAGE_LINK_MIN_M = 150.0  # village seats closer than this to a road need no track
VILLAGE_NEIGHBOUR_MAX_M = 3_000.0  # plain villages also link to a neighbour within 3 km
NODE_CANDIDATE_SPACING_M = 150.0  # densify roads so tracks can attach almost anywhere
RING_ROAD_OFFSET_M = 350.0  # 环城路 runs 350 m outside the built-up edge
# Suburban spokes (name, compass bearing from the centre) filling the gaps between main roads.
SUBURBAN_SPOKES = (("北郊路", 15.0), ("东郊路", 95.0), ("秀湖东路", 130.0), ("南郊路", 175.0),
                   ("红珠山路", 240.0), ("西郊路", 290.0), ("城北东路", 50.0))
SPOKE_BEARING_TOLERANCE_DEG = 25.0
SPOKE_MAX_REACH_M = 6_000.0
SPOKE_MIN_BEYOND_RING_ROAD_M = 1_200.0  # spokes lead to villages well outside the town
SPOKE_DEFAULT_REACH_M = 3_000.0
NODE_GRID_M = 0.01  # noding snaps to a 1 cm grid so nearly-equal crossings merge


@dataclass(frozen=True)
class RoadSpec:
    """A named road through ``(lat, lon)`` waypoints; ``wiggle`` scales its curvature."""

    name: str
    road_class: str
    waypoints: tuple[tuple[float, float], ...]
    wiggle: float = 1.0
    exits_county: bool = False


_C = URBAN_CORE_CENTRE
_T = TOWNS
_S = SCENIC_POINTS

MAIN_ROADS: tuple[RoadSpec, ...] = (
    RoadSpec("峨眉大道", "trunk", (_C, (29.596, 103.520), _T["九里镇"], (29.592, 103.640)),
             exits_county=True),
    RoadSpec("峨夹路", "primary", (_C, (29.632, 103.492), _T["桂花桥镇"], (29.740, 103.512)),
             exits_county=True),
    RoadSpec("峨洪路", "secondary", (_C, (29.640, 103.470), _T["双福镇"], (29.735, 103.428)),
             exits_county=True),
    RoadSpec("峨高路", "secondary", (_C, (29.614, 103.440), _T["高桥镇"], _T["新平乡"],
                                    (29.606, 103.270)), exits_county=True),
    RoadSpec("佛光路", "primary", (_C, _S["天下名山牌坊"], _S["峨眉山旅游客运中心"], _S["报国寺"])),
    RoadSpec("峨眉山旅游公路", "secondary", (_S["报国寺"], _T["黄湾镇"], _S["五显岗停车场"],
                                        (29.545, 103.380), (29.536, 103.360), _S["雷洞坪"]),
             wiggle=2.5),
    RoadSpec("峨罗路", "primary", (_C, _T["胜利镇"], _T["罗目镇"], _T["乐都镇"], _T["大为镇"])),
    RoadSpec("罗沙路", "secondary", (_T["罗目镇"], (29.505, 103.545), (29.498, 103.580)),
             exits_county=True),
    RoadSpec("峨龙路", "secondary", (_C, (29.560, 103.472), _T["普兴乡"], _T["龙池镇"],
                                    _T["沙溪乡"], (29.255, 103.425)), wiggle=1.5, exits_county=True),
    RoadSpec("符溪路", "secondary", (_C, (29.625, 103.512), _T["符溪镇"], (29.662, 103.640)),
             exits_county=True),
    RoadSpec("县道X101九符路", "tertiary", (_T["九里镇"], (29.615, 103.552), _T["符溪镇"])),
    RoadSpec("县道X102双高路", "tertiary", (_T["双福镇"], (29.650, 103.430), _T["高桥镇"])),
    RoadSpec("县道X103九罗路", "tertiary", (_T["九里镇"], (29.550, 103.535), _T["罗目镇"])),
    RoadSpec("县道X104龙川路", "tertiary", (_T["龙池镇"], (29.445, 103.380), _T["川主乡"],
                                         (29.480, 103.280), (29.440, 103.220)), wiggle=2.0),
    RoadSpec("县道X105黄高路", "tertiary", (_T["黄湾镇"], (29.595, 103.420), _T["高桥镇"]), wiggle=1.5),
    RoadSpec("县道X106桂双路", "tertiary", (_T["桂花桥镇"], (29.684, 103.480), _T["双福镇"])),
    RoadSpec("县道X107大龙路", "tertiary", (_T["大为镇"], (29.425, 103.440), _T["龙池镇"]), wiggle=1.5),
    RoadSpec("金顶步道", "track", (_S["雷洞坪"], _S["接引殿"], _S["金顶"]), wiggle=2.0),
    RoadSpec("清音阁步道", "track", (_S["五显岗停车场"], _S["清音阁"], _S["万年寺"]), wiggle=2.0),
)

MOTORWAYS: tuple[RoadSpec, ...] = (
    RoadSpec("G93乐雅高速", "motorway", ((29.612, 103.650), (29.618, 103.575), (29.628, 103.520),
                                         (29.637, 103.470), (29.628, 103.420), (29.612, 103.375),
                                         (29.598, 103.320), (29.596, 103.250)),
             wiggle=0.6, exits_county=True),
    RoadSpec("G0512峨汉高速", "motorway", ((29.575, 103.482), (29.520, 103.445), (29.460, 103.420),
                                          (29.400, 103.405), (29.330, 103.415), (29.250, 103.405)),
             wiggle=0.6, exits_county=True),
)

# Interchanges as (motorway name, (lat, lon) of the toll gate, road it links to).
INTERCHANGES: tuple[tuple[str, tuple[float, float], str], ...] = (
    ("G93乐雅高速", (29.635, 103.492), "峨夹路"),
    ("G93乐雅高速", (29.624, 103.540), "符溪路"),
    ("G93乐雅高速", (29.620, 103.400), "峨高路"),
    ("G0512峨汉高速", (29.575, 103.482), "峨龙路"),
    ("G0512峨汉高速", (29.420, 103.408), "峨龙路"),
)

URBAN_MAIN_STREETS = {  # grid lines promoted to arterials, by (direction, offset index)
    ("along", 0): ("名山路", "primary"),
    ("across", 0): ("绥山路", "primary"),
    ("along", 2): ("秀湖路", "secondary"),
    ("across", -3): ("胜利路", "secondary"),
}
_ALONG_NAMES = ["天景", "新桥", "大庙", "圣积", "文化", "红珠", "望峨", "玉屏", "金沙", "符汶", "东湖", "西河"]
_ACROSS_NAMES = ["一环", "体育", "桂花", "鞠槽", "新星", "南山", "北门", "东门", "西门", "佛光", "乐都", "青龙",
                 "白龙", "双桥", "迎宾"]


@dataclass(frozen=True)
class RoadNetwork:
    """Noded road segments in metres with their graph endpoints."""

    geometry: np.ndarray  # LineStrings (metres)
    name: np.ndarray
    road_class: np.ndarray
    u: np.ndarray  # start node index per segment
    v: np.ndarray  # end node index per segment
    node_xy: np.ndarray  # (n_nodes, 2)

    @property
    def speed_kmh(self) -> np.ndarray:
        """Default speed of each segment's class."""
        return np.array([SPEED_KMH[c] for c in self.road_class])

    @property
    def length_m(self) -> np.ndarray:
        """Length of each segment in metres."""
        return shapely.length(self.geometry)


def curved_line(points_xy: np.ndarray, rng: np.random.Generator, wiggle: float) -> np.ndarray:
    """A polyline through the given points whose legs meander smoothly (endpoints exact)."""
    out = [points_xy[0]]
    for a, b in zip(points_xy[:-1], points_xy[1:]):
        out.extend(_meandering_leg(a, b, rng, wiggle)[1:])
    return np.array(out)


def _meandering_leg(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, wiggle: float):
    length = float(np.hypot(*(b - a)))
    steps = max(2, int(length / CURVE_STEP_M))
    t = np.linspace(0.0, 1.0, steps + 1)
    amplitude = min(CURVE_AMPLITUDE_MAX_M, CURVE_AMPLITUDE_SHARE * length) * wiggle
    freqs = np.array([1.0, 2.0, 3.0 + 2.0 * wiggle])
    phases = rng.uniform(0.0, 2.0 * np.pi, 3)
    weights = rng.normal(0.0, 1.0, 3) / freqs
    shape = (weights[:, None] * np.sin(np.pi * freqs[:, None] * t + phases[:, None])).sum(0)
    shape = (shape - shape[0] * (1 - t) - shape[-1] * t) * amplitude  # pin both ends
    direction = (b - a) / max(length, 1e-9)
    normal = np.array([-direction[1], direction[0]])
    return a + t[:, None] * (b - a) + shape[:, None] * normal


def _spec_line(spec: RoadSpec, rng: np.random.Generator, outline: BaseGeometry,
               town_area: BaseGeometry | None = None) -> BaseGeometry:
    """The road's curved line, clipped to the county and (if given) cut back to the ring road."""
    pts = np.array([latlon_to_xy(lat, lon) for lat, lon in spec.waypoints])
    line = shapely.LineString(curved_line(pts, rng, spec.wiggle))
    if spec.exits_county:
        line = line.intersection(outline)
    if town_area is not None and spec.waypoints[0] == URBAN_CORE_CENTRE:
        line = line.difference(town_area)
    return line


def urban_grid_lines(town_area: BaseGeometry, rng: np.random.Generator) -> list[tuple[str, str, BaseGeometry]]:
    """Street-grid edges inside the ring road as ``(name, class, line)`` triples."""
    cx, cy = latlon_to_xy(*URBAN_CORE_CENTRE)
    axis = np.radians(90.0 - STREET_AXIS_BEARING_DEG)
    along = np.array([np.cos(axis), np.sin(axis)])
    across = np.array([-along[1], along[0]])
    half = int(max(town_area.bounds[2] - town_area.bounds[0], town_area.bounds[3] - town_area.bounds[1]) / 2
               / min(STREET_SPACING_ALONG_M, STREET_SPACING_ACROSS_M)) + 2
    idx = np.arange(-half, half + 1)
    ii, jj = np.meshgrid(idx, idx, indexing="ij")
    nodes = (cx + ii[..., None] * STREET_SPACING_ALONG_M * along[0]
             + jj[..., None] * STREET_SPACING_ACROSS_M * across[0])
    nodes = np.stack([nodes[..., 0],
                      cy + ii * STREET_SPACING_ALONG_M * along[1] + jj * STREET_SPACING_ACROSS_M * across[1]],
                     axis=-1)
    nodes = nodes + rng.normal(0.0, STREET_NODE_JITTER_M, nodes.shape)
    nodes[half, half] = (cx, cy)  # the main crossing sits exactly on the city centre
    shapely.prepare(town_area)
    return _grid_edges(nodes, idx, town_area, rng)


def _grid_edges(nodes, idx, town_area, rng) -> list[tuple[str, str, BaseGeometry]]:
    lines = []
    n = len(idx)
    for i in range(n):
        for j in range(n):
            for di, dj, direction, line_index in ((1, 0, "along", idx[j]), (0, 1, "across", idx[i])):
                if i + di >= n or j + dj >= n:
                    continue
                a, b = nodes[i, j], nodes[i + di, j + dj]
                edge = shapely.LineString([a, b])
                if not town_area.intersects(edge):
                    continue
                name, cls = _street_name(direction, int(line_index))
                if cls == "residential" and rng.random() < STREET_DROP_SHARE:
                    continue
                lines.append((name, cls, edge.intersection(town_area)))
    return lines


def _street_name(direction: str, line_index: int) -> tuple[str, str]:
    if (direction, line_index) in URBAN_MAIN_STREETS:
        return URBAN_MAIN_STREETS[(direction, line_index)]
    names = _ALONG_NAMES if direction == "along" else _ACROSS_NAMES
    suffix = "路" if direction == "along" else "街"
    return names[line_index % len(names)] + suffix, "residential"


def town_grid_lines(geo: Geography, rng: np.random.Generator) -> list[tuple[str, str, BaseGeometry]]:
    """A small 3 x 3 street grid centred on each town seat (镇/乡驻地)."""
    lines = []
    k = TOWN_GRID_HALF_SIZE
    for town, (tx, ty) in geo.town_xy.items():
        angle = rng.uniform(0.0, np.pi / 2)
        along = np.array([np.cos(angle), np.sin(angle)]) * TOWN_GRID_SPACING_M
        across = np.array([-along[1], along[0]])
        centre = np.array([tx, ty])
        for offset in range(-k, k + 1):
            for axis, other, label in ((along, across, "街"), (across, along, "路")):
                a = centre + offset * other - (k + 0.5) * axis
                b = centre + offset * other + (k + 0.5) * axis
                lines.append((f"{town[:-1]}{'正' if offset == 0 else '新'}{label}", "residential",
                              shapely.LineString([a, a + (b - a) / 2, b])))
    return lines


def ring_road_area(core: BaseGeometry) -> BaseGeometry:
    """The area enclosed by 环城路, the ring road just outside the built-up edge."""
    return shapely.Polygon(core.buffer(RING_ROAD_OFFSET_M).simplify(40.0).exterior)


def suburban_spokes(geo: Geography, town_area: BaseGeometry,
                    rng: np.random.Generator) -> list[tuple[str, str, BaseGeometry]]:
    """Tertiary roads from the ring road out to the nearest village seat in each direction."""
    cx, cy = latlon_to_xy(*URBAN_CORE_CENTRE)
    seats = np.array(list(geo.village_centre_xy.values()))
    seat_bearing = np.degrees(np.arctan2(seats[:, 0] - cx, seats[:, 1] - cy)) % 360
    seat_dist = np.hypot(seats[:, 0] - cx, seats[:, 1] - cy)
    suburban = shapely.distance(town_area, shapely.points(seats)) > SPOKE_MIN_BEYOND_RING_ROAD_M
    lines = []
    for name, bearing in SUBURBAN_SPOKES:
        off = np.abs((seat_bearing - bearing + 180) % 360 - 180)
        ok = (off < SPOKE_BEARING_TOLERANCE_DEG) & (seat_dist < SPOKE_MAX_REACH_M) & suburban
        if ok.any():
            end = seats[np.where(ok)[0][np.argmin(seat_dist[ok])]]
        else:
            rad = np.radians(bearing)
            end = np.array([cx + SPOKE_DEFAULT_REACH_M * np.sin(rad), cy + SPOKE_DEFAULT_REACH_M * np.cos(rad)])
        line = shapely.LineString(curved_line(np.array([[cx, cy], end]), rng, 1.0))
        lines += [(name, "tertiary", part) for part in shapely.get_parts(line.difference(town_area))]
    return lines


def village_tracks(geo: Geography, network_lines: list[BaseGeometry],
                   rng: np.random.Generator) -> list[tuple[str, str, BaseGeometry]]:
    """Tracks from each village seat to the nearest road or track, plus links between neighbours.

    Villages are connected nearest-first and each new track joins the candidate set, so
    remote villages branch off the tracks of nearer ones (a tree, like real village roads)
    instead of running long parallel tracks to the same junction.
    """
    parts = shapely.get_parts(np.array(network_lines, dtype=object))
    vertices = shapely.get_coordinates(shapely.segmentize(parts[~shapely.is_empty(parts)],
                                                          NODE_CANDIDATE_SPACING_M))
    ids = list(geo.village_centre_xy)
    centres = np.array([geo.village_centre_xy[i] for i in ids])
    lines = []
    pending = list(range(len(centres)))
    while pending:
        gaps = [float(np.hypot(*(vertices - centres[k]).T).min()) for k in pending]
        k = pending.pop(int(np.argmin(gaps)))
        if min(gaps) < VILLAGE_LINK_MIN_M:
            continue
        target = vertices[np.argmin(np.hypot(*(vertices - centres[k]).T))]
        track = curved_line(np.array([centres[k], target]), rng, TRACK_WIGGLE)
        lines.append((f"乡道Y{k + 1:03d}", "track", shapely.LineString(track)))
        dense = shapely.get_coordinates(shapely.segmentize(lines[-1][2], NODE_CANDIDATE_SPACING_M))
        vertices = np.vstack([vertices, dense])
    lines.extend(_neighbour_links(centres, rng))
    return lines


def _neighbour_links(centres: np.ndarray, rng: np.random.Generator):
    links = []
    seen = set()
    for k, c in enumerate(centres):
        d = np.hypot(*(centres - c).T)
        d[k] = np.inf
        j = int(np.argmin(d))
        if d[j] > VILLAGE_NEIGHBOUR_MAX_M or (min(j, k), max(j, k)) in seen:
            continue
        seen.add((min(j, k), max(j, k)))
        line = shapely.LineString(curved_line(np.array([c, centres[j]]), rng, TRACK_WIGGLE))
        links.append((f"村道C{len(links) + 1:03d}", "track", line))
    return links


def node_lines(named: list[tuple[str, str, BaseGeometry]]) -> tuple[list, list, list]:
    """Split all lines at their mutual intersections and carry names/classes over."""
    sources = [g for _, _, g in named]
    noded = shapely.get_parts(shapely.union_all(sources, grid_size=NODE_GRID_M))
    noded = noded[shapely.length(noded) > 0]
    probes = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    tree = shapely.STRtree(sources)
    piece_idx, source_idx = tree.query(probes, predicate="dwithin", distance=0.01)
    best: dict[int, int] = {}
    for p, s in zip(piece_idx, source_idx):
        if p not in best or CLASS_RANK[named[s][1]] < CLASS_RANK[named[best[p]][1]]:
            best[p] = s
    keep = sorted(best)
    return ([noded[p] for p in keep], [named[best[p]][0] for p in keep], [named[best[p]][1] for p in keep])


def split_line_at(line: BaseGeometry, points_xy: list[np.ndarray]) -> tuple[list, list]:
    """Split a line at the projections of points; returns pieces and the exact split points."""
    distances = sorted(line.project(shapely.Point(p)) for p in points_xy)
    coords = shapely.get_coordinates(line)
    vertex_d = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
    pieces, cut_points = [], []
    start = coords[0]
    last_d = 0.0
    for d in distances:
        cut = np.array(shapely.get_coordinates(line.interpolate(d))[0])
        inner = coords[(vertex_d > last_d) & (vertex_d < d)]
        pieces.append(shapely.LineString(np.vstack([start, inner, cut])))
        cut_points.append(cut)
        start, last_d = cut, d
    pieces.append(shapely.LineString(np.vstack([start, coords[vertex_d > last_d]])))
    return pieces, cut_points


def _motorways_and_links(outline, main_lines: dict[str, BaseGeometry], rng):
    motorway_pieces: list[tuple[str, str, BaseGeometry]] = []
    links: list[tuple[str, str, BaseGeometry]] = []
    for spec in MOTORWAYS:
        line = _spec_line(spec, rng, outline)
        line = max(shapely.get_parts(line), key=lambda g: g.length)
        gates = [(latlon_to_xy(*pos), road) for name, pos, road in INTERCHANGES if name == spec.name]
        pieces, cuts = split_line_at(line, [np.array(xy) for xy, _ in gates])
        pieces = [shapely.set_precision(p, NODE_GRID_M) for p in pieces]
        motorway_pieces += [(spec.name, "motorway", p) for p in pieces if p.length > 1.0]
        for cut in cuts:
            road = min(gates, key=lambda g: np.hypot(g[0][0] - cut[0], g[0][1] - cut[1]))[1]
            target = shapely.get_coordinates(shapely.segmentize(main_lines[road], NODE_CANDIDATE_SPACING_M))
            nearest = target[np.argmin(np.hypot(*(target - cut).T))]
            links.append((f"{spec.name}连接线", "trunk", shapely.LineString([cut, (cut + nearest) / 2, nearest])))
    return motorway_pieces, links


def build_road_network(geo: Geography, seed: int) -> RoadNetwork:
    """Build and node the whole road network for a seed.

    Parameters
    ----------
    geo : Geography
        The administrative geography (outline, core, towns, village seats).
    seed : int
        Scenario seed.

    Returns
    -------
    RoadNetwork
        Segments in metres, noded at intersections, restricted to the largest connected
        component so every segment is reachable from every other.
    """
    rng = substream(seed, "roads")
    town_area = ring_road_area(geo.core)
    mains = {spec.name: _spec_line(spec, rng, geo.outline, town_area) for spec in MAIN_ROADS}
    named = [(spec.name, spec.road_class, mains[spec.name]) for spec in MAIN_ROADS]
    named += urban_grid_lines(town_area, rng)
    named += town_grid_lines(geo, rng)
    named.append(("环城路", "secondary", town_area.exterior))
    named += suburban_spokes(geo, town_area, rng)
    motorway_pieces, links = _motorways_and_links(geo.outline, mains, rng)
    named += [link for link in links if link[2].length > 1.0]
    named += village_tracks(geo, [g for _, _, g in named], rng)
    named = [(n, c, g.intersection(geo.outline)) for n, c, g in named]
    named = [(n, c, part) for n, c, g in named for part in shapely.get_parts(g)
             if part.geom_type == "LineString" and part.length > 1.0]
    geoms, names, classes = node_lines(named)
    geoms += [g for _, _, g in motorway_pieces]
    names += [n for n, _, _ in motorway_pieces]
    classes += [c for _, c, _ in motorway_pieces]
    return _connected_network(geoms, names, classes)


def _connected_network(geoms, names, classes) -> RoadNetwork:
    ends = np.array([[shapely.get_coordinates(g)[0], shapely.get_coordinates(g)[-1]] for g in geoms])
    keys = np.round(ends.reshape(-1, 2), 3)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    u, v = inverse.reshape(-1, 2).T
    graph = nx.Graph()
    graph.add_edges_from(zip(u.tolist(), v.tolist()))
    giant = max(nx.connected_components(graph), key=len)
    keep = np.array([a in giant for a in u])
    used = np.unique(np.concatenate([u[keep], v[keep]]))
    remap = -np.ones(len(uniq), int)
    remap[used] = np.arange(len(used))
    return RoadNetwork(np.array(geoms, dtype=object)[keep], np.array(names, dtype=object)[keep],
                       np.array(classes, dtype=object)[keep], remap[u[keep]], remap[v[keep]], uniq[used])


def roads_frame(net: RoadNetwork) -> gpd.GeoDataFrame:
    """The public ``roads`` frame (WGS84 LineStrings)."""
    return gpd.GeoDataFrame(
        {"id": [f"R{i:05d}" for i in range(1, len(net.geometry) + 1)],
         "name": net.name.astype(str), "road_class": net.road_class.astype(str),
         "speed_kmh": net.speed_kmh},
        geometry=[geometry_to_lonlat(g) for g in net.geometry], crs=GEOGRAPHIC_CRS)
