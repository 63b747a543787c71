"""Account pages and the account list: posts over time, tone over time, amplification, handles.

Accounts are read a batch at a time with their posts, so memory stays bounded however many posts an
account has; a long post list is split into pages of ``LIST_SIZE`` (``<id>~p2.html``, ...; ``~`` never
occurs in an escaped id followed by ``p``, so these names cannot collide with another account's).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from archiver.chunks import chunked
from archiver.tables import T_ACCOUNT, T_HANDLE, T_POST, T_SNAPSHOT
from archiver.timeutil import readable_utc, utc_week
from reports import paths
from reports.charts import bar_chart, score_chart
from reports.facts import grouped

ACCOUNT_BATCH = 50
LIST_SIZE = 500
EXCERPT = 140


def account_list(conn: Connection) -> dict[str, Any]:
    page = "accounts/index.html"
    by_account = select(T_POST.c.account_id, func.count()).group_by(T_POST.c.account_id)
    counts: dict[int, int] = {int(a): int(n) for a, n in conn.execute(by_account)}
    rows = conn.execute(select(T_ACCOUNT).order_by(T_ACCOUNT.c.tracked.desc(), T_ACCOUNT.c.platform,
                                                   T_ACCOUNT.c.handle, T_ACCOUNT.c.id)).mappings().all()
    return {"page_path": page, "title": "Accounts", "accounts": [
        {"handle": r["handle"], "display_name": r["display_name"], "platform": r["platform"],
         "platform_id": r["platform_id"], "tracked": bool(r["tracked"]), "posts": counts.get(r["id"], 0),
         "href": paths.relative(page, paths.account_page(r["platform"], r["platform_id"]))}
        for r in rows]}


def account_pages(conn: Connection, tones: dict[int, Any] | None, amplification: list[dict[str, Any]] | None,
                  only: set[int] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(account id, context) for each page of every account (or of the ``only`` ones)."""
    everyone = conn.execute(select(T_ACCOUNT).order_by(T_ACCOUNT.c.id)).mappings().all()
    by_id = {a["id"]: a for a in everyone}
    accounts = [a for a in everyone if only is None or a["id"] in only]
    for batch in chunked(accounts, ACCOUNT_BATCH):
        ids = [a["id"] for a in batch]
        handles = grouped(conn.execute(
            select(T_HANDLE.c.account_id, T_HANDLE.c.handle, T_HANDLE.c.first_seen_at)
            .where(T_HANDLE.c.account_id.in_(ids)).order_by(T_HANDLE.c.first_seen_at, T_HANDLE.c.handle)), "account_id")
        posts = grouped(conn.execute(
            select(T_POST.c.account_id, T_POST.c.id, T_POST.c.platform, T_POST.c.platform_id, T_POST.c.kind,
                   T_POST.c.created_at, T_POST.c.status, T_POST.c.version_count,
                   func.substr(T_SNAPSHOT.c.text, 1, EXCERPT + 1).label("excerpt"))
            .outerjoin(T_SNAPSHOT, T_SNAPSHOT.c.id == T_POST.c.current_snapshot_id)
            .where(T_POST.c.account_id.in_(ids))
            .order_by(T_POST.c.account_id, T_POST.c.created_at.desc(), T_POST.c.id.desc())), "account_id")
        for account in batch:
            yield from _pages_for(account, handles.get(account["id"], []), posts.get(account["id"], []),
                                  tones, amplification, by_id)


def _pages_for(account: Any, handles: list[Any], posts: list[Any], tones: dict[int, Any] | None,
               amplification: list[dict[str, Any]] | None,
               by_id: dict[int, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    main = paths.account_page(account["platform"], account["platform_id"])
    pages = max(1, -(-len(posts) // LIST_SIZE))
    names = [main] + [main[: -len(".html")] + f"~p{n}.html" for n in range(2, pages + 1)]
    label = account["handle"] or account["platform_id"]
    head = {
        "handle": account["handle"], "display_name": account["display_name"], "platform": account["platform"],
        "platform_id": account["platform_id"], "tracked": bool(account["tracked"]),
        "first_seen_at": readable_utc(account["first_seen_at"]),
        "post_count": len(posts),
    }
    for number, page in enumerate(names, start=1):
        listed = posts[(number - 1) * LIST_SIZE : number * LIST_SIZE]
        context: dict[str, Any] = {
            "page_path": page, "title": f"Account {label}" + (f" (posts, page {number})" if number > 1 else ""),
            "account": head, "page_number": number,
            "pager": [{"number": n, "href": paths.relative(page, name), "current": n == number}
                      for n, name in enumerate(names, start=1)] if len(names) > 1 else [],
            "posts": [{"href": paths.relative(page, paths.post_page(p.platform, p.platform_id)),
                       "platform_id": p.platform_id, "kind": p.kind, "created_at": readable_utc(p.created_at),
                       "status": p.status, "versions": p.version_count, "excerpt": _excerpt(p.excerpt)}
                      for p in listed],
        }
        if number == 1:
            context.update(_overview(account, handles, posts, tones, amplification, by_id, page, label))
        yield account["id"], context


def _excerpt(text: str | None) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _weeks(first: datetime, last: datetime) -> list[str]:
    """Every ISO week from ``first`` to ``last``, so quiet weeks show as gaps, not as nothing."""
    if first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    monday = (first - timedelta(days=first.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    while monday <= last:
        out.append(utc_week(monday))
        monday += timedelta(days=7)
    return out


def _overview(account: Any, handles: list[Any], posts: list[Any], tones: dict[int, Any] | None,
              amplification: list[dict[str, Any]] | None, by_id: dict[int, Any], page: str,
              label: str) -> dict[str, Any]:
    weeks = _weeks(posts[-1].created_at, posts[0].created_at) if posts else []
    per_week = {w: 0 for w in weeks}
    scores: dict[str, list[float]] = {w: [] for w in weeks}
    scored = 0
    reasons: dict[str, int] = {}
    for p in posts:
        week = utc_week(p.created_at)
        per_week[week] += 1
        tone = tones.get(p.id) if tones is not None else None
        if tone is None:
            continue
        if tone.score is not None:
            scores[week].append(float(tone.score))
            scored += 1
        else:
            reason = tone.abstain_reason or "unknown"
            reasons[reason] = reasons.get(reason, 0) + 1
    slug = "acct"
    tone_points = [(w, (sum(s) / len(s)) if s else None, len(s)) for w, s in scores.items()]
    out: dict[str, Any] = {
        "handles": [{"handle": h.handle, "first_seen_at": readable_utc(h.first_seen_at)} for h in handles],
        "posts_chart": bar_chart(f"{slug}-posts", f"Posts per week by {label}", list(per_week.items()), "posts"),
        "posts_table": [{"week": w, "count": c} for w, c in per_week.items()],
        "tone_analysed": tones is not None,
        "tone_chart": score_chart(f"{slug}-tone", f"Mean tone per week of {label}'s posts", tone_points)
        if tones is not None else None,
        "tone_table": [{"week": w, "mean": f"{m:+.3f}" if m is not None else None, "scored": n}
                       for w, m, n in tone_points],
        "tone_coverage": {"total": len(posts), "scored": scored, "reasons": sorted(reasons.items())},
        "amplification_analysed": amplification is not None,
        "given": [], "received": [],
    }
    for row in amplification or []:
        if row["source_account_id"] == account["id"]:
            other, side = by_id.get(row["target_account_id"]), "given"
        elif row["target_account_id"] == account["id"]:
            other, side = by_id.get(row["source_account_id"]), "received"
        else:
            continue
        if other is None:
            continue
        out[side].append({
            "other": other["handle"] or other["platform_id"],
            "href": paths.relative(page, paths.account_page(other["platform"], other["platform_id"])),
            "kind": row["kind"], "count": row["count"], "median_latency": row["median_latency"],
            "first_at": row["first_at"], "last_at": row["last_at"]})
    return out
