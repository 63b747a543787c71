"""What the fake X returns of what exists: X's field and expansion selection, its ``includes``,
its per-id error entries, and the per-sandbox account states (protected, suspended).

Why separate from ``api``: the HTTP side (routes, parameters, pagination, headers) and the
selection rules are two ideas; ``render`` holds the third, what exists at a step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from archiver.platforms.x.sandbox.render import XTweet, XView, build_view
from archiver.sandbox.server import SandboxRequest, World

PROBLEMS = "https://api.twitter.com/2/problems/"
AccountState = Literal["protected", "suspended"]

DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER_FIELDS = ("id", "name", "username")
DEFAULT_MEDIA_FIELDS = ("media_key", "type")
KNOWN_TWEET_FIELDS = {
    "attachments", "author_id", "card_uri", "context_annotations", "conversation_id", "created_at",
    "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang",
    "non_public_metrics", "note_tweet", "organic_metrics", "possibly_sensitive", "promoted_metrics",
    "public_metrics", "referenced_tweets", "reply_settings", "scopes", "source", "text", "withheld",
}
KNOWN_USER_FIELDS = {
    "affiliation", "connection_status", "created_at", "description", "entities", "id", "location",
    "most_recent_tweet_id", "name", "pinned_tweet_id", "profile_banner_url", "profile_image_url",
    "protected", "public_metrics", "receives_your_dm", "subscription_type", "url", "username",
    "verified", "verified_type", "withheld",
}
KNOWN_MEDIA_FIELDS = {
    "alt_text", "duration_ms", "height", "media_key", "non_public_metrics", "organic_metrics",
    "preview_image_url", "promoted_metrics", "public_metrics", "type", "url", "variants", "width",
}
KNOWN_EXPANSIONS = {
    "attachments.media_keys", "attachments.poll_ids", "author_id", "edit_history_tweet_ids",
    "entities.mentions.username", "geo.place_id", "in_reply_to_user_id", "referenced_tweets.id",
    "referenced_tweets.id.author_id", "pinned_tweet_id",
}


@dataclass
class XState:
    """Per-sandbox state of the fake X: cached views per step, account states, request counters."""

    views: dict[tuple[int, str], XView] = field(default_factory=dict)
    accounts: dict[str, AccountState] = field(default_factory=dict)  # person key -> state
    calls: dict[str, int] = field(default_factory=dict)


def x_state(world: World) -> XState:
    """The fake X's state, kept on the world so that each sandbox has its own."""
    state = world.__dict__.get("x_state")
    if state is None:
        state = world.__dict__.setdefault("x_state", XState())
    assert isinstance(state, XState)
    return state


def set_account_state(world: World, person_key: str, account_state: AccountState | None) -> None:
    """Make a scenario account protected or suspended on the fake X (None restores it)."""
    if person_key not in world.scenario.people:
        raise KeyError(person_key)
    accounts = x_state(world).accounts
    if account_state is None:
        accounts.pop(person_key, None)
    else:
        accounts[person_key] = account_state


class Invalid(Exception):
    """A request X would refuse with 400 Invalid Request."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class Selection:
    """One request against one step's view, with its field and expansion selection."""

    def __init__(self, request: SandboxRequest, world: World) -> None:
        self.request = request
        self.world = world
        state = x_state(world)
        key = (world.step, world.base_url)
        with world.lock:
            view = state.views.get(key)
            if view is None:
                view = state.views[key] = build_view(world.scenario, world.step, world.base_url)
        self.view = view
        self.accounts = dict(state.accounts)
        self.tweet_fields = self._fields("tweet.fields", KNOWN_TWEET_FIELDS)
        self.user_fields = self._fields("user.fields", KNOWN_USER_FIELDS)
        self.media_fields = self._fields("media.fields", KNOWN_MEDIA_FIELDS)
        self.expansions = set(request.args("expansions"))
        unknown = self.expansions - KNOWN_EXPANSIONS
        if unknown:
            raise Invalid("expansions", f"The `expansions` query parameter value [{sorted(unknown)[0]}] "
                                         "is not one of the allowed values")

    def _fields(self, name: str, known: set[str]) -> set[str]:
        values = set(self.request.args(name))
        unknown = values - known
        if unknown:
            raise Invalid(name, f"The `{name}` query parameter value [{sorted(unknown)[0]}] "
                                 "is not one of the allowed values")
        return values

    def account_state(self, user_id: str) -> AccountState | None:
        person = self.view.person_of.get(user_id)
        return self.accounts.get(person.key) if person else None

    # ---- rendering with field selection -------------------------------------------------
    def tweet(self, tweet: XTweet) -> dict[str, Any]:
        wanted = set(DEFAULT_TWEET_FIELDS) | self.tweet_fields
        return {k: v for k, v in tweet.fields.items() if k in wanted}

    def user(self, user_id: str) -> dict[str, Any]:
        full = dict(self.view.users[user_id])
        if self.account_state(user_id) == "protected":
            full["protected"] = True
        wanted = set(DEFAULT_USER_FIELDS) | self.user_fields
        return {k: v for k, v in full.items() if k in wanted}

    def media(self, key: str) -> dict[str, Any] | None:
        item = self.view.media.get(key)
        if item is None:
            return None
        wanted = set(DEFAULT_MEDIA_FIELDS) | self.media_fields
        return {k: v for k, v in item.fields.items() if k in wanted}

    def readable(self, tweet: XTweet) -> bool:
        return self.account_state(tweet.fields["author_id"]) is None

    def includes(self, tweets: list[XTweet]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """``includes`` for ``tweets`` under the requested expansions, and the partial errors X
        adds for referenced tweets it cannot show."""
        users: dict[str, None] = {}
        media: dict[str, None] = {}
        referenced: dict[str, XTweet] = {}
        errors: list[dict[str, Any]] = []
        primary = {t.id for t in tweets}
        for tweet in tweets:
            if "author_id" in self.expansions:
                users[tweet.fields["author_id"]] = None
            if "in_reply_to_user_id" in self.expansions and "in_reply_to_user_id" in tweet.fields:
                users[tweet.fields["in_reply_to_user_id"]] = None
            if "entities.mentions.username" in self.expansions:
                for mention in tweet.fields.get("entities", {}).get("mentions", []):
                    users[mention["id"]] = None
            if "attachments.media_keys" in self.expansions:
                media.update(dict.fromkeys(tweet.media_keys))
            if "edit_history_tweet_ids" in self.expansions:
                for version in tweet.fields["edit_history_tweet_ids"]:
                    if version not in primary and version in self.view.tweets:
                        referenced[version] = self.view.tweets[version]
            if "referenced_tweets.id" in self.expansions:
                for ref in tweet.fields.get("referenced_tweets", []):
                    target = self.view.tweets.get(ref["id"])
                    if target is None or not self.readable(target):
                        errors.append(tweet_error(ref["id"], "referenced_tweets.id",
                                                   authorization=target is not None))
                    elif target.id not in primary:
                        referenced[target.id] = target
        for target in referenced.values():
            if "referenced_tweets.id.author_id" in self.expansions:
                users[target.fields["author_id"]] = None
            if "attachments.media_keys" in self.expansions:  # X expands included tweets' media too
                media.update(dict.fromkeys(target.media_keys))
        out: dict[str, Any] = {}
        media_objects = [m for m in (self.media(k) for k in media) if m is not None]
        if media_objects:
            out["media"] = media_objects
        user_objects = [self.user(u) for u in users if u in self.view.users]
        if user_objects:
            out["users"] = user_objects
        if referenced:
            out["tweets"] = [self.tweet(t) for t in referenced.values()]
        return out, errors

    def tweet_page(self, tweets: list[XTweet], extra_errors: list[dict[str, Any]] | None = None,
                   meta: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if tweets:
            body["data"] = [self.tweet(t) for t in tweets]
            includes, errors = self.includes(tweets)
            if includes:
                body["includes"] = includes
        else:
            errors = []
        errors = [*(extra_errors or []), *errors]
        if errors:
            body["errors"] = errors
        if meta is not None:
            body["meta"] = meta
        return body


def tweet_error(tweet_id: str, parameter: str, authorization: bool) -> dict[str, Any]:
    """X's per-id error: deleted or unknown -> Not Found; protected/suspended author -> Authorization."""
    if authorization:
        return {"value": tweet_id, "detail": f"Sorry, you are not authorized to see the Tweet with "
                                             f"{parameter}: [{tweet_id}].",
                "title": "Authorization Error", "resource_type": "tweet", "parameter": parameter,
                "resource_id": tweet_id, "type": PROBLEMS + "not-authorized-for-resource"}
    return {"value": tweet_id, "detail": f"Could not find tweet with {parameter}: [{tweet_id}].",
            "title": "Not Found Error", "resource_type": "tweet", "parameter": parameter,
            "resource_id": tweet_id, "type": PROBLEMS + "resource-not-found"}


def user_error(value: str, parameter: str, suspended: bool) -> dict[str, Any]:
    if suspended:
        return {"value": value, "detail": f"User has been suspended: [{value}].", "title": "Forbidden",
                "resource_type": "user", "parameter": parameter, "resource_id": value,
                "type": PROBLEMS + "resource-not-found"}
    return {"value": value, "detail": f"Could not find user with {parameter}: [{value}].",
            "title": "Not Found Error", "resource_type": "user", "parameter": parameter,
            "resource_id": value, "type": PROBLEMS + "resource-not-found"}
