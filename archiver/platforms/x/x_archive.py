"""X "download your archive" (zip or unpacked folder) -> pages.

Covers ``tweets.js`` (and ``tweets-partN.js``; older archives say ``tweet.js``), long posts from
``note-tweet.js``, ``deleted-tweets.js``, the account from ``account.js`` and image files from
``tweets_media/``. Each ``.js`` part is one capture (its exact bytes) and one transaction.

What the archive cannot say, we do not invent: a retweet is only ``RT @user: ...`` text, so it is
kept as kind ``repost`` with no ``reposted_id``; a reply's thread root is unknown. ``account.js``
holds the owner's e-mail and phone, so its capture keeps only the public fields.
A long post's tweet is linked to its ``note-tweet.js`` entry only by creation time and text
prefix (the archive has no id linking them); the match is exact on both or not made.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from archiver.collectors.records import (
    AccountRecord,
    CaptureRecord,
    Kind,
    MediaRef,
    Page,
    PostRecord,
    StatusClaim,
)
from archiver.errors import BadInputError
from archiver.importers.runner import BadRow, Item, file_fingerprint
from archiver.limits import DEFAULT, Limits
from archiver.safe_paths import clean_relative, open_inside, read_inside, walk_regular
from archiver.timeutil import parse_iso, utcnow

_PREFIX = re.compile(rb"^\s*window\.[A-Za-z0-9_.$]+\s*=\s*")
_TCO_TAIL = re.compile(r"(…)?\s*https://t\.co/\S+$")
_MEDIA_PREFIX = {"photo": "3", "video": "7", "animated_gif": "16"}


class _Tree:
    """Read files from the zip or the folder alike, by archive-relative path (``data/...``).

    Hostile archives are expected: member names with ``..`` or a leading ``/``, symlinks (as zip
    entries or, unpacked, on disk), devices and duplicate member names are refused; each read is
    bounded by ``limits.member_bytes`` and all reads together by ``limits.total_bytes``."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.read_total = 0
        self.part_media = 0  # image bytes held for the part being read
        self.zip = zipfile.ZipFile(path) if path.is_file() else None
        self.infos: dict[str, zipfile.ZipInfo] = {}
        if self.zip is not None:
            names = self._zip_names(self.zip)
        else:
            names = list(walk_regular(path))
        tweets = [n for n in names if re.search(r"(^|/)data/tweets?(-part\d+)?\.js$", n)]
        if not tweets:
            raise BadInputError(f"{path}: not an X archive (no data/tweets.js inside)")
        self.root = tweets[0][: tweets[0].index("data/")]
        self.names = sorted(n[len(self.root):] for n in names if n.startswith(self.root))

    def _zip_names(self, archive: zipfile.ZipFile) -> list[str]:
        names: list[str] = []
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = clean_relative(info.filename)
            if name is None:
                raise BadInputError(f"{self.path}: member {info.filename!r} points outside the archive; refused")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise BadInputError(f"{self.path}: member {name} is a symlink; refused")
            if name in self.infos:
                raise BadInputError(f"{self.path}: member {name} appears twice in the zip; refused "
                                    "(which copy is the archive's is unknowable)")
            self.infos[name] = info
            names.append(name)
        return names

    def read(self, name: str) -> bytes:
        full = self.root + name
        limit = self.limits.member_bytes
        where = f"{self.path}!{full}"
        try:
            if self.zip is not None:
                info = self.infos[full]
                if info.file_size > limit:
                    raise OverflowError(full)
                with self.zip.open(info) as member:
                    data = member.read(limit + 1)
                if len(data) > limit:
                    raise OverflowError(full)
            else:
                data = read_inside(self.path, full, limit)
        except OverflowError:
            raise BadInputError(f"{where}: " + self.limits.refuse("member size", limit, "--max-member-bytes")) \
                from None
        except (zipfile.BadZipFile, NotImplementedError, EOFError, zlib.error, RuntimeError) as exc:
            raise BadInputError(f"{where}: unreadable member ({exc})") from None
        self.read_total += len(data)
        if self.read_total > self.limits.total_bytes:
            raise BadInputError(f"{self.path}: " + self.limits.refuse("uncompressed size", self.limits.total_bytes,
                                                                      "--max-total-bytes"))
        return data

    def uri(self, name: str) -> str:
        return f"{self.path.resolve().as_uri()}!/{self.root}{name}"

    def parts(self, stem: str) -> list[str]:
        pattern = re.compile(rf"^data/{stem}(-part\d+)?\.js$")
        return sorted((n for n in self.names if pattern.match(n)),
                      key=lambda n: int(re.sub(r"\D", "", n.rsplit("part", 1)[-1]) or 0) if "-part" in n else 0)


def parse_ytd(data: bytes, name: str) -> list[Any]:
    """``window.YTD.<type>.partN = [...]`` -> the list."""
    match = _PREFIX.match(data)
    if not match:
        raise BadInputError(f"{name}: not an X archive data file (no 'window.YTD... =' prefix)")
    try:
        value = orjson.loads(data[match.end():])
    except orjson.JSONDecodeError as exc:
        raise BadInputError(f"{name}: invalid JSON: {exc}") from None
    if not isinstance(value, (list, dict)):
        raise BadInputError(f"{name}: expected a JSON list")
    return value if isinstance(value, list) else [value]


def _v11_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise BadInputError(f"field {field!r} missing or not a string")
    for fmt in ("%a %b %d %H:%M:%S %z %Y",):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            pass
    try:
        return parse_iso(value)
    except ValueError:
        raise BadInputError(f"field {field!r} is not a time: {value!r}") from None


def _count(tweet: dict[str, Any], field: str) -> int | None:
    value = tweet.get(field)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadInputError(f"field {field!r} is not a count: {value!r}") from None


def _first_id(tweet: dict[str, Any], tid: str) -> str:
    """The post's identity: the first id of its edit history (v2's ``edit_history_tweet_ids[0]``)."""
    info = tweet.get("edit_info")
    if isinstance(info, dict):
        edit_obj = info.get("edit")
        initial = info.get("initial") or (edit_obj.get("editControlInitial") if isinstance(edit_obj, dict)
                                          else None) or {}
        ids = initial.get("editTweetIds") if isinstance(initial, dict) else None
        if isinstance(ids, list) and ids and isinstance(ids[0], str):
            return ids[0]
        edit = info.get("edit")
        if isinstance(edit, dict) and isinstance(edit.get("initialTweetId"), str):
            return str(edit["initialTweetId"])
    return tid


class _Notes:
    """Long posts by creation second, matched to their truncated tweet by time and text prefix."""

    def __init__(self, items: list[Any]) -> None:
        self.by_second: dict[datetime, list[str]] = {}
        for item in items:
            note = item.get("noteTweet") if isinstance(item, dict) else None
            if not isinstance(note, dict):
                continue
            core = note.get("core")
            if not (isinstance(core, dict) and isinstance(core.get("text"), str)):
                continue
            try:
                when = parse_iso(str(note.get("createdAt"))).replace(microsecond=0)
            except ValueError:
                continue
            self.by_second.setdefault(when, []).append(core["text"])

    def full_text(self, created: datetime, text: str) -> str:
        stem = _TCO_TAIL.sub("", text).rstrip("… ")
        if len(stem) < 20:
            return text
        for candidate in self.by_second.get(created.replace(microsecond=0), []):
            if candidate.startswith(stem) and len(candidate) > len(stem):
                return candidate
        return text


class XArchiveSource:
    """An X archive as import items (see ``archiver.importers.runner``)."""

    format = "x-archive"

    def __init__(self, path: Path, limits: Limits = DEFAULT) -> None:
        self.path = path
        self.limits = limits

    def fingerprint(self) -> tuple[str, int]:
        if self.path.is_file():
            return file_fingerprint(self.path)
        digest, size = hashlib.sha256(), 0
        for rel in walk_regular(self.path):  # never through a symlink (refused) or a device
            file_digest = hashlib.sha256()
            with os.fdopen(open_inside(self.path, rel), "rb") as fh:
                while chunk := fh.read(1 << 20):
                    file_digest.update(chunk)
                    size += len(chunk)
            digest.update(f"{rel}\0{file_digest.hexdigest()}\n".encode())
        return digest.hexdigest(), size

    def _capture(self, tree: _Tree, name: str, body: bytes, sha: str, when: datetime) -> CaptureRecord:
        return CaptureRecord(kind="file", url=tree.uri(name), status=200, fetched_at=when, body=body,
                             meta={"file": self.path.name, "file_sha256": sha, "format": self.format,
                                   "member": name})

    def _account(self, tree: _Tree, sha: str, when: datetime) -> tuple[AccountRecord, Page]:
        where = f"{self.path}!data/account.js"
        if "data/account.js" not in tree.names:
            raise BadInputError(f"{self.path}: data/account.js is missing: the posts' author is unknown")
        items = parse_ytd(tree.read("data/account.js"), where)
        acct = items[0].get("account") if items and isinstance(items[0], dict) else None
        if not isinstance(acct, dict) or not isinstance(acct.get("accountId"), str):
            raise BadInputError(f"{where}: field 'account.accountId' missing or not a string")
        public = {k: acct.get(k) for k in ("accountId", "username", "accountDisplayName", "createdAt")}
        author = AccountRecord("x", acct["accountId"], acct.get("username"), acct.get("accountDisplayName"))
        body = orjson.dumps(public)
        page = Page(capture=self._capture(tree, "data/account.js", body, sha, when), accounts=[author])
        page.capture.meta["redacted"] = "public fields only (e-mail and phone omitted)"
        return author, page

    def _generated_at(self, tree: _Tree) -> datetime | None:
        if "data/manifest.js" not in tree.names:
            return None
        data = tree.read("data/manifest.js")
        try:
            manifest = orjson.loads(data[data.index(b"=") + 1:])
            return parse_iso(manifest["archiveInfo"]["generationDate"])
        except (ValueError, KeyError, TypeError, AttributeError, orjson.JSONDecodeError):
            return None

    def _post(self, raw_tweet: Any, author: AccountRecord, notes: _Notes, tree: _Tree) -> PostRecord:
        if not isinstance(raw_tweet, dict) or not isinstance(raw_tweet.get("tweet"), dict):
            raise BadInputError("expected an object with a 'tweet' object")
        tweet = raw_tweet["tweet"]
        tid = tweet.get("id_str")
        if not isinstance(tid, str) or not tid.isdigit():
            raise BadInputError(f"field 'id_str' must be a string of digits, got {tid!r}")
        text = tweet.get("full_text", tweet.get("text"))
        if not isinstance(text, str):
            raise BadInputError(f"tweet {tid}: field 'full_text' missing or not a string")
        created = _v11_time(tweet.get("created_at"), "created_at")
        platform_id = _first_id(tweet, tid)
        reply = tweet.get("in_reply_to_status_id_str")
        quoted = tweet.get("quoted_status_id_str")
        kind: Kind = ("repost" if text.startswith("RT @") else "quote" if isinstance(quoted, str)
                else "reply" if isinstance(reply, str) else "post")
        metrics = {k: v for k, v in (("like_count", _count(tweet, "favorite_count")),
                                     ("repost_count", _count(tweet, "retweet_count"))) if v is not None}
        lang = tweet.get("lang")
        return PostRecord(
            platform="x", platform_id=platform_id, url=f"https://x.com/{author.handle or 'i/web'}/status/{tid}",
            author=author, created_at=created, text=notes.full_text(created, text),
            lang=lang if isinstance(lang, str) else None, kind=kind, raw=orjson.dumps(tweet),
            quoted_id=quoted if isinstance(quoted, str) else None,
            replied_to_id=reply if isinstance(reply, str) else None,
            thread_root_id=None if isinstance(reply, str) else platform_id,
            content_id=tid, media=self._media(tweet, tid, tree), metrics=metrics,
        )

    @staticmethod
    def _media(tweet: dict[str, Any], tid: str, tree: _Tree) -> list[MediaRef]:
        entities = tweet.get("extended_entities") or tweet.get("entities") or {}
        out: list[MediaRef] = []
        listed = entities.get("media") if isinstance(entities, dict) else None
        for item in listed if isinstance(listed, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("id_str"), str):
                continue
            url = item.get("media_url_https")
            key = item.get("media_key") or f"{_MEDIA_PREFIX.get(str(item.get('type')), '3')}_{item['id_str']}"
            data = None
            if isinstance(url, str):
                base = PurePosixPath(url).name
                for folder in ("data/tweets_media", "data/tweet_media"):
                    if f"{folder}/{tid}-{base}" in tree.names:
                        data = tree.read(f"{folder}/{tid}-{base}")
                        tree.part_media += len(data)
                        if tree.part_media > tree.limits.part_media_bytes:
                            raise BadInputError(f"{tree.path}: " + tree.limits.refuse(
                                "images of one part", tree.limits.part_media_bytes, "--max-part-media-bytes"))
                        break
            out.append(MediaRef(ref=str(key), url=url if isinstance(url, str) else None, data=data))
        return out

    def _part(self, tree: _Tree, name: str, author: AccountRecord, notes: _Notes, sha: str,
              when: datetime, deleted: bool, position: int) -> Iterator[Item]:
        body = tree.read(name)
        tree.part_media = 0
        where = f"{self.path}!{name}"
        try:
            items = parse_ytd(body, where)
        except BadInputError as exc:
            yield position, BadRow(position, where, str(exc).removeprefix(f"{where}: "))
            return
        posts: list[PostRecord] = []
        claims: list[StatusClaim] = []
        for index, item in enumerate(items, 1):
            try:
                post = self._post(item, author, notes, tree)
                if deleted:
                    gone = _v11_time(item["tweet"].get("deleted_at"), "deleted_at")
                    post.captured_at = gone  # the last moment it was seen live
                    claims.append(StatusClaim("x", post.platform_id, "deleted",
                                              f"listed in the account's archive as deleted at {gone.isoformat()}"))
                else:
                    post.captured_at = when
            except BadInputError as exc:
                yield position, BadRow(position, f"{where}: record {index}", str(exc))
                continue
            posts.append(post)
        yield position, Page(capture=self._capture(tree, name, body, sha, when), posts=posts, statuses=claims,
                             accounts=[author])

    def items(self, file_sha256: str) -> Iterator[Item]:
        try:
            tree = _Tree(self.path, self.limits)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError) as exc:
            yield 1, BadRow(1, str(self.path), f"not a zip file: {exc}")
            return
        try:
            when = self._generated_at(tree) or utcnow()
            author, account_page = self._account(tree, file_sha256, when)
            note_names = tree.parts("note-tweet")
            note_items = [x for n in note_names for x in parse_ytd(tree.read(n), f"{self.path}!{n}")]
        except BadInputError as exc:
            yield 1, BadRow(1, str(self.path), str(exc))
            return
        yield 1, account_page
        position = 1
        for name in note_names:  # kept as evidence of the long texts
            position += 1
            yield position, Page(capture=self._capture(tree, name, tree.read(name), file_sha256, when))
        notes = _Notes(note_items)
        for stem, deleted in (("tweets", False), ("tweet", False), ("deleted-tweets", True)):
            for name in tree.parts(stem):
                position += 1
                yield from self._part(tree, name, author, notes, file_sha256, when, deleted, position)
