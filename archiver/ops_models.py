"""Tables of the operations capability: who holds each run lock, and its schedule.

The lock itself is a file lock (SQLite) or a PostgreSQL advisory lock; both vanish when their
process dies, which is what makes a crashed run harmless. This table only *describes* the
holder, so that a second run can name it (host, pid, start) when it exits 75, and so that the
next holder can mark a crashed predecessor's run ``interrupted``. ``every_seconds`` is the
interval the run was scheduled at (``archiver run --every``), from which the coverage report
counts missed schedule slots.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class RunLock(SQLModel, table=True):
    """The latest holder of one named run lock (one row per lock name, overwritten on acquire)."""

    __tablename__ = "run_lock"
    name: str = Field(primary_key=True)
    host: str
    pid: int
    started_at: datetime
    run_id: int | None = None
    every_seconds: int | None = None
