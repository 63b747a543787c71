"""A realistic Bluesky repo: profile, posts in several scripts, a reply, quotes (plain and with
media), images, reposts with and without ``via``, follows and a like (which imports ignore)."""

from __future__ import annotations

from typing import Any

from archiver.hashing import bluesky_cid
from archiver.platforms.bluesky.sandbox.repo_car import make_tid

DID = "did:plc:ministryexample0000000001"
OTHER = "did:plc:agencyexample00000000002"
BASE_US = 1_717_000_000_000_000  # 2024-05-29, microseconds


def tid(n: int) -> str:
    return make_tid(BASE_US + n * 60_000_000)


def strong_ref(uri: str, seed: str) -> dict[str, str]:
    return {"uri": uri, "cid": bluesky_cid({"seed": seed})}


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


def sample_records(did: str = DID, extra_posts: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
    """(collection, rkey, record JSON) triples, as ``build_repo_car`` takes them."""
    other_post = post_uri(OTHER, tid(1))
    blob = {"$type": "blob", "ref": {"$link": bluesky_cid({"image": 1})}, "mimeType": "image/jpeg",
            "size": 48213}
    first = post_uri(did, tid(10))
    recs: list[tuple[str, str, dict[str, Any]]] = [
        ("app.bsky.actor.profile", "self",
         {"$type": "app.bsky.actor.profile", "displayName": "Ministry (official) 🏛️",
          "description": "Official"}),
        ("app.bsky.feed.post", tid(10),
         {"$type": "app.bsky.feed.post", "text": "Statement on the court ruling 🇪🇺 — read it in full.",
          "createdAt": "2024-05-29T10:00:00.000Z", "langs": ["en"]}),
        ("app.bsky.feed.post", tid(11),
         {"$type": "app.bsky.feed.post", "text": "Ανακοίνωση: οι δρόμοι κλείνουν το Σάββατο. 道路封闭。",
          "createdAt": "2024-05-29T11:00:00.000Z", "langs": ["el", "zh"],
          "embed": {"$type": "app.bsky.embed.images",
                    "images": [{"alt": "map of closures", "image": blob}]}}),
        ("app.bsky.feed.post", tid(12),
         {"$type": "app.bsky.feed.post", "text": "Replying to clarify.",
          "createdAt": "2024-05-29T12:00:00.000Z", "langs": ["en"],
          "reply": {"root": strong_ref(first, "r"), "parent": strong_ref(first, "p")}}),
        ("app.bsky.feed.post", tid(13),
         {"$type": "app.bsky.feed.post", "text": "Worth reading:", "createdAt": "2024-05-29T13:00:00.000Z",
          "embed": {"$type": "app.bsky.embed.record", "record": strong_ref(other_post, "q")}}),
        ("app.bsky.feed.post", tid(14),
         {"$type": "app.bsky.feed.post", "text": "With the photo:", "createdAt": "2024-05-29T14:00:00.000Z",
          "embed": {"$type": "app.bsky.embed.recordWithMedia",
                    "record": {"$type": "app.bsky.embed.record", "record": strong_ref(other_post, "qm")},
                    "media": {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": blob}]}}}),
        ("app.bsky.feed.repost", tid(15),
         {"$type": "app.bsky.feed.repost", "subject": strong_ref(other_post, "s"),
          "createdAt": "2024-05-29T15:00:00.000Z",
          "via": strong_ref(f"at://did:plc:third/app.bsky.feed.repost/{tid(2)}", "v")}),
        ("app.bsky.feed.repost", tid(16),
         {"$type": "app.bsky.feed.repost", "subject": strong_ref(post_uri(OTHER, tid(3)), "s2"),
          "createdAt": "2024-05-29T16:00:00.000Z"}),
        ("app.bsky.graph.follow", tid(17),
         {"$type": "app.bsky.graph.follow", "subject": OTHER, "createdAt": "2024-05-29T17:00:00.000Z"}),
        ("app.bsky.feed.like", tid(18),
         {"$type": "app.bsky.feed.like", "subject": strong_ref(other_post, "l"),
          "createdAt": "2024-05-29T18:00:00.000Z"}),
    ]
    for i in range(extra_posts):
        recs.append(("app.bsky.feed.post", tid(100 + i),
                     {"$type": "app.bsky.feed.post", "text": f"Update {i}: schedule changes 🚆",
                      "createdAt": f"2024-06-{1 + i % 28:02d}T09:00:00.000Z", "langs": ["en"]}))
    return recs
