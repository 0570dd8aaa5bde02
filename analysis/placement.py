"""Where the next cameras should go (布点建议): candidate sites, candidate poses, greedy maximal coverage.

The recommender answers "add N cameras": among candidate *poses* (a site and a heading, or a dome), choose N
that together cover the most incidents not already inside an existing camera's sector, with at most one pose
per site. Maximal coverage is NP-hard; coverage is submodular, so greedy is within 1 − 1/e of the optimum in
the worst case. Lazy evaluation (CELF) recomputes a pose's gain only when it reaches the top of the queue, since
a gain can only shrink as cameras are added. Greedy is run from several starts and each result improved by
swaps (:func:`max_coverage`); the tests compare the outcome with an exact MCLP solution.

Candidate sites come from the blind-spot cells: road intersections and points every ``SITE_SPACING_M`` along
roads; in blind cells without any road, the incident locations and the centres of fine cells.

Conventions as in :mod:`analysis.coverage`: WGS84 degrees, ``lat, lon`` order, H3 cells as signed int64.
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import h3ronpy
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from scipy.sparse import csr_array

from analysis.coverage import (
    CAMERA_DEFAULTS,
    COVERAGE_RES,
    CameraDefaults,
    CameraSectors,
    cell_centres,
    local_offsets_m,
    offsets_to_latlng,
    points_in_sectors,
    sector_point_matrix,
    unique_cells,
)
from data_pipeline.h3cells import latlng_to_cells

# Distance between candidate sites along a road: about one default camera range, so a run of sites can cover a
# street end to end without offering the optimiser near-duplicate poses.
SITE_SPACING_M = 50.0
# Candidate headings per site: 45° steps, half a default video camera's 90° field of view, so any direction is
# within 22.5° of a candidate heading.
DEFAULT_HEADINGS = 8
# Fine cells whose centres are candidate sites where no road is loaded: res 11 (~2,100 m², ~50 m apart),
# like the road spacing.
SITE_CELL_RES = 11
# Incident locations closer than a res-12 cell (~10 m) are one candidate site, at that cell's centre: sources
# round coordinates (4 decimals ≈ 11 m), and a camera is not placed to the metre.
INCIDENT_SITE_RES = COVERAGE_RES
# Road vertices are matched as one junction when equal to 1e-7° (~1 cm).
_VERTEX_DECIMALS = 7


# --- candidate sites --------------------------------------------------------------------------------------------------

def as_lines(roads: Iterable) -> np.ndarray:
    """Shapely LineStrings (x = lon, y = lat) from shapely lines/multilines or WKB, multi-parts exploded."""
    geoms = [shapely.from_wkb(bytes(g)) if isinstance(g, bytes | bytearray | memoryview) else g for g in roads]
    if not geoms:
        return np.empty(0, dtype=object)
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    lines = parts[(shapely.get_type_id(parts) == 1) & ~shapely.is_empty(parts)]
    return lines[shapely.get_num_coordinates(lines) >= 2]


def road_intersections(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of the junctions of a road network: vertices where three or more road arms meet.

    A vertex is an end of a line (one arm) or inside a line (two arms); where the arms of all lines through
    one point add up to three or more, roads branch or cross there. Two lines joined end to end (a road split
    in two) add up to two and are not a junction. Lines that cross without a shared vertex (bridges, or
    unnoded data) are not junctions.
    """
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    if len(coords) == 0:
        return np.empty(0), np.empty(0)
    first = np.ones(len(owner), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    last = np.ones(len(owner), dtype=bool)
    last[:-1] = owner[1:] != owner[:-1]
    arms = np.where(first | last, 1, 2)
    key = pd.DataFrame({"x": np.round(coords[:, 0], _VERTEX_DECIMALS), "y": np.round(coords[:, 1], _VERTEX_DECIMALS),
                        "arms": arms})
    per_vertex = key.groupby(["x", "y"], sort=True)["arms"].sum()
    junctions = per_vertex[per_vertex >= 3].index.to_frame(index=False)
    return junctions["y"].to_numpy(float), junctions["x"].to_numpy(float)


def points_along_roads(lines: np.ndarray, spacing_m: float = SITE_SPACING_M) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of points spread evenly along every line, about ``spacing_m`` apart, none at the ends.

    A line of length L gets n = max(1, round(L / spacing_m)) points at the middles of n equal pieces, so
    junctions (line ends) are left to :func:`road_intersections`. Lengths are measured in each line's local
    metric frame (origin at its first vertex), exact to a fraction of a per cent over a few kilometres.
    """
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    if len(coords) == 0:
        return np.empty(0), np.empty(0)
    starts = np.searchsorted(owner, np.arange(len(lines)))
    origin_lat, origin_lon = coords[starts, 1], coords[starts, 0]
    east_m, north_m = local_offsets_m(origin_lat[owner], origin_lon[owner], coords[:, 1], coords[:, 0])
    metric = shapely.linestrings(np.column_stack([east_m, north_m]), indices=owner)
    length_m = shapely.length(metric)
    pieces = np.maximum(1, np.round(length_m / spacing_m)).astype(np.int64)
    line = np.repeat(np.arange(len(lines)), pieces)
    piece = np.arange(len(line)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    distance_m = (piece + 0.5) * length_m[line] / pieces[line]
    points = shapely.line_interpolate_point(metric[line], distance_m)
    x, y = shapely.get_x(points), shapely.get_y(points)
    return offsets_to_latlng(origin_lat[line], origin_lon[line], x, y)


def _in_cells(lat: np.ndarray, lon: np.ndarray, cells: np.ndarray, res: int) -> np.ndarray:
    return np.isin(latlng_to_cells(lat, lon, res), cells) if len(lat) else np.zeros(0, dtype=bool)


def _cells_resolution(cells: np.ndarray) -> int:
    resolutions = np.unique((cells >> 52) & 15)  # bits 52-55 of an H3 index hold its resolution
    if len(resolutions) != 1:
        raise ValueError(f"blind-spot cells must share one resolution, got {resolutions.tolist()}")
    return int(resolutions[0])


def _sites(lat, lon, source: str) -> pd.DataFrame:
    return pd.DataFrame({"lat": np.asarray(lat, float), "lon": np.asarray(lon, float), "source": source})


def incident_sites(lat: np.ndarray, lon: np.ndarray, res: int = INCIDENT_SITE_RES) -> pd.DataFrame:
    """One candidate site per fine cell holding incidents, at the cell's centre (``source`` = ``incident``)."""
    if len(lat) == 0:
        return _sites([], [], "incident")
    cells = unique_cells(latlng_to_cells(np.asarray(lat, float), np.asarray(lon, float), res))
    return _sites(*cell_centres(cells), "incident")


def cell_centre_sites(cells: np.ndarray, res: int = SITE_CELL_RES) -> pd.DataFrame:
    """Centres of the descendants at ``res`` of ``cells`` (``source`` = ``cell``)."""
    cells = np.asarray(cells, dtype=np.int64)
    if len(cells) == 0:
        return _sites([], [], "cell")
    children = pa.array(h3ronpy.change_resolution(pa.array(cells.view(np.uint64)), res))
    return _sites(*cell_centres(children.to_numpy(zero_copy_only=False).view(np.int64)), "cell")


def candidate_sites(blind_cells: np.ndarray, roads: Iterable | None = None,
                    incident_lat: np.ndarray | None = None, incident_lon: np.ndarray | None = None,
                    spacing_m: float = SITE_SPACING_M, site_res: int = SITE_CELL_RES) -> pd.DataFrame:
    """Candidate camera sites inside the blind-spot cells.

    Parameters
    ----------
    blind_cells : numpy.ndarray of int64
        The blind-spot cells, all at one resolution. A site is inside when the cell containing it at that
        resolution is one of them (the same rule the store bins incidents by).
    roads : iterable of shapely lines or WKB, optional
        Road centre lines in lon/lat. Blind cells with roads get sites at junctions and along the roads.
    incident_lat, incident_lon : numpy.ndarray, optional
        Incident points. Blind cells with no road site get a site per fine cell holding incidents, plus the
        centres of their res-``site_res`` descendants, so a camera can be proposed where nobody was hurt yet.
    spacing_m : float
        Distance between sites along a road.
    site_res : int
        Resolution of the fine cells whose centres are sites in road-less blind cells.

    Returns
    -------
    pandas.DataFrame
        ``lat``, ``lon``, ``source`` (``intersection`` | ``road`` | ``incident`` | ``cell``), ``blind_cell``.
    """
    blind_cells = np.unique(np.asarray(blind_cells, dtype=np.int64))
    columns = ["lat", "lon", "source", "blind_cell"]
    if len(blind_cells) == 0:
        return pd.DataFrame(columns=columns)
    res = _cells_resolution(blind_cells)
    parts = []
    lines = as_lines(roads) if roads is not None else np.empty(0, dtype=object)
    if len(lines):
        parts.append(_sites(*road_intersections(lines), "intersection"))
        parts.append(_sites(*points_along_roads(lines, spacing_m), "road"))
    road_sites = pd.concat(parts, ignore_index=True) if parts else _sites([], [], "road")
    road_sites = _assign_cells(road_sites, blind_cells, res)
    roadless = np.setdiff1d(blind_cells, road_sites["blind_cell"].to_numpy())
    point_parts = [cell_centre_sites(roadless, site_res)]
    if incident_lat is not None and len(incident_lat):
        point_parts.insert(0, incident_sites(incident_lat, incident_lon))
    point_sites = _assign_cells(pd.concat(point_parts, ignore_index=True), roadless, res)
    sites = pd.concat([road_sites, point_sites], ignore_index=True)
    return sites.drop_duplicates(["lat", "lon"]).reset_index(drop=True)[columns]


def _assign_cells(sites: pd.DataFrame, cells: np.ndarray, res: int) -> pd.DataFrame:
    lat, lon = sites["lat"].to_numpy(float), sites["lon"].to_numpy(float)
    containing = latlng_to_cells(lat, lon, res) if len(lat) else np.empty(0, np.int64)
    return sites.assign(blind_cell=containing)[np.isin(containing, cells)]


# --- candidate poses --------------------------------------------------------------------------------------------------

def candidate_poses(sites: pd.DataFrame, kind: str = "video", headings: int = DEFAULT_HEADINGS,
                    dome: bool = False, fov_deg: float | None = None, range_m: float | None = None,
                    defaults: Mapping[str, CameraDefaults] = CAMERA_DEFAULTS) -> pd.DataFrame:
    """Poses to choose from: every site with ``headings`` evenly spaced azimuths, or one 360° pose if ``dome``.

    ``fov_deg`` and ``range_m`` default to the kind's (:data:`analysis.coverage.CAMERA_DEFAULTS`).

    Returns
    -------
    pandas.DataFrame
        ``site`` (row position in ``sites``), ``lat``, ``lon``, ``azimuth_deg`` (NaN for a dome), ``fov_deg``,
        ``range_m``; ordered by site then heading.
    """
    kind_defaults = defaults.get(kind, defaults["other"])
    range_m = kind_defaults.range_m if range_m is None else float(range_m)
    if dome:
        azimuths, fov_deg = np.array([np.nan]), 360.0
    else:
        if headings < 1:
            raise ValueError("headings must be at least 1")
        azimuths = np.arange(headings) * (360.0 / headings)
        fov_deg = kind_defaults.fov_deg if fov_deg is None else float(fov_deg)
    n_sites = len(sites)
    site = np.repeat(np.arange(n_sites), len(azimuths))
    return pd.DataFrame({
        "site": site,
        "lat": sites["lat"].to_numpy(float)[site],
        "lon": sites["lon"].to_numpy(float)[site],
        "azimuth_deg": np.tile(azimuths, n_sites),
        "fov_deg": np.full(len(site), fov_deg),
        "range_m": np.full(len(site), range_m),
    })


def poses_to_sectors(poses: pd.DataFrame) -> CameraSectors:
    """The sectors of a pose table (``lat``, ``lon``, ``azimuth_deg``, ``fov_deg``, ``range_m``)."""
    return CameraSectors(poses["lat"].to_numpy(float), poses["lon"].to_numpy(float),
                         poses["azimuth_deg"].to_numpy(float), poses["fov_deg"].to_numpy(float),
                         poses["range_m"].to_numpy(float))


# --- greedy maximal coverage ------------------------------------------------------------------------------------------

def _coverage_pattern(matrix) -> csr_array:
    """CSR with one float 1.0 per covered (candidate, point) pair, whatever the input's values or duplicates."""
    matrix = csr_array(matrix, dtype=np.float64)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.data[:] = 1.0
    return matrix


def greedy_max_coverage(matrix, n: int, weights: np.ndarray | None = None, groups: np.ndarray | None = None,
                        start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Greedy maximal coverage with lazy evaluation (CELF), at most one choice per group.

    Parameters
    ----------
    matrix : scipy.sparse matrix or array, shape (candidates, points)
        Non-zero (i, j): candidate i covers point j.
    n : int
        How many candidates to choose.
    weights : numpy.ndarray, optional
        Demand of each point (default 1 each); points with weight 0 are ignored.
    groups : numpy.ndarray of int, optional
        Group of each candidate (e.g. its site); once one member is chosen the group is closed.
    start : numpy.ndarray of int, optional
        Candidates chosen in advance (counted in ``n``, listed first); greedy completes the choice.

    Returns
    -------
    chosen, gains : numpy.ndarray
        Candidate indices in the order chosen and the weight each newly covered (its marginal gain). Fewer
        than ``n`` when no remaining candidate adds anything. Ties go to the lower index.
    """
    matrix = _coverage_pattern(matrix)
    n_rows, n_cols = matrix.shape
    weights = np.ones(n_cols) if weights is None else np.asarray(weights, dtype=np.float64)
    indptr, indices = matrix.indptr, matrix.indices
    covered = np.zeros(n_cols, dtype=bool)
    group_closed = np.zeros(int(groups.max()) + 1 if groups is not None and len(groups) else 0, dtype=bool)
    chosen: list[int] = []
    gains: list[float] = []
    for row in [] if start is None else np.asarray(start, dtype=np.int64)[:n]:
        cols = indices[indptr[row]:indptr[row + 1]]
        chosen.append(int(row))
        gains.append(weights[cols[~covered[cols]]].sum())
        covered[cols] = True
        if groups is not None:
            group_closed[groups[row]] = True
    initial = matrix @ np.where(covered, 0.0, weights)
    heap = [(-g, row) for row, g in enumerate(initial) if g > 0 and row not in chosen]
    heapq.heapify(heap)
    # The number of choices made when each row's gain was last computed: a gain computed since the last
    # choice is exact, so the row at the top of the queue with such a gain is the best one.
    computed_at = np.full(n_rows, len(chosen), dtype=np.int64)
    while heap and len(chosen) < n:
        negative_gain, row = heapq.heappop(heap)
        if groups is not None and group_closed[groups[row]]:
            continue
        cols = indices[indptr[row]:indptr[row + 1]]
        if computed_at[row] == len(chosen):
            chosen.append(row)
            gains.append(-negative_gain)
            covered[cols] = True
            if groups is not None:
                group_closed[groups[row]] = True
            continue
        gain = weights[cols[~covered[cols]]].sum()
        computed_at[row] = len(chosen)
        if gain > 0:
            heapq.heappush(heap, (-gain, row))
    return np.asarray(chosen, dtype=np.int64), np.asarray(gains, dtype=np.float64)


# One pass tries to swap out each chosen pose once; passes stop as soon as one improves nothing. The cap only
# bounds the time on large instances (each pass costs one sparse product per chosen pose).
MAX_SWAP_PASSES = 5


def improve_by_swaps(matrix, chosen: np.ndarray, weights: np.ndarray | None = None,
                     groups: np.ndarray | None = None, max_passes: int = MAX_SWAP_PASSES) -> np.ndarray:
    """Local search after greedy: replace a chosen candidate by another while that covers more weight.

    For each chosen candidate ``a`` in turn, the gain of every other candidate ``b`` over the rest of the
    choice is one sparse product (weights of the points nobody else covers, counting the ones only ``a``
    covered); ``a`` is swapped for the best ``b`` when that beats what only ``a`` covers. Respects the
    one-per-group rule (``a``'s own group is open to ``b``). Never lowers the covered weight.

    Returns
    -------
    numpy.ndarray
        The improved choice (same length as ``chosen``; order not meaningful, see :func:`order_by_gain`).
    """
    matrix = _coverage_pattern(matrix)
    n_rows, n_cols = matrix.shape
    weights = np.ones(n_cols) if weights is None else np.asarray(weights, dtype=np.float64)
    chosen = np.asarray(chosen, dtype=np.int64).copy()
    if len(chosen) == 0:
        return chosen
    indptr, indices = matrix.indptr, matrix.indices
    count = np.zeros(n_cols, dtype=np.int64)
    np.add.at(count, np.concatenate([indices[indptr[a]:indptr[a + 1]] for a in chosen]), 1)
    taken = np.zeros(n_rows, dtype=bool)
    taken[chosen] = True
    group_taken = None
    if groups is not None:
        group_taken = np.zeros(int(groups.max()) + 1, dtype=bool)
        group_taken[groups[chosen]] = True
    # Gains are sums of weights: a swap must win by more than float noise on the total.
    tolerance = 1e-9 * max(1.0, float(weights.sum()))
    for _ in range(max_passes):
        improved = False
        for position in range(len(chosen)):
            a = chosen[position]
            cols_a = indices[indptr[a]:indptr[a + 1]]
            only_a = cols_a[count[cols_a] == 1]
            loss = weights[only_a].sum()
            free_weight = np.where(count == 0, weights, 0.0)
            free_weight[only_a] = weights[only_a]
            gain = matrix @ free_weight
            blocked = taken.copy()
            if group_taken is not None:
                open_groups = group_taken.copy()
                open_groups[groups[a]] = False
                blocked |= open_groups[groups]
            gain[blocked] = -np.inf
            b = int(np.argmax(gain))
            if gain[b] > loss + tolerance:
                count[cols_a] -= 1
                count[indices[indptr[b]:indptr[b + 1]]] += 1
                taken[a], taken[b] = False, True
                if group_taken is not None:
                    group_taken[groups[a]], group_taken[groups[b]] = False, True
                chosen[position] = b
                improved = True
        if not improved:
            break
    return chosen


def order_by_gain(matrix, chosen: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The chosen candidates in greedy order among themselves, with each one's marginal gain in that order.

    The gains add up to the weight the whole choice covers, so "the k-th camera adds g" reads correctly.
    """
    chosen = np.asarray(chosen, dtype=np.int64)
    sub = _coverage_pattern(matrix)[chosen]
    order, gains = greedy_max_coverage(sub, len(chosen), weights)
    rest = np.setdiff1d(np.arange(len(chosen)), order)  # candidates that add nothing after the others
    return chosen[np.concatenate([order, rest])], np.concatenate([gains, np.zeros(len(rest))])


# Greedy runs, each forced to begin with one of the best single poses (of distinct sites). On 80 small random
# instances (30 sites × 8 headings or domes, 400 clustered incidents, N = 6) against the exact MCLP, the worst
# ratio was 92.9 % for plain greedy, 93.8 % with swaps, 96.3 % with 4 starts and 97.9 % with 8 (16: no better).
DEFAULT_STARTS = 8


def _best_first_choices(matrix: csr_array, weights: np.ndarray, groups: np.ndarray | None, count: int) -> list[int]:
    initial = matrix @ weights
    firsts: list[int] = []
    seen_groups: set[int] = set()
    for row in np.argsort(-initial, kind="stable"):
        if initial[row] <= 0 or len(firsts) == count:
            break
        group = int(groups[row]) if groups is not None else int(row)
        if group not in seen_groups:
            seen_groups.add(group)
            firsts.append(int(row))
    return firsts


def max_coverage(matrix, n: int, weights: np.ndarray | None = None, groups: np.ndarray | None = None,
                 starts: int = DEFAULT_STARTS, swaps: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The best of several greedy runs, each improved by swaps; at most one choice per group.

    Run ``k`` (of ``starts``) begins with the k-th best single candidate, the first run is plain greedy;
    each result is improved by :func:`improve_by_swaps` when ``swaps``. Deterministic.

    Parameters
    ----------
    matrix, n, weights, groups
        As for :func:`greedy_max_coverage`.
    starts : int
        Number of greedy runs (1 = plain greedy).
    swaps : bool
        Improve each run by swaps.

    Returns
    -------
    chosen, gains : numpy.ndarray
        The choice in greedy order among itself with each candidate's marginal gain (:func:`order_by_gain`).
    """
    matrix = _coverage_pattern(matrix)
    weights = np.ones(matrix.shape[1]) if weights is None else np.asarray(weights, dtype=np.float64)
    best, best_weight = np.empty(0, dtype=np.int64), -1.0
    for first in _best_first_choices(matrix, weights, groups, max(1, starts)) or [None]:
        chosen, _ = greedy_max_coverage(matrix, n, weights, groups, start=None if first is None else [first])
        if swaps:
            chosen = improve_by_swaps(matrix, chosen, weights, groups)
        covered_weight = _covered_weight(matrix, chosen, weights)
        if covered_weight > best_weight:
            best, best_weight = chosen, covered_weight
    return order_by_gain(matrix, best, weights)


def _covered_weight(matrix: csr_array, chosen: np.ndarray, weights: np.ndarray) -> float:
    covered = np.zeros(matrix.shape[1], dtype=bool)
    covered[matrix[np.asarray(chosen, dtype=np.int64)].indices] = True
    return float(weights[covered].sum())


@dataclass(frozen=True)
class Placement:
    """The recommended cameras and what they add.

    ``cameras``: one row per new camera in the order chosen: ``lat``, ``lon``, ``azimuth_deg`` (NaN = dome),
    ``fov_deg``, ``range_m``, ``gain_incidents`` (incidents it newly covers, given those before it), ``site``.
    ``incidents``: all incidents; ``covered_before`` / ``covered_after``: inside an existing sector / also
    counting the new cameras.
    """

    cameras: pd.DataFrame
    incidents: float
    covered_before: float
    covered_after: float

    @property
    def share_before(self) -> float:
        """Share of incidents covered before (NaN without incidents)."""
        return self.covered_before / self.incidents if self.incidents else math.nan

    @property
    def share_after(self) -> float:
        """Share of incidents covered with the new cameras (NaN without incidents)."""
        return self.covered_after / self.incidents if self.incidents else math.nan

    def summary(self) -> dict[str, float]:
        """The JSON summary of the plan: incidents, covered_before, covered_after."""
        return {"incidents": self.incidents, "covered_before": self.covered_before,
                "covered_after": self.covered_after}


def recommend_cameras(poses: pd.DataFrame, incident_lat: np.ndarray, incident_lon: np.ndarray, n: int,
                      existing: CameraSectors | None = None,
                      incident_weights: np.ndarray | None = None, starts: int = DEFAULT_STARTS,
                      swaps: bool = True) -> Placement:
    """Choose ``n`` poses (at most one per site) that newly cover the most incidents.

    Greedy with lazy evaluation (:func:`greedy_max_coverage`) from several starts, each improved by swaps
    (:func:`max_coverage`); the cameras are listed in greedy order with their marginal gains.

    Parameters
    ----------
    poses : pandas.DataFrame
        Candidate poses as from :func:`candidate_poses` (``site``, ``lat``, ``lon``, ``azimuth_deg``,
        ``fov_deg``, ``range_m``).
    incident_lat, incident_lon : numpy.ndarray
        Incident points (or cell centres standing for several incidents, see ``incident_weights``).
    n : int
        Number of cameras to add.
    existing : CameraSectors, optional
        The cameras that count now (usually the online ones); incidents inside them gain nothing.
    incident_weights : numpy.ndarray, optional
        How many incidents each point stands for (default 1); integers keep the counts integral.
    starts, swaps
        As for :func:`max_coverage`; ``starts=1, swaps=False`` is plain greedy.

    Returns
    -------
    Placement
    """
    lat = np.asarray(incident_lat, dtype=np.float64)
    lon = np.asarray(incident_lon, dtype=np.float64)
    weights = np.ones(len(lat), dtype=np.int64) if incident_weights is None else np.asarray(incident_weights)
    covered = points_in_sectors(existing, lat, lon) if existing is not None else np.zeros(len(lat), dtype=bool)
    open_points = np.flatnonzero(~covered)
    matrix = sector_point_matrix(poses_to_sectors(poses), lat[open_points], lon[open_points])
    open_weights = weights[open_points].astype(np.float64)
    sites = poses["site"].to_numpy(np.int64)
    chosen, gains = max_coverage(matrix, n, open_weights, sites, starts, swaps)
    integral = np.issubdtype(weights.dtype, np.integer)
    cast = (lambda v: int(round(v))) if integral else float
    cameras = poses.iloc[chosen][["lat", "lon", "azimuth_deg", "fov_deg", "range_m", "site"]].reset_index(drop=True)
    cameras.insert(5, "gain_incidents", np.round(gains).astype(np.int64) if integral else gains)
    before = cast(weights[covered].sum())
    return Placement(cameras=cameras, incidents=cast(weights.sum()), covered_before=before,
                     covered_after=cast(before + gains.sum()))
