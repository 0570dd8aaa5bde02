"""Which jurisdiction polygon contains each point, for millions of points.

An exact point-in-polygon test on detailed outlines costs microseconds a point. Most points, though, lie
in an H3 cell that is wholly inside one polygon; those are answered by a sorted-array lookup of their
parent cell, and only points in cells that straddle a boundary get the exact shapely test.
"""
from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np
import shapely

from data_pipeline.h3cells import cell_to_parent, str_to_cell

# Average hexagon area (km²) by H3 resolution, from the H3 documentation's table.
# Only the map resolutions: every stored point carries its exact cell at these (h3_r7 .. h3_r10).
_HEX_AREA_KM2 = {7: 5.161, 8: 0.7373, 9: 0.1053, 10: 0.01504}
# A polygon should hold this many lookup cells: then nearly all of its points skip the exact test.
_CELLS_PER_POLYGON = 60
# Cap on lookup cells per level, to bound build time on a province-wide layer.
_MAX_LOOKUP_CELLS = 2_000_000
# Margin (in hexagon edge lengths, measured in degrees: generous in both axes) an interior cell keeps
# to its polygon's boundary; three times the largest overhang of a cell's res-15 descendants.
_DESCENDANT_MARGIN = 0.5


@dataclass(frozen=True)
class ZoneIndex:
    """Polygons of one jurisdiction level with their interior-cell lookup."""

    ids: np.ndarray            # object array of zone ids, position = zone code
    polygons: np.ndarray       # shapely geometries, same order
    res: int                   # lookup resolution
    interior_cells: np.ndarray  # sorted int64 cells wholly inside one polygon
    interior_codes: np.ndarray  # zone code of each interior cell
    tree: shapely.STRtree

    def assign_codes(self, lon: np.ndarray, lat: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Zone code of each point (-1 where no polygon contains it).

        ``cells`` are the points' H3 cells at ``self.res`` (exact) or any finer resolution (their parent
        is looked up; the interior cells keep a margin for the overhang of non-nesting children).
        """
        codes = np.full(len(lon), -1, dtype=np.int64)
        if len(lon) == 0 or len(self.ids) == 0:
            return codes
        parents = cell_to_parent(cells, self.res)
        pos = np.searchsorted(self.interior_cells, parents)
        pos_clipped = np.minimum(pos, max(len(self.interior_cells) - 1, 0))
        hit = (len(self.interior_cells) > 0) & (self.interior_cells[pos_clipped] == parents)
        codes[hit] = self.interior_codes[pos_clipped[hit]]
        rest = np.flatnonzero(~hit)
        if len(rest):
            points = shapely.points(lon[rest], lat[rest])
            point_idx, zone_idx = self.tree.query(points, predicate="intersects")
            # A point on a shared edge touches two polygons: keep the first match.
            first = np.unique(point_idx, return_index=True)[1]
            codes[rest[point_idx[first]]] = zone_idx[first]
        return codes

    def assign(self, lon: np.ndarray, lat: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Zone id of each point (None where no polygon contains it)."""
        codes = self.assign_codes(lon, lat, cells)
        out = np.full(len(codes), None, dtype=object)
        inside = codes >= 0
        out[inside] = self.ids[codes[inside]]
        return out


def build_zone_index(ids, polygons) -> ZoneIndex:
    """Index ``polygons`` (WGS84 shapely geometries) under ``ids``."""
    ids = np.asarray(list(ids), dtype=object)
    polygons = np.asarray(list(polygons), dtype=object)
    res = _lookup_resolution(polygons)
    cell_lists = [_interior_cells(p, res) for p in polygons]
    cells = np.concatenate(cell_lists or [np.empty(0, np.int64)]).astype(np.int64)
    codes = np.concatenate([np.full(len(c), i, np.int64) for i, c in enumerate(cell_lists)] or
                           [np.empty(0, np.int64)])
    # A cell claimed by two overlapping polygons is ambiguous: leave it to the exact test.
    unique, first, counts = np.unique(cells, return_index=True, return_counts=True)
    keep = counts == 1
    shapely.prepare(polygons)
    return ZoneIndex(ids, polygons, res, unique[keep], codes[first[keep]], shapely.STRtree(polygons))


def _lookup_resolution(polygons: np.ndarray) -> int:
    if len(polygons) == 0:
        return 7
    mean_area_km2 = float(np.mean(_area_km2(polygons)))
    total_km2 = float(np.sum(_area_km2(polygons)))
    for res in sorted(_HEX_AREA_KM2):
        fine_enough = mean_area_km2 / _HEX_AREA_KM2[res] >= _CELLS_PER_POLYGON
        if fine_enough and total_km2 / _HEX_AREA_KM2[res] <= _MAX_LOOKUP_CELLS:
            return res
    return max(r for r in _HEX_AREA_KM2 if total_km2 / _HEX_AREA_KM2[r] <= _MAX_LOOKUP_CELLS)


def _area_km2(polygons: np.ndarray) -> np.ndarray:
    # Equirectangular approximation: enough to pick a lookup resolution.
    lat = shapely.get_y(shapely.centroid(polygons))
    return shapely.area(polygons) * (111.32 ** 2) * np.cos(np.radians(lat))


def _interior_cells(polygon, res: int) -> np.ndarray:
    """Cells at ``res`` whose whole hexagon lies inside ``polygon``."""
    candidates = []
    for part in getattr(polygon, "geoms", [polygon]):
        shape = h3.LatLngPoly([(y, x) for x, y in part.exterior.coords],
                              *[[(y, x) for x, y in ring.coords] for ring in part.interiors])
        candidates.extend(h3.polygon_to_cells(shape, res))
    if not candidates:
        return np.empty(0, dtype=np.int64)
    shapely.prepare(polygon)
    rings = [np.array([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in candidates]
    hexagons = shapely.polygons(rings)
    # Points are looked up by the parent of their res-15 cell, and H3 children do not nest exactly: a
    # point whose res-15 cell has this parent can lie up to ~0.16 edge lengths outside the hexagon.
    # So a lookup cell must lie inside with a margin to spare.
    edges = np.array([np.hypot(*np.diff(r, axis=0, append=r[:1]).T).max() for r in rings])
    inside = shapely.contains_properly(polygon, shapely.buffer(hexagons, _DESCENDANT_MARGIN * edges, quad_segs=2))
    return np.array([str_to_cell(c) for c, ok in zip(candidates, inside, strict=True) if ok], dtype=np.int64)
