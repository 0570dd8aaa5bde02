"""案件热力 — the case heatmap: incidents per hexagon for a filter, optionally against a baseline."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

import queries
from analysis.hotspots import change_breaks, compare_counts, count_breaks
from analysis.periods import previous_window, same_window_last_year
from layers.base import CHANGE_COLORS, HEAT_COLORS, Layer
from layers.hexes import cell_centres, feature_collection, hexagons_geobuf, in_bbox
from queries.incidents import IncidentFilter, cell_counts

INCIDENTS = Layer("incidents", "layer_incidents", "legend_incidents", "cells", "incidents", "heatStyle",
                  HEAT_COLORS)
CHANGE = Layer("incidents_change", "layer_change", "legend_change", "cells", "change", "changeStyle",
               CHANGE_COLORS)
COMPARISONS = ("previous", "last_year")


@dataclass(frozen=True)
class HeatRequest:
    """What a heatmap view asks for: resolution, filter, viewport and comparison."""

    res: int
    flt: IncidentFilter
    bbox: tuple[float, float, float, float] | None = None
    compare: str | None = None          # None | "previous" | "last_year"


def baseline_filter(flt: IncidentFilter, compare: str) -> IncidentFilter:
    """The same filter over the comparison window."""
    window = previous_window if compare == "previous" else same_window_last_year
    start, end = window(flt.from_ts, flt.to_ts)
    return replace(flt, from_ts=start, to_ts=end)


def heat_values(con, req: HeatRequest) -> dict[str, np.ndarray]:
    """Per cell in the viewport: ``incidents`` (and ``baseline``, ``change`` in comparison mode)."""
    values = area_heat_values(con, req)
    keep = in_bbox(values["lat"], values["lng"], req.bbox)
    return {name: column[keep] for name, column in values.items() if name not in ("lat", "lng")}


def area_heat_values(con, req: HeatRequest) -> dict[str, np.ndarray]:
    """The whole area's values with each cell's centre, remembered per store snapshot: the map's callback,
    its geobuf request and every pan of the same view share one count."""
    key = ("heat", req.res, queries.freeze(tuple(req.flt.params().items())), req.compare)
    return queries.memo(con, key, lambda: _with_centres(_count_values(con, req)))


def _count_values(con, req: HeatRequest) -> dict[str, np.ndarray]:
    current = counts_array(cell_counts(con, req.res, req.flt))
    if req.compare not in COMPARISONS:
        return {"cell": current[0], "incidents": current[1]}
    return compare_counts(current, counts_array(cell_counts(con, req.res, baseline_filter(req.flt, req.compare))))


def counts_array(rows: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    cells = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    return cells, np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))


def _with_centres(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    lat, lng = cell_centres(values["cell"])
    return values | {"lat": lat, "lng": lng}


def heat_layer(req: HeatRequest) -> Layer:
    return CHANGE if req.compare in COMPARISONS else INCIDENTS


def heat_breaks(values: dict[str, np.ndarray], layer: Layer) -> list[float]:
    return change_breaks(values["change"]) if layer is CHANGE else count_breaks(values["incidents"])


def heat_geojson(con, req: HeatRequest) -> dict:
    """The heatmap as a GeoJSON FeatureCollection (the read API's body)."""
    values = heat_values(con, req)
    return feature_collection(values["cell"], {k: v for k, v in values.items() if k != "cell"})


def heat_geobuf(con, req: HeatRequest) -> bytes:
    """The same collection as geobuf (the map's source)."""
    values = heat_values(con, req)
    return hexagons_geobuf(values["cell"], {k: v for k, v in values.items() if k != "cell"})
