"""The calendar of the demo: tourist seasons, holidays, weekday rhythm and the yearly trend."""

from __future__ import annotations

import datetime as dt

import numpy as np

# 春节 (Lunar New Year's Day); the festival effect runs from the eve to the 6th day.
SPRING_FESTIVAL = {
    2020: dt.date(2020, 1, 25), 2021: dt.date(2021, 2, 12), 2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22), 2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17), 2027: dt.date(2027, 2, 6), 2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13), 2030: dt.date(2030, 2, 3), 2031: dt.date(2031, 1, 23),
    2032: dt.date(2032, 2, 11), 2033: dt.date(2033, 1, 31), 2034: dt.date(2034, 2, 19),
    2035: dt.date(2035, 2, 8),
}
SPRING_FESTIVAL_SPAN = (-1, 6)  # days relative to New Year's Day
GOLDEN_WEEK = ((10, 1), (10, 7))  # 国庆黄金周
MAY_DAY = ((5, 1), (5, 5))  # 劳动节
SUMMER_SEASON_MONTHS = (7, 8)  # 暑期 tourist peak on Mount Emei
WINTER_MONTHS = (12, 1, 2)

# The seeds report filed cases down year on year (Luxi −16.7 %, Xiangyang −10 %); the demo
# uses a smooth −10 % per year.
YEARLY_TREND = 0.90

DAY_KINDS = ("ordinary", "summer", "golden_week", "may_day", "spring_festival", "winter")


def day_kind(day: dt.date) -> str:
    """Classify a date as one of :data:`DAY_KINDS` (holidays take precedence over seasons)."""
    for festival in (SPRING_FESTIVAL.get(day.year), SPRING_FESTIVAL.get(day.year + 1)):
        if festival and SPRING_FESTIVAL_SPAN[0] <= (day - festival).days <= SPRING_FESTIVAL_SPAN[1]:
            return "spring_festival"
    if _within(day, GOLDEN_WEEK):
        return "golden_week"
    if _within(day, MAY_DAY):
        return "may_day"
    if day.month in SUMMER_SEASON_MONTHS:
        return "summer"
    if day.month in WINTER_MONTHS:
        return "winter"
    return "ordinary"


def _within(day: dt.date, span: tuple[tuple[int, int], tuple[int, int]]) -> bool:
    return span[0] <= (day.month, day.day) <= span[1]


def trend_factor(days: np.ndarray, end_ordinal: int) -> np.ndarray:
    """Multiplier falling by :data:`YEARLY_TREND` per year, 1.0 at the end of the window."""
    years_before_end = (end_ordinal - days) / 365.25
    return YEARLY_TREND ** (-years_before_end)


def months_back(anchor: dt.date, months: int) -> dt.date:
    """The date ``months`` calendar months before ``anchor`` (day clipped to month length)."""
    total = anchor.year * 12 + anchor.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for day in (anchor.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
