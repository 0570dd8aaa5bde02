"""When incidents happen: counts per day or week, and the hour × weekday matrix, from plain timestamps."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np


def hour_weekday_matrix(times: list[datetime]) -> np.ndarray:
    """7 × 24 counts: row = ISO weekday − 1 (Monday first), column = hour of day."""
    grid = np.zeros((7, 24), dtype=np.int64)
    for t in times:
        grid[t.weekday(), t.hour] += 1
    return grid


def counts_per_bucket(times: list[datetime], start: datetime, end: datetime, bucket: str) -> list[tuple]:
    """(bucket start date, count) for every whole day or Monday-week in [start, end), zeros included."""
    first = _bucket_start(start, bucket)
    if first < start:
        first += _step(bucket)           # a bucket starting before the period is partial: left out
    edges = []
    edge = first
    while edge < end:
        edges.append(edge)
        edge += _step(bucket)
    counts = dict.fromkeys(edges, 0)
    for t in times:
        key = _bucket_start(t, bucket)
        if key in counts:
            counts[key] += 1
    return [(k.date(), n) for k, n in counts.items()]


def _bucket_start(moment: datetime, bucket: str) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


def _step(bucket: str) -> timedelta:
    return timedelta(days=7 if bucket == "week" else 1)
