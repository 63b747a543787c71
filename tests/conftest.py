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


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    """Refuse any socket connection from the test process that does not go to this machine, so a
    test can never reach the real X or Bluesky (the sandbox on 127.0.0.1 is the only platform)."""
    import ipaddress
    import socket

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def allowed(address: Any) -> bool:
        if not isinstance(address, tuple):
            return True  # unix sockets
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not allowed(address):
            raise OSError(f"tests must not use the network: connection to {address!r} refused")
        real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(address):
            raise OSError(f"tests must not use the network: connection to {address!r} refused")
        return real_connect_ex(self, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
