"""The bundled scenario as X API v2 would hold it at one step: tweets (every version of an edited
one), users and media, with the ids, texts and counts X would give them.

Why a separate module: ``api.py`` speaks HTTP (auth, parameters, pagination, field selection);
this one decides *what exists* on the fake X at a step, so both stay small and the view can be
cached per step. Everything is derived deterministically from the scenario, so two sandboxes
serve byte-identical responses.

Faithfulness notes (checked against X's documentation):
ids are snowflakes (``((ms - epoch) << 22) | seq``, > 2**53, strings); a retweet's text is
``RT @user: <original text>`` and it references the original; an edit is a new tweet id and every
version carries the full ``edit_history_tweet_ids``; a reply's text starts with the mention.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from archiver.sandbox.scenario import Item, Person, Scenario

TWITTER_EPOCH_MS = 1288834974657
EDIT_WINDOW = timedelta(hours=1)
EDIT_SPACING = timedelta(minutes=20)  # version k of an edited tweet is posted k * 20 minutes later
MAX_EDITS = 5
_MENTION = re.compile(r"@(\w{1,15})")


def _h(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def snowflake(at: datetime, seed: str) -> str:
    """A deterministic snowflake id for something created at ``at``."""
    ms = int(at.timestamp() * 1000)
    return str(((ms - TWITTER_EPOCH_MS) << 22) | (_h(seed) % 4096))


def x_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


@dataclass
class XTweet:
    """One version of one tweet, with every field X can return (``api`` selects from it)."""

    id: str
    item: Item
    fields: dict[str, Any]
    latest: bool
    media_keys: list[str] = field(default_factory=list)


@dataclass
class XMedia:
    key: str
    image: str  # the scenario image key
    fields: dict[str, Any]


@dataclass
class XView:
    """What the fake X holds at one step."""

    step: int
    tweets: dict[str, XTweet]  # every visible version, by version id
    latest_of: dict[str, str]  # item key -> id of its latest version
    users: dict[str, dict[str, Any]]  # user id -> full user object
    person_of: dict[str, Person]  # user id -> person
    by_username: dict[str, str]  # lower-case username -> user id
    media: dict[str, XMedia]  # media key -> media

    def latest(self, item_key: str) -> XTweet | None:
        tid = self.latest_of.get(item_key)
        return self.tweets[tid] if tid else None

    def timeline(self, user_id: str) -> list[XTweet]:
        """The user's visible tweets, newest first (an edited tweet shows its latest version)."""
        person = self.person_of.get(user_id)
        if person is None:
            return []
        mine = [t for t in self.tweets.values() if t.latest and t.item.author == person.key]
        return sorted(mine, key=lambda t: int(t.id), reverse=True)

    def referencing(self, item_key: str, kind: str) -> list[XTweet]:
        """Latest versions of visible tweets that quote (or retweet, reply to) ``item_key``."""
        found = [t for t in self.tweets.values()
                 if t.latest and t.item.kind == kind and t.item.target == item_key]
        return sorted(found, key=lambda t: int(t.id), reverse=True)

    def conversation(self, root_id: str) -> list[XTweet]:
        found = [t for t in self.tweets.values()
                 if t.latest and t.fields["conversation_id"] == root_id and t.id != root_id]
        return sorted(found, key=lambda t: int(t.id), reverse=True)


def media_key(item: Item) -> str:
    """X media keys are ``<type>_<media id>``; type 3 is a photo. One key per upload (per post)."""
    return "3_" + snowflake(item.at - timedelta(seconds=5), f"media:{item.key}")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (the sandbox only serves PNGs)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return (0, 0)
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


class _Builder:
    def __init__(self, scenario: Scenario, step: int, base_url: str) -> None:
        self.scenario = scenario
        self.step = step
        self.base_url = base_url
        self.items = {i.key: i for i in scenario.items.values() if i.platform == "x"}
        visible = {k: i for k, i in self.items.items() if i.visible_at(step)}
        # X removes a retweet when its original goes away.
        self.visible = {k: i for k, i in visible.items()
                        if i.kind != "repost" or (i.target is not None and i.target in visible)}
        self.first_id = {k: snowflake(i.at, k) for k, i in self.items.items()}

    def handle(self, person_key: str) -> str:
        return self.scenario.handle(person_key, "x", self.step) or person_key

    def user_id(self, person_key: str) -> str:
        return self.scenario.people[person_key].x_id

    def versions(self, item: Item) -> list[tuple[str, datetime, str]]:
        """(id, created_at, text) of each version visible at this step, oldest first."""
        out = [(self.first_id[item.key], item.at, item.text)]
        if item.kind == "repost":
            return out
        for n, (edit_step, text) in enumerate(item.edits[:MAX_EDITS], start=1):
            if self.step >= edit_step:
                at = item.at + EDIT_SPACING * n
                out.append((snowflake(at, f"{item.key}#edit{n}"), at, text))
        return out

    def root(self, item: Item) -> str:
        """The conversation id: the first tweet of the reply chain."""
        seen = 0
        while item.kind == "reply" and item.target in self.items and seen < 50:
            item = self.items[item.target]
            seen += 1
        return self.first_id[item.key]

    def counts(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for item in self.visible.values():
            if item.target:
                out[(item.target, item.kind)] = out.get((item.target, item.kind), 0) + 1
        return out

    def metrics(self, item: Item, counts: dict[tuple[str, str], int]) -> dict[str, int]:
        """Reply and quote counts are exactly what the sandbox serves (collectors may rely on a
        zero); likes, bookmarks and impressions are synthetic and grow with the step."""
        h = _h(item.key)
        if item.kind == "repost" and item.target:
            target = self.items[item.target]
            return {"retweet_count": self.retweets(target, counts), "reply_count": 0, "like_count": 0,
                    "quote_count": 0, "bookmark_count": 0, "impression_count": 0}
        likes = item.likes + h % 400 + self.step * (h % 90 + 3)
        return {
            "retweet_count": self.retweets(item, counts),
            "reply_count": counts.get((item.key, "reply"), 0),
            "like_count": likes,
            "quote_count": counts.get((item.key, "quote"), 0),
            "bookmark_count": likes // 20,
            "impression_count": likes * 37 + h % 1000,
        }

    def retweets(self, item: Item, counts: dict[tuple[str, str], int]) -> int:
        return counts.get((item.key, "repost"), 0) + self.step * (_h(item.key) % 7)

    def mentions(self, text: str) -> list[dict[str, Any]]:
        users = {(self.handle(p.key)).lower(): p for p in self.scenario.people.values() if p.x_username}
        out = []
        for match in _MENTION.finditer(text):
            person = users.get(match.group(1).lower())
            if person is not None:
                out.append({"start": match.start(), "end": match.end(), "username": self.handle(person.key),
                            "id": person.x_id})
        return out

    def text_of(self, item: Item, text: str) -> str:
        if item.kind == "repost" and item.target:
            target = self.items[item.target]
            return f"RT @{self.handle(target.author)}: {target.text_at(item.added_in)}"
        if item.kind == "reply" and item.target:
            return f"@{self.handle(self.items[item.target].author)} {text}"
        return text

    def tweet(self, item: Item, version: tuple[str, datetime, str], history: list[str], latest: bool,
              counts: dict[tuple[str, str], int]) -> XTweet:
        tid, at, text = version
        text = self.text_of(item, text)
        fields: dict[str, Any] = {
            "id": tid,
            "text": text,
            "edit_history_tweet_ids": history,
            "author_id": self.user_id(item.author),
            "created_at": x_time(at),
            "conversation_id": self.root(item),  # an edit stays in its first version's conversation
            "lang": item.lang or "zxx",
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "public_metrics": self.metrics(item, counts),
        }
        if item.kind == "repost":
            fields["edit_controls"] = {"edits_remaining": 0, "is_edit_eligible": False,
                                       "editable_until": x_time(item.at + EDIT_WINDOW)}
        else:
            fields["edit_controls"] = {"edits_remaining": MAX_EDITS - (len(history) - 1),
                                       "is_edit_eligible": True,
                                       "editable_until": x_time(item.at + EDIT_WINDOW)}
        if item.target and item.target in self.items:
            ref_type = {"repost": "retweeted", "quote": "quoted", "reply": "replied_to"}[item.kind]
            fields["referenced_tweets"] = [{"type": ref_type, "id": self.first_id[item.target]}]
            if item.kind == "reply":
                fields["in_reply_to_user_id"] = self.user_id(self.items[item.target].author)
        mentions = self.mentions(text)
        if mentions:
            fields["entities"] = {"mentions": mentions}
        keys: list[str] = []
        carrier = self.items[item.target] if item.kind == "repost" and item.target else item
        if carrier.image:
            keys = [media_key(carrier)]
            fields["attachments"] = {"media_keys": keys}
        return XTweet(tid, item, fields, latest, keys)

    def user(self, person: Person) -> dict[str, Any]:
        h = _h(person.key)
        followers = sum(1 for _a, b in self.scenario.follows if b == person.key)
        following = sum(1 for a, _b in self.scenario.follows if a == person.key)
        tweets = sum(1 for i in self.visible.values() if i.author == person.key)
        role = f"{person.role}. " if person.role else ""
        return {
            "id": person.x_id,
            "name": person.name,
            "username": self.handle(person.key),
            "created_at": x_time(datetime(2009, 1, 1, tzinfo=UTC) + timedelta(days=h % 4000)),
            "description": f"{role}Illustrative sample account in the statement-archiver sandbox; synthetic.",
            "protected": False,
            "verified": person.official,
            "public_metrics": {
                "followers_count": followers * 1000 + (h % 5000) if person.official else followers + h % 300,
                "following_count": following + h % 50,
                "tweet_count": tweets + h % 2000,
                "listed_count": h % 100,
                "like_count": h % 9000,
            },
        }

    def build(self) -> XView:
        counts = self.counts()
        tweets: dict[str, XTweet] = {}
        latest_of: dict[str, str] = {}
        media: dict[str, XMedia] = {}
        for item in self.visible.values():
            versions = self.versions(item)
            history = [v[0] for v in versions]
            for n, version in enumerate(versions):
                tweet = self.tweet(item, version, history, n == len(versions) - 1, counts)
                tweets[tweet.id] = tweet
            latest_of[item.key] = history[-1]
        for item in self.items.values():  # media stays served after a post is deleted, as on X's CDN
            if item.image:
                image = self.scenario.images[item.image]
                key = media_key(item)
                width, height = png_size(image.data())
                media[key] = XMedia(key, image.key, {
                    "media_key": key, "type": "photo", "url": f"{self.base_url}/x-media/{key}.png",
                    "width": width, "height": height, "alt_text": image.alt,
                })
        people = [p for p in self.scenario.people.values() if p.x_username]
        users = {p.x_id: self.user(p) for p in people}
        return XView(
            step=self.step, tweets=tweets, latest_of=latest_of, users=users,
            person_of={p.x_id: p for p in people},
            by_username={u["username"].lower(): uid for uid, u in users.items()},
            media=media,
        )


def build_view(scenario: Scenario, step: int, base_url: str) -> XView:
    return _Builder(scenario, step, base_url).build()
