"""Reporting periods: the window for a choice, the previous window, the same window last year."""
from __future__ import annotations

from datetime import datetime, timedelta

PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "28d": timedelta(days=28),
           "365d": timedelta(days=365)}


def period_window(period: str, as_of: datetime, custom: tuple[datetime, datetime] | None = None
                  ) -> tuple[datetime, datetime]:
    """[start, end) of ``period`` ending at ``as_of`` (``custom`` gives both ends explicitly)."""
    if period == "custom":
        if custom is None:
            raise ValueError("a custom period needs a start and an end")
        return custom
    return as_of - PERIODS[period], as_of


def previous_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The window of the same length just before (环比)."""
    return start - (end - start), start


def same_window_last_year(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The same calendar window one year earlier (同比); 29 February maps to 28 February."""
    return _year_earlier(start), _year_earlier(end)


def _year_earlier(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:
        return moment.replace(year=moment.year - 1, day=28)


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def change_pct(current: float, baseline: float) -> float | None:
    """Relative change in percent; None when there is no baseline to compare with."""
    return None if baseline == 0 else 100.0 * (current - baseline) / baseline
