"""``archiver copy --to URL``: move an archive between SQLite and PostgreSQL, and prove the move.

Why not ``pg_dump``/``sqlite3 .dump``: neither reads the other's dialect. This copies through
SQLAlchemy Core (so each column's type, datetimes included, is converted by the same code that
wrote it), streaming every table in primary-key batches, preserving ids (snapshots, captures and
sightings cite each other by id, and published reports cite them too), in one transaction, so a
failed copy leaves the target empty. Afterwards it proves the result:

1. every table has the same number of rows and the same SHA-256 over its rows, in both databases;
2. ``verify_archive`` re-derives every capture, snapshot, CID and media hash *in the target*.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Table, func, insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import archiver.schema  # noqa: F401  (registers every capability's tables)
from archiver.archive import Archive, open_archive
from archiver.db import writer
from archiver.errors import BadInputError, HashMismatchError
from archiver.timeutil import iso_offset
from archiver.verify import verify_archive

DEFAULT_BATCH = 1000


@dataclass
class CopyReport:
    target: str
    rows: dict[str, int] = field(default_factory=dict)
    media_files: int = 0
    verified: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "rows": self.rows, "media_files": self.media_files,
                "verified": self.verified}


def copy_tables(source: Engine) -> list[Table]:
    """The archive's tables present in ``source``, parents before children."""
    present = set(inspect(source).get_table_names())
    return [t for t in SQLModel.metadata.sorted_tables if t.name in present]


def _rows(engine: Engine, table: Table, batch: int) -> Iterator[list[dict[str, Any]]]:
    order = list(table.primary_key.columns) or list(table.columns)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(
            select(table).order_by(*order))
        for part in result.mappings().partitions(batch):
            yield [dict(row) for row in part]


def _canonical(value: Any) -> Any:
    """One textual form per value, whichever database it came from."""
    if isinstance(value, datetime):
        return iso_offset(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return hashlib.sha256(bytes(value)).hexdigest()
    return value


def table_digest(engine: Engine, table: Table, batch: int = DEFAULT_BATCH) -> tuple[int, str]:
    """(rows, SHA-256 over every row in primary-key order): equal digests mean equal tables."""
    digest = hashlib.sha256()
    count = 0
    names = [c.name for c in table.columns]
    for rows in _rows(engine, table, batch):
        for row in rows:
            digest.update(orjson.dumps([_canonical(row[n]) for n in names]))
            digest.update(b"\n")
            count += 1
    return count, digest.hexdigest()


def _ensure_empty(target: Archive, tables: list[Table]) -> None:
    with target.engine.connect() as conn:
        for table in tables:
            if conn.execute(select(func.count()).select_from(table)).scalar():
                raise BadInputError(f"--to: {target.location.redacted_url()} already holds data "
                                    f"(table {table.name}); copy into an empty database")


def _reset_sequences(conn: Any, tables: list[Table]) -> None:
    """PostgreSQL sequences do not move when ids are inserted explicitly; put each past the max id."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.c and table.c.id.autoincrement and table.c.id.primary_key:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))


def _copy_media(source_dir: Path, target_dir: Path) -> int:
    if not source_dir.exists() or source_dir.resolve() == target_dir.resolve():
        return 0
    copied = 0
    for path in sorted(source_dir.rglob("*")):
        if path.is_file() and not path.name.startswith(".tmp-"):
            dest = target_dir / path.relative_to(source_dir)
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
                copied += 1
    return copied


def copy_archive(
    source: Archive,
    to: str,
    to_archive: Path | None = None,
    batch: int = DEFAULT_BATCH,
    progress: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy ``source`` into ``to`` (a database URL, or a directory for an SQLite archive), then
    verify. Raises ``BadInputError`` (exit 2) for a non-empty or identical target and
    ``HashMismatchError`` (exit 1) if the target does not match after the copy."""
    if "://" in to:
        target = open_archive(to_archive or source.location.directory, to, create=True)
    else:
        target = open_archive(Path(to), None, create=True)
    with target:
        if target.location.db_url == source.location.db_url:
            raise BadInputError("--to: the target is the source archive itself")
        tables = copy_tables(source.engine)
        _ensure_empty(target, tables)
        report = CopyReport(target=target.location.redacted_url())
        with writer(target.engine).begin() as conn:
            for table in tables:
                count = 0
                for rows in _rows(source.engine, table, batch):
                    conn.execute(insert(table), rows)
                    count += len(rows)
                    if progress:
                        progress(table.name, count)
                report.rows[table.name] = count
            _reset_sequences(conn, tables)
        report.media_files = _copy_media(source.media_dir, target.media_dir)
        _prove(source, target, tables, batch, report)
        return report


def _prove(source: Archive, target: Archive, tables: list[Table], batch: int, report: CopyReport) -> None:
    for table in tables:
        ours, theirs = table_digest(source.engine, table, batch), table_digest(target.engine, table, batch)
        if ours != theirs:
            raise HashMismatchError(f"copy check failed: table {table.name} differs in the target "
                                    f"({ours[0]} rows in the source, {theirs[0]} in the target)")
    checked = verify_archive(target.engine, target.media_dir, record=True)
    if not checked.ok:
        first = checked.mismatches[0]
        raise HashMismatchError(f"copy check failed: verify found {len(checked.mismatches)} mismatches in the "
                                f"target, first: {first}")
    report.verified = dict(checked.checked)
