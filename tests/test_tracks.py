"""analysis.tracks on hand-made pings with answers worked out by hand (and one brute-force cross-check)."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely

from analysis import tracks as tr

DAY = datetime(2024, 5, 6)
METRES_PER_DEGREE = 6_371_008.8 * np.pi / 180
HOT, COLD, OTHER = 611, 622, 633            # stand-ins for H3 cells (any int64 works)


def at(clock: str, day: int = 0) -> datetime:
    """A time on the test day: "08:05" or "08:05:30"; ``day`` adds days."""
    parts = [int(x) for x in clock.split(":")] + [0]
    return DAY + timedelta(days=day, hours=parts[0], minutes=parts[1], seconds=parts[2])


def pings(*rows) -> pd.DataFrame:
    """Rows of (unit, "HH:MM[:SS]", cell[, metres north]); units are cars, all on one meridian."""
    frame = pd.DataFrame([(r[0], at(r[1]), r[2], r[3] if len(r) > 3 else 0.0) for r in rows],
                         columns=["unit_id", "ts", "cell", "north_m"])
    return frame.assign(lat=30.0 + frame.pop("north_m") / METRES_PER_DEGREE, lon=103.5, unit_kind="car")


@pytest.fixture
def two_units() -> pd.DataFrame:
    """A: 08:00-08:03 in cell 1, 08:04-08:05 in cell 2, silent 25 min, 08:30-08:31 in cell 1.
    B: 08:00 and 08:05 in cell 2, silent 15 min, 08:20 in cell 2. Deliberately not in time order."""
    return pings(("B", "08:20", 2), ("A", "08:00", 1), ("A", "08:01", 1), ("A", "08:02", 1), ("A", "08:03", 1),
                 ("A", "08:04", 2), ("A", "08:05", 2), ("B", "08:00", 2), ("A", "08:30", 1), ("A", "08:31", 1),
                 ("B", "08:05", 2))


# --- tracks -----------------------------------------------------------------------------------------------

def test_tracks_split_at_gaps_longer_than_the_threshold(two_units):
    found = tr.tracks(two_units)
    summary = [(r.unit_id, r.shift, r.track, r.start, r.end, r.pings) for r in found.itertuples()]
    # B's lone 08:20 ping is a track of one ping: no line (playback still shows it).
    assert summary == [("A", 0, 0, at("08:00"), at("08:05"), 6), ("A", 0, 1, at("08:30"), at("08:31"), 2),
                       ("B", 0, 0, at("08:00"), at("08:05"), 2)]
    assert list(found["unit_kind"]) == ["car"] * 3


def test_a_gap_of_exactly_the_threshold_does_not_split():
    ten_minutes = pings(("A", "08:00", 1), ("A", "08:10", 1), ("A", "08:20:01", 1))
    labels = tr.label_tracks(ten_minutes)
    assert list(labels["track"]) == [0, 0, 1]


def test_shifts_change_at_the_roster_hours_and_after_long_silences():
    frame = pings(("C", "19:58", 1), ("C", "19:59", 1), ("C", "20:00", 1), ("C", "20:01", 1),
                  ("C", "23:59", 1), ("C", "23:59:30", 1))
    frame = pd.concat([frame, pings(("C", "00:00", 1), ("C", "00:01", 1)).assign(ts=lambda f: f.ts + timedelta(1))])
    labels = tr.label_tracks(frame)
    # 20:00 is a shift change; 20:01 → 23:59 is a silence of > 2 h (new shift); midnight is not a change.
    assert list(labels["shift"]) == [0, 0, 1, 1, 2, 2, 2, 2]
    assert list(labels["track"]) == [0, 0, 0, 0, 0, 0, 0, 0]
    assert labels["ts"].is_monotonic_increasing


def test_shift_break_shorter_than_a_gap_is_refused(two_units):
    with pytest.raises(ValueError, match="shift break"):
        tr.label_tracks(two_units, gap_minutes=30, shift_break_hours=0.25)


def test_track_lines_are_lon_lat_simplified_in_metres_with_true_length():
    # Ten pings 100 m apart heading north with ±1 m of sideways jitter, then a turn east for 200 m.
    jitter_m = [0, 1, -1, 1, 0, -1, 1, -1, 0, 0]
    rows = [("A", f"09:{i:02d}", 1, 100.0 * i) for i in range(10)]
    frame = pings(*rows)
    frame["lon"] = 103.5 + np.array(jitter_m) / (METRES_PER_DEGREE * np.cos(np.radians(frame["lat"])))
    east = pings(("A", "09:10", 1, 900.0), ("A", "09:11", 1, 900.0))
    east["lon"] = 103.5 + np.array([100.0, 200.0]) / (METRES_PER_DEGREE * np.cos(np.radians(east["lat"])))
    [line] = tr.tracks(pd.concat([frame, east])).itertuples()
    coords = shapely.get_coordinates(line.geometry)
    # Jitter (1 m) is below the 5 m tolerance: the north leg collapses to its ends, the corner stays.
    assert len(coords) == 3
    assert coords[0] == pytest.approx([103.5, 30.0])                       # lon first, then lat
    assert coords[1][1] == pytest.approx(30.0 + 900 / METRES_PER_DEGREE)
    wiggle = sum(np.hypot(100.0, np.diff(jitter_m)))
    assert line.length_m == pytest.approx(wiggle + 200.0, abs=0.5)        # measured before simplifying
    # A tolerance below the jitter keeps every vertex but the two lying exactly on the line through their
    # neighbours (09:04 between +1 m and -1 m; 09:10 midway along the eastward leg).
    [fine] = tr.tracks(pd.concat([frame, east]), tolerance_m=0.1).itertuples()
    assert len(shapely.get_coordinates(fine.geometry)) == 12 - 2


# --- presence ---------------------------------------------------------------------------------------------

def test_presence_minutes_per_cell(two_units):
    presence = tr.presence_minutes(two_units)
    # A: cell 1 gets 4 × 1 min, then 08:30 (1) and its last ping 08:31 (capped: 10); cell 2 gets 08:04 (1) and
    # 08:05, whose next ping is 25 min later (capped: 10). B: cell 2 gets 5 + 10 (capped from 15) + 10.
    assert dict(zip(presence["cell"], presence["minutes"])) == {1: 4 + 1 + 10, 2: 1 + 10 + 5 + 10 + 10}


def test_presence_is_cut_exactly_at_the_window(two_units):
    presence = tr.presence_minutes(two_units, start=at("08:03"), end=at("08:31"))
    # Cell 1: A's 08:03 (1) and 08:30 (1). Cell 2: A 1 + 10; B's 08:00 span counts from 08:03 (2), then 10 + 10.
    assert dict(zip(presence["cell"], presence["minutes"])) == {1: 2, 2: 11 + 2 + 10 + 10}


def test_presence_in_a_time_of_day_band_that_wraps_midnight():
    night = pings(("N", "23:55", 7), ("N", "23:59", 8))
    night = pd.concat([night, pings(("N", "00:05", 8)).assign(ts=lambda f: f.ts + timedelta(1))])
    # Spans: cell 7 23:55-23:59 (4), cell 8 23:59-00:05 (6), cell 8 00:05-00:15 (last ping, capped: 10).
    def minutes(hours):
        presence = tr.presence_minutes(night, hours=hours)
        return dict(zip(presence["cell"], presence["minutes"]))
    assert minutes(None) == {7: 4, 8: 16}
    assert minutes((22, 6)) == {7: 4, 8: 16}
    assert minutes((0, 6)) == {8: 5 + 10}
    assert minutes((23.95, 24)) == pytest.approx({7: 2, 8: 1})          # 23:57-24:00
    assert minutes((6, 22)) == {}


def test_patrol_minutes_by_hour_split_at_the_hour():
    frame = pings(("N", "07:55", 7), ("N", "08:03", 7), ("N", "08:04", 7))
    by_hour = tr.patrol_minutes_by_hour(frame)
    # 07:55-08:03 → 5 + 3; 08:03-08:04 → 1; the last ping 08:04-08:14 → 10.
    assert by_hour[7] == 5 and by_hour[8] == 3 + 1 + 10 and by_hour.sum() == 19
    with pytest.raises(ValueError):
        tr.patrol_minutes_by_hour(frame, gap_minutes=90)


def test_patrol_minutes_against_incidents_by_hour(two_units):
    incidents = [at("08:10"), at("08:50"), at("21:00"), at("21:30", day=1), at("07:00", day=-1)]
    table = tr.patrol_and_incidents_by_hour(two_units, incidents, start=DAY, end=DAY + timedelta(days=1))
    assert list(table.columns) == ["hour", "patrol_minutes", "incidents"]
    assert table.loc[8, "incidents"] == 2 and table.loc[21, "incidents"] == 1 and table["incidents"].sum() == 3
    assert table.loc[8, "patrol_minutes"] == 15 + 36 and table["patrol_minutes"].sum() == 51


def test_presence_equals_what_the_playback_shows():
    """Brute force: sample positions_at every 10 s; each sample stands for 10 s of the unit in its cell."""
    rng = np.random.default_rng(3)
    rows = []
    for unit in ("U1", "U2", "U3"):
        t = 0
        for _ in range(150):
            t += int(rng.choice([1, 2, 3, 6, 30, 80]))          # steps of 10 s: some gaps exceed 10 min
            rows.append((unit, DAY + timedelta(seconds=10 * t), int(rng.integers(3)), 30.0, 103.5))
    frame = pd.DataFrame(rows, columns=["unit_id", "ts", "cell", "lat", "lon"])
    start, end = DAY + timedelta(minutes=20), DAY + timedelta(hours=5)
    seen: dict[int, float] = {}
    for k in range(int((end - start).total_seconds() // 10)):
        moment = start + timedelta(seconds=10 * k)
        for cell in tr.positions_at(frame, moment)["cell"]:
            seen[int(cell)] = seen.get(int(cell), 0) + 10 / 60
    presence = tr.presence_minutes(frame, start=start, end=end)
    assert dict(zip(presence["cell"], presence["minutes"])) == pytest.approx(seen)
    by_hour = tr.patrol_minutes_by_hour(frame, start=start, end=end)
    assert by_hour.sum() == pytest.approx(sum(seen.values()))


# --- dosage -----------------------------------------------------------------------------------------------

def every_minute(*stays) -> pd.DataFrame:
    """Minute pings from stays of (unit, first "HH:MM", last "HH:MM", cell), both ends included."""
    rows = []
    for unit, first, last, cell in stays:
        t0, t1 = at(first), at(last)
        rows += [(unit, t0 + timedelta(minutes=m), cell) for m in range(int((t1 - t0).total_seconds() // 60) + 1)]
    return pd.DataFrame(rows, columns=["unit_id", "ts", "cell"]).assign(lat=30.0, lon=103.5)


@pytest.fixture
def hotspot_day() -> pd.DataFrame:
    return every_minute(("A", "10:00", "10:12", HOT), ("A", "10:13", "10:14", OTHER),
                        ("A", "10:15", "10:20", HOT), ("A", "10:21", "11:59", OTHER),
                        ("A", "12:00", "12:14", HOT), ("A", "12:15", "12:20", OTHER),
                        ("B", "10:10", "10:29", HOT), ("B", "10:30", "10:35", OTHER))


def test_visits_merge_short_excursions(hotspot_day):
    visits = tr.hotspot_visits(hotspot_day, [HOT, COLD])
    found = [(v.unit_id, v.cell, v.start, v.end, v.minutes, v.pings) for v in visits.itertuples()]
    # A's 2-minute excursion (< 3 min) is part of its first visit, which ends when its 10:20 ping is
    # followed by a ping elsewhere (10:21).
    assert found == [("A", HOT, at("10:00"), at("10:21"), 21.0, 13 + 6), ("A", HOT, at("12:00"), at("12:15"), 15.0, 15),
                     ("B", HOT, at("10:10"), at("10:30"), 20.0, 20)]


def test_an_excursion_longer_than_the_merge_window_is_a_new_visit(hotspot_day):
    visits = tr.hotspot_visits(hotspot_day, [HOT], merge_minutes=2)
    assert list(visits.loc[visits.unit_id == "A", "minutes"]) == [13.0, 6.0, 15.0]


def test_a_silence_ends_a_visit():
    frame = pings(("A", "10:00", HOT), ("A", "10:05", HOT), ("A", "10:40", HOT), ("A", "10:41", OTHER))
    visits = tr.hotspot_visits(frame, [HOT])
    # 10:05's span is capped at 10 min (to 10:15); 10:40 is 25 min later: a second visit.
    assert list(zip(visits.start, visits.minutes)) == [(at("10:00"), 15.0), (at("10:40"), 1.0)]


def test_dosage_per_hot_cell(hotspot_day):
    visits = tr.hotspot_visits(hotspot_day, [HOT, COLD])
    dosage = tr.hotspot_dosage(visits, [HOT, COLD]).set_index("cell")
    # A's first visit and B's overlap: one episode 10:00-10:30 (30 min); then A's 12:00-12:15 (15 min).
    hot = dosage.loc[HOT]
    assert (hot.visits, hot.unit_minutes, hot.mean_visit_minutes, hot.mean_interval_minutes) == (2, 56, 22.5, 120)
    assert bool(hot.meets_dosage)          # ≥ 10 min per visit, every ≤ 2 h
    cold = dosage.loc[COLD]
    assert cold.visits == 0 and cold.unit_minutes == 0
    assert np.isnan(cold.mean_visit_minutes) and np.isnan(cold.mean_interval_minutes) and not cold.meets_dosage


def test_dosage_misses_the_reference_when_visits_are_short_or_rare():
    short = every_minute(("A", "10:00", "10:05", HOT), ("A", "10:06", "11:59", OTHER),
                         ("A", "12:00", "12:05", HOT), ("A", "12:06", "12:10", OTHER))
    dosage = tr.hotspot_dosage(tr.hotspot_visits(short, [HOT]), [HOT]).iloc[0]
    assert (dosage.visits, dosage.mean_visit_minutes, dosage.mean_interval_minutes) == (2, 6.0, 120.0)
    assert not dosage.meets_dosage
    rare = every_minute(("A", "10:00", "10:14", HOT), ("A", "10:15", "12:59", OTHER),
                        ("A", "13:00", "13:14", HOT), ("A", "13:15", "13:20", OTHER))
    dosage = tr.hotspot_dosage(tr.hotspot_visits(rare, [HOT]), [HOT]).iloc[0]
    assert (dosage.visits, dosage.mean_visit_minutes, dosage.mean_interval_minutes) == (2, 15.0, 180.0)
    assert not dosage.meets_dosage
    assert tr.DOSAGE_VISIT_MINUTES == (10.0, 16.0) and tr.DOSAGE_INTERVAL_MINUTES == 120.0


def test_hot_but_unpatrolled_ranking():
    presence = pd.DataFrame({"cell": [2, 9], "minutes": [100.0, 50.0]})
    ranking = tr.hot_but_unpatrolled([1, 2, 3, 4], [10, 5, 5, 0], presence, top=None)
    # The 100 minutes spent in incident cells shared 10:5:5:0 → fair 50, 25, 25, 0; cell 9 has no incidents.
    assert list(ranking["cell"]) == [1, 3, 4, 2]
    assert list(ranking["deficit_minutes"]) == [50.0, 25.0, 0.0, -75.0]
    assert list(ranking["patrol_minutes"]) == [0.0, 0.0, 0.0, 100.0]
    assert list(tr.hot_but_unpatrolled([1, 2, 3], [10, 5, 5], presence, top=1)["cell"]) == [1]
    # No patrol at all: the ranking falls back to incidents.
    nobody = pd.DataFrame({"cell": pd.Series([], dtype="int64"), "minutes": pd.Series([], dtype=float)})
    assert list(tr.hot_but_unpatrolled([1, 2, 3], [2, 9, 4], nobody)["cell"]) == [2, 3, 1]


# --- playback ---------------------------------------------------------------------------------------------

def test_positions_at_a_time(two_units):
    def shown(clock):
        found = tr.positions_at(two_units, at(clock))
        return {r.unit_id: (r.ts, r.age_seconds) for r in found.itertuples()}
    assert shown("07:59") == {}
    assert shown("08:00") == {"A": (at("08:00"), 0.0), "B": (at("08:00"), 0.0)}
    assert shown("08:10") == {"A": (at("08:05"), 300.0), "B": (at("08:05"), 300.0)}
    assert shown("08:14:59") == {"A": (at("08:05"), 599.0), "B": (at("08:05"), 599.0)}
    assert shown("08:15") == {}                            # 10 min of silence: no longer shown
    assert shown("08:30:30") == {"A": (at("08:30"), 30.0)}  # B's 08:20 ping is 10.5 min old
    row = tr.positions_at(two_units, at("08:04:30")).iloc[0]
    assert (row.unit_id, row.unit_kind, row.cell, row.lon) == ("A", "car", 2, 103.5)


def test_trails_cover_the_last_minutes_and_stop_at_a_silence():
    frame = pings(*[("A", f"08:0{m}", 1, 10.0 * m) for m in range(6)], ("A", "08:30", 1, 500.0),
                  ("A", "08:31", 1, 510.0), ("B", "08:00", 2), ("B", "08:05", 2, 40.0))
    trails = tr.trails_at(frame, at("08:05"), trail_minutes=3).set_index("unit_id")
    north = [30.0 + m / METRES_PER_DEGREE for m in (30.0, 40.0, 50.0)]
    assert np.array(trails.loc["A", "coordinates"]) == pytest.approx(np.array([[103.5, lat] for lat in north]))
    assert (trails.loc["A", "start"], trails.loc["A", "end"]) == (at("08:03"), at("08:05"))
    assert len(trails.loc["B", "coordinates"]) == 1       # B's 08:00 ping is more than 3 min back
    later = tr.trails_at(frame, at("08:31"), trail_minutes=60)
    # The 25-minute silence cuts A's trail: only 08:30 and 08:31; B is no longer shown.
    assert list(later["unit_id"]) == ["A"] and len(later.iloc[0]["coordinates"]) == 2


def test_arrays_in_a_mapping_work_like_a_frame(two_units):
    as_arrays = {c: two_units[c].to_numpy() for c in ("unit_id", "ts", "lat", "lon", "cell")}
    assert tr.presence_minutes(as_arrays).equals(tr.presence_minutes(two_units))


def test_presence_by_hour_adds_up_to_presence_minutes_in_any_whole_hour_window():
    """Spans split at the hour: summing the hourly rows over a window and a band equals presence_minutes."""
    rng = np.random.default_rng(11)
    start = pd.Timestamp("2026-03-01 00:00")
    rows = []
    for unit in ("car-1", "car-2", "foot-1"):
        t = start + pd.Timedelta(minutes=float(rng.uniform(0, 30)))
        for _ in range(400):
            rows.append((unit, "foot" if unit.startswith("foot") else "car", t, 29.6, 103.4,
                         int(rng.integers(1, 6))))
            t += pd.Timedelta(minutes=float(rng.choice([0.5, 3.0, 7.5, 25.0], p=[0.6, 0.2, 0.15, 0.05])))
    pings = pd.DataFrame(rows, columns=["unit_id", "unit_kind", "ts", "lat", "lon", "cell"])
    hourly = tr.presence_by_hour(pings)
    assert set(hourly.columns) == {"hour", "cell", "unit_kind", "minutes"}
    assert (hourly["hour"].dt.minute == 0).all()
    window = (pd.Timestamp("2026-03-01 05:00"), pd.Timestamp("2026-03-02 02:00"))
    in_window = hourly[(hourly["hour"] >= window[0]) & (hourly["hour"] < window[1])]
    night = in_window[(in_window["hour"].dt.hour >= 20) | (in_window["hour"].dt.hour < 6)]
    for subset, band in ((in_window, None), (night, (20, 6))):
        expected = tr.presence_minutes(pings, *window, hours=band).set_index("cell")["minutes"]
        got = subset.groupby("cell")["minutes"].sum()
        assert got.round(6).to_dict() == expected.round(6).to_dict()
