"""Read-only access to the store for the web app, following the pipeline's atomic snapshot swaps.

The pipeline replaces the store file with ``os.replace`` after every write. A reader that keeps its
DuckDB connection sees the snapshot it opened; to see the new one it must open the new file. DuckDB
caches open databases by path, so a second ``connect`` to the same path would return the old snapshot:
each snapshot is therefore opened through a hard link of its own (same inode, unique name). The previous
snapshot stays open for requests still using it and is closed at the swap after.
"""
from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

# Snapshots kept open: the current one and the one before it (for requests still in flight).
_KEEP_SNAPSHOTS = 2


@dataclass
class _Snapshot:
    inode: int
    link: Path
    con: duckdb.DuckDBPyConnection


class StoreReader:
    """Cursors on the store's current snapshot; safe to share between threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path).resolve()
        self._links = self.path.parent / f".{self.path.name}.readers"
        self._lock = threading.Lock()
        self._snapshots: list[_Snapshot] = []
        atexit.register(self.close)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the newest snapshot (open it if the file was replaced since)."""
        inode = os.stat(self.path).st_ino
        with self._lock:
            if not self._snapshots or self._snapshots[-1].inode != inode:
                self._open(inode)
            return self._snapshots[-1].con.cursor()

    @property
    def generation(self) -> int:
        """The current snapshot's inode: changes whenever the pipeline swapped in a new store."""
        return os.stat(self.path).st_ino

    def close(self) -> None:
        with self._lock:
            while self._snapshots:
                self._drop(self._snapshots.pop(0))

    def _open(self, inode: int) -> None:
        self._links.mkdir(exist_ok=True)
        link = self._links / f"{os.getpid()}-{inode}.duckdb"
        if not link.exists():
            os.link(self.path, link)
        if os.stat(link).st_ino != inode:   # replaced between stat and link: take what the link holds
            inode = os.stat(link).st_ino
        con = duckdb.connect(str(link), read_only=True)
        con.execute("SET enable_progress_bar = false")
        self._snapshots.append(_Snapshot(inode, link, con))
        while len(self._snapshots) > _KEEP_SNAPSHOTS:
            self._drop(self._snapshots.pop(0))

    @staticmethod
    def _drop(snapshot: _Snapshot) -> None:
        snapshot.con.close()
        snapshot.link.unlink(missing_ok=True)
