"""Contract: bad input is quarantined row by row, counts reconcile, and a failed ingest changes nothing.

Small bad files are written in tmp_path; every rejected row must be in ``quarantine`` with its reason
code, its physical source line (1 = header; a quoted field spanning lines counts all its lines) and
the raw line text.
"""
from __future__ import annotations

import gzip
import json
from datetime import datetime

import pytest
from conftest import cli, file_sha256, ingest_json, query, report_json, table_contents

HEADER = "id,occurred_at,reported_at,closed_at,category,status,lat,lon"
# (physical line, text): line 2-3 is one record whose quoted status spans two lines.
BAD_LINES = [
    'B01,2019-03-01 08:00,,,theft,"two-line',
    'status",29.60,103.48',
    "B02,not a time,,,theft,open,29.60,103.48",
    "B03,,,,theft,open,29.60,103.48",
    "B04,2019-03-01 09:00,,,theft,open,29.60,103.48,surplus,fields",
    "B05,2019-03-01 10:00,,,theft,open,461.993.881,103.48",
    "B06,2019-01-01T19:50:00Z,,,theft,open,29.60,103.48",
    "B07,2019-03-01 11:00,  , ,fraud,open,29.61,103.49",
    "B08,2019-03-01 12:00,2019-03-01 12:05,,dispute,open,29.62,103.50",
    "B09,2019-03-01 13:00,yesterday,,theft,open,29.60,103.48",
    "B10,2019-03-01 14:00+08:00,2019-03-01T06:30:00+00:00,,theft,open,29.60,103.48",
]
EXPECTED_QUARANTINE = {   # physical line → (reason, a word the detail must name)
    4: ("unparseable_time", "occurred_at"),
    5: ("missing_required", "occurred_at"),
    6: ("malformed_row", "COLUMNS"),
    7: ("invalid_coordinate", "lat"),
    11: ("unparseable_time", "reported_at"),
}


def write_lines(path, lines, encoding="utf-8", newline="\n"):
    path.write_bytes(newline.join(lines + [""]).encode(encoding))
    return path


@pytest.fixture
def bad_csv(tmp_path):
    return write_lines(tmp_path / "bad.csv", [HEADER, *BAD_LINES])


def quarantine(db):
    return {line: (reason, detail, raw) for line, reason, detail, raw in
            query(db, "SELECT line, reason, detail, raw FROM quarantine")}


def test_bad_rows_are_quarantined_with_reason_line_and_raw_text(bad_csv, tmp_path):
    db = tmp_path / "store.duckdb"
    [result] = ingest_json("incidents", bad_csv, db=db)
    lines = [HEADER, *BAD_LINES]
    got = quarantine(db)
    assert set(got) == set(EXPECTED_QUARANTINE)
    for line, (reason, word) in EXPECTED_QUARANTINE.items():
        got_reason, detail, raw = got[line]
        assert got_reason == reason, line
        assert word in detail, (line, detail)
        assert raw == lines[line - 1], line
    assert result["rows_read"] == 10                  # records, not lines; the surplus-field row once
    assert result["rejected_by_reason"] == {"unparseable_time": 2, "missing_required": 1, "malformed_row": 1,
                                            "invalid_coordinate": 1}
    assert (result["loaded"], result["rejected"], result["duplicates"]) == (5, 5, 0)
    counts = report_json(db)["kinds"]["incidents"]
    assert counts["rows_read"] == counts["loaded"] + counts["duplicates"] + counts["rejected"]
    assert counts["loaded"] == counts["located"] + counts["unlocated"]
    assert counts["rejected_by_reason"] == result["rejected_by_reason"]
    assert query(db, "SELECT count(*) FROM incidents") == [(5,)]


def test_times_offsets_and_empty_optional_times(bad_csv, tmp_path):
    db = tmp_path / "store.duckdb"
    ingest_json("incidents", bad_csv, db=db)
    rows = {r[0]: r[1:] for r in query(db, "SELECT id, occurred_at, reported_at, closed_at, status FROM incidents")}
    assert set(rows) == {"B01", "B06", "B07", "B08", "B10"}
    # A UTC timestamp is stored as Asia/Shanghai wall-clock time.
    assert rows["B06"][0] == datetime(2019, 1, 2, 3, 50)
    assert rows["B10"][:2] == (datetime(2019, 3, 1, 14, 0), datetime(2019, 3, 1, 14, 30))
    # Empty or blank optional times are NULL, not errors.
    assert rows["B07"] == (datetime(2019, 3, 1, 11, 0), None, None, "open")
    assert rows["B08"][1] == datetime(2019, 3, 1, 12, 5)
    assert rows["B01"][3] == "two-line\nstatus"


def test_reingesting_a_bad_file_changes_nothing(bad_csv, tmp_path):
    db = tmp_path / "store.duckdb"
    ingest_json("incidents", bad_csv, db=db)
    contents = table_contents(db)
    [again] = ingest_json("incidents", bad_csv, db=db)
    assert again["skipped"]
    assert table_contents(db) == contents


def test_gbk_file_with_chinese_headers_and_values(tmp_path):
    lines = ["编号,发生时间,纬度,经度,类别,状态",
             "G1,2024/03/05 10:00,29.60,103.48,盗窃,已受理",
             "G2,2024年03月05日 11:30,29.61,103.49,诈骗,处理中",
             "G3,坏时间,29.61,103.49,纠纷,处理中",
             "G4,2024/03/05 12:00,29.61,103.49,纠纷,处理中,多余",
             "G5,2024-03-05 13:00,29.62,103.50,矛盾纠纷,已结案"]
    path = write_lines(tmp_path / "gbk.csv", lines, encoding="gbk", newline="\r\n")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    mapping = tmp_path / "gbk.toml"
    mapping.write_text('[columns]\nid = "编号"\noccurred_at = "发生时间"\nlat = "纬度"\nlon = "经度"\n'
                       'category = "类别"\nsource_category = "类别"\nstatus = "状态"\n', encoding="utf-8")
    db = tmp_path / "store.duckdb"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = json.loads(cli("ingest", "incidents", path, "--mapping", mapping, "--db", db, "--json",
                            env={"TMPDIR": str(scratch)}).stdout)[0]
    assert list(scratch.iterdir()) == []              # the transcoded copy is gone
    assert (result["rows_read"], result["loaded"], result["rejected"]) == (5, 3, 2)
    got = quarantine(db)
    assert {line: (reason, raw) for line, (reason, _, raw) in got.items()} == {
        4: ("unparseable_time", lines[3]), 5: ("malformed_row", lines[4])}
    assert "坏时间" in got[4][1]
    rows = {r[0]: r[1:] for r in query(db, "SELECT id, occurred_at, category, source_category, status, lat "
                                           "FROM incidents")}
    assert rows == {
        "G1": (datetime(2024, 3, 5, 10, 0), "theft", "盗窃", "已受理", 29.60),
        "G2": (datetime(2024, 3, 5, 11, 30), "fraud", "诈骗", "处理中", 29.61),
        "G5": (datetime(2024, 3, 5, 13, 0), "dispute", "矛盾纠纷", "已结案", 29.62),
    }


def test_semicolon_delimited_file(tmp_path):
    lines = ["id;occurred_at;category;status;lat;lon",
             'S1;2024-03-05 10:00;theft;"open; urgent";29.60;103.48',
             "S2;2024-03-05 11:00;robbery;open;461.993.881;610.418.784",
             "S3;2024-03-05 12:00;robbery;closed;29.61;103.49"]
    path = write_lines(tmp_path / "semi.csv", lines)
    db = tmp_path / "store.duckdb"
    [result] = ingest_json("incidents", path, db=db)
    assert (result["rows_read"], result["loaded"], result["rejected"]) == (3, 2, 1)
    assert quarantine(db) == {3: ("invalid_coordinate", "lat: not a number: 461.993.881", lines[2])}
    assert sorted(query(db, "SELECT id, category, status, lat, lon FROM incidents")) == [
        ("S1", "theft", "open; urgent", 29.60, 103.48), ("S3", "robbery", "closed", 29.61, 103.49)]


@pytest.mark.realdata
def test_real_locale_mangled_coordinates(shared_data, tmp_path):
    """Geneva's OSM export: "461.993.881" for 46.1993881. Not numbers: quarantined, never guessed."""
    path = shared_data / "cameras" / "geneva_osm_cameras_DIRTY_locale_mangled_coords.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    db = tmp_path / "store.duckdb"
    [result] = ingest_json("cameras", path, db=db)
    mangled = [n for n, line in enumerate(lines[1:], start=2)
               if any(v.count(".") > 1 for v in line.split(";")[19:21])]   # lat, lon
    assert result["rows_read"] == len(lines) - 1 == 622
    assert result["rejected_by_reason"] == {"invalid_coordinate": len(mangled)}
    got = quarantine(db)
    assert sorted(got) == mangled
    assert all(got[n][2] == lines[n - 1] for n in mangled)
    # The rest are numbers but no positions (462.052): loaded, unlocated.
    assert result["loaded"] == result["unlocated"] == 622 - len(mangled)


@pytest.fixture
def small_store(tmp_path):
    good = write_lines(tmp_path / "good.csv", ["id,occurred_at,lat,lon,category",
                                               "A1,2024-03-05 10:00,29.60,103.48,theft",
                                               "A2,2024-03-05 11:00,29.61,103.49,fraud"])
    db = tmp_path / "store.duckdb"
    ingest_json("incidents", good, db=db)
    return db


def assert_store_unchanged(db, sha, contents):
    assert file_sha256(db) == sha
    assert table_contents(db) == contents
    assert [p.name for p in db.parent.iterdir() if ".writing-" in p.name] == []


def test_wrong_mapping_column_fails_cleanly(small_store, tmp_path):
    data = write_lines(tmp_path / "export.csv", ["case_no,when,lat,lon", "C1,2024-03-05 10:00,29.6,103.4"])
    mapping = tmp_path / "wrong.toml"
    mapping.write_text('[columns]\nid = "case_no"\noccurred_at = "occurred"\n', encoding="utf-8")
    sha, contents = file_sha256(small_store), table_contents(small_store)
    proc = cli("ingest", "incidents", data, "--mapping", mapping, "--db", small_store, check=False)
    assert proc.returncode != 0
    message = " ".join(proc.stderr.split())
    assert "export.csv" in message and "'occurred'" in message and "occurred_at" in message
    assert "Traceback" not in proc.stderr
    assert_store_unchanged(small_store, sha, contents)


def test_mapping_naming_an_unknown_field_fails_cleanly(small_store, tmp_path):
    data = write_lines(tmp_path / "export.csv", ["id,occurred_at,lat,lon", "C1,2024-03-05 10:00,29.6,103.4"])
    mapping = tmp_path / "unknown_field.toml"
    mapping.write_text('[columns]\nhappened = "occurred_at"\n', encoding="utf-8")
    sha, contents = file_sha256(small_store), table_contents(small_store)
    proc = cli("ingest", "incidents", data, "--mapping", mapping, "--db", small_store, check=False)
    assert proc.returncode == 2
    assert "unknown_field.toml" in proc.stderr and "happened" in proc.stderr
    assert_store_unchanged(small_store, sha, contents)


def test_failure_midway_leaves_the_store_as_it_was(small_store, tmp_path):
    """Two files in one ingest: the first loads fine on the working copy, the second's gzip ends early."""
    good = write_lines(tmp_path / "more.csv", ["id,occurred_at,lat,lon", "M1,2024-03-06 10:00,29.6,103.4"])
    body = "\n".join(["id,occurred_at,lat,lon"] + [f"T{i},2024-03-07 {i % 24:02d}:00,29.6,103.4"
                                                   for i in range(60_000)])
    whole = gzip.compress(body.encode())
    truncated = tmp_path / "truncated.csv.gz"
    truncated.write_bytes(whole[: len(whole) // 2])
    sha, contents = file_sha256(small_store), table_contents(small_store)
    proc = cli("ingest", "incidents", good, truncated, "--db", small_store, check=False)
    assert proc.returncode == 2
    assert "truncated.csv.gz" in proc.stderr and "Traceback" not in proc.stderr
    assert_store_unchanged(small_store, sha, contents)


def test_each_file_reports_only_its_own_malformed_rows(tmp_path):
    """Rejects of one CSV scan must not leak into the next file of the same ingest."""
    first = write_lines(tmp_path / "first.csv", ["id,occurred_at,lat,lon", "F1,2024-03-05 10:00,29.6,103.4,x",
                                                 "F2,2024-03-05 11:00,29.6,103.4"])
    second = write_lines(tmp_path / "second.csv", ["id,occurred_at,lat,lon", "S1,2024-03-05 12:00,29.6,103.4"])
    db = tmp_path / "store.duckdb"
    one, two = ingest_json("incidents", first, second, db=db)
    assert (one["rows_read"], one["rejected_by_reason"]) == (2, {"malformed_row": 1})
    assert (two["rows_read"], two["loaded"], two["rejected"]) == (1, 1, 0)
    assert query(db, "SELECT source_file, line FROM quarantine") == [(str(first), 2)]
    assert report_json(db)["ok"] is True


def test_utc_offset_forms_become_local_time(tmp_path):
    forms = ["2019-03-01 14:00+08:00", "2019-03-01 14:00:00+0800", "2019-03-01T14:00+08", "2019-03-01 06:00Z",
             "2019-03-01 14:00:00 +0800", "2019-03-01 14:00 +08:00", "2019-03-01T06:00:00.250-00:00",
             "2019-03-01T01:00:00-05:00", "2019-03-01 9:00+03:00"]
    path = write_lines(tmp_path / "offsets.csv", ["id,occurred_at,lat,lon"] +
                       [f"O{i},{form},29.6,103.4" for i, form in enumerate(forms)])
    db = tmp_path / "store.duckdb"
    [result] = ingest_json("incidents", path, db=db)
    assert (result["loaded"], result["rejected"]) == (len(forms), 0)
    got = dict(query(db, "SELECT id, occurred_at FROM incidents"))
    expected = {f"O{i}": datetime(2019, 3, 1, 14, 0) for i in range(len(forms))}
    expected["O6"] = datetime(2019, 3, 1, 14, 0, 0, 250_000)
    assert got == expected
