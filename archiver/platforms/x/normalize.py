"""X API v2 tweet JSON -> ``PostRecord``: the one mapping shared by the live X collector and the
twarc importer, so that a tweet read from the API and the same tweet read from a twarc file give
the same normalized content and therefore the same ``content_sha256``.

Why hand-written: tweepy's ``Tweet`` model mutates fields (``editable_until`` becomes a datetime)
and knows nothing of our record; the mapping itself is a few dictionary look-ups.

Shape errors raise ``BadInputError`` naming the tweet and the field; the importers prefix the
file and line. Ids must be JSON strings: an integer id may already have lost precision as a
float somewhere upstream, so it is refused rather than silently stringified.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from archiver.collectors.records import AccountRecord, Kind, MediaRef, PostRecord
from archiver.errors import BadInputError
from archiver.timeutil import parse_iso

_METRICS = {
    "like_count": "like_count",
    "retweet_count": "repost_count",
    "reply_count": "reply_count",
    "quote_count": "quote_count",
}


def _where(tweet: Mapping[str, Any]) -> str:
    tid = tweet.get("id")
    return f"tweet {tid}" if isinstance(tid, str) else "tweet"


def _str_field(tweet: Mapping[str, Any], name: str, required: bool = True) -> str | None:
    value = tweet.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        kind = "missing" if value is None else f"must be a string, got {type(value).__name__}"
        raise BadInputError(f"{_where(tweet)}: field {name!r} {kind}")
    return value


def _id_list(tweet: Mapping[str, Any], name: str) -> list[str]:
    value = tweet.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInputError(f"{_where(tweet)}: field {name!r} must be a list of string ids")
    return list(value)


def _created_at(tweet: Mapping[str, Any]) -> datetime:
    text = _str_field(tweet, "created_at")
    assert text is not None
    try:
        return parse_iso(text)
    except ValueError as exc:
        raise BadInputError(f"{_where(tweet)}: field 'created_at' is not a time: {text!r}") from exc


def _references(tweet: Mapping[str, Any]) -> dict[str, str]:
    refs = tweet.get("referenced_tweets")
    if refs is None:
        return {}
    if not isinstance(refs, list):
        raise BadInputError(f"{_where(tweet)}: field 'referenced_tweets' must be a list")
    out: dict[str, str] = {}
    for ref in refs:
        ok = isinstance(ref, dict) and isinstance(ref.get("type"), str) and isinstance(ref.get("id"), str)
        if not ok:
            raise BadInputError(f"{_where(tweet)}: field 'referenced_tweets' needs string 'type' and 'id'")
        out.setdefault(ref["type"], ref["id"])
    return out


def _kind(refs: Mapping[str, str]) -> Kind:
    if "retweeted" in refs:
        return "repost"
    if "quoted" in refs:
        return "quote"  # a reply that also quotes is a quote with replied_to set
    if "replied_to" in refs:
        return "reply"
    return "post"


def _text(tweet: Mapping[str, Any]) -> str:
    """The full text: a long post's ``text`` is cut at 280 characters and the whole of it sits
    in ``note_tweet.text`` (when the ``note_tweet`` field was requested)."""
    note = tweet.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        return str(note["text"])
    text = _str_field(tweet, "text")
    assert text is not None
    return text


def _media(tweet: Mapping[str, Any], media_by_key: Mapping[str, Mapping[str, Any]]) -> list[MediaRef]:
    attachments = tweet.get("attachments")
    if not isinstance(attachments, dict):
        return []
    keys = attachments.get("media_keys") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise BadInputError(f"{_where(tweet)}: field 'attachments.media_keys' must be a list of strings")
    out: list[MediaRef] = []
    for key in keys:
        item = media_by_key.get(key) or {}
        url = item.get("url") or item.get("preview_image_url")
        alt = item.get("alt_text")
        out.append(MediaRef(ref=key, url=url if isinstance(url, str) else None, mime=None,
                            alt=alt if isinstance(alt, str) else None))
    return out


def _metrics(tweet: Mapping[str, Any]) -> dict[str, int]:
    public = tweet.get("public_metrics")
    if not isinstance(public, dict):
        return {}
    return {ours: int(public[theirs]) for theirs, ours in _METRICS.items()
            if isinstance(public.get(theirs), int) and not isinstance(public.get(theirs), bool)}


def account_from_user(user: Mapping[str, Any]) -> AccountRecord:
    """An ``includes.users`` object as an account (its id must be a string)."""
    uid = user.get("id")
    if not isinstance(uid, str):
        raise BadInputError(f"user {uid!r}: field 'id' must be a string")
    username = user.get("username")
    name = user.get("name")
    return AccountRecord(platform="x", platform_id=uid,
                         handle=username if isinstance(username, str) else None,
                         display_name=name if isinstance(name, str) else None)


def normalize_tweet(
    tweet: dict[str, Any],
    users_by_id: Mapping[str, Mapping[str, Any]],
    media_by_key: Mapping[str, Mapping[str, Any]],
    raw: bytes,
    authors: dict[str, AccountRecord] | None = None,
) -> PostRecord:
    """One v2 tweet object as a ``PostRecord``.

    ``platform_id`` is ``edit_history_tweet_ids[0]`` when present: every version of an edited
    tweet shares it, so edits become new snapshots of one post rather than new posts. The
    version's own id is ``content_id`` and is part of the hashed content. ``authors`` lets the
    posts of one page share one ``AccountRecord`` per author (built once).
    """
    if not isinstance(tweet, dict):
        raise BadInputError(f"tweet must be a JSON object, got {type(tweet).__name__}")
    tid = _str_field(tweet, "id")
    assert tid is not None
    author_id = _str_field(tweet, "author_id")
    assert author_id is not None
    history = _id_list(tweet, "edit_history_tweet_ids")
    platform_id = history[0] if history else tid
    refs = _references(tweet)
    author = authors.get(author_id) if authors is not None else None
    if author is None:
        user = users_by_id.get(author_id)
        author = account_from_user(user) if user is not None else AccountRecord(
            platform="x", platform_id=author_id, handle=None)
        if authors is not None:
            authors[author_id] = author
    handle = author.handle or "i/web"
    lang = tweet.get("lang")
    return PostRecord(
        platform="x",
        platform_id=platform_id,
        url=f"https://x.com/{handle}/status/{tid}",
        author=author,
        created_at=_created_at(tweet),
        text=_text(tweet),
        lang=lang if isinstance(lang, str) else None,
        kind=_kind(refs),
        raw=raw,
        reposted_id=refs.get("retweeted"),
        quoted_id=refs.get("quoted"),
        replied_to_id=refs.get("replied_to"),
        thread_root_id=_str_field(tweet, "conversation_id", required=False),
        content_id=tid,
        media=_media(tweet, media_by_key),
        metrics=_metrics(tweet),
    )


def _objects(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadInputError(f"field {where!r} must be a list of objects")
    return value


_ById = dict[str, dict[str, Any]]


def index_includes(page_json: Mapping[str, Any]) -> tuple[_ById, _ById]:
    """``includes.users`` by id and ``includes.media`` by media_key."""
    includes = page_json.get("includes") or {}
    if not isinstance(includes, dict):
        raise BadInputError("field 'includes' must be an object")
    users: _ById = {}
    for user in _objects(includes.get("users"), "includes.users"):
        uid = user.get("id")
        if not isinstance(uid, str):
            raise BadInputError(f"includes.users: field 'id' must be a string, got {type(uid).__name__}")
        users[uid] = user
    media = {m["media_key"]: m for m in _objects(includes.get("media"), "includes.media")
             if isinstance(m.get("media_key"), str)}
    return users, media


def page_tweets(page_json: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``data`` then ``includes.tweets``, each tweet version once (data wins). One id given twice
    in ``data`` with different content is refused: keeping either would hide the other."""
    includes = page_json.get("includes") or {}
    if not isinstance(includes, dict):
        raise BadInputError("field 'includes' must be an object")
    seen: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    data = _objects(page_json.get("data"), "data")
    tweets = data + _objects(includes.get("tweets"), "includes.tweets")
    for index, tweet in enumerate(tweets):
        tid = tweet.get("id")
        if isinstance(tid, str):
            if tid in seen:
                if index < len(data) and seen[tid] != tweet:
                    raise BadInputError(f"tweet {tid} appears twice in one page with different content")
                continue
            seen[tid] = tweet
        out.append(tweet)
    return out


def normalize_page(page_json: dict[str, Any]) -> list[PostRecord]:
    """Every tweet of one v2 response page (``data`` plus ``includes.tweets``, the originals
    behind retweets and quotes, archived as posts of their own authors)."""
    users, media = index_includes(page_json)
    authors: dict[str, AccountRecord] = {}
    return [normalize_tweet(t, users, media, orjson.dumps(t), authors) for t in page_tweets(page_json)]


def page_accounts(page_json: Mapping[str, Any]) -> list[AccountRecord]:
    """Every ``includes.users`` entry, so that authors' handles are recorded even without posts."""
    users, _ = index_includes(page_json)
    return [account_from_user(u) for u in users.values()]
