"""The coverage stage: what each camera sees, kept in the store so any set of cameras can be asked about.

Runs after a cameras or incidents load, on the new rows only (cameras and incidents are append-only: a
repeated id is a duplicate, never an update), so it is incremental by construction:

- cameras of the run: missing field of view and range filled by kind (``analysis.coverage.CAMERA_DEFAULTS``,
  a dome / unknown azimuth is 360°; a mapping's ``[defaults]`` override them), then every res-12 cell whose
  centre lies in each camera's sector → ``camera_cells`` (with the map cells containing it), the
  denominators of newly touched map cells → ``coverage_capacity``, and the stored incidents inside the new
  sectors → ``incident_coverage``;
- incidents of the run: each point tested against every camera's sector → ``incident_coverage``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.coverage import (
    COVERAGE_RES,
    CameraSectors,
    cell_centres,
    fill_camera_defaults,
    fine_cell_capacity,
    fine_cells_by_sector,
    sector_point_pairs,
)
from data_pipeline.h3cells import MAP_RESOLUTIONS, latlng_to_cells

ONLINE = "online"


def index_cameras(con, run_id: int) -> None:
    """Defaults, covered fine cells and covered incidents for the cameras one run loaded."""
    cameras = _fill_defaults(con, run_id)
    if cameras.empty:
        return
    sectors = CameraSectors.from_frame(cameras)
    index, fine = fine_cells_by_sector(sectors)
    lat, lon = cell_centres(fine)
    table = {"camera_id": cameras["id"].to_numpy()[index], "cell": fine}
    table |= {f"r{res}": latlng_to_cells(lat, lon, res) for res in MAP_RESOLUTIONS}
    con.register("new_camera_cells", pa.table(table | {"run_id": np.full(len(fine), run_id)}))
    con.execute("INSERT INTO camera_cells SELECT camera_id, cell, r7, r8, r9, r10, run_id FROM new_camera_cells")
    con.unregister("new_camera_cells")
    _add_capacity(con, {res: table[f"r{res}"] for res in MAP_RESOLUTIONS})
    _cover_stored_incidents(con, cameras, sectors)


# Incidents tested per batch: ten million at once would hold their ids in memory twice over.
COVER_BATCH_ROWS = 1_000_000


def cover_incidents(con, run_id: int) -> None:
    """Which of one run's incidents lie in a camera's sector (online or not)."""
    cameras = _located_cameras(con)
    if not cameras.empty:
        _cover_where(con, "run_id = $run", {"run": run_id}, cameras, CameraSectors.from_frame(cameras))


def _cover_where(con, where: str, params: dict, cameras: pd.DataFrame, sectors: CameraSectors) -> None:
    """Test the located incidents matching ``where`` against ``sectors``, a rowid range at a time: ten million
    at once would hold their ids in memory twice over, and one streamed cursor cannot share the connection
    with the writes."""
    first, last = con.execute(f"SELECT min(rowid), max(rowid) FROM incidents WHERE located AND {where}",
                              params).fetchone()
    if first is None:
        return
    for start in range(first, last + 1, COVER_BATCH_ROWS):
        window = params | {"a": start, "b": start + COVER_BATCH_ROWS}
        points = con.execute(f"SELECT id, lat, lon FROM incidents WHERE located AND {where} "
                             "AND rowid >= $a AND rowid < $b", window).df()
        if not points.empty:
            _record_covered(con, points, cameras, sectors)


def _fill_defaults(con, run_id: int) -> pd.DataFrame:
    cameras = con.execute("SELECT rowid AS rid, id, lat, lon, kind, azimuth_deg, fov_deg, range_m, status "
                          "FROM cameras WHERE run_id = $run AND located", {"run": run_id}).df()
    if cameras.empty:
        return cameras
    cameras = fill_camera_defaults(cameras)
    con.register("filled", pa.Table.from_pandas(cameras[["rid", "fov_deg", "range_m"]], preserve_index=False))
    con.execute("UPDATE cameras SET fov_deg = f.fov_deg, range_m = f.range_m FROM filled f WHERE cameras.rowid = f.rid")
    con.unregister("filled")
    return cameras


def _add_capacity(con, cells_by_res: dict[int, np.ndarray]) -> None:
    for res, cells in cells_by_res.items():
        cells = np.unique(cells)
        known = {c for (c,) in con.execute("SELECT cell FROM coverage_capacity WHERE res = $res",
                                           {"res": res}).fetchall()}
        new = np.array([c for c in cells.tolist() if c not in known], dtype=np.int64)
        if len(new) == 0:
            continue
        con.register("capacity", pa.table({"res": np.full(len(new), res, dtype=np.int8), "cell": new,
                                           "fine_cells": fine_cell_capacity(new, COVERAGE_RES)}))
        con.execute("INSERT INTO coverage_capacity SELECT res, cell, fine_cells FROM capacity")
        con.unregister("capacity")


def _located_cameras(con) -> pd.DataFrame:
    return con.execute("SELECT id, lat, lon, kind, azimuth_deg, fov_deg, range_m, status FROM cameras "
                       "WHERE located").df()


def _cover_stored_incidents(con, cameras: pd.DataFrame, sectors: CameraSectors) -> None:
    """The stored incidents near new cameras (their bounding box plus ~1 km)."""
    box = {"s": cameras["lat"].min() - 0.01, "n": cameras["lat"].max() + 0.01,
           "w": cameras["lon"].min() - 0.01, "e": cameras["lon"].max() + 0.01}
    _cover_where(con, "lat BETWEEN $s AND $n AND lon BETWEEN $w AND $e", box, cameras, sectors)


def _record_covered(con, points: pd.DataFrame, cameras: pd.DataFrame, sectors: CameraSectors) -> None:
    """Merge (incident id, seen by an online camera?) into ``incident_coverage``."""
    sector, point = sector_point_pairs(sectors, points["lat"].to_numpy(), points["lon"].to_numpy())
    if len(point) == 0:
        return
    online = (cameras["status"].to_numpy() == ONLINE)[sector]
    seen = pd.DataFrame({"id": points["id"].to_numpy()[point], "online": online}).groupby("id")["online"].any()
    con.register("seen", pa.table({"id": seen.index.to_numpy(), "online": seen.to_numpy()}))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE merged AS
        SELECT id, bool_or(online) AS online FROM (SELECT * FROM incident_coverage UNION ALL SELECT * FROM seen)
        WHERE id IN (SELECT id FROM seen) GROUP BY id""")
    con.execute("DELETE FROM incident_coverage WHERE id IN (SELECT id FROM seen)")
    con.execute("INSERT INTO incident_coverage SELECT id, online FROM merged")
    con.execute("DROP TABLE merged")
    con.unregister("seen")
