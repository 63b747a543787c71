"""Reading the stored analysis back for people: the largest cascades and who amplified whom.

Used by ``archiver export amplification``, ``archiver demo`` and the report; the rows carry account
handles so that a reader never has to join ids by hand.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from archiver.errors import BadInputError
from archiver.tables import T_ACCOUNT, T_AMPLIFICATION, T_CASCADE, T_POST

AMPLIFICATION_COLUMNS = (
    "source_platform", "source_id", "source_handle", "target_platform", "target_id", "target_handle",
    "kind", "count", "median_latency_s", "min_latency_s", "first_at", "last_at", "analyzer_version",
)


def load_amplification(engine: Engine) -> list[dict[str, Any]]:
    """Every amplification row with both accounts' platform, id and handle, most frequent first."""
    source, target = T_ACCOUNT.alias("source"), T_ACCOUNT.alias("target")
    a = T_AMPLIFICATION
    query = (
        select(source.c.platform.label("source_platform"), source.c.platform_id.label("source_id"),
               source.c.handle.label("source_handle"), target.c.platform.label("target_platform"),
               target.c.platform_id.label("target_id"), target.c.handle.label("target_handle"),
               a.c.kind, a.c.count, a.c.median_latency_s, a.c.min_latency_s, a.c.first_at, a.c.last_at,
               a.c.analyzer_version)
        .join(source, source.c.id == a.c.source_account_id)
        .join(target, target.c.id == a.c.target_account_id)
        .order_by(a.c.count.desc(), source.c.handle, target.c.handle, a.c.kind)
    )
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def largest_cascades(engine: Engine, limit: int = 5) -> list[dict[str, Any]]:
    """The biggest cascades with their root post's URL and author handle."""
    c = T_CASCADE
    query = (
        select(c.c.root_post_id, T_POST.c.url, T_ACCOUNT.c.handle, c.c.platform, c.c.size_posts, c.c.size_accounts,
               c.c.depth, c.c.max_breadth, c.c.structural_virality, c.c.reposts, c.c.quotes, c.c.replies,
               c.c.median_latency_s, c.c.missing_parents, c.c.depth_is_lower_bound, c.c.exact_edges,
               c.c.inferred_edges, c.c.root_default_edges)
        .join(T_POST, T_POST.c.id == c.c.root_post_id)
        .join(T_ACCOUNT, T_ACCOUNT.c.id == c.c.root_account_id)
        .order_by(c.c.size_posts.desc(), c.c.root_post_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def write_amplification_csv(engine: Engine, out: Path) -> int:
    """Write the amplification table (with handles) as CSV; returns the number of rows."""
    if not out.parent.exists():
        raise BadInputError(f"--out {out}: directory {out.parent} does not exist")
    rows = load_amplification(engine)
    partial = out.with_name(out.name + ".partial")
    try:
        with open(partial, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=AMPLIFICATION_COLUMNS)
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, "first_at": row["first_at"].isoformat(),
                                 "last_at": row["last_at"].isoformat()})
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return len(rows)


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def describe(engine: Engine, limit: int = 5) -> list[str]:
    """A few lines for a terminal: the largest cascades, then amplification between officials."""
    lines = []
    cascades = largest_cascades(engine, limit)
    if cascades:
        lines.append("largest cascades:")
    for c in cascades:
        bound = " (depth/virality are lower bounds)" if c["depth_is_lower_bound"] else ""
        lines.append(
            f"  @{c['handle'] or '?'} {c['url']}: {c['size_posts']} posts by {c['size_accounts']} accounts "
            f"({c['reposts']} reposts, {c['quotes']} quotes, {c['replies']} replies), depth {c['depth']}, "
            f"virality {c['structural_virality']:.2f}, median latency {_minutes(c['median_latency_s'])}; "
            f"edges {c['exact_edges']} exact / {c['inferred_edges']} inferred / "
            f"{c['root_default_edges']} root_default{bound}"
        )
    amplification = load_amplification(engine)
    if amplification:
        lines.append("amplification between tracked accounts:")
    for a in amplification[: limit * 3]:
        verb = {"repost": "reposted", "quote": "quoted", "reply": "replied to"}[a["kind"]]
        lines.append(f"  @{a['source_handle'] or a['source_id']} {verb} @{a['target_handle'] or a['target_id']} "
                     f"{a['count']}x "
                     f"({a['source_platform']}), median {_minutes(a['median_latency_s'])} after the post, "
                     f"fastest {_minutes(a['min_latency_s'])}")
    return lines

