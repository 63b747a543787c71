"""``archiver analyze``: run every analysis step over the archive, incrementally.

Each step reads the archive, derives its results and replaces only what changed, in one
transaction, recording its analyzer name, version and time in ``analysis_run``. Steps are listed in
``STEPS``; a new analyzer (tone) adds one entry there and nothing else changes.

The cascade step measures only cascades whose fingerprint changed (see ``analysis.compute``):
a run after a collection that added three reposts to one cascade rewrites that cascade and its
edges, and leaves the other ten thousand alone. Amplification is one small table and is rebuilt
whole each run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Connection, Engine

from analysis.cascades import PROVENANCE_NAMES, load_follows
from analysis.compute import ANALYZER, ANALYZER_VERSION, CascadeResult, Computation, compute
from analysis.post_table import KIND_NAMES, PostTable, load_post_table
from analysis.results import CascadeSummary, StepSummary
from analysis.tone_store import analyze_step as run_tone_step
from archiver.bulk import Bulk
from archiver.chunks import chunked
from archiver.db import writer
from archiver.tables import T_AMPLIFICATION, T_CASCADE, T_EDGE
from archiver.tables import T_ANALYSIS_RUN as T_RUN
from archiver.timeutil import utcnow

_INSERT_BATCH = 5000

AnalysisStep = Callable[[Engine, bool], StepSummary]
"""A step takes the engine and ``force`` (recompute everything) and returns its summary."""


def moment(seconds: float) -> datetime:
    """Epoch seconds back to aware UTC, exact to the microsecond the archive stores."""
    return datetime.fromtimestamp(round(seconds, 6), UTC)


def run_cascades(engine: Engine, force: bool = False) -> CascadeSummary:
    """Edges, cascade metrics and amplification; only changed cascades are measured and rewritten."""
    started = utcnow()
    clock = time.perf_counter()
    with engine.connect() as conn:
        table = load_post_table(conn)
        follows = load_follows(conn)
        stored = {int(root): fp for root, fp in conn.execute(select(T_CASCADE.c.root_post_id,
                                                                      T_CASCADE.c.fingerprint))}
    result = compute(table, follows, None if force else stored)
    removed = sorted(set(stored) - result.current_roots)
    # Every root about to be written is cleared first, stored or not: an overlapping run (cron) may
    # have written the same new cascade since ``stored`` was read.
    rewritten = sorted(table.ids[c.root_row] for c in result.cascades)
    with writer(engine).begin() as conn:
        run_id = conn.execute(insert(T_RUN).returning(T_RUN.c.id), {
            "analyzer": ANALYZER, "version": ANALYZER_VERSION, "started_at": started,
            "counts": "{}",
        }).scalar_one()
        for chunk in chunked([*removed, *rewritten]):
            conn.execute(delete(T_EDGE).where(T_EDGE.c.root_post_id.in_(chunk)))
            conn.execute(delete(T_CASCADE).where(T_CASCADE.c.root_post_id.in_(chunk)))
        _insert(conn, T_EDGE, (e for c in result.cascades for e in _edge_rows(table, result, c, run_id)))
        now = utcnow()
        _insert(conn, T_CASCADE, _ordered(T_CASCADE, (_cascade_row(table, result, c, run_id, now)
                                                      for c in result.cascades)))
        conn.execute(delete(T_AMPLIFICATION))
        _insert(conn, T_AMPLIFICATION, _ordered(T_AMPLIFICATION, (
            {"source_account_id": a.source_account_id, "target_account_id": a.target_account_id,
             "kind": a.kind, "count": a.count, "median_latency_s": a.median_latency_s,
             "min_latency_s": a.min_latency_s, "first_at": moment(a.first_at), "last_at": moment(a.last_at),
             "analyzer_version": ANALYZER_VERSION, "analysis_run_id": run_id}
            for a in result.amplification
        )))
        summary = CascadeSummary(
            posts=len(table), cascades=len(result.current_roots), recomputed=len(result.cascades),
            unchanged=result.unchanged, removed=len(removed), edges=result.provenance_counts(),
            missing_parents=len(result.edges.missing_anchor), unplaced=result.edges.unplaced,
            cycles_cut=result.edges.cycles_cut, amplification_rows=len(result.amplification),
            follows_accounts=len(follows), seconds=round(time.perf_counter() - clock, 3), analysis_run_id=run_id,
            version=ANALYZER_VERSION)
        conn.execute(T_RUN.update().where(T_RUN.c.id == run_id).values(
            ended_at=utcnow(), counts=orjson.dumps(summary.run_counts()).decode()))
    return summary


_EDGE_COLUMNS = ("child_post_id", "parent_post_id", "root_post_id", "kind", "provenance", "created_at",
                 "analyzer_version", "analysis_run_id")
if tuple(c.name for c in T_EDGE.columns) != _EDGE_COLUMNS:  # pragma: no cover - a model change without this
    raise RuntimeError("reshare_edge columns changed: update analysis.analyze._edge_rows")


def _edge_rows(
    table: PostTable, result: Computation, cascade: CascadeResult, run_id: int
) -> Iterable[tuple[Any, ...]]:
    """Edge rows as tuples in ``reshare_edge`` column order (a million of them on a big archive)."""
    ids, edges = table.ids, result.edges
    root_id = ids[cascade.root_row]
    for row in cascade.rows[1:]:
        yield (ids[row], ids[edges.parent[row]], root_id, KIND_NAMES[table.kind[row]],
               PROVENANCE_NAMES[edges.provenance[row]], moment(table.created[row]), ANALYZER_VERSION, run_id)


def _cascade_row(
    table: PostTable, result: Computation, cascade: CascadeResult, run_id: int, now: datetime
) -> dict[str, Any]:
    m = cascade.metrics
    root = cascade.root_row
    prov = m.by_provenance
    uncertain = prov.get("inferred", 0) + prov.get("root_default", 0) > 0
    return {
        "root_post_id": table.ids[root], "platform": table.platforms[table.platform[root]],
        "root_account_id": table.account[root], "root_created_at": moment(table.created[root]),
        "analyzer_version": ANALYZER_VERSION, "analysis_run_id": run_id, "computed_at": now,
        "fingerprint": cascade.fingerprint,
        "size_posts": m.size_posts, "size_accounts": m.size_accounts, "depth": m.depth,
        "max_breadth": m.max_breadth, "structural_virality": m.structural_virality,
        "time_to_first_reshare_s": m.time_to_first_reshare_s, "median_latency_s": m.median_latency_s,
        "p90_latency_s": m.p90_latency_s, "time_to_depth": orjson.dumps(m.time_to_depth).decode(),
        "time_to_size_10_s": m.time_to_size[10], "time_to_size_100_s": m.time_to_size[100],
        "time_to_size_1000_s": m.time_to_size[1000],
        "reposts": m.by_kind.get("repost", 0), "quotes": m.by_kind.get("quote", 0),
        "replies": m.by_kind.get("reply", 0), "by_platform": orjson.dumps(m.by_platform).decode(),
        "exact_edges": prov.get("exact", 0), "inferred_edges": prov.get("inferred", 0),
        "root_default_edges": prov.get("root_default", 0), "missing_parents": cascade.missing_parents,
        "size_is_lower_bound": cascade.missing_parents > 0, "depth_is_lower_bound": uncertain,
        "virality_is_lower_bound": uncertain, "breadth_is_estimate": uncertain,
        "time_to_depth_is_estimate": uncertain,
    }


def _ordered(table: Table, rows: Iterable[dict[str, Any]]) -> Iterable[tuple[Any, ...]]:
    names = [c.name for c in table.columns]
    for row in rows:
        yield tuple(row.get(n) for n in names)


def _insert(conn: Connection, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
    """Bulk insert of tuples of Python values in table column order, through ``Bulk.insert`` (the
    driver's executemany), in batches.

    Why not ``conn.execute(insert(table), batch)``: on a million edges SQLAlchemy's per-row parameter
    processing cost twice the database's own work. ``Bulk`` converts datetimes and booleans as the
    column types would, so rows are stored exactly as the ORM would store them.
    """
    bulk = Bulk(conn)
    names = tuple(c.name for c in table.columns)
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _INSERT_BATCH:
            bulk.insert(table, names, batch)
            batch = []
    bulk.insert(table, names, batch)  # a no-op when empty


# Analysis steps, in order. To add an analyzer, append ("name", function(engine, force) -> StepSummary);
# `archiver analyze`, `archiver run` and the demo pick it up from here.
STEPS: list[tuple[str, AnalysisStep]] = [
    ("cascades", run_cascades),
    ("tone", run_tone_step),
]


def run_analysis(
    engine: Engine, force: bool = False, only: list[str] | None = None
) -> dict[str, StepSummary]:
    """Run every step (or the ``only`` ones) and return each step's summary by name."""
    from archiver.errors import BadInputError

    known = [name for name, _ in STEPS]
    for name in only or []:
        if name not in known:
            raise BadInputError(f"--only {name}: unknown analysis step (known: {', '.join(known)})")
    return {name: step(engine, force) for name, step in STEPS if not only or name in only}
