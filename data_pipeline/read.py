"""Stage 1, read: a source file → DuckDB temp table ``src`` of text columns, one row per record.

``src`` keeps every source column as VARCHAR (typing is the next stage's job, where a bad value becomes a
quarantined row with its reason instead of a failed file), plus ``_rec``, the record's 0-based position,
and for spatial formats ``_lon``/``_lat`` (point geometry) or ``_geom`` (WKB of any other geometry).
Rows the CSV parser itself cannot read come back as ``malformed`` with their line and text.
An OpenStreetMap extract (``.osm.pbf``, ``.osm``) is read through GDAL's OSM driver (bundled with the
pyogrio wheel) as its road network: one row per highway way, see ``_read_osm``.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from data_pipeline.kinds import OSM_HIGHWAY_NOT_ROADS

# Chinese Windows exports are mostly GBK; GB18030 is its superset and decodes any GBK file.
FALLBACK_ENCODING = "gb18030"
SPATIAL_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb")
OSM_SUFFIXES = (".osm.pbf", ".osm")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")


class SourceError(ValueError):
    """A file that cannot be read at all; the message names the file."""


@dataclass
class Malformed:
    line: int
    raw: str
    detail: str


@dataclass
class Source:
    """What the read stage learned about a file."""

    path: Path
    format: str                      # csv | parquet | spatial | osm
    columns: list[str]               # source column names, in file order
    rows: int                        # records read into src (malformed rows not included)
    malformed: list[Malformed] = field(default_factory=list)
    delimiter: str | None = None
    encoding: str = "utf-8"
    geometry: str | None = None      # point | polygon | line | None
    source_crs: str | None = None    # CRS declared by a spatial file, when it declares one
    text_path: Path | None = None    # the UTF-8 text actually parsed (a transcoded copy if needed)
    # What the next stage selects from: the temp table src, or (CSV) a streamed scan of the file, so
    # ten million rows are parsed once, straight into the normalised table, without a text copy.
    relation: str = "src"
    relation_params: dict = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return self.rows + len(self.malformed)


def source_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet") or name.endswith(".pq"):
        return "parquet"
    if name.endswith(OSM_SUFFIXES):
        return "osm"
    if name.endswith(SPATIAL_SUFFIXES):
        return "spatial"
    return "csv"


def read_source(con: duckdb.DuckDBPyConnection, path: Path, encoding: str | None = None,
                delimiter: str | None = None) -> Source:
    """Read ``path`` into the temp table ``src`` on ``con``."""
    if not path.exists():
        raise SourceError(f"{path}: file not found")
    fmt = source_format(path)
    try:
        if fmt == "parquet":
            return _read_parquet(con, path)
        if fmt == "spatial":
            return _read_spatial(con, path)
        if fmt == "osm":
            return _read_osm(con, path)
        return _read_csv(con, path, encoding, delimiter)
    except (duckdb.Error, OSError, UnicodeError, EOFError) as err:   # EOFError: a truncated .gz
        raise SourceError(f"{path}: cannot be read as {fmt}: {err}") from None


def _read_csv(con, path: Path, encoding: str | None, delimiter: str | None) -> Source:
    text_path, used_encoding = _utf8_text(path, encoding)
    try:
        return _scan_csv(con, path, text_path, used_encoding, delimiter)
    except BaseException:
        discard_text_copy(path, text_path)
        raise


def discard_text_copy(path: Path, text_path: Path | None) -> None:
    """Delete the transcoded temporary copy of a non-UTF-8 file, once nothing needs its text any more."""
    if text_path is not None and text_path != path:
        text_path.unlink(missing_ok=True)


def _scan_csv(con, path: Path, text_path: Path, used_encoding: str, delimiter: str | None) -> Source:
    """Describe the CSV and set up its streamed scan; ``finish_csv_scan`` collects its rejects after."""
    # strict_mode: a row with too many or too few fields is a reject (malformed_row), not silently cut.
    options = {"all_varchar": True, "header": True, "store_rejects": True, "strict_mode": True}
    if delimiter:
        options["delim"] = delimiter
    args = ", ".join(f"{k} := $csv_{k}" for k in options)
    params = {"csv_path": str(text_path), **{f"csv_{k}": v for k, v in options.items()}}
    scan = f"read_csv($csv_path, {args})"
    columns = [c for c, *_ in con.execute(f"DESCRIBE SELECT * FROM {scan}", params).fetchall()]
    # DuckDB appends every scan's rejects to these temp tables: start from empty ones for this file.
    con.execute("DROP TABLE IF EXISTS reject_errors")
    con.execute("DROP TABLE IF EXISTS reject_scans")
    # WITH ORDINALITY numbers records in file order (checked on 10 M rows with a parallel scan).
    relation = f"(SELECT ordinality - 1 AS _rec, * EXCLUDE (ordinality) FROM {scan} WITH ORDINALITY)"
    return Source(path, "csv", columns, 0, delimiter=delimiter, encoding=used_encoding, text_path=text_path,
                  relation=relation, relation_params=params)


def finish_csv_scan(con, source: Source, rows: int) -> None:
    """After the scan ran: the rows it produced and the rows it could not split (malformed)."""
    source.rows = rows
    if source.format != "csv":
        return
    # One row can have several errors (one per surplus field); DuckDB's "line" counts records, not the
    # physical lines of quoted fields spanning lines, so the line comes from the row's byte position.
    rejects = con.execute(
        "SELECT line_byte_position, any_value(csv_line ORDER BY byte_position), "
        "string_agg(DISTINCT error_type, ', '), any_value(error_message ORDER BY byte_position) "
        "FROM reject_errors GROUP BY line_byte_position ORDER BY line_byte_position").fetchall()
    lines = _physical_lines(source.text_path, [r[0] for r in rejects])
    source.malformed = [Malformed(lines[pos], (raw or "").strip("\r\n"), f"{etype}: {msg}")
                        for pos, raw, etype, msg in rejects]
    sniffed = con.execute("SELECT delimiter FROM reject_scans ORDER BY scan_id DESC LIMIT 1").fetchone()
    source.delimiter = source.delimiter or (sniffed and sniffed[0])


def _physical_lines(path: Path, byte_positions: list[int]) -> dict[int, int]:
    """1-based physical line number at each byte offset of the text DuckDB parsed (decompressed)."""
    lines: dict[int, int] = {}
    if not byte_positions:
        return lines
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    offset, newlines = 0, 0
    with opener(path, "rb") as f:
        for pos in sorted(set(byte_positions)):
            while offset < pos:
                chunk = f.read(min(1 << 22, pos - offset))
                if not chunk:
                    break
                newlines += chunk.count(b"\n")
                offset += len(chunk)
            lines[pos] = newlines + 1
    return lines


def _utf8_text(path: Path, encoding: str | None) -> tuple[Path, str]:
    """The path DuckDB should parse: the file itself if UTF-8, else a transcoded temporary copy."""
    wanted = (encoding or "utf-8").lower().replace("_", "-")
    if wanted in ("utf-8", "utf8", "utf-8-sig") and _is_utf8(path):
        return path, "utf-8"
    source_encoding = FALLBACK_ENCODING if wanted in ("utf-8", "utf8") else wanted
    handle, tmp = tempfile.mkstemp(suffix=".csv", prefix="ingest-")
    with _open_decoded(path, source_encoding) as src, os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        for chunk in iter(lambda: src.read(1 << 22), ""):
            out.write(chunk)
    return Path(tmp), source_encoding


def _open_decoded(path: Path, encoding: str) -> io.TextIOWrapper:
    """Text stream of a plain or gzipped file; the caller closes it (it is a context manager)."""
    is_gzip = path.name.lower().endswith(".gz")
    raw = gzip.open(path, "rb") if is_gzip else open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def _is_utf8(path: Path) -> bool:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    decoder = codecs.getincrementaldecoder("utf-8")()
    with opener(path, "rb") as f:
        try:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _read_parquet(con, path: Path) -> Source:
    # GeoParquet geometry as its WKB bytes (DuckDB would otherwise type it GEOMETRY, which needs an extension).
    con.execute("SET enable_geoparquet_conversion = false")
    con.execute("CREATE OR REPLACE TEMP TABLE src_raw AS SELECT * FROM read_parquet($path)", {"path": str(path)})
    described = con.execute("DESCRIBE src_raw").fetchall()
    geometry_col = next((c for c, t, *_ in described if c.lower() == "geometry" and t == "BLOB"), None)
    casts = [f"CAST({quote_identifier(c)} AS VARCHAR) AS {quote_identifier(c)}"
             for c, *_ in described if c != geometry_col]
    if geometry_col:
        casts.append(f"{quote_identifier(geometry_col)} AS _geom")
    con.execute(f"CREATE OR REPLACE TEMP TABLE src AS SELECT rowid AS _rec, {', '.join(casts)} FROM src_raw")
    con.execute("DROP TABLE src_raw")
    columns = [c for c, *_ in described if c != geometry_col]
    rows = con.execute("SELECT count(*) FROM src").fetchone()[0]
    geometry = _geometry_family(_sample_geometries(con)) if geometry_col else None
    if geometry == "point":
        _points_to_coordinates(con)
    return Source(path, "parquet", columns, rows, geometry=geometry)


def _points_to_coordinates(con) -> None:
    """Point geometries → ``_lon``/``_lat`` columns, as the spatial formats give them."""
    import shapely

    table = con.execute("SELECT _rec, _geom FROM src").fetch_arrow_table()
    geoms = shapely.from_wkb(table.column("_geom").to_numpy(zero_copy_only=False))
    con.register("src_points", pa.table({"_rec": table.column("_rec"), "_lon": shapely.get_x(geoms),
                                         "_lat": shapely.get_y(geoms)}))
    con.execute("CREATE OR REPLACE TEMP TABLE src AS "
                "SELECT s.* EXCLUDE (_geom), p._lon, p._lat FROM src s JOIN src_points p USING (_rec) ORDER BY _rec")
    con.unregister("src_points")


def _sample_geometries(con) -> np.ndarray:
    import shapely

    wkb = [r[0] for r in con.execute("SELECT _geom FROM src WHERE _geom IS NOT NULL LIMIT 1000").fetchall()]
    return shapely.from_wkb(np.array(wkb, dtype=object)) if wkb else np.empty(0, dtype=object)


def _read_spatial(con, path: Path, **read_options) -> Source:
    """A GDAL-readable file → ``src``; ``read_options`` (layer, where, driver open options) go to pyogrio."""
    import pyogrio
    import shapely

    try:
        table = pyogrio.read_arrow(path, **read_options)[1]
        meta = pyogrio.read_info(path, layer=read_options.get("layer"))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        raise SourceError(f"{path}: GDAL cannot read it: {err}") from None
    geometry_name = next((n for n in table.column_names if n in ("wkb_geometry", "geometry")), None)
    wkb = table.column(geometry_name).to_numpy(zero_copy_only=False) if geometry_name else None
    props = table.drop_columns([geometry_name]) if geometry_name else table
    columns = list(props.column_names)
    text = pa.table({c: props.column(c).cast(pa.string()) if _castable(props.column(c)) else
                     pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                               for v in props.column(c).to_pylist()], pa.string())
                     for c in columns})
    text = text.add_column(0, "_rec", pa.array(np.arange(len(text), dtype=np.int64)))
    geometry = None
    if wkb is not None:
        geoms = shapely.from_wkb(wkb)
        geometry = _geometry_family(geoms)
        if geometry == "point":
            text = text.append_column("_lon", pa.array(shapely.get_x(geoms)))
            text = text.append_column("_lat", pa.array(shapely.get_y(geoms)))
        else:
            text = text.append_column("_geom", pa.array(list(wkb), pa.binary()))
    con.register("src_arrow", text)
    con.execute("CREATE OR REPLACE TEMP TABLE src AS SELECT * FROM src_arrow")
    con.unregister("src_arrow")
    return Source(path, "spatial", columns, len(text), geometry=geometry, source_crs=meta.get("crs"))


def _read_osm(con, path: Path) -> Source:
    """An OpenStreetMap extract → ``src``: its highway ways, with OSM's tags as columns.

    GDAL's OSM driver puts ways in the ``lines`` layer with the common keys as fields (``osm_id``, ``name``,
    ``highway``) and every other tag in ``other_tags`` (as JSON here); ``maxspeed`` is lifted out of it.
    Only roads are records of an extract for this pipeline, so these are filtered here and are neither read
    rows nor rejects: lines without a highway tag (rivers, railways, power lines, barriers) and highways
    not travelled now (``OSM_HIGHWAY_NOT_ROADS``: under construction, proposed, abandoned). Two kinds of
    highway way never reach the lines layer at all: closed ways OSM marks as areas (pedestrian squares,
    platforms) are polygons in GDAL's ``multipolygons`` layer, and ways cut by the extract's edge down to one
    node have no line to draw.
    """
    source = _read_spatial(con, path, layer="lines", where="highway IS NOT NULL", TAGS_FORMAT="json")
    # Renumbered after the filter, so _rec stays the 0-based position among the rows read.
    con.execute("CREATE OR REPLACE TEMP TABLE src AS "
                "SELECT row_number() OVER (ORDER BY _rec) - 1 AS _rec, * EXCLUDE (_rec), "
                "json_extract_string(other_tags, '$.maxspeed') AS maxspeed "
                "FROM src WHERE NOT list_contains($not_roads, highway) ORDER BY _rec",
                {"not_roads": list(OSM_HIGHWAY_NOT_ROADS)})
    source.format = "osm"
    source.columns = [*source.columns, "maxspeed"]
    source.rows = con.execute("SELECT count(*) FROM src").fetchone()[0]
    if source.rows == 0:
        # GDAL reads a truncated extract without complaint up to the cut, and ways come after the nodes.
        raise SourceError(f"{path}: no highway ways in this OpenStreetMap file (is it cut short?)")
    return source


def _castable(column: pa.ChunkedArray) -> bool:
    t = column.type
    return not (pa.types.is_list(t) or pa.types.is_struct(t) or pa.types.is_map(t))


def _geometry_family(geoms: np.ndarray) -> str | None:
    import shapely

    kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
    if kinds <= {0, 4}:          # Point, MultiPoint
        return "point"
    if kinds <= {3, 6}:          # Polygon, MultiPolygon
        return "polygon"
    if kinds <= {1, 2, 5}:       # LineString, LinearRing, MultiLineString
        return "line"
    return "mixed"


def quote_identifier(name: str) -> str:
    """A SQL identifier, double-quoted (identifiers are never values)."""
    return '"' + name.replace('"', '""') + '"'


def raw_records(source: Source, records: list[int]) -> dict[int, tuple[int, str]]:
    """Line number and raw text of the given 0-based records of a CSV source.

    Walks the text once with Python's csv reader, which knows where quoted fields span lines;
    rows DuckDB rejected as malformed are skipped so the record count lines up with ``_rec``.
    """
    wanted = set(records)
    if not wanted:
        return {}
    malformed_lines = {m.line for m in source.malformed}
    found: dict[int, tuple[int, str]] = {}
    last = max(wanted)
    with _open_decoded(source.text_path or source.path, "utf-8-sig") as f:
        lines: list[str] = []
        reader = csv.reader(_remember(f, lines), delimiter=source.delimiter or ",")
        record, start = -1, 1
        for row in reader:
            end = reader.line_num
            text = "".join(lines).rstrip("\r\n")
            lines.clear()
            if row and start not in malformed_lines:
                if record >= 0 and record in wanted:
                    found[record] = (start, text)
                record += 1
                if record > last:
                    break
            start = end + 1
    return found


def _remember(f, sink: list[str]):
    for line in f:
        sink.append(line)
        yield line
