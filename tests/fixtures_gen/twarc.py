"""Realistic twarc2 JSONL: raw API v2 pages as ``twarc2 timeline`` writes them, and the same
tweets as ``twarc2 flatten`` writes them.

Every page mixes originals, retweets (originals in ``includes.tweets``), quotes, replies, a
reply that also quotes, edited tweets (``edit_history_tweet_ids``), long posts (``note_tweet``),
emoji and non-Latin text, media, and ids above 2**53 that a float would corrupt.
Deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

BASE_ID = 1_790_000_000_000_000_001  # > 2**53: a float cannot hold these
TEXTS = [
    "Statement on today's ruling: we will comply and appeal. 🇪🇺",
    "Ανακοίνωση για τα μέτρα της κυβέρνησης — διαβάστε περισσότερα.",
    "政府公告：周六道路封闭。请绕行。",
    "بيان رسمي بشأن القرار الصادر اليوم",
    "Road closures this weekend: see the map 🗺️ https://t.co/abc123",
]
LONG = ("Full statement, in detail. " * 20).strip() + " 🏛️"
USERS = [
    {"id": "1000000000000000001", "username": "ministry_example", "name": "Ministry (official) 🏛️"},
    {"id": "1000000000000000002", "username": "agency_example", "name": "Agency"},
    {"id": "1000000000000000003", "username": "press_office", "name": "Press Office"},
]


def _time(n: int) -> str:
    day, rest = divmod(n, 86_400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"2023-{1 + (day // 28) % 12:02d}-{1 + day % 28:02d}T{hour:02d}:{minute:02d}:{second:02d}.000Z"


def _tweet(tid: int, author: dict[str, Any], text: str, n: int, **extra: Any) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "id": str(tid), "text": text, "author_id": author["id"], "created_at": _time(n),
        "conversation_id": str(tid), "lang": "en", "edit_history_tweet_ids": [str(tid)],
        "possibly_sensitive": False, "reply_settings": "everyone",
        "public_metrics": {"retweet_count": n % 97, "reply_count": n % 13, "like_count": n % 301,
                           "quote_count": n % 7, "bookmark_count": 0, "impression_count": n * 3},
        "entities": {"urls": [{"start": 0, "end": 5, "url": "https://t.co/abc123",
                               "expanded_url": "https://example.org/statement",
                               "display_url": "example.org"}]},
    }
    tweet.update(extra)
    return tweet


def raw_page(page_no: int, per_page: int = 100) -> dict[str, Any]:
    """One ``GET /2/users/:id/tweets`` response as twarc2 saves it."""
    owner, other = USERS[0], USERS[1 + page_no % 2]
    data: list[dict[str, Any]] = []
    originals: list[dict[str, Any]] = []
    media: list[dict[str, Any]] = []
    for i in range(per_page):
        n = page_no * per_page + i
        tid = BASE_ID + 10 * n
        slot = i % 10
        text = TEXTS[n % len(TEXTS)]
        if slot == 1:  # retweet: the original is in includes.tweets, by another author
            orig = _tweet(tid + 1, other, text, n)
            originals.append(orig)
            data.append(_tweet(tid, owner, f"RT @{other['username']}: {text}"[:140], n,
                               referenced_tweets=[{"type": "retweeted", "id": orig["id"]}]))
        elif slot == 2:  # quote
            orig = _tweet(tid + 2, other, text, n)
            originals.append(orig)
            data.append(_tweet(tid, owner, "Please share this. 🙏", n,
                               referenced_tweets=[{"type": "quoted", "id": orig["id"]}]))
        elif slot == 3:  # reply in a thread
            root = str(BASE_ID + 10 * (n - 3))
            data.append(_tweet(tid, owner, "Clarification: the closure starts at 06:00.", n,
                               conversation_id=root, in_reply_to_user_id=owner["id"],
                               referenced_tweets=[{"type": "replied_to", "id": root}]))
        elif slot == 4:  # a reply that also quotes
            orig = _tweet(tid + 3, other, text, n)
            originals.append(orig)
            root = str(BASE_ID + 10 * (n - 4))
            data.append(_tweet(tid, owner, "As we said earlier:", n, conversation_id=root,
                               referenced_tweets=[{"type": "replied_to", "id": root},
                                                  {"type": "quoted", "id": orig["id"]}]))
        elif slot == 5:  # edited: this is the second version; the first id is the post's identity
            first = str(tid + 4)
            data.append(_tweet(tid, owner, text + " (corrected)", n, edit_history_tweet_ids=[first, str(tid)],
                               conversation_id=first))
        elif slot == 6:  # long post: text is cut, note_tweet holds the whole
            data.append(_tweet(tid, owner, LONG[:277] + "…", n, note_tweet={"text": LONG}))
        elif slot == 7:  # with media
            key = f"3_{tid + 5}"
            media.append({"media_key": key, "type": "photo", "url": f"https://pbs.twimg.com/media/{key}.jpg",
                          "alt_text": "Map of the closures", "width": 1200, "height": 800})
            data.append(_tweet(tid, owner, text, n, attachments={"media_keys": [key]}))
        else:
            data.append(_tweet(tid, owner, text, n, lang="und" if slot == 9 else "en"))
    return {
        "data": data,
        "includes": {"users": [owner, other], "tweets": originals, **({"media": media} if media else {})},
        "meta": {"result_count": len(data), "newest_id": data[0]["id"], "oldest_id": data[-1]["id"],
                 "next_token": f"token{page_no + 1}"},
        "__twarc": {"url": f"https://api.twitter.com/2/users/{owner['id']}/tweets?max_results={per_page}"
                           f"&pagination_token=token{page_no}",
                    "version": "2.14.0", "retrieved_at": f"2024-03-{1 + page_no % 28:02d}T12:00:00+00:00"},
    }


def flatten_page(page: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """What ``twarc2 flatten`` makes of a page: one tweet per line, expansions inlined."""
    users = {u["id"]: u for u in page["includes"]["users"]}
    tweets = {t["id"]: t for t in page["includes"].get("tweets", [])}
    media = {m["media_key"]: m for m in page["includes"].get("media", [])}
    for tweet in page["data"]:
        flat = dict(tweet)
        flat["author"] = users[tweet["author_id"]]
        refs = []
        for ref in tweet.get("referenced_tweets", []):
            inlined = dict(ref)
            if ref["id"] in tweets:
                inlined.update(tweets[ref["id"]])
                inlined["author"] = users[tweets[ref["id"]]["author_id"]]
            refs.append(inlined)
        if refs:
            flat["referenced_tweets"] = refs
        if "attachments" in tweet:
            flat["attachments"] = {**tweet["attachments"],
                                   "media": [media[k] for k in tweet["attachments"]["media_keys"]]}
        flat["__twarc"] = page["__twarc"]
        yield flat


def write_twarc(path: Path, pages: int, per_page: int = 100, flatten: bool = False, gz: bool = False) -> Path:
    """Write ``pages`` pages (``pages * per_page`` timeline tweets plus their originals)."""
    opener = gzip.open if gz else open
    with opener(path, "wb") as fh:
        for page_no in range(pages):
            page = raw_page(page_no, per_page)
            if flatten:
                for tweet in flatten_page(page):
                    fh.write(orjson.dumps(tweet) + b"\n")
            else:
                fh.write(orjson.dumps(page) + b"\n")
    return path
