"""Incident counts for a filter, shared by the exports, the map and the read API (so numbers agree)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

import queries
from data_pipeline.h3cells import FINEST_RES, MAP_RESOLUTIONS, latlng_to_cells

EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(2200, 1, 1)


@dataclass(frozen=True)
class IncidentFilter:
    """Period [from_ts, to_ts), categories and stations; None means no restriction."""

    from_ts: datetime = EARLIEST
    to_ts: datetime = LATEST
    categories: list[str] | None = None
    stations: list[str] | None = None
    hours: list[int] | None = None      # hours of the day (0-23): the time-of-day band
    zones: list[str] | None = None      # communities/villages or grids (drill-down below the station)

    def params(self) -> dict:
        return {"from_ts": self.from_ts, "to_ts": self.to_ts, "categories": self.categories,
                "stations": self.stations, "hours": self.hours, "zones": self.zones}


def cell_counts(con, res: int, flt: IncidentFilter) -> list[tuple[int, int]]:
    """(cell, incidents) for the filter, incidents descending.

    Res 7-10 come from the aggregates when the period is whole hours, else from the stored cells of each
    incident; any other resolution from the positions (each point's own cell, as ``latlng_to_cell``).
    """
    if not 0 <= res <= FINEST_RES:
        raise ValueError(f"H3 resolution must be 0-{FINEST_RES}, not {res}")
    hour_aligned = all(t.minute == t.second == t.microsecond == 0 for t in (flt.from_ts, flt.to_ts))
    if res in MAP_RESOLUTIONS:
        # The aggregates know stations, not communities or grids: a drill-down counts the incidents.
        from_aggregates = hour_aligned and flt.zones is None
        params = flt.params()
        if from_aggregates:
            del params["zones"]
        return queries.run(con, "cells" if from_aggregates else "cells_exact", res=res, **params).fetchall()
    positions = queries.run(con, "incident_positions", **flt.params()).fetch_arrow_table()
    if positions.num_rows == 0:
        return []
    cells = latlng_to_cells(positions.column("lat").to_numpy(), positions.column("lon").to_numpy(), res)
    unique, inverse = np.unique(cells, return_inverse=True)
    counts = np.bincount(inverse, weights=positions.column("incidents").to_numpy()).astype(np.int64)
    order = np.lexsort((unique, -counts))   # incidents descending, then cell, as queries/cells.sql
    return [(int(c), int(n)) for c, n in zip(unique[order], counts[order])]


def station_counts(con, flt: IncidentFilter) -> list[tuple[str, str, int]]:
    return queries.run(con, "stations", **flt.params()).fetchall()


