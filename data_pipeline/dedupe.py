"""Stage: give every accepted row its key and keep only rows not stored before → temp table ``fresh``.

A row's key is its id (or ``unit_id`` + ``ts`` for patrol pings). A source without ids gets a stable id
derived from the row's text; the k-th identical copy of a row in one file gets ``-k`` appended, so
genuinely repeated records (two thefts on one block in one minute) are kept, while re-reading the same
file yields the same ids and loads nothing twice.
"""
from __future__ import annotations

from data_pipeline.kinds import Kind
from data_pipeline.read import quote_identifier as _quote

# 80 bits of the row's MD5: a collision among 10^8 rows has probability ~10^-8.
_DERIVED_ID_HEX = 20


def keep_fresh(con, kind: Kind) -> int:
    """Create ``fresh`` from the good rows of ``norm``; return the number of duplicates dropped.

    The window functions and the anti-join are skipped when they cannot drop anything (no missing ids,
    no repeated keys, an empty table): on a 10 M-row first load they are most of the stage's cost.
    """
    source = _with_ids(con, kind)
    accepted = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    conditions = []
    if kind.geometry != "polygon" and _has_repeated_keys(con, kind, source):
        # Several features with one id are the parts of one polygon jurisdiction (load merges them).
        partition = ", ".join(_quote(k) for k in kind.key)
        source = (f"(SELECT * FROM {source} QUALIFY row_number() OVER "
                  f"(PARTITION BY {partition} ORDER BY _rec) = 1)")
    if con.execute(f"SELECT count(*) FROM {_quote(kind.table)}").fetchone()[0]:
        join = " AND ".join(f"t.{_quote(k)} = a.{_quote(k)}" for k in kind.key)
        conditions.append(f"NOT EXISTS (SELECT 1 FROM {_quote(kind.table)} t WHERE {join})")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE fresh AS SELECT a.* FROM {source} a {where}")
    con.execute("DROP TABLE IF EXISTS keyed")
    fresh = con.execute("SELECT count(*) FROM fresh").fetchone()[0]
    return accepted - fresh


def _with_ids(con, kind: Kind) -> str:
    """The good rows of ``norm`` with every id filled in (derived where the source has none)."""
    good = "(SELECT * FROM norm WHERE _reason IS NULL)"
    if not kind.derive_id:
        return good
    missing = con.execute("SELECT count(*) FROM norm WHERE _reason IS NULL AND id IS NULL").fetchone()[0]
    if not missing:
        return good
    derived = (f"substr(_row_hash, 1, {_DERIVED_ID_HEX}) || CASE WHEN _copy > 1 "
               f"THEN '-' || CAST(_copy AS VARCHAR) ELSE '' END")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE keyed AS
        SELECT * EXCLUDE (id, _copy), coalesce(id, {derived}) AS id FROM (
            SELECT *, row_number() OVER (PARTITION BY _row_hash ORDER BY _rec) AS _copy
            FROM norm WHERE _reason IS NULL)
    """)
    return "keyed"


def _has_repeated_keys(con, kind: Kind, source: str) -> bool:
    keys = ", ".join(_quote(k) for k in kind.key)
    distinct = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {source})").fetchone()[0]
    total = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    return distinct < total
