"""What every file import shares: validate first, then write in checkpointed batches.

A file is read twice. The first pass parses and normalizes every row and writes nothing: a bad
row stops the import there (``file:line: reason``, exit 2) with the archive untouched, or, with
``--skip-bad``, is listed in a report. The second pass writes pages in batches; each batch and
the import's checkpoint commit in one transaction, so an interrupted import resumes after the
last committed row without duplicates, and a completed file (same SHA-256) is never imported
twice. Both passes stream, so memory does not grow with the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson
from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from archiver.collectors.records import CaptureRecord, Page
from archiver.db import writer
from archiver.errors import BadInputError
from archiver.importers.models import ImportFile
from archiver.store import PageResult, Store
from archiver.timeutil import to_db, utcnow

T_IMPORT: Table = ImportFile.__table__  # type: ignore[assignment,attr-defined]

BATCH_POSTS = 5000  # posts per transaction: big enough that commits are cheap, small enough to resume
BATCH_PAGES = 500


@dataclass(slots=True)
class BadRow:
    """A row that cannot be imported: ``where`` is ``file:line`` (or the CAR block), for people."""

    position: int
    where: str
    reason: str

    def message(self) -> str:
        return f"{self.where}: {self.reason}"


Item = tuple[int, "Page | BadRow"]


class ImportSource(Protocol):
    """One file (or unpacked folder) in one format. ``items`` must give the same sequence every
    time it is called, with strictly increasing positions (line numbers, part numbers)."""

    format: str
    path: Path

    def fingerprint(self) -> tuple[str, int]: ...

    def items(self, file_sha256: str) -> Iterator[Item]: ...


@dataclass
class ImportOutcome:
    file: str
    format: str
    status: str  # imported | resumed | already imported
    import_id: int | None = None
    run_id: int | None = None
    file_sha256: str = ""
    posts: int = 0
    skipped: int = 0
    report_path: str | None = None
    result: PageResult = field(default_factory=PageResult)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "format": self.format, "status": self.status, "import_id": self.import_id,
                "run_id": self.run_id, "file_sha256": self.file_sha256, "posts": self.posts,
                "skipped": self.skipped, "report": self.report_path, **self.result.as_dict()}


def file_fingerprint(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, streamed (what ``sha256sum`` prints)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _existing(store: Store, fmt: str, sha: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        query = select(T_IMPORT).where(T_IMPORT.c.format == fmt, T_IMPORT.c.file_sha256 == sha)
        row = conn.execute(query).first()
    return dict(row._mapping) if row else None


def validate(source: ImportSource, sha: str, skip_bad: bool) -> list[BadRow]:
    """Pass 1: parse everything, write nothing. Without ``skip_bad`` the first bad row raises."""
    bad: list[BadRow] = []
    for _, item in source.items(sha):
        if isinstance(item, BadRow):
            if not skip_bad:
                raise BadInputError(item.message())
            bad.append(item)
    return bad


def write_report(path: Path, source: ImportSource, bad: list[BadRow]) -> None:
    """The ``--skip-bad`` report: one JSON object per skipped row."""
    with path.open("wb") as fh:
        for row in bad:
            fh.write(orjson.dumps({"file": str(source.path), "position": row.position, "where": row.where,
                                   "reason": row.reason}) + b"\n")


def _file_capture(source: ImportSource, sha: str, size: int) -> Page:
    """The file's own capture: a small manifest (the file itself may be gigabytes; its rows are
    captured byte-exact by the per-line or per-part captures that link back by ``file_sha256``)."""
    now = utcnow()
    manifest = {"file": source.path.name, "path": str(source.path.resolve()), "format": source.format,
                "size": size, "sha256": sha, "imported_at": now.isoformat()}
    return Page(capture=CaptureRecord(kind="file", url=source.path.resolve().as_uri(), status=200,
                                      fetched_at=now, body=orjson.dumps(manifest), meta=manifest))


def _begin(store: Store, source: ImportSource, sha: str, size: int, run_id: int) -> int:
    page = _file_capture(source, sha, size)
    with writer(store.engine).begin() as conn:
        # The core store has no public "insert one capture" call; this is its own helper.
        capture_id = store._insert_capture(conn, page, run_id)
        row = conn.execute(insert(T_IMPORT).returning(T_IMPORT.c.id), {
            "format": source.format, "file_name": str(source.path), "file_sha256": sha, "file_size": size,
            "capture_id": capture_id, "run_id": run_id, "started_at": to_db(page.capture.fetched_at),
            "status": "running", "checkpoint": 0, "items": 0, "posts": 0, "skipped": 0,
        }).one()
    return int(row[0])


def _batches(items: Iterator[Item], after: int) -> Iterator[tuple[list[Page], int, int]]:
    """(pages, last position, positions) groups of committed size, skipping committed rows."""
    pages: list[Page] = []
    posts = count = 0
    last = after
    for position, item in items:
        if position <= after or isinstance(item, BadRow):
            continue
        pages.append(item)
        posts += len(item.posts)
        count += 1
        last = position
        if posts >= BATCH_POSTS or len(pages) >= BATCH_PAGES:
            yield pages, last, count
            pages, posts, count = [], 0, 0
    if pages:
        yield pages, last, count


def run_import(
    store: Store,
    source: ImportSource,
    skip_bad: bool = False,
    report_path: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ImportOutcome:
    """Import one file completely (or resume it); see the module docstring for the guarantees."""
    sha, size = source.fingerprint()
    outcome = ImportOutcome(file=str(source.path), format=source.format, status="imported", file_sha256=sha)
    existing = _existing(store, source.format, sha)
    if existing is not None and existing["status"] == "complete":
        outcome.status = "already imported"
        outcome.import_id = existing["id"]
        return outcome
    bad = validate(source, sha, skip_bad)
    if bad:
        report = report_path or Path(f"{source.path.name}.skipped.jsonl")
        write_report(report, source, bad)
        outcome.report_path = str(report)
    outcome.skipped = len(bad)
    run_id = store.start_run("import", [str(source.path)])
    outcome.run_id = run_id
    try:
        if existing is None:
            import_id, after = _begin(store, source, sha, size, run_id), 0
        else:
            import_id, after = int(existing["id"]), int(existing["checkpoint"])
            outcome.status = "resumed"
        outcome.import_id = import_id
        for pages, last, count in _batches(source.items(sha), after):
            n_posts = sum(len(p.posts) for p in pages)

            def checkpoint(conn: Connection, last: int = last, count: int = count, n_posts: int = n_posts,
                           ) -> None:
                conn.execute(update(T_IMPORT).where(T_IMPORT.c.id == import_id).values(
                    checkpoint=last, items=T_IMPORT.c["items"] + count, posts=T_IMPORT.c.posts + n_posts))

            outcome.result.add(store.ingest_batch(pages, run_id, in_transaction=checkpoint))
            outcome.posts += n_posts
            if progress is not None:
                progress(source.path.name, outcome.posts)
        with writer(store.engine).begin() as conn:
            conn.execute(update(T_IMPORT).where(T_IMPORT.c.id == import_id).values(
                status="complete", finished_at=to_db(utcnow()), skipped=len(bad),
                report_path=outcome.report_path))
    except BaseException as exc:
        store.finish_run(run_id, "failed", outcome.as_dict(), [f"{type(exc).__name__}: {exc}"])
        raise
    store.finish_run(run_id, "complete", outcome.as_dict(), [r.message() for r in bad[:100]])
    return outcome
