"""Exports for other systems: incidents per H3 cell, incidents per station (CSV contracts)."""
from __future__ import annotations

import csv
from datetime import date, datetime, time
from pathlib import Path

from data_pipeline.h3cells import cell_to_str


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


def write_cells_csv(rows: list[tuple[int, int]], out: Path) -> int:
    return _write_csv(out, ["cell", "incidents"], ([cell_to_str(c), n] for c, n in rows))


def write_stations_csv(rows: list[tuple[str, str, int]], out: Path) -> int:
    return _write_csv(out, ["station_id", "station_name", "incidents"], rows)


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
