"""``archiver verify``: re-derive every stored hash from the stored bytes and name each mismatch.

Checks, in streaming batches so an archive of any size verifies in constant memory:
* capture: SHA-256 (and size) of the decompressed body against ``body_sha256``;
* snapshot: SHA-256 of ``raw`` against ``raw_sha256``; ``content`` is canonical RFC 8785 JSON and its
  SHA-256 equals ``content_sha256``; where the platform has a content hash of its own (Bluesky's
  record CID), the one it recomputes from ``raw`` (``Platform.content_cid``) equals ``platform_cid``;
* media: each file exists under its hash name and its bytes hash to that name.
The result is appended to the ``verification`` table, which the report shows.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from archiver import platforms
from archiver.db import writer
from archiver.hashing import canonical_json, sha256_hex
from archiver.media import media_path
from archiver.store import json_text
from archiver.tables import T_CAPTURE, T_MEDIA, T_POST, T_SNAPSHOT, T_VERIFICATION
from archiver.timeutil import utcnow

_BATCH = 2000


@dataclass
class Mismatch:
    table: str
    row: str
    column: str
    detail: str

    def __str__(self) -> str:
        return f"{self.table} {self.row}: {self.column}: {self.detail}"


@dataclass
class VerifyReport:
    checked: dict[str, int] = field(default_factory=lambda: {"captures": 0, "snapshots": 0, "cids": 0,
                                                             "media": 0})
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _batches(engine: Engine, query: Any, key: Any) -> Iterator[list[Any]]:
    """Keyset pagination: constant memory and no long-held read transaction."""
    last = None
    while True:
        q = query if last is None else query.where(key > last)
        with engine.connect() as conn:
            rows = list(conn.execute(q.order_by(key).limit(_BATCH)).all())
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _check_captures(engine: Engine, report: VerifyReport) -> None:
    q = select(T_CAPTURE.c.id, T_CAPTURE.c.body, T_CAPTURE.c.compression, T_CAPTURE.c.body_sha256,
               T_CAPTURE.c.body_size)
    for rows in _batches(engine, q, T_CAPTURE.c.id):
        for capture_id, body, compression, expected, size in rows:
            report.checked["captures"] += 1
            if body is None:
                continue  # a file capture that records provenance only (the file itself is not stored)
            try:
                data = zlib.decompress(body) if compression == "zlib" else bytes(body)
            except zlib.error as exc:
                report.mismatches.append(Mismatch("capture", str(capture_id), "body", f"cannot decompress: {exc}"))
                continue
            actual = sha256_hex(data)
            if actual != expected:
                report.mismatches.append(Mismatch("capture", str(capture_id), "body_sha256",
                                                  f"stored {expected}, body hashes to {actual}"))
            elif len(data) != size:
                report.mismatches.append(Mismatch("capture", str(capture_id), "body_size",
                                                  f"stored {size}, body has {len(data)} bytes"))


def _check_snapshots(engine: Engine, report: VerifyReport) -> None:
    q = (select(T_SNAPSHOT.c.id, T_SNAPSHOT.c.raw, T_SNAPSHOT.c.raw_sha256, T_SNAPSHOT.c.content,
                T_SNAPSHOT.c.content_sha256, T_SNAPSHOT.c.platform_cid, T_POST.c.platform, T_POST.c.platform_id,
                T_SNAPSHOT.c.version)
         .join(T_POST, T_POST.c.id == T_SNAPSHOT.c.post_id))
    for rows in _batches(engine, q, T_SNAPSHOT.c.id):
        for snapshot_id, raw, raw_sha, content, content_sha, cid, platform, platform_id, version in rows:
            report.checked["snapshots"] += 1
            label = f"{snapshot_id} ({platform} {platform_id} v{version})"
            raw_bytes = raw.encode("utf-8")
            actual = sha256_hex(raw_bytes)
            if actual != raw_sha:
                report.mismatches.append(Mismatch("snapshot", label, "raw_sha256",
                                                  f"stored {raw_sha}, raw hashes to {actual}"))
            _check_content(report, label, content, content_sha)
            if cid:
                report.checked["cids"] += 1
                _check_cid(report, label, platform, raw_bytes, cid)


def _check_content(report: VerifyReport, label: str, content: str, expected: str) -> None:
    content_bytes = content.encode("utf-8")
    try:
        canonical = canonical_json(orjson.loads(content_bytes))
    except orjson.JSONDecodeError as exc:
        report.mismatches.append(Mismatch("snapshot", label, "content", f"not JSON: {exc}"))
        return
    if canonical != content_bytes:
        report.mismatches.append(Mismatch("snapshot", label, "content", "not in RFC 8785 canonical form"))
    actual = sha256_hex(canonical)
    if actual != expected:
        report.mismatches.append(Mismatch("snapshot", label, "content_sha256",
                                          f"stored {expected}, content hashes to {actual}"))


def _check_cid(report: VerifyReport, label: str, platform: str, raw_bytes: bytes, cid: str) -> None:
    try:
        recompute = platforms.get(platform).content_cid
        if recompute is None:
            raise ValueError(f"{platform} has no content hash of its own")
        actual = recompute(orjson.loads(raw_bytes))
    except Exception as exc:  # malformed raw already reported above; name the CID failure too
        report.mismatches.append(Mismatch("snapshot", label, "platform_cid", f"cannot recompute: {exc}"))
        return
    if actual != cid:
        report.mismatches.append(Mismatch("snapshot", label, "platform_cid",
                                          f"platform says {cid}, record hashes to {actual}"))


def _check_media(engine: Engine, media_dir: Path, report: VerifyReport) -> None:
    q = select(T_MEDIA.c.sha256, T_MEDIA.c.size)
    for rows in _batches(engine, q, T_MEDIA.c.sha256):
        for sha, size in rows:
            report.checked["media"] += 1
            path = media_path(media_dir, sha)
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                report.mismatches.append(Mismatch("media", sha, "file", "missing from the media directory"))
                continue
            actual = sha256_hex(data)
            if actual != sha:
                report.mismatches.append(Mismatch("media", sha, "sha256", f"file hashes to {actual}"))
            elif len(data) != size:
                report.mismatches.append(Mismatch("media", sha, "size", f"stored {size}, file has {len(data)}"))


def verify_archive(engine: Engine, media_dir: Path, record: bool = True,
                   progress: Callable[[str], None] | None = None) -> VerifyReport:
    started = utcnow()
    report = VerifyReport()
    for name, step in (("captures", lambda: _check_captures(engine, report)),
                       ("snapshots", lambda: _check_snapshots(engine, report)),
                       ("media", lambda: _check_media(engine, media_dir, report))):
        if progress:
            progress(name)
        step()
    if record:
        with writer(engine).begin() as conn:
            conn.execute(insert(T_VERIFICATION), {
                "started_at": started, "ended_at": utcnow(), "ok": report.ok,
                "checked": json_text(report.checked), "mismatches": len(report.mismatches),
                "details": json_text([str(m) for m in report.mismatches[:1000]]),
            })
    return report
