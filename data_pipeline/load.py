"""Stage: ``fresh`` rows → the kind's table (points through the index stage, shapes converted to WGS84)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import shapely
from pyproj import Geod

from data_pipeline.crs import transform_geometries
from data_pipeline.index import INDEX_INPUT_COLUMNS, IndexContext, index_batch
from data_pipeline.kinds import DEFAULT_SPEED_KMH, Kind

# Rows per Arrow batch handed to the index stage: large enough to amortise, small enough for memory.
INDEX_BATCH_ROWS = 1_000_000
_GEOD = Geod(ellps="WGS84")


def load_points(con, kind: Kind, ctx: IndexContext, run_id: int) -> tuple[int, int]:
    """Index ``fresh`` and insert it; return (located, unlocated)."""
    cols = ", ".join(INDEX_INPUT_COLUMNS)
    reader = con.execute(f"SELECT {cols} FROM fresh").fetch_record_batch(INDEX_BATCH_ROWS)
    batches = [index_batch(batch, ctx) for batch in reader]
    if not batches:
        return 0, 0
    geo = pa.Table.from_batches(batches)
    con.register("geo", geo)
    keep = [f.name for f in kind.fields if f.name not in ("lat", "lon")]
    zone_cols = [c for c in geo.column_names if c not in ("_rec",)]
    select = ", ".join([*(f"f.{c}" for c in keep), *(f"g.{c}" for c in zone_cols)])
    con.execute(f"INSERT INTO {kind.table} BY NAME SELECT {select}, $run_id AS run_id "
                "FROM fresh f JOIN geo g USING (_rec)", {"run_id": run_id})
    con.unregister("geo")
    located = int(np.count_nonzero(geo.column("located").to_numpy()))
    return located, len(geo) - located


def load_shapes(con, kind: Kind, crs: str, run_id: int) -> int:
    """Convert ``fresh`` geometries to WGS84, repair invalid ones, insert; return rows loaded."""
    rows = con.execute("SELECT _rec, _geom FROM fresh ORDER BY _rec").fetchall()
    if not rows:
        return 0
    recs, wkb = [r[0] for r in rows], [r[1] for r in rows]
    rows_loaded = len(recs)
    geoms = transform_geometries(shapely.from_wkb(np.array(wkb, dtype=object)), crs)
    geoms = np.where(shapely.is_valid(geoms), geoms, shapely.make_valid(geoms))
    if kind.geometry == "polygon":
        recs, geoms = _merge_parts(con, recs, geoms)
    bounds = shapely.bounds(geoms)
    columns = {
        "_rec": pa.array(recs, pa.int64()),
        "geometry": pa.array(shapely.to_wkb(geoms), pa.binary()),
        "min_lon": bounds[:, 0], "min_lat": bounds[:, 1], "max_lon": bounds[:, 2], "max_lat": bounds[:, 3],
    }
    if kind.geometry == "polygon":
        columns["area_km2"] = np.array([abs(_GEOD.geometry_area_perimeter(g)[0]) / 1e6 for g in geoms])
    else:
        columns["length_m"] = np.array([_GEOD.geometry_length(g) for g in geoms])
    con.register("shapes", pa.table(columns))
    keep = ", ".join(f"f.{f.name}" for f in kind.fields)
    con.execute(f"INSERT INTO {kind.table} BY NAME SELECT {keep}, s.* EXCLUDE (_rec), $run_id AS run_id "
                "FROM fresh f JOIN shapes s USING (_rec)", {"run_id": run_id})
    con.unregister("shapes")
    if kind.name == "roads":
        _default_speeds(con, run_id)
    return rows_loaded


def _merge_parts(con, recs: list[int], geoms: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Union the features that share an id into one geometry, kept on the first feature's row."""
    ids = [r[0] for r in con.execute("SELECT id FROM fresh ORDER BY _rec").fetchall()]
    groups: dict[str, list[int]] = {}
    for pos, jid in enumerate(ids):
        groups.setdefault(jid, []).append(pos)
    if all(len(g) == 1 for g in groups.values()):
        return recs, geoms
    merged = [shapely.union_all(geoms[g]) if len(g) > 1 else geoms[g[0]] for g in groups.values()]
    return [recs[g[0]] for g in groups.values()], np.array(merged, dtype=object)


def _default_speeds(con, run_id: int) -> None:
    classes = list(DEFAULT_SPEED_KMH)
    speeds = [DEFAULT_SPEED_KMH[c] for c in classes]
    con.execute("UPDATE roads SET speed_kmh = $speeds[list_position($classes, road_class)] "
                "WHERE run_id = $run_id AND speed_kmh IS NULL",
                {"speeds": speeds, "classes": classes, "run_id": run_id})
