"""X posts as twarc2 JSONL, so that twarc tools (twarc-csv, twarc2 flatten, plugins) keep working
on the archive.

Format: one *response page* per line, each holding one tweet: ``{"data": [tweet], "includes":
{"users": [author], "media": [...]}, "meta": {"result_count": 1}, "__twarc": {"url", "version",
"retrieved_at"}}``. One tweet per page keeps each line's ``retrieved_at`` exactly the time that
version was captured, which a multi-tweet page could not. The tweet is the API v2 object as
archived (twarc imports, the X collector); for posts that came from an X archive zip it is
rebuilt in v2 shape from the stored version. ``archiver import twarc`` reads the output back to
the same posts and content hashes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import orjson
from sqlalchemy import Select, select
from sqlalchemy.engine import Engine

from archiver import __version__
from archiver.exports.rows import YIELD_PER, iso
from archiver.tables import T_ACCOUNT, T_POST, T_SNAPSHOT, T_SNAPSHOT_MEDIA

_DROP = ("__twarc", "author", "in_reply_to_user")  # what `twarc2 flatten` adds to a tweet


def _query(all_versions: bool) -> Select[Any]:
    p, s, a = T_POST.c, T_SNAPSHOT.c, T_ACCOUNT.c
    join = T_SNAPSHOT.c.post_id == p.id if all_versions else T_SNAPSHOT.c.id == p.current_snapshot_id
    return (
        select(s.id, s.raw, s.captured_at, s.content_id, s.text, s.lang, p.platform_id, p.url, p.created_at,
               p.kind, p.reposted_id, p.quoted_id, p.replied_to_id, p.thread_root_id,
               a.platform_id.label("author_id"), a.handle, a.display_name)
        .select_from(T_POST.join(T_ACCOUNT, T_ACCOUNT.c.id == p.account_id).join(T_SNAPSHOT, join))
        .where(p.platform == "x")
        .order_by(p.created_at, p.id, s.version)
    )


def _v2_tweet(row: Any) -> dict[str, Any]:
    """The archived v2 object (cleaned of flatten's inlining), or one rebuilt from the version."""
    raw = orjson.loads(row.raw)
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and "author_id" in raw:
        tweet = {k: v for k, v in raw.items() if k not in _DROP}
        if isinstance(tweet.get("referenced_tweets"), list):
            tweet["referenced_tweets"] = [{"type": r.get("type"), "id": r.get("id")}
                                          for r in tweet["referenced_tweets"] if isinstance(r, dict)]
        if isinstance(tweet.get("attachments"), dict):
            tweet["attachments"] = {k: v for k, v in tweet["attachments"].items() if k != "media"}
        return tweet
    tid = row.content_id or row.platform_id
    refs = [{"type": t, "id": i} for t, i in (("retweeted", row.reposted_id), ("quoted", row.quoted_id),
                                               ("replied_to", row.replied_to_id)) if i]
    tweet = {"id": tid, "text": row.text, "author_id": row.author_id,
             "created_at": iso(row.created_at), "edit_history_tweet_ids": list(dict.fromkeys([row.platform_id, tid]))}
    if row.thread_root_id:
        tweet["conversation_id"] = row.thread_root_id
    if row.lang:
        tweet["lang"] = row.lang
    if refs:
        tweet["referenced_tweets"] = refs
    return tweet


def _media_for(engine: Engine, snapshot_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    if not snapshot_ids:
        return found
    m = T_SNAPSHOT_MEDIA.c
    with engine.connect() as conn:
        rows = conn.execute(select(m.snapshot_id, m.media_ref, m.source_url, m.alt)
                            .where(m.snapshot_id.in_(snapshot_ids)).order_by(m.snapshot_id, m.position))
        for snapshot_id, ref, url, alt in rows:
            item: dict[str, Any] = {"media_key": ref}
            if url:
                item["url"] = url
            if alt:
                item["alt_text"] = alt
            found.setdefault(snapshot_id, []).append(item)
    return found


def pages(engine: Engine, all_versions: bool = False) -> Iterator[dict[str, Any]]:
    """One twarc2 response page per X post (or per version with ``all_versions``)."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=YIELD_PER).execute(_query(all_versions))
        for chunk in result.partitions(YIELD_PER):
            media = _media_for(engine, [r.id for r in chunk])
            for row in chunk:
                user = {"id": row.author_id, "username": row.handle, "name": row.display_name}
                includes: dict[str, Any] = {"users": [{k: v for k, v in user.items() if v is not None}]}
                if row.id in media:
                    includes["media"] = media[row.id]
                yield {"data": [_v2_tweet(row)], "includes": includes, "meta": {"result_count": 1},
                       "__twarc": {"url": row.url, "version": f"statement-archiver {__version__}",
                                   "retrieved_at": iso(row.captured_at)}}


def write_twarc(engine: Engine, out: IO[bytes], all_versions: bool = False) -> int:
    count = 0
    for page in pages(engine, all_versions):
        out.write(orjson.dumps(page) + b"\n")
        count += 1
    return count
