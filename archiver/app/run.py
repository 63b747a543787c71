"""``archiver run``: collect, analyze and report in one command, made for cron and systemd timers.

Why one command: an unattended job must make one decision about success. The exit code says it
(0 complete, 3 partial: some sources incomplete, 1 failed, 2 bad config, 75 another run holds the
lock), the structured log says why, and ``--quiet`` keeps a good night silent so cron mails only
bad ones.

Crash safety comes from the layers below: every page is one transaction (a SIGKILL loses at most
the page in flight), captures and snapshots are append-only, and the lock dies with its process.
This module adds the bookkeeping: the next holder of the lock marks a crashed predecessor's run
``interrupted``, so the coverage report shows the gap, and its collect fills it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from archiver.archive import Archive, open_archive
from archiver.collect import RunOutcome, run_collect
from archiver.collectors.base import Collector
from archiver.config import Config, load_config, secrets_from_env
from archiver.errors import EXIT_FAILED, EXIT_OK, ArchiverError, BadInputError, exit_code_for_status
from archiver.ops import logging as oplog
from archiver.ops.lock import RunLockHandle, acquire, default_lock_name


@dataclass
class RunOptions:
    config_path: Path
    archive: Path | None = None
    db: str | None = None
    sources: list[str] | None = None
    lock_name: str | None = None
    every: timedelta | None = None  # the schedule's interval, for missed-slot detection
    analyze: bool = True
    report: bool = True
    site_dir: Path | None = None  # default: <archive dir>/site


def parse_every(text: str) -> timedelta:
    """``90s``, ``15m``, ``6h``, ``1d`` (or plain seconds) -> timedelta; a bad value exits 2."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip().lower()
    factor = units.get(value[-1:])
    number = value[:-1] if factor else value
    try:
        seconds = float(number) * (factor or 1)
    except ValueError:
        raise BadInputError(f"--every: {text!r} is not a duration like 30m, 6h or 1d") from None
    if seconds < 60:
        raise BadInputError(f"--every: {text!r} is shorter than a minute")
    return timedelta(seconds=seconds)


def run_scheduled(
    options: RunOptions,
    sleep: Callable[[float], None] | None = None,
    collector_factory: Callable[[str], Collector] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> int:
    """One scheduled run; returns its exit code. Bad config and a held lock raise
    ``ArchiverError`` (exit 2 and 75) before anything is written."""
    began = time.monotonic()
    try:
        config = load_config(options.config_path)
        chosen = config.select(options.sources)
        archive = open_archive(options.archive, options.db, create=True)
    except ArchiverError as exc:
        oplog.log_event("run.refused", logging.ERROR, error=str(exc), exit_code=exc.exit_code)
        raise
    with archive:
        name = options.lock_name or default_lock_name(s.name for s in chosen)
        every = int(options.every.total_seconds()) if options.every else None
        try:
            lock = acquire(archive, name, every)
        except ArchiverError as exc:
            oplog.log_event("run.locked_out", logging.ERROR, lock=name, error=str(exc), exit_code=exc.exit_code)
            raise
        with lock:
            oplog.log_event("run.start", lock=name, archive=archive.location.redacted_url(),
                            sources=[s.name for s in chosen])
            interrupted = lock.close_interrupted()
            if interrupted is not None:
                oplog.log_event("run.previous_interrupted", logging.WARNING, run_id=interrupted,
                                previous=lock.previous.describe() if lock.previous else None)
            code = _work(archive, config, chosen_names=[s.name for s in chosen], lock=lock, options=options,
                         sleep=sleep, collector_factory=collector_factory, progress=progress)
        oplog.log_event("run.done", logging.INFO if code == EXIT_OK else logging.WARNING,
                        exit_code=code, seconds=round(time.monotonic() - began, 3))
        return code


def _work(archive: Archive, config: Config, chosen_names: list[str], lock: RunLockHandle, options: RunOptions,
          sleep: Callable[[float], None] | None, collector_factory: Callable[[str], Collector] | None,
          progress: Callable[[str, int], None] | None) -> int:
    store = archive.store(config.media)
    sources = config.select(chosen_names)
    try:
        # The lock learns the run id as soon as it exists, so a successor can close it after a crash.
        outcome = run_collect(store, config, sources, secrets_from_env(), kind="run", sleep=sleep,
                              progress=progress, collector_factory=collector_factory, on_run_start=lock.set_run)
    except Exception as exc:  # the store itself failed (disk full, database gone): the run failed
        oplog.log_event("collect.failed", logging.ERROR, error=f"{type(exc).__name__}: {exc}")
        return EXIT_FAILED
    _log_collect(outcome)
    code = exit_code_for_status(outcome.status)
    if options.analyze and not _step("analyze", lambda: _analyze(archive)):
        code = EXIT_FAILED
    if options.report and not _step("report", lambda: _report(archive, options)):
        code = EXIT_FAILED
    return code


def _log_collect(outcome: RunOutcome) -> None:
    for source in outcome.sources:
        oplog.log_event("source.done", logging.INFO if source.complete else logging.WARNING,
                        run_id=outcome.run_id, source=source.source, complete=source.complete,
                        pages=source.pages, posts=source.posts, problem=source.problem)
    oplog.log_event("collect.done", logging.INFO if outcome.status == "complete" else logging.WARNING,
                    run_id=outcome.run_id, status=outcome.status, **outcome.result.as_dict())


def _step(name: str, work: Callable[[], Any]) -> bool:
    """Run analyze or report; a failure is logged and fails the run, but never loses collected data."""
    started = time.monotonic()
    try:
        summary = work()
    except Exception as exc:
        oplog.log_event(f"{name}.failed", logging.ERROR, error=f"{type(exc).__name__}: {exc}")
        return False
    oplog.log_event(f"{name}.done", seconds=round(time.monotonic() - started, 3), summary=summary)
    return True


def _analyze(archive: Archive) -> Any:
    from analysis.analyze import run_analysis

    return {name: summary.as_dict() for name, summary in run_analysis(archive.engine).items()}


def _report(archive: Archive, options: RunOptions) -> Any:
    from reports.build import build_site

    site = options.site_dir or archive.location.directory / "site"
    result = build_site(archive.engine, archive.media_dir, site)
    return {"site": str(result.out_dir), "pages": result.pages, "written": result.written,
            "removed": result.removed}
