"""A hostile-input corpus, generated: DAG-bombed and deep MSTs, deeply nested records, oversize and
duplicate zip members, symlinks, NULs, overflowing ints, bad ids, bidi overrides and terminal
escapes. Each generator returns a file that a careless parser would choke on."""

from __future__ import annotations

import hashlib
import stat
import zipfile
from pathlib import Path
from typing import Any

import libipld
import orjson

from archiver.platforms.bluesky.sandbox.repo_car import _varint
from tests.fixtures_gen import x_archive

DID = "did:plc:hostile000000000000000001"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\\x9b31m"


def cid_of(block: bytes) -> bytes:
    return b"\x01\x71\x12\x20" + hashlib.sha256(block).digest()


def car_file(root_commit: dict[str, Any], blocks: list[bytes]) -> bytes:
    """A CAR whose every block hashes correctly (so only the tree's shape is hostile)."""
    commit = libipld.encode_dag_cbor(root_commit)
    header = libipld.encode_dag_cbor({"version": 1, "roots": [cid_of(commit)]})
    out = bytearray(_varint(len(header)) + header)
    for block in [commit, *blocks]:
        cid = cid_of(block)
        out += _varint(len(cid) + len(block)) + cid + block
    return bytes(out)


def _record(text: str = "hello") -> bytes:
    return libipld.encode_dag_cbor({"$type": "app.bsky.feed.post", "text": text,
                                    "createdAt": "2024-05-29T10:00:00.000Z"})


def _commit(data: bytes) -> dict[str, Any]:
    return {"did": DID, "version": 3, "data": data, "rev": "3kbomb2222222", "prev": None, "sig": b"\x00" * 64}


def dag_bomb_car(levels: int = 40) -> bytes:
    """Each level's node points to the level below twice (left and right of its one entry): every
    hash is genuine, the file is a few KB, and a naive walk visits 2^levels leaves."""
    record = _record()
    blocks = [record]
    node = libipld.encode_dag_cbor({"l": None, "e": [{"p": 0, "k": b"app.bsky.feed.post/a0", "v": cid_of(record),
                                                      "t": None}]})
    blocks.append(node)
    for level in range(1, levels + 1):
        below = cid_of(node)
        node = libipld.encode_dag_cbor({"l": below, "e": [
            {"p": 0, "k": f"app.bsky.feed.post/b{level:03d}".encode(), "v": cid_of(record), "t": below}]})
        blocks.append(node)
    return car_file(_commit(cid_of(node)), blocks)


def deep_car(depth: int = 5000) -> bytes:
    """A chain of left links, ``depth`` nodes deep (a recursive walker overflows its stack)."""
    record = _record()
    blocks = [record]
    node = libipld.encode_dag_cbor({"l": None, "e": [{"p": 0, "k": b"app.bsky.feed.post/z", "v": cid_of(record),
                                                      "t": None}]})
    blocks.append(node)
    for _ in range(depth):
        node = libipld.encode_dag_cbor({"l": cid_of(node), "e": []})
        blocks.append(node)
    return car_file(_commit(cid_of(node)), blocks)


def nested_record_car(depth: int = 100_000) -> bytes:
    """One record nested ``depth`` arrays deep (hand-encoded: an encoder would recurse too)."""
    record = b"\xa2dtext\x81" + b"\x81" * depth + b"\x00" + b"e$typesapp.bsky.feed.post"
    node = libipld.encode_dag_cbor({"l": None, "e": [{"p": 0, "k": b"app.bsky.feed.post/n", "v": cid_of(record),
                                                      "t": None}]})
    return car_file(_commit(cid_of(node)), [record, node])


def wrong_link_car() -> bytes:
    """An MST entry whose record link is a string, not a CID."""
    node = libipld.encode_dag_cbor({"l": None, "e": [{"p": 0, "k": b"app.bsky.feed.post/w", "v": "not-a-cid",
                                                      "t": None}]})
    return car_file(_commit(cid_of(node)), [node])


def x_zip(path: Path, extra: dict[str, bytes] | None = None, tweet_items: list[dict[str, Any]] | None = None,
          duplicate: str | None = None, symlink: tuple[str, str] | None = None, omit: str | None = None) -> Path:
    """The fixture X archive with extra members, a member written twice, or a symlink entry."""
    members = {k: v for k, v in (x_archive.files(tweet_items) | (extra or {})).items() if k != omit}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if duplicate is not None:
            zf.writestr(duplicate, members[duplicate] + b" ")
        if symlink is not None:
            info = zipfile.ZipInfo(symlink[0])
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, symlink[1])
    return path


def zeros_member_zip(path: Path, name: str, size: int) -> Path:
    """A small zip holding a member of ``size`` zero bytes (a zip bomb), written in chunks."""
    x_zip(path, omit=name)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf, zf.open(name, "w", force_zip64=True) as member:
        chunk = b"\x00" * (1 << 20)
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return path


MEDIA_NAME = f"data/tweets_media/{x_archive.BASE + 6}-FpMapAbC.jpg"


def tweet(n: int, **changes: Any) -> dict[str, Any]:
    return x_archive._tweet(n, f"tweet {n}", **changes)


def twarc_line(tweets: list[dict[str, Any]], users: list[dict[str, Any]] | None = None,
               twarc: dict[str, Any] | None = None) -> bytes:
    page = {"data": tweets, "includes": {"users": users or [{"id": "2244994945", "username": "a", "name": "A"}]},
            "meta": {"result_count": len(tweets)},
            "__twarc": twarc or {"url": "https://api.twitter.com/2/users/2244994945/tweets",
                                 "version": "2.14.0", "retrieved_at": "2024-01-01T00:00:00+00:00"}}
    return orjson.dumps(page) + b"\n"


def v2_tweet(tid: str, text: str = "hi", **changes: Any) -> dict[str, Any]:
    tweet = {"id": tid, "text": text, "author_id": "2244994945", "created_at": "2024-01-01T00:00:00.000Z",
             "edit_history_tweet_ids": [tid], "conversation_id": tid,
             "public_metrics": {"like_count": 1, "retweet_count": 0, "reply_count": 0, "quote_count": 0}}
    tweet.update(changes)
    return tweet
