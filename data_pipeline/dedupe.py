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
    """Create ``fresh`` from the good rows of ``norm``; return the number of duplicates dropped."""
    _assign_keys(con, kind)
    join = " AND ".join(f"t.{_quote(k)} = a.{_quote(k)}" for k in kind.key)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE fresh AS
        SELECT a.* EXCLUDE (_dup_rank) FROM accepted a
        WHERE a._dup_rank = 1
          AND NOT EXISTS (SELECT 1 FROM {_quote(kind.table)} t WHERE {join})
    """)
    accepted = con.execute("SELECT count(*) FROM accepted").fetchone()[0]
    fresh = con.execute("SELECT count(*) FROM fresh").fetchone()[0]
    con.execute("DROP TABLE accepted")
    return accepted - fresh


def _assign_keys(con, kind: Kind) -> None:
    partition = ", ".join(_quote(k) for k in kind.key)
    if kind.derive_id:
        derived = (f"substr(_row_hash, 1, {_DERIVED_ID_HEX}) || CASE WHEN _copy > 1 "
                   f"THEN '-' || CAST(_copy AS VARCHAR) ELSE '' END")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE keyed AS
            SELECT * EXCLUDE (id, _copy), coalesce(id, {derived}) AS id FROM (
                SELECT *, row_number() OVER (PARTITION BY _row_hash ORDER BY _rec) AS _copy
                FROM norm WHERE _reason IS NULL)
        """)
        source = "keyed"
    else:
        source = "(SELECT * FROM norm WHERE _reason IS NULL)"
    # Several features with one id are the parts of one polygon jurisdiction (load merges them).
    rank = "1" if kind.geometry == "polygon" else f"row_number() OVER (PARTITION BY {partition} ORDER BY _rec)"
    con.execute(f"CREATE OR REPLACE TEMP TABLE accepted AS SELECT *, {rank} AS _dup_rank FROM {source}")
    if kind.derive_id:
        con.execute("DROP TABLE keyed")
