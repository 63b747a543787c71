"""Reshare edges: who reposted, quoted or replied to whom, and how we know.

Every repost, quote and reply whose parent is archived gets one edge to its tree parent, labelled
with its provenance (docs/analysis.md has the full rules and their limits):

- ``exact``: a quote or a reply (both platforms name the direct parent), or a Bluesky repost that
  carries ``via`` (the repost record through which the user saw the post);
- ``inferred``: a repost without an exact link, attached to the most recent *earlier* repost of the
  same post by an account its author follows (Goel et al. 2016), when follows are archived;
- ``root_default``: a repost attached to the post it names, because nothing better is known (every
  X retweet names the original, even a retweet of a retweet).

A reference to a post the archive does not hold makes no edge and no invented node: the child
becomes a root (or an *unplaced* reshare when it has nothing below it), and the cascade it would
belong to, when one can tell (a reply's thread root, a repost whose ``via`` is missing), counts it
in ``missing_parents``.

Query function for reports: ``load_cascade_tree(engine, post_id)`` returns the stored tree of the
cascade that contains ``post_id`` (any member, or the root) as ``CascadeTree``: ``nodes`` (post id,
platform, platform id, URL, kind, account, handle, created_at, parent, depth) and ``edges`` (child,
parent, kind, provenance, created_at), or None when the post is in no cascade. ``find_post`` turns a
platform id or URL into a post id.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from analysis.post_table import KIND_CODES, MISSING, NONE, PostTable
from archiver.chunks import chunked
from archiver.resolve import resolve_post
from archiver.tables import T_ACCOUNT, T_EDGE, T_FOLLOW, T_POST

EXACT, INFERRED, ROOT_DEFAULT = 1, 2, 3
PROVENANCE_NAMES: tuple[str | None, ...] = (None, "exact", "inferred", "root_default")
_REPOST, _QUOTE, _REPLY = KIND_CODES["repost"], KIND_CODES["quote"], KIND_CODES["reply"]


@dataclass
class Edges:
    """Tree parent (row number or NONE) and provenance code per row, plus what could not be placed."""

    parent: array
    provenance: array
    missing_anchor: list[int] = field(default_factory=list)  # rows whose cascade counts a missing parent
    unplaced: int = 0  # reshares whose parent is missing and that no cascade can claim
    cycles_cut: int = 0  # edges dropped because bad data made a cycle


def load_follows(conn: Connection) -> dict[int, set[int]]:
    """follower account id -> followed account ids, for accounts the archive knows."""
    follower = T_ACCOUNT.alias("follower")
    followed = T_ACCOUNT.alias("followed")
    query = (
        select(follower.c.id, followed.c.id)
        .select_from(T_FOLLOW)
        .join(follower, (follower.c.platform == T_FOLLOW.c.platform)
              & (follower.c.platform_id == T_FOLLOW.c.follower_id))
        .join(followed, (followed.c.platform == T_FOLLOW.c.platform)
              & (followed.c.platform_id == T_FOLLOW.c.followed_id))
    )
    follows: dict[int, set[int]] = {}
    for a, b in conn.execute(query):
        follows.setdefault(int(a), set()).add(int(b))
    return follows


def build_edges(table: PostTable, follows: dict[int, set[int]] | None = None) -> Edges:
    """Each reshare's tree parent and provenance, by the rules in the module docstring."""
    n = len(table)
    parent = array("q", [NONE]) * n
    provenance = array("b", [0]) * n
    edges = Edges(parent, provenance)
    kinds, reposted, via = table.kind, table.reposted, table.via
    guessable: dict[int, list[int]] = {}  # subject row -> every repost of it (candidates and children)
    for row in range(n):
        kind = kinds[row]
        if kind == _REPOST:
            through, subject = via[row], reposted[row]
            if through >= 0:
                parent[row], provenance[row] = through, EXACT
            elif subject >= 0:
                parent[row], provenance[row] = subject, ROOT_DEFAULT
                if through == MISSING:
                    edges.missing_anchor.append(subject)
            else:
                edges.unplaced += 1
            if subject >= 0 and follows:
                guessable.setdefault(subject, []).append(row)
        elif kind == _QUOTE:
            _exact_or_missing(edges, row, table.quoted[row], NONE)
        elif kind == _REPLY:
            _exact_or_missing(edges, row, table.replied[row], table.thread_root[row])
    if follows:
        for rows in guessable.values():
            if len(rows) > 1:
                _infer_from_follows(table, edges, rows, follows)
    return edges


def _exact_or_missing(edges: Edges, row: int, target: int, anchor: int) -> None:
    if target >= 0:
        edges.parent[row], edges.provenance[row] = target, EXACT
    elif target == MISSING:
        if anchor >= 0:
            edges.missing_anchor.append(anchor)
        else:
            edges.unplaced += 1


def _infer_from_follows(
    table: PostTable, edges: Edges, rows: list[int], follows: dict[int, set[int]]
) -> None:
    """Goel et al.'s rule: the parent is the most recent earlier resharer whom the author follows.

    ``latest`` maps each account to its most recent repost so far; reposts with the same timestamp
    are decided before any of them becomes a candidate, so "earlier" is strict. Per child the cost
    is min(accounts followed, earlier resharers), never the product.
    """
    created, account, provenance = table.created, table.account, edges.provenance
    rows.sort(key=lambda r: (created[r], r))
    latest: dict[int, int] = {}
    start = 0
    while start < len(rows):
        stop = start
        while stop < len(rows) and created[rows[stop]] == created[rows[start]]:
            stop += 1
        for row in rows[start:stop]:
            followed = follows.get(account[row])
            if provenance[row] != ROOT_DEFAULT or not followed or not latest:
                continue
            if len(followed) < len(latest):
                found = [latest[a] for a in followed if a in latest]
            else:
                found = [r for a, r in latest.items() if a in followed]
            if found:
                best = max(found, key=lambda r: (created[r], r))
                edges.parent[row], provenance[row] = best, INFERRED
        for row in rows[start:stop]:
            latest[account[row]] = row
        start = stop


def find_roots(edges: Edges) -> array:
    """Each row's cascade root. Bad data can make a cycle (A replies to B replies to A); the edge that
    closes it is dropped and counted, so every remaining component is a tree."""
    parent = edges.parent
    n = len(parent)
    unknown, on_path = -2, -3
    root = array("q", [unknown]) * n
    for start in range(n):
        if root[start] != unknown:
            continue
        path: list[int] = []
        node = start
        while True:
            known = root[node]
            if known >= 0:
                top = known
                break
            if known == on_path:
                parent[node], edges.provenance[node] = NONE, 0
                edges.cycles_cut += 1
                top = node
                break
            root[node] = on_path
            path.append(node)
            up = parent[node]
            if up < 0:
                top = node
                break
            node = up
        for visited in path:
            root[visited] = top
    return root


def group_cascades(edges: Edges, root: array) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Members of every cascade (root row -> rows in id order, root first) with at least one reshare,
    and the missing parents each one counts. Missing parents whose cascade does not exist (the anchor
    was never reshared) are added to ``edges.unplaced``."""
    members: dict[int, list[int]] = {}
    parent = edges.parent
    for row in range(len(parent)):
        if parent[row] >= 0:
            top = root[row]
            group = members.get(top)
            if group is None:
                members[top] = [top, row]
            else:
                group.append(row)
    missing: dict[int, int] = {}
    for anchor in edges.missing_anchor:
        top = root[anchor]
        if top in members:
            missing[top] = missing.get(top, 0) + 1
        else:
            edges.unplaced += 1
    return members, missing


# ---- reading stored cascades (for reports and exports) -------------------------------------------


@dataclass(slots=True)
class TreeNode:
    post_id: int
    platform: str
    platform_id: str
    url: str
    kind: str
    account_id: int
    handle: str | None
    created_at: datetime
    parent_post_id: int | None
    depth: int


@dataclass(slots=True)
class TreeEdge:
    child_post_id: int
    parent_post_id: int
    kind: str
    provenance: str
    created_at: datetime


@dataclass
class CascadeTree:
    root_post_id: int
    analyzer_version: str
    nodes: list[TreeNode]
    edges: list[TreeEdge]


def find_post(conn: Connection, ref: str) -> int:
    """A post's id from anything ``archiver.resolve`` accepts; BadInputError if none or several."""
    return resolve_post(conn, ref, label=f"--cascade {ref}")


def cascade_root(conn: Connection, post_id: int) -> int:
    """The root of the stored cascade that holds ``post_id`` (the post itself when it is a root)."""
    found = conn.execute(select(T_EDGE.c.root_post_id).where(T_EDGE.c.child_post_id == post_id)).scalar()
    return int(found) if found is not None else post_id


def load_cascade_tree(engine: Engine, post_id: int) -> CascadeTree | None:
    """The stored tree of the cascade containing ``post_id``; None if it is in no cascade.

    Nodes come in breadth-first order from the root, each with its depth, so a report can draw the
    tree without walking it again. Reflects the last ``archiver analyze``.
    """
    with engine.connect() as conn:
        root = cascade_root(conn, post_id)
        edge_rows = conn.execute(
            select(T_EDGE.c.child_post_id, T_EDGE.c.parent_post_id, T_EDGE.c.kind, T_EDGE.c.provenance,
                   T_EDGE.c.created_at, T_EDGE.c.analyzer_version)
            .where(T_EDGE.c.root_post_id == root).order_by(T_EDGE.c.child_post_id)
        ).all()
        if not edge_rows:
            return None
        ids = [root, *(int(r[0]) for r in edge_rows)]
        posts = {}
        for part in chunked(ids):
            for r in conn.execute(
                select(T_POST.c.id, T_POST.c.platform, T_POST.c.platform_id, T_POST.c.url, T_POST.c.kind,
                       T_POST.c.account_id, T_ACCOUNT.c.handle, T_POST.c.created_at)
                .join(T_ACCOUNT, T_ACCOUNT.c.id == T_POST.c.account_id)
                .where(T_POST.c.id.in_(part))
            ):
                posts[int(r[0])] = r
    edges = [TreeEdge(int(r[0]), int(r[1]), r[2], r[3], r[4]) for r in edge_rows]
    children: dict[int, list[int]] = {}
    parent_of: dict[int, int] = {}
    for edge in edges:
        children.setdefault(edge.parent_post_id, []).append(edge.child_post_id)
        parent_of[edge.child_post_id] = edge.parent_post_id
    nodes: list[TreeNode] = []
    queue = [(root, 0)]
    for node_id, depth in queue:
        p = posts[node_id]
        nodes.append(TreeNode(node_id, p[1], p[2], p[3], p[4], int(p[5]), p[6], p[7], parent_of.get(node_id),
                              depth))
        queue.extend((child, depth + 1) for child in children.get(node_id, ()))
    return CascadeTree(root, edge_rows[0][5], nodes, edges)
