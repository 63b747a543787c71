"""Small statement and value helpers shared by the store's writers."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def json_text(value: Any) -> str:
    """A JSON-valued column's text (UTF-8 JSON, readable by SQLite's and PostgreSQL's functions)."""
    return orjson.dumps(value).decode()


def insert_ignoring_conflicts(conn: Connection, table: Table, index_elements: list[str]) -> Any:
    """``INSERT ... ON CONFLICT (cols) DO NOTHING`` for the connection's dialect."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=index_elements)


def ids_by_platform(keys: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """(platform, [platform ids]) per platform, platforms sorted, so writers lock rows in one order."""
    by_platform: dict[str, list[str]] = {}
    for platform, platform_id in keys:
        by_platform.setdefault(platform, []).append(platform_id)
    return sorted(by_platform.items())
