"""Reading and writing a source's sub-fetch progress (``source_progress``).

Why: under heavy faults a large source never finishes in one run's wait budget. If every run
restarted it from the beginning, it would stop at about the same place each time and the gap would
never fill. Instead each finished sub-fetch is recorded as the collector reports it, and the next
run of the source skips what its *streak* (its runs since it last completed) already did: it
resumes where it stopped. A complete run ends the streak, so the run after it fetches everything
again and catches up with what changed meanwhile.
"""

from __future__ import annotations

import orjson
from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import Engine

from archiver.collectors.records import Progress
from archiver.db import writer
from archiver.resume_models import SourceProgress
from archiver.tables import T_COVERAGE
from archiver.timeutil import to_db, utcnow

T_PROGRESS: Table = SourceProgress.__table__  # type: ignore[assignment,attr-defined]


def streak_done(engine: Engine, source: str) -> dict[tuple[str, str], list[str]]:
    """(step, unit) -> found, for every sub-fetch finished since ``source`` last completed."""
    with engine.connect() as conn:
        last_complete = conn.execute(
            select(func.max(T_COVERAGE.c.run_id)).where(T_COVERAGE.c.source == source,
                                                         T_COVERAGE.c.complete.is_(True))).scalar()
        rows = conn.execute(
            select(T_PROGRESS.c.step, T_PROGRESS.c.unit, T_PROGRESS.c.found)
            .where(T_PROGRESS.c.source == source, T_PROGRESS.c.run_id > (last_complete or 0))
            .order_by(T_PROGRESS.c.id)).all()
    return {(step, unit): list(orjson.loads(found)) for step, unit, found in rows}


def record(engine: Engine, run_id: int, source: str, progress: Progress) -> None:
    with writer(engine).begin() as conn:
        conn.execute(insert(T_PROGRESS), {
            "source": source, "run_id": run_id, "step": progress.step, "unit": progress.unit,
            "found": orjson.dumps(progress.found).decode(), "at": to_db(utcnow())})


__all__ = ["record", "streak_done"]
