"""The fake X API v2: the endpoints the X collector calls, answered as X answers them, so that the
real tweepy code parses every response (with ``return_type=dict`` and with its models, without a
warning).

What it serves: user lookup by username and id, user timelines (``max_results``,
``pagination_token``, ``since_id``, ``until_id``, ``exclude``), tweet lookup with X's per-id
errors, quote tweets, recent search restricted to ``conversation_id:<id>``, following lists, and
the images at ``/x-media/<media_key>.png``. Fields and expansions are honoured: only requested
fields are returned, as X does, so a client that forgets one sees the same gap it would see live.

Why hand-written: no maintained fake of X API v2 exists, and tweepy must run its real HTTP code.
Faults (429, 5xx, stalls) are injected by the server's fault hook before this handler runs.

Account states (``set_account_state``) let a test or a person make an account protected or
suspended, which X reports through ``Authorization Error`` / ``Forbidden`` entries.
"""

from __future__ import annotations

import re
import time
from typing import Any

from archiver.platforms.x.sandbox.render import XTweet, build_view
from archiver.platforms.x.sandbox.select import (
    PROBLEMS,
    Invalid,
    Selection,
    set_account_state,
    tweet_error,
    user_error,
    x_state,
)
from archiver.sandbox.server import SandboxRequest, SandboxResponse, World

__all__ = ["handle", "set_account_state", "x_state"]

# Per-endpoint app limits for a 15-minute window (X's published Basic/Pro figures, rounded).
RATE_LIMITS = {"users": 300, "timeline": 1500, "tweets": 3500, "quotes": 75, "search": 450, "following": 15}

def _invalid_response(exc: Invalid) -> SandboxResponse:
    return SandboxResponse.json({
        "errors": [{"parameters": {exc.parameter: [str(exc)]}, "message": str(exc)}],
        "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
        "type": PROBLEMS + "invalid-request",
    }, 400)


# ---- pagination ---------------------------------------------------------------------------
_TOKEN_PREFIX = "7140dib"  # X's tokens are opaque base-36 strings; ours encode a position


def _encode_token(position: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        position, rest = divmod(position, 36)
        out = digits[rest] + out
        if position == 0:
            return _TOKEN_PREFIX + out


def _decode_token(token: str, parameter: str) -> int:
    if not token.startswith(_TOKEN_PREFIX) or len(token) == len(_TOKEN_PREFIX):
        raise Invalid(parameter, f"The `{parameter}` query parameter value [{token}] is not valid")
    try:
        return int(token[len(_TOKEN_PREFIX):], 36)
    except ValueError:
        raise Invalid(parameter, f"The `{parameter}` query parameter value [{token}] is not valid") from None


def _int_arg(request: SandboxRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.arg(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Invalid(name, f"The `{name}` query parameter value [{raw}] is not between {low} and {high}")
    return int(raw)


def _id_arg(request: SandboxRequest, name: str) -> int | None:
    raw = request.arg(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise Invalid(name, f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$")
    return int(raw)


def _paged_tweets(ctx: Selection, tweets: list[XTweet], token_param: str, default: int, low: int,
                  errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Newest-first tweets, cut by since_id/until_id and paged by an id cursor, so a page boundary
    stays put while new tweets arrive."""
    request = ctx.request
    size = _int_arg(request, "max_results", default, low, 100)
    since, until = _id_arg(request, "since_id"), _id_arg(request, "until_id")
    token = request.arg(token_param)
    below = _decode_token(token, token_param) if token else None
    chosen = [t for t in tweets
              if (since is None or int(t.id) > since) and (until is None or int(t.id) < until)
              and (below is None or int(t.id) < below)]
    page, rest = chosen[:size], chosen[size:]
    meta: dict[str, Any] = {"result_count": len(page)}
    if page:
        meta = {"result_count": len(page), "newest_id": page[0].id, "oldest_id": page[-1].id}
        if rest:
            meta["next_token"] = _encode_token(int(page[-1].id))
    return ctx.tweet_page(page, errors, meta)


# ---- endpoints ----------------------------------------------------------------------------
def _user_lookup(ctx: Selection, value: str, parameter: str) -> dict[str, Any]:
    view = ctx.view
    user_id = view.by_username.get(value.lower()) if parameter == "username" else value
    if user_id is None or user_id not in view.users:
        return {"errors": [user_error(value, parameter, suspended=False)]}
    if ctx.account_state(user_id) == "suspended":
        return {"errors": [user_error(value, parameter, suspended=True)]}
    return {"data": ctx.user(user_id)}


def _timeline(ctx: Selection, user_id: str) -> dict[str, Any]:
    if user_id not in ctx.view.users:
        return {"errors": [user_error(user_id, "id", suspended=False)]}
    state = ctx.account_state(user_id)
    if state == "suspended":
        return {"errors": [user_error(user_id, "id", suspended=True)]}
    if state == "protected":
        detail = f"Sorry, you are not authorized to see the user with id: [{user_id}]."
        return {"errors": [{
            "value": user_id, "detail": detail, "title": "Authorization Error", "resource_type": "user",
            "parameter": "id", "resource_id": user_id, "type": PROBLEMS + "not-authorized-for-resource"}]}
    exclude = set(ctx.request.args("exclude"))
    if exclude - {"retweets", "replies"}:
        raise Invalid("exclude", "The `exclude` query parameter value is not one of [retweets, replies]")
    kinds = {"retweets": "repost", "replies": "reply"}
    skipped = {kinds[e] for e in exclude}
    tweets = [t for t in ctx.view.timeline(user_id) if t.item.kind not in skipped]
    return _paged_tweets(ctx, tweets, "pagination_token", 10, 5)


def _lookup(ctx: Selection, ids: list[str]) -> dict[str, Any]:
    if not 1 <= len(ids) <= 100:
        raise Invalid("ids", f"The number of values in the `ids` query parameter list [{len(ids)}] is not "
                              "between 1 and 100")
    for tid in ids:
        if not tid.isdigit():
            raise Invalid("ids", f"The `ids` query parameter value [{tid}] does not match ^[0-9]{{1,19}}$")
    found: list[XTweet] = []
    errors: list[dict[str, Any]] = []
    for tid in dict.fromkeys(ids):
        tweet = ctx.view.tweets.get(tid)
        if tweet is None:
            errors.append(tweet_error(tid, "ids", authorization=False))
        elif not ctx.readable(tweet):
            errors.append(tweet_error(tid, "ids", authorization=True))
        else:
            found.append(tweet)
    return ctx.tweet_page(found, errors)


def _single(ctx: Selection, tid: str) -> dict[str, Any]:
    body = _lookup(ctx, [tid])
    if "data" in body:
        body["data"] = body["data"][0]
    else:
        for error in body.get("errors", []):
            error["parameter"] = "id"
            error["detail"] = error["detail"].replace("ids:", "id:")
    return body


def _quotes(ctx: Selection, tid: str) -> dict[str, Any]:
    target = ctx.view.tweets.get(tid)
    quotes = ctx.view.referencing(target.item.key, "quote") if target else []
    quotes = [q for q in quotes if ctx.readable(q)]
    return _paged_tweets(ctx, quotes, "pagination_token", 10, 10)


_CONVERSATION = re.compile(r"^\s*conversation_id:(\d{1,19})\s*$")


def _search(ctx: Selection) -> dict[str, Any]:
    query = ctx.request.arg("query") or ""
    match = _CONVERSATION.match(query)
    if match is None:
        raise Invalid("query", "The sandbox's recent search supports only `conversation_id:<id>` queries")
    tweets = [t for t in ctx.view.conversation(match.group(1)) if ctx.readable(t)]
    return _paged_tweets(ctx, tweets, "next_token", 10, 10)


def _following(ctx: Selection, user_id: str) -> dict[str, Any]:
    person = ctx.view.person_of.get(user_id)
    if person is None:
        return {"errors": [user_error(user_id, "id", suspended=False)]}
    if ctx.account_state(user_id) == "suspended":
        return {"errors": [user_error(user_id, "id", suspended=True)]}
    people = ctx.world.scenario.people
    followed = [b for a, b in reversed(ctx.world.scenario.follows) if a == person.key]
    ids = [people[k].x_id for k in followed if people[k].x_username]
    size = _int_arg(ctx.request, "max_results", 100, 1, 1000)
    token = ctx.request.arg("pagination_token")
    start = _decode_token(token, "pagination_token") if token else 0
    page = ids[start:start + size]
    body: dict[str, Any] = {}
    if page:
        body["data"] = [ctx.user(u) for u in page]
    meta: dict[str, Any] = {"result_count": len(page)}
    if start + size < len(ids):
        meta["next_token"] = _encode_token(start + size)
    body["meta"] = meta
    return body


def _media_file(world: World, path: str) -> SandboxResponse:
    ctx_view = x_state(world).views.get((world.step, world.base_url)) or build_view(
        world.scenario, world.step, world.base_url)
    key = path.removeprefix("/x-media/").removesuffix(".png")
    media = ctx_view.media.get(key)
    if media is None or not path.endswith(".png"):
        return SandboxResponse(404, b"Not Found", {"content-type": "text/plain"})
    image = world.scenario.images[media.image]
    return SandboxResponse(200, image.data(), {"content-type": image.mime, "cache-control": "max-age=604800"})


_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/2/users/by/username/([^/]+)$"), "username"),
    (re.compile(r"^/2/users/(\d{1,19})/tweets$"), "timeline"),
    (re.compile(r"^/2/users/(\d{1,19})/following$"), "following"),
    (re.compile(r"^/2/users/(\d{1,19})$"), "user"),
    (re.compile(r"^/2/tweets/search/recent$"), "search"),
    (re.compile(r"^/2/tweets/(\d{1,19})/quote_tweets$"), "quotes"),
    (re.compile(r"^/2/tweets/(\d{1,19})$"), "tweet"),
    (re.compile(r"^/2/tweets$"), "tweets"),
]
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_LIMIT_GROUP = {"username": "users", "user": "users", "timeline": "timeline", "following": "following",
                "search": "search", "quotes": "quotes", "tweet": "tweets", "tweets": "tweets"}


def _rate_headers(world: World, group: str) -> dict[str, str]:
    """X sends these on every API response. The sandbox counts calls but never refuses: limits
    are exercised through the server's fault hook, where a test controls them exactly."""
    limit = RATE_LIMITS[group]
    state = x_state(world)
    with world.lock:
        used = state.calls.get(group, 0) + 1
        state.calls[group] = used
    window = 900
    reset = (int(time.time()) // window + 1) * window
    return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(limit - 1 - (used - 1) % limit),
            "x-rate-limit-reset": str(reset)}


def handle(request: SandboxRequest, world: World) -> SandboxResponse:
    """Answer one request to ``/2/...`` or ``/x-media/...``."""
    if request.path.startswith("/x-media/"):
        return _media_file(world, request.path)
    for pattern, route in _ROUTES:
        match = pattern.match(request.path)
        if match:
            name = route
            break
    else:
        return SandboxResponse.json({"errors": [{"message": "Sorry, that page does not exist", "code": 34}]},
                                    404)
    headers = _rate_headers(world, _LIMIT_GROUP[name])
    auth = request.headers.get("authorization", "")
    if not auth.startswith("Bearer ") or not auth[len("Bearer "):].strip():
        return SandboxResponse.json({"title": "Unauthorized", "type": "about:blank", "status": 401,
                                     "detail": "Unauthorized"}, 401, headers)
    if request.method != "GET":
        return SandboxResponse.json({"title": "Method Not Allowed", "status": 405, "type": "about:blank",
                                     "detail": f"{request.method} is not supported here"}, 405, headers)
    try:
        ctx = Selection(request, world)
        arg = match.group(1) if match.groups() else ""
        if name == "username":
            if not _USERNAME.match(arg):
                raise Invalid("username", f"The `username` query parameter value [{arg}] does not match "
                                           "^[A-Za-z0-9_]{1,15}$")
            body = _user_lookup(ctx, arg, "username")
        elif name == "user":
            body = _user_lookup(ctx, arg, "id")
        elif name == "timeline":
            body = _timeline(ctx, arg)
        elif name == "following":
            body = _following(ctx, arg)
        elif name == "search":
            body = _search(ctx)
        elif name == "quotes":
            body = _quotes(ctx, arg)
        elif name == "tweet":
            body = _single(ctx, arg)
        else:
            body = _lookup(ctx, request.args("ids"))
    except Invalid as exc:
        response = _invalid_response(exc)
        response.headers.update(headers)
        return response
    return SandboxResponse.json(body, 200, headers)
