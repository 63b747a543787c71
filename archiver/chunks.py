"""One way to split a long list of values into IN (...) sized pieces."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

IN_LIST_LIMIT = 400
"""Values per ``IN (...)`` or ``= ANY(...)`` query: far below SQLite's 32766 bound parameters and
PostgreSQL's 65535, and small enough that one statement never holds a lock for long."""


def chunked(items: Sequence[T], size: int = IN_LIST_LIMIT) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``items`` of at most ``size`` values (none for an empty list)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
