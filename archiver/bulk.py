"""Statements for the ingest hot path, handed straight to the DBAPI.

Why not SQLAlchemy Core here: at 20k+ posts/s its per-statement work (compiling expanding IN
lists, result-row processing) and per-row parameter processing cost more than SQLite's own
inserts. These helpers write the few plain statements the store and the analysis repeat by hand,
from the same ``Table`` objects.

The contract for values is the one Core has: callers pass Python values (aware datetimes, bools,
numbers, text) and ``Bulk`` converts each to exactly what SQLAlchemy would have stored, by the
column's type: on SQLite datetimes become the text its DateTime type writes and booleans
integers; on PostgreSQL the driver takes both as they are. A naive datetime is refused on both,
since the archive cannot know which zone it meant. Everything outside the hot paths uses Core.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Table, TypeDecorator
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from archiver.chunks import IN_LIST_LIMIT, chunked
from archiver.timeutil import sqlite_datetime

_SQL_CACHE: dict[tuple[str, str, str, tuple[str, ...], int], str] = {}
_KINDS: dict[tuple[str, str, tuple[str, ...]], tuple[tuple[int, str], ...]] = {}
_Plan = tuple[tuple[int, Callable[[Any], Any]], ...]


class Bulk:
    """Hand-written statements on one connection, for one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self._marker = "?" if self.sqlite else "%s"
        self._when: dict[datetime, Any] = {}  # a page repeats the same capture time in every row
        self._read: dict[str, datetime] = {}  # and accounts seen on the same page share a last-seen time
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}
        self._cursor: Any = None

    def _run(self, sql: str, params: Any, many: bool = False) -> Any:
        """Execute on the transaction's own DBAPI connection, skipping SQLAlchemy's per-statement
        machinery (no engine events are in use on these statements). Driver errors are wrapped
        as SQLAlchemy's, exactly as ``Connection.execute`` would, so callers' retry logic (lost
        races, deadlocks, a locked database) sees the same exception types."""
        if self._cursor is None:
            self._cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        dbapi = self.conn.dialect.loaded_dbapi
        try:
            if many:
                self._cursor.executemany(sql, params)
            else:
                self._cursor.execute(sql, params)
        except dbapi.Error as exc:
            raise DBAPIError.instance(sql, params if not many else None, exc, dbapi.Error,
                                      dialect=self.conn.dialect) from exc
        return self._cursor

    # ---- values -----------------------------------------------------------------------
    def when(self, value: datetime | None) -> Any:
        """A datetime as this database stores it (aware in; UTC text on SQLite)."""
        hit = self._when.get(value)  # type: ignore[arg-type]
        if hit is None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value.isoformat()} refused: the archive stores aware UTC")
            hit = self._when[value] = sqlite_datetime(value) if self.sqlite else value
        return hit

    @staticmethod
    def _flag(value: bool | None) -> int | None:
        return None if value is None else int(value)

    def _plan(self, table: Table, columns: tuple[str, ...]) -> _Plan:
        """Which of ``columns`` need converting, and how (by the column's SQLAlchemy type; the
        types are looked up once per process, the converters bound once per ``Bulk``)."""
        key = (table.name, columns)
        plan = self._plans.get(key)
        if plan is None:
            kinds = _KINDS.get((self.conn.dialect.name, *key))
            if kinds is None:
                kinds = _KINDS[(self.conn.dialect.name, *key)] = self._kinds(table, columns)
            convert: dict[str, Callable[[Any], Any]] = {"datetime": self.when, "boolean": self._flag}
            plan = self._plans[key] = tuple((index, convert[kind]) for index, kind in kinds)
        return plan

    def _kinds(self, table: Table, columns: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
        kinds = []
        for index, name in enumerate(columns):
            kind = table.c[name].type
            if isinstance(kind, TypeDecorator):  # SQLModel's UTCDateTime wraps DateTime
                kind = kind.impl_instance
            if isinstance(kind, DateTime):
                kinds.append((index, "datetime"))
            elif isinstance(kind, Boolean) and self.sqlite:
                kinds.append((index, "boolean"))
        return tuple(kinds)

    def _convert(self, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> Sequence[Any]:
        """``rows`` with every value as the database stores it (see the module docstring)."""
        plan = self._plan(table, columns)
        if not plan:
            return rows
        converted = []
        for row in rows:
            values = list(row)
            for index, convert in plan:  # each converter passes None through
                values[index] = convert(values[index])
            converted.append(values)
        return converted

    def read_when(self, value: Any) -> datetime | None:
        """A datetime column as read back: aware UTC on both databases."""
        if value is None or isinstance(value, datetime):
            return value.astimezone(UTC) if value is not None and value.tzinfo is not None else value
        hit = self._read.get(value)
        if hit is None:
            hit = self._read[value] = datetime.fromisoformat(value).replace(tzinfo=UTC)
        return hit

    # ---- statements -------------------------------------------------------------------
    def _members(self, size: int) -> str:
        """``IN (?, ...)`` with ``size`` markers on SQLite; ``= ANY(%s)`` taking one list on PostgreSQL."""
        mark = self._marker
        return f"IN ({', '.join([mark] * size)})" if self.sqlite else f"= ANY({mark})"

    def _sql(self, kind: str, table: Table, columns: tuple[str, ...], size: int = 0) -> str:
        key = (self.conn.dialect.name, kind, table.name, columns, size)
        sql = _SQL_CACHE.get(key)
        if sql is None:
            sql = _SQL_CACHE[key] = self._build(kind, table, columns, size)
        return sql

    def _build(self, kind: str, table: Table, columns: tuple[str, ...], size: int) -> str:
        for name in columns:
            table.c[name]  # noqa: B018 - a KeyError here names a typo before any SQL runs
        mark = self._marker
        if kind == "insert":
            return (f"INSERT INTO {table.name} ({', '.join(columns)}) "
                    f"VALUES ({', '.join([mark] * len(columns))})")
        if kind == "update":
            *values, key = columns
            return f"UPDATE {table.name} SET {', '.join(f'{c} = {mark}' for c in values)} WHERE {key} = {mark}"
        # select: columns = (*selected, equal_column, in_column); sorted so that writers lock rows in one order
        *selected, equal, within = columns
        members = self._members(size)
        lock = "" if self.sqlite else " FOR UPDATE"
        return (f"SELECT {', '.join(selected)} FROM {table.name} WHERE {equal} = {mark} AND {within} {members} "
                f"ORDER BY {within}{lock}")

    def insert(self, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
        """INSERT every row (tuples of Python values in ``columns`` order)."""
        if rows:
            self._run(self._sql("insert", table, columns), self._convert(table, columns, rows), many=True)

    def update(self, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
        """UPDATE table SET columns[:-1] WHERE columns[-1] = value, for every row."""
        if rows:
            self._run(self._sql("update", table, columns), self._convert(table, columns, rows), many=True)

    def update_guarded(
        self, table: Table, column: str, guard: str, keys: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """For each ``(value, *key values)``: SET column = value WHERE the keys match and
        ``column <guard> value`` (``<`` moves a time forward, ``>`` back), in one executemany."""
        if not rows:
            return
        assert guard in ("<", ">")
        mark = self._marker
        matches = " AND ".join(f"{key} = {mark}" for key in keys)
        sql = f"UPDATE {table.name} SET {column} = {mark} WHERE {matches} AND {column} {guard} {mark}"
        values = self._convert(table, (column, *keys), rows)
        self._run(sql, [(*row, row[0]) for row in values], many=True)

    def raise_to(
        self, table: Table, column: str, value: datetime, ids: Sequence[int], chunk: int = IN_LIST_LIMIT
    ) -> None:
        """SET ``column`` = value on the rows ``ids`` where it is older (a last-seen time moving on)."""
        mark = self._marker
        for part in chunked(sorted(set(ids)), chunk):
            sql = f"UPDATE {table.name} SET {column} = {mark} WHERE {column} < {mark} AND id {self._members(len(part))}"
            tail: tuple[Any, ...] = tuple(part) if self.sqlite else (part,)
            self._run(sql, (self.when(value), self.when(value), *tail))

    def select_in(
        self, table: Table, selected: tuple[str, ...], equal: tuple[str, Any], within: tuple[str, Sequence[Any]],
        chunk: int = IN_LIST_LIMIT,
    ) -> list[tuple[Any, ...]]:
        """Rows with ``equal`` column == value and ``within`` column in the values, locked FOR UPDATE
        on PostgreSQL (SQLite's writer already holds the database lock). The values are text or
        numbers, passed as they are."""
        columns = (*selected, equal[0], within[0])
        found: list[tuple[Any, ...]] = []
        for part in chunked(sorted(set(within[1])), chunk):
            if self.sqlite:
                params: Any = (equal[1], *part)
                sql = self._sql("select", table, columns, len(part))
            else:
                params = (equal[1], part)
                sql = self._sql("select", table, columns)
            found.extend(self._run(sql, params).fetchall())
        return found

    def allocate_ids(self, table: Table, count: int) -> list[int]:
        """``count`` fresh primary keys, safe under concurrency: on SQLite the caller holds the write
        lock (BEGIN IMMEDIATE), so MAX(id) cannot move; on PostgreSQL they come from the sequence."""
        if count == 0:
            return []
        if self.sqlite:
            start = int(self._run(f"SELECT COALESCE(MAX(id), 0) FROM {table.name}", ()).fetchone()[0])
            return list(range(start + 1, start + 1 + count))
        rows = self._run(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, %s)", (count,)
        ).fetchall()
        return [int(r[0]) for r in rows]

    def insert_returning_id(self, table: Table, columns: tuple[str, ...], row: tuple[Any, ...]) -> int:
        """INSERT one row (Python values, as ``insert``) and return its new primary key."""
        sql = self._sql("insert", table, columns) + " RETURNING id"
        return int(self._run(sql, self._convert(table, columns, [row])[0]).fetchone()[0])
