"""Coverage gaps: missed schedule slots, failing sources and time ranges with no complete capture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from archiver.archive import Archive
from archiver.db import writer
from archiver.ops.coverage import coverage_gaps, coverage_report, missed_slots
from archiver.ops.lock import acquire
from archiver.tables import T_COVERAGE, T_RUN

T = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_missed_slots_allow_half_an_interval_of_jitter() -> None:
    starts = [T, T + 1.4 * HOUR, T + 4.4 * HOUR]  # late but on time; then two slots missed
    found = missed_slots(starts, HOUR, now=T + 5 * HOUR, host="h")
    assert [(m.after, m.before, m.missed) for m in found] == [(T + 1.4 * HOUR, T + 4.4 * HOUR, 2)]
    silent = missed_slots(starts, HOUR, now=T + 7 * HOUR, host="h")
    assert silent[-1].before is None and silent[-1].missed == 2  # 4.4h -> 7h: slots 5.4h and 6.4h


def _run(archive: Archive, at: datetime, outcomes: dict[str, tuple[bool, str | None]], kind: str = "run") -> int:
    store = archive.store(fetch_media=False)
    run_id = store.start_run(kind, list(outcomes))
    for source, (complete, reason) in outcomes.items():
        cov = store.start_coverage(run_id, source, "x", source)
        store.finish_coverage(cov, pages=1, posts=1, complete=complete, reason=reason,
                              detail=f"{reason}: budget spent" if reason else None)
        with writer(archive.engine).begin() as conn:
            conn.execute(update(T_COVERAGE).where(T_COVERAGE.c.id == cov)
                         .values(started_at=at, ended_at=at + timedelta(minutes=5)))
    status = "complete" if all(c for c, _ in outcomes.values()) else "partial"
    store.finish_run(run_id, status, {}, [])
    with writer(archive.engine).begin() as conn:
        conn.execute(update(T_RUN).where(T_RUN.c.id == run_id).values(started_at=at))
    return run_id


def test_report_shows_failing_sources_and_uncovered_ranges(archive: Archive) -> None:
    _run(archive, T, {"a": (True, None), "b": (True, None)})
    _run(archive, T + HOUR, {"a": (False, "rate_limited"), "b": (True, None)})
    _run(archive, T + 2 * HOUR, {"a": (False, "server_error"), "b": (False, "rate_limited")})
    _run(archive, T + 3 * HOUR, {"a": (True, None), "b": (False, "rate_limited")})
    report = coverage_report(archive.engine, now=T + 3.2 * HOUR)

    assert [(p.source, p.reason, p.failed_attempts) for p in report.problem_sources] == [("b", "rate_limited", 2)]
    assert report.problem_sources[0].last_complete_at == T + HOUR + timedelta(minutes=5)
    closed = [u for u in report.uncovered if u.source == "a"]
    assert [(u.start, u.end, u.attempts, u.reasons) for u in closed] == [
        (T + timedelta(minutes=5), T + 3 * HOUR + timedelta(minutes=5), 2, ["rate_limited", "server_error"])]
    still_open = [u for u in report.uncovered if u.source == "b"]
    assert len(still_open) == 1 and still_open[0].end is None and still_open[0].attempts == 2
    assert report.missed_slots == []  # no schedule interval known: not checked
    lines = coverage_gaps(archive.engine, now=T + 3.2 * HOUR)
    assert any("source b: incomplete" in line for line in lines)
    assert any("no complete capture of a from 2026-01-01 00:05:00Z to 2026-01-01 03:05:00Z" in line
               for line in lines)


def test_schedule_interval_from_the_lock_gives_missed_slots(archive: Archive) -> None:
    with acquire(archive, "hourly", every_seconds=3600):
        pass
    for hours in (0, 1, 4):
        _run(archive, T + hours * HOUR, {"a": (True, None)})
    _run(archive, T + 2 * HOUR, {"a": (True, None)}, kind="collect")  # a manual collect is no slot
    report = coverage_report(archive.engine, now=T + 4.5 * HOUR)
    assert [(m.after, m.before, m.missed) for m in report.missed_slots] == [(T + HOUR, T + 4 * HOUR, 2)]
    assert report.as_dict()["missed_slots"][0]["after"] == "2026-01-01T01:00:00Z"
    assert coverage_report(archive.engine, now=T + 4.5 * HOUR, every=3 * HOUR).missed_slots == []


def test_a_clean_archive_has_no_gaps(archive: Archive) -> None:
    _run(archive, T, {"a": (True, None)})
    assert coverage_gaps(archive.engine, now=T + HOUR) == []
    assert coverage_report(archive.engine, now=T + HOUR).ok


def test_status_lines_cover_the_last_30_days_only(archive: Archive) -> None:
    _run(archive, T, {"a": (False, "rate_limited")})
    _run(archive, T + timedelta(days=40), {"a": (True, None)})
    assert coverage_gaps(archive.engine, now=T + timedelta(days=40, hours=1)) == []
    old = coverage_report(archive.engine, now=T + timedelta(days=40, hours=1)).uncovered
    assert [(u.start, u.attempts) for u in old] == [(None, 1)]  # never complete before that failure
