"""Contract: real public data loads with nothing but a mapping file (CLI ingest, real DuckDB store).

Chicago assaults with Chicago's police districts, Vancouver 2020 (projected, time in parts, withheld
positions), Swiss OSM cameras (OSM tags), Chicago's red-light and speed cameras (BOM, US dates), and
Leshan's counties given in GCJ-02. Expectations are computed from the source files independently of
the pipeline (pandas, json, pyproj, shapely), never from the store itself.
"""
from __future__ import annotations

import csv
import json
import re
import tomllib
from collections import Counter
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import (
    CHICAGO_ASSAULT_ROWS,
    CHICAGO_ASSAULTS,
    CHICAGO_DISTRICTS,
    MAPPINGS,
    chicago_source,
    ingest_json,
    query,
    report_json,
    table_contents,
)
from pyproj import Transformer

from analysis.coverage import CAMERA_DEFAULTS

pytestmark = pytest.mark.realdata

REPORT_FIELDS = ("rows_read", "loaded", "located", "unlocated", "duplicates", "rejected")


def assert_reconciles(counts: dict) -> None:
    """The two counting invariants, spelled out (not the pipeline's own ``ok``)."""
    assert counts["rows_read"] == counts["loaded"] + counts["duplicates"] + counts["rejected"], counts
    assert counts["loaded"] == counts["located"] + counts["unlocated"], counts
    assert counts["rejected"] == sum(counts["rejected_by_reason"].values()), counts


# --- Chicago ---------------------------------------------------------------------------------------------

def test_chicago_loads_completely_and_reconciles(chicago_store, shared_data):
    source = chicago_source(shared_data)
    assert len(source) == CHICAGO_ASSAULT_ROWS
    report = report_json(chicago_store)
    incidents = report["kinds"]["incidents"]
    assert {f: incidents[f] for f in REPORT_FIELDS} == {
        "rows_read": CHICAGO_ASSAULT_ROWS, "loaded": CHICAGO_ASSAULT_ROWS, "located": CHICAGO_ASSAULT_ROWS,
        "unlocated": 0, "duplicates": 0, "rejected": 0}
    boundaries = report["kinds"]["boundaries"]
    assert boundaries["rows_read"] == 25 and boundaries["rejected"] == 0
    for counts in report["kinds"].values():
        assert_reconciles(counts)
    assert report["ok"] is True
    # What the report says is what the tables hold.
    assert query(chicago_store, "SELECT count(*), count(*) FILTER (WHERE located) FROM incidents") == [
        (CHICAGO_ASSAULT_ROWS, CHICAGO_ASSAULT_ROWS)]
    # 25 features, 23 districts: district 31's three parts are merged into one jurisdiction.
    assert query(chicago_store, "SELECT count(*), count(DISTINCT id) FROM jurisdictions WHERE level = 'station'") \
        == [(23, 23)]
    # Times and positions as written in the source (a multiset: the file has no ids).
    stored = query(chicago_store, "SELECT occurred_at, lat, lon, source_station FROM incidents")
    expected = zip(source.occurred_at.dt.to_pydatetime(), source.latitude, source.longitude, source.district)
    assert Counter(stored) == Counter(expected)


def test_chicago_stations_agree_with_source_district(chicago_store):
    agree, located = query(chicago_store, "SELECT count(*) FILTER (WHERE station_id = source_station), "
                                          "count(*) FILTER (WHERE located) FROM incidents")[0]
    share = agree / located
    print(f"Chicago: station by polygon = source district for {agree:,} of {located:,} ({share:.2%})")
    assert share >= 0.98


def test_chicago_reingest_is_idempotent(chicago_store, shared_data, writable_copy):
    db = writable_copy(chicago_store)
    report, contents = report_json(db), table_contents(db)
    again = ingest_json("boundaries", shared_data / CHICAGO_DISTRICTS, db=db,
                        mapping=MAPPINGS / "chicago_police_districts.toml")
    again += ingest_json("incidents", shared_data / CHICAGO_ASSAULTS, db=db,
                         mapping=MAPPINGS / "chicago_aggravated_assaults.toml")
    assert all(r["skipped"] and "already ingested" in r["skipped"] for r in again), again
    assert all(r["loaded"] == 0 for r in again)
    assert report_json(db) == report
    assert table_contents(db) == contents


def test_chicago_reread_with_another_fingerprint_loads_nothing_twice(chicago_store, shared_data, writable_copy):
    """An explicit --crs changes the run's fingerprint: the file is read again, every row is a duplicate."""
    db = writable_copy(chicago_store)
    contents = table_contents(db)
    [result] = ingest_json("incidents", shared_data / CHICAGO_ASSAULTS, db=db, crs="wgs84",
                           mapping=MAPPINGS / "chicago_aggravated_assaults.toml")
    assert result["skipped"] is None
    assert (result["rows_read"], result["duplicates"], result["loaded"]) == (CHICAGO_ASSAULT_ROWS,) * 2 + (0,)
    after = table_contents(db)
    assert len(after.pop("ingest_runs")) == len(contents.pop("ingest_runs")) + 1
    assert after == contents
    incidents = report_json(db)["kinds"]["incidents"]
    assert_reconciles(incidents)
    assert incidents["duplicates"] == CHICAGO_ASSAULT_ROWS


def test_chicago_red_light_and_speed_cameras(chicago_store, shared_data, writable_copy):
    db = writable_copy(chicago_store)
    expected: dict[str, date] = {}
    for name, id_column, date_column in (("red_light", "INTERSECTION", "GO LIVE DATE"),
                                         ("speed", "ID", "GO-LIVE DATE")):
        path = shared_data / "cameras" / f"chicago_{name}_camera_locations.csv"
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        expected |= {r[id_column]: datetime.strptime(r[date_column], "%m/%d/%Y").date() for r in rows}
        [result] = ingest_json("cameras", path, db=db, mapping=MAPPINGS / f"chicago_{name}_cameras.toml")
        assert (result["rows_read"], result["loaded"], result["located"]) == (len(rows),) * 3
    assert (shared_data / "cameras/chicago_red_light_camera_locations.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(expected) == 149 + 160
    stored = query(db, "SELECT id, installed_at, kind, located, station_id FROM cameras")
    assert {r[0]: r[1] for r in stored} == expected          # ids from the BOM-prefixed first column too
    assert {r[2] for r in stored} == {"vehicle"}
    assert all(r[3] for r in stored)
    assert sum(r[4] is not None for r in stored) >= 0.95 * len(stored)   # inside the city's districts
    assert_reconciles(report_json(db)["kinds"]["cameras"])


# --- Vancouver -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vancouver(shared_data, tmp_path_factory):
    path = shared_data / "crime" / "vancouver_vpd_crimes_2020_all.csv"
    db = tmp_path_factory.mktemp("vancouver") / "vancouver.duckdb"
    [result] = ingest_json("incidents", path, db=db, mapping=MAPPINGS / "vancouver_vpd_2020.toml")
    source = pd.read_csv(path, dtype=str, keep_default_na=False)
    return db, result, source


def test_vancouver_withheld_positions_are_unlocated_not_lost(vancouver):
    db, result, source = vancouver
    x, y = pd.to_numeric(source.X, errors="coerce"), pd.to_numeric(source.Y, errors="coerce")
    zero = int(((x == 0) & (y == 0)).sum())
    missing = int((x.isna() | y.isna()).sum())
    assert zero == 3750
    assert result["rows_read"] == result["loaded"] == len(source) == 37_512
    assert result["rejected"] == 0 and result["duplicates"] == 0
    assert result["unlocated"] == zero + missing
    assert result["located"] == len(source) - zero - missing
    assert_reconciles(result)
    assert_reconciles(report_json(db)["kinds"]["incidents"])
    assert query(db, "SELECT count(*) FROM incidents WHERE x = 0 AND y = 0 AND NOT located "
                     "AND lat IS NULL AND lon IS NULL AND h3_r9 IS NULL") == [(zero,)]
    # Genuinely repeated records (same type, block, minute, position) are all kept.
    assert source.duplicated().sum() > 1000
    assert query(db, "SELECT count(*) FROM incidents") == [(len(source),)]


def test_vancouver_time_assembled_from_parts(vancouver):
    db, _, source = vancouver
    expected = Counter(
        (t, datetime(int(yr), int(mo), int(d), int(h), int(mi)))
        for t, yr, mo, d, h, mi in zip(source.TYPE, source.YEAR, source.MONTH, source.DAY, source.HOUR,
                                       source.MINUTE))
    assert Counter(query(db, "SELECT source_category, occurred_at FROM incidents")) == expected


def test_vancouver_every_type_has_a_canonical_category(vancouver):
    db, _, source = vancouver
    mapping = tomllib.loads((MAPPINGS / "vancouver_vpd_2020.toml").read_text(encoding="utf-8"))
    categories = mapping["categories"]
    types = set(source.TYPE)
    assert len(types) == 11
    assert types <= set(categories)
    stored = query(db, "SELECT source_category, category, count(*) FROM incidents GROUP BY ALL")
    assert {s: c for s, c, _ in stored} == {t: categories[t] for t in types}
    assert "other" not in {c for _, c, _ in stored}
    assert {s: n for s, _, n in stored} == dict(Counter(source.TYPE))


def test_vancouver_positions_converted_from_utm(vancouver):
    db, _, source = vancouver
    x, y = pd.to_numeric(source.X, errors="coerce"), pd.to_numeric(source.Y, errors="coerce")
    good = x.notna() & y.notna() & (x != 0) & (y != 0)
    lon, lat = Transformer.from_crs("EPSG:26910", "EPSG:4326", always_xy=True).transform(x[good], y[good])
    expected = np.sort(np.round(np.column_stack([lat, lon]), 7).view("f8,f8"), axis=0)
    stored = np.array(query(db, "SELECT lat, lon FROM incidents WHERE located"))
    got = np.sort(np.round(stored, 7).view("f8,f8"), axis=0)
    assert len(got) == len(expected)
    np.testing.assert_allclose(got.view("f8").reshape(-1, 2), expected.view("f8").reshape(-1, 2), atol=2e-7)
    assert 49.19 < np.min(lat) < np.max(lat) < 49.33
    assert -123.23 < np.min(lon) < np.max(lon) < -123.02


# --- Swiss OSM cameras ------------------------------------------------------------------------------------

COMPASS = {p: i * 22.5 for i, p in enumerate(("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
                                              "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"))}


def expected_azimuth(text: str) -> float | None:
    """Degrees clockwise from north in [0, 360): the first of a list; numbers or compass letters."""
    first = re.split(r"[;,]", text)[0].strip()
    try:
        return float(first) % 360
    except ValueError:
        return COMPASS.get(first.upper())


@pytest.fixture(scope="module")
def swiss(shared_data, tmp_path_factory):
    path = shared_data / "cameras" / "switzerland_osm_surveillance_nodes_2023.geojson"
    db = tmp_path_factory.mktemp("swiss") / "swiss.duckdb"
    [result] = ingest_json("cameras", path, db=db, mapping=MAPPINGS / "switzerland_osm_cameras.toml")
    tags = {str(f["properties"]["osm_id"]): f["properties"] for f in json.loads(path.read_text())["features"]}
    stored = {r[0]: r[1:] for r in query(db, "SELECT id, azimuth_deg, fov_deg, kind, located FROM cameras")}
    return result, tags, stored


def test_swiss_cameras_all_loaded(swiss):
    result, tags, stored = swiss
    assert result["rows_read"] == result["loaded"] == result["located"] == len(tags) == 2144
    assert_reconciles(result)
    assert set(stored) == set(tags)


def test_swiss_camera_direction_becomes_azimuth(swiss):
    _, tags, stored = swiss
    directions = {i: t["camera:direction"] for i, t in tags.items() if "camera:direction" in t}
    assert len(directions) == 497
    expected = {i: expected_azimuth(d) for i, d in directions.items()}
    parsed = {i: a for i, a in expected.items() if a is not None}
    assert len(parsed) >= 490
    assert {i: stored[i][0] for i in parsed} == parsed
    letters = {i: d for i, d in directions.items() if d.isalpha() and d.upper() in COMPASS}
    assert {d for d in letters.values()} >= {"NW", "SW", "E"}
    assert {stored[i][0] for i, d in letters.items() if d == "NW"} == {315.0}
    negative = [i for i, d in directions.items() if d.startswith("-")]
    assert negative and all(stored[i][0] == float(directions[i]) + 360 for i in negative)
    assert all(a is None or 0 <= a < 360 for a, *_ in stored.values())
    # No direction tag: no azimuth (a dome or unknown, drawn as all-round).
    assert all(stored[i][0] is None for i in tags if i not in directions)


def test_swiss_camera_type_sets_the_view_and_angle_is_tilt_not_field_of_view(swiss):
    """camera:type dome / panning → 360°; a fixed camera gets its kind's default field of view (camera:angle,
    a tilt, is never read as one); without a direction a camera counts as all-round."""
    _, tags, stored = swiss
    assert sum("camera:angle" in t for t in tags.values()) == 210
    types = {i: t.get("camera:type") for i, t in tags.items()}
    round_types = {i for i, k in types.items() if k in ("dome", "panning")}
    assert len(round_types) > 100 and all(stored[i][1] == 360.0 for i in round_types)
    fixed_aimed = [i for i, k in types.items() if k == "fixed" and stored[i][0] is not None]
    assert len(fixed_aimed) > 100
    assert all(stored[i][1] == CAMERA_DEFAULTS[stored[i][2]].fov_deg for i in fixed_aimed)
    assert all(stored[i][1] == 360.0 for i, (azimuth, *_) in stored.items() if azimuth is None)


def test_swiss_alpr_is_a_vehicle_camera(swiss):
    _, tags, stored = swiss
    alpr = {i for i, t in tags.items() if t.get("surveillance:type") == "ALPR"}
    assert len(alpr) == 2
    assert {stored[i][2] for i in alpr} == {"vehicle"}
    plain = {i for i, t in tags.items() if t.get("surveillance:type") == "camera"}
    assert {stored[i][2] for i in plain} == {"video"}


# --- Emeishan in GCJ-02 -----------------------------------------------------------------------------------

def iou(a, b) -> float:
    """Intersection over union of two WGS84 geometries, in a local equal-area projection."""
    c = b.centroid
    to_laea = Transformer.from_crs("EPSG:4326", f"+proj=laea +lat_0={c.y} +lon_0={c.x} +datum=WGS84",
                                   always_xy=True)
    a, b = (shapely.transform(g, lambda xy: np.column_stack(to_laea.transform(xy[:, 0], xy[:, 1]))) for g in (a, b))
    return shapely.area(shapely.intersection(a, b)) / shapely.area(shapely.union(a, b))


def county_outlines(path) -> dict[str, object]:
    import pyogrio

    frame = pyogrio.read_dataframe(path)
    return dict(zip(frame.adcode, frame.geometry, strict=True))


def stored_outlines(db) -> dict[str, object]:
    return {i: shapely.from_wkb(g) for i, g in query(db, "SELECT id, geometry FROM jurisdictions")}


@pytest.fixture(scope="module")
def leshan(shared_data, tmp_path_factory):
    china = shared_data / "boundaries" / "china"
    source = china / "leshan_5111_counties_cnmaps_gcj02.geojson"
    converted = tmp_path_factory.mktemp("leshan") / "gcj.duckdb"
    taken_as_wgs84 = converted.with_name("wgs.duckdb")
    mapping = MAPPINGS / "leshan_counties_gcj02.toml"
    [result] = ingest_json("boundaries", source, db=converted, mapping=mapping, crs="gcj02")
    ingest_json("boundaries", source, db=taken_as_wgs84, mapping=mapping, crs="wgs84")
    reference = county_outlines(china / "leshan_5111_counties_fastgeocn_wgs84.geojson")
    return result, stored_outlines(converted), stored_outlines(taken_as_wgs84), reference, converted


def test_emeishan_gcj02_outline_lands_on_wgs84_one(leshan):
    _, converted, taken_as_wgs84, reference, _ = leshan
    good, raw = iou(converted["511181"], reference["511181"]), iou(taken_as_wgs84["511181"], reference["511181"])
    print(f"Emeishan 511181 IoU with the WGS84 outline: converted {good:.4f}, taken as WGS84 {raw:.4f}")
    assert good >= 0.97
    assert raw < good - 0.01          # the conversion is what makes it fit


def test_leshan_counties_all_closer_after_conversion(leshan):
    result, converted, taken_as_wgs84, reference, db = leshan
    assert result["loaded"] == 11 and result["rejected"] == 0
    assert set(converted) == set(reference)
    for adcode in reference:
        assert iou(converted[adcode], reference[adcode]) > iou(taken_as_wgs84[adcode], reference[adcode]), adcode
    rows = dict(query(db, "SELECT id, name FROM jurisdictions WHERE level = 'bureau'"))
    assert rows["511181"] == "峨眉山市" and len(rows) == 11
