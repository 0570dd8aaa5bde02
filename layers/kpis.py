"""The wall's KPI figures: incidents in the last 24 h / 7 d / 28 d against the previous period and last year."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import queries
from analysis.periods import change_pct, period_window, previous_window, same_window_last_year
from queries.incidents import IncidentFilter

KPI_PERIODS = ("24h", "7d", "28d")


@dataclass(frozen=True)
class Kpi:
    period: str
    incidents: int
    vs_previous_pct: float | None
    vs_last_year_pct: float | None


def _count(con, flt: IncidentFilter) -> int:
    return queries.fetch(con, "incident_count", **flt.params())[0][0]


def kpis(con, as_of: datetime, stations: list[str] | None = None) -> list[Kpi]:
    out = []
    for period in KPI_PERIODS:
        start, end = period_window(period, as_of)
        flt = IncidentFilter(start, end, stations=stations)
        now = _count(con, flt)
        prev = _count(con, replace(flt, **dict(zip(("from_ts", "to_ts"), previous_window(start, end)))))
        last_year = _count(con, replace(flt, **dict(zip(("from_ts", "to_ts"), same_window_last_year(start, end)))))
        out.append(Kpi(period, now, change_pct(now, prev), change_pct(now, last_year)))
    return out


def top_categories(con, as_of: datetime, top: int = 5, stations: list[str] | None = None) -> list[tuple[str, int]]:
    start, end = period_window("7d", as_of)
    flt = IncidentFilter(start, end, stations=stations)
    return queries.fetch(con, "category_counts", **flt.params())[:top]
