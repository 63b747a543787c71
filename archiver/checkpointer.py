"""Copy SQLite's write-ahead log into the database from a background thread.

By default SQLite checkpoints inside the ``COMMIT`` that pushes the log past 1,000 pages, so
the writer stops to copy pages and fsync. Measured with bench/ingest.py, that was half of every
commit's time. SQLite's documentation suggests the alternative used here: run checkpoints "in a
separate thread". A ``PASSIVE`` checkpoint never waits for readers or the writer and the
``sqlite3`` module releases the GIL while it runs, so on a second core it costs the writer
nothing. The automatic checkpoint stays on as the backstop: if this thread falls behind or
stops, the log is still bounded exactly as before. Checkpoints are crash-safe by design, so
nothing here can lose or corrupt data.

Hand-written because neither SQLAlchemy nor the ``sqlite3`` module offers one; it is a loop
around one PRAGMA.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class WalCheckpointer:
    """One daemon thread per archive: a checkpoint every ``busy_interval`` seconds while the log
    grows, every ``idle_interval`` while it does not. Measured with bench/ingest.py, 50 ms let
    a writer fill the log to the automatic threshold between two checkpoints (so the writer still
    checkpointed); 10 ms while busy keeps ahead of a writer committing 100 posts every ~4 ms."""

    def __init__(self, db_path: Path, busy_interval: float = 0.01, idle_interval: float = 0.1) -> None:
        self.db_path = db_path
        self.busy_interval = busy_interval
        self.idle_interval = idle_interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"archiver-wal-checkpoint:{db_path}",
                                        daemon=True)

    def start(self) -> WalCheckpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        try:
            conn = sqlite3.connect(self.db_path, timeout=0, check_same_thread=False)
        except sqlite3.Error:
            return  # the automatic checkpoint still runs
        wait, last_log = self.idle_interval, -1
        try:
            while not self._stop.wait(wait):
                try:
                    _busy, log, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:
                    continue  # e.g. the file is being replaced by a restore; try again next tick
                wait = self.busy_interval if log != last_log else self.idle_interval
                last_log = log
        finally:
            conn.close()


__all__ = ["WalCheckpointer"]
