"""The hand-written hot-path statements (archiver/bulk.py) and the WAL checkpointer: they bypass
SQLAlchemy Core, so they must store what Core would, fail the way Core would, and never leave
the write-ahead log unbounded."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from archiver.archive import Archive
from archiver.bulk import Bulk
from archiver.checkpointer import WalCheckpointer
from archiver.collectors.records import iso_utc
from archiver.db import writer
from archiver.tables import T_ACCOUNT
from archiver.timeutil import sqlite_datetime


def test_values_written_by_bulk_read_back_through_core_unchanged(archive: Archive) -> None:
    """Bulk takes Python values, as Core does, and converts them by column type itself."""
    moment = datetime(2025, 3, 16, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=-4)))
    with writer(archive.engine).begin() as conn:
        bulk = Bulk(conn)
        bulk.insert(T_ACCOUNT, ("platform", "platform_id", "handle", "tracked", "first_seen_at", "last_seen_at"),
                    [("x", "1", "a", True, moment, moment),
                     ("x", "2", None, False, moment, moment)])
    with archive.engine.connect() as conn:
        rows = conn.execute(select(T_ACCOUNT.c.platform_id, T_ACCOUNT.c.tracked, T_ACCOUNT.c.last_seen_at)
                            .order_by(T_ACCOUNT.c.platform_id)).all()
    assert [tuple(r) for r in rows] == [("1", True, moment.astimezone(UTC)), ("2", False, moment.astimezone(UTC))]
    if archive.engine.dialect.name == "sqlite":  # the stored text is SQLAlchemy's own, in UTC
        with archive.engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT tracked, last_seen_at FROM account ORDER BY platform_id").all()
        assert [tuple(r) for r in stored] == [(1, "2025-03-16 05:02:03.456789"), (0, "2025-03-16 05:02:03.456789")]


def test_select_in_reads_core_rows_and_times_back_as_aware_utc(archive: Archive) -> None:
    moment = datetime(2025, 3, 16, 5, 0, tzinfo=UTC)
    with writer(archive.engine).begin() as conn:
        conn.execute(insert(T_ACCOUNT), [
            {"platform": p, "platform_id": str(n), "handle": f"h{n}", "tracked": False,
             "first_seen_at": moment, "last_seen_at": moment + timedelta(minutes=n)}
            for p in ("x", "bluesky") for n in range(5)])
        bulk = Bulk(conn)
        rows = bulk.select_in(T_ACCOUNT, ("platform_id", "handle", "last_seen_at"), ("platform", "x"),
                              ("platform_id", ["3", "1", "9", "1"]), chunk=1)
    assert [(r[0], r[1], bulk.read_when(r[2])) for r in rows] == [
        ("1", "h1", moment + timedelta(minutes=1)), ("3", "h3", moment + timedelta(minutes=3))]


def test_a_duplicate_through_bulk_raises_sqlalchemys_integrity_error(archive: Archive) -> None:
    """Store.ingest retries a page on IntegrityError (a race lost to another collector); a raw
    driver exception would escape that retry."""
    moment = datetime(2025, 3, 16, tzinfo=UTC)
    row = ("x", "1", False, moment, moment)
    columns = ("platform", "platform_id", "tracked", "first_seen_at", "last_seen_at")
    with pytest.raises(IntegrityError), writer(archive.engine).begin() as conn:
        Bulk(conn).insert(T_ACCOUNT, columns, [row] * 2)
    with archive.engine.connect() as conn:  # and the transaction rolled back whole
        assert conn.execute(select(T_ACCOUNT.c.id)).all() == []


def test_raise_to_only_moves_times_forward(archive: Archive) -> None:
    early, late = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 9, tzinfo=UTC)
    with writer(archive.engine).begin() as conn:
        conn.execute(insert(T_ACCOUNT), [
            {"platform": "x", "platform_id": str(n), "tracked": False, "first_seen_at": early,
             "last_seen_at": early if n == 1 else late} for n in (1, 2)])
        ids = conn.execute(select(T_ACCOUNT.c.id).order_by(T_ACCOUNT.c.platform_id)).scalars().all()
        Bulk(conn).raise_to(T_ACCOUNT, "last_seen_at", datetime(2025, 3, 5, tzinfo=UTC), ids)
        seen = conn.execute(select(T_ACCOUNT.c.last_seen_at).order_by(T_ACCOUNT.c.platform_id)).scalars().all()
    assert seen == [datetime(2025, 3, 5, tzinfo=UTC), late]


def test_the_checkpointer_copies_the_log_when_the_writer_never_does(tmp_path: Path) -> None:
    """Pages reach the database file only through a checkpoint, so its size shows the work
    without the test checkpointing anything itself."""
    path = tmp_path / "archive.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # this writer never checkpoints by itself
    conn.execute("CREATE TABLE t (x BLOB)")
    for _ in range(50):
        conn.execute("INSERT INTO t VALUES (randomblob(8000))")
    before = path.stat().st_size
    checkpointer = WalCheckpointer(path, busy_interval=0.01, idle_interval=0.01).start()
    try:
        deadline = time.monotonic() + 5
        while path.stat().st_size < 50 * 8000 and time.monotonic() < deadline:
            time.sleep(0.02)
        after = path.stat().st_size  # measured before close: closing the last connection checkpoints
    finally:
        checkpointer.stop()
        conn.close()
    assert before < 50 * 8000 <= after


def test_archive_store_runs_one_checkpointer_and_close_stops_it(sqlite_archive: Archive) -> None:
    sqlite_archive.store(fetch_media=False)
    sqlite_archive.store(fetch_media=False)
    name = f"archiver-wal-checkpoint:{sqlite_archive.engine.url.database}"
    running = [t for t in threading.enumerate() if t.name == name]
    assert len(running) == 1
    sqlite_archive.close()
    assert not running[0].is_alive()


_MOMENTS = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9998, 12, 31),
                        timezones=st.one_of(st.none(), st.just(UTC), st.timezones()))


@given(_MOMENTS)
def test_fast_time_formats_equal_the_strftime_ones(moment: datetime) -> None:
    """iso_utc (hashed content) and sqlite_datetime (what SQLAlchemy's SQLite DateTime stores) are
    hand-tuned for speed; they must give exactly the text the obvious strftime code gives."""
    utc = (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)
    assert iso_utc(moment) == utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    assert sqlite_datetime(aware) == utc.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_a_naive_datetime_is_refused_by_bulk_as_by_the_formatter(archive: Archive) -> None:
    """One contract for values: a naive datetime names no zone, so neither the formatter nor Bulk
    guesses one (the store and the analysis both hand Bulk aware values), and nothing is written."""
    naive = datetime(2025, 3, 16, 5, 0)
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_datetime(naive)
    with pytest.raises(ValueError, match="naive datetime"), writer(archive.engine).begin() as conn:
        Bulk(conn).insert(T_ACCOUNT, ("platform", "platform_id", "tracked", "first_seen_at", "last_seen_at"),
                          [("x", "1", False, naive, naive)])
    with archive.engine.connect() as conn:
        assert conn.execute(select(T_ACCOUNT.c.id)).all() == []
