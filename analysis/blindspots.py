"""盲区 — blind spots: where incidents happen out of every camera's sight, ranked for the next cameras.

Pure functions over frames: the counts come from the store, the scores and the KPIs are computed here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from analysis.coverage import CameraSectors, local_offsets_m, offsets_to_latlng, points_in_sectors

# How much an uncovered incident of each category weighs in a blind spot's priority. Cameras matter most where
# they deter or solve street crime with a victim (robbery, violence, theft) and least for what happens indoors or
# on the phone (telecom fraud) or is not a crime (calls for help). A bureau can set its own weights.
CATEGORY_SEVERITY = {
    "robbery": 5.0, "violence": 4.0, "theft": 3.0, "drugs_vice": 3.0, "public_order": 2.0,
    "traffic": 2.0, "fraud": 1.5, "dispute": 1.0, "fire_hazard": 1.0, "other": 1.0,
    "assistance": 0.5, "telecom_fraud": 0.2,
}
DEFAULT_SEVERITY = 1.0
# A hexagon is a blind spot when less than this share of it is in an online camera's sight ...
BLIND_MAX_COVERAGE = 0.3
# ... and at least this many incidents of the period happened there (a quiet corner is no priority).
BLIND_MIN_INCIDENTS = 3
# Road classes whose coverage the KPI reports: the arteries a fleeing vehicle takes.
MAIN_ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary")
# Roads are sampled this often to measure the length in sight.
ROAD_SAMPLE_M = 10.0


def blind_spots(by_category: pd.DataFrame, coverage: pd.DataFrame, severity: dict[str, float] | None = None,
                max_coverage: float = BLIND_MAX_COVERAGE, min_incidents: int = BLIND_MIN_INCIDENTS) -> pd.DataFrame:
    """Blind-spot cells ranked by priority.

    Parameters
    ----------
    by_category : DataFrame
        ``cell``, ``category``, ``incidents``, ``uncovered`` (incidents outside every online camera's sector).
    coverage : DataFrame
        ``cell``, ``coverage`` (0-1; a cell absent is uncovered).
    severity : dict, optional
        Weight per category (default ``CATEGORY_SEVERITY``).

    Returns
    -------
    DataFrame
        ``rank``, ``cell``, ``score`` (Σ severity × uncovered incidents), ``incidents``, ``uncovered``,
        ``coverage``, highest score first; only cells under ``max_coverage`` with ``min_incidents`` or more.
    """
    weights = by_category["category"].map(severity or CATEGORY_SEVERITY).fillna(DEFAULT_SEVERITY)
    scored = by_category.assign(score=weights * by_category["uncovered"])
    cells = scored.groupby("cell", as_index=False)[["score", "incidents", "uncovered"]].sum()
    cells = cells.merge(coverage[["cell", "coverage"]], on="cell", how="left").fillna({"coverage": 0.0})
    blind = cells[(cells["coverage"] < max_coverage) & (cells["incidents"] >= min_incidents)
                  & (cells["uncovered"] > 0)]
    blind = blind.sort_values(["score", "incidents", "cell"], ascending=[False, False, True], kind="stable")
    blind = blind.reset_index(drop=True)
    blind.insert(0, "rank", np.arange(1, len(blind) + 1))
    return blind[["rank", "cell", "score", "incidents", "uncovered", "coverage"]]


def places_in_sight(places: pd.DataFrame, sectors: CameraSectors) -> np.ndarray:
    """Per key place (``lat``, ``lon``), whether an online camera sees it."""
    if places.empty:
        return np.zeros(0, dtype=bool)
    return points_in_sectors(sectors, places["lat"].to_numpy(float), places["lon"].to_numpy(float))


def road_length_in_sight(lines: np.ndarray, sectors: CameraSectors,
                         sample_m: float = ROAD_SAMPLE_M) -> tuple[float, float]:
    """(length in sight, total length) in metres of WGS84 road lines, by points every ``sample_m``."""
    if len(lines) == 0:
        return 0.0, 0.0
    lat, lon, weight = _road_samples(lines, sample_m)
    seen = points_in_sectors(sectors, lat, lon)
    return float(weight[seen].sum()), float(weight.sum())


# A main road is flagged as out of sight when less than this share of its length is in a camera's sight.
ROAD_MIN_SHARE_IN_SIGHT = 0.5


def roads_out_of_sight(lines: np.ndarray, sectors: CameraSectors | None,
                       sample_m: float = ROAD_SAMPLE_M) -> np.ndarray:
    """Per road line, whether less than ``ROAD_MIN_SHARE_IN_SIGHT`` of its length is in sight."""
    if len(lines) == 0:
        return np.zeros(0, dtype=bool)
    if sectors is None or len(sectors) == 0:
        return np.ones(len(lines), dtype=bool)
    lat, lon, weight, owner = _road_samples(lines, sample_m, with_owner=True)
    seen = points_in_sectors(sectors, lat, lon)
    seen_m = np.bincount(owner, weights=weight * seen, minlength=len(lines))
    total_m = np.bincount(owner, weights=weight, minlength=len(lines))
    return seen_m < ROAD_MIN_SHARE_IN_SIGHT * total_m


def _road_samples(lines: np.ndarray, sample_m: float, with_owner: bool = False):
    """Points along each line, each standing for the length around it (metres) [and the line it is on]."""
    coords = shapely.get_coordinates(lines)
    lat0, lon0 = float(np.mean(coords[:, 1])), float(np.mean(coords[:, 0]))
    east, north = local_offsets_m(lat0, lon0, coords[:, 1], coords[:, 0])
    _, index = shapely.get_coordinates(lines, return_index=True)
    metric = shapely.linestrings(np.column_stack([east, north]), indices=index)
    lengths = shapely.length(metric)
    counts = np.maximum(1, np.ceil(lengths / sample_m).astype(int))
    owner = np.repeat(np.arange(len(metric)), counts)
    position = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + 0.5) / counts[owner]
    points = shapely.line_interpolate_point(metric[owner], position, normalized=True)
    xy = shapely.get_coordinates(points)
    lat, lon = offsets_to_latlng(lat0, lon0, xy[:, 0], xy[:, 1])
    weight = (lengths / counts)[owner]
    return (lat, lon, weight, owner) if with_owner else (lat, lon, weight)
