"""Bluesky repo export (CAR) -> pages: the account's complete history, with proof.

Used by ``archiver import bluesky-car`` and by the Bluesky collector's ``--backfill`` (which
fetches the same bytes from ``com.atproto.sync.getRepo``). Every block is re-hashed against its
CID and the Merkle Search Tree is walked to every record (``archiver.platforms.bluesky.car``), so each
record's CID is *verified*: it is kept as ``platform_cid`` with ``cid_verified`` True.

The record -> ``PostRecord`` mapping is ``archiver.platforms.bluesky.normalize.normalize_record``,
shared with the live collector, so a post read from the AppView and from the CAR hash the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson

from archiver.collectors.records import AccountRecord, CaptureRecord, Follow, Page, PostRecord
from archiver.errors import BadInputError
from archiver.importers.runner import BadRow, Item, file_fingerprint
from archiver.limits import DEFAULT, Limits
from archiver.platforms.bluesky.car import RepoRecord, ipld_to_json, read_repo
from archiver.platforms.bluesky.normalize import POST_COLLECTION, REPOST_COLLECTION, normalize_record
from archiver.timeutil import utcnow

PROFILE = "app.bsky.actor.profile"
FOLLOW = "app.bsky.graph.follow"


def _profile(did: str, handle: str | None, records: list[RepoRecord]) -> AccountRecord:
    for rec in records:
        if rec.collection == PROFILE and rec.rkey == "self" and isinstance(rec.value, dict):
            name = rec.value.get("displayName")
            return AccountRecord("bluesky", did, handle, name if isinstance(name, str) and name else None)
    return AccountRecord("bluesky", did, handle)


def pages_from_car(car_bytes: bytes, capture: CaptureRecord, handle: str | None = None,
                   limits: Limits = DEFAULT) -> Iterator[Page]:
    """Verify ``car_bytes`` and yield what it holds as pages of ``capture`` (the CAR itself).

    One page: the capture is the whole CAR, and a page is one transaction, so a repo imports
    completely or not at all. Raises ``BadInputError`` (naming the block or record) before
    yielding anything if any block fails its hash, a tree node is missing, or a record is malformed.
    """
    repo = read_repo(car_bytes, limits)
    author = _profile(repo.did, handle, repo.records)
    posts: list[PostRecord] = []
    follows: list[Follow] = []
    for rec in repo.records:
        if rec.collection not in (POST_COLLECTION, REPOST_COLLECTION, FOLLOW):
            continue
        where = f"record {rec.collection}/{rec.rkey} ({rec.cid})"
        if not isinstance(rec.value, dict):
            raise BadInputError(f"{where}: not a JSON object")
        record = ipld_to_json(rec.value)
        if rec.collection == FOLLOW:
            subject = record.get("subject")
            if isinstance(subject, str):
                follows.append(Follow("bluesky", repo.did, subject))
            continue
        uri = f"at://{repo.did}/{rec.collection}/{rec.rkey}"
        try:
            posts.append(normalize_record(uri, rec.cid, record, author, orjson.dumps(record)))
        except BadInputError as exc:
            raise BadInputError(f"{where}: {exc}") from None
    capture.meta.setdefault("did", repo.did)
    capture.meta.setdefault("rev", repo.rev)
    capture.meta.setdefault("commit", repo.commit_cid)
    capture.meta.setdefault("records", len(repo.records))
    yield Page(capture=capture, posts=posts, accounts=[author], follows=follows)


class CarSource:
    """A repo export file as import items: one item, since a CAR is one proof (its blocks only
    make sense together) and one transaction."""

    format = "bluesky-car"

    def __init__(self, path: Path, handle: str | None = None, limits: Limits = DEFAULT) -> None:
        self.path = path
        self.handle = handle
        self.limits = limits

    def fingerprint(self) -> tuple[str, int]:
        return file_fingerprint(self.path)

    def items(self, file_sha256: str) -> Iterator[Item]:
        with self.path.open("rb") as fh:  # read at most one byte past the limit, whatever the file's size
            data = fh.read(self.limits.car_bytes + 1)
        if len(data) > self.limits.car_bytes:
            yield 1, BadRow(1, str(self.path), self.limits.refuse("CAR size", self.limits.car_bytes, "--max-car-bytes"))
            return
        meta = {"file": self.path.name, "file_sha256": file_sha256, "format": self.format}
        capture = CaptureRecord(kind="file", url=self.path.resolve().as_uri(), status=200,
                                fetched_at=utcnow(), body=data, meta=meta)
        try:
            pages = list(pages_from_car(data, capture, self.handle, self.limits))
        except BadInputError as exc:
            yield 1, BadRow(1, str(self.path), str(exc))
            return
        yield from enumerate(pages, 1)
