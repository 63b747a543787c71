"""Running collectors: one run, every configured source, each source's failure kept to itself.

For each source the runner reads a ``SourceState`` from the archive, lets the platform's collector
yield pages, stores each page in its own transaction, and records the source's coverage. A
problem with one source (unknown account, rate-limit budget spent, server errors) marks that
source incomplete and the run partial; the other sources are still collected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Engine

from archiver import platforms
from archiver.collectors.base import Collector, SourceState, make_collector
from archiver.collectors.records import Page, Progress, SourceProblem
from archiver.config import Config, Secrets, Source
from archiver.errors import ArchiverError, exit_code_for_status
from archiver.interrupt import exit_code, is_interruption, mark_interrupted, raise_if_interrupted
from archiver.redact import redact, register
from archiver.resume import record as record_progress
from archiver.resume import streak_done
from archiver.store import PageResult, Store
from archiver.tables import T_ACCOUNT, T_HANDLE, T_POST


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """How one source's collection went: pages and posts stored, and why it is incomplete if it is."""

    source: str
    complete: bool
    pages: int = 0
    posts: int = 0
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How one collect run went: its status, what it changed, and each source's outcome."""

    run_id: int
    status: str  # complete | partial | failed
    result: PageResult
    sources: list[SourceOutcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return exit_code_for_status(self.status)


ProgressHook = Callable[[str, int], None]


def source_state(engine: Engine, source: Source) -> SourceState:
    """What the archive knows about ``source``'s account (matched by stable id or any past handle)."""
    account = source.account
    with engine.connect() as conn:
        row = conn.execute(
            select(T_ACCOUNT.c.id, T_ACCOUNT.c.platform_id, T_ACCOUNT.c.handle).where(
                and_(T_ACCOUNT.c.platform == source.platform,
                     or_(T_ACCOUNT.c.platform_id == account, func.lower(T_ACCOUNT.c.handle) == account.lower(),
                         T_ACCOUNT.c.id.in_(select(T_HANDLE.c.account_id)
                                            .where(func.lower(T_HANDLE.c.handle) == account.lower()))))
            )
        ).first()
        if row is None:
            return SourceState()
        account_pk, platform_id, handle = row
        posts = conn.execute(
            select(T_POST.c.platform_id, T_POST.c.kind, T_POST.c.status).where(T_POST.c.account_id == account_pk)
        ).all()
    live = [p for p, _k, s in posts if s == "live"]
    originals = [p for p, k, s in posts if s == "live" and k != "repost"]
    newest = None
    newest_of = platforms.get(source.platform).newest_id
    if newest_of is not None:
        with engine.connect() as conn:
            newest = newest_of(conn, account_pk, platform_id)
    return SourceState(account_id=platform_id, handle=handle, newest_id=newest, archived_ids=live,
                       tracked_ids=originals)


def run_collect(
    store: Store,
    config: Config,
    sources: list[Source],
    secrets: Secrets,
    kind: str = "collect",
    sleep: Callable[[float], None] | None = None,
    progress: ProgressHook | None = None,
    collector_factory: Callable[[str], Collector] | None = None,
    backfill: bool = False,
    on_run_start: Callable[[int], None] | None = None,
) -> RunOutcome:
    """Collect every source into one run; never raises for a single source's failure.

    ``on_run_start`` hears the run id as soon as the run row exists (``archiver run`` tells its
    lock, so that the next holder can mark the run interrupted after a crash)."""
    if any(_is_loopback(config.platform(s.platform).base_url) for s in sources):
        store.mark_sample_data()
    register(*(value for name, value in secrets.values.items() if "HANDLE" not in name))  # handles are public
    run_id = store.start_run(kind, [s.name for s in sources])
    if on_run_start is not None:
        on_run_start(run_id)
    total = PageResult()
    outcomes: list[SourceOutcome] = []
    errors: list[dict[str, Any]] = []
    collectors: dict[str, Collector] = {}
    try:
        for source in sources:
            if source.platform not in collectors:
                collectors[source.platform] = (
                    collector_factory(source.platform) if collector_factory
                    else make_collector(source.platform, config.platform(source.platform), secrets, sleep=sleep)
                )
            outcome = _collect_source(store, collectors[source.platform], source, run_id, total, progress,
                                      backfill)
            outcomes.append(outcome)
            if outcome.problem:
                errors.append({"source": source.name, "error": outcome.problem})
    except BaseException as exc:
        if is_interruption(exc):  # Ctrl-C or SIGTERM: the run and its unfinished sources say so
            mark_interrupted(store.engine, run_id, "SIGTERM" if exit_code(exc) == 143 else "SIGINT (Ctrl-C)")
        raise
    finally:
        for collector in collectors.values():
            collector.close()
    status = "complete" if all(o.complete for o in outcomes) else "partial"
    if outcomes and not any(o.pages for o in outcomes) and errors:
        status = "failed"
    counts = total.as_dict() | {"sources": len(outcomes), "sources_complete": sum(o.complete for o in outcomes)}
    store.finish_run(run_id, status, counts, errors)
    return RunOutcome(run_id=run_id, status=status, result=total, sources=outcomes)


def _is_loopback(url: str | None) -> bool:
    """A source served from this machine is the sandbox (or a test double): its data is a sample."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname if url else None
    return host is not None and (host == "localhost" or host.startswith("127.") or host == "::1")


def _collect_source(
    store: Store, collector: Collector, source: Source, run_id: int, total: PageResult,
    progress: ProgressHook | None,
    backfill: bool = False,
) -> SourceOutcome:
    coverage_id = store.start_coverage(run_id, source.name, source.platform, source.account)
    complete, pages, posts = True, 0, 0
    problems: list[str] = []
    try:
        state = source_state(store.engine, source)
        state.backfill = backfill
        state.done = streak_done(store.engine, source.name)
        for item in collector.collect(source, state):
            if isinstance(item, Progress):  # a finished sub-fetch: the next run of this streak skips it
                record_progress(store.engine, run_id, source.name, item)
                continue
            if isinstance(item, SourceProblem):
                problems.append(f"{item.reason}: {item.detail}" if item.detail else item.reason)
                if item.fatal_for_source:
                    complete = False
                continue
            assert isinstance(item, Page)
            result = store.ingest(item, run_id)
            total.add(result)
            pages += 1
            posts += len(item.posts)
            if progress:
                progress(source.name, posts)
    except ArchiverError as exc:
        raise_if_interrupted()
        complete = False
        problems.append(str(exc))
    except Exception as exc:  # a collector bug or an SDK surprise must not stop other sources
        raise_if_interrupted()  # unless it is a Ctrl-C that a library wrapped (psycopg's QueryCanceled)
        complete = False
        problems.append(f"{type(exc).__name__}: {exc}")
    problems = [redact(p) or "" for p in problems]  # a server may echo what it was sent
    problem = "; ".join(problems) or None
    store.finish_coverage(coverage_id, pages, posts, complete,
                          reason=problems[0].split(":")[0] if problems else None, detail=problem)
    return SourceOutcome(source.name, complete, pages, posts, problem)
