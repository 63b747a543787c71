"""Several collectors writing one PostgreSQL archive at once, with overlapping sources.

Real processes, started together: no post, snapshot or media is stored twice, no sighting is
lost (the archive holds exactly the sum of what each process stored), and a post's version
bookkeeping stays consistent even when processes race to store different versions of it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select, text

from archiver.archive import Archive, open_archive
from archiver.collect import run_collect
from archiver.collectors.records import AccountRecord, MediaRef
from archiver.config import Secrets
from archiver.sandbox.config import sandbox_config
from archiver.sandbox.server import SandboxServer
from archiver.tables import T_MEDIA, T_POST, T_RUN, T_SIGHTING, T_SNAPSHOT
from tests.factories import T0, account, page, post

WORKERS = 4


@pytest.fixture
def pg_archive(pg_database: str, tmp_path: Any) -> Iterator[Archive]:
    """The multi-process tests run on PostgreSQL only: SQLite serialises its writers (BEGIN
    IMMEDIATE), so it has no such race, and its busy-waiting makes these tests slow there."""
    handle = open_archive(tmp_path / "archive", pg_database, create=True)
    yield handle
    handle.close()


def _pages(worker: int, variants: int) -> list[Any]:
    """60 pages over 40 shared posts; with ``variants`` > 1 the text depends on worker and page,
    so processes race to append different versions of the same post."""
    image = MediaRef("3_7", "http://127.0.0.1:1/i.png", "image/png", data=b"same image bytes for everyone")
    pages = []
    for n in range(60):
        posts = []
        for k in range(8):
            pid = str(100 + (n * 3 + k) % 40)
            text_ = f"post {pid}" if variants == 1 else f"post {pid} v{(worker + n) % variants}"
            posts.append(post(pid, text_, author=account(int(pid) % 5), media=[image] if int(pid) % 4 == 0 else [],
                              metrics={"like_count": worker * 1000 + n}))
        pages.append(page(*posts, at=T0 + timedelta(minutes=n, seconds=worker)))
    return pages


def _worker(url: str, directory: str, worker: int, variants: int, start: Any, results: Any) -> None:
    handle = open_archive(directory, url)
    store = handle.store(fetch_media=False)
    start.wait()
    sightings = sum(store.ingest(p).sightings for p in _pages(worker, variants))
    results.put(sightings)
    handle.close()


def _run_workers(archive: Archive, variants: int) -> int:
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(archive.location.db_url, str(archive.location.directory), w,
                                               variants, start, results)) for w in range(WORKERS)]
    for proc in procs:
        proc.start()
    start.set()
    stored = sum(results.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    return stored


def _count(archive: Archive, table: Any) -> int:
    with archive.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_overlapping_identical_pages_store_each_thing_once(pg_archive: Archive) -> None:
    archive = pg_archive
    stored = _run_workers(archive, variants=1)
    assert _count(archive, T_POST) == 40
    assert _count(archive, T_SNAPSHOT) == 40
    assert _count(archive, T_MEDIA) == 1
    assert stored == WORKERS * 60 * 8 and _count(archive, T_SIGHTING) == stored


def test_racing_edits_keep_version_bookkeeping_consistent(pg_archive: Archive) -> None:
    archive = pg_archive
    stored = _run_workers(archive, variants=3)
    assert _count(archive, T_POST) == 40 and _count(archive, T_SIGHTING) == stored
    with archive.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.id, p.version_count, p.current_content_sha256, s.content_sha256 AS current_sha, "
            "  (SELECT COUNT(*) FROM snapshot x WHERE x.post_id = p.id) AS n, "
            "  (SELECT MAX(version) FROM snapshot x WHERE x.post_id = p.id) AS top "
            "FROM post p JOIN snapshot s ON s.id = p.current_snapshot_id")).all()
        orphans = conn.execute(text(
            "SELECT COUNT(*) FROM sighting g LEFT JOIN snapshot s ON s.id = g.snapshot_id "
            "WHERE s.post_id IS DISTINCT FROM g.post_id")).scalar_one()
    assert len(rows) == 40 and orphans == 0
    for row in rows:
        assert row.version_count == row.n == row.top, row  # versions 1..n, no gap, no lost update
        assert row.current_content_sha256 == row.current_sha, row


def test_two_collectors_with_overlapping_sources(pg_archive: Archive, tmp_path: Any) -> None:
    """Real collectors (tweepy and atproto against the sandbox) in two processes, sharing sources."""
    archive = pg_archive
    with SandboxServer() as sandbox:
        config = sandbox_config(sandbox.base_url)
        # overlap: both processes collect nayib (X and Bluesky), whose posts everyone reposts and quotes.
        halves = [config.sources[:8], config.sources[:2] + config.sources[6:]]
        ctx = multiprocessing.get_context("fork")
        start = ctx.Event()

        def collect(sources: list[Any]) -> None:
            handle = open_archive(archive.location.directory, archive.location.db_url)
            start.wait()
            outcome = run_collect(handle.store(config.media), config, sources, Secrets())
            handle.close()
            raise SystemExit(0 if outcome.status == "complete" else 3)

        procs = [ctx.Process(target=collect, args=(half,)) for half in halves]
        for proc in procs:
            proc.start()
        start.set()
        for proc in procs:
            proc.join(timeout=120)
            assert proc.exitcode == 0

        reference = open_archive(tmp_path / "ref", None, create=True)
        assert run_collect(reference.store(config.media), config, config.sources,
                           Secrets()).status == "complete"
    with archive.engine.connect() as conn:
        per_run = [orjson.loads(c)["sightings"] for c in conn.execute(select(T_RUN.c.counts)).scalars()]
        dupes = conn.execute(text("SELECT COUNT(*) FROM (SELECT post_id, content_sha256 FROM snapshot "
                                  "GROUP BY post_id, content_sha256 HAVING COUNT(*) > 1) d")).scalar_one()
    assert len(per_run) == 2 and _count(archive, T_SIGHTING) == sum(per_run)
    assert dupes == 0
    assert _count(archive, T_POST) == _count(reference, T_POST)
    assert _count(archive, T_SNAPSHOT) == _count(reference, T_SNAPSHOT)
    assert _count(archive, T_MEDIA) == _count(reference, T_MEDIA)
    reference.close()



def _interleave(monkeypatch: pytest.MonkeyPatch, owner: Any, attr: str, run_a: Any, run_b: Any) -> None:
    """Run A until it has executed ``owner.attr`` (a read), then run B, then let A finish. If A's
    read locks what it read, B waits for A's commit instead (the pause gives up after 1.5 s)."""
    import threading

    a_read, b_done = threading.Event(), threading.Event()
    original = getattr(owner, attr)

    def pausing(*args: Any) -> Any:
        found = original(*args)
        if threading.current_thread().name == "A" and not a_read.is_set():
            a_read.set()
            b_done.wait(timeout=1.5)
        return found

    monkeypatch.setattr(owner, attr, staticmethod(pausing) if isinstance(owner, type) else pausing)
    a = threading.Thread(target=run_a, name="A")
    b = threading.Thread(target=lambda: (run_b(), b_done.set()), name="B")
    a.start()
    assert a_read.wait(timeout=10)
    b.start()
    a.join(timeout=30)
    b.join(timeout=30)
    assert not a.is_alive() and not b.is_alive()


def test_a_stale_read_cannot_undo_a_concurrent_new_version(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reads the post, B commits version 2, then A (which saw the old text again) finishes: A must
    not write its stale view back over B's (version_count 1 with two snapshots, after which every
    later edit of the post fails on the unique version). The author's row does not change (it was
    seen later elsewhere, and has no handle history to touch), so nothing else serialises the two
    pages: the store must lock the post rows it reads (SELECT ... FOR UPDATE on PostgreSQL)."""
    import archiver.store.posts as store_posts

    store = archive.store(fetch_media=False)
    author = AccountRecord("x", "1001", None, None, True)
    store.ingest(page(post("7", "old text", author=author), at=T0))
    store.ingest(page(post("8", "the author's later post", author=author), at=T0 + timedelta(hours=5)))
    _interleave(monkeypatch, store_posts, "select_posts",
                lambda: store.ingest(page(post("7", "old text", author=author), at=T0 + timedelta(hours=2))),
                lambda: store.ingest(page(post("7", "new text", author=author), at=T0 + timedelta(hours=3))))
    with archive.engine.connect() as conn:
        row = conn.execute(select(T_POST.c.version_count, T_SNAPSHOT.c.text)
                           .join(T_SNAPSHOT, T_SNAPSHOT.c.id == T_POST.c.current_snapshot_id)
                           .where(T_POST.c.platform_id == "7")).one()
    assert tuple(row) == (2, "new text")


def test_a_stale_read_cannot_roll_back_a_rename(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    """A (seen at 09:00, old handle) reads the account; B (seen at 10:00, new handle) commits; A must
    not then write the old handle and the older last-seen time back over B's."""
    import archiver.store.accounts as store_accounts
    from archiver.tables import T_ACCOUNT

    store = archive.store(fetch_media=False)
    store.ingest(page(post("1", "hello", author=account(1, "old_name")), at=T0))
    _interleave(monkeypatch, store_accounts, "select_accounts",
                lambda: store.ingest(page(post("2", "a", author=account(1, "old_name")), at=T0 + timedelta(hours=1))),
                lambda: store.ingest(page(post("3", "b", author=account(1, "new_name")), at=T0 + timedelta(hours=2))))
    with archive.engine.connect() as conn:
        handle, last_seen = conn.execute(select(T_ACCOUNT.c.handle, T_ACCOUNT.c.last_seen_at)).one()
    assert (handle, last_seen) == ("new_name", T0 + timedelta(hours=2))
