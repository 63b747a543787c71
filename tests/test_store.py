"""The store's promises: idempotent pages, append-only snapshots, definitive status changes only,
handle history, content-addressed media, and all-or-nothing pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from archiver.archive import Archive
from archiver.collectors.records import MediaRef, StatusClaim
from archiver.media import media_path
from archiver.tables import T_ACCOUNT, T_HANDLE, T_MEDIA, T_POST, T_SIGHTING, T_SNAPSHOT, T_STATUS_EVENT
from tests.factories import T0, account, page, post


def count(archive: Archive, table) -> int:  # type: ignore[no-untyped-def]
    with archive.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def test_same_content_twice_adds_a_sighting_not_a_snapshot(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    first = store.ingest(page(post(metrics={"like_count": 1})))
    second = store.ingest(page(post(metrics={"like_count": 99}), at=T0 + timedelta(hours=2)))
    assert (first.new_posts, first.new_snapshots) == (1, 1)
    assert (second.new_posts, second.new_snapshots, second.sightings) == (0, 0, 1)
    assert count(archive, T_SNAPSHOT) == 1
    with archive.engine.connect() as conn:
        likes = conn.execute(select(T_SIGHTING.c.like_count).order_by(T_SIGHTING.c.id)).scalars().all()
    assert likes == [1, 99]  # engagement is kept per sighting, not as content


def test_changed_text_appends_a_version_and_keeps_the_old_one(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(post(text="movments")))
    result = store.ingest(page(post(text="movements"), at=T0 + timedelta(hours=2)))
    assert (result.new_snapshots, result.edits) == (1, 1)
    with archive.engine.connect() as conn:
        rows = conn.execute(select(T_SNAPSHOT.c.version, T_SNAPSHOT.c.text).order_by(T_SNAPSHOT.c.version)).all()
        current = conn.execute(select(T_POST.c.current_snapshot_id, T_POST.c.version_count)).one()
    assert [tuple(r) for r in rows] == [(1, "movments"), (2, "movements")]
    assert current.version_count == 2


def test_reverting_an_edit_is_a_new_version(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    for hours, words in ((1, "a"), (2, "b"), (3, "a")):
        store.ingest(page(post(text=words), at=T0 + timedelta(hours=hours)))
    assert count(archive, T_SNAPSHOT) == 3


def test_an_older_observation_never_becomes_current_and_reimport_is_a_no_op(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(post(text="edited"), at=T0 + timedelta(days=2)))
    old = T0 + timedelta(days=1)
    first = store.ingest(page(post(text="original", captured_at=old), at=T0 + timedelta(days=3)))
    again = store.ingest(page(post(text="original", captured_at=old), at=T0 + timedelta(days=4)))
    assert first.new_snapshots == 1 and again.new_snapshots == 0
    with archive.engine.connect() as conn:
        current = conn.execute(
            select(T_SNAPSHOT.c.text).join(T_POST, T_POST.c.current_snapshot_id == T_SNAPSHOT.c.id)).scalar()
    assert current == "edited"


def test_status_changes_only_on_a_claim_and_is_logged(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(post()))
    claim = StatusClaim("x", "1900000000000000001", "deleted", "X: Not Found Error")
    result = store.ingest(page(at=T0 + timedelta(hours=3), statuses=[claim]))
    assert result.status_changes == {"deleted": 1}
    repeat = store.ingest(page(at=T0 + timedelta(hours=4), statuses=[claim]))
    assert repeat.status_changes == {}
    with archive.engine.connect() as conn:
        assert conn.execute(select(T_POST.c.status)).scalar() == "deleted"
        events = conn.execute(select(T_STATUS_EVENT.c.previous_status, T_STATUS_EVENT.c.status)).all()
    assert [tuple(e) for e in events] == [("live", "deleted")]


def test_a_stale_claim_cannot_override_a_newer_sighting(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(post(), at=T0 + timedelta(hours=5)))
    claim = StatusClaim("x", "1900000000000000001", "deleted", "from an old file")
    assert store.ingest(page(at=T0 + timedelta(hours=1), statuses=[claim])).status_changes == {}


def test_a_post_seen_again_after_deletion_is_live_again_with_an_event(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(post()))
    store.ingest(page(at=T0 + timedelta(hours=2),
                      statuses=[StatusClaim("x", "1900000000000000001", "unavailable", "Authorization Error")]))
    result = store.ingest(page(post(), at=T0 + timedelta(hours=3)))
    assert result.status_changes == {"live": 1}


def test_handle_rename_keeps_the_account_and_its_history(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(post(author=account(1, "wire"))))
    result = store.ingest(page(post(author=account(1, "wireagency")), at=T0 + timedelta(days=1)))
    assert result.renames == 1
    with archive.engine.connect() as conn:
        assert conn.execute(select(T_ACCOUNT.c.handle)).scalars().all() == ["wireagency"]
        handles = conn.execute(select(T_HANDLE.c.handle).order_by(T_HANDLE.c.first_seen_at)).scalars().all()
    assert handles == ["wire", "wireagency"]


def test_a_renamed_away_handle_keeps_its_last_sighting(archive: Archive) -> None:
    """Repeated sightings under one handle only move account.last_seen_at; at the rename, that
    time becomes the old handle's last_seen_at."""
    store = archive.store(fetch_media=False)
    day = timedelta(days=1)
    for n, days in enumerate((1, 2, 3)):
        store.ingest(page(post(str(n), author=account(1, "wire")), at=T0 + days * day))
    store.ingest(page(post("9", author=account(1, "wireagency")), at=T0 + 6 * day))
    with archive.engine.connect() as conn:
        rows = conn.execute(select(T_HANDLE.c.handle, T_HANDLE.c.first_seen_at, T_HANDLE.c.last_seen_at)
                            .order_by(T_HANDLE.c.handle)).all()
    assert [tuple(r) for r in rows] == [("wire", T0 + day, T0 + 3 * day), ("wireagency", T0 + 6 * day, T0 + 6 * day)]


def test_handle_history_times_follow_observations_in_any_order(archive: Archive) -> None:
    """Imports bring old observations after new ones: each handle's first_seen_at moves back to
    the earliest sighting, a renamed-away handle's last_seen_at forward to its latest, and the
    current handle stays current."""
    store = archive.store(fetch_media=False)
    day = timedelta(days=1)
    store.ingest(page(post("1", author=account(1, "wire")), at=T0 + 5 * day))
    store.ingest(page(post("2", author=account(1, "wireagency")), at=T0 + 6 * day))  # renamed
    store.ingest(page(post("3", author=account(1, "wire")), at=T0 + 2 * day))  # older: before both
    store.ingest(page(post("4", author=account(1, "wire")), at=T0 + 5 * day + timedelta(hours=12)))
    store.ingest(page(post("5", author=account(1, "wireagency")), at=T0 + 4 * day))  # the new name, seen early
    with archive.engine.connect() as conn:
        rows = conn.execute(select(T_HANDLE.c.handle, T_HANDLE.c.first_seen_at, T_HANDLE.c.last_seen_at)
                            .order_by(T_HANDLE.c.handle)).all()
        current = conn.execute(select(T_ACCOUNT.c.handle, T_ACCOUNT.c.last_seen_at)).one()
    assert [tuple(r) for r in rows] == [
        ("wire", T0 + 2 * day, T0 + 5 * day + timedelta(hours=12)),
        ("wireagency", T0 + 4 * day, T0 + 6 * day),
    ]
    assert tuple(current) == ("wireagency", T0 + 6 * day)


def test_media_is_stored_once_by_content_hash(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    image = b"\x89PNG same bytes"
    store.ingest(page(post("1", media=[MediaRef("3_1", None, "image/png", data=image)]),
                      post("2", media=[MediaRef("3_2", None, "image/png", data=image)])))
    assert count(archive, T_MEDIA) == 1
    with archive.engine.connect() as conn:
        sha = conn.execute(select(T_MEDIA.c.sha256)).scalar()
    assert media_path(archive.media_dir, sha).read_bytes() == image


def test_a_failing_page_leaves_nothing_behind(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(post("1")))
    before = {t.name: count(archive, t) for t in (T_POST, T_SNAPSHOT, T_SIGHTING)}

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("crash in the middle of a page")

    import archiver.store.writer as store_writer

    monkeypatch.setattr(store_writer, "apply_statuses", explode)
    claim = StatusClaim("x", "1", "deleted", "x")
    with pytest.raises(RuntimeError):
        store.ingest(page(post("2"), post("3"), at=T0 + timedelta(hours=2), statuses=[claim]))
    assert {t.name: count(archive, t) for t in (T_POST, T_SNAPSHOT, T_SIGHTING)} == before
    with archive.engine.connect() as conn:
        assert conn.execute(text("select count(*) from capture")).scalar() == 1


def test_sqlite_archive_runs_in_wal_mode(sqlite_archive: Archive) -> None:
    with sqlite_archive.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
