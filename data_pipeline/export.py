"""Exports for other systems: incidents per H3 cell, incidents per station (CSV contracts)."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from pathlib import Path

from data_pipeline.h3cells import cell_to_str

# Exports meant for sharing outside the bureau show cells with fewer incidents than this as "<3": a cell
# with one or two cases can point at a household or a victim.
SHARE_MIN_COUNT = 3
CELLS_HEADER = ["cell", "incidents"]


def parse_when(text: str | None, default: datetime) -> datetime:
    """An ISO date (midnight) or timestamp; None gives ``default``."""
    if text is None or text == "":
        return default
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(text), time())
    except ValueError:
        raise ValueError(f"not an ISO date or timestamp: {text!r}") from None


def split_list(values: list[str] | None) -> list[str] | None:
    """Repeatable and comma-separated options → one list (None when not given)."""
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def cell_rows(rows: list[tuple[int, int]], suppress_below: int | None = None):
    """(cell hex, incidents) rows; counts under ``suppress_below`` written as "<N"."""
    for cell, n in rows:
        yield cell_to_str(cell), (f"<{suppress_below}" if suppress_below and 0 < n < suppress_below else n)


def write_cells_csv(rows: list[tuple[int, int]], out: Path, suppress_below: int | None = None) -> int:
    return _write_csv(out, CELLS_HEADER, cell_rows(rows, suppress_below))


def cells_csv(rows: list[tuple[int, int]], suppress_below: int | None = None) -> str:
    """The same CSV as ``write_cells_csv``, as text (the dashboard's download)."""
    return _csv_text(CELLS_HEADER, cell_rows(rows, suppress_below))


def _csv_text(header: list[str], rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_stations_csv(rows: list[tuple[str, str, int]], out: Path) -> int:
    return _write_csv(out, ["station_id", "station_name", "incidents"], rows)


COVERAGE_HEADER = ["cell", "coverage", "incidents", "covered_incidents"]
BLIND_SPOTS_HEADER = ["rank", "cell", "score", "incidents", "uncovered", "coverage", "lat", "lon"]


def coverage_rows(table):
    """``cell``, ``coverage`` (0-1), ``incidents``, ``covered_incidents`` (counted per point)."""
    return ([cell_to_str(c), round(float(cov), 4), int(n), int(k)] for c, cov, n, k in
            zip(table["cell"], table["coverage"], table["incidents"], table["covered_incidents"]))


def blind_spot_rows(ranked):
    return ([int(r.rank), cell_to_str(r.cell), round(float(r.score), 2), int(r.incidents), int(r.uncovered),
             round(float(r.coverage), 4), round(float(r.lat), 6), round(float(r.lon), 6)]
            for r in ranked.itertuples())


def write_coverage_csv(table, out: Path) -> int:
    return _write_csv(out, COVERAGE_HEADER, coverage_rows(table))


def coverage_csv(table) -> str:
    return _csv_text(COVERAGE_HEADER, coverage_rows(table))


def write_blind_spots_csv(ranked, out: Path) -> int:
    """Ranked: ``rank``, ``cell``, ``score``, ``incidents``, ``uncovered``, ``coverage``, ``lat``, ``lon``."""
    return _write_csv(out, BLIND_SPOTS_HEADER, blind_spot_rows(ranked))


def blind_spots_csv(ranked) -> str:
    return _csv_text(BLIND_SPOTS_HEADER, blind_spot_rows(ranked))


def write_plan_csv(cameras, out: Path) -> int:
    """One row per new camera: ``lat``, ``lon``, ``azimuth_deg`` (blank: 360°), ``fov_deg``, ``range_m``,
    ``gain_incidents``."""
    rows = ([round(float(r.lat), 7), round(float(r.lon), 7), "" if r.azimuth_deg != r.azimuth_deg else
             round(float(r.azimuth_deg), 1), float(r.fov_deg), float(r.range_m), int(r.gain_incidents)]
            for r in cameras.itertuples())
    return _write_csv(out, ["lat", "lon", "azimuth_deg", "fov_deg", "range_m", "gain_incidents"], rows)


RING_LEAKS_HEADER = ["rank", "ring", "lat", "lon", "road_class", "incidents_nearby", "nearest_checkpoint_m"]


def ring_leak_rows(leaks):
    """One row per uncovered entry, worst first: ``ring``, ``lat``, ``lon``, ``road_class`` and why it ranks."""
    return ([int(r.rank), r.ring, round(float(r.lat), 7), round(float(r.lon), 7), r.road_class,
             int(r.incidents_nearby), "" if r.checkpoint_distance_m == float("inf") else round(r.checkpoint_distance_m)]
            for r in leaks.itertuples())


def write_ring_leaks_csv(leaks, out: Path) -> int:
    return _write_csv(out, RING_LEAKS_HEADER, ring_leak_rows(leaks))


def ring_leaks_csv(leaks) -> str:
    return _csv_text(RING_LEAKS_HEADER, ring_leak_rows(leaks))


RESPONSE_HEADER = ["group", "n", "median_min", "p90_min", "share_within_5min", "left_out_missing",
                   "left_out_negative"]


def response_time_rows(table):
    """``group``, ``n``, ``median_min``, ``p90_min``, ``share_within_5min`` (+ how many were left out and why)."""
    for r in table.itertuples():
        figures = [_rounded(r.median_min, 2), _rounded(r.p90_min, 2), _rounded(r.share_within_5min, 4)]
        yield [r.group, int(r.n), *figures, int(r.left_out_missing), int(r.left_out_negative)]


def write_response_times_csv(table, out: Path) -> int:
    return _write_csv(out, RESPONSE_HEADER, response_time_rows(table))


def response_times_csv(table) -> str:
    return _csv_text(RESPONSE_HEADER, response_time_rows(table))


def write_reach_csv(table, out: Path) -> int:
    """``cell``, ``minutes`` from the nearest unit or post (blank beyond 5)."""
    rows = ([cell_to_str(c), "" if band == 0 else round(float(m), 2)]
            for c, m, band in zip(table["cell"], table["minutes"], table["band"]))
    return _write_csv(out, ["cell", "minutes"], rows)


def _rounded(value, digits: int):
    return "" if value is None or value != value else round(float(value), digits)


def _write_csv(out: Path, header: list[str], rows) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
