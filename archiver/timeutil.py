"""One convention for time: aware UTC everywhere. SQLModel's UTCDateTime columns store UTC
(``timestamptz`` on PostgreSQL, ISO text on SQLite) and hand back aware UTC values."""

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
