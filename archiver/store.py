"""Writing to the archive: one page of captured data per transaction, idempotently.

This is the only module that turns records into rows. It decides when a new snapshot is due
(the content hash changed), keeps every observation as a sighting, follows handle renames, and
applies status claims. It never updates or deletes a capture or a snapshot.

Works the same on SQLite and PostgreSQL: inserts that may race with another collector use
ON CONFLICT DO NOTHING followed by a re-select, and a page whose transaction loses a race is
retried from the start (``ingest``), where it then finds the winner's rows.
"""

from __future__ import annotations

import os
import random
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from archiver import __version__
from archiver.bulk import Bulk
from archiver.collectors.records import (
    AccountRecord,
    MediaRef,
    Page,
    PostRecord,
    normalized_content,
)
from archiver.db import writer
from archiver.hashing import canonical_content, sha256_hex
from archiver.media import MediaFetcher, store_bytes
from archiver.models import (
    Account,
    AccountHandle,
    Capture,
    FollowEdge,
    Media,
    MediaFailure,
    Post,
    PostStatusEvent,
    Run,
    Sighting,
    Snapshot,
    SnapshotMedia,
    SourceCoverage,
    table_of,
)
from archiver.timeutil import to_db, utcnow

T_ACCOUNT = table_of(Account)
T_HANDLE = table_of(AccountHandle)
T_CAPTURE = table_of(Capture)
T_POST = table_of(Post)
T_SNAPSHOT = table_of(Snapshot)
T_SIGHTING = table_of(Sighting)
T_STATUS_EVENT = table_of(PostStatusEvent)
T_MEDIA = table_of(Media)
T_SNAPSHOT_MEDIA = table_of(SnapshotMedia)
T_MEDIA_FAILURE = table_of(MediaFailure)
T_RUN = table_of(Run)
T_COVERAGE = table_of(SourceCoverage)
T_FOLLOW = table_of(FollowEdge)

MAX_PAGE_ATTEMPTS = 6
_CHUNK = 400  # bound on bound parameters per IN (...) query (SQLite allows 32766, PG 65535)


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def insert_ignoring_conflicts(conn: Connection, table: Table, index_elements: list[str]) -> Any:
    """``INSERT ... ON CONFLICT (cols) DO NOTHING`` for the connection's dialect."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=index_elements)


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class PageResult:
    """What one page changed; summed into the run's counts."""

    new_posts: int = 0
    new_snapshots: int = 0
    edits: int = 0
    sightings: int = 0
    status_changes: dict[str, int] = field(default_factory=dict)
    renames: int = 0
    media_stored: int = 0
    media_failed: int = 0

    def add(self, other: PageResult) -> None:
        self.new_posts += other.new_posts
        self.new_snapshots += other.new_snapshots
        self.edits += other.edits
        self.sightings += other.sightings
        self.renames += other.renames
        self.media_stored += other.media_stored
        self.media_failed += other.media_failed
        for key, value in other.status_changes.items():
            self.status_changes[key] = self.status_changes.get(key, 0) + value

    def as_dict(self) -> dict[str, Any]:
        return {
            "new_posts": self.new_posts,
            "new_snapshots": self.new_snapshots,
            "edits": self.edits,
            "sightings": self.sightings,
            "status_changes": dict(sorted(self.status_changes.items())),
            "renames": self.renames,
            "media_stored": self.media_stored,
            "media_failed": self.media_failed,
        }


@dataclass(slots=True)
class _MediaOutcome:
    sha256: str | None
    mime: str | None
    size: int | None
    error: str | None


class Store:
    """The archive's writer. Collectors and importers hand it pages; it does everything else."""

    def __init__(
        self,
        engine: Engine,
        media_dir: Path,
        fetcher: MediaFetcher | None = None,
        compress_captures: bool = True,
    ) -> None:
        self.engine = engine
        self.media_dir = media_dir
        self.fetcher = fetcher
        self.compress_captures = compress_captures

    # ---- runs and coverage -------------------------------------------------------------
    def start_run(self, kind: str, sources: list[str]) -> int:
        with writer(self.engine).begin() as conn:
            row = conn.execute(
                insert(T_RUN).returning(T_RUN.c.id),
                {
                    "kind": kind,
                    "started_at": to_db(utcnow()),
                    "status": "running",
                    "sources": json_text(sources),
                    "counts": "{}",
                    "errors": "[]",
                    "tool_version": __version__,
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                },
            ).one()
            return int(row[0])

    def finish_run(self, run_id: int, status: str, counts: dict[str, Any], errors: list[Any]) -> None:
        with writer(self.engine).begin() as conn:
            conn.execute(
                update(T_RUN)
                .where(T_RUN.c.id == run_id)
                .values(ended_at=to_db(utcnow()), status=status, counts=json_text(counts),
                        errors=json_text(errors))
            )

    def start_coverage(self, run_id: int, source: str, platform: str, account: str) -> int:
        with writer(self.engine).begin() as conn:
            row = conn.execute(
                insert(T_COVERAGE).returning(T_COVERAGE.c.id),
                {"run_id": run_id, "source": source, "platform": platform, "account": account,
                 "started_at": to_db(utcnow()), "pages": 0, "posts": 0, "complete": False},
            ).one()
            return int(row[0])

    def finish_coverage(self, coverage_id: int, pages: int, posts: int, complete: bool,
                        reason: str | None = None, detail: str | None = None) -> None:
        with writer(self.engine).begin() as conn:
            conn.execute(
                update(T_COVERAGE).where(T_COVERAGE.c.id == coverage_id).values(
                    ended_at=to_db(utcnow()), pages=pages, posts=posts, complete=complete,
                    reason=reason, detail=detail,
                )
            )

    def mark_sample_data(self) -> None:
        """Record that this archive holds sandbox data, so every report and status says so."""
        from archiver.models import ArchiveMeta

        table = table_of(ArchiveMeta)
        with writer(self.engine).begin() as conn:
            conn.execute(insert_ignoring_conflicts(conn, table, ["key"]), {"key": "sample_data", "value": "1"})

    # ---- pages ------------------------------------------------------------------------
    def ingest(self, page: Page, run_id: int | None = None) -> PageResult:
        """Store one page atomically. Media is fetched first, outside the transaction, so a slow
        image server never holds the database's write lock."""
        media = self._resolve_media(page)
        for attempt in range(MAX_PAGE_ATTEMPTS):
            try:
                with writer(self.engine).begin() as conn:
                    return self._write_page(conn, page, run_id, media)
            except (IntegrityError, OperationalError, DBAPIError) as exc:
                if attempt == MAX_PAGE_ATTEMPTS - 1 or not _retryable(exc):
                    raise
                time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    def ingest_batch(
        self,
        pages: list[Page],
        run_id: int | None = None,
        in_transaction: Callable[[Connection], None] | None = None,
        conn: Connection | None = None,
    ) -> PageResult:
        """Store several pages in ONE transaction (imports: far fewer commits, and a batch plus
        the importer's checkpoint, written by ``in_transaction``, commit or roll back together).
        With ``conn`` the pages go into the caller's open write transaction (no retry: the caller
        owns it), so an importer can hold several batches uncommitted."""
        known = self._known_media([ref.ref for page in pages for post in page.posts for ref in post.media
                                   if ref.data is None])
        media = [self._resolve_media(page, known) for page in pages]
        if conn is not None:
            total = PageResult()
            for page, page_media in zip(pages, media, strict=True):
                total.add(self._write_page(conn, page, run_id, page_media))
            if in_transaction is not None:
                in_transaction(conn)
            return total
        for attempt in range(MAX_PAGE_ATTEMPTS):
            try:
                total = PageResult()
                with writer(self.engine).begin() as conn:
                    for page, page_media in zip(pages, media, strict=True):
                        total.add(self._write_page(conn, page, run_id, page_media))
                    if in_transaction is not None:
                        in_transaction(conn)
                return total
            except (IntegrityError, OperationalError, DBAPIError) as exc:
                if attempt == MAX_PAGE_ATTEMPTS - 1 or not _retryable(exc):
                    raise
                time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    def _resolve_media(
        self, page: Page, known: dict[str, tuple[str, str | None, int]] | None = None
    ) -> dict[tuple[str, str | None], _MediaOutcome]:
        """Each media item's bytes: given (importers), already archived under the same ref
        (``known``, looked up here unless the caller looked up a whole batch), or downloaded."""
        outcomes: dict[tuple[str, str | None], _MediaOutcome] = {}
        wanted: list[MediaRef] = []
        for post in page.posts:
            for ref in post.media:
                key = (ref.ref, ref.url)
                if key in outcomes:
                    continue
                if ref.data is not None:
                    digest = store_bytes(self.media_dir, ref.data)
                    outcomes[key] = _MediaOutcome(digest, ref.mime, len(ref.data), None)
                else:
                    outcomes[key] = _MediaOutcome(None, ref.mime, None, "not downloaded")
                    wanted.append(ref)
        if not wanted:
            return outcomes
        if known is None:
            known = self._known_media([r.ref for r in wanted])
        for ref in wanted:
            key = (ref.ref, ref.url)
            if ref.ref in known:
                sha, mime, size = known[ref.ref]
                outcomes[key] = _MediaOutcome(sha, mime, size, None)
            elif self.fetcher is not None and ref.url:
                got = self.fetcher.fetch(ref.url)
                if got.data is not None:
                    digest = store_bytes(self.media_dir, got.data)
                    outcomes[key] = _MediaOutcome(digest, got.mime or ref.mime, len(got.data), None)
                else:
                    outcomes[key] = _MediaOutcome(None, ref.mime, None, got.error)
        return outcomes

    def _known_media(self, refs: list[str]) -> dict[str, tuple[str, str | None, int]]:
        """Media already archived under the same platform ref, so it is not downloaded again."""
        found: dict[str, tuple[str, str | None, int]] = {}
        if not refs:
            return found
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(refs))):
                rows = conn.execute(
                    select(T_SNAPSHOT_MEDIA.c.media_ref, T_MEDIA.c.sha256, T_MEDIA.c.mime, T_MEDIA.c.size)
                    .join(T_MEDIA, T_MEDIA.c.sha256 == T_SNAPSHOT_MEDIA.c.media_sha256)
                    .where(T_SNAPSHOT_MEDIA.c.media_ref.in_(chunk))
                )
                for ref, sha, mime, size in rows:
                    found[ref] = (sha, mime, size)
        return found

    def _write_page(
        self,
        conn: Connection,
        page: Page,
        run_id: int | None,
        media: dict[tuple[str, str | None], _MediaOutcome],
    ) -> PageResult:
        result = PageResult()
        bulk = Bulk(conn)
        capture_id = self._insert_capture(bulk, page, run_id)
        fetched_at = to_db(page.capture.fetched_at)

        posts = _unique_posts(page.posts)
        account_ids = self._upsert_accounts(bulk, page, posts, fetched_at, result)
        self._store_media_rows(conn, media, run_id, fetched_at, result)
        if posts:
            self._write_posts(bulk, posts, account_ids, capture_id, run_id, fetched_at, media, result)
        if page.statuses:
            self._apply_statuses(conn, page, capture_id, run_id, fetched_at, result)
        if page.follows:
            conn.execute(
                insert_ignoring_conflicts(conn, T_FOLLOW, ["platform", "follower_id", "followed_id"]),
                [{"platform": f.platform, "follower_id": f.follower_id, "followed_id": f.followed_id,
                  "first_seen_at": fetched_at} for f in page.follows],
            )
        return result

    def insert_capture(self, conn: Connection, page: Page, run_id: int | None) -> int:
        """One capture row (of ``page.capture``) in the caller's transaction; its id. Importers
        use it for the capture of a whole imported file."""
        return self._insert_capture(Bulk(conn), page, run_id)

    def _insert_capture(self, bulk: Bulk, page: Page, run_id: int | None) -> int:
        capture = page.capture
        body = capture.body
        # level 1: a third of level 6's time on a 48 kB page for ~20% more bytes, about 1% of the
        # archive (the snapshots beside it are stored uncompressed)
        stored = zlib.compress(body, 1) if self.compress_captures else body
        return bulk.insert_returning_id(T_CAPTURE, _CAPTURE_COLUMNS, (
            run_id, capture.kind, capture.url, capture.status, bulk.when(to_db(capture.fetched_at)),
            json_text(capture.headers), stored, "zlib" if self.compress_captures else None, sha256_hex(body),
            len(body), json_text(capture.meta),
        ))

    def _upsert_accounts(
        self, bulk: Bulk, page: Page, posts: list[PostRecord], seen_at: datetime, result: PageResult
    ) -> dict[tuple[str, str], int]:
        records: dict[tuple[str, str], AccountRecord] = {}
        for record in [*(p.author for p in posts), *page.accounts]:
            key: tuple[str, str] = (record.platform, record.platform_id)
            previous = records.get(key)
            if previous is None:
                records[key] = AccountRecord(record.platform, record.platform_id, record.handle,
                                             record.display_name, record.tracked)
            else:
                previous.tracked = previous.tracked or record.tracked
                previous.handle = record.handle or previous.handle
                previous.display_name = record.display_name or previous.display_name
        if not records:
            return {}
        conn = bulk.conn
        existing = self._select_accounts(bulk, list(records))
        missing = [k for k in records if k not in existing]
        if missing:
            conn.execute(
                insert_ignoring_conflicts(conn, T_ACCOUNT, ["platform", "platform_id"]),
                [{"platform": k[0], "platform_id": k[1], "handle": records[k].handle,
                  "display_name": records[k].display_name, "tracked": records[k].tracked,
                  "first_seen_at": seen_at, "last_seen_at": seen_at} for k in missing],
            )
            fresh = self._select_accounts(bulk, missing)
            existing.update(fresh)
        handle_rows = []
        updates = []
        only_seen: list[int] = []
        for key, record in records.items():
            account_id, handle, tracked, last_seen = existing[key]
            newest = last_seen is None or seen_at >= last_seen
            new_handle = record.handle if (record.handle and newest) else handle
            renamed = new_handle != handle and handle is not None and key not in missing
            if renamed:
                result.renames += 1
            new_tracked = tracked or record.tracked
            new_seen = max(seen_at, last_seen) if last_seen else seen_at
            if (new_handle, new_tracked) != (handle, tracked):
                updates.append((new_handle, bulk.flag(new_tracked), bulk.when(new_seen), account_id))
            elif new_seen != last_seen:
                only_seen.append(account_id)  # the common case: one statement for the whole page
            if record.handle and (key in missing or record.handle != handle or not newest):
                handle_rows.append({"account_id": account_id, "handle": record.handle, "seen_at": seen_at,
                                    "previous": handle if renamed else None, "previous_seen": last_seen,
                                    "known_account": key not in missing})
        bulk.update(T_ACCOUNT, ("handle", "tracked", "last_seen_at", "id"), updates)
        bulk.raise_to(T_ACCOUNT, "last_seen_at", seen_at, only_seen)
        if handle_rows:
            self._record_handles(bulk, handle_rows)
        return {k: v[0] for k, v in existing.items()}

    @staticmethod
    def _record_handles(bulk: Bulk, rows: list[dict[str, Any]]) -> None:
        """Handle history, written only when something changes: a new account, a rename, or an
        observation older than what is known (imports). A renamed-away handle's ``last_seen_at``
        becomes the last time the account was seen with it; the current handle's last sighting is
        ``account.last_seen_at``."""
        conn, when = bulk.conn, bulk.when
        conn.execute(insert_ignoring_conflicts(conn, T_HANDLE, ["account_id", "handle"]), [
            {"account_id": row["account_id"], "handle": row["handle"], "first_seen_at": row["seen_at"],
             "last_seen_at": row["seen_at"]} for row in rows
        ])
        # a new account's only handle row was just inserted with exact times
        known = [(when(row["seen_at"]), row["account_id"], row["handle"]) for row in rows if row["known_account"]]
        bulk.update_guarded(T_HANDLE, "first_seen_at", ">", ("account_id", "handle"), known)
        bulk.update_guarded(T_HANDLE, "last_seen_at", "<", ("account_id", "handle"), known)
        bulk.update_guarded(T_HANDLE, "last_seen_at", "<", ("account_id", "handle"), [
            (when(row["previous_seen"]), row["account_id"], row["previous"]) for row in rows
            if row["known_account"] and row["previous"] is not None and row["previous_seen"] is not None])

    @staticmethod
    def _select_accounts(
        bulk: Bulk, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[int, str | None, bool, datetime | None]]:
        """Accounts by (platform, platform id). Locked FOR UPDATE on PostgreSQL (SQLite's writer
        already holds the database lock): the rows are rewritten from what is read here, so a
        concurrent writer must wait, not be overwritten by a stale view (a rename rolled back).
        Sorted, so writers lock in one order."""
        found: dict[tuple[str, str], tuple[int, str | None, bool, datetime | None]] = {}
        for platform, ids in _ids_by_platform(keys):
            rows = bulk.select_in(T_ACCOUNT, ("platform_id", "id", "handle", "tracked", "last_seen_at"),
                                  ("platform", platform), ("platform_id", ids))
            for platform_id, account_id, handle, tracked, last_seen in rows:
                found[(platform, platform_id)] = (account_id, handle, bool(tracked), bulk.read_when(last_seen))
        return found

    def _store_media_rows(
        self,
        conn: Connection,
        media: dict[tuple[str, str | None], _MediaOutcome],
        run_id: int | None,
        seen_at: datetime,
        result: PageResult,
    ) -> None:
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

    def _write_posts(
        self,
        bulk: Bulk,
        posts: list[PostRecord],
        account_ids: dict[tuple[str, str], int],
        capture_id: int,
        run_id: int | None,
        fetched_at: datetime,
        media: dict[tuple[str, str | None], _MediaOutcome],
        result: PageResult,
    ) -> None:
        """Posts, snapshots and sightings of one page, in a handful of executemany statements.

        Primary keys for new posts and snapshots are allocated up front (``Bulk.allocate_ids``), so
        a new post is written once with its final state and no ids need reading back. A post that
        another collector inserted meanwhile makes the INSERT fail on the unique key; ``ingest``
        then retries the page, which finds that post. Rows are built as tuples in the column
        order of ``_POST_COLUMNS`` and friends: at 20k posts/s a dict per row is measurable."""
        conn = bulk.conn
        when = bulk.when
        existing = _select_posts(bulk, [(p.platform, p.platform_id) for p in posts])
        fresh = [p for p in posts if (p.platform, p.platform_id) not in existing]
        fresh_ids: set[int] = set()
        for post, post_id in zip(fresh, bulk.allocate_ids(T_POST, len(fresh)), strict=True):
            existing[(post.platform, post.platform_id)] = _PostState(post_id, "live", None, None, None, 0, None)
            fresh_ids.add(post_id)
        result.new_posts += len(fresh)

        older_hashes = self._older_hashes(bulk, posts, existing, fetched_at)
        pending: list[tuple[PostRecord, _PostState, datetime, bytes, str, list[str | None]]] = []
        sighting_for: list[tuple[_PostState, PostRecord, datetime, int | None]] = []
        touched: dict[int, _PostState] = {}
        for post in posts:
            state = existing[(post.platform, post.platform_id)]
            seen_at = to_db(post.captured_at) if post.captured_at else fetched_at
            hashes = [media[(m.ref, m.url)].sha256 for m in post.media] if post.media else []
            content = canonical_content(normalized_content(post, hashes))
            digest = sha256_hex(content)
            is_newest = state.last_seen_at is None or seen_at >= state.last_seen_at or state.versions == 0
            if is_newest:
                changed = digest != state.content_sha256
            else:
                changed = digest not in older_hashes.get(state.id, {})
            if not changed:
                known_id = state.snapshot_id if is_newest else older_hashes[state.id][digest]
                sighting_for.append((state, post, seen_at, known_id))
                if is_newest and state.last_seen_at != seen_at:
                    state.last_seen_at = seen_at
                    touched[state.id] = state
                continue
            state.versions += 1
            if state.versions > 1:
                result.edits += 1
            pending.append((post, state, seen_at, content, digest, hashes))

        snapshot_rows = []
        media_rows = []
        for snapshot_id, (post, state, seen_at, content, digest, hashes) in zip(
            bulk.allocate_ids(T_SNAPSHOT, len(pending)), pending, strict=True
        ):
            snapshot_rows.append((
                snapshot_id, state.id, state.versions, capture_id, run_id, when(seen_at),
                post.raw.decode("utf-8"), sha256_hex(post.raw), content.decode("utf-8"), digest,
                post.content_id, post.text, post.lang, post.platform_cid, bulk.flag(post.cid_verified),
            ))
            sighting_for.append((state, post, seen_at, snapshot_id))
            if state.last_seen_at is None or seen_at >= state.last_seen_at or state.versions == 1:
                state.snapshot_id = snapshot_id
                state.content_sha256 = digest
                state.last_seen_at = seen_at
            touched[state.id] = state
            for position, (ref, sha) in enumerate(zip(post.media, hashes, strict=True)):
                media_rows.append((snapshot_id, position, ref.ref, ref.url, sha, ref.alt))
        result.new_snapshots += len(snapshot_rows)

        post_rows = []
        for post in fresh:
            state = existing[(post.platform, post.platform_id)]
            first_seen = to_db(post.captured_at) if post.captured_at else fetched_at
            post_rows.append((
                state.id, post.platform, post.platform_id, post.url,
                account_ids[(post.author.platform, post.author.platform_id)], post.kind,
                post.reposted_id, post.quoted_id, post.replied_to_id, post.thread_root_id, post.via_id,
                when(to_db(post.created_at)), "live", when(first_seen), when(state.last_seen_at or first_seen),
                state.snapshot_id, state.content_sha256, state.versions,
            ))
        bulk.insert(T_POST, _POST_COLUMNS, post_rows)
        bulk.insert(T_SNAPSHOT, _SNAPSHOT_COLUMNS, snapshot_rows)
        bulk.insert(T_SNAPSHOT_MEDIA, _SNAPSHOT_MEDIA_COLUMNS, media_rows)

        sightings = []
        revived = []
        for state, post, seen_at, seen_snapshot in sighting_for:
            metrics = post.metrics
            sightings.append((
                state.id, seen_snapshot, run_id, capture_id, when(seen_at), "live",
                metrics.get("like_count"), metrics.get("repost_count"), metrics.get("reply_count"),
                metrics.get("quote_count"), json_text(metrics),
            ))
            if state.status != "live" and (state.status_changed_at is None or seen_at > state.status_changed_at):
                revived.append((state, seen_at))
        bulk.insert(T_SIGHTING, _SIGHTING_COLUMNS, sightings)
        result.sightings += len(sightings)

        bulk.update(T_POST, ("last_seen_at", "current_snapshot_id", "current_content_sha256", "version_count", "id"), [
            (when(s.last_seen_at), s.snapshot_id, s.content_sha256, s.versions, post_id)
            for post_id, s in touched.items() if post_id not in fresh_ids
        ])
        for state, seen_at in revived:
            self._set_status(conn, state.id, state.status, "live", seen_at, run_id, capture_id,
                             "observed again after being marked " + state.status, result)
            state.status = "live"

    @staticmethod
    def _older_hashes(
        bulk: Bulk, posts: list[PostRecord], existing: dict[tuple[str, str], _PostState], fetched_at: datetime
    ) -> dict[int, dict[str, int]]:
        """For observations older than what the archive already holds (imports of old files, backfill):
        the hashes already stored, so re-importing adds no snapshot."""
        old_ids = []
        for post in posts:
            state = existing[(post.platform, post.platform_id)]
            seen_at = to_db(post.captured_at) if post.captured_at else fetched_at
            if state.versions and state.last_seen_at is not None and seen_at < state.last_seen_at:
                old_ids.append(state.id)
        found: dict[int, dict[str, int]] = {}
        for chunk in _chunks(sorted(set(old_ids))):
            rows = bulk.conn.execute(
                select(T_SNAPSHOT.c.post_id, T_SNAPSHOT.c.content_sha256, T_SNAPSHOT.c.id)
                .where(T_SNAPSHOT.c.post_id.in_(chunk))
            )
            for post_id, digest, snapshot_id in rows:
                found.setdefault(post_id, {})[digest] = snapshot_id
        return found

    def _apply_statuses(
        self, conn: Connection, page: Page, capture_id: int, run_id: int | None, seen_at: datetime,
        result: PageResult,
    ) -> None:
        keys = [(c.platform, c.platform_id) for c in page.statuses]
        existing = _select_posts(Bulk(conn), keys)
        for claim in page.statuses:
            state = existing.get((claim.platform, claim.platform_id))
            if state is None or state.status == claim.status:
                continue
            if state.status_changed_at is not None and seen_at < state.status_changed_at:
                continue
            if state.last_seen_at is not None and seen_at < state.last_seen_at:
                continue  # a newer capture saw it live; an old claim cannot override that
            self._set_status(conn, state.id, state.status, claim.status, seen_at, run_id, capture_id,
                             claim.reason, result)
            state.status = claim.status
            conn.execute(insert(T_SIGHTING), {
                "post_id": state.id, "snapshot_id": state.snapshot_id, "run_id": run_id,
                "capture_id": capture_id, "seen_at": seen_at, "status": claim.status, "metrics": "{}",
            })
            result.sightings += 1

    @staticmethod
    def _set_status(
        conn: Connection, post_id: int, previous: str, status: str, at: datetime, run_id: int | None,
        capture_id: int, reason: str, result: PageResult,
    ) -> None:
        conn.execute(update(T_POST).where(T_POST.c.id == post_id).values(status=status, status_changed_at=at))
        conn.execute(insert(T_STATUS_EVENT), {
            "post_id": post_id, "status": status, "previous_status": previous, "observed_at": at,
            "run_id": run_id, "capture_id": capture_id, "reason": reason,
        })
        result.status_changes[status] = result.status_changes.get(status, 0) + 1


_CAPTURE_COLUMNS = (
    "run_id", "kind", "url", "status", "fetched_at", "headers", "body", "compression", "body_sha256", "body_size",
    "meta",
)
_POST_COLUMNS = (
    "id", "platform", "platform_id", "url", "account_id", "kind", "reposted_id", "quoted_id", "replied_to_id",
    "thread_root_id", "via_id", "created_at", "status", "first_seen_at", "last_seen_at", "current_snapshot_id",
    "current_content_sha256", "version_count",
)
_SNAPSHOT_COLUMNS = (
    "id", "post_id", "version", "capture_id", "run_id", "captured_at", "raw", "raw_sha256", "content",
    "content_sha256", "content_id", "text", "lang", "platform_cid", "cid_verified",
)
_SNAPSHOT_MEDIA_COLUMNS = ("snapshot_id", "position", "media_ref", "source_url", "media_sha256", "alt")
_SIGHTING_COLUMNS = (
    "post_id", "snapshot_id", "run_id", "capture_id", "seen_at", "status", "like_count", "repost_count",
    "reply_count", "quote_count", "metrics",
)


@dataclass(slots=True)
class _PostState:
    id: int
    status: str
    status_changed_at: datetime | None
    content_sha256: str | None
    snapshot_id: int | None
    versions: int
    last_seen_at: datetime | None


def _ids_by_platform(keys: Iterable[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """(platform, [platform ids]) per platform, platforms sorted, so writers lock rows in one order."""
    by_platform: dict[str, list[str]] = {}
    for platform, platform_id in keys:
        by_platform.setdefault(platform, []).append(platform_id)
    return sorted(by_platform.items())


def _select_posts(bulk: Bulk, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], _PostState]:
    """Posts by (platform, platform id), locked as in ``_select_accounts``: a stale read must not
    undo a new version."""
    found: dict[tuple[str, str], _PostState] = {}
    read_when = bulk.read_when
    for platform, ids in _ids_by_platform(keys):
        rows = bulk.select_in(
            T_POST, ("platform_id", "id", "status", "status_changed_at", "current_content_sha256",
                     "current_snapshot_id", "version_count", "last_seen_at"),
            ("platform", platform), ("platform_id", ids))
        for pid, post_id, status, changed, sha, snap, versions, last_seen in rows:
            found[(platform, pid)] = _PostState(post_id, status, read_when(changed), sha, snap, versions,
                                                read_when(last_seen) if versions else None)
    return found


def _unique_posts(posts: list[PostRecord]) -> list[PostRecord]:
    """A page may carry the same post twice (X ``data`` and ``includes``); the first one wins."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for post in posts:
        key = (post.platform, post.platform_id)
        if key not in seen:
            seen.add(key)
            unique.append(post)
    return unique


def _retryable(exc: Exception) -> bool:
    """Lost races (unique violations between concurrent collectors), PG serialization failures and
    deadlocks, and SQLite 'database is locked' are retried; anything else is a real error."""
    if isinstance(exc, IntegrityError):
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return any(s in text for s in ("deadlock", "could not serialize", "database is locked", "busy"))


__all__ = ["Store", "PageResult", "json_text", "insert_ignoring_conflicts"]
