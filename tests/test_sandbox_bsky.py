"""The Bluesky sandbox speaks XRPC faithfully: atproto's own models accept every answer in strict
mode (with string formats checked too), every record's CID is its true hash, and errors, cursors,
rate-limit headers and the repo CAR look like a real AppView/PDS."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import libipld
import orjson
import pytest
from atproto import CAR, Client
from atproto_client import models
from atproto_client.exceptions import BadRequestError, UnauthorizedError
from atproto_client.models.utils import get_or_create

from archiver.hashing import bluesky_cid, cid_for_block
from archiver.platforms.bluesky.sandbox.api import SANDBOX_APP_PASSWORD
from archiver.platforms.bluesky.sandbox.ids import repos
from archiver.sandbox.scenario import load
from archiver.sandbox.server import SandboxServer

SCENARIO = load()
NAYIB = SCENARIO.people["nayib"]
WIRE = SCENARIO.people["wire"]
REPOS = repos(SCENARIO)


def uri_of(key: str) -> str:
    return REPOS.records[key].uri


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def client(sandbox: SandboxServer) -> Client:
    return Client(base_url=sandbox.base_url)


_HTTP = httpx.Client()  # one pool: a new client per request costs more than the request


def xrpc(sandbox: SandboxServer, nsid: str, **params: Any) -> httpx.Response:
    return _HTTP.get(f"{sandbox.base_url}/xrpc/{nsid}", params=params)


def strict(payload: bytes, model: Any) -> Any:
    """Parse as the SDK does, and also check string formats (DIDs, handles, CIDs, datetimes)."""
    return get_or_create(orjson.loads(payload), model, strict=True, strict_string_format=True)


def test_every_endpoint_parses_strictly(sandbox: SandboxServer) -> None:
    oopsie = uri_of("b_nayib_oopsie")
    rubio_did = SCENARIO.people["rubio"].did
    reply_uri = next(r.uri for r in REPOS.records.values() if r.item.kind == "reply")
    cases: list[tuple[str, dict[str, Any], Any]] = [
        ("com.atproto.identity.resolveHandle", {"handle": NAYIB.bsky_handle},
         models.ComAtprotoIdentityResolveHandle.Response),
        ("app.bsky.actor.getProfile", {"actor": NAYIB.did}, models.AppBskyActorDefs.ProfileViewDetailed),
        ("app.bsky.feed.getAuthorFeed", {"actor": rubio_did}, models.AppBskyFeedGetAuthorFeed.Response),
        ("app.bsky.feed.getAuthorFeed", {"actor": NAYIB.did, "limit": 100},
         models.AppBskyFeedGetAuthorFeed.Response),
        ("app.bsky.feed.getPosts", {"uris": [oopsie, reply_uri]}, models.AppBskyFeedGetPosts.Response),
        ("app.bsky.feed.getPostThread", {"uri": oopsie}, models.AppBskyFeedGetPostThread.Response),
        ("app.bsky.feed.getPostThread", {"uri": reply_uri, "parentHeight": 5},
         models.AppBskyFeedGetPostThread.Response),
        ("app.bsky.feed.getQuotes", {"uri": oopsie}, models.AppBskyFeedGetQuotes.Response),
        ("app.bsky.feed.getRepostedBy", {"uri": oopsie}, models.AppBskyFeedGetRepostedBy.Response),
        ("com.atproto.repo.listRecords", {"repo": rubio_did, "collection": "app.bsky.feed.post"},
         models.ComAtprotoRepoListRecords.Response),
        ("com.atproto.repo.listRecords", {"repo": rubio_did, "collection": "app.bsky.feed.repost"},
         models.ComAtprotoRepoListRecords.Response),
        ("com.atproto.repo.getRecord", {"repo": NAYIB.did, "collection": "app.bsky.feed.post",
                                        "rkey": oopsie.rsplit("/", 1)[1]}, models.ComAtprotoRepoGetRecord.Response),
    ]
    for nsid, params, model in cases:
        response = xrpc(sandbox, nsid, **params)
        assert response.status_code == 200, (nsid, response.text)
        parsed = strict(response.content, model)
        assert isinstance(parsed, model), nsid
    # Records inside the views parse as their typed record models (the SDK resolves $type).
    feed = strict(xrpc(sandbox, "app.bsky.feed.getAuthorFeed", actor=NAYIB.did, limit=100).content,
                  models.AppBskyFeedGetAuthorFeed.Response)
    oopsie_view = next(f.post for f in feed.feed if f.post.uri == oopsie)
    assert isinstance(oopsie_view.record, models.AppBskyFeedPost.Record)
    assert isinstance(oopsie_view.embed, models.AppBskyEmbedRecordWithMedia.View)
    thread = strict(xrpc(sandbox, "app.bsky.feed.getPostThread", uri=oopsie).content,
                    models.AppBskyFeedGetPostThread.Response)
    assert isinstance(thread.thread, models.AppBskyFeedDefs.ThreadViewPost)
    assert thread.thread.replies


def test_sdk_methods_and_repost_reasons(client: Client) -> None:
    rubio = client.resolve_handle(SCENARIO.people["rubio"].bsky_handle).did
    feed = client.get_author_feed(rubio)
    reposts = [f for f in feed.feed if f.reason is not None]
    assert len(reposts) == 1
    reason = reposts[0].reason
    assert isinstance(reason, models.AppBskyFeedDefs.ReasonRepost)
    record = REPOS.records["b_rubio_repost_oopsie"]
    assert (reason.uri, reason.cid, reason.by.did) == (record.uri, record.cid, rubio)
    assert reposts[0].post.uri == uri_of("b_nayib_oopsie")  # the feed shows the ORIGINAL post
    listed = client.com.atproto.repo.list_records({"repo": rubio, "collection": "app.bsky.feed.repost"})
    value = listed.records[0].value
    assert isinstance(value, models.AppBskyFeedRepost.Record)
    assert value.created_at == "2025-03-16T08:40:00.000Z" and value.via is None


def test_served_cids_are_true_hashes(sandbox: SandboxServer) -> None:
    checked = 0
    for person in SCENARIO.people.values():
        for collection in ("app.bsky.feed.post", "app.bsky.feed.repost"):
            body = orjson.loads(xrpc(sandbox, "com.atproto.repo.listRecords", repo=person.did,
                                     collection=collection, limit=100).content)
            for entry in body["records"]:
                assert bluesky_cid(entry["value"]) == entry["cid"], entry["uri"]
                assert entry["cid"].startswith("bafyrei")
                checked += 1
    assert checked == len([r for r in REPOS.records.values() if r.item.visible_at(1)])
    # A via strongRef names the true CID of the repost it points at.
    via = REPOS.records["b_user09_repost_oopsie"].value["via"]
    assert via == {"uri": uri_of("b_user08_repost_oopsie"), "cid": REPOS.records["b_user08_repost_oopsie"].cid}


def test_images_are_blobs_with_raw_cids(sandbox: SandboxServer) -> None:
    record = REPOS.records["b_nayib_oopsie"].value
    image = record["embed"]["media"]["images"][0]["image"]
    blob_cid = image["ref"]["$link"]
    data = SCENARIO.images["headline"].data()
    assert blob_cid.startswith("bafkrei")
    assert bytes(libipld.decode_cid(blob_cid)["hash"]["digest"]) == hashlib.sha256(data).digest()
    assert libipld.decode_cid(blob_cid)["codec"] == 0x55
    view = orjson.loads(xrpc(sandbox, "app.bsky.feed.getPosts", uris=uri_of("b_nayib_oopsie")).content)
    url = view["posts"][0]["embed"]["media"]["images"][0]["fullsize"]
    assert url == f"{sandbox.base_url}/bsky-media/{NAYIB.did}/{blob_cid}.png"
    assert _HTTP.get(url).content == data
    blob = xrpc(sandbox, "com.atproto.sync.getBlob", did=NAYIB.did, cid=blob_cid)
    assert blob.content == data and blob.headers["content-type"] == "image/png"


def test_author_feed_cursor_pages_without_overlap(client: Client) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = client.get_author_feed(NAYIB.did, cursor=cursor, limit=10)
        seen += [f.post.uri for f in page.feed]
        pages += 1
        cursor = page.cursor
        if not cursor:
            break
    expected = [r.uri for r in REPOS.by_author(NAYIB.did, 1)]
    assert seen == expected and pages == -(-len(expected) // 10) and pages >= 3
    no_replies = client.get_author_feed(SCENARIO.people["user02"].did, filter="posts_no_replies")
    assert all(f.post.record.reply is None for f in no_replies.feed)


def test_deletion_rename_and_errors_in_xrpc_form(sandbox: SandboxServer, client: Client) -> None:
    deleted = REPOS.records["b_wh_flights_note"]
    did, collection, rkey = deleted.uri[5:].split("/")
    assert len(client.get_posts([deleted.uri]).posts) == 1
    sandbox.set_step(2)
    assert client.get_posts([deleted.uri, uri_of("b_nayib_oopsie")]).posts[0].uri == uri_of("b_nayib_oopsie")
    assert len(client.get_posts([deleted.uri]).posts) == 0  # deleted: simply missing
    with pytest.raises(BadRequestError) as err:
        client.com.atproto.repo.get_record({"repo": did, "collection": collection, "rkey": rkey})
    assert err.value.response is not None and err.value.response.content.error == "RecordNotFound"
    thread = client.get_post_thread(deleted.uri).thread
    assert isinstance(thread, models.AppBskyFeedDefs.NotFoundPost)
    # The wire agency's handle changed in step 2: the old one no longer resolves, the DID stays.
    with pytest.raises(BadRequestError):
        client.resolve_handle(WIRE.bsky_handle)
    assert client.resolve_handle("wireagency-sample.bsky.social").did == WIRE.did
    assert client.get_profile(WIRE.did).handle == "wireagency-sample.bsky.social"
    # Unknown actor: 400 InvalidRequest "Profile not found", with rate-limit headers.
    response = xrpc(sandbox, "app.bsky.actor.getProfile", actor="nobody-sample.bsky.social")
    assert response.status_code == 400
    assert response.json() == {"error": "InvalidRequest", "message": "Profile not found"}
    assert int(response.headers["ratelimit-limit"]) >= int(response.headers["ratelimit-remaining"]) >= 0
    assert int(response.headers["ratelimit-reset"]) > 0
    too_many = xrpc(sandbox, "app.bsky.feed.getPosts", uris=[uri_of("b_nayib_oopsie")] * 26)
    assert too_many.status_code == 400 and too_many.json()["error"] == "InvalidRequest"


def test_repo_car_holds_every_record_with_true_hashes(client: Client) -> None:
    car_bytes = client.com.atproto.sync.get_repo({"did": SCENARIO.people["whitehouse"].did})
    car = CAR.from_bytes(car_bytes)
    for cid, block in car.blocks.items():
        assert cid_for_block(libipld.encode_dag_cbor(block)) == str(cid)
    served = {r.cid for r in REPOS.by_author(SCENARIO.people["whitehouse"].did, 1)}
    assert served <= {str(c) for c in car.blocks}


def test_login_with_app_password(sandbox: SandboxServer) -> None:
    client = Client(base_url=sandbox.base_url)
    profile = client.login(NAYIB.bsky_handle, SANDBOX_APP_PASSWORD)
    assert profile is not None and profile.did == NAYIB.did
    with pytest.raises(UnauthorizedError):
        Client(base_url=sandbox.base_url).login(NAYIB.bsky_handle, "wrong-password")
