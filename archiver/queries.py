"""Read-only questions the CLI asks of the archive (status, show). Plain dicts, so the same data
serves the terminal and ``--json``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from archiver.resolve import resolve_post
from archiver.tables import (
    T_ACCOUNT,
    T_COVERAGE,
    T_HANDLE,
    T_MEDIA,
    T_META,
    T_POST,
    T_RUN,
    T_SIGHTING,
    T_SNAPSHOT,
    T_STATUS_EVENT,
    T_VERIFICATION,
)
from archiver.timeutil import iso_offset


def _iso(value: Any) -> Any:
    return iso_offset(value) if isinstance(value, datetime) else value


def archive_summary(engine: Engine) -> dict[str, Any]:
    """The numbers `archiver status` and `archiver demo` print."""
    with engine.connect() as conn:
        def scalar(query: Any) -> int:
            return int(conn.execute(query).scalar() or 0)

        renamed = select(T_HANDLE.c.account_id).group_by(T_HANDLE.c.account_id).having(func.count() > 1)
        summary: dict[str, Any] = {
            "accounts": scalar(select(func.count()).select_from(T_ACCOUNT)),
            "tracked_accounts": scalar(select(func.count()).select_from(T_ACCOUNT).where(T_ACCOUNT.c.tracked)),
            "posts": scalar(select(func.count()).select_from(T_POST)),
            "snapshots": scalar(select(func.count()).select_from(T_SNAPSHOT)),
            "sightings": scalar(select(func.count()).select_from(T_SIGHTING)),
            "edited_posts": scalar(select(func.count()).select_from(T_POST).where(T_POST.c.version_count > 1)),
            "deleted_posts": scalar(select(func.count()).select_from(T_POST).where(T_POST.c.status == "deleted")),
            "unavailable_posts": scalar(select(func.count()).select_from(T_POST)
                                        .where(T_POST.c.status == "unavailable")),
            "handle_renames": scalar(select(func.count()).select_from(renamed.subquery())),
            "media_files": scalar(select(func.count()).select_from(T_MEDIA)),
            "cids_verified": scalar(select(func.count()).select_from(T_SNAPSHOT)
                                    .where(T_SNAPSHOT.c.cid_verified.is_(True))),
            "cids_failed": scalar(select(func.count()).select_from(T_SNAPSHOT)
                                  .where(T_SNAPSHOT.c.cid_verified.is_(False))),
        }
        by = conn.execute(select(T_POST.c.platform, T_POST.c.kind, func.count())
                          .group_by(T_POST.c.platform, T_POST.c.kind)).all()
        summary["posts_by_platform_kind"] = {f"{p}/{k}": n for p, k, n in sorted(by)}
        last_run = conn.execute(select(T_RUN).order_by(T_RUN.c.id.desc()).limit(1)).mappings().first()
        summary["last_run"] = None if last_run is None else {
            "id": last_run["id"], "kind": last_run["kind"], "status": last_run["status"],
            "started_at": _iso(last_run["started_at"]), "ended_at": _iso(last_run["ended_at"]),
            "counts": orjson.loads(last_run["counts"]), "errors": orjson.loads(last_run["errors"]),
        }
        coverage = conn.execute(
            select(T_COVERAGE).where(T_COVERAGE.c.run_id == (last_run["id"] if last_run else -1))
            .order_by(T_COVERAGE.c.source)
        ).mappings().all()
        summary["last_run_sources"] = [
            {"source": c["source"], "complete": bool(c["complete"]), "pages": c["pages"], "posts": c["posts"],
             "problem": c["detail"]} for c in coverage
        ]
        check = conn.execute(select(T_VERIFICATION).order_by(T_VERIFICATION.c.id.desc()).limit(1)).mappings().first()
        summary["last_verify"] = None if check is None else {
            "at": _iso(check["ended_at"]), "ok": bool(check["ok"]), "mismatches": check["mismatches"],
            "checked": orjson.loads(check["checked"]),
        }
        summary["sample_data"] = conn.execute(
            select(T_META.c.value).where(T_META.c.key == "sample_data")).scalar() == "1"
    return summary


def find_post(engine: Engine, ref: str) -> dict[str, Any]:
    """A post by any form ``archiver.resolve`` accepts (row id, platform id, edit id, URL, at:// URI)."""
    with engine.connect() as conn:
        post_id = resolve_post(conn, ref)
        return dict(conn.execute(select(T_POST).where(T_POST.c.id == post_id)).mappings().one())


def post_history(engine: Engine, ref: str) -> dict[str, Any]:
    """Every version of a post with its hashes and capture time, its status events and sightings."""
    post = find_post(engine, ref)
    with engine.connect() as conn:
        account = conn.execute(select(T_ACCOUNT).where(T_ACCOUNT.c.id == post["account_id"])).mappings().one()
        versions = conn.execute(select(T_SNAPSHOT).where(T_SNAPSHOT.c.post_id == post["id"])
                                .order_by(T_SNAPSHOT.c.version)).mappings().all()
        events = conn.execute(select(T_STATUS_EVENT).where(T_STATUS_EVENT.c.post_id == post["id"])
                              .order_by(T_STATUS_EVENT.c.id)).mappings().all()
        sightings = conn.execute(select(func.count(), func.min(T_SIGHTING.c.seen_at), func.max(T_SIGHTING.c.seen_at))
                                 .where(T_SIGHTING.c.post_id == post["id"])).one()
    return {
        "post": {k: _iso(v) for k, v in post.items()},
        "account": {"platform_id": account["platform_id"], "handle": account["handle"],
                    "display_name": account["display_name"]},
        "versions": [
            {"version": v["version"], "captured_at": _iso(v["captured_at"]), "capture_id": v["capture_id"],
             "raw_sha256": v["raw_sha256"], "content_sha256": v["content_sha256"], "content_id": v["content_id"],
             "platform_cid": v["platform_cid"], "cid_verified": v["cid_verified"], "lang": v["lang"],
             "text": v["text"]}
            for v in versions
        ],
        "status_events": [
            {"status": e["status"], "previous_status": e["previous_status"], "observed_at": _iso(e["observed_at"]),
             "reason": e["reason"], "capture_id": e["capture_id"]} for e in events
        ],
        "sightings": {"count": sightings[0], "first": _iso(sightings[1]), "last": _iso(sightings[2])},
    }
