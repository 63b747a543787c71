"""The sandbox's Bluesky: one loopback host playing both AppView (``app.bsky.*`` reads) and PDS
(``com.atproto.repo.*``, ``com.atproto.sync.*``, ``com.atproto.server.createSession``), plus the
image host (``/bsky-media/<did>/<blob cid>.png``).

Records and their CIDs come from ``ids`` (true CIDs of the served JSON), views from
``render``. This module only parses XRPC parameters, pages results and answers errors in
XRPC form ``{"error": ..., "message": ...}``, with the ``ratelimit-*`` headers a real PDS sends.
Faults (429, 5xx, stalls) are injected by the server's fault hook before this handler runs.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import orjson

from archiver.platforms.bluesky.sandbox.ids import POST, REPOST, Record, Repos, repos
from archiver.platforms.bluesky.sandbox.render import View
from archiver.platforms.bluesky.sandbox.repo_car import build_repo_car, make_tid
from archiver.sandbox.server import SandboxRequest, SandboxResponse, World

SANDBOX_APP_PASSWORD = "sand-box0-demo-pass"  # the only password createSession accepts
RATE_LIMIT = 3000
RATE_WINDOW = 300
_REQUESTS: dict[int, int] = {}  # requests served per world, for ratelimit-remaining


class XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _rate_headers(world: World) -> dict[str, str]:
    count = _REQUESTS.get(id(world), 0) + 1
    _REQUESTS[id(world)] = count
    now = int(time.time())
    reset = now - now % RATE_WINDOW + RATE_WINDOW
    return {
        "ratelimit-limit": str(RATE_LIMIT),
        "ratelimit-remaining": str(max(0, RATE_LIMIT - count)),
        "ratelimit-reset": str(reset),
        "ratelimit-policy": f"{RATE_LIMIT};w={RATE_WINDOW}",
    }


def _need(request: SandboxRequest, name: str) -> str:
    value = request.arg(name)
    if not value:
        raise XrpcError(400, "InvalidRequest", f'Error: Params must have the property "{name}"')
    return value


def _int(request: SandboxRequest, name: str, default: int, low: int, high: int) -> int:
    text = request.arg(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise XrpcError(400, "InvalidRequest", f"Error: {name} must be an integer") from None
    if not low <= value <= high:
        raise XrpcError(400, "InvalidRequest", f"Error: {name} must be between {low} and {high}")
    return value


def _page(
    records: list[Record], request: SandboxRequest, key: Callable[[Record], str]
) -> tuple[list[Record], str | None]:
    """Keyset pagination over ``records`` (already sorted by descending ``key``): the cursor is
    the last key returned, as real feeds and listRecords do."""
    limit = _int(request, "limit", 50, 1, 100)
    cursor = request.arg("cursor")
    if cursor:
        records = [r for r in records if key(r) < cursor]
    chunk = records[:limit]
    more = len(records) > limit
    return chunk, key(chunk[-1]) if chunk and more else None


def _offset_page(records: list[Record], request: SandboxRequest) -> tuple[list[Record], str | None]:
    limit = _int(request, "limit", 50, 1, 100)
    try:
        start = int(request.arg("cursor") or 0)
    except ValueError:
        raise XrpcError(400, "InvalidRequest", "Error: malformed cursor") from None
    chunk = records[start : start + limit]
    return chunk, str(start + limit) if start + limit < len(records) else None


def _actor(view: View, actor: str) -> Any:
    person = view.repos.person_by_actor(actor, view.step)
    if person is None or not person.bsky_handle:
        raise XrpcError(400, "InvalidRequest", "Profile not found")
    return person


def _post_record(view: View, uri: str, *, visible_only: bool = True) -> Record | None:
    record = view.repos.by_uri.get(uri)
    if record is None or (visible_only and not record.item.visible_at(view.step)):
        return None
    return record


# -- AppView ------------------------------------------------------------------------------------
def resolve_handle(view: View, request: SandboxRequest) -> object:
    person = view.repos.person_by_actor(_need(request, "handle"), view.step)
    if person is None or request.arg("handle", "").startswith("did:"):  # type: ignore[union-attr]
        raise XrpcError(400, "InvalidRequest", "Unable to resolve handle")
    return {"did": person.did}


def get_profile(view: View, request: SandboxRequest) -> object:
    return view.profile_detailed(_actor(view, _need(request, "actor")))


def get_author_feed(view: View, request: SandboxRequest) -> object:
    person = _actor(view, _need(request, "actor"))
    feed_filter = request.arg("filter") or "posts_with_replies"
    allowed = (
        "posts_with_replies",
        "posts_no_replies",
        "posts_with_media",
        "posts_and_author_threads",
        "posts_with_video",
    )
    if feed_filter not in allowed:
        raise XrpcError(400, "InvalidRequest", f"Error: filter must be one of {', '.join(allowed)}")
    records = [r for r in view.repos.by_author(person.did, view.step) if view.in_feed(r, feed_filter)]
    chunk, cursor = _page(records, request, lambda r: r.rkey)
    out: dict[str, Any] = {"feed": [view.feed_item(r) for r in chunk]}
    if cursor:
        out["cursor"] = cursor
    return out


def get_posts(view: View, request: SandboxRequest) -> object:
    uris = request.args("uris")
    if len(uris) > 25:
        raise XrpcError(400, "InvalidRequest", "Error: uris must not have more than 25 elements")
    found = [_post_record(view, u) for u in uris]
    return {"posts": [view.post_view(r) for r in found if r is not None and r.collection == POST]}


def get_post_thread(view: View, request: SandboxRequest) -> object:
    uri = _need(request, "uri")
    depth = _int(request, "depth", 6, 0, 1000)
    parent_height = _int(request, "parentHeight", 80, 0, 1000)
    record = _post_record(view, uri)
    if record is None or record.collection != POST:
        return {"thread": {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}}
    return {"thread": view.thread(record, depth, parent_height)}


def get_quotes(view: View, request: SandboxRequest) -> object:
    uri = _need(request, "uri")
    record = _post_record(view, uri)
    quotes = view.quotes_of(record) if record else []
    chunk, cursor = _offset_page(quotes, request)
    out: dict[str, Any] = {"uri": uri, "posts": [view.post_view(r) for r in chunk]}
    if record:
        out["cid"] = record.cid
    if cursor:
        out["cursor"] = cursor
    return out


def get_reposted_by(view: View, request: SandboxRequest) -> object:
    uri = _need(request, "uri")
    record = _post_record(view, uri)
    reposts = view.reposts_of(record) if record else []
    chunk, cursor = _offset_page(reposts, request)
    out: dict[str, Any] = {"uri": uri, "repostedBy": [view.profile(view.author(r)) for r in chunk]}
    if record:
        out["cid"] = record.cid
    if cursor:
        out["cursor"] = cursor
    return out


# -- PDS ----------------------------------------------------------------------------------------
def _repo_did(view: View, request: SandboxRequest, name: str = "repo") -> str:
    person = view.repos.person_by_actor(_need(request, name), view.step)
    if person is None or not person.bsky_handle:
        raise XrpcError(
            400,
            "RepoNotFound" if name == "did" else "InvalidRequest",
            f"Could not find repo: {request.arg(name)}",
        )
    return person.did


def list_records(view: View, request: SandboxRequest) -> object:
    did = _repo_did(view, request)
    collection = _need(request, "collection")
    records = view.repos.by_author(did, view.step, collection)
    reverse = (request.arg("reverse") or "").lower() == "true"
    if reverse:
        records = list(reversed(records))
        limit = _int(request, "limit", 50, 1, 100)
        cursor = request.arg("cursor")
        if cursor:
            records = [r for r in records if r.rkey > cursor]
        chunk, next_cursor = records[:limit], (records[limit - 1].rkey if len(records) > limit else None)
    else:
        chunk, next_cursor = _page(records, request, lambda r: r.rkey)
    out: dict[str, Any] = {"records": [{"uri": r.uri, "cid": r.cid, "value": r.value} for r in chunk]}
    if next_cursor:
        out["cursor"] = next_cursor
    return out


def get_record(view: View, request: SandboxRequest) -> object:
    did = _repo_did(view, request)
    uri = f"at://{did}/{_need(request, 'collection')}/{_need(request, 'rkey')}"
    record = _post_record(view, uri)
    wanted_cid = request.arg("cid")
    if record is None or (wanted_cid and wanted_cid != record.cid):
        raise XrpcError(400, "RecordNotFound", f"Could not locate record: {uri}")
    return {"uri": record.uri, "cid": record.cid, "value": record.value}


def get_repo(view: View, request: SandboxRequest) -> SandboxResponse:
    did = _repo_did(view, request, "did")
    records = sorted(view.repos.by_author(did, view.step), key=lambda r: (r.collection, r.rkey))
    newest = max((r.item.at for r in records), default=None)
    rev = make_tid(int(newest.timestamp()) * 1_000_000 + view.step) if newest else make_tid(view.step)
    car = build_repo_car(did, [(r.collection, r.rkey, r.value) for r in records], rev=rev)
    return SandboxResponse(200, car, {"content-type": "application/vnd.ipld.car"})


def get_blob(view: View, request: SandboxRequest) -> SandboxResponse:
    _repo_did(view, request, "did")
    blob = view.repos.blobs.get(_need(request, "cid"))
    if blob is None:
        raise XrpcError(400, "BlobNotFound", "Blob not found")
    return SandboxResponse(200, blob.data, {"content-type": blob.image.mime})


def _b64url(value: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()


def create_session(view: View, request: SandboxRequest) -> object:
    """App-password login. Tokens are unsigned sandbox JWTs: the SDK only reads their expiry."""
    try:
        body = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError:
        raise XrpcError(400, "InvalidRequest", "Error: request body is not JSON") from None
    person = view.repos.person_by_actor(str(body.get("identifier") or ""), view.step)
    if person is None or body.get("password") != SANDBOX_APP_PASSWORD:
        raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
    now = int(time.time())

    def token(scope: str, ttl: int) -> str:
        claims = {
            "scope": scope,
            "sub": person.did,
            "aud": "did:web:sandbox.invalid",
            "iat": now,
            "exp": now + ttl,
        }
        return f"{_b64url({'typ': 'at+jwt', 'alg': 'HS256'})}.{_b64url(claims)}.c2FuZGJveA"

    return {
        "did": person.did,
        "handle": view.repos.handle(person, view.step),
        "active": True,
        "accessJwt": token("com.atproto.appPass", 7200),
        "refreshJwt": token("com.atproto.refresh", 86400),
    }


_QUERIES: dict[str, Callable[[View, SandboxRequest], object]] = {
    "com.atproto.identity.resolveHandle": resolve_handle,
    "app.bsky.actor.getProfile": get_profile,
    "app.bsky.feed.getAuthorFeed": get_author_feed,
    "app.bsky.feed.getPosts": get_posts,
    "app.bsky.feed.getPostThread": get_post_thread,
    "app.bsky.feed.getQuotes": get_quotes,
    "app.bsky.feed.getRepostedBy": get_reposted_by,
    "com.atproto.repo.listRecords": list_records,
    "com.atproto.repo.getRecord": get_record,
}
_BINARY: dict[str, Callable[[View, SandboxRequest], SandboxResponse]] = {
    "com.atproto.sync.getRepo": get_repo,
    "com.atproto.sync.getBlob": get_blob,
}
_PROCEDURES: dict[str, Callable[[View, SandboxRequest], object]] = {
    "com.atproto.server.createSession": create_session,
}


def _media(view: View, path: str) -> SandboxResponse:
    parts = path.split("/")  # "", "bsky-media", did, "<cid>.png"
    if len(parts) == 4 and parts[2] in view.repos.people_by_did:
        blob = view.repos.blobs.get(parts[3].rsplit(".", 1)[0])
        if blob is not None:
            return SandboxResponse(200, blob.data, {"content-type": blob.image.mime})
    return SandboxResponse.json({"error": "NotFound", "message": "no such image"}, 404)


def view_for(world: World) -> View:
    return View(repos(world.scenario), world.step, world.base_url)


def handle(request: SandboxRequest, world: World) -> SandboxResponse:
    view = view_for(world)
    if request.path.startswith("/bsky-media/"):
        return _media(view, request.path)
    headers = _rate_headers(world)
    nsid = request.path.removeprefix("/xrpc/")
    try:
        if request.method == "POST" and nsid in _PROCEDURES:
            return SandboxResponse.json(_PROCEDURES[nsid](view, request), headers=headers)
        if request.method in ("GET", "HEAD") and nsid in _QUERIES:
            return SandboxResponse.json(_QUERIES[nsid](view, request), headers=headers)
        if request.method in ("GET", "HEAD") and nsid in _BINARY:
            response = _BINARY[nsid](view, request)
            response.headers.update(headers)
            return response
        raise XrpcError(501, "MethodNotImplemented", f"Method Not Implemented: {nsid}")
    except XrpcError as exc:
        return SandboxResponse.json({"error": exc.error, "message": exc.message}, exc.status, headers)


__all__ = ["POST", "REPOST", "Repos", "handle", "view_for"]
