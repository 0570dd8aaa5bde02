"""Named SQL queries: one ``.sql`` file per query, ``$name`` parameters bound by DuckDB.

The first comment line of each file is its doc. Values are never pasted into SQL: DuckDB binds
``$name`` from a dict and itself rejects missing or extra parameters.
"""
from functools import cache
from pathlib import Path

QUERY_DIR = Path(__file__).parent


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


def names() -> list[str]:
    """All query names, for tests that run every query."""
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql"))
