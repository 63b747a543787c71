"""Disk sizing benchmark for docs/operations.md: bytes of archive per new post and per re-observation.

Stores N synthetic X posts (the same realistic API v2 pages as bench/ingest.py: 100 posts per page,
captures kept byte-exact and zlib-compressed), then observes all of them once more with changed
engagement counts (what every later cron run does: a capture and a sighting per post, no new
snapshot). Prints the database size after each pass on SQLite, and on PostgreSQL when --pg URL is
given. Media files are extra (content-addressed, stored once).

Usage: python bench/sizing.py [--posts 20000] [--pg postgresql://user:pw@127.0.0.1/db]
"""

from __future__ import annotations

import argparse
import importlib.util
import sqlite3
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, text

from archiver.archive import Archive, open_archive
from archiver.collectors.records import CaptureRecord, Page
from archiver.platforms.x.normalize import normalize_page, page_accounts

_spec = importlib.util.spec_from_file_location("bench_ingest", Path(__file__).with_name("ingest.py"))
assert _spec and _spec.loader
bench_ingest: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_ingest)


def _pass(archive: Archive, posts: int, offset_hours: int, bump: int) -> None:
    store = archive.store(fetch_media=False)
    run_id = store.start_run("collect", ["bench"])
    for n, start in enumerate(range(0, posts, 100)):
        page_json = bench_ingest.make_page(start, min(100, posts - start), 500)
        for tweet in page_json["data"]:
            tweet["public_metrics"]["like_count"] += bump
        body = orjson.dumps(page_json)
        capture = CaptureRecord("http", f"http://127.0.0.1/2/users/1/tweets?page={n}", 200,
                                bench_ingest.T0 + timedelta(hours=offset_hours, seconds=n), body)
        store.ingest(Page(capture=capture, posts=normalize_page(page_json), accounts=page_accounts(page_json)),
                     run_id)
    store.finish_run(run_id, "complete", {}, [])


def _sqlite_size(archive: Archive) -> int:
    path = archive.location.directory / "archive.db"
    archive.engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.stat().st_size


def _pg_size(archive: Archive) -> int:
    with archive.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def measure(archive: Archive, posts: int, size: Any) -> tuple[float, float]:
    empty = size(archive)
    _pass(archive, posts, 0, 0)
    first = size(archive)
    _pass(archive, posts, 24, 1)
    second = size(archive)
    return (first - empty) / posts, (second - first) / posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--pg", help="PostgreSQL URL with CREATEDB rights (a scratch database is made and dropped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with open_archive(Path(tmp) / "archive", None, create=True) as archive:
            per_post, per_seen = measure(archive, args.posts, _sqlite_size)
        print(f"SQLite: {per_post:,.0f} bytes per new post (capture share + post + snapshot + sighting), "
              f"{per_seen:,.0f} bytes per re-observation (capture share + sighting); {args.posts} posts")
        if args.pg:
            admin_url = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            name = f"archiver_sizing_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                with open_archive(Path(tmp) / "pg", admin_url.rsplit("/", 1)[0] + "/" + name, create=True) as archive:
                    per_post, per_seen = measure(archive, args.posts, _pg_size)
                print(f"PostgreSQL: {per_post:,.0f} bytes per new post, {per_seen:,.0f} bytes per re-observation")
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
