"""Unit tests: our vectorised GCJ-02/BD-09 conversions against ``prcoords``, our H3 bit arithmetic
(numpy and the SQL macro ``h3_parent``) and vectorised indexing against h3-py."""
from __future__ import annotations

import duckdb
import h3
import numpy as np
import pytest
from pyproj import Transformer

import queries
from data_pipeline import crs
from data_pipeline.h3cells import cell_to_parent, cell_to_str, latlng_to_cells, str_to_cell

prcoords = pytest.importorskip("prcoords")

GCJ_TOLERANCE_DEG = 1e-6


@pytest.fixture(scope="module")
def china_points():
    """WGS84 points over mainland China's extent, where the GCJ-02 offset applies."""
    rng = np.random.default_rng(20240305)
    n = 3000
    return rng.uniform(73.7, 134.8, n), rng.uniform(18.2, 53.4, n)


def reference(function, lon, lat):
    """A prcoords (lat, lon) function applied point by point → (lon, lat) arrays."""
    out = np.array([function((b, a), False) for a, b in zip(lon, lat)])   # False: no China check
    return out[:, 1], out[:, 0]


def test_wgs84_to_gcj02_matches_prcoords(china_points):
    lon, lat = china_points
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    rlon, rlat = reference(prcoords.wgs_gcj, lon, lat)
    assert np.abs(glon - rlon).max() < GCJ_TOLERANCE_DEG
    assert np.abs(glat - rlat).max() < GCJ_TOLERANCE_DEG
    # The offset is real (hundreds of metres), so agreeing is not trivial.
    assert np.hypot(glon - lon, glat - lat).min() > 1e-4


def test_gcj02_to_wgs84_matches_prcoords_and_round_trips(china_points):
    lon, lat = china_points
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    wlon, wlat = crs.gcj02_to_wgs84(glon, glat)
    rlon, rlat = reference(prcoords.gcj_wgs_bored, glon, glat)
    assert np.abs(wlon - rlon).max() < GCJ_TOLERANCE_DEG
    assert np.abs(wlat - rlat).max() < GCJ_TOLERANCE_DEG
    # Inverse of the forward transform: back where we started, to well under a millimetre.
    assert np.abs(wlon - lon).max() < 1e-8
    assert np.abs(wlat - lat).max() < 1e-8


def test_bd09_matches_prcoords_and_round_trips(china_points):
    lon, lat = china_points
    blon, blat = reference(prcoords.wgs_bd, lon, lat)            # WGS84 → BD-09 by the reference
    gclon, gclat = crs.bd09_to_gcj02(blon, blat)
    rlon, rlat = reference(prcoords.bd_gcj, blon, blat)          # the same published inverse formula
    assert np.abs(gclon - rlon).max() < 1e-9
    assert np.abs(gclat - rlat).max() < 1e-9
    # That formula is itself approximate (~2e-6 degrees, 0.2 m) against prcoords' iterated inverse and
    # against the round trip: the GCJ-02 step adds nothing measurable to it.
    wlon, wlat = crs.bd09_to_wgs84(blon, blat)
    rlon, rlat = reference(prcoords.bd_wgs_bored, blon, blat)
    assert np.abs(wlon - rlon).max() < 5e-6
    assert np.abs(wlat - rlat).max() < 5e-6
    assert np.abs(wlon - lon).max() < 5e-6
    assert np.abs(wlat - lat).max() < 5e-6
    # The BD-09 shift is real (~1 km): agreeing is not trivial.
    assert np.hypot(blon - lon, blat - lat).min() > 1e-3


@pytest.mark.parametrize(("name", "expected"), [
    ("WGS84", "wgs84"), ("epsg:4326", "wgs84"), ("GCJ-02", "gcj02"), ("bd09ll", "bd09"), ("baidu", "bd09"),
    ("EPSG:26910", "EPSG:26910"), ("epsg26910", "EPSG:26910"), (None, "wgs84"),
])
def test_normalise_crs(name, expected):
    assert crs.normalise_crs(name) == expected


def test_unknown_crs_is_refused():
    with pytest.raises(ValueError, match="unknown CRS"):
        crs.normalise_crs("mars")


def test_to_wgs84_dispatch():
    lon, lat = np.array([103.48, 121.47]), np.array([29.60, 31.23])
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    np.testing.assert_allclose(np.column_stack(crs.to_wgs84(glon, glat, "gcj02")), np.column_stack([lon, lat]),
                               atol=1e-9)
    x, y = np.array([491059.4824]), np.array([5459122.4178])
    expected = Transformer.from_crs("EPSG:26910", "EPSG:4326", always_xy=True).transform(x, y)
    np.testing.assert_allclose(np.column_stack(crs.to_wgs84(x, y, "EPSG:26910")), np.column_stack(expected))
    assert crs.is_projected("EPSG:26910") and not crs.is_projected("EPSG:4490") and not crs.is_projected("gcj02")


# --- H3 ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world_points():
    rng = np.random.default_rng(7)
    n = 4000
    lat = np.degrees(np.arcsin(rng.uniform(-0.999, 0.999, n)))   # uniform on the sphere
    return lat, rng.uniform(-180, 180, n)


@pytest.mark.parametrize("res", [0, 5, 7, 9, 10, 12, 15])
def test_latlng_to_cells_matches_h3py(world_points, res):
    lat, lon = world_points
    ours = [cell_to_str(c) for c in latlng_to_cells(lat, lon, res)]
    assert ours == [h3.latlng_to_cell(a, b, res) for a, b in zip(lat, lon)]


def test_cell_string_round_trip(world_points):
    lat, lon = world_points
    cells = latlng_to_cells(lat, lon, 15)
    assert all(str_to_cell(cell_to_str(c)) == c for c in cells)
    assert all(h3.is_valid_cell(cell_to_str(c)) for c in cells[:200])


def test_cell_to_parent_matches_h3py(world_points):
    lat, lon = world_points
    finest = latlng_to_cells(lat, lon, 15)
    for res in range(16):
        ours = [cell_to_str(c) for c in cell_to_parent(finest, res)]
        assert ours == [h3.cell_to_parent(cell_to_str(c), res) for c in finest], res


def test_sql_h3_parent_matches_h3py(world_points):
    lat, lon = world_points
    finest = latlng_to_cells(lat, lon, 15)
    con = duckdb.connect()
    con.execute(queries.sql("schema"))
    con.execute("CREATE TABLE pts AS SELECT unnest($cells::BIGINT[]) AS cell", {"cells": finest.tolist()})
    for res in (0, 3, 7, 8, 9, 10, 14, 15):
        got = [c for (c,) in con.execute("SELECT h3_parent(cell, $r) FROM pts ORDER BY rowid", {"r": res}).fetchall()]
        assert [cell_to_str(c) for c in got] == [h3.cell_to_parent(cell_to_str(c), res) for c in finest], res
    # Parents of coarser cells, too (a res-9 cell's parent at 7).
    nine = cell_to_parent(finest, 9)
    got = [c for (c,) in con.execute("SELECT h3_parent(unnest($c::BIGINT[]), 7)", {"c": nine.tolist()}).fetchall()]
    assert [cell_to_str(c) for c in got] == [h3.cell_to_parent(cell_to_str(c), 7) for c in nine]
