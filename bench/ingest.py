"""Ingest benchmark: 100k synthetic X posts through normalize, hash and store on SQLite.

Prints posts/s and peak RSS for the real path (X API v2 page JSON -> platforms.x.normalize -> Store.ingest,
one page of 100 posts per transaction, captures compressed), and as the floor the time plain
``sqlite3`` ``executemany`` takes to insert the same post, snapshot and sighting rows.

Targets: >= 20k posts/s, within 3x of the floor, peak RSS <= 300 MB.
Usage: python bench/ingest.py [--posts 100000] [--page 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from archiver.archive import open_archive
from archiver.collectors.records import CaptureRecord, Page, normalized_content
from archiver.hashing import canonical_json, sha256_hex
from archiver.platforms.x.normalize import normalize_page, page_accounts
from archiver.timeutil import sqlite_datetime

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def make_page(start: int, size: int, accounts: int) -> dict:
    tweets = []
    for n in range(start, start + size):
        author = str(10_000_000 + n % accounts)
        tid = str(1_900_000_000_000_000_000 + n)
        kind = n % 4
        tweet = {
            "id": tid, "author_id": author, "text": f"Synthetic statement number {n} about the flights 😂 #{n % 97}",
            "created_at": (T0 + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "conversation_id": tid, "lang": "en" if n % 3 else "es", "edit_history_tweet_ids": [tid],
            "public_metrics": {"retweet_count": n % 50, "reply_count": n % 7, "like_count": n % 1000,
                               "quote_count": n % 5, "bookmark_count": 0, "impression_count": n},
        }
        if kind == 1 and n > 0:
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": str(1_900_000_000_000_000_000 + n - 1)}]
        elif kind == 2 and n > 0:
            tweet["referenced_tweets"] = [{"type": "quoted", "id": str(1_900_000_000_000_000_000 + n - 2)}]
        tweets.append(tweet)
    users = [{"id": str(10_000_000 + a), "username": f"bench_user{a}", "name": f"Bench {a}"}
             for a in sorted({n % accounts for n in range(start, start + size)})]
    return {"data": tweets, "includes": {"users": users}, "meta": {"result_count": size}}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_archiver(pages: list[bytes], workdir: Path) -> tuple[float, int]:
    with open_archive(workdir / "archive", None, create=True) as handle:
        store = handle.store(fetch_media=False)
        run_id = store.start_run("collect", ["bench"])
        posts = 0
        started = time.perf_counter()
        for n, body in enumerate(pages):
            page_json = orjson.loads(body)
            records = normalize_page(page_json)
            capture = CaptureRecord("http", f"http://127.0.0.1/2/users/1/tweets?page={n}", 200,
                                    T0 + timedelta(hours=n), body)
            store.ingest(Page(capture=capture, posts=records, accounts=page_accounts(page_json)), run_id)
            posts += len(records)
        elapsed = time.perf_counter() - started
    return elapsed, posts


def run_floor(pages: list[bytes], workdir: Path) -> float:
    """The same post, snapshot and sighting rows (every column the store writes, the same account,
    capture and run ids), into the same schema (created by the archive's own migrations, so the
    same indexes), through plain sqlite3 executemany, one page of rows per transaction. Normalizing,
    hashing and the account and capture rows the post rows point at are done before the clock
    starts: the floor is the database's share of the post rows alone."""
    floor_dir = workdir / "floor"
    open_archive(floor_dir, None, create=True).close()
    batches: list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]] = []
    accounts: dict[str, int] = {}
    captures = []
    pid = 0
    for page_no, body in enumerate(pages):
        now = sqlite_datetime(T0 + timedelta(hours=page_no))
        captures.append((page_no + 1, 1, "http", "u", 200, now, "{}", "x", 0, "{}"))
        rows_post, rows_snap, rows_seen = [], [], []
        for record in normalize_page(orjson.loads(body)):
            pid += 1
            account_id = accounts.setdefault(record.author.platform_id, len(accounts) + 1)
            content = canonical_json(normalized_content(record, []))
            digest = sha256_hex(content)
            rows_post.append((pid, record.platform, record.platform_id, record.url, account_id, record.kind,
                              record.reposted_id, record.quoted_id, record.replied_to_id, record.thread_root_id,
                              None, sqlite_datetime(record.created_at), "live", now, now, pid, digest, 1))
            rows_snap.append((pid, pid, 1, page_no + 1, 1, now, record.raw.decode(), sha256_hex(record.raw),
                              content.decode(), digest, record.content_id, record.text, record.lang, None, None))
            metrics = record.metrics
            rows_seen.append((pid, pid, 1, page_no + 1, now, "live", metrics.get("like_count"),
                              metrics.get("repost_count"), metrics.get("reply_count"), metrics.get("quote_count"),
                              orjson.dumps(metrics).decode()))
        batches.append((rows_post, rows_snap, rows_seen))
    conn = sqlite3.connect(floor_dir / "archive.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    first = sqlite_datetime(T0)
    conn.execute("INSERT INTO run (id, kind, started_at, status, sources, counts, errors, tool_version, host) "
                 "VALUES (1, 'collect', ?, 'running', '[]', '{}', '[]', 'floor', 'floor')", (first,))
    conn.executemany("INSERT INTO account (id, platform, platform_id, tracked, first_seen_at, last_seen_at) "
                     "VALUES (?, 'x', ?, 0, ?, ?)", [(n, uid, first, first) for uid, n in accounts.items()])
    conn.executemany("INSERT INTO capture (id, run_id, kind, url, status, fetched_at, headers, body_sha256, "
                     "body_size, meta) VALUES (?,?,?,?,?,?,?,?,?,?)", captures)
    conn.commit()
    started = time.perf_counter()
    for rows_post, rows_snap, rows_seen in batches:
        with conn:
            conn.executemany(
                "INSERT INTO post (id, platform, platform_id, url, account_id, kind, reposted_id, quoted_id, "
                "replied_to_id, thread_root_id, via_id, created_at, status, first_seen_at, last_seen_at, "
                "current_snapshot_id, current_content_sha256, version_count) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows_post)
            conn.executemany(
                "INSERT INTO snapshot (id, post_id, version, capture_id, run_id, captured_at, raw, raw_sha256, "
                "content, content_sha256, content_id, text, lang, platform_cid, cid_verified) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows_snap)
            conn.executemany(
                "INSERT INTO sighting (post_id, snapshot_id, run_id, capture_id, seen_at, status, like_count, "
                "repost_count, reply_count, quote_count, metrics) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows_seen)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of (archiver, floor); the median is judged (a shared VM's speed drifts)")
    args = parser.parse_args()
    pages = [orjson.dumps(make_page(s, min(args.page, args.posts - s), args.accounts))
             for s in range(0, args.posts, args.page)]
    rates, ratios, rss = [], [], 0.0
    for round_no in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, posts = run_archiver(pages, Path(tmp))
            if round_no == 1:
                rss = peak_rss_mb()  # before the floor, which holds every row in memory at once
            floor = run_floor(pages, Path(tmp))
        rates.append(posts / elapsed)
        ratios.append(elapsed / floor)
        print(f"round {round_no}: archiver {posts} posts in {elapsed:.2f} s = {posts / elapsed:,.0f} posts/s "
              f"(normalize + hash + store, {args.page} posts per transaction); floor (plain sqlite3 executemany "
              f"of the same rows) {floor:.2f} s = {posts / floor:,.0f} rows/s; ratio {elapsed / floor:.2f}x")
    rate, ratio = statistics.median(rates), statistics.median(ratios)
    print(f"median of {args.repeat}: {rate:,.0f} posts/s, ratio {ratio:.2f}x floor; peak RSS {rss:.0f} MB")
    ok = rate >= 20_000 and ratio <= 3 and rss <= 300
    print("targets (>= 20k posts/s, <= 3x floor, <= 300 MB):", "MET" if ok else "NOT MET")


if __name__ == "__main__":
    main()
