"""An opened archive: its location, engine and writer, with the schema checked.

Every command goes through ``open_archive`` so that a missing archive, an outdated schema or a
bad URL gives the same one-line error everywhere.
"""

from __future__ import annotations

import atexit
import sqlite3
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from archiver.checkpointer import WalCheckpointer
from archiver.db import ArchiveLocation, current_revision, head_revision, locate, make_engine, upgrade
from archiver.errors import ArchiverError, BadInputError
from archiver.media import MediaFetcher
from archiver.net_policy import NetPolicy
from archiver.store import Store


@dataclass(eq=False)
class Archive:
    location: ArchiveLocation
    engine: Engine
    _fetchers: list[MediaFetcher] = field(default_factory=list)
    _checkpointer: WalCheckpointer | None = None
    _writing: bool = False

    @property
    def media_dir(self) -> Path:
        return self.location.media_dir

    def store(self, fetch_media: bool = True, allow_loopback: bool = True) -> Store:
        """The archive's writer. Media URLs are fetched only from public addresses, and from
        loopback only with ``allow_loopback`` (the sandbox; imports pass False unless told)."""
        fetcher = MediaFetcher(policy=NetPolicy(allow_loopback=allow_loopback)) if fetch_media else None
        if not self._writing:
            # Every writing command comes through here: close the runs that dead processes left
            # ``running``, so no later status or report takes their silence for coverage.
            from archiver.interrupt import close_stale_runs

            self._writing = True
            close_stale_runs(self.engine)
        if fetcher is not None:
            self._fetchers.append(fetcher)
        database = self.engine.url.database
        if self._checkpointer is None and self.location.is_sqlite and database and database != ":memory:":
            self._checkpointer = WalCheckpointer(Path(database)).start()
        return Store(self.engine, self.media_dir, fetcher)

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close media downloaders and database connections (no sockets left for the GC to warn about)."""
        for fetcher in self._fetchers:
            fetcher.close()
        self._fetchers.clear()
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()
        if self._writing:
            self._writing = False
            fold_wal(self.location)


def fold_wal(location: ArchiveLocation) -> None:
    """Copy the write-ahead log into ``archive.db`` and empty it, so that a plain copy of
    ``archive.db`` alone holds everything committed (docs/operations.md). A reader still open
    elsewhere may keep part of the log; that is reported by nothing and harms nothing: the next
    clean exit folds it."""
    if not location.is_sqlite:
        return
    database = location.directory / "archive.db"
    if not database.exists():
        return
    conn = sqlite3.connect(database, timeout=5)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error:
        pass
    finally:
        conn.close()


_OPEN: weakref.WeakSet[Archive] = weakref.WeakSet()


@atexit.register
def _close_open_archives() -> None:
    """A command that exits without closing its archive still folds the log on a clean exit."""
    for archive in list(_OPEN):
        archive.close()


def open_archive(archive: str | Path | None = None, db: str | None = None, create: bool = False) -> Archive:
    """Open (and with ``create``, create or upgrade) an archive.

    Without ``create`` an archive must exist at the current schema: an older one asks for
    ``archiver init``, so that an upgrade is always a deliberate step an archivist can back up for.
    """
    location = locate(archive, db)
    if location.is_sqlite and not create and not (location.directory / "archive.db").exists():
        raise BadInputError(f"no archive at {location.directory}: run `archiver init` first")
    try:
        engine = make_engine(location)
        if create:
            upgrade(engine)
        else:
            _check_schema(engine, location)
    except ArchiverError:
        raise
    except Exception as exc:
        raise ArchiverError(f"cannot open archive {location.redacted_url()}: {type(exc).__name__}: "
                            f"{str(exc).splitlines()[0]}") from None
    handle = Archive(location=location, engine=engine)
    _OPEN.add(handle)
    return handle


def _check_schema(engine: Engine, location: ArchiveLocation) -> None:
    current = current_revision(engine)
    if current is None:
        has_tables = bool(inspect(engine).get_table_names())
        hint = "it is not an archive" if has_tables else "it is empty"
        raise BadInputError(f"{location.redacted_url()}: {hint}; run `archiver init` to create an archive")
    head = head_revision()
    if current != head:
        raise BadInputError(
            f"archive schema is at revision {current}, this archiver needs {head}: "
            "back it up, then run `archiver init` to upgrade"
        )
