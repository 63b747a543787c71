"""What every file import shares: validate first, then write in checkpointed batches.

A file is read twice, at the same time on two cores. The validating pass (a forked child) parses
and normalizes every row and writes nothing. The writing pass stores pages in batches, but keeps
its first transaction open until the validator has seen the whole file: a bad row anywhere rolls
it back (``file:line: reason``, exit 2) and the archive is untouched. With ``--skip-bad`` there is
no validator: bad rows are skipped and listed in a report. After the first commit, each batch and
the import's checkpoint commit together, so an interrupted import resumes after the last
committed row without duplicates, and a completed file (same SHA-256) is never imported twice.
Both passes stream, so memory does not grow with the file.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from archiver import __version__
from archiver.collectors.records import CaptureRecord, Page
from archiver.db import writer
from archiver.errors import BadInputError
from archiver.interrupt import interrupted, is_interruption, raise_if_interrupted
from archiver.storable import check_page
from archiver.store import PageResult, Store
from archiver.tables import T_IMPORT, T_RUN
from archiver.timeutil import to_db, utcnow

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
    time it is called, with strictly increasing positions (line numbers, part numbers), and open
    its own file handles when called: the validator calls it in a forked process, and a handle
    shared across the fork would share its file offset."""

    format: str
    path: Path

    def fingerprint(self) -> tuple[str, int]: ...

    def items(self, file_sha256: str) -> Iterator[Item]: ...


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """How one file's import went (``status``: imported, resumed or already imported)."""

    file: str
    format: str
    status: str
    import_id: int | None
    run_id: int | None
    file_sha256: str
    posts: int
    skipped: int
    report_path: str | None
    result: PageResult

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "format": self.format, "status": self.status, "import_id": self.import_id,
                "run_id": self.run_id, "file_sha256": self.file_sha256, "posts": self.posts,
                "skipped": self.skipped, "report": self.report_path, **self.result.as_dict()}


@dataclass
class _ImportTally:
    """The outcome while the import runs (the run row records it even if the import fails)."""

    file: str
    format: str
    status: str
    import_id: int | None = None
    run_id: int | None = None
    file_sha256: str = ""
    posts: int = 0
    skipped: int = 0
    report_path: str | None = None
    result: PageResult = field(default_factory=PageResult)

    def outcome(self) -> ImportOutcome:
        return ImportOutcome(self.file, self.format, self.status, self.import_id, self.run_id, self.file_sha256,
                             self.posts, self.skipped, self.report_path, self.result)

    def as_dict(self) -> dict[str, Any]:
        return self.outcome().as_dict()


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


# What a parser may raise on a shape it did not expect (a string where an object belongs, an int
# where a list belongs, nesting past the recursion limit): a refusal of the file, never a traceback.
_SHAPE_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError, OverflowError,
                 UnicodeError, MemoryError)


def checked_items(source: ImportSource, sha: str) -> Iterator[Item]:
    """``source.items`` with every page's values checked as storable (``archiver.storable``), so a
    value the database would refuse is a bad row before anything commits; an unexpected parser
    error ends the file as one clean refusal naming it."""
    position = 0
    iterator = source.items(sha)
    while True:
        try:
            item = next(iterator, None)
        except BadInputError:
            raise
        except _SHAPE_ERRORS as exc:
            detail = str(exc).splitlines()[0][:200] if str(exc) else ""
            raise BadInputError(f"{source.path}: malformed data after position {position} "
                                f"({type(exc).__name__}: {detail})") from None
        if item is None:
            return
        position, row = item
        if isinstance(row, Page):
            try:
                check_page(row)
            except BadInputError as exc:
                row = BadRow(position, f"{source.path}:{position}", str(exc))
        yield position, row


def validate(source: ImportSource, sha: str, skip_bad: bool) -> list[BadRow]:
    """Pass 1: parse everything, write nothing. Without ``skip_bad`` the first bad row raises."""
    bad: list[BadRow] = []
    for _, item in checked_items(source, sha):
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


class _Validator:
    """Pass 1 in a forked child process, so it runs on the second core while the writer already
    fills its first (uncommitted) transaction. Without ``fork`` it runs up front instead."""

    def __init__(self, source: ImportSource, sha: str) -> None:
        self.message: str | None = None
        self.process: Any = None
        if "fork" not in multiprocessing.get_all_start_methods():
            validate(source, sha, skip_bad=False)  # raises on the first bad row
            return
        ctx = multiprocessing.get_context("fork")
        self.receiver, sender = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_validate_child, args=(source, sha, sender), daemon=True)
        self.process.start()
        sender.close()

    def finished(self) -> bool:
        return self.process is None or bool(self.receiver.poll())

    def verdict(self) -> str | None:
        """None when every row is good, else the first bad row's message (waits for the child)."""
        if self.process is None:
            return None
        try:
            outcome = self.receiver.recv()
        except EOFError:
            outcome = "validation process died without a verdict"
        self.process.join()
        return cast("str | None", outcome)

    def stop(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join()


def _validate_child(source: ImportSource, sha: str, sender: Any) -> None:
    # The parent owns interruption: Ctrl-C (sent to the whole process group) is its to handle, and
    # its SIGTERM (``stop``) must simply end this process, not raise into it and print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        validate(source, sha, skip_bad=False)
        sender.send(None)
    except BadInputError as exc:
        sender.send(str(exc))
    except Exception as exc:  # any crash must still reach the parent as a refusal
        sender.send(f"{type(exc).__name__}: {exc}")


def _insert_run(conn: Connection, source: ImportSource) -> int:
    """``Store.start_run``'s row, but inside the first import transaction, so that a refused
    file leaves no trace at all."""
    row = conn.execute(insert(T_RUN).returning(T_RUN.c.id), {
        "kind": "import", "started_at": to_db(utcnow()), "status": "running",
        "sources": orjson.dumps([str(source.path)]).decode(), "counts": "{}", "errors": "[]",
        "tool_version": __version__, "host": socket.gethostname(), "pid": os.getpid(),
    }).one()
    return int(row[0])


def _begin(conn: Connection, store: Store, source: ImportSource, sha: str, size: int, run_id: int) -> int:
    page = _file_capture(source, sha, size)
    capture_id = store.insert_capture(conn, page, run_id)
    row = conn.execute(insert(T_IMPORT).returning(T_IMPORT.c.id), {
        "format": source.format, "file_name": str(source.path), "file_sha256": sha, "file_size": size,
        "capture_id": capture_id, "run_id": run_id, "started_at": to_db(page.capture.fetched_at),
        "status": "running", "checkpoint": 0, "items": 0, "posts": 0, "skipped": 0,
    }).one()
    return int(row[0])


def _tracked(items: Iterator[Item], bad: list[BadRow], skip_bad: bool) -> Iterator[Item]:
    """The writer's own view of bad rows: refused (no ``skip_bad``) or collected for the report."""
    for position, item in items:
        if isinstance(item, BadRow):
            if not skip_bad:
                raise BadInputError(item.message())
            bad.append(item)
        yield position, item


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


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration.

    Why: an import allocates millions of short-lived objects (parsed JSON, records, row tuples)
    while a batch of thousands of posts is alive, so the collector kept re-scanning the live
    batch: 15% of a 260k-post twarc import (bench/import_twarc.py, 13.1 s -> 11.2 s). Nothing on
    this path makes reference cycles (everything is freed by reference counting: peak RSS is the
    same with the collector off), and it is switched back on afterwards, however the import ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_import(
    store: Store,
    source: ImportSource,
    skip_bad: bool = False,
    report_path: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ImportOutcome:
    """Import one file completely (or resume it); see the module docstring for the guarantees.

    The first transaction (run row, import row, first batches) stays open until the validator
    has read the whole file: a bad row anywhere rolls it back and nothing at all is written.
    Later batches commit one by one with the checkpoint.
    """
    with cyclic_gc_paused():
        return _run_import(store, source, skip_bad, report_path, progress)


def _run_import(
    store: Store,
    source: ImportSource,
    skip_bad: bool,
    report_path: Path | None,
    progress: Callable[[str, int], None] | None,
) -> ImportOutcome:
    sha, size = source.fingerprint()
    outcome = _ImportTally(file=str(source.path), format=source.format, status="imported", file_sha256=sha)
    existing = _existing(store, source.format, sha)
    if existing is not None and existing["status"] == "complete":
        outcome.status = "already imported"
        outcome.import_id = existing["id"]
        return outcome.outcome()
    bad: list[BadRow] = []
    validator = None if skip_bad else _Validator(source, sha)
    try:
        with writer(store.engine).begin() as conn:
            run_id = _insert_run(conn, source)
            if existing is None:
                import_id, after = _begin(conn, store, source, sha, size, run_id), 0
            else:
                import_id, after = int(existing["id"]), int(existing["checkpoint"])
                outcome.status = "resumed"
            batches = _batches(_tracked(checked_items(source, sha), bad, skip_bad), after)
            for batch in batches:
                _write(store, outcome, import_id, run_id, batch, progress, conn)
                if validator is None or validator.finished():
                    break
            message = validator.verdict() if validator is not None else None
            if message is not None:
                raise BadInputError(message)
    finally:
        if validator is not None:
            validator.stop()
    outcome.run_id, outcome.import_id = run_id, import_id
    try:
        for batch in batches:
            _write(store, outcome, import_id, run_id, batch, progress, None)
        if bad:
            report = report_path or Path(f"{source.path.name}.skipped.jsonl")
            write_report(report, source, bad)
            outcome.report_path = str(report)
        outcome.skipped = len(bad)
        with writer(store.engine).begin() as conn:
            conn.execute(update(T_IMPORT).where(T_IMPORT.c.id == import_id).values(
                status="complete", finished_at=to_db(utcnow()), skipped=len(bad),
                report_path=outcome.report_path))
    except BaseException as exc:
        status = "interrupted" if is_interruption(exc) or interrupted() else "failed"
        store.finish_run(run_id, status, outcome.as_dict(), [f"{type(exc).__name__}: {exc}"])
        raise_if_interrupted()  # a Ctrl-C that the database driver wrapped ends as one, exit 130
        raise
    store.finish_run(run_id, "complete", outcome.as_dict(), [r.message() for r in bad[:100]])
    return outcome.outcome()


def _write(store: Store, outcome: _ImportTally, import_id: int, run_id: int,
           batch: tuple[list[Page], int, int], progress: Callable[[str, int], None] | None,
           conn: Connection | None) -> None:
    """One batch and its checkpoint, in ``conn``'s open transaction or a transaction of its own."""
    pages, last, count = batch
    n_posts = sum(len(p.posts) for p in pages)

    def checkpoint(tx: Connection) -> None:
        tx.execute(update(T_IMPORT).where(T_IMPORT.c.id == import_id).values(
            checkpoint=last, items=T_IMPORT.c["items"] + count, posts=T_IMPORT.c.posts + n_posts))

    outcome.result.add(store.ingest_batch(pages, run_id, in_transaction=checkpoint, conn=conn))
    outcome.posts += n_posts
    if progress is not None:
        progress(outcome.file, outcome.posts)
