"""Charts for a filter or one hexagon (plotly figures): trend, categories, hour × weekday matrix."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import queries
from analysis.rhythms import counts_per_bucket, hour_weekday_matrix
from queries.incidents import IncidentFilter

CHART_MARGIN = {"l": 40, "r": 10, "t": 10, "b": 30}
# Up to a month the trend is daily, beyond it weekly.
DAILY_TREND_MAX_DAYS = 31


def trend_bucket(flt: IncidentFilter) -> str:
    return "day" if (flt.to_ts - flt.from_ts).days <= DAILY_TREND_MAX_DAYS else "week"


def trend_figure(con, flt: IncidentFilter, labels: dict) -> go.Figure:
    rows = queries.fetch(con, "trend", bucket=trend_bucket(flt), **flt.params())
    return trend_chart(rows, labels)


def category_figure(con, flt: IncidentFilter, labels: dict) -> go.Figure:
    return category_chart(queries.fetch(con, "category_counts", **flt.params()), labels)


def matrix_figure(con, flt: IncidentFilter, labels: dict, dark: bool = False) -> go.Figure:
    """Hour (x) × weekday (y) counts: the 高发时段 at a glance."""
    grid = np.zeros((7, 24), dtype=np.int64)
    for weekday, hour, n in queries.fetch(con, "hour_weekday", **flt.params()):
        grid[weekday - 1, hour] = n
    return matrix_chart(grid, labels, dark)


def cell_figures(times: list, flt: IncidentFilter, labels: dict) -> tuple[go.Figure, go.Figure]:
    """The trend and the hour × weekday matrix of one hexagon's incidents (their times)."""
    trend = counts_per_bucket(times, flt.from_ts, flt.to_ts, trend_bucket(flt))
    return trend_chart(trend, labels), matrix_chart(hour_weekday_matrix(times), labels)


def trend_chart(rows, labels: dict) -> go.Figure:
    fig = go.Figure(go.Scatter(x=[r[0] for r in rows], y=[r[1] for r in rows], mode="lines+markers",
                               line={"color": "#1f4e79"}, name=labels.get("incidents", "")))
    return _compact(fig, labels)


def category_chart(rows, labels: dict) -> go.Figure:
    names = [labels["category"](r[0]) for r in rows][::-1]
    fig = go.Figure(go.Bar(x=[r[1] for r in rows][::-1], y=names, orientation="h", marker_color="#cc4c02"))
    return _compact(fig, labels)


def matrix_chart(grid: np.ndarray, labels: dict, dark: bool = False) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=grid.tolist(), x=[f"{h}" for h in range(24)], y=labels["weekdays"],
                               colorscale="YlOrRd", showscale=False,
                               hovertemplate="%{y} %{x}:00 — %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _compact(fig, labels, dark)


def _compact(fig: go.Figure, labels: dict, dark: bool = False) -> go.Figure:
    fig.update_layout(margin=CHART_MARGIN, height=labels.get("height", 200), showlegend=False,
                      template="plotly_dark" if dark else "plotly_white",
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                      font={"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "size": labels.get("font", 11)})
    return fig
