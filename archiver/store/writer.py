"""The archive's writer: one page of captured data per transaction, idempotently.

This is the only code that turns records into rows. It decides when a new snapshot is due (the
content hash changed), keeps every observation as a sighting, follows handle renames, and
applies status claims. It never updates or deletes a capture or a snapshot.

Works the same on SQLite and PostgreSQL: inserts that may race with another collector use
ON CONFLICT DO NOTHING followed by a re-select, and a page whose transaction loses a race is
retried from the start (``archiver.store.retry``), where it then finds the winner's rows.
"""

from __future__ import annotations

import os
import socket
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection, Engine

from archiver import __version__
from archiver.bulk import Bulk
from archiver.collectors.records import Page
from archiver.db import writer
from archiver.hashing import sha256_hex
from archiver.media import MediaFetcher
from archiver.store.accounts import upsert_accounts
from archiver.store.media import MediaKey, MediaOutcome, known_media, resolve_media, store_media_rows
from archiver.store.post_state import unique_posts
from archiver.store.posts import PageContext, write_posts
from archiver.store.results import PageResult
from archiver.store.retry import with_retries
from archiver.store.sql import insert_ignoring_conflicts, json_text
from archiver.store.statuses import apply_statuses
from archiver.tables import T_CAPTURE, T_COVERAGE, T_FOLLOW, T_META, T_RUN
from archiver.timeutil import to_db, utcnow

_CAPTURE_COLUMNS = (
    "run_id", "kind", "url", "status", "fetched_at", "headers", "body", "compression", "body_sha256", "body_size",
    "meta",
)


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
                    "started_at": utcnow(),
                    "status": "running",
                    "sources": json_text(sources),
                    "counts": "{}",
                    "errors": "[]",
                    "tool_version": __version__,
                    "host": socket.gethostname(),
                    "pid": os.getpid(),  # a later command tells a run whose process died (archiver.interrupt)
                },
            ).one()
            return int(row[0])

    def finish_run(self, run_id: int, status: str, counts: dict[str, Any], errors: list[Any]) -> None:
        with writer(self.engine).begin() as conn:
            conn.execute(
                update(T_RUN)
                .where(T_RUN.c.id == run_id)
                .values(ended_at=utcnow(), status=status, counts=json_text(counts), errors=json_text(errors))
            )

    def start_coverage(self, run_id: int, source: str, platform: str, account: str) -> int:
        with writer(self.engine).begin() as conn:
            row = conn.execute(
                insert(T_COVERAGE).returning(T_COVERAGE.c.id),
                {"run_id": run_id, "source": source, "platform": platform, "account": account,
                 "started_at": utcnow(), "pages": 0, "posts": 0, "complete": False},
            ).one()
            return int(row[0])

    def finish_coverage(self, coverage_id: int, pages: int, posts: int, complete: bool,
                        reason: str | None = None, detail: str | None = None) -> None:
        with writer(self.engine).begin() as conn:
            conn.execute(
                update(T_COVERAGE).where(T_COVERAGE.c.id == coverage_id).values(
                    ended_at=utcnow(), pages=pages, posts=posts, complete=complete, reason=reason, detail=detail,
                )
            )

    def mark_sample_data(self) -> None:
        """Record that this archive holds sandbox data, so every report and status says so."""
        with writer(self.engine).begin() as conn:
            conn.execute(insert_ignoring_conflicts(conn, T_META, ["key"]), {"key": "sample_data", "value": "1"})

    # ---- pages ------------------------------------------------------------------------
    def ingest(self, page: Page, run_id: int | None = None) -> PageResult:
        """Store one page atomically. Media is fetched first, outside the transaction, so a slow
        image server never holds the database's write lock."""
        media = resolve_media(self.engine, self.media_dir, self.fetcher, page)

        def attempt() -> PageResult:
            with writer(self.engine).begin() as conn:
                return self._write_page(conn, page, run_id, media)

        return with_retries(attempt)

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
        known = known_media(self.engine, [ref.ref for page in pages for post in page.posts for ref in post.media
                                          if ref.data is None])
        media = [resolve_media(self.engine, self.media_dir, self.fetcher, page, known) for page in pages]

        def write_all(conn: Connection) -> PageResult:
            total = PageResult()
            for page, page_media in zip(pages, media, strict=True):
                total.add(self._write_page(conn, page, run_id, page_media))
            if in_transaction is not None:
                in_transaction(conn)
            return total

        if conn is not None:
            return write_all(conn)

        def attempt() -> PageResult:
            with writer(self.engine).begin() as own:
                return write_all(own)

        return with_retries(attempt)

    def _write_page(
        self, conn: Connection, page: Page, run_id: int | None, media: dict[MediaKey, MediaOutcome]
    ) -> PageResult:
        result = PageResult()
        bulk = Bulk(conn)
        capture_id = self._insert_capture(bulk, page, run_id)
        fetched_at = to_db(page.capture.fetched_at)
        posts = unique_posts(page.posts)
        account_ids = upsert_accounts(bulk, page, posts, fetched_at, result)
        store_media_rows(conn, media, run_id, fetched_at, result)
        if posts:
            write_posts(bulk, posts, account_ids, PageContext(capture_id, run_id, fetched_at, media), result)
        if page.statuses:
            apply_statuses(conn, page, capture_id, run_id, fetched_at, result)
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
            run_id, capture.kind, capture.url, capture.status, to_db(capture.fetched_at),
            json_text(capture.headers), stored, "zlib" if self.compress_captures else None, sha256_hex(body),
            len(body), json_text(capture.meta),
        ))
