"""One convention for time, and every textual form of it.

Aware UTC everywhere: SQLModel's UTCDateTime columns store UTC (``timestamptz`` on PostgreSQL, ISO
text on SQLite) and hand back aware UTC values. A naive value read from a file is taken to be UTC
(``to_db``); a naive value handed to the database is refused (``sqlite_datetime``). Every function
that turns a time into text lives here, so one format means one function.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db(moment: datetime) -> datetime:
    """Aware UTC, the form every datetime column takes; a naive value is taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_iso(text: str) -> datetime:
    """Parse the ISO 8601 forms both platforms use (``Z`` suffix, optional fraction)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's SQLite DateTime text (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC, no offset) of an
    aware datetime; a naive one is refused, as the archive cannot know its zone."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} refused: the archive stores aware UTC")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat == strftime("%Y-%m-%d %H:%M:%S.%f") here, several times faster
    return value.isoformat(" ", "microseconds")[:-6]  # drop "+00:00"


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``: the one textual time format in hashed content."""
    # isoformat, not strftime: the same text for every year from 1000 on, several times faster
    if moment.tzinfo is None:
        return moment.isoformat(timespec="milliseconds") + "Z"
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"  # drop "+00:00"


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC at full precision with ``Z`` (exports, JSON output)."""
    return to_db(moment).isoformat().replace("+00:00", "Z")


def iso_offset(moment: datetime) -> str:
    """ISO 8601 in UTC at full precision with ``+00:00`` (``show --json``, graph files, copy checks)."""
    return to_db(moment).isoformat()


def utc_seconds(moment: datetime, sep: str = " ") -> str:
    """``2025-03-16 07:46:00Z``: to the second, for one-line messages."""
    return to_db(moment).strftime(f"%Y-%m-%d{sep}%H:%M:%SZ")


def readable_utc(moment: datetime | None) -> str | None:
    """``2025-03-16 07:46:00 UTC`` (milliseconds when there are any), for the report's pages."""
    if moment is None:
        return None
    moment = to_db(moment)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + " UTC"


def utc_day(moment: datetime) -> str:
    """``2025-03-16``; a naive value is taken to be UTC."""
    return to_db(moment).strftime("%Y-%m-%d")


def utc_week(moment: datetime) -> str:
    """ISO week, ``2025-W11``; a naive value is taken to be UTC."""
    year, week, _ = to_db(moment).isocalendar()
    return f"{year}-W{week:02d}"
