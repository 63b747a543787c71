"""The store's one retry rule: a write transaction is run again when the driver reports a lost race
by its error class or code (never by the wording of the message), and only then."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from archiver.store.retry import retryable, with_retries


def _real_sqlite_error(tmp_path: Path, sql: str, hold_lock: bool = False) -> sqlite3.Error:
    path = tmp_path / "race.db"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE IF NOT EXISTS t (k TEXT UNIQUE)")
    setup.execute("DELETE FROM t")
    setup.execute("INSERT INTO t VALUES ('a')")
    setup.commit()
    holder = sqlite3.connect(path, isolation_level=None)
    if hold_lock:
        holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute(sql)
    except sqlite3.Error as exc:
        return exc
    finally:
        holder.close()
        other.close()
        setup.close()
    raise AssertionError(f"{sql!r} did not fail")


def _wrapped(orig: Exception) -> DBAPIError:
    return DBAPIError.instance("SQL", None, orig, type(orig) if isinstance(orig, sqlite3.Error) else Exception)


def test_sqlite_busy_and_unique_violations_are_retryable_by_code(tmp_path: Path) -> None:
    busy = _real_sqlite_error(tmp_path, "INSERT INTO t VALUES ('b')", hold_lock=True)
    unique = _real_sqlite_error(tmp_path, "INSERT INTO t VALUES ('a')")
    assert busy.sqlite_errorcode == sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
    assert retryable(_wrapped(busy)) and retryable(_wrapped(unique))


def test_other_errors_are_not_retried_even_when_the_message_says_busy(tmp_path: Path) -> None:
    syntax = _real_sqlite_error(tmp_path, "INSERT INTO nowhere VALUES (1)")
    assert not retryable(_wrapped(syntax))
    worded = sqlite3.OperationalError("database is locked (busy)")  # no driver code: not a real race
    assert not retryable(_wrapped(worded))


@pytest.mark.parametrize(("error", "expected"), [
    (psycopg.errors.SerializationFailure, True),
    (psycopg.errors.DeadlockDetected, True),
    (psycopg.errors.LockNotAvailable, True),
    (psycopg.errors.UniqueViolation, True),
    (psycopg.errors.ForeignKeyViolation, False),
    (psycopg.errors.UndefinedTable, False),
])
def test_postgresql_errors_are_judged_by_sqlstate(error: type[psycopg.Error], expected: bool) -> None:
    assert retryable(_wrapped(error("deadlock busy could not serialize"))) is expected


def test_with_retries_runs_again_after_a_lost_race_and_not_after_a_real_error(tmp_path: Path) -> None:
    busy = _wrapped(_real_sqlite_error(tmp_path, "INSERT INTO t VALUES ('b')", hold_lock=True))
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise busy
        return "written"

    assert with_retries(flaky) == "written" and len(calls) == 3

    real = _wrapped(_real_sqlite_error(tmp_path, "INSERT INTO nowhere VALUES (1)"))
    calls.clear()

    def broken() -> None:
        calls.append(1)
        raise real

    with pytest.raises(OperationalError):
        with_retries(broken)
    assert len(calls) == 1

    calls.clear()

    def always_busy() -> None:
        calls.append(1)
        raise busy

    with pytest.raises(OperationalError):
        with_retries(always_busy, attempts=2)
    assert len(calls) == 2
