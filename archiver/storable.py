"""Is every value of a page storable? Checked before the first commit, so that a value that
parses but that the database would refuse stops the import while nothing is written yet.

Why: a twarc ``like_count`` of 2^63, a 30-digit ``favorite_count`` or a NUL in a post's text
(PostgreSQL's TEXT refuses it) used to pass validation and fail at the database thousands of rows
later, after earlier batches had committed: the import could then neither complete nor roll back.
The same checks give ids a grammar: an X id is ASCII digits that fit a signed 64-bit integer
(``isdigit`` also accepts Arabic-Indic digits), a Bluesky id is a DID or an at:// URI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from archiver.collectors.records import AccountRecord, Page, PostRecord
from archiver.errors import BadInputError

INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)
MAX_TEXT = 1 << 20  # characters in one text field (a post is at most a few thousand)

_X_ID = re.compile(r"[0-9]{1,19}\Z", re.ASCII)
_DID = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]{1,2048}\Z", re.ASCII)
_AT_URI = re.compile(r"at://did:[a-z]+:[a-zA-Z0-9._:%-]{1,2048}/[a-zA-Z0-9.-]{1,317}/[a-zA-Z0-9._:~-]{1,512}\Z",
                     re.ASCII)
_CID = re.compile(r"b[a-z2-7]{8,200}\Z", re.ASCII)


def valid_id(platform: str, value: object, account: bool = False) -> bool:
    """The platform's id grammar: X ids are decimal ASCII in the signed 64-bit range; a Bluesky
    account is a DID and a post an at:// URI."""
    if not isinstance(value, str):
        return False
    if platform == "x":
        return bool(_X_ID.match(value)) and int(value) <= INT64_MAX
    if platform == "bluesky":
        return bool((_DID if account else _AT_URI).match(value))
    return False


def check_text(value: object, field: str) -> None:
    """Text the database can hold: a string of valid UTF-8 (no lone surrogates) without NUL."""
    if value is None:
        return
    if not isinstance(value, str):
        raise BadInputError(f"field {field!r} must be text, got {type(value).__name__}")
    if "\x00" in value:
        raise BadInputError(f"field {field!r} contains a NUL character")
    if len(value) > MAX_TEXT:
        raise BadInputError(f"field {field!r} is longer than {MAX_TEXT:,} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInputError(f"field {field!r} is not valid Unicode (lone surrogate)") from None


def check_int(value: object, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInputError(f"field {field!r} must be an integer, got {type(value).__name__}")
    if not INT64_MIN <= value <= INT64_MAX:
        raise BadInputError(f"field {field!r} is out of the signed 64-bit range: {value}")


def _check_account(account: AccountRecord, field: str) -> None:
    if not valid_id(account.platform, account.platform_id, account=True):
        raise BadInputError(f"field {field + '.id'!r} is not a valid {account.platform} account id: "
                            f"{account.platform_id!r}")
    check_text(account.handle, field + ".handle")
    check_text(account.display_name, field + ".name")


def _check_post(post: PostRecord) -> None:
    if not valid_id(post.platform, post.platform_id):
        raise BadInputError(f"post id is not a valid {post.platform} id: {post.platform_id!r}")
    where = f"post {post.platform_id}"
    for name, ref in (("content_id", post.content_id), *post.references().items()):
        if ref is None:
            continue
        grammar_ok = (_CID.match(ref) is not None) if (post.platform == "bluesky" and name == "content_id") \
            else valid_id(post.platform, ref)
        if not grammar_ok:
            raise BadInputError(f"{where}: {name} is not a valid {post.platform} id: {ref!r}")
    _check_account(post.author, f"{where}: author")
    for name, text in (("text", post.text), ("lang", post.lang), ("url", post.url),
                       ("platform_cid", post.platform_cid)):
        check_text(text, f"{where}: {name}")
    for key, count in post.metrics.items():
        check_int(count, f"{where}: {key}")
    for media in post.media:
        for name, text in (("media ref", media.ref), ("media url", media.url), ("media alt", media.alt),
                           ("media type", media.mime)):
            check_text(text, f"{where}: {name}")


def check_records(posts: Iterable[PostRecord], accounts: Iterable[AccountRecord]) -> None:
    """The per-record part of ``check_page``, for a reader that groups several lines in one page
    (twarc flatten output) and wants a bad value to name its own line."""
    for account in accounts:
        _check_account(account, "account")
    for post in posts:
        _check_post(post)


def check_page(page: Page) -> None:
    """Raise ``BadInputError`` naming the first value of ``page`` that cannot be stored as is.

    Also refuses one id given twice in one page with different content: the store keeps one row
    per id and page, so the second version would otherwise vanish without a word.
    """
    check_text(page.capture.url, "capture url")
    for account in page.accounts:
        _check_account(account, "account")
    seen: dict[tuple[str, str, str | None], tuple[object, ...]] = {}
    for post in page.posts:
        _check_post(post)
        key = (post.platform, post.platform_id, post.content_id)
        content = (post.text, post.created_at, post.kind, tuple(post.references().values()),
                   tuple(m.ref for m in post.media))
        if key in seen and seen[key] != content:
            raise BadInputError(f"post {post.platform_id} appears twice in one page with different content")
        seen[key] = content
    for claim in page.statuses:
        if not valid_id(claim.platform, claim.platform_id):
            raise BadInputError(f"status claim for an invalid {claim.platform} id: {claim.platform_id!r}")
    for follow in page.follows:
        for pid in (follow.follower_id, follow.followed_id):
            if not valid_id(follow.platform, pid, account=True):
                raise BadInputError(f"follow of an invalid {follow.platform} account id: {pid!r}")


def check_pages(pages: Iterable[Page]) -> None:
    for page in pages:
        check_page(page)


__all__ = ["INT64_MAX", "check_int", "check_page", "check_pages", "check_records", "check_text", "valid_id"]
