"""AppView views of the scenario's Bluesky records: profiles, post views with their embeds, feed
items (reposts as ``reasonRepost``), threads.

The shapes follow the ``app.bsky`` lexicons closely enough that atproto's models accept them in
strict mode (tests/test_sandbox_bsky.py checks each endpoint). Counts are derived from what is
visible at the step, so a new repost in step 2 raises the repost count as the real AppView would.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from archiver.collectors.records import iso_utc
from archiver.platforms.bluesky.sandbox.ids import Blob, Record, Repos
from archiver.sandbox.scenario import SYNTHETIC_NOTICE, Person

_ACCOUNT_CREATED = "2023-04-01T00:00:00.000Z"


def indexed_at(record: Record) -> str:
    """The AppView indexes a record a moment after it was written."""
    return iso_utc(record.item.at + timedelta(seconds=2))


@dataclass
class View:
    """Renders views of one step, for one sandbox address (image URLs point back at it)."""

    repos: Repos
    step: int
    base_url: str

    def __post_init__(self) -> None:
        counts: Counter[tuple[str, str]] = Counter()
        for record in self.repos.records.values():
            item = record.item
            if item.target and item.visible_at(self.step):
                counts[(item.target, item.kind)] += 1
        self._counts = counts

    # -- profiles -----------------------------------------------------------------------------
    def profile_basic(self, person: Person) -> dict[str, Any]:
        return {
            "did": person.did,
            "handle": self.repos.handle(person, self.step),
            "displayName": person.name,
            "labels": [],
            "createdAt": _ACCOUNT_CREATED,
        }

    def profile(self, person: Person) -> dict[str, Any]:
        """``app.bsky.actor.defs#profileView`` (getRepostedBy)."""
        return {
            **self.profile_basic(person),
            "description": self._description(person),
            "indexedAt": _ACCOUNT_CREATED,
        }

    def profile_detailed(self, person: Person) -> dict[str, Any]:
        followers = sum(1 for _f, followed in self.repos.scenario.follows if followed == person.key)
        follows = sum(1 for follower, _f in self.repos.scenario.follows if follower == person.key)
        posts = len(self.repos.by_author(person.did, self.step, "app.bsky.feed.post"))
        return {
            **self.profile(person),
            "followersCount": followers,
            "followsCount": follows,
            "postsCount": posts,
        }

    @staticmethod
    def _description(person: Person) -> str:
        role = f"{person.role}. " if person.role else ""
        return f"{role}{SYNTHETIC_NOTICE}"

    # -- posts --------------------------------------------------------------------------------
    def author(self, record: Record) -> Person:
        return self.repos.people_by_did[record.did]

    def blob_url(self, did: str, blob: Blob) -> str:
        return f"{self.base_url}/bsky-media/{did}/{blob.cid}.png"

    def _images_view(self, record: Record) -> dict[str, Any] | None:
        key = record.item.image
        if key is None:
            return None
        blob = self.repos.blob_of_image[key]
        url = self.blob_url(record.did, blob)
        return {
            "$type": "app.bsky.embed.images#view",
            "images": [{"thumb": url, "fullsize": url, "alt": blob.image.alt}],
        }

    def _record_view(self, target_key: str) -> dict[str, Any]:
        target = self.repos.records[target_key]
        if not target.item.visible_at(self.step):
            inner: dict[str, Any] = {
                "$type": "app.bsky.embed.record#viewNotFound",
                "uri": target.uri,
                "notFound": True,
            }
        else:
            inner = {
                "$type": "app.bsky.embed.record#viewRecord",
                "uri": target.uri,
                "cid": target.cid,
                "author": self.profile_basic(self.author(target)),
                "value": target.value,
                "labels": [],
                **self._counts_of(target),
                "indexedAt": indexed_at(target),
            }
            images = self._images_view(target)
            if images is not None:
                inner["embeds"] = [images]
        return {"$type": "app.bsky.embed.record#view", "record": inner}

    def _embed(self, record: Record) -> dict[str, Any] | None:
        item = record.item
        images = self._images_view(record)
        if item.kind == "quote" and item.target is not None:
            quoted = self._record_view(item.target)
            if images is not None:
                return {"$type": "app.bsky.embed.recordWithMedia#view", "record": quoted, "media": images}
            return quoted
        return images

    def _counts_of(self, record: Record) -> dict[str, int]:
        key = record.item.key
        return {
            "replyCount": self._counts[(key, "reply")],
            "repostCount": self._counts[(key, "repost")],
            "likeCount": record.item.likes,
            "quoteCount": self._counts[(key, "quote")],
        }

    def post_view(self, record: Record) -> dict[str, Any]:
        view: dict[str, Any] = {
            "uri": record.uri,
            "cid": record.cid,
            "author": self.profile_basic(self.author(record)),
            "record": record.value,
        }
        embed = self._embed(record)
        if embed is not None:
            view["embed"] = embed
        view.update(self._counts_of(record))
        view.update({"bookmarkCount": 0, "indexedAt": indexed_at(record), "labels": []})
        return view

    def _ref_view(self, key: str) -> dict[str, Any]:
        record = self.repos.records[key]
        if record.item.visible_at(self.step):
            return {"$type": "app.bsky.feed.defs#postView", **self.post_view(record)}
        return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": record.uri, "notFound": True}

    def feed_item(self, record: Record) -> dict[str, Any]:
        """A feed entry: a post (with its reply context), or a repost as the subject + reason."""
        item = record.item
        if item.kind == "repost":
            assert item.target is not None
            subject = self.repos.records[item.target]
            return {
                "post": self.post_view(subject),
                "reason": {
                    "$type": "app.bsky.feed.defs#reasonRepost",
                    "by": self.profile_basic(self.author(record)),
                    "uri": record.uri,
                    "cid": record.cid,
                    "indexedAt": indexed_at(record),
                },
            }
        entry: dict[str, Any] = {"post": self.post_view(record)}
        if item.kind == "reply" and item.target is not None:
            root = self.repos.records[item.target]
            while root.item.kind == "reply" and root.item.target is not None:
                root = self.repos.records[root.item.target]
            entry["reply"] = {"root": self._ref_view(root.item.key), "parent": self._ref_view(item.target)}
        return entry

    def replies_to(self, record: Record) -> list[Record]:
        found = [
            r
            for r in self.repos.records.values()
            if r.item.kind == "reply" and r.item.target == record.item.key and r.item.visible_at(self.step)
        ]
        return sorted(found, key=lambda r: r.rkey)

    def thread(self, record: Record, depth: int, parent_height: int) -> dict[str, Any]:
        """``threadViewPost`` with ``depth`` levels of replies and ``parent_height`` of parents."""
        node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.post_view(record)}
        item = record.item
        if parent_height > 0 and item.kind == "reply" and item.target is not None:
            parent = self.repos.records[item.target]
            if parent.item.visible_at(self.step):
                node["parent"] = self.thread(parent, 0, parent_height - 1)
            else:
                node["parent"] = {
                    "$type": "app.bsky.feed.defs#notFoundPost",
                    "uri": parent.uri,
                    "notFound": True,
                }
        if depth > 0:
            node["replies"] = [self.thread(r, depth - 1, 0) for r in self.replies_to(record)]
        return node

    def quotes_of(self, record: Record) -> list[Record]:
        found = [
            r
            for r in self.repos.records.values()
            if r.item.kind == "quote" and r.item.target == record.item.key and r.item.visible_at(self.step)
        ]
        return sorted(found, key=lambda r: r.rkey, reverse=True)

    def reposts_of(self, record: Record) -> list[Record]:
        found = [
            r
            for r in self.repos.records.values()
            if r.item.kind == "repost" and r.item.target == record.item.key and r.item.visible_at(self.step)
        ]
        return sorted(found, key=lambda r: r.rkey, reverse=True)

    def in_feed(self, record: Record, feed_filter: str) -> bool:
        """Whether an author-feed entry passes ``filter`` (a repost of a deleted post is gone)."""
        item = record.item
        if item.kind == "repost":
            target = self.repos.records[item.target] if item.target else None
            if target is None or not target.item.visible_at(self.step):
                return False
            return feed_filter in ("posts_with_replies", "posts_no_replies", "posts_and_author_threads")
        if feed_filter == "posts_no_replies":
            return item.kind != "reply"
        if feed_filter == "posts_with_media":
            return item.image is not None
        if feed_filter == "posts_and_author_threads":
            if item.kind != "reply" or item.target is None:
                return True
            return self.repos.records[item.target].did == record.did
        return feed_filter != "posts_with_video"
