"""A small mixed-platform reshare scenario, stored through ``Store.ingest`` like any collected page.

X (tracked @potus 100 and @secstate 200):
    1000 @potus post                     t+0
    1001 @secstate retweet of 1000       t+5 min   -> root_default
    1002 @u1 retweet of 1000             t+10 min  -> root_default
    1003 @u2 retweet of 1000             t+20 min  -> inferred via 1002 when u2 follows u1 and secstate
    1004 @u3 quote of 1000               t+30 min  -> exact
    1005 @u4 reply to 1004               t+40 min  -> exact (depth 2)
    1006 @u4 reply to 999 (not archived), thread root 1000  -> missing parent of cascade 1000
    1007 @u1 retweet of 888 (not archived)                  -> unplaced
    1100 @u3 quote of 1099 (not archived)  t+50 min  -> a root of its own while 1099 is missing
    1101 @u4 reply to 1100                 t+55 min  -> exact
Bluesky (tracked @pres.example and @fm.example):
    P   @pres post                        t+0
    R1  @fm repost of P, no via           t+2 min   -> root_default
    R2  @b1 repost of P via R1            t+4 min   -> exact, parent R1
    R3  @b2 repost of P via a missing repost  t+6 min -> root_default, missing parent
    Q   @b2 quote of P                    t+8 min   -> exact
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from archiver.archive import Archive
from archiver.collectors.records import AccountRecord, CaptureRecord, Follow, Page, PostRecord

T0 = datetime(2025, 3, 16, 12, 0, tzinfo=UTC)

X_ACCOUNTS = {
    "potus": AccountRecord("x", "100", "potus", "President", tracked=True),
    "secstate": AccountRecord("x", "200", "secstate", "Secretary of State", tracked=True),
    "u1": AccountRecord("x", "301", "u1"),
    "u2": AccountRecord("x", "302", "u2"),
    "u3": AccountRecord("x", "303", "u3"),
    "u4": AccountRecord("x", "304", "u4"),
}
BSKY_ACCOUNTS = {
    "pres": AccountRecord("bluesky", "did:plc:pres", "pres.example", tracked=True),
    "fm": AccountRecord("bluesky", "did:plc:fm", "fm.example", tracked=True),
    "b1": AccountRecord("bluesky", "did:plc:b1", "b1.example"),
    "b2": AccountRecord("bluesky", "did:plc:b2", "b2.example"),
}
P = "at://did:plc:pres/app.bsky.feed.post/p1"
R1 = "at://did:plc:fm/app.bsky.feed.repost/r1"
R2 = "at://did:plc:b1/app.bsky.feed.repost/r2"
R3 = "at://did:plc:b2/app.bsky.feed.repost/r3"
Q = "at://did:plc:b2/app.bsky.feed.post/q"
GONE = "at://did:plc:zz/app.bsky.feed.repost/gone"


def post(author: AccountRecord, platform_id: str, minutes: float, kind: str = "post", **refs: str) -> PostRecord:
    url = (f"https://x.com/{author.handle}/status/{platform_id}" if author.platform == "x"
           else f"https://bsky.app/profile/{author.handle}/post/{platform_id.rsplit('/', 1)[-1]}")
    raw = orjson.dumps({"id": platform_id, "kind": kind, **refs})
    return PostRecord(platform=author.platform, platform_id=platform_id, url=url, author=author,
                      created_at=T0 + timedelta(minutes=minutes), text=f"{kind} {platform_id}", lang="en",
                      kind=kind, raw=raw, **refs)  # type: ignore[arg-type]


def page(posts: list[PostRecord], follows: list[Follow] | None = None) -> Page:
    body = orjson.dumps([p.platform_id for p in posts])
    capture = CaptureRecord(kind="file", url="file:///test/cascade-page.json", status=200,
                            fetched_at=T0 + timedelta(hours=2), body=body)
    return Page(capture=capture, posts=posts, follows=follows or [])


def x_posts() -> list[PostRecord]:
    a = X_ACCOUNTS
    return [
        post(a["potus"], "1000", 0),
        post(a["secstate"], "1001", 5, "repost", reposted_id="1000"),
        post(a["u1"], "1002", 10, "repost", reposted_id="1000"),
        post(a["u2"], "1003", 20, "repost", reposted_id="1000"),
        post(a["u3"], "1004", 30, "quote", quoted_id="1000"),
        post(a["u4"], "1005", 40, "reply", replied_to_id="1004", thread_root_id="1004"),
        post(a["u4"], "1006", 45, "reply", replied_to_id="999", thread_root_id="1000"),
        post(a["u1"], "1007", 46, "repost", reposted_id="888"),
        post(a["u3"], "1100", 50, "quote", quoted_id="1099"),
        post(a["u4"], "1101", 55, "reply", replied_to_id="1100", thread_root_id="1100"),
    ]


def bluesky_posts() -> list[PostRecord]:
    a = BSKY_ACCOUNTS
    return [
        post(a["pres"], P, 0),
        post(a["fm"], R1, 2, "repost", reposted_id=P),
        post(a["b1"], R2, 4, "repost", reposted_id=P, via_id=R1),
        post(a["b2"], R3, 6, "repost", reposted_id=P, via_id=GONE),
        post(a["b2"], Q, 8, "quote", quoted_id=P),
    ]


U2_FOLLOWS = [Follow("x", "302", "301"), Follow("x", "302", "200")]


def ingest(archive: Archive, posts: list[PostRecord], follows: list[Follow] | None = None) -> None:
    archive.store(fetch_media=False).ingest(page(posts, follows))


def build(archive: Archive, follows: bool = True) -> None:
    ingest(archive, x_posts(), U2_FOLLOWS if follows else None)
    ingest(archive, bluesky_posts())
