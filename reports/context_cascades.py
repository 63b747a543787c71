"""Cascade pages, the cascade list, and amplification rows, from the tables ``archiver analyze`` fills.

These tables are derived (analysis/cascade_models.py). A cascade page shows the metrics with their
lower-bound flags and draws the tree with each edge's provenance, because a reader must be able to
tell an edge the platform records from one the analysis inferred.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Connection

from archiver.chunks import chunked
from archiver.tables import T_ACCOUNT, T_POST, T_SNAPSHOT
from archiver.timeutil import readable_utc
from reports import paths
from reports.tree_svg import TreeNode, legend_svg, tree_svg

CASCADE_BATCH = 200
MAX_DRAWN = 400  # nodes drawn in the SVG; the rest are counted, and listed in the edge table
MAX_LISTED = 1000


def duration(seconds: float | None) -> str | None:
    """A latency as a person reads it: ``42 s``, ``7 min 5 s``, ``3 h 12 min``, ``2 d 4 h``."""
    if seconds is None:
        return None
    s = int(round(seconds))
    sign = "-" if s < 0 else ""
    s = abs(s)
    if s < 60:
        return f"{sign}{s} s"
    if s < 3600:
        return f"{sign}{s // 60} min {s % 60} s"
    if s < 86400:
        return f"{sign}{s // 3600} h {s % 3600 // 60} min"
    return f"{sign}{s // 86400} d {s % 86400 // 3600} h"


def amplification_rows(conn: Connection) -> list[dict[str, Any]]:
    from archiver.tables import T_AMPLIFICATION as A

    rows = conn.execute(select(A).order_by(A.c.source_account_id, A.c.target_account_id, A.c.kind)).mappings()
    return [{"source_account_id": r["source_account_id"], "target_account_id": r["target_account_id"],
             "kind": r["kind"], "count": r["count"], "median_latency": duration(r["median_latency_s"]),
             "first_at": readable_utc(r["first_at"]), "last_at": readable_utc(r["last_at"])} for r in rows]


def _metrics(c: Any) -> list[dict[str, Any]]:
    """Each metric with its flag: a lower bound or estimate is marked, never shown as exact."""
    def row(name: str, value: Any, flag: str | None = None) -> dict[str, Any]:
        return {"name": name, "value": value, "flag": flag}

    lb = "lower bound"
    est = "estimate"
    return [
        row("Posts in the cascade (size)", c["size_posts"], lb if c["size_is_lower_bound"] else None),
        row("Distinct accounts", c["size_accounts"]),
        row("Depth", c["depth"], lb if c["depth_is_lower_bound"] else None),
        row("Largest breadth at one depth", c["max_breadth"], est if c["breadth_is_estimate"] else None),
        row("Structural virality", f"{c['structural_virality']:.3f}", lb if c["virality_is_lower_bound"] else None),
        row("Time to first reshare", duration(c["time_to_first_reshare_s"])),
        row("Median latency", duration(c["median_latency_s"])),
        row("90th percentile latency", duration(c["p90_latency_s"])),
        row("Time to 10 posts", duration(c["time_to_size_10_s"])),
        row("Time to 100 posts", duration(c["time_to_size_100_s"])),
        row("Reposts / quotes / replies", f"{c['reposts']} / {c['quotes']} / {c['replies']}"),
        row("Edges exact / inferred / root_default",
            f"{c['exact_edges']} / {c['inferred_edges']} / {c['root_default_edges']}"),
        row("Reshares whose parent is not archived", c["missing_parents"]),
    ]


def cascade_list(conn: Connection, limit: int | None = None, page: str = "cascades/index.html") -> list[dict]:
    from archiver.tables import T_CASCADE as C

    query = (select(C.c.root_post_id, C.c.platform, T_POST.c.platform_id, T_ACCOUNT.c.handle, C.c.size_posts,
                    C.c.size_is_lower_bound, C.c.depth, C.c.depth_is_lower_bound, C.c.root_created_at,
                    C.c.structural_virality)
             .join(T_POST, T_POST.c.id == C.c.root_post_id).join(T_ACCOUNT, T_ACCOUNT.c.id == C.c.root_account_id)
             .order_by(C.c.size_posts.desc(), C.c.root_post_id))
    if limit:
        query = query.limit(limit)
    return [{"href": paths.relative(page, paths.cascade_page(r.platform, r.platform_id)), "platform": r.platform,
             "root_id": r.platform_id, "handle": r.handle, "size": r.size_posts, "size_lb": bool(r.size_is_lower_bound),
             "depth": r.depth, "depth_lb": bool(r.depth_is_lower_bound), "created_at": readable_utc(r.root_created_at),
             "virality": f"{r.structural_virality:.3f}"} for r in conn.execute(query)]


def cascade_pages(conn: Connection, only: set[int] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(root post id, context) for every cascade (or the ``only`` ones)."""
    from archiver.tables import T_CASCADE as C
    from archiver.tables import T_EDGE as E

    roots = [r for r in conn.execute(select(C).order_by(C.c.root_post_id)).mappings().all()
             if only is None or r["root_post_id"] in only]
    for batch in chunked(roots, CASCADE_BATCH):
        ids = [r["root_post_id"] for r in batch]
        edges: dict[int, list[Any]] = {}
        query = (select(E.c.root_post_id, E.c.child_post_id, E.c.parent_post_id, E.c.kind, E.c.provenance,
                        E.c.created_at, T_POST.c.platform_id.label("post_platform_id"), T_ACCOUNT.c.handle,
                        T_ACCOUNT.c.platform_id.label("account_platform_id"))
                 .join(T_POST, T_POST.c.id == E.c.child_post_id).join(T_ACCOUNT, T_ACCOUNT.c.id == T_POST.c.account_id)
                 .where(E.c.root_post_id.in_(ids)).order_by(E.c.root_post_id, E.c.created_at, E.c.child_post_id))
        for row in conn.execute(query):
            edges.setdefault(row.root_post_id, []).append(row)
        root_posts = {r.id: r for r in conn.execute(
            select(T_POST.c.id, T_POST.c.platform_id.label("post_platform_id"), T_POST.c.created_at, T_POST.c.kind,
                   T_ACCOUNT.c.handle, T_ACCOUNT.c.platform_id.label("account_platform_id"), T_SNAPSHOT.c.text)
            .join(T_ACCOUNT, T_ACCOUNT.c.id == T_POST.c.account_id)
            .outerjoin(T_SNAPSHOT, T_SNAPSHOT.c.id == T_POST.c.current_snapshot_id)
            .where(T_POST.c.id.in_(ids)))}
        for cascade in batch:
            yield cascade["root_post_id"], _page(cascade, root_posts[cascade["root_post_id"]],
                                                 edges.get(cascade["root_post_id"], []))[1]


def _who(row: Any) -> str:
    """An account as the page names it: its handle, or its platform id when no handle is known."""
    return str(row.handle or row.account_platform_id)


def _page(c: Any, root: Any, edges: list[Any]) -> tuple[str, dict[str, Any]]:
    platform = c["platform"]
    page = paths.cascade_page(platform, root.post_platform_id)
    index = {root.id: 0}
    nodes = [TreeNode(-1, _who(root), f"{_who(root)}: original post, {readable_utc(root.created_at)}", None,
                      paths.relative(page, paths.post_page(platform, root.post_platform_id)))]
    # Edges come in creation order, so a parent (always earlier) is placed before its children; an
    # edge whose parent is not yet placed (bad data) is left out of the drawing but stays in the table.
    for e in edges:
        if len(nodes) >= MAX_DRAWN:
            break
        parent = index.get(e.parent_post_id)
        if parent is None:
            continue
        index[e.child_post_id] = len(nodes)
        who = _who(e)
        nodes.append(TreeNode(parent, who, f"{who}: {e.kind} ({e.provenance}), {readable_utc(e.created_at)}",
                              e.provenance, paths.relative(page, paths.post_page(platform, e.post_platform_id))))
    handle_of = {root.id: _who(root), **{e.child_post_id: _who(e) for e in edges}}
    pid_of = {root.id: root.post_platform_id, **{e.child_post_id: e.post_platform_id for e in edges}}
    label = _who(root)
    context = {
        "page_path": page,
        "title": f"Cascade of {label}'s post {root.post_platform_id}",
        "root": {"platform": platform, "platform_id": root.post_platform_id, "handle": label,
                 "created_at": readable_utc(root.created_at), "text": root.text or "",
                 "href": paths.relative(page, paths.post_page(platform, root.post_platform_id))},
        "metrics": _metrics(c),
        "by_platform": sorted(orjson.loads(c["by_platform"] or "{}").items()),
        "time_to_depth": [duration(t) for t in orjson.loads(c["time_to_depth"] or "[]")],
        "analyzer_version": c["analyzer_version"],
        "tree": tree_svg("tree", f"Reshare tree of {label}'s post, {len(nodes)} of {c['size_posts']} posts drawn",
                         nodes),
        "legend": legend_svg(),
        "drawn": len(nodes), "size": c["size_posts"],
        "edges": [{"when": readable_utc(e.created_at), "who": _who(e), "kind": e.kind, "provenance": e.provenance,
                   "href": paths.relative(page, paths.post_page(platform, e.post_platform_id)),
                   "parent": handle_of.get(e.parent_post_id, "?"),
                   "parent_href": paths.relative(page, paths.post_page(platform, pid_of[e.parent_post_id]))
                   if e.parent_post_id in pid_of else None}
                  for e in edges[:MAX_LISTED]],
        "edges_total": len(edges),
    }
    return page, context
