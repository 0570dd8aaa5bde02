"""Shared helpers of the demo scenario: random sub-streams and the metric projection.

Coordinate order is stated once here: every helper takes and returns ``(x, y)`` =
``(lon, lat)`` for geographic coordinates and ``(easting, northing)`` in metres for the
metric ones.  The scenario is built in UTM zone 48N (metres) and converted to WGS84
degrees only when a public frame is assembled.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

# UTM zone 48N covers 102°E-108°E, so Emeishan (103.2°E-103.6°E) sits well inside it
# and distances/areas computed in it are off by less than 0.1 %.
METRIC_CRS = "EPSG:32648"
GEOGRAPHIC_CRS = "EPSG:4326"

_TO_METRIC = Transformer.from_crs(GEOGRAPHIC_CRS, METRIC_CRS, always_xy=True)
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, GEOGRAPHIC_CRS, always_xy=True)


def substream(seed: int, name: str, *extra: int) -> np.random.Generator:
    """Return the random generator of one named part of the scenario.

    Each part (roads, cameras, ...) draws from its own stream so that changing one part
    never shifts the random numbers of another.  ``zlib.crc32`` is used instead of
    ``hash`` because Python salts string hashes per process.
    """
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8")), *extra])


def lonlat_to_xy(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 lon/lat degrees to metric UTM 48N eastings/northings."""
    return _TO_METRIC.transform(np.asarray(lon, float), np.asarray(lat, float))


def xy_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unproject metric UTM 48N eastings/northings to WGS84 lon/lat degrees."""
    return _TO_LONLAT.transform(np.asarray(x, float), np.asarray(y, float))


def latlon_to_xy(lat: float, lon: float) -> tuple[float, float]:
    """Project one (lat, lon) pair, the order used by the gazetteer tables."""
    x, y = _TO_METRIC.transform(lon, lat)
    return float(x), float(y)


def geometry_to_metric(geom: BaseGeometry) -> BaseGeometry:
    """Project a lon/lat geometry to metres."""
    return shapely.transform(geom, lambda xy: np.column_stack(lonlat_to_xy(xy[:, 0], xy[:, 1])))


def geometry_to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """Unproject a metric geometry to lon/lat degrees."""
    return shapely.transform(geom, lambda xy: np.column_stack(xy_to_lonlat(xy[:, 0], xy[:, 1])))


def polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygons of a geometry (clipping may leave slivers of lines/points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


# Guide-table size for discrete draws: two buckets per outcome keep the correction walk
# under one step on average.
GUIDE_BUCKETS_PER_ENTRY = 2
GUIDE_MIN_BUCKETS = 64

# Clipping Voronoi cells leaves slivers of a few square metres; they are dropped.
SLIVER_AREA_M2 = 50.0
# Snapping grid (m) that removes near-duplicate vertices before the WGS84 conversion.
PRECISION_M = 0.01


def tidy(geom: BaseGeometry) -> BaseGeometry:
    """Valid polygonal geometry without slivers or pinholes, on a 1 cm grid (metric input)."""
    geom = polygonal_part(shapely.make_valid(shapely.set_precision(geom, PRECISION_M)))
    parts = [_without_pinholes(g) for g in getattr(geom, "geoms", [geom]) if g.area >= SLIVER_AREA_M2]
    if len(parts) == 1:
        return parts[0]
    return shapely.MultiPolygon(parts) if parts else shapely.Polygon()


def _without_pinholes(polygon: shapely.Polygon) -> shapely.Polygon:
    holes = [r for r in polygon.interiors if shapely.Polygon(r).area >= SLIVER_AREA_M2]
    return polygon if len(holes) == len(polygon.interiors) else shapely.Polygon(polygon.exterior, holes)


def clip_to(geom: BaseGeometry, parent: BaseGeometry) -> BaseGeometry:
    """``geom`` cut to ``parent`` on the same 1 cm grid, so the child never pokes out."""
    return tidy(shapely.intersection(geom, parent, grid_size=PRECISION_M))


def random_points_in(polygon: BaseGeometry, count: int, rng: np.random.Generator,
                     weight=None) -> np.ndarray:
    """Draw ``count`` points uniformly (or with a 0..1 acceptance ``weight(x, y)``) in a polygon.

    Returns an ``(count, 2)`` array of metric coordinates.
    """
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    total = 0
    while total < count:
        batch = max(256, 4 * (count - total))
        x = rng.uniform(minx, maxx, batch)
        y = rng.uniform(miny, maxy, batch)
        keep = shapely.contains_xy(polygon, x, y)
        if weight is not None:
            keep &= rng.random(batch) < weight(x, y)
        pts = np.column_stack([x[keep], y[keep]])
        found.append(pts)
        total += len(pts)
    return np.concatenate(found)[:count]


def voronoi_cells(points: np.ndarray, clip: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cells of ``points`` clipped to ``clip``, in the order of ``points``."""
    if len(points) == 1:
        return [clip]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=clip.envelope.buffer(1_000),
                                     ordered=True)
    return [tidy(cell.intersection(clip)) for cell in cells.geoms]


def lloyd_relax(points: np.ndarray, clip: BaseGeometry, iterations: int) -> np.ndarray:
    """Move points to the centroids of their clipped Voronoi cells, spreading them evenly."""
    for _ in range(iterations):
        cells = voronoi_cells(points, clip)
        points = np.array([[c.centroid.x, c.centroid.y] if not c.is_empty else p
                           for c, p in zip(cells, points)])
    return points


def largest_remainder(weights: Iterable[float], total: int, minimum: int = 0) -> np.ndarray:
    """Split an integer ``total`` proportionally to ``weights`` (each share at least ``minimum``)."""
    w = np.asarray(list(weights), float)
    rest = total - minimum * len(w)
    raw = w / w.sum() * rest
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: rest - counts.sum()]] += 1
    return counts + minimum


@dataclass(frozen=True)
class StackedCum:
    """Several discrete distributions, drawn from together with a guide table.

    Table ``k``'s cumulative weights are stored shifted by ``k`` (from ``k`` to ``k + 1``).
    A guide table (Chen's method) maps ``u`` in [0, 1) to the first candidate index of
    table ``key``; a short correction walk then gives exactly
    ``searchsorted(cum_k, u, side="right")`` at a fraction of the cost of a binary search.
    """

    flat: np.ndarray  # shifted cumulative weights of all tables
    starts: np.ndarray  # start of each table in ``flat``, plus the total length
    guide: np.ndarray  # first candidate (index into ``flat``) per guide bucket
    guide_starts: np.ndarray  # start of each table's buckets in ``guide``
    buckets: np.ndarray  # number of buckets per table

    @classmethod
    def from_weights(cls, tables: Iterable[Iterable[float]]) -> StackedCum:
        """Build from one weight vector per table (weights need not be normalised)."""
        parts, starts, guides, buckets = [], [0], [], []
        for k, weights in enumerate(tables):
            w = np.asarray(list(weights), float)
            cum = np.cumsum(w) / w.sum()
            cum[-1] = 1.0
            m = max(GUIDE_MIN_BUCKETS, GUIDE_BUCKETS_PER_ENTRY * len(w))
            first = np.searchsorted(cum, np.arange(m) / m, side="right")
            guides.append(starts[-1] + np.minimum(first, len(w) - 1))
            buckets.append(m)
            parts.append(k + cum)
            starts.append(starts[-1] + len(w))
        guide_starts = np.concatenate([[0], np.cumsum(buckets)[:-1]])
        return cls(np.concatenate(parts), np.array(starts), np.concatenate(guides), guide_starts, np.array(buckets))

    def draw_flat(self, key: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Index into the concatenation of all tables, drawn from table ``key[i]`` with ``u[i]``."""
        bucket = self.guide_starts[key] + (u * self.buckets[key]).astype(np.int64)
        pos = self.guide[bucket]
        target = key + u
        last = self.starts[key + 1] - 1
        todo = np.flatnonzero((self.flat[pos] <= target) & (pos < last))
        while len(todo):
            pos[todo] += 1
            todo = todo[(self.flat[pos[todo]] <= target[todo]) & (pos[todo] < last[todo])]
        return pos

    def draw(self, key: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Index *within* table ``key[i]`` drawn with uniform ``u[i]``."""
        return self.draw_flat(key, u) - self.starts[key]


def bearing_deg(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Compass bearing (0 = north, clockwise) of a metric displacement."""
    return np.degrees(np.arctan2(dx, dy)) % 360.0
