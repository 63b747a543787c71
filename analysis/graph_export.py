"""``archiver export graph``: reshare cascades as a graph for Gephi (GEXF, GraphML) or a CSV edge list.

Edges point from parent to child, the direction the statement travelled, and carry ``kind`` and
``provenance`` so an inferred link is never drawn as a fact without its label. With
``--nodes accounts`` posts are folded into their authors: one edge per (parent author, child
author) with ``weight`` and counts per kind and per provenance. Written through networkx; the CSV
edge list uses the csv module over the same graph because networkx's ``write_edgelist`` does not
quote fields. Every file is written to a temporary name and renamed, so a failed export leaves
nothing half-written.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
from sqlalchemy import select
from sqlalchemy.engine import Engine

from analysis.cascades import cascade_root, find_post
from analysis.compute import ANALYZER
from archiver.errors import BadInputError
from archiver.tables import T_ACCOUNT, T_ANALYSIS_RUN, T_EDGE, T_POST
from archiver.timeutil import iso_offset

FORMATS = ("gexf", "graphml", "csv")
NODE_KINDS = ("posts", "accounts")
_KINDS = ("repost", "quote", "reply")
_PROVENANCE = ("exact", "inferred", "root_default")


def _iso(value: Any) -> str:
    return iso_offset(value) if value is not None else ""


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    """GEXF and GraphML have no null: drop empty attributes."""
    return {k: v for k, v in attrs.items() if v is not None}


def build_graph(engine: Engine, nodes: str = "posts", cascade: str | None = None) -> nx.DiGraph:
    """The stored reshare edges (all, or one cascade's) as a directed graph, parent -> child."""
    if nodes not in NODE_KINDS:
        raise BadInputError(f"--nodes {nodes}: expected posts or accounts")
    parent_post, child_post = T_POST.alias("parent_post"), T_POST.alias("child_post")
    parent_account, child_account = T_ACCOUNT.alias("parent_account"), T_ACCOUNT.alias("child_account")
    query = (
        select(T_EDGE.c.kind, T_EDGE.c.provenance, T_EDGE.c.created_at, T_EDGE.c.root_post_id,
               *(c.label(f"p_{c.name}") for c in (parent_post.c.id, parent_post.c.platform,
                                                   parent_post.c.platform_id, parent_post.c.url,
                                                   parent_post.c.kind, parent_post.c.created_at)),
               *(c.label(f"c_{c.name}") for c in (child_post.c.id, child_post.c.platform, child_post.c.platform_id,
                                                  child_post.c.url, child_post.c.kind, child_post.c.created_at)),
               *(c.label(f"pa_{c.name}") for c in (parent_account.c.platform_id, parent_account.c.handle,
                                                    parent_account.c.display_name, parent_account.c.tracked)),
               *(c.label(f"ca_{c.name}") for c in (child_account.c.platform_id, child_account.c.handle,
                                                    child_account.c.display_name, child_account.c.tracked)))
        .select_from(T_EDGE)
        .join(parent_post, parent_post.c.id == T_EDGE.c.parent_post_id)
        .join(child_post, child_post.c.id == T_EDGE.c.child_post_id)
        .join(parent_account, parent_account.c.id == parent_post.c.account_id)
        .join(child_account, child_account.c.id == child_post.c.account_id)
        .order_by(T_EDGE.c.child_post_id)
    )
    with engine.connect() as conn:
        ran = conn.execute(select(T_ANALYSIS_RUN.c.id).where(T_ANALYSIS_RUN.c.analyzer == ANALYZER).limit(1))
        if ran.first() is None:
            raise BadInputError("no cascade analysis in this archive: run `archiver analyze` first")
        if cascade is not None:
            root = cascade_root(conn, find_post(conn, cascade))
            query = query.where(T_EDGE.c.root_post_id == root)
        rows = conn.execute(query).mappings().all()
        if cascade is not None and not rows:
            raise BadInputError(f"--cascade {cascade}: the post is in no cascade (nobody reshared it)")
    graph = nx.DiGraph(name="reshare cascades", edge_direction="parent -> child")
    add = _add_post_edge if nodes == "posts" else _add_account_edge
    for row in rows:
        add(graph, row)
    return graph


def _post_node(row: Any, prefix: str, account: str) -> tuple[str, dict[str, Any]]:
    key = f"{row[prefix + 'platform']}:{row[prefix + 'platform_id']}"
    return key, _clean({
        "label": f"@{row[account + 'handle']} {row[prefix + 'kind']}" if row[account + "handle"] else key,
        "platform": row[prefix + "platform"], "platform_id": row[prefix + "platform_id"],
        "url": row[prefix + "url"], "kind": row[prefix + "kind"], "created_at": _iso(row[prefix + "created_at"]),
        "account": row[account + "platform_id"], "handle": row[account + "handle"],
        "tracked": bool(row[account + "tracked"]),
    })


def _add_post_edge(graph: nx.DiGraph, row: Any) -> None:
    parent, parent_attrs = _post_node(row, "p_", "pa_")
    child, child_attrs = _post_node(row, "c_", "ca_")
    graph.add_node(parent, **parent_attrs)
    graph.add_node(child, **child_attrs)
    graph.add_edge(parent, child, kind=row["kind"], provenance=row["provenance"],
                   created_at=_iso(row["created_at"]), weight=1)


def _account_node(row: Any, prefix: str, platform: str) -> tuple[str, dict[str, Any]]:
    key = f"{platform}:{row[prefix + 'platform_id']}"
    return key, _clean({
        "label": f"@{row[prefix + 'handle']}" if row[prefix + "handle"] else key, "platform": platform,
        "platform_id": row[prefix + "platform_id"], "handle": row[prefix + "handle"],
        "display_name": row[prefix + "display_name"], "tracked": bool(row[prefix + "tracked"]),
    })


def _add_account_edge(graph: nx.DiGraph, row: Any) -> None:
    parent, parent_attrs = _account_node(row, "pa_", row["p_platform"])
    child, child_attrs = _account_node(row, "ca_", row["c_platform"])
    graph.add_node(parent, **parent_attrs)
    graph.add_node(child, **child_attrs)
    if not graph.has_edge(parent, child):
        graph.add_edge(parent, child, weight=0, **{name: 0 for name in (*_KINDS, *_PROVENANCE)})
    data = graph.edges[parent, child]
    data["weight"] += 1
    data[row["kind"]] += 1
    data[row["provenance"]] += 1
    data["kind"] = ",".join(k for k in _KINDS if data[k])
    data["provenance"] = ",".join(p for p in _PROVENANCE if data[p])


def _write_csv(graph: nx.DiGraph, path: str) -> None:
    columns = sorted({key for _, _, data in graph.edges(data=True) for key in data})
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "target", *columns])
        for source, target, data in graph.edges(data=True):
            writer.writerow([source, target, *(data.get(c, "") for c in columns)])


_WRITERS: dict[str, Callable[[nx.DiGraph, str], None]] = {
    "gexf": lambda g, p: nx.write_gexf(g, p),
    "graphml": lambda g, p: nx.write_graphml(g, p),
    "csv": _write_csv,
}


def write_graph(graph: nx.DiGraph, fmt: str, out: Path) -> None:
    if fmt not in _WRITERS:
        raise BadInputError(f"--format {fmt}: expected gexf, graphml or csv")
    if out.parent and not out.parent.exists():
        raise BadInputError(f"--out {out}: directory {out.parent} does not exist")
    partial = out.with_name(out.name + ".partial")
    try:
        _WRITERS[fmt](graph, str(partial))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def export_graph(
    engine: Engine, out: Path, fmt: str, nodes: str = "posts", cascade: str | None = None
) -> nx.DiGraph:
    if fmt not in FORMATS:
        raise BadInputError(f"--format {fmt}: expected gexf, graphml or csv")
    graph = build_graph(engine, nodes, cascade)
    write_graph(graph, fmt, out)
    return graph
