"""Bluesky's URL and id grammar: at:// URIs and bsky.app post links.

A post's platform id is its at:// URI with the author's DID. Users paste links with a handle
(``bsky.app/profile/<handle>/post/<rkey>``) or a DID, and at:// URIs with either; a handle is
resolved by the archive's handle history (the resolver asks for ``post_id(did, rkey)``), never
over the network.
"""

from __future__ import annotations

import re

from archiver.platforms import PostRef

POST_COLLECTION = "app.bsky.feed.post"

_WEB = re.compile(r"^(?:https?://)?(?:www\.)?bsky\.app/profile/([^/?#]+)/post/([^/?#]+)/?(?:[?#].*)?$",
                  re.IGNORECASE)
_URI = re.compile(r"^at://([^/?#]+)/([a-zA-Z0-9.]+)/([^/?#]+)$")


def parse_post(text: str) -> PostRef | None:
    text = text.strip()
    if match := _WEB.match(text):
        author, rkey = match.groups()
        return _ref(author, POST_COLLECTION, rkey)
    if match := _URI.match(text):
        return _ref(*match.groups())
    return None


def _ref(author: str, collection: str, rkey: str) -> PostRef:
    if is_account_id(author):
        return PostRef("bluesky", platform_id=f"at://{author}/{collection}/{rkey}")
    if collection != POST_COLLECTION:  # a handle-form URI of another record kind: kept as typed
        return PostRef("bluesky", platform_id=f"at://{author}/{collection}/{rkey}")
    return PostRef("bluesky", author=author.lstrip("@"), key=rkey)


def post_id(account_id: str, key: str) -> str:
    return f"at://{account_id}/{POST_COLLECTION}/{key}"


def is_account_id(value: str) -> bool:
    return value.startswith("did:")


def page_parts(platform_id: str) -> list[str]:
    """The report's path segments for a post: ``<did>/<collection without app.bsky.feed.>/<rkey>``."""
    if not platform_id.startswith("at://"):
        return [platform_id]
    parts = platform_id[len("at://"):].split("/")
    if len(parts) == 3 and parts[1].startswith("app.bsky.feed."):
        return [parts[0], parts[1][len("app.bsky.feed."):], parts[2]]
    return parts
