"""Stage 2, normalise: ``src`` (text columns) → temp table ``norm`` (canonical, typed fields).

The SELECT is assembled from the mapping: identifiers (source column names) are quoted, every value
(formats, value maps, defaults, time zone) is a bound parameter. Each row also gets ``_reason`` and
``_detail``: the first problem found, or NULL when the row is good.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from data_pipeline.kinds import COMPASS_POINTS, SYNONYMS, Field, Kind
from data_pipeline.mapping import Mapping, MappingError
from data_pipeline.read import Source, finish_csv_scan
from data_pipeline.read import quote_identifier as _quote

# Tried in order when the mapping names no format. Year first before month-first US forms, because
# Chinese exports write 2024/03/05 and US ones 03/05/2024, and neither matches the other's pattern.
DEFAULT_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y/%m/%d", "%Y%m%d%H%M%S", "%Y%m%d", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H时%M分", "%Y年%m月%d日", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M", "%m/%d/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y",
)
# A trailing UTC offset (Z, +08, +0800, +08:00) after a time of day.
_OFFSET_PATTERN = r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"
_SPACE_BEFORE_OFFSET = r"\s+(Z|[+-]\d{2}(:?\d{2})?)$"
_OFFSET_WITHOUT_SECONDS = r"(^|[^:\d])(\d{1,2}:\d{2})(Z|[+-]\d{2}(:?\d{2})?)$"
COORDINATE_FIELDS = ("lat", "lon", "x", "y")


@dataclass
class _Select:
    """A SELECT list under construction, with its bound parameters."""

    items: list[str] = field(default_factory=list)
    checks: list[tuple[str, str, str]] = field(default_factory=list)   # (condition, reason, detail SQL)
    params: dict[str, object] = field(default_factory=dict)

    def bind(self, value) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


def normalise(con: duckdb.DuckDBPyConnection, source: Source, kind: Kind, mapping: Mapping,
              timezone: str, crs: str) -> None:
    """Create the temp table ``norm`` from ``src``."""
    select = _Select()
    raws = {f.name: _raw_expression(source, kind, mapping, f, crs, select) for f in kind.fields}
    for f in kind.fields:
        typed = _typed(f, raws[f.name], mapping, select, timezone)
        select.items.append(f"{typed} AS {_quote(f.name)}")
        _add_checks(f, raws[f.name], typed, select)
    if kind.geometry != "point":
        if source.geometry in (None, "point"):
            raise MappingError(f"{source.path}: {kind.name} need {kind.geometry} geometries; "
                               f"the file has none (read it as GeoJSON, GeoPackage or GeoParquet)")
        select.items.append("_geom")
        select.checks.append(("_geom IS NULL", select.bind("missing_geometry"), select.bind("no geometry")))
    # Hashing every column of every row is costly: only rows without an id need the hash.
    row_hash = _row_hash(source)
    if "id" in raws:
        row_hash = f"CASE WHEN NULLIF(trim({raws['id']}), '') IS NULL THEN {row_hash} END"
    select.items.append(f"{row_hash} AS _row_hash")
    reason = _case(select, 1)
    detail = _case(select, 2)
    con.execute(f"CREATE OR REPLACE TEMP TABLE norm AS SELECT _rec, {', '.join(select.items)}, "
                f"{reason} AS _reason, {detail} AS _detail FROM {source.relation}",
                select.params | source.relation_params)
    rows = con.execute("SELECT count(*) FROM norm").fetchone()[0]
    finish_csv_scan(con, source, rows)


def _raw_expression(source: Source, kind: Kind, mapping: Mapping, f: Field, crs: str, select: _Select) -> str:
    """SQL text for the field's source value (VARCHAR), or NULL when the source lacks it."""
    if f.name in mapping.columns:
        spec = mapping.columns[f.name]
        if isinstance(spec, str):
            return _quote(_resolve_column(source, mapping, f.name, spec))
        cols = [_quote(_resolve_column(source, mapping, f.name, c)) for c in spec]
        return _assemble_time(cols) if f.type == "time" else f"concat_ws(' ', {', '.join(cols)})"
    if f.name in mapping.defaults:
        return f"CAST({select.bind(str(mapping.defaults[f.name]))} AS VARCHAR)"
    implicit = _implicit_column(source, kind, f.name)
    if implicit:
        return _quote(implicit)
    geometry_column = _geometry_coordinate(source, f.name, crs)
    return f"CAST({geometry_column} AS VARCHAR)" if geometry_column else "CAST(NULL AS VARCHAR)"


def _resolve_column(source: Source, mapping: Mapping, field_name: str, column: str) -> str:
    if column in source.columns:
        return column
    folded = [c for c in source.columns if c.strip().lower() == column.strip().lower()]
    if len(folded) == 1:
        return folded[0]
    raise MappingError(f"{mapping.origin}: column {column!r} (for {field_name}) is not in {source.path.name}; "
                       f"its columns are: {', '.join(source.columns)}")


def _implicit_column(source: Source, kind: Kind, name: str) -> str | None:
    """A source column that already carries the canonical name (or a known alias)."""
    by_lower = {c.strip().lower(): c for c in source.columns}
    for alias in (name, *kind.aliases.get(name, ())):
        if alias.lower() in by_lower:
            return by_lower[alias.lower()]
    return None


def _geometry_coordinate(source: Source, name: str, crs: str) -> str | None:
    if source.geometry != "point":
        return None
    from data_pipeline.crs import is_projected

    projected = is_projected(crs)
    mapping = {"lon": "_lon", "lat": "_lat"} if not projected else {"x": "_lon", "y": "_lat"}
    return mapping.get(name)


def _assemble_time(cols: list[str]) -> str:
    """Year, month, day[, hour, minute, second] columns → 'YYYY-MM-DD HH:MM:SS' text."""
    if len(cols) < 3:
        raise MappingError("a time assembled from parts needs at least year, month and day columns")
    parts = [f"lpad(trim({c}), {w}, '0')" for c, w in zip(cols[:3], (4, 2, 2), strict=True)]
    clock = [f"lpad(coalesce(NULLIF(trim({c}), ''), '0'), 2, '0')" for c in cols[3:6]]
    clock += ["'00'"] * (3 - len(clock))
    date_missing = " OR ".join(f"NULLIF(trim({c}), '') IS NULL" for c in cols[:3])
    text = f"concat({parts[0]}, '-', {parts[1]}, '-', {parts[2]}, ' ', {clock[0]}, ':', {clock[1]}, ':', {clock[2]})"
    return f"CASE WHEN {date_missing} THEN NULL ELSE {text} END"


def _typed(f: Field, raw: str, mapping: Mapping, select: _Select, timezone: str) -> str:
    value = f"NULLIF(trim({raw}), '')"
    if f.type == "time":
        return _time_expression(value, mapping, select, timezone)
    if f.type == "date":
        as_time = _time_expression(value, mapping, select, timezone)
        return f"coalesce(TRY_CAST({value} AS DATE), CAST({as_time} AS DATE))"
    if f.type == "number" and f.name in mapping.values:
        # A value map on a number field: words that stand for a number (camera:type "dome" → fov 360).
        table = mapping.values[f.name]
        keys, vals = select.bind([k.strip().lower() for k in table]), select.bind(list(table.values()))
        mapped = f"TRY_CAST({vals}[list_position({keys}, lower({value}))] AS DOUBLE)"
        return f"coalesce({mapped}, TRY_CAST({value} AS DOUBLE))"
    if f.type == "number" and f.name == "azimuth_deg":
        # The first of a list ("90;160;270", "180, 270"), in [0, 360): OSM also writes -90 for 270.
        compass = select.bind(list(COMPASS_POINTS))
        first = f"trim(regexp_split_to_array({value}, {select.bind('[;,]')})[1])"
        degrees = (f"coalesce(TRY_CAST({first} AS DOUBLE), "
                   f"(list_position({compass}, upper({first})) - 1) * 22.5)")
        return f"((({degrees}) % 360) + 360) % 360"
    if f.type == "number":
        return f"TRY_CAST({value} AS DOUBLE)"
    if f.type == "enum":
        table = {c: c for c in f.choices} | SYNONYMS.get(f.name, {}) | mapping.values.get(f.name, {})
        keys = select.bind([k.strip().lower() for k in table])
        vals = select.bind(list(table.values()))
        fallback = select.bind(f.fallback)
        return f"coalesce({vals}[list_position({keys}, lower({value}))], CAST({fallback} AS VARCHAR))"
    return value


def _time_expression(value: str, mapping: Mapping, select: _Select, timezone: str) -> str:
    formats = select.bind(list(mapping.time_formats or DEFAULT_TIME_FORMATS))
    tz = select.bind(timezone)
    pattern = select.bind(_OFFSET_PATTERN)
    # DuckDB's TIMESTAMPTZ cast wants seconds and no space before the offset: "14:00 +08:00" → "14:00:00+08:00".
    tight = f"regexp_replace({value}, {select.bind(_SPACE_BEFORE_OFFSET)}, '\\1')"
    with_seconds = f"regexp_replace({tight}, {select.bind(_OFFSET_WITHOUT_SECONDS)}, '\\1\\2:00\\3')"
    with_offset = f"CAST(timezone({tz}, TRY_CAST({with_seconds} AS TIMESTAMPTZ)) AS TIMESTAMP)"
    # COALESCE evaluates lazily: the regular expressions run only on values no plain format matched.
    plain = f"try_strptime({value}, {formats})"
    rest = f"CASE WHEN regexp_matches({value}, {pattern}) THEN {with_offset} ELSE TRY_CAST({value} AS TIMESTAMP) END"
    return f"coalesce({plain}, {rest})"


def _add_checks(f: Field, raw: str, typed: str, select: _Select) -> None:
    present = f"NULLIF(trim({raw}), '') IS NOT NULL"
    if f.required:
        select.checks.append((f"NOT ({present})", select.bind("missing_required"),
                              select.bind(f"{f.name} is empty")))
    if f.type in ("time", "date"):
        select.checks.append((f"{present} AND {typed} IS NULL", select.bind("unparseable_time"),
                              f"concat({select.bind(f'{f.name}: cannot parse ')}, {raw})"))
    if f.name in COORDINATE_FIELDS:
        select.checks.append((f"{present} AND {typed} IS NULL", select.bind("invalid_coordinate"),
                              f"concat({select.bind(f'{f.name}: not a number: ')}, {raw})"))


def _case(select: _Select, part: int) -> str:
    if not select.checks:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {check[0]} THEN {check[part]}" for check in select.checks)
    return f"CASE {whens} END"


def _row_hash(source: Source) -> str:
    """A stable hash of the source record's text, for sources without an id column."""
    cols = [f"coalesce(CAST({_quote(c)} AS VARCHAR), '')" for c in source.columns]
    if not cols:
        return "md5(CAST(_rec AS VARCHAR))"
    return f"md5(concat_ws(chr(31), {', '.join(cols)}))"
