"""A realistic X "download your archive" zip (or folder): ``data/manifest.js``, ``account.js``,
``tweets.js`` (v1.1-style fields: ``id_str``, ``full_text``, string counts, ``edit_info``,
``in_reply_to_*``, ``extended_entities``), ``note-tweet.js`` (long posts, linked to their tweet
only by time and text), ``deleted-tweets.js`` and ``tweets_media/<tweet id>-<name>`` files."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import orjson

ACCOUNT_ID = "1000000000000000001"
USERNAME = "ministry_example"
BASE = 1_626_000_000_000_000_001  # 64-bit ids
LONG = "Our full response to the committee, point by point. " * 12 + "🏛️ Ελλάδα 日本"
IMAGE = b"\xff\xd8\xff\xe0" + b"JFIF-fixture-image-bytes" * 40


def _js(global_name: str, items: list[Any]) -> bytes:
    return f"window.{global_name} = ".encode() + orjson.dumps(items, option=orjson.OPT_INDENT_2)


def _v11_time(n: int) -> str:
    return f"Sat Feb 18 {10 + n // 60:02d}:{n % 60:02d}:11 +0000 2023"


def _tweet(n: int, text: str, **extra: Any) -> dict[str, Any]:
    tid = str(BASE + n)
    tweet: dict[str, Any] = {
        "edit_info": {"initial": {"editTweetIds": [tid], "editableUntil": "2023-02-18T13:03:11.000Z",
                                  "editsRemaining": "5", "isEditEligible": True}},
        "retweeted": False, "source": '<a href="https://x.com" rel="nofollow">X Web App</a>',
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
        "display_text_range": ["0", str(len(text))], "favorite_count": str(n * 7), "id_str": tid,
        "truncated": False, "retweet_count": str(n * 3), "id": tid, "created_at": _v11_time(n),
        "favorited": False, "full_text": text, "lang": "en",
    }
    tweet.update(extra)
    return tweet


def tweets() -> list[dict[str, Any]]:
    media_id = str(BASE + 900)
    return [
        _tweet(1, "Statement on the ruling: we comply &amp; we appeal. 🇪🇺"),
        _tweet(2, "Ανακοίνωση: οι δρόμοι κλείνουν. 道路封闭。", lang="el"),
        _tweet(3, "RT @agency_example: Road closures this weekend https://t.co/abc"),
        _tweet(4, "@agency_example Thanks, confirmed.", in_reply_to_status_id_str=str(BASE + 500),
               in_reply_to_status_id=str(BASE + 500), in_reply_to_user_id_str="1000000000000000002",
               in_reply_to_screen_name="agency_example"),
        _tweet(5, LONG[:270] + "… https://t.co/long", display_text_range=["0", "272"]),
        _tweet(6, "Map of the closures https://t.co/img",
               extended_entities={"media": [{"id_str": media_id, "id": media_id, "type": "photo",
                                             "media_url_https": "https://pbs.twimg.com/media/FpMapAbC.jpg",
                                             "url": "https://t.co/img"}]}),
        # The second version of an edited tweet: its identity is the first id.
        _tweet(7, "Corrected: the closure starts at 06:00.",
               edit_info={"edit": {"initialTweetId": str(BASE + 8),
                                   "editControlInitial": {"editTweetIds": [str(BASE + 8), str(BASE + 7)],
                                                          "editableUntil": "2023-02-18T13:03:11.000Z",
                                                          "editsRemaining": "4", "isEditEligible": True}}}),
    ]


def note_tweets() -> list[dict[str, Any]]:
    return [{"noteTweet": {"noteTweetId": "1626999999999999999", "updatedAt": "2023-02-18T10:05:11.000Z",
                           "lifecycle": {"value": "", "name": "", "originalName": "", "annotations": {}},
                           "createdAt": "2023-02-18T10:05:11.000Z",
                           "core": {"styletags": [], "urls": [], "text": LONG, "mentions": [], "cashtags": [],
                                    "hashtags": []}}}]


def deleted_tweets() -> list[dict[str, Any]]:
    gone = _tweet(9, "A post that was later deleted.")
    gone["deleted_at"] = "Sun Feb 19 08:00:00 +0000 2023"
    return [{"tweet": gone}]


def files(tweet_items: list[dict[str, Any]] | None = None) -> dict[str, bytes]:
    """Archive-relative path -> bytes."""
    return {
        "Your archive.html": b"<html>archive</html>",
        "data/manifest.js": b"window.__THAR_CONFIG = " + orjson.dumps({
            "userInfo": {"accountId": ACCOUNT_ID, "userName": USERNAME, "displayName": "Ministry"},
            "archiveInfo": {"sizeBytes": "1000", "generationDate": "2023-03-01T09:00:00.000Z",
                            "isPartialArchive": False, "maxPartSizeBytes": "53687091200"}}),
        "data/account.js": _js("YTD.account.part0", [{"account": {
            "email": "press@example.org", "createdVia": "web", "username": USERNAME, "accountId": ACCOUNT_ID,
            "createdAt": "2012-01-01T00:00:00.000Z", "accountDisplayName": "Ministry (official)"}}]),
        "data/tweets.js": _js("YTD.tweets.part0", [{"tweet": t} for t in (tweet_items or tweets())]),
        "data/note-tweet.js": _js("YTD.note_tweet.part0", note_tweets()),
        "data/deleted-tweets.js": _js("YTD.deleted_tweets.part0", deleted_tweets()),
        f"data/tweets_media/{BASE + 6}-FpMapAbC.jpg": IMAGE,
    }


def write_zip(path: Path, tweet_items: list[dict[str, Any]] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files(tweet_items).items():
            zf.writestr(name, data)
    return path


def write_folder(path: Path) -> Path:
    for name, data in files().items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return path
