"""One source file into the store: read → normalise → quarantine → dedupe → index/load → aggregate.

Runs inside ``store.writing``: if anything raises, the store file is left exactly as it was.
"""
from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

import queries
from data_pipeline import store
from data_pipeline.coverage import cover_incidents, index_cameras
from data_pipeline.crs import is_projected, normalise_crs
from data_pipeline.dedupe import keep_fresh
from data_pipeline.h3cells import MAP_RESOLUTIONS
from data_pipeline.index import IndexContext
from data_pipeline.kinds import KINDS, Kind
from data_pipeline.load import INDEX_BATCH_ROWS, load_points, load_shapes
from data_pipeline.mapping import Mapping
from data_pipeline.normalise import normalise
from data_pipeline.presence import rebuild_presence
from data_pipeline.quarantine import quarantine_rows
from data_pipeline.read import SourceError, discard_text_copy, quote_identifier, read_source
from data_pipeline.zones import build_zone_index

# Points further than this outside the loaded jurisdictions are treated as mis-geocoded (unlocated).
PLAUSIBLE_MARGIN_DEG = 0.2
# Appended aggregate rows beyond this share of the table trigger a sorted rebuild (keeps reads pruned).
COMPACT_UNSORTED_SHARE = 0.25
# Which jurisdiction columns each point table carries.
ZONE_COLUMNS = {"incidents": ("station", "community", "grid")}


@dataclass
class IngestResult:
    """What one file's ingest did; the counts reconcile: rows_read = loaded + duplicates + rejected."""

    kind: str
    source_file: str
    rows_read: int = 0
    loaded: int = 0
    located: int = 0
    unlocated: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None   # why nothing was done (already ingested), else None
    seconds: dict[str, float] = field(default_factory=dict)   # wall time per stage

    def as_dict(self) -> dict:
        return asdict(self)

    @contextmanager
    def stage(self, name: str):
        """Time a stage (summed when a stage runs once per chunk)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 3)


def ingest_file(con, kind: Kind, path: Path, mapping: Mapping, crs: str | None = None,
                label: str | None = None) -> IngestResult:
    """Ingest one file; ``crs`` (the --crs option) overrides the mapping's."""
    label = label or str(path)
    if not path.exists():
        raise SourceError(f"{path}: file not found")
    digest = file_sha256(path)
    result = IngestResult(kind.name, label)
    # The file's own declared CRS is part of its content, so the hash already covers it.
    fingerprint = mapping.fingerprint(normalise_crs(crs) if crs else (mapping.crs or "auto"))
    previous = _previous_run(con, kind.name, digest, fingerprint)
    if previous:
        result.skipped = f"already ingested (run {previous[0]} at {previous[1]:%Y-%m-%d %H:%M}); nothing to do"
        return result
    started = datetime.now()
    run_id = _next_run_id(con)
    with result.stage("read"):
        source = read_source(con, path, mapping.encoding, mapping.delimiter)
    try:
        crs = _effective_crs(crs, mapping, source.source_crs)
        with result.stage("normalise"):
            normalise(con, source, kind, mapping, store.get_meta(con, "timezone"), crs)
        result.rows_read = source.rows_read
        with result.stage("quarantine"):
            result.rejected_by_reason = quarantine_rows(con, source, kind.name, run_id, label)
    finally:
        discard_text_copy(source.path, source.text_path)
    result.rejected = sum(result.rejected_by_reason.values())
    with result.stage("dedupe"):
        result.duplicates = keep_fresh(con, kind)
    _load(con, kind, crs, run_id, result)
    _record_run(con, result, run_id, digest, fingerprint, started)
    _drop_stage_tables(con)
    return result


def ingest_frames(con, kind: Kind, frames, label: str, fingerprint: str) -> IngestResult:
    """Load frames that already carry canonical field names (the demo's way in), as one run.

    ``frames`` is an iterable of pandas/GeoPandas frames or Arrow tables: chunks keep memory bounded.
    """
    result = IngestResult(kind.name, label)
    started, run_id = datetime.now(), _next_run_id(con)
    # Jurisdictions do not change while points load: index them once, not once per chunk.
    ctx = index_context(con, kind) if kind.geometry == "point" else None
    for frame in frames:
        rows = _canonical_norm(con, kind, frame, result.rows_read)
        result.rows_read += rows
        result.duplicates += keep_fresh(con, kind)
        if ctx is not None:
            located, unlocated = load_points(con, kind, ctx, run_id)
            result.located, result.unlocated = result.located + located, result.unlocated + unlocated
            result.loaded += located + unlocated
        else:
            result.loaded += load_shapes(con, kind, "wgs84", run_id)
            result.located = result.loaded
    if result.loaded:
        after_load(con, kind.name, run_id)
    _record_run(con, result, run_id, fingerprint, fingerprint, started)
    _drop_stage_tables(con)
    return result


_SQL_TYPES = {"time": "TIMESTAMP", "date": "DATE", "number": "DOUBLE"}


def _canonical_norm(con, kind: Kind, frame, first_rec: int) -> int:
    """A canonical frame → the ``norm`` table the later stages read."""
    table = _to_arrow(frame)
    con.register("frame_in", table)
    present = set(table.column_names)
    items = [f"CAST({quote_identifier(f.name) if f.name in present else 'NULL'} AS "
             f"{_SQL_TYPES.get(f.type, 'VARCHAR')}) AS {quote_identifier(f.name)}" for f in kind.fields]
    if kind.geometry != "point":
        items.append("geometry AS _geom")
    # Frames from the demo carry ids; a derived id is only needed where one is missing.
    key = " || '|' || ".join(f"CAST({quote_identifier(k)} AS VARCHAR)" for k in kind.key)
    row_hash = f"CASE WHEN {key} IS NULL THEN md5(to_json(frame_in)::VARCHAR) END"
    con.execute(f"CREATE OR REPLACE TEMP TABLE norm AS SELECT $first + row_number() OVER () - 1 AS _rec, "
                f"{', '.join(items)}, {row_hash} AS _row_hash, CAST(NULL AS VARCHAR) AS _reason, "
                f"CAST(NULL AS VARCHAR) AS _detail FROM frame_in", {"first": first_rec})
    con.unregister("frame_in")
    return len(table)


def _to_arrow(frame) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    if hasattr(frame, "geometry") and "geometry" in frame.columns:
        wkb = shapely.to_wkb(frame.geometry.values)
        frame = pd.DataFrame(frame.drop(columns="geometry")).assign(geometry=wkb)
    return pa.Table.from_pandas(frame, preserve_index=False)


def _load(con, kind: Kind, crs: str, run_id: int, result: IngestResult) -> None:
    with result.stage("index+load"):
        if kind.geometry == "point":
            result.located, result.unlocated = load_points(con, kind, index_context(con, kind, crs), run_id)
            result.loaded = result.located + result.unlocated
        else:
            result.loaded = result.located = load_shapes(con, kind, crs, run_id)
    with result.stage("aggregate"):
        if result.loaded:
            after_load(con, kind.name, run_id)


def after_load(con, kind_name: str, run_id: int) -> None:
    """What a load changes downstream: aggregates, camera coverage, jurisdictions of stored points."""
    if kind_name == "incidents":
        aggregate_run(con, run_id)
        cover_incidents(con, run_id)
    elif kind_name == "cameras":
        index_cameras(con, run_id)
    elif kind_name == "patrols":
        rebuild_presence(con)
    elif kind_name == "boundaries":
        reassign_jurisdictions(con)


def index_context(con, kind: Kind, crs: str = "wgs84") -> IndexContext:
    """The plausible area and jurisdiction indexes as the store holds them now."""
    levels = ZONE_COLUMNS.get(kind.table, ("station",))
    zones = {}
    for level in levels:
        rows = con.execute("SELECT id, geometry FROM jurisdictions WHERE level = $level ORDER BY id",
                           {"level": level}).fetchall()
        if rows:
            geoms = shapely.from_wkb(np.array([r[1] for r in rows], dtype=object))
            zones[f"{level}_id"] = build_zone_index([r[0] for r in rows], geoms)
    return IndexContext(crs=crs, area_bbox=plausible_area(con), zones=zones)


def plausible_area(con) -> tuple[float, float, float, float] | None:
    """The store's area: meta 'area_bbox' if set, else the jurisdictions' extent plus a margin."""
    configured = store.get_meta(con, "area_bbox")
    if configured:
        return tuple(float(v) for v in configured.split(","))
    row = con.execute("SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM jurisdictions "
                      "WHERE level <> 'ring'").fetchone()
    if row[0] is None:
        return None
    m = PLAUSIBLE_MARGIN_DEG
    return row[0] - m, row[1] - m, row[2] + m, row[3] + m


def aggregate_run(con, run_id: int) -> None:
    """Add one run's incidents to incident_cells; merge and sort when appends pile up."""
    before = con.execute("SELECT count(*) FROM incident_cells").fetchone()[0]
    if before == 0:
        rebuild_incident_cells(con)
        return
    for res in MAP_RESOLUTIONS:
        queries.run(con, "aggregate_incidents", res=res, run_id=run_id)
    after = con.execute("SELECT count(*) FROM incident_cells").fetchone()[0]
    unsorted = int(store.get_meta(con, "incident_cells_unsorted") or 0) + (after - before)
    if unsorted > COMPACT_UNSORTED_SHARE * after:
        _compact_incident_cells(con)
        unsorted = 0
    store.set_meta(con, "incident_cells_unsorted", str(unsorted))


def rebuild_incident_cells(con) -> None:
    """incident_cells recomputed from every located incident (first load, or stations changed), sorted."""
    first, *rest = MAP_RESOLUTIONS
    queries.run(con, "rebuild_incident_cells", res=first)
    for res in rest:
        queries.run(con, "aggregate_incidents", res=res, run_id=None)
    store.set_meta(con, "incident_cells_unsorted", "0")


def _compact_incident_cells(con) -> None:
    """Merge appended rows and restore the sort order, one resolution at a time."""
    con.execute("CREATE OR REPLACE TABLE incident_cells_compact AS FROM incident_cells LIMIT 0")
    for res in MAP_RESOLUTIONS:
        queries.run(con, "compact_incident_cells", res=res)
    con.execute("DROP TABLE incident_cells")
    con.execute("ALTER TABLE incident_cells_compact RENAME TO incident_cells")


def reassign_jurisdictions(con) -> None:
    """New boundaries: every stored point gets its jurisdictions again, aggregates follow."""
    for kind in KINDS.values():
        if kind.geometry != "point":
            continue
        ctx = index_context(con, kind)
        for column, zone_index in ctx.zones.items():
            _reassign_column(con, kind.table, column, zone_index)
    rebuild_incident_cells(con)


def _reassign_column(con, table: str, column: str, zone_index) -> None:
    cells = f"h3_r{zone_index.res}"
    reader = con.execute(f"SELECT rowid AS rid, lon, lat, {cells} FROM {table} WHERE located") \
        .fetch_record_batch(INDEX_BATCH_ROWS)
    parts = []
    for batch in reader:
        lon, lat = batch.column("lon").to_numpy(), batch.column("lat").to_numpy()
        ids = zone_index.assign(lon, lat, batch.column(cells).to_numpy())
        parts.append(pa.table({"rid": batch.column("rid"), "zone": pa.array(ids, pa.string())}))
    if not parts:
        return
    con.register("zone_update", pa.concat_tables(parts))
    con.execute(f"UPDATE {table} SET {column} = u.zone FROM zone_update u WHERE {table}.rowid = u.rid")
    con.unregister("zone_update")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _effective_crs(cli_crs: str | None, mapping: Mapping, declared: str | None) -> str:
    if cli_crs:
        return normalise_crs(cli_crs)
    if mapping.crs:
        return mapping.crs
    if declared:
        try:
            candidate = normalise_crs(declared)
        except ValueError:
            return "wgs84"
        return candidate if is_projected(candidate) else "wgs84"
    return "wgs84"


def _previous_run(con, kind: str, digest: str, fingerprint: str):
    return con.execute("SELECT run_id, finished_at FROM ingest_runs WHERE kind = $kind AND file_sha256 = $d "
                       "AND mapping_sha256 = $m", {"kind": kind, "d": digest, "m": fingerprint}).fetchone()


def _next_run_id(con) -> int:
    return con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs").fetchone()[0]


def _record_run(con, result: IngestResult, run_id: int, digest: str, fingerprint: str, started) -> None:
    con.execute("INSERT INTO ingest_runs VALUES ($run_id, $kind, $file, $sha, $fp, $started, $finished, "
                "$rows_read, $loaded, $located, $unlocated, $duplicates, $rejected)", {
                    "run_id": run_id, "kind": result.kind, "file": result.source_file, "sha": digest,
                    "fp": fingerprint, "started": started, "finished": datetime.now(), "rows_read": result.rows_read,
                    "loaded": result.loaded, "located": result.located, "unlocated": result.unlocated,
                    "duplicates": result.duplicates, "rejected": result.rejected})


def _drop_stage_tables(con) -> None:
    for table in ("src", "norm", "fresh"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
