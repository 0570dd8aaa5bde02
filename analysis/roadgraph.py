"""A routable road graph from road linestrings, and travel times over it with scipy.sparse.csgraph.

Nodes are the roads' vertices, merged where vertices coincide within ``SNAP_TOLERANCE_M``: a junction
is a vertex that roads share, as in OpenStreetMap, where ways meet at a common node. Roads that cross
without a shared vertex (a bridge over a street, or a source whose junctions were never noded) are
not connected there. Each pair of consecutive vertices is one edge with its length in metres and its
travel time at the road's speed.

Edges are undirected: the store has no one-way data, so every road is driven both ways. Travel times
are therefore symmetric, which the reach analysis relies on (unit → incident = incident → unit).

Coordinates are WGS84 lat/lon in and out. Distances are measured in an azimuthal equidistant
projection centred on the network (``LocalFrame``): its scale error at distance d from the centre is
about (d / R)² / 6, below 1e-4 within 100 km and 0.1 % at 350 km, far below the accuracy of road data.

Points that are not on a node (units, incidents, ring entries) are placed on their nearest edge
(``snap_to_edges``): a route to or from them runs along that edge to its end nodes, and an off-road
point adds an access leg, perpendicular to the edge, at ``WALKING_SPEED_KMH``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

# Vertices of different roads closer than this are one node. OSM ways share identical nodes; other
# sources (shapefiles, digitised CAD) often end a road a few centimetres from the road it joins. Half
# a metre joins those and is still far below the gap between two roads that really are separate
# (parallel carriageways are metres apart).
SNAP_TOLERANCE_M = 0.5
# Foot patrols, and the leg between an off-road point and the road, move at a brisk walking pace.
WALKING_SPEED_KMH = 5.0
MODES = ("drive", "walk")
# scipy's predecessor value for "none"; this module uses -1 instead.
_SCIPY_NO_PREDECESSOR = -9999
_KMH_TO_MS = 1 / 3.6


@dataclass(frozen=True, eq=False)
class LocalFrame:
    """An azimuthal equidistant projection centred on (lat0, lon0): x east, y north, in metres."""

    lat0: float
    lon0: float

    @classmethod
    def around(cls, lat: np.ndarray, lon: np.ndarray) -> LocalFrame:
        """The frame centred on the middle of the points' bounding box (0, 0 when there are none)."""
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        if lat.size == 0:
            return cls(0.0, 0.0)
        return cls(float((np.nanmin(lat) + np.nanmax(lat)) / 2), float((np.nanmin(lon) + np.nanmax(lon)) / 2))

    @cached_property
    def _forward(self) -> Transformer:
        return Transformer.from_crs("EPSG:4326", self._proj, always_xy=True)

    @cached_property
    def _inverse(self) -> Transformer:
        return Transformer.from_crs(self._proj, "EPSG:4326", always_xy=True)

    @property
    def _proj(self) -> str:
        return f"+proj=aeqd +lat_0={self.lat0} +lon_0={self.lon0} +datum=WGS84 +units=m +no_defs"

    def to_xy_m(self, lat, lon) -> np.ndarray:
        """Points (n, 2) in metres, x east and y north of the centre."""
        x, y = self._forward.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])

    def to_latlng(self, xy_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lat, lon) of points given in metres."""
        xy_m = np.asarray(xy_m, dtype=float).reshape(-1, 2)
        lon, lat = self._inverse.transform(xy_m[:, 0], xy_m[:, 1])
        return np.asarray(lat), np.asarray(lon)


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """An undirected road graph; build it with ``build_road_graph``.

    Attributes
    ----------
    node_lat, node_lon : ndarray of float64, shape (n_nodes,)
        Node positions, WGS84.
    node_xy_m : ndarray of float64, shape (n_nodes, 2)
        Node positions in ``frame``, metres.
    edge_u, edge_v : ndarray of int64, shape (n_edges,)
        End nodes of each edge, in the direction the road was digitised.
    edge_road : ndarray of int64, shape (n_edges,)
        Index of the input road each edge belongs to.
    edge_length_m, edge_speed_kmh : ndarray of float64, shape (n_edges,)
        Length of each edge and the driving speed on it.
    frame : LocalFrame
        The projection distances are measured in.
    """

    node_lat: np.ndarray
    node_lon: np.ndarray
    node_xy_m: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_road: np.ndarray
    edge_length_m: np.ndarray
    edge_speed_kmh: np.ndarray
    frame: LocalFrame
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.node_lat)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    def edge_seconds(self, mode: str = "drive") -> np.ndarray:
        """Travel seconds along each edge: at the road's speed ("drive") or at walking speed ("walk")."""
        _check_mode(mode)
        if mode not in self._cache.setdefault("seconds", {}):
            speed_kmh = self.edge_speed_kmh if mode == "drive" else WALKING_SPEED_KMH
            self._cache["seconds"][mode] = self.edge_length_m / (speed_kmh * _KMH_TO_MS)
        return self._cache["seconds"][mode]

    def csr(self, mode: str = "drive") -> csr_matrix:
        """Symmetric (n_nodes, n_nodes) matrix of edge seconds, the fastest where roads share a node pair."""
        return self._pairs(mode)[0]

    def edges_between(self, a: np.ndarray, b: np.ndarray, mode: str = "drive") -> np.ndarray:
        """The edge (the fastest, where several join them) between nodes a[i] and b[i]; -1 when none does."""
        _, keys, edges = self._pairs(mode)
        wanted = np.asarray(a, dtype=np.int64) * self.n_nodes + np.asarray(b, dtype=np.int64)
        if len(keys) == 0:
            return np.full(wanted.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        return np.where(keys[pos] == wanted, edges[pos], -1)

    def _pairs(self, mode: str):
        _check_mode(mode)
        pairs = self._cache.setdefault("pairs", {})
        if mode not in pairs:
            pairs[mode] = _symmetric_csr(self.edge_u, self.edge_v, self.edge_seconds(mode), self.n_nodes)
        return pairs[mode]

    @property
    def node_tree(self) -> cKDTree:
        """KD-tree of the nodes in metres."""
        if "node_tree" not in self._cache:
            self._cache["node_tree"] = cKDTree(self.node_xy_m)
        return self._cache["node_tree"]

    @property
    def edge_tree(self) -> shapely.STRtree:
        """R-tree of the edges as straight segments in metres (for nearest-edge queries)."""
        if "edge_tree" not in self._cache:
            self._cache["edge_tree"] = shapely.STRtree(self.edge_segments_m)
        return self._cache["edge_tree"]

    @property
    def edge_segments_m(self) -> np.ndarray:
        """Each edge as a shapely segment in metres."""
        if "segments" not in self._cache:
            ends = np.stack([self.node_xy_m[self.edge_u], self.node_xy_m[self.edge_v]], axis=1)
            self._cache["segments"] = shapely.linestrings(ends)
        return self._cache["segments"]


@dataclass(frozen=True, eq=False)
class EdgeSnap:
    """Points placed on edges: the edge, how far along it (0 at ``edge_u``, 1 at ``edge_v``), and the gap.

    ``edge`` is -1 for a point that could not be placed (no edge, or none of the road it was restricted to).
    """

    edge: np.ndarray
    fraction: np.ndarray
    distance_m: np.ndarray


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Fastest travel times from a set of sources to every node.

    Attributes
    ----------
    seconds : ndarray of float64, shape (n_nodes,)
        Seconds from the nearest source; ``inf`` where beyond ``limit_seconds`` or unreachable.
    source : ndarray of int64, shape (n_nodes,)
        Index (into the sources passed) of the source that node is fastest reached from; -1 where unreached.
    predecessor : ndarray of int64, shape (n_nodes,)
        Previous node on that fastest path; -1 at the first node of a path and where unreached.
    mode : str
        "drive" or "walk".
    limit_seconds : float
        The search limit.
    origin : EdgeSnap or None
        For sources that are points on edges (``travel_times_from_points``): where they are, so times to
        other points on the same edge can go straight along it.
    origin_seconds : ndarray of float64 or None
        Per point source, the seconds spent before reaching its edge (access leg plus any start offset).
    """

    seconds: np.ndarray
    source: np.ndarray
    predecessor: np.ndarray
    mode: str
    limit_seconds: float
    origin: EdgeSnap | None = None
    origin_seconds: np.ndarray | None = None


def as_geometries(roads) -> np.ndarray:
    """An object array of shapely geometries from shapely geometries or WKB blobs (None stays None)."""
    items = roads if isinstance(roads, np.ndarray) and roads.dtype == object else np.asarray(list(roads), dtype=object)
    first = next((g for g in items if g is not None), None)
    if _is_wkb(first):
        return shapely.from_wkb(np.array([bytes(g) if g is not None else None for g in items], dtype=object))
    return items


def _is_wkb(value) -> bool:
    return isinstance(value, bytes | bytearray | memoryview)


def build_road_graph(roads, speed_kmh, *, road_class: Sequence[str] | None = None,
                     snap_tolerance_m: float = SNAP_TOLERANCE_M) -> RoadGraph:
    """Build a routable graph from road linestrings.

    Parameters
    ----------
    roads : sequence of shapely LineString / MultiLineString, or of WKB bytes
        Road centrelines, WGS84 (x = lon, y = lat). Missing or empty geometries add no edges.
    speed_kmh : array-like of float
        Driving speed of each road. A missing (NaN) or non-positive speed takes the default speed of
        the road's class (``data_pipeline.kinds.DEFAULT_SPEED_KMH``) when ``road_class`` is given.
    road_class : sequence of str, optional
        Class of each road (motorway … other), used only to fill missing speeds.
    snap_tolerance_m : float
        Vertices closer than this are merged into one node (see ``SNAP_TOLERANCE_M``).

    Returns
    -------
    RoadGraph
        One edge per consecutive vertex pair (zero-length pairs dropped), ``edge_road`` pointing back
        at the input order.
    """
    geoms = as_geometries(roads)
    speeds = road_speeds_kmh(speed_kmh, road_class, len(geoms))
    parts, part_road = shapely.get_parts(geoms, return_index=True)
    coords, vertex_part = shapely.get_coordinates(parts, return_index=True)
    node_of_vertex, vertex_xy, node_lat, node_lon, node_xy, frame = _vertices_to_nodes(coords, snap_tolerance_m)

    # Consecutive vertices of the same part form an edge; the last vertex of a part starts none.
    same_part = vertex_part[1:] == vertex_part[:-1]
    first = np.flatnonzero(same_part)
    u, v = node_of_vertex[first], node_of_vertex[first + 1]
    # Lengths from the vertices as digitised, not from the merged node positions.
    length_m = np.hypot(*(vertex_xy[first + 1] - vertex_xy[first]).T)
    keep = u != v   # vertices merged into one node: nothing to travel
    road = part_road[vertex_part[first]]
    return RoadGraph(
        node_lat=node_lat, node_lon=node_lon, node_xy_m=node_xy,
        edge_u=u[keep].astype(np.int64), edge_v=v[keep].astype(np.int64), edge_road=road[keep].astype(np.int64),
        edge_length_m=length_m[keep], edge_speed_kmh=speeds[road[keep]], frame=frame,
    )


def road_speeds_kmh(speed_kmh, road_class: Sequence[str] | None, n_roads: int) -> np.ndarray:
    """Per-road speeds, missing ones from the class defaults; raises if one is still missing."""
    speeds = np.broadcast_to(np.asarray(speed_kmh, dtype=float), (n_roads,)).copy()
    missing = ~(np.isfinite(speeds) & (speeds > 0))
    if missing.any() and road_class is not None:
        from data_pipeline.kinds import DEFAULT_SPEED_KMH

        classes = np.asarray(road_class, dtype=object)
        speeds[missing] = [DEFAULT_SPEED_KMH.get(c, DEFAULT_SPEED_KMH["other"]) for c in classes[missing]]
        missing = ~(np.isfinite(speeds) & (speeds > 0))
    if missing.any():
        raise ValueError(f"{int(missing.sum())} roads have no positive speed_kmh (and no road_class to default from)")
    return speeds


def _vertices_to_nodes(coords: np.ndarray, tolerance_m: float):
    """Node and xy of each vertex; the nodes' lat, lon and xy; the frame the xy are in."""
    if len(coords) == 0:
        empty = np.empty(0)
        return np.empty(0, dtype=np.int64), np.empty((0, 2)), empty, empty, np.empty((0, 2)), LocalFrame(0.0, 0.0)
    # Shared vertices are bit-identical in OSM: merge those exactly (cheap), then project only the rest.
    lonlat = np.ascontiguousarray(coords[:, :2], dtype=np.float64)
    unique, inverse = np.unique(lonlat.view(np.complex128).ravel(), return_inverse=True)
    lon, lat = unique.real, unique.imag
    frame = LocalFrame.around(lat, lon)
    xy = frame.to_xy_m(lat, lon)
    labels = np.arange(len(unique))
    if tolerance_m > 0:
        pairs = cKDTree(xy).query_pairs(tolerance_m, output_type="ndarray")
        if len(pairs):
            graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(unique),) * 2)
            _, labels = connected_components(graph, directed=False)
    n = int(labels.max()) + 1
    counts = np.bincount(labels, minlength=n)

    def mean(values):
        return np.bincount(labels, weights=values, minlength=n) / counts

    node_xy = np.column_stack([mean(xy[:, 0]), mean(xy[:, 1])])
    inverse = inverse.ravel()
    return labels[inverse].astype(np.int64), xy[inverse], mean(lat), mean(lon), node_xy, frame


def _symmetric_csr(u, v, seconds, n_nodes):
    """CSR of both directions of every edge, the fastest edge per node pair; with sorted pair keys → edge."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    data = np.concatenate([seconds, seconds])
    edge = np.concatenate([np.arange(len(u)), np.arange(len(u))])
    # Two roads digitised over the same segment give a node pair twice: keep the fastest only, so each
    # pair has one entry and one edge for path lookups (a coo → csr conversion would sum them instead).
    order = np.lexsort((data, cols, rows))
    rows, cols, data, edge = rows[order], cols[order], data[order], edge[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, data, edge = rows[first], cols[first], data[first], edge[first]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_nodes), out=indptr[1:])
    index_dtype = np.int32 if n_nodes < 2**31 - 1 else np.int64
    matrix = csr_matrix((data, cols.astype(index_dtype), indptr.astype(index_dtype)), shape=(n_nodes, n_nodes))
    return matrix, rows * n_nodes + cols, edge


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown travel mode {mode!r}; expected one of {', '.join(MODES)}")


def nearest_nodes(graph: RoadGraph, lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """The nearest node of each point and its distance in metres (-1 and inf on an empty graph)."""
    xy = graph.frame.to_xy_m(lat, lon)
    if graph.n_nodes == 0:
        return np.full(len(xy), -1, dtype=np.int64), np.full(len(xy), np.inf)
    distance_m, node = graph.node_tree.query(xy)
    return node.astype(np.int64), distance_m


def snap_to_edges(graph: RoadGraph, lat, lon) -> EdgeSnap:
    """The nearest point on any edge for each point: edge, fraction along it, perpendicular distance (m)."""
    xy = graph.frame.to_xy_m(lat, lon)
    if graph.n_edges == 0 or len(xy) == 0:
        return EdgeSnap(np.full(len(xy), -1, dtype=np.int64), np.zeros(len(xy)), np.full(len(xy), np.inf))
    point_idx, edge_idx = graph.edge_tree.query_nearest(shapely.points(xy), all_matches=False)
    edge = np.full(len(xy), -1, dtype=np.int64)
    edge[point_idx] = edge_idx
    fraction, distance_m = _project_on_edges(graph, xy, edge)
    return EdgeSnap(edge, fraction, distance_m)


def locate_on_roads(graph: RoadGraph, lat, lon, road) -> EdgeSnap:
    """The nearest point on one given road's edges (e.g. where that road crosses a ring line).

    ``road`` indexes the roads the graph was built from; a road without edges gives edge -1.
    """
    xy = graph.frame.to_xy_m(lat, lon)
    road = np.asarray(road, dtype=np.int64).ravel()
    order = np.argsort(graph.edge_road, kind="stable")
    start = np.searchsorted(graph.edge_road[order], road, side="left")
    stop = np.searchsorted(graph.edge_road[order], road, side="right")
    counts = stop - start
    # Every (point, candidate edge) pair in one flat array, then the closest candidate per point.
    point_rep = np.repeat(np.arange(len(road)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    edge_rep = order[np.repeat(start, counts) + offset]
    fraction_rep, distance_rep = _project_on_edges(graph, xy[point_rep], edge_rep)
    best = np.lexsort((distance_rep, point_rep))
    first = np.ones(len(best), dtype=bool)
    first[1:] = point_rep[best][1:] != point_rep[best][:-1]
    chosen = best[first]
    edge = np.full(len(road), -1, dtype=np.int64)
    fraction = np.zeros(len(road))
    distance_m = np.full(len(road), np.inf)
    edge[point_rep[chosen]] = edge_rep[chosen]
    fraction[point_rep[chosen]] = fraction_rep[chosen]
    distance_m[point_rep[chosen]] = distance_rep[chosen]
    return EdgeSnap(edge, fraction, distance_m)


def _project_on_edges(graph: RoadGraph, xy: np.ndarray, edge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fraction along each edge of the closest point to xy, and the distance to it (inf for edge -1)."""
    valid = edge >= 0
    e = np.where(valid, edge, 0)
    if graph.n_edges == 0:
        return np.zeros(len(edge)), np.full(len(edge), np.inf)
    a = graph.node_xy_m[graph.edge_u[e]]
    b = graph.node_xy_m[graph.edge_v[e]]
    ab = b - a
    length_sq = np.einsum("ij,ij->i", ab, ab)
    t = np.einsum("ij,ij->i", xy - a, ab) / np.where(length_sq > 0, length_sq, 1.0)
    t = np.clip(t, 0.0, 1.0)
    distance_m = np.hypot(*(a + t[:, None] * ab - xy).T)
    return np.where(valid, t, 0.0), np.where(valid, distance_m, np.inf)


def travel_times(graph: RoadGraph, source_nodes, *, start_seconds=None, limit_seconds: float = np.inf,
                 mode: str = "drive") -> TravelTimes:
    """Fastest travel time from the nearest of several source nodes to every node (one dijkstra).

    Parameters
    ----------
    graph : RoadGraph
    source_nodes : array-like of int
        Nodes the search starts from.
    start_seconds : array-like of float, optional
        Seconds already spent when each source starts (e.g. an access leg from off the road). Without
        them one ``dijkstra(min_only=True)`` runs from the nodes; with them the search starts at a
        virtual node joined to each source by an edge of its start seconds.
    limit_seconds : float
        Nodes farther than this are left at ``inf`` (the search stops there, which is what makes
        five-minute reach cheap on a large network).
    mode : {"drive", "walk"}
        Road speeds, or ``WALKING_SPEED_KMH`` everywhere (foot patrols).

    Returns
    -------
    TravelTimes
    """
    _check_mode(mode)
    nodes = np.asarray(source_nodes, dtype=np.int64).ravel()
    start = np.zeros(len(nodes)) if start_seconds is None else np.asarray(start_seconds, dtype=float).ravel()
    n = graph.n_nodes
    valid = (nodes >= 0) & (nodes < n) & np.isfinite(start)
    if not valid.any():
        return TravelTimes(np.full(n, np.inf), np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64),
                           mode, float(limit_seconds))
    # One entry per node: the source that starts there earliest (first given on ties).
    order = np.lexsort((np.arange(len(nodes)), start, nodes))
    order = order[valid[order]]
    first = np.ones(len(order), dtype=bool)
    first[1:] = nodes[order][1:] != nodes[order][:-1]
    best = order[first]
    source_at_node = np.full(n, -1, dtype=np.int64)
    source_at_node[nodes[best]] = best
    if not np.any(start[best] > 0):
        seconds, predecessor, reached_from = dijkstra(graph.csr(mode), directed=True, indices=nodes[best],
                                                      min_only=True, return_predecessors=True, limit=limit_seconds)
        source = np.where(reached_from >= 0, source_at_node[np.maximum(reached_from, 0)], -1)
    else:
        matrix = _with_virtual_sources(graph.csr(mode), np.zeros(len(best), dtype=np.int64), nodes[best],
                                       start[best], 1)
        seconds, predecessor = dijkstra(matrix, directed=True, indices=n, return_predecessors=True,
                                        limit=limit_seconds)
        seconds, predecessor = seconds[:n], predecessor[:n]
        predecessor = np.where(predecessor == n, _SCIPY_NO_PREDECESSOR, predecessor)
        source = np.where(np.isfinite(seconds), source_at_node[_tree_roots(predecessor)], -1)
    predecessor = np.where(predecessor == _SCIPY_NO_PREDECESSOR, -1, predecessor).astype(np.int64)
    return TravelTimes(seconds, source.astype(np.int64), predecessor, mode, float(limit_seconds))


def _tree_roots(predecessor: np.ndarray) -> np.ndarray:
    """Root of each node's shortest-path tree, by pointer jumping (log₂ of the deepest path in passes)."""
    parent = np.where(predecessor >= 0, predecessor, np.arange(len(predecessor)))
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent = grand


def travel_times_from_points(graph: RoadGraph, lat, lon, *, limit_seconds: float = np.inf, mode: str = "drive",
                             start_seconds=None, access_speed_kmh: float = WALKING_SPEED_KMH) -> TravelTimes:
    """Fastest travel time from the nearest of several points (units, an incident) to every node.

    Each point is placed on its nearest edge; it reaches that edge's two end nodes along the edge, after
    an access leg over its distance from the edge at ``access_speed_kmh`` (``np.inf``: no access time).
    ``source`` in the result indexes the points.
    """
    snap = snap_to_edges(graph, lat, lon)
    access_s = snap.distance_m / (access_speed_kmh * _KMH_TO_MS)
    if start_seconds is not None:
        access_s = access_s + np.asarray(start_seconds, dtype=float)
    placed = snap.edge >= 0
    edge = np.where(placed, snap.edge, 0)
    edge_s = graph.edge_seconds(mode)[edge] if graph.n_edges else np.zeros(len(edge))
    nodes = np.concatenate([np.where(placed, graph.edge_u[edge] if graph.n_edges else -1, -1),
                            np.where(placed, graph.edge_v[edge] if graph.n_edges else -1, -1)])
    start = np.concatenate([access_s + snap.fraction * edge_s, access_s + (1 - snap.fraction) * edge_s])
    times = travel_times(graph, nodes, start_seconds=start, limit_seconds=limit_seconds, mode=mode)
    owner = np.concatenate([np.arange(len(edge)), np.arange(len(edge))])
    source = np.where(times.source >= 0, owner[np.maximum(times.source, 0)], -1)
    return TravelTimes(times.seconds, source, times.predecessor, mode, float(limit_seconds), snap, access_s)


def seconds_at_edge_points(graph: RoadGraph, times: TravelTimes, edge, fraction) -> tuple[np.ndarray, np.ndarray]:
    """Travel seconds to points on edges, and the source each is reached from.

    A point at ``fraction`` along edge (u, v) is reached through u or v, whichever is sooner; a point on
    the same edge as a point source is also reached straight along the edge. Points beyond the search
    limit (or on edge -1) are ``inf`` with source -1.
    """
    edge = np.asarray(edge, dtype=np.int64).ravel()
    fraction = np.asarray(fraction, dtype=float).ravel()
    if graph.n_edges == 0:
        return np.full(len(edge), np.inf), np.full(len(edge), -1, dtype=np.int64)
    valid = edge >= 0
    e = np.where(valid, edge, 0)
    edge_s = graph.edge_seconds(times.mode)[e]
    u, v = graph.edge_u[e], graph.edge_v[e]
    via_u = times.seconds[u] + fraction * edge_s
    via_v = times.seconds[v] + (1 - fraction) * edge_s
    seconds = np.minimum(via_u, via_v)
    source = np.where(via_u <= via_v, times.source[u], times.source[v])
    if times.origin is not None:
        seconds, source = _along_origin_edges(times, edge, fraction, edge_s, seconds, source)
    reached = valid & (seconds <= times.limit_seconds)
    return np.where(reached, seconds, np.inf), np.where(reached, source, -1)


def _along_origin_edges(times, edge, fraction, edge_s, seconds, source):
    """Improve points that share an edge with a point source by going straight along that edge."""
    origin_edge = times.origin.edge
    by_edge = np.argsort(edge, kind="stable")
    sorted_edges = edge[by_edge]
    for k in np.flatnonzero(origin_edge >= 0):
        lo, hi = np.searchsorted(sorted_edges, origin_edge[k], "left"), np.searchsorted(sorted_edges, origin_edge[k],
                                                                                         "right")
        if lo == hi:
            continue
        idx = by_edge[lo:hi]
        direct = times.origin_seconds[k] + np.abs(fraction[idx] - times.origin.fraction[k]) * edge_s[idx]
        better = direct < seconds[idx]
        seconds[idx[better]] = direct[better]
        source[idx[better]] = k
    return seconds, source


def path_nodes(times: TravelTimes, node: int) -> np.ndarray:
    """Nodes of the fastest path from its source to ``node`` (empty when ``node`` was not reached)."""
    if not np.isfinite(times.seconds[node]):
        return np.empty(0, dtype=np.int64)
    path = [int(node)]
    while times.predecessor[path[-1]] >= 0:
        path.append(int(times.predecessor[path[-1]]))
    return np.array(path[::-1], dtype=np.int64)


def path_edges(graph: RoadGraph, nodes: np.ndarray, mode: str = "drive") -> np.ndarray:
    """The edges along a node path."""
    nodes = np.asarray(nodes, dtype=np.int64)
    return graph.edges_between(nodes[:-1], nodes[1:], mode)


def edge_points_latlng(graph: RoadGraph, edge, fraction) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of points at ``fraction`` along edges (linear between the end nodes)."""
    edge = np.asarray(edge, dtype=np.int64)
    fraction = np.asarray(fraction, dtype=float)
    u, v = graph.edge_u[edge], graph.edge_v[edge]
    lat = graph.node_lat[u] + fraction * (graph.node_lat[v] - graph.node_lat[u])
    lon = graph.node_lon[u] + fraction * (graph.node_lon[v] - graph.node_lon[u])
    return lat, lon


def route_line(graph: RoadGraph, times: TravelTimes, edge: int, fraction: float) -> shapely.LineString | None:
    """The fastest route (lon/lat LineString) from the sources to a point on an edge; None if unreached.

    Starts at the point source's position on its edge when the sources were points.
    """
    seconds, source = seconds_at_edge_points(graph, times, [edge], [fraction])
    if not np.isfinite(seconds[0]):
        return None
    end_lat, end_lon = edge_points_latlng(graph, [edge], [fraction])
    edge_s = graph.edge_seconds(times.mode)[edge]
    u, v = graph.edge_u[edge], graph.edge_v[edge]
    via_u = times.seconds[u] + fraction * edge_s
    via_v = times.seconds[v] + (1 - fraction) * edge_s
    src = int(source[0])
    lats: list[float] = []
    lons: list[float] = []
    straight = (times.origin is not None and src >= 0 and times.origin.edge[src] == edge
                and seconds[0] < min(via_u, via_v))
    if not straight:
        nodes = path_nodes(times, u if via_u <= via_v else v)
        lats, lons = list(graph.node_lat[nodes]), list(graph.node_lon[nodes])
    if times.origin is not None and src >= 0:
        start_lat, start_lon = edge_points_latlng(graph, [times.origin.edge[src]], [times.origin.fraction[src]])
        lats, lons = [float(start_lat[0]), *lats], [float(start_lon[0]), *lons]
    lats.append(float(end_lat[0]))
    lons.append(float(end_lon[0]))
    if len(lats) == 1:
        lats.append(lats[0])
        lons.append(lons[0])
    return shapely.LineString(np.column_stack([lons, lats]))


# Rows × nodes of float64 that one batched dijkstra returns (8 MB): scipy's output is dense, and
# batches that stay this small cost less than fewer, larger ones that must be freshly paged in.
_BATCH_CELLS = 1_000_000


def seconds_from_each_point(graph: RoadGraph, snap: EdgeSnap, access_seconds, *, limit_seconds: float,
                            mode: str = "drive"):
    """Travel seconds from each point separately to every node: one limited dijkstra per point, batched.

    A batch is one scipy call on the graph plus one virtual node per point, joined to the ends of the
    point's edge, so thousands of points cost thousands of small limited searches in C, not thousands
    of Python round trips.

    Parameters
    ----------
    graph : RoadGraph
    snap : EdgeSnap
        The points, placed with ``snap_to_edges``; points with edge -1 reach nothing.
    access_seconds : array-like of float
        Seconds each point spends before it is on its edge (the access leg; see
        ``travel_times_from_points``).
    limit_seconds : float
        Search limit per point.
    mode : {"drive", "walk"}

    Yields
    ------
    indices : ndarray of int64
        The points of this batch.
    seconds : ndarray of float64, shape (len(indices), n_nodes)
        Seconds from each of those points to every node (``inf`` beyond ``limit_seconds``).
    """
    _check_mode(mode)
    access_s = np.broadcast_to(np.asarray(access_seconds, dtype=float), snap.edge.shape)
    n = graph.n_nodes
    batch = max(1, _BATCH_CELLS // max(n, 1))
    csr = graph.csr(mode)
    edge_s = graph.edge_seconds(mode)
    for lo in range(0, len(snap.edge), batch):
        idx = np.arange(lo, min(lo + batch, len(snap.edge)))
        placed = idx[snap.edge[idx] >= 0]
        if len(placed) == 0:
            yield idx, np.full((len(idx), n), np.inf)
            continue
        e = snap.edge[placed]
        f = snap.fraction[placed]
        rows = np.concatenate([np.arange(len(placed)), np.arange(len(placed))])
        nodes = np.concatenate([graph.edge_u[e], graph.edge_v[e]])
        start = np.concatenate([access_s[placed] + f * edge_s[e], access_s[placed] + (1 - f) * edge_s[e]])
        matrix = _with_virtual_sources(csr, rows, nodes, start, len(placed))
        found = dijkstra(matrix, directed=True, indices=np.arange(n, n + len(placed)), limit=limit_seconds)[:, :n]
        if len(placed) < len(idx):
            seconds = np.full((len(idx), n), np.inf)
            seconds[placed - lo] = found
            found = seconds
        yield idx, found


def _with_virtual_sources(matrix: csr_matrix, rows: np.ndarray, nodes: np.ndarray, seconds: np.ndarray,
                          n_virtual: int) -> csr_matrix:
    """The graph plus ``n_virtual`` nodes (n, n+1, …); virtual node n + rows[i] has an edge to nodes[i]."""
    n = matrix.shape[0]
    order = np.lexsort((nodes, rows))
    counts = np.bincount(rows, minlength=n_virtual)
    indptr = np.concatenate([matrix.indptr, matrix.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([matrix.indices, nodes[order].astype(matrix.indices.dtype)])
    data = np.concatenate([matrix.data, seconds[order]])
    size = n + n_virtual
    return csr_matrix((data, indices, indptr.astype(matrix.indptr.dtype)), shape=(size, size))
