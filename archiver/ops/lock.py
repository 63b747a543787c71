"""One run at a time per job: a file lock beside an SQLite archive, an advisory lock on PostgreSQL.

Why these two: both are released by the operating system or the server the moment the holding
process dies (even by SIGKILL or a reboot), so a crashed run never leaves a stale lock behind,
and neither needs a timeout guess. The ``run_lock`` table only describes the holder (host, pid,
start) so that a second run can name it in its exit-75 message.

Lock names: the default name is derived from the set of sources a config collects
(``default_lock_name``), so the same cron job overlapping itself is refused, while different
jobs (e.g. two institutions' collector hosts feeding one PostgreSQL archive) run side by side.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from filelock import FileLock, Timeout
from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from archiver.archive import Archive
from archiver.db import writer
from archiver.errors import BadInputError, LockHeldError
from archiver.tables import T_COVERAGE, T_RUN, T_RUN_LOCK
from archiver.timeutil import to_db, utc_seconds, utcnow


def default_lock_name(source_names: Iterable[str]) -> str:
    """``run-<10 hex>``: the same for every run of the same set of sources."""
    digest = hashlib.sha256("\n".join(sorted(set(source_names))).encode()).hexdigest()
    return f"run-{digest[:10]}"


def _check_name(name: str) -> str:
    if not name or len(name) > 100 or not all(c.isalnum() or c in "-_." for c in name):
        raise BadInputError(f"--lock-name: {name!r} must be 1-100 letters, digits, '-', '_' or '.'")
    return name


def _advisory_key(name: str) -> int:
    """A signed 64-bit key for ``pg_try_advisory_lock``, stable across hosts and versions."""
    return int.from_bytes(hashlib.sha256(f"archiver:{name}".encode()).digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    started_at: datetime
    run_id: int | None

    def describe(self) -> str:
        started = utc_seconds(self.started_at, sep="T")
        run = f", run {self.run_id}" if self.run_id else ""
        return f"host {self.host}, pid {self.pid}, started {started}{run}"


class RunLockHandle:
    """Held while a run works; use as a context manager (``with acquire(...) as lock``)."""

    def __init__(self, archive: Archive, name: str, every_seconds: int | None = None) -> None:
        self.archive = archive
        self.name = _check_name(name)
        self.every_seconds = every_seconds
        self.started_at = utcnow()
        self.previous: Holder | None = None
        self._file_lock: FileLock | None = None
        self._pg_conn: Connection | None = None

    # ---- acquiring ---------------------------------------------------------------------
    def acquire(self) -> RunLockHandle:
        """Take the lock or raise ``LockHeldError`` (exit 75) naming the holder; never waits."""
        if self.archive.location.is_sqlite:
            path = self.archive.location.directory / f"archive.{self.name}.lock"
            lock = FileLock(path, timeout=0, thread_local=False)
            try:
                lock.acquire()
            except Timeout:
                raise self._held_error() from None
            self._file_lock = lock
        else:
            conn = self.archive.engine.connect()
            key = {"k": _advisory_key(self.name)}
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), key).scalar()
            conn.commit()
            if not got:
                conn.close()
                raise self._held_error()
            self._pg_conn = conn
        try:
            self.previous = read_holder(self.archive, self.name)
            self._record_holder()
        except BaseException:
            self.release()
            raise
        return self

    def _held_error(self) -> LockHeldError:
        holder = read_holder(self.archive, self.name)
        who = holder.describe() if holder else "holder unknown"
        return LockHeldError(f"another archiver run holds lock {self.name!r} on this archive ({who}); "
                             "not starting a second one")

    def _record_holder(self) -> None:
        row = {"name": self.name, "host": socket.gethostname(), "pid": os.getpid(),
               "started_at": to_db(self.started_at), "run_id": None, "every_seconds": self.every_seconds}
        with writer(self.archive.engine).begin() as conn:
            dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            stmt = dialect_insert(T_RUN_LOCK).values(row)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["name"], set_={k: stmt.excluded[k] for k in row if k != "name"}))

    # ---- while held --------------------------------------------------------------------
    def set_run(self, run_id: int) -> None:
        """Remember which run this holder is working on, so a successor can close it if we crash."""
        with writer(self.archive.engine).begin() as conn:
            conn.execute(update(T_RUN_LOCK).where(T_RUN_LOCK.c.name == self.name).values(run_id=run_id))

    def close_interrupted(self) -> int | None:
        """If the previous holder died mid-run (its run is still ``running``), mark that run
        ``interrupted`` and its unfinished sources incomplete, so coverage shows the gap.

        Safe because we hold the lock: the previous holder of this name cannot still be alive.
        Runs and coverage rows are bookkeeping, not evidence; captures and snapshots are untouched.
        """
        previous = self.previous
        if previous is None or previous.run_id is None:
            return None
        now = to_db(utcnow())
        with writer(self.archive.engine).begin() as conn:
            changed = conn.execute(
                update(T_RUN).where(T_RUN.c.id == previous.run_id, T_RUN.c.status == "running")
                .values(status="interrupted", ended_at=now,
                        errors='[{"error": "interrupted: the process ended before the run finished"}]')
            ).rowcount
            if not changed:
                return None
            conn.execute(
                update(T_COVERAGE)
                .where(T_COVERAGE.c.run_id == previous.run_id, T_COVERAGE.c.ended_at.is_(None))
                .values(ended_at=now, complete=False, reason="interrupted",
                        detail="interrupted: the process ended before this source finished")
            )
        return previous.run_id

    # ---- releasing ---------------------------------------------------------------------
    def release(self) -> None:
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None
        if self._pg_conn is not None:
            try:
                self._pg_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _advisory_key(self.name)})
                self._pg_conn.commit()
            finally:
                self._pg_conn.close()
                self._pg_conn = None

    def __enter__(self) -> RunLockHandle:
        return self if (self._file_lock or self._pg_conn) else self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def acquire(archive: Archive, name: str, every_seconds: int | None = None) -> RunLockHandle:
    """Take the named run lock on ``archive`` now, or raise ``LockHeldError`` (exit 75)."""
    return RunLockHandle(archive, name, every_seconds).acquire()


def read_holder(archive: Archive, name: str) -> Holder | None:
    """The latest recorded holder of ``name`` (it may have finished or died since)."""
    with archive.engine.connect() as conn:
        row: Any = conn.execute(
            select(T_RUN_LOCK.c.host, T_RUN_LOCK.c.pid, T_RUN_LOCK.c.started_at, T_RUN_LOCK.c.run_id)
            .where(T_RUN_LOCK.c.name == name)
        ).first()
    return Holder(row.host, int(row.pid), row.started_at, row.run_id) if row else None
