"""Cascade analysis in memory: edges, cascades, fingerprints, metrics and amplification.

Split from ``analysis.analyze`` (which reads and writes the database) so that the benchmark and
the tests run exactly the code ``archiver analyze`` runs, on a table built in memory.

Incremental: each cascade has a fingerprint of everything its metrics depend on (the analyzer
version, its members, their edges and provenance, its missing parents). A cascade whose fingerprint
is unchanged since the last run is not measured again.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field

from analysis.amplification import AmplificationRow, amplification
from analysis.cascade_metrics import TreeMetrics, tree_metrics
from analysis.cascades import PROVENANCE_NAMES, Edges, build_edges, find_roots, group_cascades
from analysis.post_table import KIND_NAMES, PostTable

ANALYZER = "cascades"
# Bump when a rule or a metric changes: every cascade is then recomputed on the next run.
ANALYZER_VERSION = "1"


@dataclass
class CascadeResult:
    root_row: int
    rows: list[int]  # members, root first, then in post id order
    missing_parents: int
    fingerprint: str
    metrics: TreeMetrics


@dataclass
class Computation:
    edges: Edges
    cascades: list[CascadeResult] = field(default_factory=list)  # only those (re)computed
    unchanged: int = 0
    current_roots: set[int] = field(default_factory=set)  # post ids of every cascade root
    amplification: list[AmplificationRow] = field(default_factory=list)

    def provenance_counts(self) -> dict[str, int]:
        counts = {str(name): self.edges.provenance.count(code) for code, name in enumerate(PROVENANCE_NAMES) if name}
        return {name: n for name, n in sorted(counts.items()) if n}


def fingerprint(table: PostTable, edges: Edges, rows: list[int], missing: int) -> str:
    """Digest of everything a cascade's metrics depend on, except the posts' own fields, which
    the archive never changes once written (kind, author, time, references)."""
    ids, parent, provenance, kind = table.ids, edges.parent, edges.provenance, table.kind
    packed = array("q")
    for row in rows[1:]:
        packed.append(ids[row])
        packed.append(ids[parent[row]])
        packed.append(provenance[row] * 8 + kind[row])
    digest = hashlib.blake2b(packed.tobytes(), digest_size=12).hexdigest()
    return f"v{ANALYZER_VERSION}:{ids[rows[0]]}:{len(rows)}:{missing}:{digest}"


def measure(table: PostTable, edges: Edges, rows: list[int]) -> TreeMetrics:
    """Metrics of one cascade: renumber its rows 0..n-1 (root is 0) and measure the tree."""
    local = {row: i for i, row in enumerate(rows)}
    parent = edges.parent
    parents = [-1]
    parents.extend(local[parent[row]] for row in rows[1:])
    kinds = [KIND_NAMES[table.kind[row]] for row in rows]
    platforms = [table.platforms[table.platform[row]] for row in rows]
    provenance = [PROVENANCE_NAMES[edges.provenance[row]] for row in rows]
    return tree_metrics(parents, [table.created[r] for r in rows], [table.account[r] for r in rows],
                        kinds, platforms, provenance)


def compute(
    table: PostTable,
    follows: dict[int, set[int]] | None = None,
    previous: dict[int, str] | None = None,
) -> Computation:
    """Everything ``archiver analyze`` derives. ``previous`` maps root post id -> stored fingerprint;
    cascades whose fingerprint matches are counted as unchanged and not measured."""
    edges = build_edges(table, follows)
    roots = find_roots(edges)
    members, missing = group_cascades(edges, roots)
    result = Computation(edges)
    previous = previous or {}
    for root_row, rows in members.items():
        root_id = table.ids[root_row]
        result.current_roots.add(root_id)
        lost = missing.get(root_row, 0)
        digest = fingerprint(table, edges, rows, lost)
        if previous.get(root_id) == digest:
            result.unchanged += 1
            continue
        result.cascades.append(CascadeResult(root_row, rows, lost, digest, measure(table, edges, rows)))
    result.amplification = amplification(table)
    return result
