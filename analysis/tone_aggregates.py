"""Tone summed up for the report and exports: per account per week, and per cascade.

Public surface:

- ``weekly_by_account(engine, include_reposts=False) -> list[WeeklyTone]``: for each account and
  ISO week (Monday, UTC) the mean and spread (sample standard deviation) of its posts' scores, how
  many posts it made and how many were scored, and why the rest were not. Reposts are left out by
  default: a repost's tone is the original author's words, not the account's own.
- ``cascade_tones(engine, root_post_ids=None) -> list[CascadeTone]``: each original statement's
  score against the tone of its responses: the quotes and replies that reference it directly
  (``post.quoted_id`` / ``post.replied_to_id`` on the same platform). The author's own replies are
  a thread continuing, not a response, and are left out. Deeper replies (replies to a reply) are
  responses to someone else and are not counted.

Every aggregate carries its coverage: a mean over 3 scored posts out of 40 says something
different from one over 38.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from analysis.tone_store import PostTone, ToneCoverage, coverage_of, post_tones
from archiver.tables import T_ACCOUNT, T_POST


def week_start(moment: datetime) -> date:
    """The Monday (UTC) of the ISO week ``moment`` falls in."""
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def _spread(scores: list[float]) -> tuple[float | None, float | None]:
    if not scores:
        return None, None
    return statistics.fmean(scores), (statistics.stdev(scores) if len(scores) > 1 else None)


@dataclass(frozen=True, slots=True)
class WeeklyTone:
    account_id: int
    platform: str
    handle: str | None
    week_start: date
    mean: float | None
    stdev: float | None
    coverage: ToneCoverage

    def as_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "platform": self.platform, "handle": self.handle,
                "week_start": self.week_start.isoformat(), "mean": self.mean, "stdev": self.stdev,
                "posts": self.coverage.total, "scored": self.coverage.scored,
                "not_scored": self.coverage.reasons}


def weekly_by_account(engine: Engine, include_reposts: bool = False) -> list[WeeklyTone]:
    """Tone per account per week, sorted by account then week (see the module docstring)."""
    query = (select(T_POST.c.id, T_POST.c.account_id, T_POST.c.created_at, T_POST.c.kind,
                    T_ACCOUNT.c.platform, T_ACCOUNT.c.handle)
             .join(T_ACCOUNT, T_ACCOUNT.c.id == T_POST.c.account_id))
    if not include_reposts:
        query = query.where(T_POST.c.kind != "repost")
    with engine.connect() as conn:
        rows = list(conn.execute(query))
    tones = post_tones(engine, [r.id for r in rows])
    groups: dict[tuple[int, date], list[PostTone]] = defaultdict(list)
    accounts: dict[int, tuple[str, str | None]] = {}
    for row in rows:
        groups[(row.account_id, week_start(row.created_at))].append(tones[row.id])
        accounts[row.account_id] = (row.platform, row.handle)
    result = []
    for (account_id, week), members in sorted(groups.items()):
        mean, stdev = _spread([t.score for t in members if t.score is not None])
        platform, handle = accounts[account_id]
        result.append(WeeklyTone(account_id, platform, handle, week, mean, stdev, coverage_of(members)))
    return result


@dataclass(frozen=True, slots=True)
class CascadeTone:
    """An original's tone against its direct responses'. ``shift`` = responses' mean - original's
    score (None unless both exist)."""

    root_post_id: int
    root: PostTone
    responses_mean: float | None
    responses_stdev: float | None
    quotes_mean: float | None
    replies_mean: float | None
    shift: float | None
    responses: ToneCoverage

    def as_dict(self) -> dict[str, Any]:
        return {"root_post_id": self.root_post_id, "root_score": self.root.score, "root_label": self.root.label,
                "root_abstain_reason": self.root.abstain_reason, "responses_mean": self.responses_mean,
                "responses_stdev": self.responses_stdev, "quotes_mean": self.quotes_mean,
                "replies_mean": self.replies_mean, "shift": self.shift,
                "responses": self.responses.as_dict()}


def _responses(engine: Engine, root_post_ids: list[int] | None) -> dict[int, list[tuple[int, str]]]:
    """root post id -> [(response post id, 'quote' | 'reply')], other authors only."""
    root = T_POST.alias("root")
    child = T_POST.alias("child")
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    with engine.connect() as conn:
        for column, kind in ((child.c.quoted_id, "quote"), (child.c.replied_to_id, "reply")):
            query = (select(root.c.id, child.c.id, child.c.kind)
                     .join(child, and_(child.c.platform == root.c.platform, column == root.c.platform_id))
                     .where(root.c.kind != "repost", child.c.kind != "repost",
                            child.c.account_id != root.c.account_id))
            if root_post_ids is not None:
                query = query.where(root.c.id.in_(root_post_ids))
            for root_id, child_id, child_kind in conn.execute(query):
                # A reply that also quotes is counted once, by its own kind.
                if child_kind in ("quote", "reply") and child_kind != kind:
                    continue
                found[root_id].append((child_id, kind))
    return found


def cascade_tones(engine: Engine, root_post_ids: list[int] | None = None) -> list[CascadeTone]:
    """Originals with at least one direct response, by root post id (see the module docstring)."""
    responses = _responses(engine, root_post_ids)
    wanted = set(responses) | {c for children in responses.values() for c, _ in children}
    tones = post_tones(engine, wanted)
    result = []
    for root_id in sorted(responses):
        children = responses[root_id]
        members = [tones[c] for c, _ in children]
        mean, stdev = _spread([t.score for t in members if t.score is not None])
        quotes, _ = _spread([s for c, k in children if k == "quote" and (s := tones[c].score) is not None])
        replies, _ = _spread([s for c, k in children if k == "reply" and (s := tones[c].score) is not None])
        root = tones[root_id]
        shift = mean - root.score if (mean is not None and root.score is not None) else None
        result.append(CascadeTone(root_id, root, mean, stdev, quotes, replies, shift, coverage_of(members)))
    return result
