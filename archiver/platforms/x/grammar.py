"""X's URL and id grammar: what a pasted X reference looks like.

Tweet ids are decimal; a status URL on x.com or twitter.com (any handle, since handles change;
``/status/`` or the old ``/statuses/``; mobile and www hosts; any query string or trailing path
such as ``/photo/1``) names the tweet by its id alone.
"""

from __future__ import annotations

import re

from archiver.platforms import PostRef

_STATUS = re.compile(r"^(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/[^/?#]+/status(?:es)?/(\d+)(?:[/?#].*)?$",
                     re.IGNORECASE)


def parse_post(text: str) -> PostRef | None:
    """A tweet named by a status URL; a bare id is not claimed here (any platform may use digits)."""
    match = _STATUS.match(text.strip())
    return PostRef("x", platform_id=match.group(1)) if match else None


def post_id(account_id: str, key: str) -> str:
    """On X the key is the tweet id itself; the author is not part of it."""
    return key


def is_account_id(value: str) -> bool:
    return value.isdigit()
