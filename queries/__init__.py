"""Named SQL queries: one ``.sql`` file per query, ``$name`` parameters bound by DuckDB.

The first comment line of each file is its doc. Values are never pasted into SQL: DuckDB binds
``$name`` from a dict and itself rejects missing or extra parameters.
"""
import os
import re
import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path

QUERY_DIR = Path(__file__).parent
# Read results kept per process (see ``memo``): a view's callbacks and its geobuf request ask the same
# questions, and panning asks them again; a few hundred small results are a few tens of MB at most.
MEMO_ENTRIES = 256
_memo: OrderedDict = OrderedDict()
_memo_lock = threading.Lock()


@cache
def sql(name: str) -> str:
    """Return the text of ``queries/<name>.sql``."""
    return (QUERY_DIR / f"{name}.sql").read_text(encoding="utf-8")


def doc(name: str) -> str:
    """Return the query's doc: its first comment line."""
    return sql(name).splitlines()[0].removeprefix("--").strip()


class ScopedConnection:
    """A read connection that carries its caller's access scope (issue 4).

    ``stations`` are the station ids whose data the caller may read (None: all). ``run`` binds them to the
    ``$scope`` parameter of every query that takes one, and refuses a ``scope`` passed by the caller, so no
    code path holding a scoped connection can widen it. The web app only ever hands out these.
    """

    __slots__ = ("_con", "stations")

    def __init__(self, con, stations: tuple[str, ...] | None):
        self._con = con
        self.stations = None if stations is None else tuple(stations)

    def __repr__(self) -> str:
        return f"ScopedConnection(stations={self.stations!r})"


class ScopeError(ValueError):
    """A scoped query was run without a scope, or a caller tried to set its own."""


class ScopeDenied(PermissionError):
    """A caller asked for stations outside their scope (by a forged callback, API call or export)."""


# Parameters that name stations: a scoped caller may only name their own.
STATION_PARAMS = ("stations", "station")


def run(con, name: str, **params):
    """Execute the named query with bound parameters and return the DuckDB relation/cursor.

    Queries that take ``$scope`` get it from a ``ScopedConnection``; on a plain DuckDB connection (the
    pipeline and the command line, which serve the operator) the caller must pass ``scope`` explicitly.
    """
    text = sql(name)
    if isinstance(con, ScopedConnection):
        if "scope" in params:
            raise ScopeError(f"{name}: the scope comes from the connection, not the caller")
        _check_named_stations(name, params, con.stations)
        if "$scope" in text:
            params["scope"] = None if con.stations is None else list(con.stations)
        con = con._con
    elif "$scope" in text and "scope" not in params:
        raise ScopeError(f"{name} reads scoped data: pass scope= (None for the whole store)")
    return con.execute(text, params) if params else con.execute(text)


def _check_named_stations(name: str, params: dict, allowed: tuple[str, ...] | None) -> None:
    if allowed is None:
        return
    for key in STATION_PARAMS:
        named = params.get(key)
        named = [named] if isinstance(named, str) else named or []
        outside = sorted(set(named) - set(allowed))
        if outside:
            raise ScopeDenied(f"{name}: {key} {', '.join(outside)} outside the caller's scope")


def scope_of(con) -> tuple[str, ...] | None:
    """The stations a connection may read (None: all)."""
    return con.stations if isinstance(con, ScopedConnection) else None


def macros_sql() -> list[str]:
    """schema.sql's macros as TEMP macros: read-only connections to stores written by an older version
    get the current definitions without a write."""
    return [m.replace("CREATE OR REPLACE MACRO", "CREATE OR REPLACE TEMP MACRO", 1)
            for m in re.findall(r"^CREATE OR REPLACE MACRO .*?;$", sql("schema"), flags=re.S | re.M)]


def snapshot(con) -> tuple | None:
    """What a connection reads: a read-only store file as (path, inode, mtime, scope), or None if it may change.

    The pipeline swaps in a new file for every write (``os.replace``), which changes inode and mtime, so a
    read-only file's content is fixed for as long as both stay the same.
    """
    raw = con._con if isinstance(con, ScopedConnection) else con
    path, readonly = raw.execute("SELECT path, readonly FROM duckdb_databases() "
                                 "WHERE database_name = current_database()").fetchone()
    if not (path and readonly):
        return None
    stat = os.stat(path)
    return path, stat.st_ino, stat.st_mtime_ns, scope_of(con)


def memo(con, key: tuple, compute):
    """``compute()``, remembered per store snapshot under ``key`` (hashable); never cached for writable stores.

    The result is shared between callers: treat it as read-only.
    """
    token = snapshot(con)
    if token is None:
        return compute()
    full_key = (token, key)
    with _memo_lock:
        if full_key in _memo:
            _memo.move_to_end(full_key)
            return _memo[full_key]
    value = compute()
    with _memo_lock:
        _memo[full_key] = value
        while len(_memo) > MEMO_ENTRIES:
            _memo.popitem(last=False)
    return value


def fetch(con, name: str, **params) -> list[tuple]:
    """All rows of the named query, remembered per store snapshot (``memo``)."""
    key = (name, *sorted((k, freeze(v)) for k, v in params.items()))
    return memo(con, key, lambda: run(con, name, **params).fetchall())


def freeze(value):
    """A hashable stand-in for a parameter value (lists become tuples)."""
    return tuple(freeze(v) for v in value) if isinstance(value, (list, tuple)) else value


def names() -> list[str]:
    """All query names, for tests that run every query."""
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql"))
