"""Mapping files (TOML): how a bureau's own export maps onto the canonical fields, without code.

```toml
crs = "EPSG:26910"                # optional, same values as --crs
encoding = "gb18030"              # optional; default: UTF-8, falling back to GB18030
delimiter = ";"                   # optional; default: sniffed
[columns]                         # canonical field = source column, or parts to assemble
occurred_at = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE"]
category = "TYPE"
[defaults]                        # canonical field = constant, for fields the source lacks
level = "station"
[time]
format = "%Y-%m-%d %H:%M"         # or a list of formats tried in turn
[categories]                      # source value → canonical category; unmapped → "other"
"Theft from Vehicle" = "theft"
[values.kind]                     # source value → canonical value, for any enum field
"ALPR" = "vehicle"
```
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from data_pipeline.crs import normalise_crs
from data_pipeline.kinds import Kind

_TOP_LEVEL_KEYS = {"crs", "encoding", "delimiter", "columns", "defaults", "time", "categories", "values"}


class MappingError(ValueError):
    """A mapping that does not fit the file or the kind; the message names file and column."""


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file; an empty Mapping means "the source already uses canonical names"."""

    columns: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)
    time_formats: tuple[str, ...] = ()
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    crs: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    origin: str = "(no mapping)"

    def fingerprint(self, crs: str) -> str:
        """A hash of everything that changes how a file is read."""
        state = {"columns": self.columns, "defaults": self.defaults, "time": self.time_formats,
                 "values": self.values, "crs": crs, "encoding": self.encoding, "delimiter": self.delimiter}
        return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


def load_mapping(path: str | Path | None, kind: Kind) -> Mapping:
    """Read and check a mapping file against ``kind``; ``None`` gives the empty mapping."""
    if path is None:
        return Mapping()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: mapping file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise MappingError(f"{path}: not valid TOML: {err}") from None
    return parse_mapping(data, kind, origin=str(path))


def parse_mapping(data: dict, kind: Kind, origin: str = "(mapping)") -> Mapping:
    """Build a Mapping from parsed TOML, rejecting unknown sections and fields with a clear message."""
    unknown = set(data) - _TOP_LEVEL_KEYS
    if unknown:
        raise MappingError(f"{origin}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOP_LEVEL_KEYS)}")
    columns = {name: _column_spec(origin, name, spec) for name, spec in data.get("columns", {}).items()}
    defaults = dict(data.get("defaults", {}))
    for name in (*columns, *defaults):
        _check_field(origin, kind, name)
    values = {name: {str(k): str(v) for k, v in table.items()} for name, table in data.get("values", {}).items()}
    if "categories" in data:
        values["category"] = {str(k): str(v) for k, v in data["categories"].items()}
    for name, table in values.items():
        _check_value_map(origin, kind, name, table)
    time_format = data.get("time", {}).get("format")
    formats = (time_format,) if isinstance(time_format, str) else tuple(time_format or ())
    crs = data.get("crs")
    return Mapping(columns=columns, defaults=defaults, time_formats=formats, values=values,
                   crs=normalise_crs(crs) if crs else None, encoding=data.get("encoding"),
                   delimiter=data.get("delimiter"), origin=origin)


def _column_spec(origin: str, name: str, spec) -> str | tuple[str, ...]:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, list) and spec and all(isinstance(s, str) for s in spec):
        return tuple(spec)
    raise MappingError(f"{origin}: [columns] {name} must be a column name or a list of column names")


def _check_field(origin: str, kind: Kind, name: str) -> None:
    if name not in kind.field_names:
        raise MappingError(f"{origin}: {name!r} is not a field of {kind.name}; "
                           f"fields: {', '.join(kind.field_names)}")


def _check_value_map(origin: str, kind: Kind, name: str, table: dict[str, str]) -> None:
    _check_field(origin, kind, name)
    choices = kind.field(name).choices
    wrong = sorted({v for v in table.values() if choices and v not in choices})
    if wrong:
        raise MappingError(f"{origin}: values {wrong} for {name} are not canonical; "
                           f"expected one of {', '.join(choices)}")
