"""The fake X API v2, exercised through the real tweepy client (never a mock of it): the shapes
tweepy parses, X's per-id errors, pagination, edits, deletions and the rate-limit headers."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import tweepy

from archiver.platforms.x.sandbox.api import set_account_state
from archiver.platforms.x.sandbox.render import TWITTER_EPOCH_MS, build_view
from archiver.platforms.x.session import XSession
from archiver.sandbox.scenario import load
from archiver.sandbox.server import SandboxServer

FIELDS: dict[str, Any] = {
    "tweet_fields": ["created_at", "lang", "conversation_id", "referenced_tweets", "public_metrics", "entities",
                     "attachments", "edit_history_tweet_ids", "edit_controls", "author_id"],
    "expansions": ["referenced_tweets.id", "referenced_tweets.id.author_id", "author_id",
                   "attachments.media_keys"],
    "media_fields": ["url", "alt_text", "width", "height"],
    "user_fields": ["username", "name", "protected", "public_metrics", "created_at", "description"],
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def step1(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    sandbox.set_step(1)
    yield sandbox
    sandbox.set_step(1)


def client(sandbox: SandboxServer, return_type: Any = dict) -> tweepy.Client:
    c = tweepy.Client(bearer_token="any-token", return_type=return_type)
    c.session = XSession(sandbox.base_url)
    return c


def person_id(key: str) -> str:
    return load().people[key].x_id


def first_id(key: str) -> str:
    return build_view(load(), 1, "").latest_of[key]


def test_every_endpoint_parses_in_tweepy_models_without_warnings(step1: SandboxServer) -> None:
    """tweepy's models warn when a default field is missing; they must stay silent on every
    endpoint, at both steps (step 2 has an edited tweet)."""
    for step in (1, 2):
        step1.set_step(step)
        c = client(step1, return_type=tweepy.Response)
        gc.collect()  # sockets leaked by earlier tests must not warn inside this block
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            user = c.get_user(username="sample_nayib", **{k: v for k, v in FIELDS.items() if k == "user_fields"})
            tweets = list(tweepy.Paginator(c.get_users_tweets, user.data.id, max_results=10, **FIELDS))
            lookup = c.get_tweets([first_id("x_presssec_judge"), first_id("x_nayib_oopsie"), "1"], **FIELDS)
            single = c.get_tweet(first_id("x_nayib_oopsie"), **FIELDS)
            quotes = c.get_quote_tweets(first_id("x_nayib_oopsie"), max_results=10, **FIELDS)
            search = c.search_recent_tweets(f"conversation_id:{first_id('x_nayib_oopsie')}", **FIELDS)
            following = c.get_users_following(person_id("rubio"), user_fields=FIELDS["user_fields"])
        c.session.close()
        assert caught == [], [f"{w.filename}: {w.message}" for w in caught]
        assert len(tweets) == 3 and all(isinstance(t, tweepy.Tweet) for p in tweets for t in p.data)
        assert [t.id for t in lookup.data] == [int(first_id("x_presssec_judge")), int(first_id("x_nayib_oopsie"))]
        assert lookup.errors[0]["title"] == "Not Found Error"
        assert single.data.text == "Oopsie... Too late 😂"
        assert isinstance(single.data.edit_controls["editable_until"], datetime)
        assert quotes.data and search.data and following.data
        assert all(isinstance(m, tweepy.Media) and m.url for m in quotes.includes.get("media", []))


def test_ids_are_snowflake_strings_beyond_double_precision(step1: SandboxServer) -> None:
    body = client(step1).get_users_tweets(person_id("nayib"), max_results=100, tweet_fields=["created_at"])
    assert body["meta"]["result_count"] == 29
    for tweet in body["data"]:
        assert isinstance(tweet["id"], str) and int(tweet["id"]) > 2**53
        ms = (int(tweet["id"]) >> 22) + TWITTER_EPOCH_MS
        created = datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
        assert datetime.fromtimestamp(ms / 1000, UTC) == created
    ids = [int(t["id"]) for t in body["data"]]
    assert ids == sorted(ids, reverse=True), "a timeline is newest first"


def test_timeline_pages_by_token_and_honours_since_until_and_exclude(step1: SandboxServer) -> None:
    c = client(step1)
    uid = person_id("nayib")
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        body = c.get_users_tweets(uid, max_results=10, pagination_token=token)
        pages += 1
        seen += [t["id"] for t in body["data"]]
        assert body["meta"]["result_count"] == len(body["data"])
        token = body["meta"].get("next_token")
        if token is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 29
    since = c.get_users_tweets(uid, since_id=seen[5], max_results=100)
    assert [t["id"] for t in since["data"]] == seen[:5]
    until = c.get_users_tweets(uid, until_id=seen[25], max_results=100)
    assert [t["id"] for t in until["data"]] == seen[26:]
    empty = c.get_users_tweets(uid, since_id=seen[0])
    assert empty == {"meta": {"result_count": 0}}
    rubio = c.get_users_tweets(person_id("rubio"), exclude=["retweets"], max_results=100)
    assert all(not t["text"].startswith("RT @") for t in rubio["data"])
    with pytest.raises(tweepy.BadRequest):
        c.get_users_tweets(uid, pagination_token="not-a-token")
    with pytest.raises(tweepy.BadRequest):
        c.get_users_tweets(uid, max_results=500)


def test_retweet_text_and_reference_to_the_original(step1: SandboxServer) -> None:
    body = client(step1).get_tweets([first_id("x_rubio_rt_oopsie")], **FIELDS)
    retweet = body["data"][0]
    assert retweet["text"] == "RT @sample_nayib: Oopsie... Too late 😂"
    assert retweet["referenced_tweets"] == [{"type": "retweeted", "id": first_id("x_nayib_oopsie")}]
    assert [t["id"] for t in body["includes"]["tweets"]] == [first_id("x_nayib_oopsie")]
    assert {u["username"] for u in body["includes"]["users"]} == {"sample_secrubio", "sample_nayib"}
    media = body["includes"]["media"][0]
    image = requests.get(media["url"], timeout=5)
    assert image.status_code == 200 and image.content == load().images["headline"].data()
    assert image.headers["content-type"] == "image/png"


def test_only_requested_fields_are_returned(step1: SandboxServer) -> None:
    plain = client(step1).get_tweets([first_id("x_nayib_oopsie")])
    assert set(plain["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert "includes" not in plain
    user = client(step1).get_user(username="SAMPLE_NAYIB")  # usernames match case-insensitively
    assert set(user["data"]) == {"id", "name", "username"} and user["data"]["id"] == person_id("nayib")


def test_step_two_edit_new_id_with_history_and_original_lookup(step1: SandboxServer) -> None:
    original = first_id("x_presssec_judge")
    step1.set_step(2)
    c = client(step1)
    timeline = c.get_users_tweets(person_id("presssec"), max_results=100, tweet_fields=["edit_history_tweet_ids"])
    shown = [t for t in timeline["data"] if original in t["edit_history_tweet_ids"]]
    assert len(shown) == 1, "the timeline shows only the newest version"
    new = shown[0]
    assert new["id"] != original and new["edit_history_tweet_ids"] == [original, new["id"]]
    assert "movements" in new["text"]
    old = c.get_tweets([original])["data"][0]
    assert old["id"] == original and "movments" in old["text"]
    assert old["edit_history_tweet_ids"] == [original, new["id"]]
    step1.set_step(1)
    assert c.get_tweets([original])["data"][0]["edit_history_tweet_ids"] == [original]


def test_deleted_and_protected_posts_get_xs_per_id_errors(step1: SandboxServer) -> None:
    deleted, aclu = first_id("x_wh_flights_note"), first_id("x_aclu_statement")
    step1.set_step(2)
    set_account_state(step1.world, "aclu", "protected")
    try:
        body = client(step1).get_tweets([deleted, aclu, first_id("x_nayib_oopsie")])
        timeline = client(step1).get_users_tweets(person_id("aclu"))
    finally:
        set_account_state(step1.world, "aclu", None)
    assert [t["id"] for t in body["data"]] == [first_id("x_nayib_oopsie")]
    not_found, forbidden = body["errors"]
    assert not_found == {
        "value": deleted, "detail": f"Could not find tweet with ids: [{deleted}].", "title": "Not Found Error",
        "resource_type": "tweet", "parameter": "ids", "resource_id": deleted,
        "type": "https://api.twitter.com/2/problems/resource-not-found"}
    assert forbidden["title"] == "Authorization Error" and forbidden["resource_id"] == aclu
    assert forbidden["type"].endswith("/not-authorized-for-resource")
    assert "data" not in timeline and timeline["errors"][0]["title"] == "Authorization Error"
    deleted_timeline = client(step1).get_users_tweets(person_id("whitehouse"), max_results=100)
    assert deleted not in {t["id"] for t in deleted_timeline["data"]}


def test_unknown_and_suspended_users(step1: SandboxServer) -> None:
    c = client(step1)
    missing = c.get_user(username="nobody_at_all")
    assert "data" not in missing and missing["errors"][0]["title"] == "Not Found Error"
    set_account_state(step1.world, "wire", "suspended")
    try:
        suspended = c.get_user(id=person_id("wire"))
    finally:
        set_account_state(step1.world, "wire", None)
    assert suspended["errors"][0]["detail"].startswith("User has been suspended")


def test_quotes_search_and_following_paginate(step1: SandboxServer) -> None:
    c = client(step1)
    oopsie = first_id("x_nayib_oopsie")
    quoted = [t["referenced_tweets"] for p in tweepy.Paginator(
        c.get_quote_tweets, oopsie, max_results=10, tweet_fields=["referenced_tweets"]) for t in p.get("data", [])]
    assert quoted and all(r == [{"type": "quoted", "id": oopsie}] for r in quoted)
    step1.set_step(2)  # eleven replies by then
    replies = [t for p in tweepy.Paginator(c.search_recent_tweets, f"conversation_id:{oopsie}", max_results=10,
                                           tweet_fields=["conversation_id", "referenced_tweets"])
               for t in p.get("data", [])]
    assert len(replies) > 10, "spans more than one page of 10"
    assert all(t["conversation_id"] == oopsie and t["id"] != oopsie for t in replies)
    markup = [t for t in replies if "<script>" in t["text"]]
    assert markup and markup[0]["text"].startswith("@sample_nayib ")
    with pytest.raises(tweepy.BadRequest):
        c.search_recent_tweets("from:sample_nayib")
    follows = [u["id"] for p in tweepy.Paginator(c.get_users_following, person_id("rubio"), max_results=1)
               for u in p.get("data", [])]
    expected = {load().people[b].x_id for a, b in load().follows if a == "rubio"}
    assert len(follows) == len(expected) and set(follows) == expected


def test_metrics_are_deterministic_per_step_and_change_between_steps(step1: SandboxServer) -> None:
    ids = [first_id("x_nayib_oopsie")]
    first = client(step1).get_tweets(ids, tweet_fields=["public_metrics"])
    again = client(step1).get_tweets(ids, tweet_fields=["public_metrics"])
    step1.set_step(2)
    later = client(step1).get_tweets(ids, tweet_fields=["public_metrics"])
    assert first == again
    assert later["data"][0]["public_metrics"]["like_count"] > first["data"][0]["public_metrics"]["like_count"]
    assert later["data"][0]["public_metrics"]["quote_count"] > first["data"][0]["public_metrics"]["quote_count"]
    with SandboxServer() as other:
        assert client(other).get_tweets(ids, tweet_fields=["public_metrics"]) == first


def test_bearer_token_required_and_rate_limit_headers_everywhere(step1: SandboxServer) -> None:
    url = f"{step1.base_url}/2/users/by/username/sample_nayib"
    anonymous = requests.get(url, timeout=5)
    assert anonymous.status_code == 401 and anonymous.json()["title"] == "Unauthorized"
    answered = requests.get(url, headers={"Authorization": "Bearer whatever"}, timeout=5)
    bad = requests.get(f"{step1.base_url}/2/tweets?ids=abc", headers={"Authorization": "Bearer x"}, timeout=5)
    assert answered.status_code == 200 and bad.status_code == 400
    for response in (anonymous, answered, bad):
        limit = int(response.headers["x-rate-limit-limit"])
        assert 0 <= int(response.headers["x-rate-limit-remaining"]) < limit
        assert int(response.headers["x-rate-limit-reset"]) > datetime.now(UTC).timestamp()
    c = tweepy.Client(bearer_token="", return_type=dict)
    c.session = XSession(step1.base_url)
    with pytest.raises(tweepy.Unauthorized):
        c.get_user(username="sample_nayib")
