"""Media of a page: bytes stored by content hash before the transaction, rows written inside it.

Downloads happen outside the write transaction, so a slow image server never holds the
database's write lock; media already archived under the same platform ref is not fetched again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine

from archiver.chunks import chunked
from archiver.collectors.records import MediaRef, Page
from archiver.media import MediaFetcher, store_bytes
from archiver.store.results import PageResult
from archiver.store.sql import insert_ignoring_conflicts
from archiver.tables import T_MEDIA, T_MEDIA_FAILURE, T_SNAPSHOT_MEDIA

MediaKey = tuple[str, str | None]  # (platform ref, source URL)
Known = dict[str, tuple[str, str | None, int]]  # ref -> (sha256, mime, size)


@dataclass(frozen=True, slots=True)
class MediaOutcome:
    sha256: str | None
    mime: str | None
    size: int | None
    error: str | None


def resolve_media(
    engine: Engine, media_dir: Path, fetcher: MediaFetcher | None, page: Page, known: Known | None = None
) -> dict[MediaKey, MediaOutcome]:
    """Each media item's bytes: given (importers), already archived under the same ref
    (``known``, looked up here unless the caller looked up a whole batch), or downloaded."""
    outcomes: dict[MediaKey, MediaOutcome] = {}
    wanted: list[MediaRef] = []
    for post in page.posts:
        for ref in post.media:
            key = (ref.ref, ref.url)
            if key in outcomes:
                continue
            if ref.data is not None:
                digest = store_bytes(media_dir, ref.data)
                outcomes[key] = MediaOutcome(digest, ref.mime, len(ref.data), None)
            else:
                outcomes[key] = MediaOutcome(None, ref.mime, None, "not downloaded")
                wanted.append(ref)
    if not wanted:
        return outcomes
    if known is None:
        known = known_media(engine, [r.ref for r in wanted])
    for ref in wanted:
        key = (ref.ref, ref.url)
        if ref.ref in known:
            sha, mime, size = known[ref.ref]
            outcomes[key] = MediaOutcome(sha, mime, size, None)
        elif fetcher is not None and ref.url:
            got = fetcher.fetch(ref.url)
            if got.data is not None:
                digest = store_bytes(media_dir, got.data)
                outcomes[key] = MediaOutcome(digest, got.mime or ref.mime, len(got.data), None)
            else:
                outcomes[key] = MediaOutcome(None, ref.mime, None, got.error)
    return outcomes


def known_media(engine: Engine, refs: list[str]) -> Known:
    """Media already archived under the same platform ref, so it is not downloaded again."""
    found: Known = {}
    if not refs:
        return found
    with engine.connect() as conn:
        for chunk in chunked(sorted(set(refs))):
            rows = conn.execute(
                select(T_SNAPSHOT_MEDIA.c.media_ref, T_MEDIA.c.sha256, T_MEDIA.c.mime, T_MEDIA.c.size)
                .join(T_MEDIA, T_MEDIA.c.sha256 == T_SNAPSHOT_MEDIA.c.media_sha256)
                .where(T_SNAPSHOT_MEDIA.c.media_ref.in_(chunk))
            )
            for ref, sha, mime, size in rows:
                found[ref] = (sha, mime, size)
    return found


def store_media_rows(
    conn: Connection, media: dict[MediaKey, MediaOutcome], run_id: int | None, seen_at: datetime,
    result: PageResult,
) -> None:
    """The ``media`` rows of stored bytes and a ``media_failure`` row per item that could not be had."""
    stored = {o.sha256: (o, key) for key, o in media.items() if o.sha256}
    if stored:
        conn.execute(
            insert_ignoring_conflicts(conn, T_MEDIA, ["sha256"]),
            [{"sha256": sha, "mime": o.mime, "size": o.size or 0, "source_url": key[1],
              "first_seen_at": seen_at} for sha, (o, key) in stored.items()],
        )
        result.media_stored += len(stored)
    failures = [(key, o) for key, o in media.items() if o.sha256 is None and o.error]
    if failures:
        conn.execute(
            insert(T_MEDIA_FAILURE),
            [{"run_id": run_id, "media_ref": key[0], "url": key[1], "error": o.error, "at": seen_at}
             for key, o in failures],
        )
        result.media_failed += len(failures)
