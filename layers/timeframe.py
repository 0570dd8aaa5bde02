"""The dashboard's "now": the wall clock for a live store, the newest incident for a historical one."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import queries
from analysis.periods import hour_floor, period_window
from queries.incidents import IncidentFilter

# A store whose newest incident is older than this is shown "as of" that incident, not as of now.
LIVE_LAG = timedelta(days=2)


def local_now(con) -> datetime:
    """The current wall-clock time in the store's time zone (the server itself may run on UTC)."""
    rows = queries.fetch(con, "store_timezone")
    return datetime.now(ZoneInfo(rows[0][0] if rows else "Asia/Shanghai")).replace(tzinfo=None)


def as_of(con, now: datetime | None = None) -> datetime:
    """The end of "the last 24 hours" etc.: the end of the current hour, or of the newest incident's hour
    if the data is old. Whole hours let every period be answered from the hourly aggregates."""
    now = now or local_now(con)
    latest = queries.fetch(con, "latest_incident")[0][0]
    reference = now if latest is None or latest >= now - LIVE_LAG else latest
    return hour_floor(reference) + timedelta(hours=1)


def view_filter(con, period: str, categories=None, stations=None, hours=None, custom=None,
                now: datetime | None = None) -> IncidentFilter:
    """The filter a view's controls describe, ending at the store's "now"."""
    start, end = period_window(period, as_of(con, now), custom)
    hour_list = None if not hours or list(hours) == [0, 24] else list(range(int(hours[0]), int(hours[1])))
    return IncidentFilter(start, end, list(categories) or None if categories else None,
                          list(stations) if stations else None, hour_list)


def data_time(con, now: datetime | None = None) -> datetime | None:
    """The time the wall shows as "data as of": now for a live store, the newest incident otherwise."""
    now = now or local_now(con)
    latest = queries.fetch(con, "latest_incident")[0][0]
    if latest is None:
        return None
    return now if latest >= now - LIVE_LAG else latest
