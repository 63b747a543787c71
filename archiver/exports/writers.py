"""Writing row streams as JSONL, CSV or Parquet, in constant memory.

JSONL and CSV go to any binary stream (a file or stdout); Parquet needs a seekable file and is
written with pyarrow's ``ParquetWriter`` one record batch at a time, with an explicit schema so
that ids stay strings and an all-empty column still has its type.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from archiver.errors import BadInputError
from archiver.exports.rows import BOOL_COLUMNS, INT_COLUMNS, TIME_COLUMNS

FORMATS = ("jsonl", "csv", "parquet")
PARQUET_BATCH = 10_000


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[bytes]) -> int:
    count = 0
    for row in rows:
        out.write(orjson.dumps(row) + b"\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], out: IO[bytes]) -> int:
    """RFC 4180 CSV, UTF-8, header row; empty field for NULL, ``true``/``false`` for booleans."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else ("true" if v else "false") if isinstance(v, bool) else v
                         for v in row.values()])
        count += 1
    text.flush()
    text.detach()
    return count


def _schema(columns: tuple[str, ...]) -> Any:
    import pyarrow as pa

    def kind(name: str) -> Any:
        if name in INT_COLUMNS:
            return pa.int64()
        if name in BOOL_COLUMNS:
            return pa.bool_()
        if name in TIME_COLUMNS:
            return pa.timestamp("us", tz="UTC")
        return pa.string()

    return pa.schema([(name, kind(name)) for name in columns])


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_parquet(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from archiver.timeutil import parse_iso

    schema = _schema(columns)
    count = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for batch in _batches(rows, PARQUET_BATCH):
            arrays = []
            for name in columns:
                values = [r[name] for r in batch]
                if name in TIME_COLUMNS:
                    values = [parse_iso(v) if v else None for v in values]
                arrays.append(pa.array(values, type=schema.field(name).type))
            writer.write_batch(pa.record_batch(arrays, schema=schema))
            count += len(batch)
    return count


def write_rows(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], fmt: str, out: Path | None,
               stdout: IO[bytes]) -> int:
    """Write ``rows`` in ``fmt`` to ``out`` (or ``stdout``); returns the row count."""
    if fmt not in FORMATS:
        raise BadInputError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "parquet":
        if out is None:
            raise BadInputError("--format parquet needs --out FILE (Parquet cannot be streamed to stdout)")
        return write_parquet(rows, columns, out)
    if out is None:
        return write_jsonl(rows, stdout) if fmt == "jsonl" else write_csv(rows, columns, stdout)
    with out.open("wb") as fh:
        return write_jsonl(rows, fh) if fmt == "jsonl" else write_csv(rows, columns, fh)
