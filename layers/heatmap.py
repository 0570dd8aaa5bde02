"""案件热力 — the case heatmap: incidents per hexagon for a filter, optionally against a baseline."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from analysis.hotspots import change_breaks, compare_counts, count_breaks
from analysis.periods import previous_window, same_window_last_year
from layers.base import CHANGE_COLORS, HEAT_COLORS, Layer
from layers.hexes import feature_collection, in_bbox
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
    current = dict(cell_counts(con, req.res, req.flt))
    if req.compare in COMPARISONS:
        values = compare_counts(current, dict(cell_counts(con, req.res, baseline_filter(req.flt, req.compare))))
    else:
        cells = np.fromiter(current.keys(), dtype=np.int64, count=len(current))
        values = {"cell": cells, "incidents": np.fromiter(current.values(), dtype=np.int64, count=len(current))}
    keep = in_bbox(values["cell"], req.bbox)
    return {name: column[keep] for name, column in values.items()}


def heat_layer(req: HeatRequest) -> Layer:
    return CHANGE if req.compare in COMPARISONS else INCIDENTS


def heat_breaks(values: dict[str, np.ndarray], layer: Layer) -> list[float]:
    return change_breaks(values["change"]) if layer is CHANGE else count_breaks(values["incidents"])


def heat_geojson(con, req: HeatRequest) -> dict:
    """The heatmap as a GeoJSON FeatureCollection (the read API's body and the map's geobuf source)."""
    values = heat_values(con, req)
    return feature_collection(values["cell"], {k: v for k, v in values.items() if k != "cell"})
