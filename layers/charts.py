"""Charts for the current filter (plotly figures): weekly trend, categories, hour × weekday matrix."""
from __future__ import annotations

import plotly.graph_objects as go

import queries
from queries.incidents import IncidentFilter

CHART_MARGIN = {"l": 40, "r": 10, "t": 10, "b": 30}


# Up to a month the trend is daily, beyond it weekly.
DAILY_TREND_MAX_DAYS = 31


def trend_figure(con, flt: IncidentFilter, labels: dict) -> go.Figure:
    bucket = "day" if (flt.to_ts - flt.from_ts).days <= DAILY_TREND_MAX_DAYS else "week"
    rows = queries.run(con, "trend", bucket=bucket, **flt.params()).fetchall()
    fig = go.Figure(go.Scatter(x=[r[0] for r in rows], y=[r[1] for r in rows], mode="lines+markers",
                               line={"color": "#1f4e79"}, name=labels["incidents"]))
    return _compact(fig, labels)


def category_figure(con, flt: IncidentFilter, labels: dict) -> go.Figure:
    rows = queries.run(con, "category_counts", **flt.params()).fetchall()
    names = [labels["category"](r[0]) for r in rows][::-1]
    fig = go.Figure(go.Bar(x=[r[1] for r in rows][::-1], y=names, orientation="h", marker_color="#cc4c02"))
    return _compact(fig, labels)


def matrix_figure(con, flt: IncidentFilter, labels: dict, dark: bool = False) -> go.Figure:
    """Hour (x) × weekday (y) counts: the 高发时段 at a glance."""
    grid = [[0] * 24 for _ in range(7)]
    for weekday, hour, n in queries.run(con, "hour_weekday", **flt.params()).fetchall():
        grid[weekday - 1][hour] = n
    fig = go.Figure(go.Heatmap(z=grid, x=[f"{h}" for h in range(24)], y=labels["weekdays"], colorscale="YlOrRd",
                               showscale=False, hovertemplate="%{y} %{x}:00 — %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _compact(fig, labels, dark)


def _compact(fig: go.Figure, labels: dict, dark: bool = False) -> go.Figure:
    fig.update_layout(margin=CHART_MARGIN, height=labels.get("height", 200), showlegend=False,
                      template="plotly_dark" if dark else "plotly_white",
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                      font={"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "size": labels.get("font", 11)})
    return fig
