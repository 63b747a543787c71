"""Cascade measures in linear time, on one tree given as a parent array.

Why hand-written: networkx can compute mean pairwise distance, but only through all-pairs shortest
paths (quadratic; a 100k-node cascade would need 10^10 steps). On a tree the Wiener index is the sum
over edges of s*(n-s), where s is the size of the subtree below the edge: every pair's path crosses
exactly the edges that separate them. So one pass for the traversal order, one for subtree sizes.
``tests/test_cascade_metrics.py`` checks this against networkx's all-pairs reference and the closed
forms (star 2-2/n, chain (n+1)/3).

Definitions (Goel et al. 2016; Vosoughi, Roy & Aral 2018): size counts the root; depth is the
largest distance from the root; breadth at depth d is the number of nodes at d, and max breadth is
its maximum over d >= 1 (the root level is 1 and is only reported for a lone root). Latency is a
node's creation time minus the root's.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

SIZE_MILESTONES: tuple[int, ...] = (10, 100, 1000)


class NotATreeError(ValueError):
    """The parent array does not describe one tree (no root, several roots, a cycle)."""


def traversal(parent: Sequence[int]) -> tuple[list[int], list[int]]:
    """Breadth-first order from the root (``parent[i] == -1``) and each node's depth.

    A BFS order lists every parent before its children, which is what both passes below need;
    the input order is arbitrary (reading order from the database is not topological).
    """
    n = len(parent)
    children: list[list[int]] = [[] for _ in range(n)]
    root = -1
    for node, up in enumerate(parent):
        if up < 0:
            if root >= 0:
                raise NotATreeError(f"two roots: nodes {root} and {node}")
            root = node
        else:
            children[up].append(node)
    if root < 0:
        raise NotATreeError("no root (every node has a parent)")
    order = [root]
    depth = [0] * n
    for node in order:  # grows while iterating: a queue without popping
        below = depth[node] + 1
        for child in children[node]:
            depth[child] = below
            order.append(child)
    if len(order) != n:
        raise NotATreeError(f"{n - len(order)} nodes are not reachable from the root (a cycle)")
    return order, depth


def subtree_sizes(parent: Sequence[int], order: Sequence[int]) -> list[int]:
    """Number of nodes in each node's subtree (itself included), children before parents."""
    size = [1] * len(parent)
    for node in reversed(order):
        up = parent[node]
        if up >= 0:
            size[up] += size[node]
    return size


def wiener_index(parent: Sequence[int]) -> int:
    """Sum of distances over all unordered pairs of nodes, in O(n)."""
    n = len(parent)
    order, _ = traversal(parent)
    size = subtree_sizes(parent, order)
    return sum(s * (n - s) for node, s in enumerate(size) if parent[node] >= 0)


def structural_virality(parent: Sequence[int]) -> float:
    """Mean distance between two distinct nodes (Goel et al.'s structural virality), in O(n).

    A lone root has no pairs; it is given 0.0 so that callers need no special case.
    """
    n = len(parent)
    if n < 2:
        return 0.0
    return wiener_index(parent) / (n * (n - 1) / 2)


@dataclass(slots=True)
class TreeMetrics:
    """The measures of one cascade tree. Times are seconds after the root; None when undefined."""

    size_posts: int
    size_accounts: int
    depth: int
    max_breadth: int
    structural_virality: float
    time_to_first_reshare_s: float | None
    median_latency_s: float | None
    p90_latency_s: float | None
    time_to_depth: list[float]  # index d-1: first time a node at depth d appeared
    time_to_size: dict[int, float | None]
    by_kind: dict[str, int] = field(default_factory=dict)
    by_platform: dict[str, int] = field(default_factory=dict)
    by_provenance: dict[str, int] = field(default_factory=dict)


def tree_metrics(
    parent: Sequence[int],
    created: Sequence[float],
    account: Sequence[int],
    kind: Sequence[str],
    platform: Sequence[str],
    provenance: Sequence[str | None],
) -> TreeMetrics:
    """All measures of one tree. Arrays are per node; ``created`` in epoch seconds; the root's
    ``kind`` and ``provenance`` are ignored (it is the original, not a reshare)."""
    n = len(parent)
    order, depth = traversal(parent)
    root = order[0]
    size = subtree_sizes(parent, order)
    wiener = sum(s * (n - s) for node, s in enumerate(size) if node != root)
    virality = wiener / (n * (n - 1) / 2) if n > 1 else 0.0

    t0 = created[root]
    max_depth = max(depth)
    breadth = [0] * (max_depth + 1)
    first_at_depth: list[float | None] = [None] * (max_depth + 1)
    by_kind: dict[str, int] = {}
    by_provenance: dict[str, int] = {}
    by_platform: dict[str, int] = {}
    latencies: list[float] = []
    for node in range(n):
        d = depth[node]
        breadth[d] += 1
        by_platform[platform[node]] = by_platform.get(platform[node], 0) + 1
        if node == root:
            continue
        latency = created[node] - t0
        latencies.append(latency)
        seen = first_at_depth[d]
        if seen is None or latency < seen:
            first_at_depth[d] = latency
        by_kind[kind[node]] = by_kind.get(kind[node], 0) + 1
        label = provenance[node] or "none"
        by_provenance[label] = by_provenance.get(label, 0) + 1
    latencies.sort()
    return TreeMetrics(
        size_posts=n,
        size_accounts=len(set(account)),
        depth=max_depth,
        max_breadth=max(breadth[1:]) if max_depth else 1,
        structural_virality=virality,
        time_to_first_reshare_s=latencies[0] if latencies else None,
        median_latency_s=statistics.median(latencies) if latencies else None,
        p90_latency_s=percentile(latencies, 0.9),
        time_to_depth=[t for t in first_at_depth[1:] if t is not None],
        # size k (root included) is reached by the (k-1)-th reshare
        time_to_size={k: (latencies[k - 2] if n >= k else None) for k in SIZE_MILESTONES},
        by_kind=dict(sorted(by_kind.items())),
        by_platform=dict(sorted(by_platform.items())),
        by_provenance=dict(sorted(by_provenance.items())),
    )


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default) on sorted data."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
