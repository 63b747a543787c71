"""Post evidence pages: what the archive holds about one post, as plain dicts for the template.

Why streamed in chunks of posts: an archive of 100k posts must build in bounded memory, so posts
are read in id order, a chunk at a time, with one query per related table per chunk (never one
query per post). Everything is sorted, so the same archive gives the same dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.engine import Connection

from analysis.tone_es import THRESHOLD
from archiver.chunks import chunked
from archiver.tables import (
    T_ACCOUNT,
    T_CAPTURE,
    T_MEDIA,
    T_POST,
    T_SIGHTING,
    T_SNAPSHOT,
    T_SNAPSHOT_MEDIA,
    T_STATUS_EVENT,
)
from archiver.timeutil import readable_utc
from reports import paths
from reports.diffs import changed_fields, word_diff
from reports.facts import grouped

POST_CHUNK = 2000
REFS = (("reposted_id", "Reposts"), ("quoted_id", "Quotes"), ("replied_to_id", "Replies to"),
        ("thread_root_id", "Thread root"), ("via_id", "Seen via"))


def post_pages(conn: Connection, tones: dict[int, Any] | None, has_cascades: bool,
               media_seen: dict[str, str | None],
               has_media: Callable[[str], bool],
               ids: list[int] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(post id, context) for every post (or only ``ids``), in post id order. ``media_seen`` collects the media
    files the pages show (sha256 -> mime), so the build copies exactly those; ``has_media`` says
    whether the archive still holds a file (a missing one is reported on the page, not linked)."""
    query = (select(T_POST, T_ACCOUNT.c.platform_id.label("account_pid"), T_ACCOUNT.c.handle,
                    T_ACCOUNT.c.display_name)
             .join(T_ACCOUNT, T_ACCOUNT.c.id == T_POST.c.account_id).order_by(T_POST.c.id))
    if ids is not None:
        for part in chunked(sorted(ids), POST_CHUNK):
            rows = conn.execute(query.where(T_POST.c.id.in_(part))).mappings().all()
            yield from _chunk_pages(conn, rows, tones, has_cascades, media_seen, has_media)
        return
    last_id = 0
    while True:
        rows = conn.execute(query.where(T_POST.c.id > last_id).limit(POST_CHUNK)).mappings().all()
        if not rows:
            return
        last_id = rows[-1]["id"]
        yield from _chunk_pages(conn, rows, tones, has_cascades, media_seen, has_media)


def _chunk_pages(conn: Connection, rows: Sequence[Any], tones: dict[int, Any] | None, has_cascades: bool,
                 media_seen: dict[str, str | None],
                 has_media: Callable[[str], bool]) -> Iterator[tuple[int, dict[str, Any]]]:
    ids = [r["id"] for r in rows]
    snapshots = _snapshots(conn, ids)
    media = _media(conn, [s["id"] for group in snapshots.values() for s in group])
    events = grouped(_query_in(conn, select(T_STATUS_EVENT.c.post_id, T_STATUS_EVENT.c.id, T_STATUS_EVENT.c.status,
                                            T_STATUS_EVENT.c.previous_status, T_STATUS_EVENT.c.observed_at,
                                            T_STATUS_EVENT.c.reason),
                               T_STATUS_EVENT.c.post_id, ids), "post_id")
    sightings = _sightings(conn, ids)
    existing = _existing_refs(conn, rows)
    cascades = _cascade_links(conn, ids) if has_cascades else {}
    for row in rows:
        page = paths.post_page(row["platform"], row["platform_id"])
        versions = _versions(snapshots.get(row["id"], []), media, page, media_seen, has_media)
        refs = []
        for column, label in REFS:
            target = row[column]
            if target is None:
                continue
            href = paths.relative(page, paths.post_page(row["platform"], target)) \
                if (row["platform"], target) in existing else None
            refs.append({"label": label, "id": target, "href": href})
        context = {
            "page_path": page,
            "title": f"Post {row['platform_id']} by {row['handle'] or row['account_pid']}",
            "post": {
                "platform": row["platform"], "platform_id": row["platform_id"], "url": row["url"],
                "kind": row["kind"], "created_at": readable_utc(row["created_at"]), "status": row["status"],
                "status_changed_at": readable_utc(row["status_changed_at"]),
                "first_seen_at": readable_utc(row["first_seen_at"]),
                "last_seen_at": readable_utc(row["last_seen_at"]), "version_count": row["version_count"],
            },
            "account": {"handle": row["handle"], "display_name": row["display_name"],
                        "platform_id": row["account_pid"],
                        "href": paths.relative(page, paths.account_page(row["platform"], row["account_pid"]))},
            "refs": refs,
            "versions": versions,
            "current": versions[-1] if versions else None,
            "events": [{"status": e.status, "previous_status": e.previous_status,
                        "observed_at": readable_utc(e.observed_at), "reason": e.reason}
                       for e in sorted(events.get(row["id"], []), key=lambda e: e.id)],
            "sighting": sightings.get(row["id"]),
            "cascade": _cascade_context(cascades.get(row["id"]), page),
            "tone": _tone_context(tones.get(row["id"]) if tones is not None else None, page, row),
            "tone_analysed": tones is not None,
            "cascades_analysed": has_cascades,
        }
        yield row["id"], context


def _query_in(conn: Connection, query: Any, column: Any, ids: list[Any]) -> list[Any]:
    out: list[Any] = []
    for part in chunked(ids):
        out.extend(conn.execute(query.where(column.in_(part))).all())
    return out


def _snapshots(conn: Connection, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    query = (select(T_SNAPSHOT.c.post_id, T_SNAPSHOT.c.id, T_SNAPSHOT.c.version, T_SNAPSHOT.c.captured_at,
                    T_SNAPSHOT.c.raw_sha256, T_SNAPSHOT.c.content, T_SNAPSHOT.c.content_sha256,
                    T_SNAPSHOT.c.content_id, T_SNAPSHOT.c.text, T_SNAPSHOT.c.lang, T_SNAPSHOT.c.platform_cid,
                    T_SNAPSHOT.c.cid_verified, T_CAPTURE.c.id.label("capture_id"), T_CAPTURE.c.kind.label("ck"),
                    T_CAPTURE.c.fetched_at, T_CAPTURE.c.body_sha256, T_CAPTURE.c.body_size)
             .join(T_CAPTURE, T_CAPTURE.c.id == T_SNAPSHOT.c.capture_id))
    out: dict[int, list[dict[str, Any]]] = {}
    for row in _query_in(conn, query, T_SNAPSHOT.c.post_id, ids):
        out.setdefault(row.post_id, []).append(dict(row._mapping))
    for group in out.values():
        group.sort(key=lambda s: s["version"])
    return out


def _media(conn: Connection, snapshot_ids: list[int]) -> dict[int, list[Any]]:
    query = (select(T_SNAPSHOT_MEDIA.c.snapshot_id, T_SNAPSHOT_MEDIA.c.position, T_SNAPSHOT_MEDIA.c.media_ref,
                    T_SNAPSHOT_MEDIA.c.media_sha256, T_SNAPSHOT_MEDIA.c.alt, T_MEDIA.c.mime, T_MEDIA.c.size)
             .outerjoin(T_MEDIA, T_MEDIA.c.sha256 == T_SNAPSHOT_MEDIA.c.media_sha256))
    out = grouped(_query_in(conn, query, T_SNAPSHOT_MEDIA.c.snapshot_id, snapshot_ids), "snapshot_id")
    for group in out.values():
        group.sort(key=lambda m: m.position)
    return out


def _versions(snaps: list[dict[str, Any]], media: dict[int, list[Any]], page: str,
              media_seen: dict[str, str | None], has_media: Callable[[str], bool]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for snap in snaps:
        items = []
        for _sid, position, ref, sha, alt, mime, size in media.get(snap["id"], []):
            present = sha is not None and has_media(sha)
            if present:
                media_seen[sha] = mime
            items.append({"position": position, "ref": ref, "sha256": sha, "mime": mime, "size": size,
                          "alt": alt, "present": present,
                          "href": paths.relative(page, paths.media_file(sha, mime)) if present else None})
        version = {
            "version": snap["version"], "snapshot_id": snap["id"], "captured_at": readable_utc(snap["captured_at"]),
            "raw_sha256": snap["raw_sha256"], "content_sha256": snap["content_sha256"],
            "content_id": snap["content_id"], "text": snap["text"], "lang": snap["lang"],
            "platform_cid": snap["platform_cid"], "cid_verified": snap["cid_verified"],
            "raw_href": paths.relative(page, paths.raw_file(snap["id"])),
            "capture": {"id": snap["capture_id"], "kind": snap["ck"], "fetched_at": readable_utc(snap["fetched_at"]),
                        "body_sha256": snap["body_sha256"], "body_size": snap["body_size"]},
            "media": items,
            "diff": None,
            "changed": [],
        }
        if previous is not None:
            version["diff"] = [{"op": s.op, "text": s.text} for s in word_diff(previous["text"], snap["text"])]
            version["changed"] = changed_fields(previous["content"], snap["content"])
        previous = snap
        out.append(version)
    return out


def _sightings(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for part in chunked(ids):
        latest = (select(T_SIGHTING.c.post_id, func.max(T_SIGHTING.c.id).label("last"),
                         func.count().label("n"))
                  .where(T_SIGHTING.c.post_id.in_(part)).group_by(T_SIGHTING.c.post_id).subquery())
        query = (select(latest.c.post_id, latest.c.n, T_SIGHTING.c.seen_at, T_SIGHTING.c.like_count,
                        T_SIGHTING.c.repost_count, T_SIGHTING.c.reply_count, T_SIGHTING.c.quote_count)
                 .join(T_SIGHTING, T_SIGHTING.c.id == latest.c.last))
        for row in conn.execute(query):
            out[row.post_id] = {"count": row.n, "seen_at": readable_utc(row.seen_at), "likes": row.like_count,
                                "reposts": row.repost_count, "replies": row.reply_count,
                                "quotes": row.quote_count}
    return out


def _existing_refs(conn: Connection, rows: Sequence[Any]) -> set[tuple[str, str]]:
    wanted = sorted({(r["platform"], r[c]) for r in rows for c, _ in REFS if r[c] is not None})
    found: set[tuple[str, str]] = set()
    for part in chunked(wanted, 200):
        query = select(T_POST.c.platform, T_POST.c.platform_id).where(
            tuple_(T_POST.c.platform, T_POST.c.platform_id).in_(part))
        found.update((p, i) for p, i in conn.execute(query))
    return found


def _cascade_links(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """For each post: the cascade it roots, or its edge (parent, provenance) and its cascade's root."""
    from archiver.tables import T_CASCADE, T_EDGE

    out: dict[int, dict[str, Any]] = {}
    root = T_POST.alias("root")
    parent = T_POST.alias("parent")
    query = (select(T_EDGE.c.child_post_id, T_EDGE.c.provenance, T_EDGE.c.kind, parent.c.platform,
                    parent.c.platform_id, root.c.platform_id.label("root_pid"), T_CASCADE.c.size_posts)
             .join(parent, parent.c.id == T_EDGE.c.parent_post_id)
             .join(root, root.c.id == T_EDGE.c.root_post_id)
             .join(T_CASCADE, T_CASCADE.c.root_post_id == T_EDGE.c.root_post_id))
    for row in _query_in(conn, query, T_EDGE.c.child_post_id, ids):
        out[row.child_post_id] = {"is_root": False, "provenance": row.provenance, "kind": row.kind,
                                  "platform": row.platform, "parent_id": row.platform_id, "root_id": row.root_pid,
                                  "size": row.size_posts}
    query = select(T_CASCADE.c.root_post_id, T_CASCADE.c.platform, T_POST.c.platform_id, T_CASCADE.c.size_posts,
                   T_CASCADE.c.depth).join(T_POST, T_POST.c.id == T_CASCADE.c.root_post_id)
    for row in _query_in(conn, query, T_CASCADE.c.root_post_id, ids):
        out[row.root_post_id] = {"is_root": True, "platform": row.platform, "root_id": row.platform_id,
                                 "size": row.size_posts, "depth": row.depth}
    return out


def _cascade_context(link: dict[str, Any] | None, page: str) -> dict[str, Any] | None:
    if link is None:
        return None
    out = dict(link)
    out["href"] = paths.relative(page, paths.cascade_page(link["platform"], link["root_id"]))
    if not link["is_root"]:
        out["root_href"] = paths.relative(page, paths.post_page(link["platform"], link["root_id"]))
        out["parent_href"] = paths.relative(page, paths.post_page(link["platform"], link["parent_id"]))
    return out


def _tone_context(tone: Any, page: str, row: Any) -> dict[str, Any] | None:
    if tone is None:
        return None
    out = {name: getattr(tone, name) for name in (
        "score", "label", "method", "abstain_reason", "lang", "lang_method", "textblob_polarity",
        "vader_compound", "emoji_tone", "signal_words", "possible_irony", "analyzer_version", "scored_as",
        "content_sha256", "confidence", "model_polarity")}
    for name in ("score", "textblob_polarity", "vader_compound", "emoji_tone", "model_polarity"):
        if out[name] is not None:
            out[name] = f"{out[name]:+.3f}"  # fixed text: no float noise between builds
    if out["confidence"] is not None:
        out["confidence"] = f"{out['confidence']:.2f}"
    out["threshold"] = THRESHOLD
    out["source_href"] = None
    if tone.scored_as == "original" and row["reposted_id"]:
        out["source_href"] = paths.relative(page, paths.post_page(row["platform"], row["reposted_id"]))
    return out

