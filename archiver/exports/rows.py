"""The rows of ``archiver export posts`` and ``export versions``, streamed from the database.

Columns are an interface (docs/exports.md documents each): changing one is a breaking change
for someone's pandas or R script. Times are ISO 8601 UTC strings ending in ``Z``; ids are always
strings, never numbers, so that no reader turns a 64-bit X id into a float.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Engine

from archiver.tables import T_ACCOUNT, T_POST, T_SIGHTING, T_SNAPSHOT
from archiver.timeutil import iso_z

POST_COLUMNS: tuple[str, ...] = (
    "platform", "platform_id", "url", "kind", "author_id", "author_handle", "author_name", "created_at",
    "text", "lang", "status", "status_changed_at", "reposted_id", "quoted_id", "replied_to_id",
    "thread_root_id", "via_id", "version_count", "current_version", "content_id", "content_sha256",
    "raw_sha256", "platform_cid", "cid_verified", "captured_at", "first_seen_at", "last_seen_at",
    "like_count", "repost_count", "reply_count", "quote_count", "metrics_seen_at",
)
VERSION_COLUMNS: tuple[str, ...] = (
    "platform", "platform_id", "version", "captured_at", "content_id", "text", "lang", "content_sha256",
    "raw_sha256", "platform_cid", "cid_verified", "capture_id", "run_id", "snapshot_id", "content", "raw",
)
INT_COLUMNS = {"version_count", "current_version", "like_count", "repost_count", "reply_count", "quote_count",
               "version", "capture_id", "run_id", "snapshot_id"}
BOOL_COLUMNS = {"cid_verified"}
TIME_COLUMNS = {"created_at", "status_changed_at", "captured_at", "first_seen_at", "last_seen_at",
                "metrics_seen_at"}
YIELD_PER = 2000


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with ``Z`` (microseconds kept when present)."""
    return None if moment is None else iso_z(moment)


def _latest(column: Any, post_id: Any) -> Any:
    """The most recent sighting's value (engagement counts change; the export gives the last seen)."""
    return (select(column).where(T_SIGHTING.c.post_id == post_id)
            .order_by(T_SIGHTING.c.seen_at.desc(), T_SIGHTING.c.id.desc()).limit(1).scalar_subquery())


def posts_query(platform: str | None = None) -> Select[Any]:
    p, s, a = T_POST.c, T_SNAPSHOT.c, T_ACCOUNT.c
    query = (
        select(
            p.platform, p.platform_id, p.url, p.kind, a.platform_id.label("author_id"),
            a.handle.label("author_handle"), a.display_name.label("author_name"), p.created_at, s.text, s.lang,
            p.status, p.status_changed_at, p.reposted_id, p.quoted_id, p.replied_to_id, p.thread_root_id,
            p.via_id, p.version_count, s.version.label("current_version"), s.content_id, s.content_sha256,
            s.raw_sha256, s.platform_cid, s.cid_verified, s.captured_at, p.first_seen_at, p.last_seen_at,
            _latest(T_SIGHTING.c.like_count, p.id).label("like_count"),
            _latest(T_SIGHTING.c.repost_count, p.id).label("repost_count"),
            _latest(T_SIGHTING.c.reply_count, p.id).label("reply_count"),
            _latest(T_SIGHTING.c.quote_count, p.id).label("quote_count"),
            _latest(T_SIGHTING.c.seen_at, p.id).label("metrics_seen_at"),
        )
        .select_from(T_POST.join(T_ACCOUNT, T_ACCOUNT.c.id == p.account_id)
                     .join(T_SNAPSHOT, T_SNAPSHOT.c.id == p.current_snapshot_id))
        .order_by(p.platform, p.created_at, p.id)
    )
    return query.where(p.platform == platform) if platform else query


def versions_query(platform: str | None = None) -> Select[Any]:
    p, s = T_POST.c, T_SNAPSHOT.c
    query = (
        select(p.platform, p.platform_id, s.version, s.captured_at, s.content_id, s.text, s.lang,
               s.content_sha256, s.raw_sha256, s.platform_cid, s.cid_verified, s.capture_id, s.run_id,
               s.id.label("snapshot_id"), s.content, s.raw)
        .select_from(T_SNAPSHOT.join(T_POST, T_POST.c.id == s.post_id))
        .order_by(p.platform, p.created_at, p.id, s.version)
    )
    return query.where(p.platform == platform) if platform else query


def stream(engine: Engine, query: Select[Any], columns: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Rows as dicts in ``columns`` order, fetched ``YIELD_PER`` at a time (constant memory)."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=YIELD_PER).execute(query)
        for row in result:
            mapping = row._mapping
            out: dict[str, Any] = {}
            for name in columns:
                value = mapping[name]
                if name in TIME_COLUMNS:
                    value = iso(value)
                elif name in BOOL_COLUMNS and value is not None:
                    value = bool(value)
                out[name] = value
            yield out
