"""twarc2 JSONL -> pages: raw API pages (``data``/``includes``/``meta``/``__twarc``, one per line)
and ``twarc2 flatten`` output (one tweet per line, expansions inlined), plain or gzipped.

Provenance: a raw page line is its own capture (body = the line's bytes without the newline;
url and fetched_at from ``__twarc``). Flattened lines are captured in runs of consecutive lines
(body = those bytes of the file, ``meta.lines`` = first and last line) because one capture per
tweet would double the work for no extra proof. Each post's ``captured_at`` is its line's
``__twarc.retrieved_at``: when the API was actually asked, not when we imported.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

import orjson

from archiver.collectors.records import AccountRecord, CaptureRecord, Page, PostRecord
from archiver.errors import BadInputError
from archiver.importers.runner import BadRow, Item, file_fingerprint
from archiver.limits import DEFAULT, Limits
from archiver.platforms.x.normalize import (
    account_from_user,
    normalize_page,
    normalize_tweet,
    page_accounts,
)
from archiver.storable import check_records
from archiver.timeutil import parse_iso, utcnow
from archiver.urls import strip_credentials

FLAT_RUN = 200  # flattened lines per capture
_FlatLine = tuple[int, bytes, list[PostRecord], list[AccountRecord], dict[str, Any], datetime | None]


def open_lines(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped when it starts with the gzip magic (whatever its name)."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _twarc_meta(obj: dict[str, Any]) -> tuple[dict[str, Any], datetime | None]:
    meta = obj.get("__twarc")
    if meta is None:
        return {}, None
    if not isinstance(meta, dict):
        raise BadInputError("field '__twarc' must be an object")
    url = meta.get("url")
    if url is not None:
        try:
            strip_credentials(url) if isinstance(url, str) else None
        except ValueError:
            url = None
        if not isinstance(url, str):
            raise BadInputError("field '__twarc.url' must be a URL string")
    when = meta.get("retrieved_at")
    if when is None:
        return meta, None
    if not isinstance(when, str):
        raise BadInputError("field '__twarc.retrieved_at' must be a string")
    try:
        return meta, parse_iso(when)
    except ValueError:
        raise BadInputError(f"field '__twarc.retrieved_at' is not a time: {when!r}") from None


def _stamp(posts: list[PostRecord], when: datetime | None) -> list[PostRecord]:
    if when is not None:
        for post in posts:
            post.captured_at = when
    return posts


def flat_posts(tweet: dict[str, Any]) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A flattened tweet and the full referenced tweets inlined in it (the originals behind
    retweets and quotes), each as a post of its own author."""
    found: list[dict[str, Any]] = [tweet]
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and isinstance(ref.get("text"), str) and "author_id" in ref:
            found.append({k: v for k, v in ref.items() if k != "type"})
    posts: list[PostRecord] = []
    accounts: list[AccountRecord] = []
    for item in found:
        author = item.get("author")
        users: dict[str, dict[str, Any]] = {}
        if isinstance(author, dict) and isinstance(author.get("id"), str):
            users[author["id"]] = author
        attachments = item.get("attachments")
        media_list = attachments.get("media") if isinstance(attachments, dict) else None
        media = {m["media_key"]: m for m in media_list or [] if isinstance(m, dict) and "media_key" in m}
        posts.append(normalize_tweet(item, users, media, orjson.dumps(item)))
        accounts.extend(account_from_user(u) for u in users.values())
    return posts, accounts


class LineTooLong(Exception):
    """A line past ``Limits.line_bytes``: its bytes were skipped, not kept."""


def _read_lines(fh: IO[bytes], path: Path, limits: Limits) -> Iterator[tuple[int, bytes | LineTooLong]]:
    """(line number, line) of ``fh``; a damaged gzip stream (truncated download, bad CRC) cannot
    be read past, so it ends the file with a one-line error naming where it broke.

    Bounded: a line is read at most ``line_bytes`` at a time (a longer one is skipped in chunks
    and reported, never held whole), and the whole stream, once gunzipped, may not pass
    ``total_bytes`` (a gzip bomb stops there)."""
    lineno = total = 0
    try:
        while True:
            line = fh.readline(limits.line_bytes + 1)
            if not line:
                return
            lineno += 1
            total += len(line)
            if len(line) > limits.line_bytes and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):
                    line = fh.readline(1 << 20)
                    total += len(line)
                    _check_total(total, limits, path)
                yield lineno, LineTooLong(limits.refuse("line", limits.line_bytes, "--max-line-bytes"))
                continue
            _check_total(total, limits, path)
            yield lineno, line
    except (OSError, EOFError, zlib.error) as exc:
        raise BadInputError(f"{path}:{lineno + 1}: unreadable gzip data ({exc})") from None


def _check_total(total: int, limits: Limits, path: Path) -> None:
    if total > limits.total_bytes:
        raise BadInputError(f"{path}: " + limits.refuse("uncompressed size", limits.total_bytes,
                                                        "--max-total-bytes"))


class TwarcSource:
    """One twarc2 JSONL file as import items (see ``archiver.importers.runner``)."""

    format = "twarc"

    def __init__(self, path: Path, limits: Limits = DEFAULT) -> None:
        self.path = path
        self.limits = limits

    def fingerprint(self) -> tuple[str, int]:
        return file_fingerprint(self.path)

    def _where(self, line: int) -> str:
        return f"{self.path}:{line}"

    def _capture(self, body: bytes, line: int, last: int, sha: str, meta: dict[str, Any],
                 when: datetime | None) -> CaptureRecord:
        url = meta.get("url")
        if isinstance(url, str) and url:
            try:
                url = strip_credentials(url)
            except ValueError:
                raise BadInputError(f"field '__twarc.url' is not a URL: {url[:200]!r}") from None
        info: dict[str, Any] = {"file": self.path.name, "file_sha256": sha, "format": self.format,
                                "lines": [line, last]}
        if meta:
            # the stored copy of __twarc carries the same credential-free url as the capture
            info["twarc"] = {k: (url if k == "url" else meta.get(k))
                             for k in ("url", "version", "retrieved_at") if k in meta}
        if not (isinstance(url, str) and url):
            url = f"{self.path.resolve().as_uri()}#L{line}"
        return CaptureRecord(
            kind="file",
            url=url,
            status=200, fetched_at=when or utcnow(), body=body, meta=info,
        )

    def _raw_page(self, obj: dict[str, Any], body: bytes, line: int, sha: str) -> Page:
        meta, when = _twarc_meta(obj)
        posts = normalize_page(obj)
        return Page(capture=self._capture(body, line, line, sha, meta, when), posts=_stamp(posts, when),
                    accounts=page_accounts(obj))

    def items(self, file_sha256: str) -> Iterator[Item]:
        run: list[_FlatLine] = []

        def flush() -> Iterator[Item]:
            if not run:
                return
            first, last = run[0][0], run[-1][0]
            body = b"\n".join(r[1] for r in run)
            posts = [p for r in run for p in r[2]]
            accounts = [a for r in run for a in r[3]]
            capture = self._capture(body, first, last, file_sha256, run[0][4], run[0][5])
            run.clear()
            yield last, Page(capture=capture, posts=posts, accounts=accounts)

        with open_lines(self.path) as fh:
            for lineno, raw_line in _read_lines(fh, self.path, self.limits):
                if isinstance(raw_line, LineTooLong):
                    yield from flush()
                    yield lineno, BadRow(lineno, self._where(lineno), str(raw_line))
                    continue
                body = raw_line.rstrip(b"\r\n")
                if not body.strip():
                    continue
                try:
                    obj = orjson.loads(body)
                    if not isinstance(obj, dict):
                        raise BadInputError(f"expected a JSON object, got {type(obj).__name__}")
                    if "data" in obj or ("__twarc" in obj and "id" not in obj):
                        page = self._raw_page(obj, body, lineno, file_sha256)
                    elif "id" in obj:
                        meta, when = _twarc_meta(obj)
                        posts, accounts = flat_posts(obj)
                        check_records(posts, accounts)  # a bad value names its own line, not its run's
                        run.append((lineno, body, _stamp(posts, when), accounts, meta, when))
                        if len(run) >= FLAT_RUN:
                            yield from flush()
                        continue
                    else:
                        raise BadInputError("neither a twarc2 response page (data/includes/meta) "
                                            "nor a flattened tweet (id/text)")
                except orjson.JSONDecodeError as exc:
                    yield from flush()
                    truncated = not raw_line.endswith(b"\n") or "unexpected end" in str(exc).lower()
                    reason = "truncated line" if truncated else "invalid JSON"
                    yield lineno, BadRow(lineno, self._where(lineno), f"{reason}: {exc}")
                    continue
                except BadInputError as exc:
                    yield from flush()
                    yield lineno, BadRow(lineno, self._where(lineno), str(exc))
                    continue
                yield from flush()
                yield lineno, page
            yield from flush()
