"""Precompiled executemany for the ingest hot path.

Why not plain SQLAlchemy Core here: at 20k+ posts/s, Core's per-row parameter processing (type
processors, named-to-positional conversion) costs more than SQLite's own insert. These helpers
compile each statement once per dialect with SQLAlchemy, convert values to what the driver stores
(the same text format SQLAlchemy's SQLite DateTime uses, booleans as integers), and hand tuples
straight to the DBAPI ``executemany``. Everything outside the hot path uses Core as usual.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.engine import Connection

_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ", "microseconds")  # == strftime(_SQLITE_DATETIME), several times faster
    if isinstance(value, bool):
        return int(value)
    return value


_CACHE: dict[tuple[str, str, str, tuple[str, ...]], tuple[str, tuple[str, ...]]] = {}


class Bulk:
    """Executemany on one connection; compiled statements are cached per dialect for the process."""

    def __init__(self, conn: Connection) -> None:
        self.sqlite = conn.dialect.name == "sqlite"
        self.conn = conn

    def _compiled(
        self, kind: str, table: Table, columns: tuple[str, ...], key: str = "id"
    ) -> tuple[str, tuple[str, ...]]:
        cache_key = (self.conn.dialect.name, kind, table.name, columns)
        hit = _CACHE.get(cache_key)
        if hit is not None:
            return hit
        if kind == "insert":
            compiled = insert(table).compile(dialect=self.conn.dialect, column_keys=list(columns),
                                             for_executemany=True)
        else:
            from sqlalchemy import bindparam, update

            stmt = update(table).where(table.c[key] == bindparam(f"k_{key}")).values(
                {c: bindparam(f"v_{c}") for c in columns})
            compiled = stmt.compile(dialect=self.conn.dialect, for_executemany=True)
        order = tuple(compiled.positiontup or ()) if self.sqlite else ()
        result = (str(compiled), order)
        _CACHE[cache_key] = result
        return result

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """INSERT every row (all rows have the same keys)."""
        if not rows:
            return
        columns = tuple(rows[0])
        sql, order = self._compiled("insert", table, columns)
        if self.sqlite:
            # every column with a default must be given explicitly: the compiled statement binds it
            params: Any = self._sqlite_rows(table, order, rows)
        else:
            params = rows
        self.conn.exec_driver_sql(sql, params)

    @staticmethod
    def _sqlite_rows(
        table: Table, names: tuple[str, ...], rows: list[dict[str, Any]], strip: int = 0
    ) -> list[Any]:
        """Tuples in ``names`` order; only datetime and boolean columns pay for a conversion."""
        from sqlalchemy import Boolean, DateTime

        def needs(name: str) -> bool:
            column_type = table.c[name[strip:]].type
            return isinstance(column_type, (DateTime, Boolean)) or isinstance(
                getattr(column_type, "impl", None), (DateTime, Boolean))

        plan = [(name[strip:], needs(name)) for name in names]
        memo: dict[Any, Any] = {}  # a page repeats the same capture time in every row

        def convert(value: Any) -> Any:
            hit = memo.get(value)
            if hit is None:
                hit = memo[value] = _sqlite_value(value)
            return hit

        if not any(flag for _, flag in plan):
            return [tuple(row[n] for n, _ in plan) for row in rows]
        return [tuple(convert(row[n]) if flag and row[n] is not None else row[n] for n, flag in plan)
                for row in rows]

    def update(self, table: Table, rows: list[dict[str, Any]], key: str = "id") -> None:
        """UPDATE table SET <other keys> WHERE key = row[key], for every row."""
        if not rows:
            return
        columns = tuple(c for c in rows[0] if c != key)
        sql, order = self._compiled("update", table, columns, key)
        if self.sqlite:
            params: Any = self._sqlite_rows(table, order, rows, strip=2)
        else:
            params = [{f"k_{key}": row[key], **{f"v_{c}": row[c] for c in columns}} for row in rows]
        self.conn.exec_driver_sql(sql, params)

    def allocate_ids(self, table: Table, count: int) -> list[int]:
        """``count`` fresh primary keys, safe under concurrency: on SQLite the caller holds the write
        lock (BEGIN IMMEDIATE), so MAX(id) cannot move; on PostgreSQL they come from the sequence."""
        if count == 0:
            return []
        if self.sqlite:
            start = int(self.conn.execute(select(text(f"COALESCE(MAX(id), 0) FROM {table.name}"))).scalar() or 0)
            return list(range(start + 1, start + 1 + count))
        rows = self.conn.execute(
            text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)"),
            {"n": count},
        ).scalars().all()
        return [int(r) for r in rows]
