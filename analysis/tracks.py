"""Patrol tracks and presence from GPS pings: tracks, patrol minutes per cell, dosage in hotspots, playback.

Input is a frame (or a mapping of equal-length arrays) with one row per ping: ``unit_id``, ``ts`` and
``lat``, ``lon`` (WGS84); optional ``unit_kind`` (carried to tracks and positions) and ``cell`` (the ping's
H3 cell as a signed int64, as the store keeps ``h3_r7`` … ``h3_r10``; presence and visits need it).
Times are the bureau's local wall-clock times, naive, as the store keeps them; a time-zone-aware input
is read as its wall-clock time. Outputs are plain frames, arrays and shapely geometries in lon/lat order.

One rule runs through everything here: **a ping vouches for its unit's position until the next ping of
that unit, for at most** ``GAP_MINUTES``. Presence minutes, visits, playback positions and track breaks
all follow from it, so the minutes a cell gets are exactly the minutes the playback shows a unit there.
Pass pings from ``GAP_MINUTES`` before a window's start: the last ping before it still counts into it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

# A unit silent for longer than this has stopped (parked with the device off, lost signal, off duty): its
# track breaks and its last position is no longer shown. Ten minutes is 20 missed pings at the usual 30 s
# and longer than a GPS dropout in a tunnel or an underground car park.
GAP_MINUTES = 10.0
# Shifts follow the two-shift roster (两班倒: 白班 08-20 h, 夜班 20-08 h): a shift change splits a unit's day
# even when its device pings straight through, and a silence this long (longer than a meal break) starts a
# new shift too, so a unit on a split duty gets one shift per stint.
SHIFT_CHANGE_HOURS = (8, 20)
SHIFT_BREAK_HOURS = 2.0
# Tracks are simplified for display with this tolerance: a vehicle GPS is good to about 5 m, so nothing
# drawn moves by more than the fix itself could be off, while a 30-second-ping track on a straight road
# collapses to its two ends (a few times fewer vertices sent to the browser).
SIMPLIFY_TOLERANCE_M = 5.0
# Pings of a unit in a cell form one visit when apart by less than this: GPS jitter across a cell edge or
# a lap around the block is not two visits (a res-9 cell is ~350 m across: a car laps it in 2-3 min).
VISIT_MERGE_MINUTES = 3.0
# Hot-spot dosage (Koper 1995, "Just enough police presence", Justice Quarterly 12(4); confirmed in the
# Sacramento experiment, Telep et al. 2014): visits of about 10-16 min, random, about every 2 h, deter
# most; shorter stops deter little, longer ones add little ("the Koper curve").
DOSAGE_VISIT_MINUTES = (10.0, 16.0)
DOSAGE_INTERVAL_MINUTES = 120.0
# Playback trail length behind each unit's position.
TRAIL_MINUTES = 5.0

_EARTH_RADIUS_M = 6_371_008.8            # mean radius: local metres from degrees (equirectangular)
_METRES_PER_DEGREE = _EARTH_RADIUS_M * np.pi / 180.0
_NS_PER_MINUTE = 60 * 10**9
_NS_PER_HOUR = 60 * _NS_PER_MINUTE
_NS_PER_DAY = 24 * _NS_PER_HOUR


# --- preparing pings --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Pings:
    """Pings sorted by unit then time, as arrays; ``unit`` codes index ``units`` (sorted labels)."""

    unit: np.ndarray          # int64 codes
    units: np.ndarray         # unit labels, code → label
    ts: np.ndarray            # int64 ns, local wall clock
    lat: np.ndarray
    lon: np.ndarray
    cell: np.ndarray | None   # H3 cell per ping (int64), if given
    kinds: pd.Series | None   # unit_kind in the input's order, if given: read only where needed (see kind)
    order: np.ndarray | None  # sorted position → input row, when the input was not sorted

    def __len__(self) -> int:
        return len(self.ts)

    @property
    def starts_unit(self) -> np.ndarray:
        """True where a ping is its unit's first."""
        first = np.ones(len(self), dtype=bool)
        first[1:] = self.unit[1:] != self.unit[:-1]
        return first

    def kind(self, rows: np.ndarray) -> np.ndarray | None:
        """unit_kind at sorted positions ``rows`` (strings cost a conversion: only the rows asked for)."""
        if self.kinds is None:
            return None
        return self.kinds.iloc[rows if self.order is None else self.order[rows]].to_numpy()

    def interval_before_ns(self) -> np.ndarray:
        """Time since the unit's previous ping (a unit's first ping: the largest int64, i.e. 'never')."""
        before = np.full(len(self), np.iinfo(np.int64).max, dtype=np.int64)
        before[1:] = np.where(self.unit[1:] == self.unit[:-1], self.ts[1:] - self.ts[:-1], before[1:])
        return before


def _prepared(pings) -> _Pings:
    """The pings as sorted arrays (sorted only when they are not already by unit and time)."""
    frame = pings if isinstance(pings, pd.DataFrame) else pd.DataFrame(dict(pings))
    codes, units = pd.factorize(frame["unit_id"], sort=True)
    codes = codes.astype(np.int64)
    ts = _timestamps_to_ns(frame["ts"])
    columns = {"lat": frame["lat"].to_numpy(dtype=float), "lon": frame["lon"].to_numpy(dtype=float),
               "cell": frame["cell"].to_numpy(dtype=np.int64) if "cell" in frame else None}
    order = None
    if not _is_sorted(codes, ts):
        order = np.lexsort((ts, codes))
        codes, ts = codes[order], ts[order]
        columns = {k: None if v is None else v[order] for k, v in columns.items()}
    kinds = frame.get("unit_kind")
    return _Pings(codes, np.asarray(units), ts, **columns, kinds=kinds, order=order)


def _is_sorted(codes: np.ndarray, ts: np.ndarray) -> bool:
    """True when pings are ordered by unit, then time (the store's ``ORDER BY unit_id, ts``)."""
    if len(codes) < 2:
        return True
    unit_step = np.diff(codes)
    return bool(np.all(unit_step >= 0) and np.all((unit_step > 0) | (np.diff(ts) >= 0)))


def _timestamps_to_ns(values) -> np.ndarray:
    """Times (datetimes, strings, numpy or pandas) → int64 nanoseconds of the local wall clock."""
    times = pd.to_datetime(pd.Series(values) if not isinstance(values, pd.Series) else values)
    if times.dt.tz is not None:
        times = times.dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _timestamp_to_ns(moment) -> int:
    """One time → int64 nanoseconds of the local wall clock."""
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(stamp.as_unit("ns").value)


def _ns_to_timestamps(ns: np.ndarray) -> np.ndarray:
    return np.asarray(ns, dtype=np.int64).view("datetime64[ns]")


def _dwell_ns(p: _Pings, gap_minutes: float = GAP_MINUTES) -> np.ndarray:
    """How long each ping vouches for its unit's position: time to the unit's next ping, at most the gap."""
    gap_ns = int(gap_minutes * _NS_PER_MINUTE)
    dwell = np.full(len(p), gap_ns, dtype=np.int64)
    if len(p) > 1:
        same_unit = p.unit[1:] == p.unit[:-1]
        dwell[:-1] = np.where(same_unit, np.minimum(p.ts[1:] - p.ts[:-1], gap_ns), gap_ns)
    return dwell


def lonlat_pairs(lon, lat) -> np.ndarray:
    """(n, 2) array in GeoJSON's lon, lat order from separate lat and lon (the store's columns)."""
    return np.column_stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)])


# --- tracks -----------------------------------------------------------------------------------------------

def label_tracks(pings, gap_minutes: float = GAP_MINUTES, shift_break_hours: float = SHIFT_BREAK_HOURS,
                 shift_change_hours: Iterable[float] = SHIFT_CHANGE_HOURS) -> pd.DataFrame:
    """The pings sorted by unit and time, each with its ``shift`` (per unit) and ``track`` (per shift), 0-based.

    A shift ends at a shift change (``shift_change_hours``) and after a silence of ``shift_break_hours`` or
    more; within a shift, a track ends where the unit was silent for more than ``gap_minutes``.
    """
    p = _prepared(pings)
    shift, track, _ = _shift_and_track(p, gap_minutes, shift_break_hours, shift_change_hours)
    out = pd.DataFrame({"unit_id": p.units[p.unit], "ts": _ns_to_timestamps(p.ts), "lat": p.lat, "lon": p.lon})
    if p.kinds is not None:
        out["unit_kind"] = p.kind(np.arange(len(p)))
    if p.cell is not None:
        out["cell"] = p.cell
    return out.assign(shift=shift, track=track)


def _shift_and_track(p: _Pings, gap_minutes: float, shift_break_hours: float,
                     shift_change_hours: Iterable[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ping: shift number within its unit, track number within its shift, and where a new track starts."""
    if shift_break_hours * 60 < gap_minutes:
        raise ValueError("a shift break must be at least as long as a track gap")
    before = p.interval_before_ns()
    new_shift = (before >= shift_break_hours * _NS_PER_HOUR) | _crosses_shift_change(p, shift_change_hours)
    new_track = new_shift | (before > gap_minutes * _NS_PER_MINUTE)
    return (_count_within(new_shift, p.starts_unit), _count_within(new_track, new_shift),
            new_track)


def _crosses_shift_change(p: _Pings, shift_change_hours: Iterable[float]) -> np.ndarray:
    """True where a ping falls in another roster slot than the unit's previous ping."""
    changes = np.sort(np.asarray(list(shift_change_hours), dtype=float) * _NS_PER_HOUR).astype(np.int64)
    if len(changes) == 0:
        return np.zeros(len(p), dtype=bool)
    # Time measured from the first change of the day: the night slot (20-08 h) then does not wrap midnight.
    since_first = p.ts - changes[0]
    day, time_of_day = np.divmod(since_first, _NS_PER_DAY)
    slot = day * len(changes) + np.searchsorted(changes - changes[0], time_of_day, side="right") - 1
    crossed = np.zeros(len(p), dtype=bool)
    crossed[1:] = slot[1:] != slot[:-1]
    return crossed


def _count_within(new_item: np.ndarray, new_parent: np.ndarray) -> np.ndarray:
    """0-based number of each row's item within its parent group (rows sorted; a parent start is an item start)."""
    item_id = np.cumsum(new_item) - 1
    parent_first_item = np.maximum.accumulate(np.where(new_parent, item_id, 0))
    return item_id - parent_first_item


def tracks(pings, gap_minutes: float = GAP_MINUTES, shift_break_hours: float = SHIFT_BREAK_HOURS,
           shift_change_hours: Iterable[float] = SHIFT_CHANGE_HOURS,
           tolerance_m: float = SIMPLIFY_TOLERANCE_M) -> pd.DataFrame:
    """One row per track: unit_id, [unit_kind], shift, track, start, end, pings, length_m, geometry.

    ``geometry`` is a lon/lat LineString simplified with ``tolerance_m`` (Douglas-Peucker in local metres);
    ``length_m`` is measured before simplifying. A track of a single ping (a unit heard once between two
    silences) has no line and is left out; playback still shows it as a position.
    """
    p = _prepared(pings)
    shift, track, new_track = _shift_and_track(p, gap_minutes, shift_break_hours, shift_change_hours)
    first = np.flatnonzero(new_track)
    counts = np.diff(np.append(first, len(p)))
    lines = counts >= 2
    first, counts = first[lines], counts[lines]
    last = first + counts - 1
    geometry, length_m = _simplified_lines(p, first, counts, tolerance_m)
    out = pd.DataFrame({"unit_id": p.units[p.unit[first]]})
    if p.kinds is not None:
        out["unit_kind"] = p.kind(first)
    return out.assign(shift=shift[first], track=track[first], start=_ns_to_timestamps(p.ts[first]),
                      end=_ns_to_timestamps(p.ts[last]), pings=counts, length_m=length_m, geometry=geometry)


def _simplified_lines(p: _Pings, first: np.ndarray, counts: np.ndarray,
                      tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat LineStrings of the given ping runs, simplified in metres, and their unsimplified lengths."""
    if len(first) == 0:
        return np.empty(0, dtype=object), np.empty(0)
    line_of = np.repeat(np.arange(len(first)), counts)
    rows = _ranges(first, counts)
    # Each line in local metres around its first point, east-west scaled at its mean latitude: within a
    # track's few tens of km the distortion stays far below the simplification tolerance.
    origin_lon, origin_lat = p.lon[first], p.lat[first]
    metres_per_degree_lon = np.cos(np.radians(np.bincount(line_of, p.lat[rows]) / counts)) * _METRES_PER_DEGREE
    xy = np.column_stack([(p.lon[rows] - origin_lon[line_of]) * metres_per_degree_lon[line_of],
                          (p.lat[rows] - origin_lat[line_of]) * _METRES_PER_DEGREE])
    metric = shapely.linestrings(xy, indices=line_of)
    simple = shapely.simplify(metric, tolerance_m, preserve_topology=False)
    coords, owner = shapely.get_coordinates(simple, return_index=True)
    back = lonlat_pairs(origin_lon[owner] + coords[:, 0] / metres_per_degree_lon[owner],
                  origin_lat[owner] + coords[:, 1] / _METRES_PER_DEGREE)
    return shapely.linestrings(back, indices=owner), shapely.length(metric)


def _ranges(first: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(f, f + c)`` for every (f, c), without a Python loop."""
    total = int(counts.sum())
    step = np.ones(total, dtype=np.int64)
    starts_at = np.cumsum(counts) - counts
    step[starts_at] = first - np.concatenate([[0], first[:-1] + counts[:-1] - 1])
    step[0] = first[0]
    return np.cumsum(step)


# --- presence ---------------------------------------------------------------------------------------------

def _dwell_spans_ns(p: _Pings, start, end, gap_minutes: float) -> tuple[np.ndarray, np.ndarray]:
    """[from, to) of the time each ping vouches for, cut to the window [start, end) (empty spans: from = to)."""
    begin = p.ts
    finish = p.ts + _dwell_ns(p, gap_minutes)
    if start is not None:
        begin = np.maximum(begin, _timestamp_to_ns(start))
    if end is not None:
        finish = np.minimum(finish, _timestamp_to_ns(end))
    return begin, np.maximum(finish, begin)


def _minutes_in_hours(begin: np.ndarray, finish: np.ndarray, hours: tuple[float, float] | None) -> np.ndarray:
    """Minutes of each span inside the time-of-day band ``hours`` = (from, to); from > to wraps midnight.

    Spans are at most a day long (a ping's dwell is at most the gap), so a span starting at time of day s
    can only meet the band of its own day and of the next: two overlaps, one modulo per span.
    """
    if hours is None:
        return (finish - begin) / _NS_PER_MINUTE
    band_from, band_to = (int(round(h * _NS_PER_HOUR)) for h in hours)
    if not (0 <= band_from <= _NS_PER_DAY and 0 <= band_to <= _NS_PER_DAY):
        raise ValueError(f"time-of-day band {hours} is not within 0-24 h")
    if np.any(finish - begin > _NS_PER_DAY):
        raise ValueError("time-of-day minutes need spans of at most a day (gap_minutes <= 1440)")
    if band_from < band_to:
        parts = [(band_from, band_to)]
    elif band_from > band_to:
        parts = [(band_from, _NS_PER_DAY), (0, band_to)]
    else:
        parts = [(0, _NS_PER_DAY)]           # (h, h): the whole day
    span_from = begin % _NS_PER_DAY
    span_to = span_from + (finish - begin)
    inside = np.zeros(len(begin), dtype=np.int64)
    for lo, hi in parts:
        for day in (0, _NS_PER_DAY):
            inside += np.maximum(np.minimum(span_to, hi + day) - np.maximum(span_from, lo + day), 0)
    return inside / _NS_PER_MINUTE


def presence_minutes(pings, start=None, end=None, hours: tuple[float, float] | None = None,
                     gap_minutes: float = GAP_MINUTES) -> pd.DataFrame:
    """Patrol minutes per H3 cell in [start, end), optionally only within the time-of-day band ``hours``.

    Each ping's time (to the unit's next ping, at most ``gap_minutes``) counts for the ping's cell; a span
    is cut exactly at the window's ends and the band's edges. Minutes are unit-minutes: two units in a
    cell for ten minutes make twenty. Returns columns ``cell`` and ``minutes`` for cells with any time,
    sorted by cell.
    """
    p = _prepared(pings)
    _require_cells(p)
    minutes = _minutes_in_hours(*_dwell_spans_ns(p, start, end, gap_minutes), hours)
    spent = minutes > 0
    cells, totals = _sum_by_key(p.cell[spent], minutes[spent])
    return pd.DataFrame({"cell": cells, "minutes": totals})


def hourly_spans(pings, gap_minutes: float = GAP_MINUTES) -> pd.DataFrame:
    """Each ping's time (the rule of ``presence_minutes``) split at the clock hour it crosses.

    Returns ``row`` (the ping's position in the input), ``hour`` (int64 ns of the hour's start) and
    ``minutes``; a span crosses one hour boundary at most (``gap_minutes`` <= 60), so a ping gives one or two
    rows. Whatever a ping carries (its cell at each resolution, its station, its unit kind) can be joined on
    ``row``, and any whole-hour window and time-of-day band then adds up exactly.
    """
    if gap_minutes > 60:
        raise ValueError("hourly presence needs spans of at most an hour (gap_minutes <= 60)")
    p = _prepared(pings)
    begin, finish = _dwell_spans_ns(p, None, None, gap_minutes)
    hour = begin - begin % _NS_PER_HOUR
    boundary = hour + _NS_PER_HOUR
    first = (np.minimum(finish, boundary) - begin) / _NS_PER_MINUTE
    second = np.maximum(finish - boundary, 0) / _NS_PER_MINUTE
    rows = np.arange(len(p)) if p.order is None else p.order
    spill = second > 0
    spans = pd.DataFrame({"row": np.concatenate([rows, rows[spill]]), "hour": np.concatenate([hour, boundary[spill]]),
                          "minutes": np.concatenate([first, second[spill]])})
    return spans[spans["minutes"] > 0].reset_index(drop=True)


def presence_by_hour(pings, gap_minutes: float = GAP_MINUTES) -> pd.DataFrame:
    """Patrol minutes per (clock hour, cell[, unit kind]) from ``hourly_spans``.

    Returns ``hour`` (datetime64, the hour's start), ``cell``, ``unit_kind`` (when the pings have one) and
    ``minutes``.
    """
    frame = pings if isinstance(pings, pd.DataFrame) else pd.DataFrame(dict(pings))
    if "cell" not in frame:
        raise ValueError("pings need a 'cell' column (the H3 cell of each ping, e.g. the store's h3_r9)")
    spans = hourly_spans(frame, gap_minutes)
    keys = ["hour", "cell"] + (["unit_kind"] if "unit_kind" in frame else [])
    spans = spans.assign(**{k: frame[k].to_numpy()[spans["row"].to_numpy()] for k in keys[1:]})
    grouped = spans.groupby(keys, sort=True, as_index=False)["minutes"].sum()
    grouped["hour"] = _ns_to_timestamps(grouped["hour"].to_numpy(np.int64))
    return grouped


def _require_cells(p: _Pings) -> None:
    if p.cell is None:
        raise ValueError("pings need a 'cell' column (the H3 cell of each ping, e.g. the store's h3_r9)")


def _sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique keys and the sum of ``values`` for each (a hash grouping, no per-row Python)."""
    codes, uniques = pd.factorize(keys)
    sums = np.bincount(codes, weights=values, minlength=len(uniques))
    # Sorting the few thousand distinct keys afterwards is cheaper than factorize(sort=True) remapping codes.
    order = np.argsort(uniques)
    return np.asarray(uniques)[order], sums[order]


def patrol_minutes_by_hour(pings, start=None, end=None, gap_minutes: float = GAP_MINUTES) -> np.ndarray:
    """Patrol minutes in each hour of the day (24 values, 00-01 h first) in [start, end), split at the hour."""
    if gap_minutes > 60:
        raise ValueError("hour-of-day minutes need spans of at most an hour (gap_minutes <= 60)")
    p = _prepared(pings)
    begin, finish = _dwell_spans_ns(p, start, end, gap_minutes)
    # A span of at most an hour touches at most two clock hours: its own and the next.
    hour = begin // _NS_PER_HOUR
    in_first = np.minimum(finish, (hour + 1) * _NS_PER_HOUR) - begin
    in_next = (finish - begin) - in_first
    hour_of_day = hour % 24
    minutes = np.bincount(hour_of_day, weights=in_first / _NS_PER_MINUTE, minlength=24)
    spill = np.flatnonzero(in_next)          # the few spans that cross an hour boundary
    minutes = minutes + np.bincount((hour_of_day[spill] + 1) % 24, weights=in_next[spill] / _NS_PER_MINUTE,
                                    minlength=24)
    return minutes.astype(float)


def patrol_and_incidents_by_hour(pings, incident_times, start=None, end=None,
                                 gap_minutes: float = GAP_MINUTES) -> pd.DataFrame:
    """Per hour of day: ``patrol_minutes`` and ``incidents`` in [start, end), to set presence against need."""
    occurred = _timestamps_to_ns(incident_times)
    if start is not None:
        occurred = occurred[occurred >= _timestamp_to_ns(start)]
    if end is not None:
        occurred = occurred[occurred < _timestamp_to_ns(end)]
    patrol = patrol_minutes_by_hour(pings, start, end, gap_minutes)
    incidents = np.bincount((occurred // _NS_PER_HOUR) % 24, minlength=24)
    return pd.DataFrame({"hour": np.arange(24), "patrol_minutes": patrol, "incidents": incidents})


# --- dosage in hotspots -----------------------------------------------------------------------------------

def hotspot_visits(pings, hot_cells, merge_minutes: float = VISIT_MERGE_MINUTES,
                   gap_minutes: float = GAP_MINUTES) -> pd.DataFrame:
    """Every visit of a unit to one of ``hot_cells``: unit_id, cell, start, end, minutes, pings.

    A visit is a run of a unit's consecutive pings in one cell, runs of the same unit in the same cell
    less than ``merge_minutes`` apart being one visit. It lasts from its first ping to the end of its last
    ping's time (``gap_minutes`` at most), short excursions out of the cell included; a silence longer
    than ``gap_minutes`` ends a run.
    """
    p = _prepared(pings)
    _require_cells(p)
    in_hot = np.isin(p.cell, np.asarray(list(hot_cells), dtype=np.int64))
    run_start = in_hot & (p.starts_unit | (p.interval_before_ns() > gap_minutes * _NS_PER_MINUTE))
    run_start[1:] |= in_hot[1:] & ((p.cell[1:] != p.cell[:-1]) | ~in_hot[:-1])
    rows = np.flatnonzero(in_hot)
    firsts = np.flatnonzero(run_start[rows])
    dwell_end = (p.ts + _dwell_ns(p, gap_minutes))[rows]
    runs = {"unit": p.unit[rows[firsts]], "cell": p.cell[rows[firsts]], "start": p.ts[rows[firsts]],
            "end": np.maximum.reduceat(dwell_end, firsts) if len(firsts) else np.empty(0, np.int64),
            "pings": np.diff(np.append(firsts, len(rows)))}
    cell_code, distinct_cells = pd.factorize(runs["cell"])
    unit_cell = runs["unit"] * max(len(distinct_cells), 1) + cell_code
    order, firsts, start, end = _merged_spans(unit_cell, runs["start"], runs["end"], merge_minutes)
    pings_per_visit = np.add.reduceat(runs["pings"][order], firsts) if len(firsts) else firsts
    return pd.DataFrame({"unit_id": p.units[runs["unit"][order][firsts]], "cell": runs["cell"][order][firsts],
                         "start": _ns_to_timestamps(start), "end": _ns_to_timestamps(end),
                         "minutes": (end - start) / _NS_PER_MINUTE, "pings": pings_per_visit})


def _merged_spans(key: np.ndarray, start: np.ndarray, end: np.ndarray,
                  merge_minutes: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Spans of equal ``key`` merged where they overlap or are less than ``merge_minutes`` apart.

    Returns ``order`` (the spans sorted by key, then start), ``firsts`` (where each merged span begins in
    that order) and each merged span's start and end.
    """
    order = np.lexsort((start, key))
    key, start, end = key[order], start[order], end[order]
    if not len(key):
        return order, order, start, end
    # Spans of different units overlap: compare with the furthest end reached so far, not the last one.
    reach = pd.Series(end).groupby(key).cummax().to_numpy()
    new = np.ones(len(key), dtype=bool)
    new[1:] = (key[1:] != key[:-1]) | (start[1:] - reach[:-1] >= merge_minutes * _NS_PER_MINUTE)
    firsts = np.flatnonzero(new)
    return order, firsts, start[firsts], np.maximum.reduceat(end, firsts)


def hotspot_dosage(visits: pd.DataFrame, hot_cells, merge_minutes: float = VISIT_MERGE_MINUTES) -> pd.DataFrame:
    """Per hot cell, from ``hotspot_visits``: how often and how long patrols were there.

    Columns: ``cell``; ``visits``, the presence episodes (visits of any unit, merged where they overlap or
    are less than ``merge_minutes`` apart: two cars together are one visit to the place); ``unit_minutes``,
    the visits' minutes summed over units; ``mean_visit_minutes``, the mean episode length;
    ``mean_interval_minutes``, the mean time from one episode's start to the next (NaN below two episodes);
    ``meets_dosage``: episodes of at least ``DOSAGE_VISIT_MINUTES[0]`` min at least every
    ``DOSAGE_INTERVAL_MINUTES`` on average (visits past ``DOSAGE_VISIT_MINUTES[1]`` are not failed: the
    deterrence they buy levels off, it does not turn negative). Every hot cell has a row, unvisited ones
    with 0 visits.
    """
    cells = np.unique(np.asarray(list(hot_cells), dtype=np.int64))
    visits = visits[visits["cell"].isin(cells)]
    start, end = (_timestamps_to_ns(visits[c]) for c in ("start", "end"))
    visit_cell = visits["cell"].to_numpy(dtype=np.int64)
    order, firsts, episode_start, episode_end = _merged_spans(visit_cell, start, end, merge_minutes)
    slot = np.searchsorted(cells, visit_cell[order][firsts])
    length = (episode_end - episode_start) / _NS_PER_MINUTE
    count = np.bincount(slot, minlength=len(cells))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_visit = np.bincount(slot, weights=length, minlength=len(cells)) / count
        mean_interval = _mean_start_interval_minutes(slot, episode_start, len(cells))
    unit_minutes = np.bincount(np.searchsorted(cells, visit_cell), weights=visits["minutes"].to_numpy(float),
                               minlength=len(cells))
    meets = (mean_visit >= DOSAGE_VISIT_MINUTES[0]) & (mean_interval <= DOSAGE_INTERVAL_MINUTES)
    return pd.DataFrame({"cell": cells, "visits": count, "unit_minutes": unit_minutes,
                         "mean_visit_minutes": mean_visit, "mean_interval_minutes": mean_interval,
                         "meets_dosage": meets})


def _mean_start_interval_minutes(slot: np.ndarray, start: np.ndarray, cells: int) -> np.ndarray:
    """Per cell, the mean gap between consecutive episode starts (episodes sorted by cell, then start)."""
    same = slot[1:] == slot[:-1]
    gaps = (start[1:] - start[:-1])[same] / _NS_PER_MINUTE
    return np.bincount(slot[1:][same], weights=gaps, minlength=cells) / np.bincount(slot[1:][same],
                                                                                     minlength=cells)


def hot_but_unpatrolled(incident_cells, incidents, presence: pd.DataFrame, top: int | None = 20) -> pd.DataFrame:
    """Cells with incidents ranked by how far their patrol time falls short of their share of incidents.

    Score (``deficit_minutes``): the minutes the cell would get if the patrol minutes spent in all these
    cells were shared out in proportion to their incidents (``fair_minutes``), less the minutes it got.
    It is high for a cell with many incidents and little patrol, in minutes a duty officer can plan with;
    deficits sum to zero, so an over-patrolled cell shows how much time could move. Ties go to the cell
    with more incidents. Columns: cell, incidents, patrol_minutes, fair_minutes, deficit_minutes.
    """
    cells = np.asarray(incident_cells, dtype=np.int64)
    counts = np.asarray(incidents, dtype=float)
    patrolled = pd.Series(presence["minutes"].to_numpy(float), index=presence["cell"].to_numpy(np.int64))
    minutes = patrolled.reindex(cells, fill_value=0.0).to_numpy(float)
    fair = minutes.sum() * counts / counts.sum() if counts.sum() > 0 else np.zeros(len(cells))
    ranking = pd.DataFrame({"cell": cells, "incidents": counts.astype(np.int64), "patrol_minutes": minutes,
                            "fair_minutes": fair, "deficit_minutes": fair - minutes})
    ranking = ranking.sort_values(["deficit_minutes", "incidents", "cell"], ascending=[False, False, True])
    return ranking.head(top).reset_index(drop=True) if top is not None else ranking.reset_index(drop=True)


# --- playback ---------------------------------------------------------------------------------------------

def _position_rows(p: _Pings, at_ns: int, gap_minutes: float) -> np.ndarray:
    """Row of each unit's last ping at or before ``at_ns``, for units heard less than ``gap_minutes`` before."""
    heard = p.ts <= at_ns
    later_or_other = np.ones(len(p), dtype=bool)
    later_or_other[:-1] = ~heard[1:] | (p.unit[1:] != p.unit[:-1])
    rows = np.flatnonzero(heard & later_or_other)
    # Half-open like a ping's dwell [ts, ts + gap): the playback shows a unit exactly when presence counts it.
    return rows[at_ns - p.ts[rows] < gap_minutes * _NS_PER_MINUTE]


def positions_at(pings, at, gap_minutes: float = GAP_MINUTES) -> pd.DataFrame:
    """Where every unit is at ``at``: unit_id, [unit_kind], ts, lat, lon, [cell], age_seconds (since that ping).

    A unit's position is its last ping at or before ``at``; a unit whose last ping is ``gap_minutes`` or
    more old by then is not shown.
    """
    p = _prepared(pings)
    at_ns = _timestamp_to_ns(at)
    rows = _position_rows(p, at_ns, gap_minutes)
    out = pd.DataFrame({"unit_id": p.units[p.unit[rows]]})
    if p.kinds is not None:
        out["unit_kind"] = p.kind(rows)
    out = out.assign(ts=_ns_to_timestamps(p.ts[rows]), lat=p.lat[rows], lon=p.lon[rows])
    if p.cell is not None:
        out["cell"] = p.cell[rows]
    return out.assign(age_seconds=(at_ns - p.ts[rows]) / 1e9)


def trails_at(pings, at, trail_minutes: float = TRAIL_MINUTES, gap_minutes: float = GAP_MINUTES) -> pd.DataFrame:
    """The path of each shown unit over the last ``trail_minutes`` up to ``at``, as lon/lat coordinates.

    Columns: unit_id, [unit_kind], start, end, coordinates (a list of [lon, lat], oldest first, ending at the
    unit's position). A trail never reaches back across a silence longer than ``gap_minutes``.
    """
    p = _prepared(pings)
    at_ns = _timestamp_to_ns(at)
    rows = _position_rows(p, at_ns, gap_minutes)
    track = np.cumsum(p.starts_unit | (p.interval_before_ns() > gap_minutes * _NS_PER_MINUTE))
    current_track = np.zeros(len(p.units), dtype=np.int64)       # track ids start at 1: 0 = no position
    current_track[p.unit[rows]] = track[rows]
    keep = np.flatnonzero((track == current_track[p.unit]) & (p.ts <= at_ns)
                          & (p.ts > at_ns - trail_minutes * _NS_PER_MINUTE))
    # Each shown unit's position ping is within the trail, so every shown unit has a trail.
    unit_of = p.unit[keep]
    firsts = np.flatnonzero(np.r_[True, unit_of[1:] != unit_of[:-1]])[:len(keep)]
    lasts = np.r_[firsts[1:], len(keep)][:len(firsts)] - 1
    coordinates = np.split(lonlat_pairs(p.lon[keep], p.lat[keep]), firsts[1:])[:len(firsts)]
    out = pd.DataFrame({"unit_id": p.units[unit_of[firsts]]})
    if p.kinds is not None:
        out["unit_kind"] = p.kind(keep[firsts])
    return out.assign(start=_ns_to_timestamps(p.ts[keep[firsts]]), end=_ns_to_timestamps(p.ts[keep[lasts]]),
                      coordinates=[c.tolist() for c in coordinates])
