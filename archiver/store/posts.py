"""Posts, snapshots and sightings of one page, in a handful of executemany statements.

Primary keys for new posts and snapshots are allocated up front (``Bulk.allocate_ids``), so a new
post is written once with its final state and no ids need reading back. A post that another
collector inserted meanwhile makes the INSERT fail on the unique key; the page is then retried
(``archiver.store.retry``) and finds that post. Rows are built as tuples in the column order of
``_POST_COLUMNS`` and friends: at 20k posts/s a dict per row is measurable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from archiver.bulk import Bulk
from archiver.chunks import chunked
from archiver.collectors.records import PostRecord, normalized_content
from archiver.hashing import canonical_content, sha256_hex
from archiver.store.media import MediaKey, MediaOutcome
from archiver.store.post_state import PostKey, PostState, select_posts
from archiver.store.results import PageResult
from archiver.store.sql import json_text
from archiver.store.statuses import set_status
from archiver.tables import T_POST, T_SIGHTING, T_SNAPSHOT, T_SNAPSHOT_MEDIA
from archiver.timeutil import to_db

Row = tuple[object, ...]

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


@dataclass(frozen=True, slots=True)
class PageContext:
    """Where the page's rows come from: its capture, run and fetch time, and its media."""

    capture_id: int
    run_id: int | None
    fetched_at: datetime
    media: dict[MediaKey, MediaOutcome]

    def seen_at(self, post: PostRecord) -> datetime:
        return to_db(post.captured_at) if post.captured_at else self.fetched_at


class _NewVersion(NamedTuple):  # NamedTuple: one per changed post, cheaper to build than a dataclass
    post: PostRecord
    state: PostState
    seen_at: datetime
    content: bytes
    digest: str
    hashes: list[str | None]


class _Seen(NamedTuple):  # one per post of every page
    state: PostState
    post: PostRecord
    seen_at: datetime
    snapshot_id: int | None


def write_posts(
    bulk: Bulk, posts: list[PostRecord], account_ids: dict[PostKey, int], page: PageContext, result: PageResult
) -> None:
    """Every post of the page: new posts, a snapshot per changed content, a sighting each."""
    existing = select_posts(bulk, [(p.platform, p.platform_id) for p in posts])
    fresh = _allocate_new_posts(bulk, posts, existing)
    result.new_posts += len(fresh)
    versions, seen, touched = _compare(bulk, posts, existing, page, result)
    snapshot_rows, media_rows = _snapshot_rows(bulk, versions, page, seen, touched)
    result.new_snapshots += len(snapshot_rows)
    bulk.insert(T_POST, _POST_COLUMNS, _post_rows(fresh, existing, account_ids, page))
    bulk.insert(T_SNAPSHOT, _SNAPSHOT_COLUMNS, snapshot_rows)
    bulk.insert(T_SNAPSHOT_MEDIA, _SNAPSHOT_MEDIA_COLUMNS, media_rows)
    bulk.insert(T_SIGHTING, _SIGHTING_COLUMNS, _sighting_rows(seen, page))
    result.sightings += len(seen)
    fresh_ids = {existing[(p.platform, p.platform_id)].id for p in fresh}
    bulk.update(T_POST, ("last_seen_at", "current_snapshot_id", "current_content_sha256", "version_count", "id"), [
        (s.last_seen_at, s.snapshot_id, s.content_sha256, s.versions, post_id)
        for post_id, s in touched.items() if post_id not in fresh_ids
    ])
    for item in seen:
        state = item.state
        if state.status != "live" and (state.status_changed_at is None or item.seen_at > state.status_changed_at):
            set_status(bulk.conn, state.id, state.status, "live", item.seen_at, page.run_id, page.capture_id,
                       "observed again after being marked " + state.status, result)
            state.status = "live"


def _allocate_new_posts(bulk: Bulk, posts: list[PostRecord], existing: dict[PostKey, PostState]) -> list[PostRecord]:
    """The posts the archive does not hold yet, each given an id and a blank state in ``existing``."""
    fresh = [p for p in posts if (p.platform, p.platform_id) not in existing]
    for post, post_id in zip(fresh, bulk.allocate_ids(T_POST, len(fresh)), strict=True):
        existing[(post.platform, post.platform_id)] = PostState(post_id, "live", None, None, None, 0, None)
    return fresh


def _compare(
    bulk: Bulk, posts: list[PostRecord], existing: dict[PostKey, PostState], page: PageContext, result: PageResult
) -> tuple[list[_NewVersion], list[_Seen], dict[int, PostState]]:
    """Each post's content hash against what is stored: a new version where it changed (for an
    observation older than the newest, against every stored version), else a sighting of the
    snapshot it matches. Also the posts whose row must be rewritten (``touched``)."""
    older_hashes = _older_hashes(bulk, posts, existing, page)
    versions: list[_NewVersion] = []
    seen: list[_Seen] = []
    touched: dict[int, PostState] = {}
    for post in posts:
        state = existing[(post.platform, post.platform_id)]
        seen_at = page.seen_at(post)
        hashes = [page.media[(m.ref, m.url)].sha256 for m in post.media] if post.media else []
        content = canonical_content(normalized_content(post, hashes))
        digest = sha256_hex(content)
        is_newest = state.last_seen_at is None or seen_at >= state.last_seen_at or state.versions == 0
        changed = digest != state.content_sha256 if is_newest else digest not in older_hashes.get(state.id, {})
        if not changed:
            known_id = state.snapshot_id if is_newest else older_hashes[state.id][digest]
            seen.append(_Seen(state, post, seen_at, known_id))
            if is_newest and state.last_seen_at != seen_at:
                state.last_seen_at = seen_at
                touched[state.id] = state
            continue
        state.versions += 1
        if state.versions > 1:
            result.edits += 1
        versions.append(_NewVersion(post, state, seen_at, content, digest, hashes))
    return versions, seen, touched


def _snapshot_rows(
    bulk: Bulk, versions: list[_NewVersion], page: PageContext, seen: list[_Seen], touched: dict[int, PostState]
) -> tuple[list[Row], list[Row]]:
    """Snapshot and snapshot-media rows of the new versions; each also counts as a sighting, and
    the newest becomes its post's current snapshot."""
    snapshot_rows: list[Row] = []
    media_rows: list[Row] = []
    for snapshot_id, version in zip(bulk.allocate_ids(T_SNAPSHOT, len(versions)), versions, strict=True):
        post, state, seen_at = version.post, version.state, version.seen_at
        snapshot_rows.append((
            snapshot_id, state.id, state.versions, page.capture_id, page.run_id, seen_at,
            post.raw.decode("utf-8"), sha256_hex(post.raw), version.content.decode("utf-8"), version.digest,
            post.content_id, post.text, post.lang, post.platform_cid, post.cid_verified,
        ))
        seen.append(_Seen(state, post, seen_at, snapshot_id))
        if state.last_seen_at is None or seen_at >= state.last_seen_at or state.versions == 1:
            state.snapshot_id = snapshot_id
            state.content_sha256 = version.digest
            state.last_seen_at = seen_at
        touched[state.id] = state
        for position, (ref, sha) in enumerate(zip(post.media, version.hashes, strict=True)):
            media_rows.append((snapshot_id, position, ref.ref, ref.url, sha, ref.alt))
    return snapshot_rows, media_rows


def _post_rows(
    fresh: list[PostRecord], existing: dict[PostKey, PostState], account_ids: dict[PostKey, int], page: PageContext
) -> list[Row]:
    """Rows of the new posts, written once with their final state."""
    rows: list[Row] = []
    for post in fresh:
        state = existing[(post.platform, post.platform_id)]
        first_seen = page.seen_at(post)
        rows.append((
            state.id, post.platform, post.platform_id, post.url,
            account_ids[(post.author.platform, post.author.platform_id)], post.kind,
            post.reposted_id, post.quoted_id, post.replied_to_id, post.thread_root_id, post.via_id,
            to_db(post.created_at), "live", first_seen, state.last_seen_at or first_seen,
            state.snapshot_id, state.content_sha256, state.versions,
        ))
    return rows


def _sighting_rows(seen: list[_Seen], page: PageContext) -> list[Row]:
    rows: list[Row] = []
    for item in seen:
        metrics = item.post.metrics
        rows.append((
            item.state.id, item.snapshot_id, page.run_id, page.capture_id, item.seen_at, "live",
            metrics.get("like_count"), metrics.get("repost_count"), metrics.get("reply_count"),
            metrics.get("quote_count"), json_text(metrics),
        ))
    return rows


def _older_hashes(
    bulk: Bulk, posts: list[PostRecord], existing: dict[PostKey, PostState], page: PageContext
) -> dict[int, dict[str, int]]:
    """For observations older than what the archive already holds (imports of old files, backfill):
    the hashes already stored, so re-importing adds no snapshot."""
    old_ids = []
    for post in posts:
        state = existing[(post.platform, post.platform_id)]
        if state.versions and state.last_seen_at is not None and page.seen_at(post) < state.last_seen_at:
            old_ids.append(state.id)
    found: dict[int, dict[str, int]] = {}
    for chunk in chunked(sorted(set(old_ids))):
        rows = bulk.conn.execute(
            select(T_SNAPSHOT.c.post_id, T_SNAPSHOT.c.content_sha256, T_SNAPSHOT.c.id)
            .where(T_SNAPSHOT.c.post_id.in_(chunk))
        )
        for post_id, digest, snapshot_id in rows:
            found.setdefault(post_id, {})[digest] = snapshot_id
    return found
