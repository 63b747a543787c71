"""Small facts every page needs: the sample-data flag, which analyses have run, the latest capture.

Times are printed from the archive's own values in one fixed format (``timeutil.readable_utc``,
never the clock), so that the same archive always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection

from archiver.sandbox.scenario import SYNTHETIC_NOTICE
from archiver.tables import T_CAPTURE, T_META
from archiver.timeutil import readable_utc


@dataclass(frozen=True)
class SiteFacts:
    """What the layout of every page shows: the sample-data notice and the archive's own 'as of'."""

    sample_data: bool
    notice: str | None
    as_of: str | None
    has_cascades: bool
    has_tone: bool

    def as_dict(self) -> dict[str, Any]:
        """What every page's layout may use. ``as_of`` is left out on purpose: it changes with every
        run, and only the index shows it, so it must not enter every page's input hash."""
        return {"sample_data": self.sample_data, "notice": self.notice,
                "has_cascades": self.has_cascades, "has_tone": self.has_tone}


def site_facts(conn: Connection) -> SiteFacts:
    meta = {k: v for k, v in conn.execute(select(T_META.c.key, T_META.c.value))}
    sample = meta.get("sample_data") == "1"
    latest = conn.execute(select(func.max(T_CAPTURE.c.fetched_at))).scalar()
    tables = set(inspect(conn).get_table_names())
    has_cascades = "cascade" in tables and _any_run(conn, "cascades")
    has_tone = "tone" in tables and bool(conn.exec_driver_sql("SELECT 1 FROM tone LIMIT 1").first())
    return SiteFacts(sample, SYNTHETIC_NOTICE if sample else None, readable_utc(latest), has_cascades, has_tone)


def _any_run(conn: Connection, analyzer: str) -> bool:
    from archiver.tables import T_ANALYSIS_RUN

    return conn.execute(select(T_ANALYSIS_RUN.c.id).where(T_ANALYSIS_RUN.c.analyzer == analyzer).limit(1)).first() \
        is not None


def grouped(rows: Iterable[Any], key: str) -> dict[Any, list[Any]]:
    """Rows by the value of their column ``key``, in the order they came."""
    out: dict[Any, list[Any]] = {}
    for row in rows:
        out.setdefault(getattr(row, key), []).append(row)
    return out
