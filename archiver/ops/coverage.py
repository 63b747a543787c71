"""Coverage gaps: what the archive did *not* capture, so that nobody mistakes silence for absence.

Three kinds of gap, all computed from bookkeeping the runs already write (``run``,
``source_coverage``, ``run_lock``), so they can be recomputed at any time:

- **missed schedule slots**: a host that runs ``archiver run --every 1h`` should start a run
  every hour; a longer silence (machine off, cron broken) is reported with how many slots it
  missed.
- **sources with problems**: per source, the latest attempt when it was incomplete (rate limited,
  server errors, unknown account, interrupted by a crash), with the reason the collector gave.
- **uncovered time ranges**: per source, from the end of its last complete capture to the next
  one, whenever attempts in between failed: the stretch in which the platform may hold posts or
  edits or deletions that the archive could not see.

``archiver status`` calls ``coverage_gaps(engine)``; the report calls
``coverage_report(engine, now=archive_clock(engine))`` and embeds ``report.as_dict()`` (passing the
archive's own clock keeps the site a pure function of the archive).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from archiver.ops.lock import T_RUN_LOCK
from archiver.tables import T_COVERAGE, T_RUN
from archiver.timeutil import iso_z, to_db, utc_seconds, utcnow

SCHEDULED_KINDS = ("run",)  # `archiver collect` by hand is not a schedule slot


@dataclass(frozen=True)
class MissedSlots:
    """``missed`` scheduled starts on ``host`` between two runs (``before`` None: up to now)."""

    host: str
    after: datetime
    before: datetime | None
    missed: int
    every_seconds: int


@dataclass(frozen=True)
class SourceGapState:
    """One source's latest attempt, when it was not complete."""

    source: str
    platform: str
    account: str
    run_id: int
    attempted_at: datetime
    reason: str
    detail: str | None
    last_complete_at: datetime | None
    failed_attempts: int  # consecutive incomplete attempts up to the latest one


@dataclass(frozen=True)
class UncoveredRange:
    """A stretch with no successful capture of ``source``. ``start`` None: never captured
    completely before; ``end`` None: still open (no complete capture since)."""

    source: str
    start: datetime | None
    end: datetime | None
    attempts: int
    reasons: list[str]


@dataclass
class CoverageReport:
    generated_at: datetime
    missed_slots: list[MissedSlots] = field(default_factory=list)
    problem_sources: list[SourceGapState] = field(default_factory=list)
    uncovered: list[UncoveredRange] = field(default_factory=list)
    interrupted_runs: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missed_slots or self.problem_sources or self.uncovered or self.interrupted_runs)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (datetimes as ISO strings) for ``status --json`` and the report."""

        def clean(value: Any) -> Any:
            if isinstance(value, datetime):
                return iso_z(value)
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        return clean({
            "generated_at": self.generated_at,
            "ok": self.ok,
            "missed_slots": [asdict(m) for m in self.missed_slots],
            "problem_sources": [asdict(p) for p in self.problem_sources],
            "uncovered": [asdict(u) for u in self.uncovered],
            "interrupted_runs": self.interrupted_runs,
        })

    def lines(self) -> list[str]:
        """Human-readable lines, one gap each; a single reassuring line when there is none."""
        if self.ok:
            return ["coverage: no gaps"]
        out = []
        for m in self.missed_slots:
            until = utc_seconds(m.before) if m.before else "now"
            out.append(f"missed schedule: host {m.host} missed {m.missed} run(s) every {m.every_seconds}s "
                       f"between {utc_seconds(m.after)} and {until}")
        for p in self.problem_sources:
            last = utc_seconds(p.last_complete_at) if p.last_complete_at else "never"
            out.append(f"source {p.source}: incomplete in run {p.run_id} at {utc_seconds(p.attempted_at)} "
                       f"({p.reason}); {p.failed_attempts} incomplete attempt(s) in a row; "
                       f"last complete: {last}")
        for u in self.uncovered:
            start = utc_seconds(u.start) if u.start else "the beginning"
            end = utc_seconds(u.end) if u.end else "now"
            out.append(f"no complete capture of {u.source} from {start} to {end} "
                       f"({u.attempts} failed attempt(s): {', '.join(u.reasons)})")
        if self.interrupted_runs:
            out.append("interrupted runs: " + ", ".join(str(r) for r in self.interrupted_runs))
        return out




def missed_slots(starts: list[datetime], every: timedelta, now: datetime, host: str) -> list[MissedSlots]:
    """Scheduled starts that did not happen, given the starts that did.

    A gap of length g between starts misses ``floor(g / every - 0.5)`` slots: half an interval of
    grace absorbs cron jitter and slow runs, so a run every hour that starts 20 minutes late is not
    a miss, while two hours of silence is one.
    """
    if every.total_seconds() <= 0 or not starts:
        return []
    found = []
    ordered = sorted(to_db(s) for s in starts)
    pairs: list[tuple[datetime, datetime | None, datetime]] = [
        (a, b, b) for a, b in zip(ordered, ordered[1:], strict=False)
    ]
    pairs.append((ordered[-1], None, to_db(now)))
    for after, before, until in pairs:
        missed = math.floor((until - after) / every - 0.5)
        if missed > 0:
            found.append(MissedSlots(host, after, before, missed, int(every.total_seconds())))
    return found


def coverage_report(
    engine: Engine,
    now: datetime | None = None,
    every: timedelta | None = None,
    since: datetime | None = None,
) -> CoverageReport:
    """Every coverage gap recorded in the archive (optionally only since ``since``).

    ``every``: the expected interval between scheduled runs; by default each host's interval as
    recorded by ``archiver run --every`` (hosts without one are not checked for missed slots).
    """
    now = to_db(now or utcnow())
    report = CoverageReport(generated_at=now)
    with engine.connect() as conn:
        run_query = select(T_RUN.c.id, T_RUN.c.kind, T_RUN.c.started_at, T_RUN.c.status, T_RUN.c.host)
        if since is not None:
            run_query = run_query.where(T_RUN.c.started_at >= to_db(since))
        runs = conn.execute(run_query.order_by(T_RUN.c.started_at, T_RUN.c.id)).all()
        intervals = {host: secs for host, secs in conn.execute(
            select(T_RUN_LOCK.c.host, T_RUN_LOCK.c.every_seconds)
            .where(T_RUN_LOCK.c.every_seconds.is_not(None))
        ).all()}
        cov_query = select(T_COVERAGE.c.run_id, T_COVERAGE.c.source, T_COVERAGE.c.platform,
                           T_COVERAGE.c.account, T_COVERAGE.c.started_at, T_COVERAGE.c.ended_at,
                           T_COVERAGE.c.complete,
                           T_COVERAGE.c.reason, T_COVERAGE.c.detail)
        if since is not None:
            cov_query = cov_query.where(T_COVERAGE.c.started_at >= to_db(since))
        coverage = conn.execute(cov_query.order_by(T_COVERAGE.c.started_at, T_COVERAGE.c.id)).all()

    run_status = {r.id: r.status for r in runs}
    report.interrupted_runs = [r.id for r in runs if r.status == "interrupted"]
    by_host: dict[str, list[datetime]] = {}
    for r in runs:
        if r.kind in SCHEDULED_KINDS:
            by_host.setdefault(r.host or "unknown", []).append(r.started_at)
    for host, starts in sorted(by_host.items()):
        interval = every or (timedelta(seconds=intervals[host]) if intervals.get(host) else None)
        if interval:
            report.missed_slots.extend(missed_slots(starts, interval, now, host))

    per_source: dict[str, list[Any]] = {}
    for row in coverage:
        if row.ended_at is None and run_status.get(row.run_id) == "running":
            continue  # still being collected (or crashed and not yet noticed by the next run)
        per_source.setdefault(row.source, []).append(row)
    for source, rows in sorted(per_source.items()):
        _source_gaps(source, rows, report)
    return report


def _source_gaps(source: str, rows: list[Any], report: CoverageReport) -> None:
    last_complete: datetime | None = None
    open_range: dict[str, Any] | None = None
    for row in rows:
        if row.complete:
            if open_range is not None:
                report.uncovered.append(UncoveredRange(
                    source, open_range["start"], row.ended_at or row.started_at,
                    open_range["attempts"], sorted(open_range["reasons"])))
                open_range = None
            last_complete = row.ended_at or row.started_at
            continue
        if open_range is None:
            open_range = {"start": last_complete, "attempts": 0, "reasons": set()}
        open_range["attempts"] += 1
        open_range["reasons"].add(row.reason or "incomplete")
    if open_range is not None:
        latest = rows[-1]
        report.uncovered.append(UncoveredRange(source, open_range["start"], None, open_range["attempts"],
                                               sorted(open_range["reasons"])))
        report.problem_sources.append(SourceGapState(
            source=source, platform=latest.platform, account=latest.account, run_id=latest.run_id,
            attempted_at=latest.started_at, reason=latest.reason or "incomplete", detail=latest.detail,
            last_complete_at=last_complete, failed_attempts=open_range["attempts"],
        ))


def archive_clock(engine: Engine) -> datetime | None:
    """The latest moment the archive knows of (the last run's end or start): the ``now`` to use
    where output must depend on the archive alone, like the static report."""
    with engine.connect() as conn:
        row = conn.execute(select(T_RUN.c.started_at, T_RUN.c.ended_at)).all()
    moments = [to_db(m) for r in row for m in (r.started_at, r.ended_at) if m is not None]
    return max(moments) if moments else None


def coverage_gaps(
    engine: Engine, now: datetime | None = None, every: timedelta | None = None, days: float = 30.0
) -> list[str]:
    """One line per gap of the last ``days`` days (empty when there is none): what ``archiver
    status`` prints and puts in its JSON; older gaps stay in ``coverage_report`` and the report."""
    now = to_db(now or utcnow())
    report = coverage_report(engine, now=now, every=every, since=now - timedelta(days=days))
    return [] if report.ok else report.lines()
