"""`archiver verify` must catch a changed byte in every hashed column and in media files."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import select, text, update

from archiver.archive import Archive
from archiver.collectors.records import AccountRecord, MediaRef, PostRecord
from archiver.hashing import bluesky_cid
from archiver.media import media_path
from archiver.tables import T_CAPTURE, T_MEDIA, T_SNAPSHOT
from archiver.verify import verify_archive
from tests.factories import page, post

DID = "did:plc:ragtjsm2j2vknwkz3zp4oxrd"


def bluesky_post() -> PostRecord:
    record = {"$type": "app.bsky.feed.post", "text": "Oopsie... Too late 😂", "createdAt": "2025-03-16T07:48:00.000Z",
              "langs": ["en"]}
    cid = bluesky_cid(record)
    uri = f"at://{DID}/app.bsky.feed.post/3lkabcdef2c2a"
    raw = orjson.dumps({"uri": uri, "cid": cid, "author": {"did": DID, "handle": "nayib-sample.bsky.social"},
                        "record": record, "likeCount": 3})
    author = AccountRecord("bluesky", DID, "nayib-sample.bsky.social", None, True)
    return PostRecord("bluesky", uri, "https://bsky.app/profile/x/post/3lkabcdef2c2a", author,
                      datetime(2025, 3, 16, 7, 48, tzinfo=UTC), record["text"], "en", "post", raw, content_id=cid,
                      platform_cid=cid, cid_verified=True)


@pytest.fixture
def filled(archive: Archive) -> Archive:
    store = archive.store(fetch_media=False)
    store.ingest(page(post(media=[MediaRef("3_1", None, "image/png", data=b"\x89PNG headline")]), bluesky_post()))
    assert verify_archive(archive.engine, archive.media_dir).ok
    return archive


def _flip(value: str) -> str:
    return value[:-1] + ("0" if value[-1] != "0" else "1")


def _set(archive: Archive, table, column: str, transform: Callable, where=None) -> None:  # type: ignore[no-untyped-def]
    with archive.engine.begin() as conn:
        row = conn.execute(select(table.c.id, table.c[column]).where(where if where is not None else True)
                           .order_by(table.c.id).limit(1)).one()
        conn.execute(update(table).where(table.c.id == row[0]).values({column: transform(row[1])}))


# column changed -> (table, transform, the hash column the mismatch is reported under)
CASES = {
    "body": (T_CAPTURE, lambda b: zlib.compress(zlib.decompress(b) + b" "), "body_sha256"),
    "body_sha256": (T_CAPTURE, _flip, "body_sha256"),
    "raw": (T_SNAPSHOT, lambda r: r.replace("Too late", "Too lat3"), "raw_sha256"),
    "raw_sha256": (T_SNAPSHOT, _flip, "raw_sha256"),
    "content": (T_SNAPSHOT, lambda c: c.replace("Too late", "Too lat3"), "content_sha256"),
    "content_sha256": (T_SNAPSHOT, _flip, "content_sha256"),
}


@pytest.mark.parametrize("column", list(CASES))
def test_verify_names_a_changed_byte(filled: Archive, column: str) -> None:
    table, transform, reported = CASES[column]
    _set(filled, table, column, transform)
    report = verify_archive(filled.engine, filled.media_dir)
    assert [(m.table, m.column) for m in report.mismatches] == [(table.name, reported)]
    assert report.mismatches[0].row.startswith("1")


def test_verify_recomputes_the_bluesky_cid_from_raw(filled: Archive) -> None:
    # Change the record inside raw *and* re-hash raw, as a forger would: only the CID can tell.
    from archiver.hashing import sha256_hex

    with filled.engine.begin() as conn:
        sid, raw = conn.execute(select(T_SNAPSHOT.c.id, T_SNAPSHOT.c.raw)
                                .where(T_SNAPSHOT.c.platform_cid.is_not(None))).one()
        forged = raw.replace("Too late", "Too soon")
        conn.execute(update(T_SNAPSHOT).where(T_SNAPSHOT.c.id == sid)
                     .values(raw=forged, raw_sha256=sha256_hex(forged.encode())))
    report = verify_archive(filled.engine, filled.media_dir)
    assert [m.column for m in report.mismatches] == ["platform_cid"]
    assert str(sid) in report.mismatches[0].row


def test_verify_catches_a_changed_media_file(filled: Archive) -> None:
    with filled.engine.connect() as conn:
        sha = conn.execute(select(T_MEDIA.c.sha256)).scalar()
    path = media_path(filled.media_dir, sha)
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    report = verify_archive(filled.engine, filled.media_dir)
    assert [(m.table, m.column, m.row) for m in report.mismatches] == [("media", "sha256", sha)]


def test_verify_records_its_result(filled: Archive) -> None:
    with filled.engine.connect() as conn:
        rows = conn.execute(text("select ok, mismatches from verification order by id")).all()
    assert [tuple(r) for r in rows] == [(True, 0)]
