"""The index (archive overview) and the method page.

The index answers a newcomer's questions in order: what is in this archive, when was it captured,
what changed (edits, deletions), how statements spread, in what tone, and can it be trusted (the
last ``archiver verify``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from archiver.tables import (
    T_ACCOUNT,
    T_CAPTURE,
    T_COVERAGE,
    T_MEDIA,
    T_POST,
    T_RUN,
    T_SNAPSHOT,
    T_STATUS_EVENT,
    T_TONE,
    T_VERIFICATION,
)
from archiver.timeutil import readable_utc
from reports import paths
from reports.charts import bar_chart
from reports.context_cascades import cascade_list

RECENT = 50
TOP_CASCADES = 10


def _count(conn: Connection, table: Any, *where: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _timeline(conn: Connection) -> tuple[list[tuple[str, int]], str]:
    """Captures per day, per hour when everything was captured within two days, or per run when
    within one hour (a demo, or a first import): the bars then still tell the runs apart."""
    times = [t if t.tzinfo else t.replace(tzinfo=UTC)
             for (t,) in conn.execute(select(T_CAPTURE.c.fetched_at).order_by(T_CAPTURE.c.fetched_at))]
    if not times:
        return [], "day"
    if times[-1] - times[0] <= timedelta(hours=1):
        per_run = conn.execute(select(T_CAPTURE.c.run_id, func.count()).group_by(T_CAPTURE.c.run_id)
                               .order_by(T_CAPTURE.c.run_id)).all()
        return [(f"run {r}" if r is not None else "no run", n) for r, n in per_run], "run"
    hourly = times[-1] - times[0] <= timedelta(days=2)
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    fmt = "%Y-%m-%d %H:00" if hourly else "%Y-%m-%d"

    def bucket(t: datetime) -> datetime:
        t = t.astimezone(UTC)
        return t.replace(minute=0, second=0, microsecond=0) if hourly else \
            t.replace(hour=0, minute=0, second=0, microsecond=0)

    counts: dict[datetime, int] = {}
    for t in times:
        counts[bucket(t)] = counts.get(bucket(t), 0) + 1
    out = []
    cursor, last = bucket(times[0]), bucket(times[-1])
    while cursor <= last:
        out.append((cursor.strftime(fmt), counts.get(cursor, 0)))
        cursor += step
    return out, "hour" if hourly else "day"


def index_context(conn: Connection, tone_summary: dict[str, Any] | None, has_cascades: bool) -> dict[str, Any]:
    page = "index.html"
    timeline, unit = _timeline(conn)
    edits = conn.execute(
        select(T_SNAPSHOT.c.captured_at, T_SNAPSHOT.c.version, T_POST.c.platform, T_POST.c.platform_id,
               T_ACCOUNT.c.handle)
        .join(T_POST, T_POST.c.id == T_SNAPSHOT.c.post_id).join(T_ACCOUNT, T_ACCOUNT.c.id == T_POST.c.account_id)
        .where(T_SNAPSHOT.c.version > 1)
        .order_by(T_SNAPSHOT.c.captured_at.desc(), T_SNAPSHOT.c.id.desc()).limit(RECENT)).all()
    events = conn.execute(
        select(T_STATUS_EVENT.c.observed_at, T_STATUS_EVENT.c.status, T_STATUS_EVENT.c.previous_status,
               T_STATUS_EVENT.c.reason, T_POST.c.platform, T_POST.c.platform_id, T_ACCOUNT.c.handle)
        .join(T_POST, T_POST.c.id == T_STATUS_EVENT.c.post_id).join(T_ACCOUNT, T_ACCOUNT.c.id == T_POST.c.account_id)
        .order_by(T_STATUS_EVENT.c.observed_at.desc(), T_STATUS_EVENT.c.id.desc()).limit(RECENT)).all()
    runs = conn.execute(select(T_RUN).order_by(T_RUN.c.id.desc()).limit(20)).mappings().all()
    last_run = runs[0]["id"] if runs else None
    incomplete = conn.execute(
        select(T_COVERAGE.c.source, T_COVERAGE.c.reason).where(T_COVERAGE.c.run_id == last_run,
                                                               T_COVERAGE.c.complete.is_(False))
        .order_by(T_COVERAGE.c.source)).all() if last_run is not None else []
    check = conn.execute(select(T_VERIFICATION).order_by(T_VERIFICATION.c.id.desc()).limit(1)).mappings().first()
    return {
        "page_path": page,
        "title": "Archive overview",
        "counts": {
            "accounts": _count(conn, T_ACCOUNT), "tracked": _count(conn, T_ACCOUNT, T_ACCOUNT.c.tracked.is_(True)),
            "posts": _count(conn, T_POST), "snapshots": _count(conn, T_SNAPSHOT), "captures": _count(conn, T_CAPTURE),
            "edited": _count(conn, T_POST, T_POST.c.version_count > 1),
            "deleted": _count(conn, T_POST, T_POST.c.status == "deleted"),
            "media": _count(conn, T_MEDIA), "runs": _count(conn, T_RUN),
        },
        "timeline": bar_chart("captures", f"Captures per {unit}", timeline, "captures"),
        "timeline_table": timeline, "timeline_unit": unit,
        "edits": [{"when": readable_utc(e.captured_at), "version": e.version, "handle": e.handle, "id": e.platform_id,
                   "href": paths.relative(page, paths.post_page(e.platform, e.platform_id))} for e in edits],
        "events": [{"when": readable_utc(e.observed_at), "status": e.status, "previous": e.previous_status,
                    "reason": e.reason, "handle": e.handle, "id": e.platform_id,
                    "href": paths.relative(page, paths.post_page(e.platform, e.platform_id))} for e in events],
        "cascades": cascade_list(conn, TOP_CASCADES, page) if has_cascades else None,
        "tone": tone_summary,
        "verification": None if check is None else {
            "started_at": readable_utc(check["started_at"]), "ended_at": readable_utc(check["ended_at"]),
            "ok": bool(check["ok"]),
            "checked": sorted(orjson.loads(check["checked"] or "{}").items()), "mismatches": check["mismatches"],
            "details": [str(d) for d in orjson.loads(check["details"] or "[]")[:20]]},
        "runs": [{"id": r["id"], "kind": r["kind"], "started_at": readable_utc(r["started_at"]),
                  "ended_at": readable_utc(r["ended_at"]), "status": r["status"],
                  "counts": ", ".join(f"{k} {v}" for k, v in sorted(orjson.loads(r["counts"] or "{}").items())
                                      if isinstance(v, int))} for r in runs],
        "incomplete": [{"source": s, "reason": reason} for s, reason in incomplete],
        "coverage_gaps": _coverage_gaps(conn),
    }


def _coverage_gaps(conn: Connection) -> list[str]:
    """Every recorded gap (missed schedule slots, rate-limited or failing sources, time ranges with no
    complete capture, interrupted runs), judged at the archive's own clock so the page stays a pure
    function of the archive."""
    from archiver.ops.coverage import archive_clock, coverage_report

    engine = conn.engine
    now = archive_clock(engine)
    if now is None:
        return []
    report = coverage_report(engine, now=now)
    return [] if report.ok else report.lines()


def tone_summary(tones: dict[int, Any]) -> dict[str, Any]:
    """Coverage first (how many posts have a score at all), then the labels among the scored."""
    labels: dict[str, int] = {}
    reasons: dict[str, int] = {}
    irony = 0
    for tone in tones.values():
        if tone.score is None:
            key = tone.abstain_reason or "unknown"
            reasons[key] = reasons.get(key, 0) + 1
        else:
            labels[tone.label or "unlabelled"] = labels.get(tone.label or "unlabelled", 0) + 1
            irony += bool(tone.possible_irony)
    scored = sum(labels.values())
    total = len(tones)
    return {"total": total, "scored": scored, "share": f"{100 * scored / total:.1f}" if total else "0.0",
            "labels": sorted(labels.items()), "reasons": sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
            "irony": irony}


def method_context(conn: Connection, has_cascades: bool, has_tone: bool) -> dict[str, Any]:
    versions: list[dict[str, Any]] = []
    if has_cascades:
        from archiver.tables import T_ANALYSIS_RUN as R

        latest = conn.execute(select(R.c.analyzer, R.c.version, func.max(R.c.id))
                              .group_by(R.c.analyzer, R.c.version).order_by(R.c.analyzer, R.c.version)).all()
        versions += [{"analyzer": a, "version": v} for a, v, _ in latest]
    if has_tone:
        t = T_TONE
        # Grouped by the indexed version column alone: no sort of every tone row.
        versions += [{"analyzer": f"tone ({a})", "version": v, "count": n} for v, a, n in conn.execute(
            select(t.c.analyzer_version, func.min(t.c.analyzer), func.count()).group_by(t.c.analyzer_version)
            .order_by(t.c.analyzer_version))]
    example = conn.execute(select(T_SNAPSHOT.c.id, T_SNAPSHOT.c.raw_sha256).order_by(T_SNAPSHOT.c.id).limit(1)).first()
    from reports.tone_curve import tone_validation_context

    return {"page_path": "method.html", "title": "Method: how to check this archive", "versions": versions,
            "tone_validation": tone_validation_context() if has_tone else None,
            "example": {"raw": paths.raw_file(example.id), "sha": example.raw_sha256} if example else None}
