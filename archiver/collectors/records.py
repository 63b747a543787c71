"""The one normalized record that every collector and importer produces.

Nothing downstream of this module knows which platform a post came from unless it asks
(``PostRecord.platform``). Collectors and importers yield ``Page`` objects: one byte-exact
capture plus what was read from it. The store writes one page per transaction, so a crash loses
at most the page in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from archiver.timeutil import iso_utc

Platform = str  # a registered platform name (archiver.platforms.names())
Kind = Literal["post", "repost", "quote", "reply"]
Status = Literal["live", "deleted", "unavailable"]

KINDS: tuple[str, ...] = ("post", "repost", "quote", "reply")
STATUSES: tuple[str, ...] = ("live", "deleted", "unavailable")


@dataclass(slots=True)
class CaptureRecord:
    """Exactly what was received: an HTTP response body, or an imported file (or one of its lines).

    ``url`` must already have credentials stripped (see ``archiver.urls.strip_credentials``).
    ``meta`` carries provenance that is not HTTP: file name, size, sha256, line number, the
    ``__twarc`` url and retrieved_at, the import id.
    """

    kind: Literal["http", "file"]
    url: str
    status: int
    fetched_at: datetime
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class MediaRef:
    """An image (or other file) a post carries. ``ref`` is the platform's stable id for it:
    the X ``media_key`` or the Bluesky blob CID. ``data`` may be supplied by importers that
    already hold the bytes (an X archive's media folder); collectors leave it None and the store
    downloads ``url``."""

    ref: str
    url: str | None
    mime: str | None = None
    alt: str | None = None
    data: bytes | None = None


@dataclass(slots=True)
class AccountRecord:
    """A platform account as seen in a capture. ``platform_id`` is stable (X user id, DID);
    ``handle`` may change over time and the store keeps its history."""

    platform: Platform
    platform_id: str
    handle: str | None
    display_name: str | None = None
    tracked: bool = False


@dataclass(slots=True)
class PostRecord:
    """One post as received, normalized.

    ``platform_id``: X tweet id (for an edited tweet: the id of the *first* version, the post's
    stable identity) or Bluesky at:// URI (for a repost: the repost record's URI).
    ``content_id``: the platform's id for this exact version (X: the version's tweet id;
    Bluesky: the record CID). ``raw``: the post's JSON object as received, as bytes.
    ``references``: platform ids of the reposted, quoted, replied-to and thread-root posts, and for
    a Bluesky repost the ``via`` repost it was seen through.
    """

    platform: Platform
    platform_id: str
    url: str
    author: AccountRecord
    created_at: datetime
    text: str
    lang: str | None
    kind: Kind
    raw: bytes
    reposted_id: str | None = None
    quoted_id: str | None = None
    replied_to_id: str | None = None
    thread_root_id: str | None = None
    via_id: str | None = None
    content_id: str | None = None
    platform_cid: str | None = None
    cid_verified: bool | None = None
    media: list[MediaRef] = field(default_factory=list)
    metrics: dict[str, int] = field(default_factory=dict)
    captured_at: datetime | None = None  # when the data was originally retrieved (imports)

    def references(self) -> dict[str, str | None]:
        return {
            "reposted": self.reposted_id,
            "quoted": self.quoted_id,
            "replied_to": self.replied_to_id,
            "thread_root": self.thread_root_id,
            "via": self.via_id,
        }


@dataclass(slots=True)
class StatusClaim:
    """What a platform said about a post's availability.

    Only a *definitive* answer may become a claim: X's per-id ``Not Found Error`` (deleted),
    ``Authorization Error`` (unavailable: protected or suspended), Bluesky ``get_posts`` omitting a
    URI that the account's repo no longer holds (deleted). Timeouts, 5xx and rate limits never
    produce a claim.
    """

    platform: Platform
    platform_id: str
    status: Status
    reason: str


@dataclass(slots=True)
class Follow:
    """A follow relationship read from a platform or an imported list (used by cascade inference)."""

    platform: Platform
    follower_id: str
    followed_id: str


@dataclass(slots=True)
class Page:
    """One unit of work, stored in one transaction."""

    capture: CaptureRecord
    posts: list[PostRecord] = field(default_factory=list)
    accounts: list[AccountRecord] = field(default_factory=list)
    statuses: list[StatusClaim] = field(default_factory=list)
    follows: list[Follow] = field(default_factory=list)
    source: str | None = None


@dataclass(slots=True)
class SourceProblem:
    """A collector's report that a source is incomplete for this run (rate limit budget spent,
    server errors, unknown account). Yielded instead of a Page; never fatal to other sources."""

    source: str
    reason: str
    detail: str = ""
    fatal_for_source: bool = True


@dataclass(slots=True)
class Progress:
    """A sub-fetch the collector finished in this run (``step`` of ``unit``: the author feed, the
    quotes of one post, one reposter's repo). Until the source completes, the next runs skip it.
    ``found`` lists what it discovered that later steps build on, so skipping it loses nothing."""

    step: str
    unit: str = ""
    found: list[str] = field(default_factory=list)


def normalized_content(post: PostRecord, media_hashes: list[str | None]) -> dict[str, Any]:
    """The content that ``content_sha256`` covers: everything that makes the statement what it is,
    and nothing that changes by itself (engagement counts, handles, display names).

    ``media_hashes`` holds each media item's SHA-256 when its bytes are archived, else None; the
    media's platform ref is always included, so an un-downloaded image still pins the content.
    """
    return {
        "platform": post.platform,
        "platform_id": post.platform_id,
        "author": post.author.platform_id,
        "created_at": iso_utc(post.created_at),
        "text": post.text,
        "lang": post.lang,
        "kind": post.kind,
        "references": post.references(),
        "media": [
            {"ref": m.ref, "sha256": h} for m, h in zip(post.media, media_hashes, strict=True)
        ],
        "content_id": post.content_id,
    }


