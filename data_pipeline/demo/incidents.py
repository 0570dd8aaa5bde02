"""Incident records (警情), generated lazily in bounded chunks.

The generator is a mixture model.  The number of incidents per day is fixed once
(multinomial over the daily intensity: trend x weekday x season).  The days are then
generated in blocks: pick a spatial group for every incident (urban, night market, scenic,
traffic, town, village; the group mix depends on the day), an anchor of that group and a
Gaussian offset, a category from the group's mix, an hour from the category's rhythm, and
the response chain (report, dispatch, arrival, closure) from delay distributions.

Blocks are fixed by the day counts and each has its own random stream, so the data does
not depend on ``chunk_rows``; blocks are kept as NumPy arrays and turned into a frame only
when a chunk is yielded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from shapely.geometry.base import BaseGeometry

from . import incident_profiles as prof
from ._common import StackedCum, substream, xy_to_lonlat
from .geography import Geography, load_county_outline_lonlat
from .incident_anchors import AnchorTable, build_anchors
from .roads import RoadNetwork
from .seasons import day_kind, months_back, trend_factor

SCALE_1_INCIDENTS = 100_000  # ≈ a county bureau's 110 + patrol + grid records over 25 months
HISTORY_MONTHS = 25  # two full years for year-on-year comparison, plus a month
BLOCK_ROWS = 262_144  # rows per generation block (≈ 60 MB of working arrays)
MISSING_LOCATION_SHARE = 0.005  # real exports have ~0.5 % records without coordinates
ID_PREFIX = b"JQ"  # 警情
ID_SEQ_DIGITS = 6  # per-day sequence number: up to 999,999 incidents a day (scale ≈ 7,000)

# Local degrees-to-metres factors at 29.5°N (error < 0.5 % over the county).
M_PER_DEG_LAT = 110_860.0
M_PER_DEG_LON = 96_950.0
RASTER_CELL_M = 200.0  # lookup raster for "inside the county" and "distance to a station"

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class CountyRaster:
    """A coarse raster over the county: cells surely inside it, and distance to the nearest HQ."""

    lon0: float
    lat0: float
    shape: tuple[int, int]  # (rows along lat, columns along lon)
    surely_inside: np.ndarray  # bool per cell: the whole cell is inside the outline
    hq_distance_m: np.ndarray  # straight-line distance from the cell centre to the nearest HQ

    def cell(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of each point, clipped to the raster."""
        col = ((lon - self.lon0) * M_PER_DEG_LON / RASTER_CELL_M).astype(np.int64)
        row = ((lat - self.lat0) * M_PER_DEG_LAT / RASTER_CELL_M).astype(np.int64)
        return np.clip(row, 0, self.shape[0] - 1), np.clip(col, 0, self.shape[1] - 1)


def build_county_raster(outline: BaseGeometry, hq_lonlat: np.ndarray) -> CountyRaster:
    """Rasterise the outline and the distance to the nearest station HQ."""
    minx, miny, maxx, maxy = outline.bounds
    ncol = int((maxx - minx) * M_PER_DEG_LON / RASTER_CELL_M) + 1
    nrow = int((maxy - miny) * M_PER_DEG_LAT / RASTER_CELL_M) + 1
    dlon, dlat = RASTER_CELL_M / M_PER_DEG_LON, RASTER_CELL_M / M_PER_DEG_LAT
    col, row = np.meshgrid(np.arange(ncol), np.arange(nrow))
    x0, y0 = minx + col * dlon, miny + row * dlat
    boxes = shapely.box(x0, y0, x0 + dlon, y0 + dlat)
    inside = shapely.contains_properly(outline, boxes)
    cx, cy = x0 + dlon / 2, y0 + dlat / 2
    dx = (cx[..., None] - hq_lonlat[:, 0]) * M_PER_DEG_LON
    dy = (cy[..., None] - hq_lonlat[:, 1]) * M_PER_DEG_LAT
    return CountyRaster(minx, miny, (nrow, ncol), inside, np.sqrt(dx * dx + dy * dy).min(axis=-1))


@dataclass(frozen=True)
class IncidentModel:
    """Everything needed to generate any block of incidents, independently of the others."""

    seed: int
    start: dt.date
    end: dt.date  # exclusive: the day after the anchor (the anchor is the last day)
    day_ordinals: np.ndarray
    day_counts: np.ndarray
    group_draw: StackedCum  # table d = the group mix of day d
    anchors: AnchorTable
    outline: BaseGeometry
    raster: CountyRaster

    @property
    def total(self) -> int:
        """Number of incidents over the whole window."""
        return int(self.day_counts.sum())

    def blocks(self) -> list[tuple[int, int]]:
        """Day-index ranges ``[lo, hi)`` of at most :data:`BLOCK_ROWS` rows (one day minimum)."""
        out, lo, rows = [], 0, 0
        for i, c in enumerate(self.day_counts):
            if rows and rows + c > BLOCK_ROWS:
                out.append((lo, i))
                lo, rows = i, 0
            rows += int(c)
        out.append((lo, len(self.day_counts)))
        return out


def daily_group_intensity(days: list[dt.date], end: dt.date) -> np.ndarray:
    """Expected relative volume per (day, group): share x trend x weekday x season."""
    ordinals = np.array([d.toordinal() for d in days])
    kinds = [day_kind(d) for d in days]
    weekday = np.array([d.weekday() for d in days])
    base = prof.WEEKDAY_FACTOR[weekday] * trend_factor(ordinals, end.toordinal())
    columns = []
    for group in prof.GROUPS:
        season = np.array([prof.SEASON_FACTOR[group].get(k, 1.0) for k in kinds])
        col = prof.GROUP_SHARE[group] * base * season
        if group == "scenic":
            col = col * np.where(weekday >= 5, prof.SCENIC_WEEKEND_FACTOR, 1.0)
        columns.append(col)
    return np.column_stack(columns)


def build_incident_model(geo: Geography, net: RoadNetwork, places: pd.DataFrame, seed: int,
                         scale: float, anchor: dt.date) -> IncidentModel:
    """Fix the daily counts and the anchors for (seed, scale, anchor).

    Parameters
    ----------
    geo, net, places
        Scenario parts the incidents are anchored on.
    seed : int
        Scenario seed.
    scale : float
        Volume multiplier; scale 1 is :data:`SCALE_1_INCIDENTS` incidents.
    anchor : datetime.date
        Last day of the window; the window is :data:`HISTORY_MONTHS` months long.
    """
    end = anchor + dt.timedelta(days=1)
    start = months_back(end, HISTORY_MONTHS)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    intensity = daily_group_intensity(days, end)
    per_day = intensity.sum(axis=1)
    total = int(round(SCALE_1_INCIDENTS * scale))
    counts = substream(seed, "incident-days").multinomial(total, per_day / per_day.sum())
    hq = np.array([xy_to_lonlat(*geo.station_hq_xy[s.id]) for s in geo.stations], float)
    outline = load_county_outline_lonlat()
    shapely.prepare(outline)
    return IncidentModel(seed, start, end, np.array([d.toordinal() for d in days]), counts,
                         StackedCum.from_weights(intensity),
                         build_anchors(geo, net, places, seed), outline, build_county_raster(outline, hq))


# ----------------------------------------------------------------------------- lookup tables

def _per_category(table: dict, default: float = 0.0) -> np.ndarray:
    return np.array([table.get(c, default) for c in prof.CATEGORIES], float)


_N_CATEGORIES = len(prof.CATEGORIES)
_CATEGORY_DRAW = StackedCum.from_weights(prof.CATEGORY_MIX)
_HOUR_NAMES = list(prof.HOUR_PROFILES)
_HOUR_DRAW = StackedCum.from_weights(prof.HOUR_PROFILES.values())
_CATEGORY_HOUR_PROFILE = np.array([_HOUR_NAMES.index(prof.CATEGORY_HOURS[c]) for c in prof.CATEGORIES])
_NIGHT_MARKET_PROFILE = _HOUR_NAMES.index("night_market")
_SUBTYPE_NAMES = [name for cat in prof.CATEGORIES for name, _ in prof.SUBTYPES[cat]]
_SUBTYPE_DRAW = StackedCum.from_weights([[w for _, w in prof.SUBTYPES[c]] for c in prof.CATEGORIES])
_SOURCE_TOWN = np.array([prof.SOURCE_MIX[c] for c in prof.CATEGORIES])
_SOURCE_DRAW = StackedCum.from_weights(np.vstack([_SOURCE_TOWN, _SOURCE_TOWN * prof.RURAL_SOURCE_MULTIPLIER]))
_IS_RURAL_GROUP = np.isin(prof.GROUPS, prof.RURAL_GROUPS)
_IS_ROAMING_GROUP = np.isin(prof.GROUPS, prof.ROAMING_GROUPS)
_NIGHT_MARKET_GROUP = prof.GROUPS.index("night_market")
_PATROL = prof.SOURCES.index("patrol")
_ON_SCENE = np.isin(prof.SOURCES, ["patrol", "video_patrol"])
_REPORT_MEDIAN_S = _per_category(prof.REPORT_DELAY_MEDIAN_S)
_DISPATCH_SHARE = (np.array([prof.DISPATCH_SHARE[s] for s in prof.SOURCES])[:, None]
                   * _per_category(prof.DISPATCH_CATEGORY_FACTOR, 1.0)[None, :])  # (source, category)
_DISPATCH_MEDIAN_S = np.array([prof.DISPATCH_DELAY_MEDIAN_S[s] for s in prof.SOURCES], float)
_CLOSE_MEDIAN_S = _per_category(prof.CLOSE_MEDIAN_H) * 3_600
_UNSOLVED = _per_category(prof.UNSOLVED_SHARE, prof.UNSOLVED_DEFAULT)


# ----------------------------------------------------------------------------- drawing

def draw_groups(model: IncidentModel, day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Spatial group of each incident, from its day's group mix."""
    return model.group_draw.draw(day, rng.random(len(day)))


def draw_locations(model: IncidentModel, group: np.ndarray, rng: np.random.Generator):
    """Lon/lat of each incident: a weighted anchor of its group plus a Gaussian offset.

    An offset that would leave the county falls back to the anchor itself.
    """
    k = model.anchors.draw(group, rng.random(len(group)))
    lon, lat, sigma = model.anchors.lon[k], model.anchors.lat[k], model.anchors.sigma_m[k]
    off = rng.standard_normal((2, len(group))) * sigma
    new_lon = lon + off[0] / M_PER_DEG_LON
    new_lat = lat + off[1] / M_PER_DEG_LAT
    inside = model.raster.surely_inside[model.raster.cell(new_lon, new_lat)]
    unsure = np.flatnonzero(~inside)
    inside[unsure] = shapely.contains_xy(model.outline, new_lon[unsure], new_lat[unsure])
    return np.where(inside, new_lon, lon), np.where(inside, new_lat, lat)


def draw_hours(group: np.ndarray, category: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hour of day: the category's rhythm, or the night-market rhythm in night markets."""
    profile = np.where(group == _NIGHT_MARKET_GROUP, _NIGHT_MARKET_PROFILE, _CATEGORY_HOUR_PROFILE[category])
    return _HOUR_DRAW.draw(profile, rng.random(len(group)))


def draw_sources(group: np.ndarray, category: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """How each incident reached the police (110 call, patrol, grid worker, video patrol)."""
    key = _IS_RURAL_GROUP[group] * _N_CATEGORIES + category
    return _SOURCE_DRAW.draw(key, rng.random(len(group)))


def _lognormal(median_s: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return np.maximum(median_s, 1.0) * np.exp(sigma * rng.standard_normal(len(median_s)))


def travel_seconds(model: IncidentModel, group, source, lon, lat, rng) -> np.ndarray:
    """Time for the nearest unit to reach the scene: from the station, or a roaming unit in town."""
    dist = model.raster.hq_distance_m[model.raster.cell(lon, lat)] * prof.ROAD_DETOUR
    roaming = np.where(_IS_ROAMING_GROUP[group], rng.exponential(prof.ROAMING_UNIT_MEAN_M, len(group)), np.inf)
    seconds = (prof.RESPONSE_OVERHEAD_S + np.minimum(dist, roaming) / prof.RESPONSE_SPEED_MS)
    seconds *= np.exp(0.3 * rng.standard_normal(len(group)))
    return np.where(source == _PATROL, rng.integers(0, 120, len(group)), seconds).astype(np.int64)


def response_chain(model: IncidentModel, group, category, source, occurred_s, lon, lat, rng) -> dict:
    """Report, dispatch, arrival and closure times (epoch seconds, -1 = missing) and status codes."""
    n = len(group)
    end_s = (model.end.toordinal() - EPOCH_ORDINAL) * SECONDS_PER_DAY
    report_median = np.where(_ON_SCENE[source], prof.ON_SCENE_DELAY_MEDIAN_S, _REPORT_MEDIAN_S[category])
    reported = np.minimum(occurred_s + _lognormal(report_median, prof.REPORT_DELAY_SIGMA, rng).astype(np.int64),
                          end_s - 1)
    dispatched_flag = rng.random(n) < _DISPATCH_SHARE[source, category]
    delay = _DISPATCH_MEDIAN_S[source]
    dispatched = reported + np.where(delay > 0, _lognormal(delay, prof.DISPATCH_DELAY_SIGMA, rng), 0).astype(np.int64)
    arrived = dispatched + travel_seconds(model, group, source, lon, lat, rng)
    base = np.where(dispatched_flag, arrived, reported)
    closed = base + _lognormal(_CLOSE_MEDIAN_S[category], prof.CLOSE_SIGMA, rng).astype(np.int64)
    unsolved = rng.random(n) < _UNSOLVED[category]
    dispatched = np.where(dispatched_flag & (dispatched < end_s), dispatched, -1)
    arrived = np.where((dispatched >= 0) & (arrived < end_s), arrived, -1)
    closed = np.where(~unsolved & (closed < end_s), closed, -1)
    accepted = (dispatched >= 0) | (reported < end_s - SECONDS_PER_DAY)  # a day old: case is being handled
    status = np.where(closed >= 0, 2, np.where(accepted, 1, 0)).astype(np.int8)
    return {"reported": reported, "dispatched": dispatched, "arrived": arrived, "closed": closed,
            "status": status}


def generate_block(model: IncidentModel, block: int, day_lo: int, day_hi: int) -> dict[str, np.ndarray]:
    """Incidents of days ``[day_lo, day_hi)`` as arrays, sorted by occurrence time."""
    rng = substream(model.seed, "incidents", block)
    counts = model.day_counts[day_lo:day_hi]
    day = np.repeat(np.arange(day_lo, day_hi), counts)
    first_row_of_day = np.concatenate([[0], np.cumsum(counts)[:-1]])
    group = draw_groups(model, day, rng)
    lon, lat = draw_locations(model, group, rng)
    category = _CATEGORY_DRAW.draw(group, rng.random(len(day)))
    hour = draw_hours(group, category, rng)
    occurred = ((model.day_ordinals[day] - EPOCH_ORDINAL) * SECONDS_PER_DAY + hour * 3_600
                + rng.integers(0, 3_600, len(day)))
    order = np.argsort(occurred, kind="stable")
    day, group, lon, lat, category, occurred = (a[order] for a in (day, group, lon, lat, category, occurred))
    source = draw_sources(group, category, rng)
    chain = response_chain(model, group, category, source, occurred, lon, lat, rng)
    missing = rng.random(len(day)) < MISSING_LOCATION_SHARE
    return {"day": model.day_ordinals[day], "seq": np.arange(len(day)) - first_row_of_day[day - day_lo],
            "occurred": occurred, **chain, "category": category,
            "subtype": _SUBTYPE_DRAW.draw_flat(category, rng.random(len(day))), "source": source,
            "lat": np.where(missing, np.nan, lat), "lon": np.where(missing, np.nan, lon)}


# ----------------------------------------------------------------------------- output

def incident_ids(day_ordinal: np.ndarray, seq: np.ndarray) -> pa.Array:
    """``JQ`` + ``yyyymmdd`` + 6-digit sequence within the day, built as fixed-width bytes."""
    n = len(seq)
    head = len(ID_PREFIX) + 8
    uniq, inv = np.unique(day_ordinal, return_inverse=True)
    dates = "".join(dt.date.fromordinal(int(o)).strftime("%Y%m%d") for o in uniq).encode("ascii")
    buf = np.empty((n, head + ID_SEQ_DIGITS), np.uint8)
    buf[:, : len(ID_PREFIX)] = np.frombuffer(ID_PREFIX, np.uint8)
    buf[:, len(ID_PREFIX): head] = np.frombuffer(dates, np.uint8).reshape(-1, 8)[inv]
    buf[:, head:] = _digit_table(int(seq.max(initial=0)) + 1)[seq]
    offsets = np.arange(0, buf.shape[1] * (n + 1), buf.shape[1], dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))


def _digit_table(count: int) -> np.ndarray:
    """ASCII digits of 0 .. count-1, zero-padded to :data:`ID_SEQ_DIGITS` (one row per number)."""
    if count > 10**ID_SEQ_DIGITS:
        raise ValueError(f"more than {10**ID_SEQ_DIGITS - 1} incidents in a day; lower the scale")
    powers = 10 ** np.arange(ID_SEQ_DIGITS - 1, -1, -1)
    return (48 + (np.arange(count)[:, None] // powers) % 10).astype(np.uint8)


def _labels(names, codes: np.ndarray) -> pd.Series:
    """A pandas ``str`` column from small-integer codes (Arrow take, no Python loop)."""
    return pd.Series(pa.array(list(names)).take(pa.array(codes.astype(np.int32))), dtype="str")


def _timestamps(seconds: np.ndarray) -> np.ndarray:
    out = seconds.astype("datetime64[s]")
    out[seconds < 0] = np.datetime64("NaT")
    return out


def arrays_to_frame(a: dict[str, np.ndarray]) -> pd.DataFrame:
    """The public incident frame from block arrays."""
    return pd.DataFrame({
        "id": pd.Series(incident_ids(a["day"], a["seq"]), dtype="str"),
        "occurred_at": _timestamps(a["occurred"]), "reported_at": _timestamps(a["reported"]),
        "dispatched_at": _timestamps(a["dispatched"]), "arrived_at": _timestamps(a["arrived"]),
        "closed_at": _timestamps(a["closed"]),
        "category": _labels(prof.CATEGORIES, a["category"]),
        "source_category": _labels(_SUBTYPE_NAMES, a["subtype"]),
        "status": _labels(prof.STATUSES, a["status"]), "source": _labels(prof.SOURCES, a["source"]),
        "lat": a["lat"], "lon": a["lon"],
    })


def iter_incident_chunks(model: IncidentModel, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield the incidents in frames of ``chunk_rows`` rows (the last may be shorter)."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    pending: list[dict[str, np.ndarray]] = []
    buffered = 0
    for b, (lo, hi) in enumerate(model.blocks()):
        block = generate_block(model, b, lo, hi)
        pending.append(block)
        buffered += len(block["day"])
        while buffered >= chunk_rows:
            merged = _concat(pending)
            yield arrays_to_frame({k: v[:chunk_rows] for k, v in merged.items()})
            pending = [{k: v[chunk_rows:] for k, v in merged.items()}]
            buffered -= chunk_rows
    if buffered:
        yield arrays_to_frame(_concat(pending))


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if len(parts) == 1:
        return parts[0]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
