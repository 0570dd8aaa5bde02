"""Which jurisdiction polygon contains each point, for millions of points.

An exact point-in-polygon test against every polygon costs microseconds a point. Instead, each point's
exact H3 cell at a lookup resolution (stored anyway: h3_r7 … h3_r10) answers most points at once:
- a cell wholly inside one polygon (and touching no other) → that polygon, by a sorted-array lookup;
- a cell crossed by polygon edges → the exact test, but only against the few polygons that cell touches,
  vectorised per polygon with a prepared geometry (``shapely.contains_xy``);
- a cell touching no polygon → no zone.
"""
from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np
import shapely

from data_pipeline.h3cells import MAP_RESOLUTIONS, cell_polygons, str_to_cell

# Average hexagon area (km²) by H3 resolution (H3 documentation); lookups use the stored map resolutions.
_HEX_AREA_KM2 = {7: 5.161, 8: 0.7373, 9: 0.1053, 10: 0.01504}
# A polygon should hold this many lookup cells: then most of its points skip the exact test.
_CELLS_PER_POLYGON = 60
# Cap on lookup cells per level, to bound build time on a province-wide layer.
_MAX_LOOKUP_CELLS = 2_000_000
# An interior cell's hexagon must be inside its polygon with this margin (degrees, ~0.1 m): H3 edges are
# great-circle arcs, shapely's are straight in lon/lat, and they differ by centimetres on a res-7 edge.
_EDGE_CURVATURE_MARGIN_DEG = 1e-6


@dataclass(frozen=True)
class ZoneIndex:
    """Polygons of one jurisdiction level with their cell lookups."""

    ids: np.ndarray             # object array of zone ids, position = zone code
    polygons: np.ndarray        # shapely geometries (prepared), same order
    res: int                    # lookup resolution: callers pass each point's exact cell at this res
    interior_cells: np.ndarray  # sorted int64 cells wholly inside exactly one polygon
    interior_codes: np.ndarray  # zone code of each interior cell
    edge_cells: np.ndarray      # sorted int64 cells that polygon edges cross
    edge_offsets: np.ndarray    # CSR: candidates of edge_cells[i] are edge_codes[offsets[i]:offsets[i+1]]
    edge_codes: np.ndarray

    def assign_codes(self, lon: np.ndarray, lat: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Zone code of each point (-1 where no polygon contains it); ``cells``: exact cells at ``self.res``."""
        codes = np.full(len(lon), -1, dtype=np.int64)
        if len(lon) == 0 or len(self.ids) == 0:
            return codes
        cells = np.asarray(cells, dtype=np.int64)
        hit, pos = _lookup(self.interior_cells, cells)
        codes[hit] = self.interior_codes[pos[hit]]
        on_edge, edge_pos = _lookup(self.edge_cells, cells)
        points = np.flatnonzero(on_edge & ~hit)
        if len(points):
            self._exact(codes, points, edge_pos[points], np.asarray(lon), np.asarray(lat))
        return codes

    def _exact(self, codes, points, edge_pos, lon, lat) -> None:
        """Test each point against the candidate polygons of its cell, in polygon order (first wins)."""
        starts, ends = self.edge_offsets[edge_pos], self.edge_offsets[edge_pos + 1]
        counts = ends - starts
        pair_point = np.repeat(points, counts)
        pair_zone = self.edge_codes[np.repeat(starts, counts) + _ranges(counts)]
        order = np.lexsort((pair_point, pair_zone))
        pair_point, pair_zone = pair_point[order], pair_zone[order]
        bounds = np.searchsorted(pair_zone, np.arange(len(self.ids) + 1))
        for zone in range(len(self.ids)):
            subset = pair_point[bounds[zone]:bounds[zone + 1]]
            subset = subset[codes[subset] < 0]
            if len(subset):
                inside = shapely.contains_xy(self.polygons[zone], lon[subset], lat[subset])
                codes[subset[inside]] = zone

    def assign(self, lon: np.ndarray, lat: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Zone id of each point (None where no polygon contains it)."""
        codes = self.assign_codes(lon, lat, cells)
        out = np.full(len(codes), None, dtype=object)
        inside = codes >= 0
        out[inside] = self.ids[codes[inside]]
        return out


def _lookup(sorted_cells: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found mask, position) of ``cells`` in ``sorted_cells``."""
    if len(sorted_cells) == 0:
        return np.zeros(len(cells), dtype=bool), np.zeros(len(cells), dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_cells, cells), len(sorted_cells) - 1)
    return sorted_cells[pos] == cells, pos


def _ranges(counts: np.ndarray) -> np.ndarray:
    """Concatenated aranges: [0..c0), [0..c1), …"""
    ends = np.cumsum(counts)
    return np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - counts, counts)


def build_zone_index(ids, polygons) -> ZoneIndex:
    """Index ``polygons`` (WGS84 shapely geometries) under ``ids``."""
    ids = np.asarray(list(ids), dtype=object)
    polygons = np.asarray(list(polygons), dtype=object)
    res = _lookup_resolution(polygons)
    shapely.prepare(polygons)
    touched, interior = [], []
    for code, polygon in enumerate(polygons):
        cells = _touched_cells(polygon, res)
        inside = _inside(polygon, cells)
        touched.append((cells, np.full(len(cells), code, np.int64)))
        interior.append((cells[inside], np.full(int(inside.sum()), code, np.int64)))
    all_cells, all_codes = _stack(touched)
    in_cells, in_codes = _stack(interior)
    # A cell is a pure lookup only if it is interior to one polygon and touches no other.
    unique, counts = np.unique(all_cells, return_counts=True)
    single = unique[counts == 1]
    keep = np.isin(in_cells, single)
    order = np.argsort(in_cells[keep])
    interior_cells, interior_codes = in_cells[keep][order], in_codes[keep][order]
    edge = ~np.isin(all_cells, interior_cells)
    order = np.lexsort((all_codes[edge], all_cells[edge]))
    edge_all, edge_codes = all_cells[edge][order], all_codes[edge][order]
    edge_cells, first = np.unique(edge_all, return_index=True)
    offsets = np.append(first, len(edge_all)).astype(np.int64)
    return ZoneIndex(ids, polygons, res, interior_cells, interior_codes, edge_cells, offsets, edge_codes)


def _stack(pairs) -> tuple[np.ndarray, np.ndarray]:
    if not pairs:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return (np.concatenate([p[0] for p in pairs]).astype(np.int64),
            np.concatenate([p[1] for p in pairs]).astype(np.int64))


def _lookup_resolution(polygons: np.ndarray) -> int:
    if len(polygons) == 0:
        return MAP_RESOLUTIONS[0]
    areas = _area_km2(polygons)
    mean_area_km2, total_km2 = float(np.mean(areas)), float(np.sum(areas))
    affordable = [r for r in sorted(_HEX_AREA_KM2) if total_km2 / _HEX_AREA_KM2[r] <= _MAX_LOOKUP_CELLS]
    if not affordable:
        return MAP_RESOLUTIONS[0]
    return next((r for r in affordable if mean_area_km2 / _HEX_AREA_KM2[r] >= _CELLS_PER_POLYGON), affordable[-1])


def _area_km2(polygons: np.ndarray) -> np.ndarray:
    # Equirectangular approximation: enough to pick a lookup resolution.
    lat = shapely.get_y(shapely.centroid(polygons))
    return shapely.area(polygons) * (111.32 ** 2) * np.cos(np.radians(lat))


def _touched_cells(polygon, res: int) -> np.ndarray:
    """Every cell at ``res`` that the polygon may touch (generous: the polygon grown by one cell edge)."""
    edge_deg = h3.average_hexagon_edge_length(res, "km") / 111.0
    grown = shapely.buffer(polygon, edge_deg, quad_segs=2)
    cells: list[str] = []
    for part in getattr(grown, "geoms", [grown]):
        shape = h3.LatLngPoly([(y, x) for x, y in part.exterior.coords],
                              *[[(y, x) for x, y in ring.coords] for ring in part.interiors])
        cells.extend(h3.h3shape_to_cells_experimental(shape, res, contain="overlap"))
    return np.array([str_to_cell(c) for c in dict.fromkeys(cells)], dtype=np.int64)


def _inside(polygon, cells: np.ndarray) -> np.ndarray:
    """Mask of cells whose hexagon (plus the curvature margin) lies inside ``polygon``."""
    if len(cells) == 0:
        return np.zeros(0, dtype=bool)
    hexagons = shapely.buffer(cell_polygons(cells), _EDGE_CURVATURE_MARGIN_DEG, quad_segs=1)
    return shapely.contains_properly(polygon, hexagons)
