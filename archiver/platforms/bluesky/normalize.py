"""Bluesky records as received -> ``PostRecord``: the one mapping shared by the live collector
(post views from the AppView, repost records from the PDS) and the CAR importer (records read from
a repo export), so the same post read either way yields the same normalized content and therefore
the same ``content_sha256``.

Why hand-written: the SDK's models re-serialise records differently from what was received
(nested strongRefs gain ``$type``), which would change the CID; and the mapping to our record is
a few dictionary look-ups. Records are taken in their JSON form (``{"$link": ...}`` for CIDs), as
XRPC serves them; ``cid_verified`` is the recomputed CID of exactly that JSON compared with the
CID the platform served.

Shape errors raise ``BadInputError`` naming the record's URI and the field; importers prefix the
file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from archiver.collectors.records import AccountRecord, Kind, MediaRef, PostRecord
from archiver.errors import BadInputError
from archiver.hashing import bluesky_cid
from archiver.timeutil import parse_iso

POST_COLLECTION = "app.bsky.feed.post"
REPOST_COLLECTION = "app.bsky.feed.repost"

_METRICS = {
    "likeCount": "like_count",
    "repostCount": "repost_count",
    "replyCount": "reply_count",
    "quoteCount": "quote_count",
}


def split_uri(uri: str) -> tuple[str, str, str]:
    """``at://<did>/<collection>/<rkey>`` -> (did, collection, rkey)."""
    if not uri.startswith("at://"):
        raise BadInputError(f"{uri!r}: not an at:// URI")
    parts = uri[5:].split("/")
    if len(parts) != 3 or not all(parts):
        raise BadInputError(f"{uri!r}: expected at://<did>/<collection>/<rkey>")
    return parts[0], parts[1], parts[2]


def web_url(uri: str) -> str:
    """The bsky.app page of a post; a repost record has no page of its own, so its at:// URI
    is its address."""
    did, collection, rkey = split_uri(uri)
    if collection == POST_COLLECTION:
        return f"https://bsky.app/profile/{did}/post/{rkey}"
    return uri


def _field(obj: Mapping[str, Any], name: str, where: str, kind: type = str, required: bool = True) -> Any:
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind):
        what = "missing" if value is None else f"must be {kind.__name__}, got {type(value).__name__}"
        raise BadInputError(f"{where}: field {name!r} {what}")
    return value


def _time(obj: Mapping[str, Any], name: str, where: str) -> datetime:
    text = _field(obj, name, where)
    try:
        return parse_iso(text)
    except ValueError as exc:
        raise BadInputError(f"{where}: field {name!r} is not a time: {text!r}") from exc


def _ref_uri(ref: Any, where: str, name: str) -> str:
    """The ``uri`` of a strongRef ``{uri, cid}``."""
    if not isinstance(ref, Mapping) or not isinstance(ref.get("uri"), str):
        raise BadInputError(f"{where}: field {name!r} must be a strongRef with a string 'uri'")
    return str(ref["uri"])


def _verify(record: Mapping[str, Any], cid: str | None, where: str) -> bool | None:
    """True when the record's recomputed CID equals the served one; None when no CID was served."""
    if cid is None:
        return None
    try:
        return bluesky_cid(dict(record)) == cid
    except (ValueError, TypeError) as exc:  # a record libipld cannot encode cannot match its CID
        raise BadInputError(f"{where}: record cannot be encoded as dag-cbor: {exc}") from exc


def _images(embed: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The record's image entries, from ``app.bsky.embed.images`` or inside ``recordWithMedia``."""
    if not isinstance(embed, Mapping):
        return []
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia":
        return _images(embed.get("media"))
    if kind == "app.bsky.embed.images" and isinstance(embed.get("images"), list):
        return [i for i in embed["images"] if isinstance(i, Mapping)]
    return []


def _view_images(view: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The AppView's image views (``fullsize`` URLs), in the same order as the record's images."""
    if not isinstance(view, Mapping):
        return []
    kind = view.get("$type")
    if kind == "app.bsky.embed.recordWithMedia#view":
        return _view_images(view.get("media"))
    if kind == "app.bsky.embed.images#view" and isinstance(view.get("images"), list):
        return [i for i in view["images"] if isinstance(i, Mapping)]
    return []


def blob_cid(image: Mapping[str, Any]) -> str | None:
    """The blob CID of an image entry (``image.ref.$link``); legacy blobs carry a bare ``cid``."""
    blob = image.get("image")
    if not isinstance(blob, Mapping):
        return None
    ref = blob.get("ref")
    if isinstance(ref, Mapping) and isinstance(ref.get("$link"), str):
        return str(ref["$link"])
    legacy = blob.get("cid")
    return legacy if isinstance(legacy, str) else None


def _media(record: Mapping[str, Any], view: Mapping[str, Any] | None, where: str) -> list[MediaRef]:
    out: list[MediaRef] = []
    views = _view_images(view)
    for position, image in enumerate(_images(record.get("embed"))):
        ref = blob_cid(image)
        if ref is None:
            raise BadInputError(f"{where}: field 'embed.images[{position}].image' has no blob ref")
        url = views[position].get("fullsize") if position < len(views) else None
        blob = image.get("image")
        mime = blob.get("mimeType") if isinstance(blob, Mapping) else None
        alt = image.get("alt")
        out.append(MediaRef(ref=ref, url=url if isinstance(url, str) else None,
                            mime=mime if isinstance(mime, str) else None,
                            alt=alt if isinstance(alt, str) else None))
    return out


def _quoted(record: Mapping[str, Any], where: str) -> str | None:
    embed = record.get("embed")
    if not isinstance(embed, Mapping):
        return None
    kind = embed.get("$type")
    if kind == "app.bsky.embed.record":
        return _ref_uri(embed.get("record"), where, "embed.record")
    if kind == "app.bsky.embed.recordWithMedia":
        inner = embed.get("record")
        if not isinstance(inner, Mapping):
            raise BadInputError(f"{where}: field 'embed.record' must be an object")
        return _ref_uri(inner.get("record"), where, "embed.record.record")
    return None


def _lang(record: Mapping[str, Any]) -> str | None:
    langs = record.get("langs")
    if isinstance(langs, list) and langs and isinstance(langs[0], str):
        return str(langs[0])
    return None


def _post(uri: str, cid: str | None, record: Mapping[str, Any], author: AccountRecord, raw: bytes,
          view_embed: Mapping[str, Any] | None, metrics: dict[str, int]) -> PostRecord:
    where = f"post {uri}"
    text = _field(record, "text", where)
    reply = record.get("reply")
    replied_to = root = None
    if reply is not None:
        if not isinstance(reply, Mapping):
            raise BadInputError(f"{where}: field 'reply' must be an object")
        replied_to = _ref_uri(reply.get("parent"), where, "reply.parent")
        root = _ref_uri(reply.get("root"), where, "reply.root")
    quoted = _quoted(record, where)
    kind: Kind = "quote" if quoted else "reply" if replied_to else "post"
    return PostRecord(
        platform="bluesky", platform_id=uri, url=web_url(uri), author=author,
        created_at=_time(record, "createdAt", where), text=text, lang=_lang(record), kind=kind, raw=raw,
        quoted_id=quoted, replied_to_id=replied_to, thread_root_id=root,
        content_id=cid, platform_cid=cid, cid_verified=_verify(record, cid, where),
        media=_media(record, view_embed, where), metrics=metrics,
    )


def _repost(uri: str, cid: str | None, record: Mapping[str, Any], author: AccountRecord,
            raw: bytes) -> PostRecord:
    where = f"repost {uri}"
    via = record.get("via")
    return PostRecord(
        platform="bluesky", platform_id=uri, url=web_url(uri), author=author,
        created_at=_time(record, "createdAt", where), text="", lang=None, kind="repost", raw=raw,
        reposted_id=_ref_uri(record.get("subject"), where, "subject"),
        via_id=_ref_uri(via, where, "via") if via is not None else None,
        content_id=cid, platform_cid=cid, cid_verified=_verify(record, cid, where),
    )


def normalize_record(
    uri: str, cid: str, record: dict[str, Any], author: AccountRecord, raw: bytes
) -> PostRecord:
    """A post or repost record (JSON form, as received) -> ``PostRecord``.

    Used for ``listRecords``/``getRecord`` answers and CAR exports, where there is no AppView
    view: media URLs are unknown (None) and the store matches images by blob CID instead.
    """
    if not isinstance(record, Mapping):
        raise BadInputError(f"record {uri}: must be an object")
    _did, collection, _rkey = split_uri(uri)
    record_type = record.get("$type", collection)
    if record_type == REPOST_COLLECTION:
        return _repost(uri, cid, record, author, raw)
    if record_type == POST_COLLECTION:
        return _post(uri, cid, record, author, raw, None, {})
    raise BadInputError(f"record {uri}: unsupported $type {record_type!r}")


def author_of(view: Mapping[str, Any], where: str, tracked: bool = False) -> AccountRecord:
    """An AppView ``profileViewBasic`` (post author, repost ``by``) -> ``AccountRecord``."""
    if not isinstance(view, Mapping):
        raise BadInputError(f"{where}: field 'author' must be an object")
    name = view.get("displayName")
    return AccountRecord("bluesky", _field(view, "did", where), _field(view, "handle", where, required=False),
                         name if isinstance(name, str) else None, tracked=tracked)


def normalize_post_view(post_view_json: dict[str, Any], raw: bytes) -> PostRecord:
    """An AppView ``app.bsky.feed.defs#postView`` (as parsed from the capture bytes) -> ``PostRecord``.

    ``raw`` is the post view's JSON as stored in the snapshot. Engagement counts go to ``metrics``
    (sightings), never into the content.
    """
    if not isinstance(post_view_json, Mapping):
        raise BadInputError("post view: must be an object")
    uri = _field(post_view_json, "uri", "post view")
    where = f"post {uri}"
    cid = _field(post_view_json, "cid", where)
    record = _field(post_view_json, "record", where, dict)
    author = author_of(post_view_json.get("author"), where)  # type: ignore[arg-type]
    metrics = {ours: post_view_json[theirs] for theirs, ours in _METRICS.items()
               if isinstance(post_view_json.get(theirs), int)}
    if record.get("$type", POST_COLLECTION) != POST_COLLECTION:
        raise BadInputError(f"{where}: field 'record.$type' must be {POST_COLLECTION!r}")
    return _post(uri, cid, record, author, raw, post_view_json.get("embed"), metrics)


def record_of(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The record inside a stored Bluesky object: a post view's ``record``, a listRecords/getRecord
    item's ``value``, or the record itself (CAR imports)."""
    if isinstance(raw.get("record"), dict) and "uri" in raw:
        return raw["record"]  # type: ignore[no-any-return]
    if isinstance(raw.get("value"), dict) and "uri" in raw:
        return raw["value"]  # type: ignore[no-any-return]
    if "$type" in raw:
        return raw
    return None


def content_cid(raw: dict[str, Any]) -> str | None:
    """The CID of the record in a stored object, recomputed from its JSON (``archiver verify``)."""
    record = record_of(raw)
    return bluesky_cid(record) if record is not None else None
