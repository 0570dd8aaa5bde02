"""Charts for a filter or one hexagon (plotly figures): trend, categories, hour × weekday matrix."""
from __future__ import annotations

import numpy as np

import queries
from analysis.rhythms import counts_per_bucket, hour_weekday_matrix
from queries.incidents import IncidentFilter

CHART_MARGIN = {"l": 40, "r": 10, "t": 10, "b": 30}
# Up to a month the trend is daily, beyond it weekly.
DAILY_TREND_MAX_DAYS = 31


def trend_bucket(flt: IncidentFilter) -> str:
    return "day" if (flt.to_ts - flt.from_ts).days <= DAILY_TREND_MAX_DAYS else "week"


def trend_figure(con, flt: IncidentFilter, labels: dict) -> dict:
    rows = queries.fetch(con, "trend", bucket=trend_bucket(flt), **flt.params())
    return trend_chart(rows, labels)


def category_figure(con, flt: IncidentFilter, labels: dict) -> dict:
    return category_chart(queries.fetch(con, "category_counts", **flt.params()), labels)


def matrix_figure(con, flt: IncidentFilter, labels: dict, dark: bool = False) -> dict:
    """Hour (x) × weekday (y) counts: the 高发时段 at a glance."""
    grid = np.zeros((7, 24), dtype=np.int64)
    for weekday, hour, n in queries.fetch(con, "hour_weekday", **flt.params()):
        grid[weekday - 1, hour] = n
    return matrix_chart(grid, labels, dark)


def cell_figures(times: list, flt: IncidentFilter, labels: dict) -> tuple[dict, dict]:
    """The trend and the hour × weekday matrix of one hexagon's incidents (their times)."""
    trend = counts_per_bucket(times, flt.from_ts, flt.to_ts, trend_bucket(flt))
    return trend_chart(trend, labels), matrix_chart(hour_weekday_matrix(times), labels)


# Figures are plain dicts, not plotly.graph_objects: building and validating three go.Figure objects with a
# template cost ~60 ms per filter change on our machine and embedded the template (~10 kB) in each answer.
def trend_chart(rows, labels: dict) -> dict:
    trace = {"type": "scatter", "mode": "lines+markers", "x": [r[0] for r in rows], "y": [r[1] for r in rows],
             "line": {"color": "#1f4e79"}, "name": labels.get("incidents", "")}
    return _figure(trace, labels)


def category_chart(rows, labels: dict) -> dict:
    trace = {"type": "bar", "orientation": "h", "x": [r[1] for r in rows][::-1],
             "y": [labels["category"](r[0]) for r in rows][::-1], "marker": {"color": "#cc4c02"}}
    return _figure(trace, labels)


def matrix_chart(grid: np.ndarray, labels: dict, dark: bool = False) -> dict:
    trace = {"type": "heatmap", "z": grid.tolist(), "x": [f"{h}" for h in range(24)], "y": labels["weekdays"],
             "colorscale": "YlOrRd", "showscale": False, "hovertemplate": "%{y} %{x}:00 — %{z}<extra></extra>"}
    return _figure(trace, labels, dark, yaxis={"autorange": "reversed"})


def _figure(trace: dict, labels: dict, dark: bool = False, yaxis: dict | None = None) -> dict:
    ink, grid = ("#dbe7f3", "#2a3a4d") if dark else ("#2a3f54", "#e6eaef")
    axis = {"gridcolor": grid, "linecolor": grid, "zeroline": False, "automargin": True}
    layout = {"margin": CHART_MARGIN, "height": labels.get("height", 200), "showlegend": False,
              "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
              "font": {"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "size": labels.get("font", 11),
                       "color": ink},
              "xaxis": axis, "yaxis": axis | (yaxis or {})}
    return {"data": [trace], "layout": layout}
