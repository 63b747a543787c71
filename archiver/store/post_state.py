"""What the archive already holds about the posts of a page, read under lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from archiver.bulk import Bulk
from archiver.collectors.records import PostRecord
from archiver.store.sql import ids_by_platform
from archiver.tables import T_POST

PostKey = tuple[str, str]  # (platform, platform id)


@dataclass(slots=True)
class PostState:
    """A post's row as the page's writing moves it on (mutable: one page may add several versions)."""

    id: int
    status: str
    status_changed_at: datetime | None
    content_sha256: str | None
    snapshot_id: int | None
    versions: int
    last_seen_at: datetime | None


def select_posts(bulk: Bulk, keys: Sequence[PostKey]) -> dict[PostKey, PostState]:
    """Posts by (platform, platform id), locked FOR UPDATE on PostgreSQL (SQLite's writer holds
    the database lock): a stale read must not undo a new version a concurrent writer committed."""
    found: dict[PostKey, PostState] = {}
    read_when = bulk.read_when
    for platform, ids in ids_by_platform(list(keys)):
        rows = bulk.select_in(
            T_POST, ("platform_id", "id", "status", "status_changed_at", "current_content_sha256",
                     "current_snapshot_id", "version_count", "last_seen_at"),
            ("platform", platform), ("platform_id", ids))
        for pid, post_id, status, changed, sha, snap, versions, last_seen in rows:
            found[(platform, pid)] = PostState(post_id, status, read_when(changed), sha, snap, versions,
                                               read_when(last_seen) if versions else None)
    return found


def unique_posts(posts: list[PostRecord]) -> list[PostRecord]:
    """A page may carry the same post twice (X ``data`` and ``includes``); the first one wins."""
    seen: set[PostKey] = set()
    unique = []
    for post in posts:
        key = (post.platform, post.platform_id)
        if key not in seen:
            seen.add(key)
            unique.append(post)
    return unique
