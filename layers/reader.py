"""Read-only access to the store for the web app, following the pipeline's atomic snapshot swaps.

The pipeline replaces the store file with ``os.replace`` after every write. A reader that keeps its
DuckDB connection sees the snapshot it opened; to see the new one it must open the new file. DuckDB
caches open databases by path, so a second ``connect`` to the same path would return the old snapshot:
each snapshot is therefore opened through a hard link of its own (same inode, a name never used twice by a
process). The previous snapshot stays open for requests still using it and is closed at the swap after.
Links left by a process that died without closing its reader are removed at the next swap (each one pins a
whole old store on disk).
"""
from __future__ import annotations

import atexit
import itertools
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

import queries
from queries import ScopedConnection

# Snapshots kept open: the current one and the one before it (for requests still in flight).
_KEEP_SNAPSHOTS = 2


@dataclass
class _Snapshot:
    inode: int
    link: Path
    con: duckdb.DuckDBPyConnection
    old_macros: bool        # written by a version without some of today's macros: cursors get them as TEMP


class StoreReader:
    """Cursors on the store's current snapshot; safe to share between threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path).resolve()
        self._links = self.path.parent / f".{self.path.name}.readers"
        self._lock = threading.Lock()
        self._snapshots: list[_Snapshot] = []
        self._serial = itertools.count()
        atexit.register(self.close)

    def cursor(self, stations: tuple[str, ...] | None) -> ScopedConnection:
        """A cursor on the newest snapshot that reads only ``stations``' data (None: all)."""
        cursor = self._raw_cursor()
        if self._snapshots[-1].old_macros:
            for macro in queries.macros_sql():
                cursor.execute(macro)
        return ScopedConnection(cursor, stations)

    def _raw_cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the newest snapshot (open it if the file was replaced since)."""
        inode = os.stat(self.path).st_ino
        with self._lock:
            # Sound because our open link pins the current inode: no new file can get its number meanwhile.
            if not self._snapshots or self._snapshots[-1].inode != inode:
                self._open()
            return self._snapshots[-1].con.cursor()

    @property
    def generation(self) -> str:
        """An opaque token that changes whenever the pipeline swapped in a new store, never to an earlier value.

        The inode alone repeats: filesystems give a freed inode number to the next new file, so after two swaps
        the store often has its old inode again. With the modification time (each write ends in a checkpoint
        of its private copy, which ``os.replace`` keeps) it does not.
        """
        stat = os.stat(self.path)
        return f"{stat.st_ino}-{stat.st_mtime_ns}"

    def close(self) -> None:
        with self._lock:
            while self._snapshots:
                self._drop(self._snapshots.pop(0))

    def _open(self) -> None:
        self._links.mkdir(exist_ok=True)
        _remove_orphans(self._links)
        # A fresh name each time: a name seen before could hit DuckDB's path cache or a stale link.
        link = self._links / f"{os.getpid()}-{next(self._serial)}.duckdb"
        link.unlink(missing_ok=True)            # left by a dead process that had our pid
        os.link(self.path, link)
        inode = os.stat(link).st_ino            # what the link holds, even if the store was replaced meanwhile
        con = duckdb.connect(str(link), read_only=True)
        con.execute("SET enable_progress_bar = false")
        self._snapshots.append(_Snapshot(inode, link, con, _lacks_macros(con)))
        while len(self._snapshots) > _KEEP_SNAPSHOTS:
            self._drop(self._snapshots.pop(0))

    @staticmethod
    def _drop(snapshot: _Snapshot) -> None:
        snapshot.con.close()
        snapshot.link.unlink(missing_ok=True)


def _lacks_macros(con) -> bool:
    names = {m.split()[5].partition("(")[0] for m in queries.macros_sql()}
    present = {row[0] for row in con.execute("SELECT function_name FROM duckdb_functions() "
                                              "WHERE function_type IN ('macro', 'table_macro')").fetchall()}
    return not names <= present


def _remove_orphans(links: Path) -> None:
    """Delete the snapshot links of processes that no longer run (killed before ``close``)."""
    for link in links.glob("*.duckdb"):
        pid = link.name.partition("-")[0]
        if pid.isdigit() and not _running(int(pid)):
            link.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:     # another user's process
        return True
    return True
