"""Contract: ``export cells`` and ``export stations`` count what an independent computation counts.

The expectation comes from the source file itself: h3-py's ``latlng_to_cell`` (string cells) on the
raw coordinates, periods filtered in pandas (``--from`` inclusive, ``--to`` exclusive), stations by a
brute-force shapely ``contains`` on Chicago's district polygons.
"""
from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime, timedelta

import h3
import pytest
from conftest import (
    CHICAGO_ASSAULTS,
    CHICAGO_DISTRICTS,
    MAPPINGS,
    brute_force_zone,
    chicago_districts,
    chicago_source,
    cli,
    ingest_json,
)

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def source(shared_data):
    """The assaults with the district that contains each (brute force) as ``station``."""
    frame = chicago_source(shared_data)
    frame["station"] = brute_force_zone(chicago_districts(shared_data), frame.longitude.to_numpy(),
                                        frame.latitude.to_numpy())
    return frame


def select(frame, frm=None, to=None, stations=None):
    keep = frame.occurred_at.notna()
    if frm:
        keep &= frame.occurred_at >= datetime.fromisoformat(frm)
    if to:
        keep &= frame.occurred_at < datetime.fromisoformat(to)
    if stations:
        keep &= frame.station.isin(stations)
    return frame[keep]


def expected_cells(frame, res) -> dict[str, int]:
    return dict(Counter(h3.latlng_to_cell(lat, lon, res) for lat, lon in zip(frame.latitude, frame.longitude)))


def read_csv(path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def export(db, what, out, *, res=None, frm=None, to=None, stations=(), categories=()) -> list[list[str]]:
    args = ["export", what, "--db", db, "--out", out]
    if res is not None:
        args += ["--resolution", res]
    if frm:
        args += ["--from", frm]
    if to:
        args += ["--to", to]
    for s in stations:
        args += ["--station", s]
    for c in categories:
        args += ["--category", c]
    cli(*args)
    header, rows = read_csv(out)
    assert header == (["cell", "incidents"] if what == "cells" else ["station_id", "station_name", "incidents"])
    return rows


def cell_dict(rows) -> dict[str, int]:
    counts = [int(n) for _, n in rows]
    assert counts == sorted(counts, reverse=True)
    return {cell: int(n) for cell, n in rows}


CASES = [  # resolution, --from, --to, --station values (a value may list several, comma-separated)
    (8, "2015-01-01", "2016-01-01", ()),                          # aggregates
    (9, "2015-01-01", "2016-01-01", ()),
    (9, "2015-01-01", "2016-01-01", ("1,18",)),
    (8, "2015-06-01T00:00:00", "2015-07-01", ("11", "12")),
    (9, "2015-03-01T00:30:00", "2015-06-01 12:15", ()),            # not hour-aligned: counted exactly
    (9, "2015-03-01T00:30:00", "2015-06-01 12:15", ("7",)),
    (7, None, "2012-01-01", ()),
    (10, "2019-12-01", None, ("25",)),
    (11, "2018-01-01", "2019-01-01", ()),                          # a resolution without aggregates
]


@pytest.mark.parametrize(("res", "frm", "to", "stations"), CASES)
def test_cells_match_independent_h3_count(chicago_store, source, tmp_path, res, frm, to, stations):
    rows = export(chicago_store, "cells", tmp_path / "cells.csv", res=res, frm=frm, to=to, stations=stations)
    wanted = [s for value in stations for s in value.split(",")]
    expected = expected_cells(select(source, frm, to, wanted), res)
    assert expected                                                   # the case selects something
    assert cell_dict(rows) == expected


def test_cells_category_filter(chicago_store, source, tmp_path):
    violence = export(chicago_store, "cells", tmp_path / "v.csv", res=9, frm="2016-01-01", to="2017-01-01",
                      categories=["violence"])
    assert cell_dict(violence) == expected_cells(select(source, "2016-01-01", "2017-01-01"), 9)
    assert export(chicago_store, "cells", tmp_path / "t.csv", res=9, categories=["theft,fraud"]) == []


def test_from_is_inclusive_and_to_exclusive(chicago_store, source, tmp_path):
    # Midnights that carry incidents at exactly 00:00, on consecutive days: the aggregate path.
    at = Counter(source.occurred_at)
    day = next(t for t in sorted(at) if t.hour == t.minute == 0 and t + timedelta(days=1) in at
               and t.year == 2016)
    nxt = day + timedelta(days=1)
    rows = export(chicago_store, "cells", tmp_path / "day.csv", res=9, frm=day.isoformat(), to=nxt.isoformat())
    assert sum(cell_dict(rows).values()) == len(select(source, day.isoformat(), nxt.isoformat()))
    assert len(select(source, day.isoformat(), nxt.isoformat())) == sum(
        n for t, n in at.items() if day <= t < nxt)
    # One busy minute, not hour-aligned: exactly the incidents of that minute.
    minute = max((t for t in at if t.year == 2017 and t.minute), key=lambda t: (at[t], t))
    end = minute + timedelta(minutes=1)
    rows = export(chicago_store, "cells", tmp_path / "minute.csv", res=8, frm=str(minute), to=str(end))
    assert sum(cell_dict(rows).values()) == at[minute] > 1
    rows = export(chicago_store, "cells", tmp_path / "before.csv", res=8, frm=str(minute - timedelta(hours=1)),
                  to=str(minute))
    assert sum(cell_dict(rows).values()) == sum(n for t, n in at.items() if minute - timedelta(hours=1) <= t < minute)


def station_dict(rows) -> dict[str, int]:
    return {sid: int(n) for sid, _, n in rows}


def test_stations_export_counts_every_station(chicago_store, source, tmp_path):
    rows = export(chicago_store, "stations", tmp_path / "stations.csv")
    expected = Counter(source.station.dropna())
    assert station_dict(rows) == expected
    assert len(rows) == 23
    assert {sid: name for sid, name, _ in rows}["1"] == "1ST"
    period = export(chicago_store, "stations", tmp_path / "p.csv", frm="2013-05-01", to="2013-05-08 06:00")
    assert station_dict(period) == {s: Counter(select(source, "2013-05-01", "2013-05-08 06:00").station)[s]
                                    for s in expected}
    some = export(chicago_store, "stations", tmp_path / "some.csv", stations=["4,8"])
    assert station_dict(some) == {"4": expected["4"], "8": expected["8"]}
    empty = export(chicago_store, "stations", tmp_path / "none.csv", frm="2030-01-01")
    assert len(empty) == 23 and {n for *_, n in empty} == {"0"}


def test_boundaries_loaded_after_incidents_reassign_stations(shared_data, source, tmp_path):
    """Incidents first, districts second: the stored points get their stations, the aggregates follow."""
    db = tmp_path / "late_boundaries.duckdb"
    ingest_json("incidents", shared_data / CHICAGO_ASSAULTS, db=db,
                mapping=MAPPINGS / "chicago_aggravated_assaults.toml")
    before = export(db, "cells", tmp_path / "before.csv", res=9, frm="2014-01-01", to="2015-01-01", stations=["9"])
    assert before == []
    ingest_json("boundaries", shared_data / CHICAGO_DISTRICTS, db=db,
                mapping=MAPPINGS / "chicago_police_districts.toml")
    rows = export(db, "cells", tmp_path / "after.csv", res=9, frm="2014-01-01", to="2015-01-01", stations=["9"])
    assert cell_dict(rows) == expected_cells(select(source, "2014-01-01", "2015-01-01", ["9"]), 9)
    assert station_dict(export(db, "stations", tmp_path / "s.csv")) == Counter(source.station.dropna())


def test_bad_resolution_is_refused(chicago_store, tmp_path):
    proc = cli("export", "cells", "--db", chicago_store, "--resolution", 16, "--out", tmp_path / "x.csv",
               check=False)
    assert proc.returncode == 2 and "resolution" in proc.stderr
