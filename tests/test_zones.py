"""Unit tests: ``zones.build_zone_index`` assigns exactly what a brute-force shapely ``contains`` assigns.

The index answers most points from a lookup of their res-15 cell's parent among "interior" cells and
the rest with an exact test; both paths are exercised, including the points that are hardest for the
lookup: those near the edges of interior cells that lie close to a district boundary (H3 children do
not nest exactly inside their parent's hexagon).
"""
from __future__ import annotations

import h3
import numpy as np
import pytest
import shapely
from conftest import brute_force_zone, chicago_districts

from data_pipeline.h3cells import cell_to_str, latlng_to_cells
from data_pipeline.zones import build_zone_index

N_POINTS = 50_000


@pytest.fixture(scope="module")
def districts(shared_data):
    return chicago_districts(shared_data)


@pytest.fixture(scope="module")
def index(districts):
    return build_zone_index(list(districts), list(districts.values()))


def near_boundaries(zones, n, rng, sigma_deg):
    """Points scattered around the polygons' boundaries: in cells that straddle them."""
    lines = shapely.boundary(np.array(list(zones.values()), dtype=object))
    lengths = shapely.length(lines)
    which = rng.choice(len(lines), n, p=lengths / lengths.sum())
    points = shapely.line_interpolate_point(lines[which], rng.uniform(0, 1, n), normalized=True)
    return (shapely.get_x(points) + rng.normal(0, sigma_deg, n),
            shapely.get_y(points) + rng.normal(0, sigma_deg, n))


def near_interior_cell_edges(zones, index, n, rng, cells=150):
    """Points along the hexagon edges of the interior lookup cells closest to a polygon boundary."""
    hexes = [np.array([(lng, lat) for lat, lng in h3.cell_to_boundary(cell_to_str(c))])
             for c in index.interior_cells]
    polygons = index.polygons[index.interior_codes]
    gaps = shapely.distance(shapely.polygons(hexes), shapely.boundary(polygons))
    nearest = np.argsort(gaps)[:cells]
    lon, lat = [], []
    per_cell = n // cells
    for i in nearest:
        ring = hexes[i]
        edge = np.hypot(*(ring[1] - ring[0]))
        k = rng.integers(0, len(ring), per_cell)
        f = rng.uniform(0, 1, per_cell)[:, None]
        p = ring[k] + (ring[(k + 1) % len(ring)] - ring[k]) * f + rng.normal(0, 0.1 * edge, (per_cell, 2))
        lon.append(p[:, 0])
        lat.append(p[:, 1])
    return np.concatenate(lon), np.concatenate(lat)


@pytest.mark.realdata
def test_assignment_equals_brute_force_contains(districts, index):
    rng = np.random.default_rng(42)
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(list(districts.values()), dtype=object))
    uniform = (rng.uniform(minx - 0.01, maxx + 0.01, 20_000), rng.uniform(miny - 0.01, maxy + 0.01, 20_000))
    boundary = near_boundaries(districts, 15_000, rng, sigma_deg=0.0005)
    edges = near_interior_cell_edges(districts, index, N_POINTS - 35_000, rng)
    lon = np.concatenate([uniform[0], boundary[0], edges[0]])
    lat = np.concatenate([uniform[1], boundary[1], edges[1]])
    assert len(lon) == N_POINTS
    cells = latlng_to_cells(lat, lon, index.res)

    got = index.assign(lon, lat, cells)
    expected = brute_force_zone(districts, lon, lat)
    wrong = np.flatnonzero(got != expected)
    examples = list(zip(lon[wrong][:5], lat[wrong][:5]))
    assert len(wrong) == 0, f"{len(wrong)} points assigned differently, e.g. {examples}"

    # Both paths are exercised, and the points do sit on cells that straddle boundaries.
    by_lookup = np.isin(cells, index.interior_cells)
    assert 0.2 < by_lookup.mean() < 0.8
    own_cells = {h3.latlng_to_cell(a, b, index.res) for a, b in zip(lat, lon)}
    hexes = shapely.polygons([[(x, y) for y, x in h3.cell_to_boundary(c)] for c in own_cells])
    straddling = np.zeros(len(hexes), dtype=bool)
    for polygon in districts.values():
        shapely.prepare(polygon)
        straddling |= shapely.intersects(polygon, hexes) & ~shapely.contains_properly(polygon, hexes)
    assert straddling.sum() > 1000
    assert sum(v is not None for v in expected) > 0.5 * N_POINTS
    assert sum(v is None for v in expected) > 1000


@pytest.mark.realdata
def test_interior_cells_lie_inside_their_polygon(index):
    hexes = shapely.polygons([[(x, y) for y, x in h3.cell_to_boundary(cell_to_str(c))] for c in index.interior_cells])
    assert len(index.interior_cells) > 1000
    assert shapely.contains_properly(index.polygons[index.interior_codes], hexes).all()
    assert np.all(np.diff(index.interior_cells) > 0)          # sorted, unique: searchsorted relies on it


def square(x0, y0, size):
    return shapely.box(x0, y0, x0 + size, y0 + size)


def test_holes_multipolygons_and_shared_edges():
    """Small synthetic zones (about a kilometre across): a donut, a two-part zone, an adjacent square."""
    x0, y0 = 103.40, 29.55
    donut = shapely.difference(square(x0, y0, 0.02), square(x0 + 0.006, y0 + 0.006, 0.008))
    two_parts = shapely.MultiPolygon([square(x0 + 0.02, y0, 0.02), square(x0 + 0.05, y0 + 0.01, 0.005)])
    above = square(x0, y0 + 0.02, 0.04)
    zones = {"donut": donut, "parts": two_parts, "above": above}
    index = build_zone_index(list(zones), list(zones.values()))
    rng = np.random.default_rng(3)
    lon = rng.uniform(x0 - 0.005, x0 + 0.06, 30_000)
    lat = rng.uniform(y0 - 0.005, y0 + 0.045, 30_000)
    got = index.assign(lon, lat, latlng_to_cells(lat, lon, index.res))
    assert list(got) == list(brute_force_zone(zones, lon, lat))
    hole = np.array([x0 + 0.01]), np.array([y0 + 0.01])
    assert index.assign(*hole, latlng_to_cells(hole[1], hole[0], index.res))[0] is None
    assert len(index.interior_cells) > 0


def test_overlapping_zones_get_one_that_contains_the_point():
    a, b = square(103.40, 29.55, 0.03), square(103.41, 29.56, 0.03)
    index = build_zone_index(["a", "b"], [a, b])
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(103.395, 103.445, 20_000), rng.uniform(29.545, 29.595, 20_000)
    got = index.assign(lon, lat, latlng_to_cells(lat, lon, index.res))
    in_a, in_b = shapely.contains_xy(a, lon, lat), shapely.contains_xy(b, lon, lat)
    assert all((g == "a" and ia) or (g == "b" and ib) or (g is None and not ia and not ib)
               for g, ia, ib in zip(got, in_a, in_b))
    assert (in_a & in_b).sum() > 1000


def test_empty_index_assigns_nothing():
    index = build_zone_index([], [])
    lat, lon = np.array([29.6, 41.8]), np.array([103.4, -87.6])
    assert list(index.assign(lon, lat, latlng_to_cells(lat, lon, index.res))) == [None, None]
