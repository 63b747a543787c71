"""Retrying a write transaction that lost a race, recognised by the driver's error code.

Two writers may race: on SQLite the other one holds the lock (``SQLITE_BUSY``/``SQLITE_LOCKED``),
on PostgreSQL one is picked as a deadlock victim (SQLSTATE 40P01), fails to serialize (40001) or
cannot take a lock (55P03); on both, an INSERT of a row another writer just committed violates a
unique key. Retrying the whole transaction then finds the winner's rows. Any other error is real
and is raised at once. The code, not the message, decides: messages change between versions.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

T = TypeVar("T")

MAX_ATTEMPTS = 6

_SQLITE_RETRYABLE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_CONSTRAINT_UNIQUE,
    sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY,
}
_PG_RETRYABLE = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "23505",  # unique_violation: a row another writer committed first
}


def retryable(exc: BaseException) -> bool:
    """True for a lost race (see the module docstring), from the driver error SQLAlchemy wraps."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is None:
            return False
        return code in _SQLITE_RETRYABLE or (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return getattr(orig, "sqlstate", None) in _PG_RETRYABLE


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential, capped at 2 s, jittered so two
    writers that collided do not collide again."""
    return min(2.0, 0.05 * 2**attempt) * (0.5 + random.random())


def with_retries(work: Callable[[], T], attempts: int = MAX_ATTEMPTS) -> T:
    """``work()``, run again (each time in a fresh transaction, which ``work`` opens) while it fails
    with a retryable error, at most ``attempts`` times in all."""
    for attempt in range(attempts):
        try:
            return work()
        except DBAPIError as exc:
            if attempt == attempts - 1 or not retryable(exc):
                raise
            time.sleep(backoff(attempt))
    raise AssertionError("unreachable")
