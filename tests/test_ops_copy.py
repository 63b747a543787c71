"""``archiver copy``: SQLite <-> PostgreSQL with ids preserved and every hash re-checked in the target."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from archiver.archive import Archive, open_archive
from archiver.collectors.records import MediaRef, StatusClaim
from archiver.errors import BadInputError, HashMismatchError
from archiver.ops.copy import copy_archive, copy_tables, table_digest
from archiver.tables import T_POST, T_SNAPSHOT
from tests.factories import T0, account, page, post


def _fill(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    image = MediaRef("3_1", "http://127.0.0.1:1/img.png", "image/png", "alt", data=b"\x89PNG fake image bytes")
    store.ingest(page(post("1", "first"), post("2", "second", media=[image])))
    store.ingest(page(post("1", "first, edited"), post("3", "by someone else", author=account(2)),
                      at=T0 + timedelta(hours=2)))
    store.ingest(page(statuses=[StatusClaim("x", "2", "deleted", "Not Found Error")], at=T0 + timedelta(hours=3)))


def _digests(archive: Archive) -> dict[str, tuple[int, str]]:
    return {t.name: table_digest(archive.engine, t) for t in copy_tables(archive.engine) if t.name != "verification"}


def _round_trip(source: Archive, target_url: str | None, tmp_path: Path) -> Archive:
    to = target_url or str(tmp_path / "copy")
    report = copy_archive(source, to, to_archive=tmp_path / "copy")
    assert report.rows["snapshot"] == 4 and report.verified["snapshots"] == 4 and report.verified["media"] == 1
    return open_archive(tmp_path / "copy", target_url)


def test_sqlite_to_sqlite_copy_is_identical_and_verified(sqlite_archive: Archive, tmp_path: Path) -> None:
    _fill(sqlite_archive)
    target = _round_trip(sqlite_archive, None, tmp_path)
    try:
        assert _digests(target) == _digests(sqlite_archive)
        assert (tmp_path / "copy" / "media").exists()
        # ids continue after the copied ones
        target.store(fetch_media=False).ingest(page(post("9", "new"), at=T0 + timedelta(hours=5)))
        with target.engine.connect() as conn:
            assert conn.execute(select(T_POST.c.id).where(T_POST.c.platform_id == "9")).scalar_one() == 4
    finally:
        target.close()


def test_both_directions_through_postgresql(sqlite_archive: Archive, pg_database: str, tmp_path: Path) -> None:
    _fill(sqlite_archive)
    in_pg = _round_trip(sqlite_archive, pg_database, tmp_path)
    try:
        assert _digests(in_pg) == _digests(sqlite_archive)
        in_pg.store(fetch_media=False).ingest(page(post("9", "new"), at=T0 + timedelta(hours=5)))  # sequences moved
        back = copy_archive(in_pg, str(tmp_path / "back"))
        assert back.verified["captures"] == 4
        again = open_archive(tmp_path / "back")
        try:
            assert _digests(again) == _digests(in_pg)
            with again.engine.connect() as conn:
                versions = conn.execute(select(T_SNAPSHOT.c.text).order_by(T_SNAPSHOT.c.id)).scalars().all()
            assert versions == ["first", "second", "first, edited", "by someone else", "new"]
        finally:
            again.close()
    finally:
        in_pg.close()


def test_refuses_a_target_that_holds_data(archive: Archive, tmp_path: Path) -> None:
    _fill(archive)
    other = open_archive(tmp_path / "other", None, create=True)
    other.store(fetch_media=False).ingest(page(post("5", "already here")))
    other.close()
    with pytest.raises(BadInputError, match="already holds data"):
        copy_archive(archive, str(tmp_path / "other"))


def test_a_target_that_does_not_match_fails_the_copy(
    sqlite_archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the copy loses or alters a row, the proof step must notice (here: one sighting lost)."""
    import archiver.ops.copy as copy_module

    _fill(sqlite_archive)
    original = copy_module._reset_sequences

    def lose_a_row(conn, tables):  # type: ignore[no-untyped-def]
        conn.execute(text("DELETE FROM sighting WHERE id = (SELECT MAX(id) FROM sighting)"))
        original(conn, tables)

    monkeypatch.setattr(copy_module, "_reset_sequences", lose_a_row)
    with pytest.raises(HashMismatchError, match="table sighting differs"):
        copy_archive(sqlite_archive, str(tmp_path / "copy"))
