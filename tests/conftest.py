"""Shared fixtures.

Every test that needs an archive takes the ``archive`` fixture. It is SQLite in a temporary
directory by default; with ``ARCHIVER_TEST_PG_URL`` set (``.ci/run`` sets it) the same tests run
against a fresh database on that PostgreSQL server as well (see ``db_backend``).

Tests that need a system part a user may lack (Chromium, PostgreSQL) call ``require(...)``: it
skips with a one-line reason, unless ``ARCHIVER_REQUIRE_ALL=1`` (set by ``.ci/run``), in which
case the missing part is a failure.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.archive import Archive, open_archive

PG_URL = os.environ.get("ARCHIVER_TEST_PG_URL")
REQUIRE_ALL = os.environ.get("ARCHIVER_REQUIRE_ALL") == "1"


def require(condition: bool, reason: str) -> None:
    """Skip (or, under ARCHIVER_REQUIRE_ALL=1, fail) when a system part is missing."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if (PG_URL or REQUIRE_ALL) else ["sqlite"]


@pytest.fixture(params=_backends())
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database URL; dropped afterwards."""
    require(bool(PG_URL), "no PostgreSQL server: set ARCHIVER_TEST_PG_URL (see .ci/run)")
    assert PG_URL is not None
    from sqlalchemy import create_engine, text

    name = f"archiver_test_{uuid.uuid4().hex[:12]}"
    admin_url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        _drop_database(admin, name)
        admin.dispose()


def _drop_database(admin: Any, name: str) -> None:
    """Drop a test database. An autovacuum worker may still be attached, and terminating it needs
    pg_signal_backend (granted by .ci/run); retry briefly, then leave the database for the server
    to clean up rather than fail a test that passed."""
    import time

    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    for attempt in range(6):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            time.sleep(0.2 * (attempt + 1))
    warnings.warn(f"could not drop test database {name}", stacklevel=2)


@pytest.fixture
def archive(tmp_path: Path, db_backend: str, request: pytest.FixtureRequest) -> Iterator[Archive]:
    """A new, initialised archive (SQLite, and PostgreSQL when configured)."""
    db_url = request.getfixturevalue("pg_database") if db_backend == "postgresql" else None
    handle = open_archive(tmp_path / "archive", db_url, create=True)
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def sqlite_archive(tmp_path: Path) -> Iterator[Archive]:
    """An SQLite archive only, for tests about SQLite specifics (WAL, file layout)."""
    handle = open_archive(tmp_path / "archive", None, create=True)
    try:
        yield handle
    finally:
        handle.close()
