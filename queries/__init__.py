"""Named SQL queries: one ``.sql`` file per query, ``$name`` parameters bound by DuckDB.

The first comment line of each file is its doc. Values are never pasted into SQL: DuckDB binds
``$name`` from a dict and itself rejects missing or extra parameters.
"""
import os
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


def run(con, name: str, **params):
    """Execute the named query with bound parameters and return the DuckDB relation/cursor."""
    return con.execute(sql(name), params) if params else con.execute(sql(name))


def snapshot(con) -> tuple | None:
    """What a connection reads: a read-only store file as (path, inode, mtime), or None if it may change.

    The pipeline swaps in a new file for every write (``os.replace``), which changes inode and mtime, so a
    read-only file's content is fixed for as long as both stay the same.
    """
    path, readonly = con.execute("SELECT path, readonly FROM duckdb_databases() "
                                 "WHERE database_name = current_database()").fetchone()
    if not (path and readonly):
        return None
    stat = os.stat(path)
    return path, stat.st_ino, stat.st_mtime_ns


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
