"""The Bluesky collector, through the real atproto SDK, against the loopback sandbox.

Faults (429, 500, malformed JSON, a tampered record) are injected with the sandbox's fault hook;
the SDK itself is never mocked. Waiting is observed through the injected ``sleep``.

Tests whose subject is what gets stored (incremental runs, deletions, renames, reposts, CIDs) use
the ``archive`` fixture and so run on PostgreSQL too; tests about the collector's behaviour on the
wire (faults, waits, login) use ``sqlite_archive``: the backend adds nothing there but set-up time.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from archiver.archive import Archive
from archiver.collect import RunOutcome, run_collect
from archiver.collectors.records import AccountRecord, normalized_content
from archiver.config import Config, PlatformSettings, Secrets, Source
from archiver.errors import BadInputError
from archiver.hashing import bluesky_cid
from archiver.platforms.bluesky.normalize import normalize_post_view, normalize_record
from archiver.platforms.bluesky.sandbox import api as bsky_api
from archiver.platforms.bluesky.sandbox.ids import repos
from archiver.sandbox.scenario import load
from archiver.sandbox.server import SandboxRequest, SandboxResponse, SandboxServer
from archiver.tables import (
    T_ACCOUNT,
    T_CAPTURE,
    T_HANDLE,
    T_MEDIA,
    T_POST,
    T_SNAPSHOT,
    T_SNAPSHOT_MEDIA,
    T_STATUS_EVENT,
)

SCENARIO = load()
REPOS = repos(SCENARIO)
NO_SECRETS = Secrets()


def person(key: str) -> Any:
    return SCENARIO.people[key]


def uri(key: str) -> str:
    return REPOS.records[key].uri


def source(key: str, account: str | None = None, **kw: Any) -> Source:
    return Source(name=f"bluesky:{key}", platform="bluesky", account=account or person(key).bsky_handle, **kw)


def config(sandbox: SandboxServer, *sources: Source, page_size: int = 100, max_wait: float = 60.0) -> Config:
    settings = PlatformSettings(base_url=sandbox.base_url, pds_url=sandbox.base_url, page_size=page_size,
                                max_wait_seconds=max_wait, timeout_seconds=5.0)
    return Config(sources=list(sources), platforms={"bluesky": settings}, media=True)


class Sleeps(list[float]):
    """Records every wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def collect(archive: Archive, cfg: Config, sleep: Callable[[float], None] | None = None,
            secrets: Secrets = NO_SECRETS, backfill: bool = False) -> RunOutcome:
    return run_collect(archive.store(fetch_media=cfg.media), cfg, cfg.sources, secrets,
                       sleep=sleep if sleep is not None else Sleeps(), backfill=backfill)


def rows(archive: Archive, query: Any) -> list[Any]:
    with archive.engine.connect() as conn:
        return list(conn.execute(query).all())


def post_row(archive: Archive, platform_id: str) -> Any:
    found = rows(archive, select(T_POST).where(T_POST.c.platform_id == platform_id))
    assert found, f"{platform_id} not archived"
    return found[0]


def count(archive: Archive, table: Any) -> int:
    return int(rows(archive, select(func.count()).select_from(table))[0][0])


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


def hook_on(sandbox: SandboxServer, nsid: str, answer: Callable[[SandboxRequest], SandboxResponse | None]) -> None:
    def hook(request: SandboxRequest) -> SandboxResponse | None:
        return answer(request) if request.path == f"/xrpc/{nsid}" else None

    sandbox.fault_hook = hook


def test_pagination_follows_every_cursor(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive
    outcome = collect(archive, config(sandbox, source("nayib", quotes=False, replies=False, reposters=False),
                                      page_size=10))
    assert outcome.status == "complete"
    feed_calls = [r for r in sandbox.requests if r[1] == "/xrpc/app.bsky.feed.getAuthorFeed"]
    own = [r for r in REPOS.by_author(person("nayib").did, 1)]
    assert len(feed_calls) == -(-len(own) // 10) >= 3
    archived = {r.platform_id for r in rows(archive, select(T_POST.c.platform_id))}
    assert {r.uri for r in own} <= archived  # including the oldest daily posts on the last page


def test_second_collect_without_change_adds_sightings_not_snapshots(archive: Archive, sandbox: SandboxServer) -> None:
    cfg = config(sandbox, source("nayib"), source("rubio"))
    first = collect(archive, cfg)
    snapshots = count(archive, T_SNAPSHOT)
    assert first.result.new_snapshots == snapshots > 0
    second = collect(archive, cfg)
    assert second.status == "complete"
    assert second.result.new_snapshots == 0 and second.result.sightings > 0
    assert count(archive, T_SNAPSHOT) == snapshots


def test_step2_deletion_is_claimed_only_on_record_not_found(archive: Archive, sandbox: SandboxServer) -> None:
    cfg = config(sandbox, source("whitehouse"))
    collect(archive, cfg)
    deleted = uri("b_wh_flights_note")
    sandbox.set_step(2)

    # getPosts failing: nothing can be concluded, the source is incomplete, nothing changes.
    hook_on(sandbox, "app.bsky.feed.getPosts", lambda r: SandboxResponse.json({"error": "InternalServerError"}, 500))
    sleeps = Sleeps()
    failed = collect(archive, cfg, sleep=sleeps)
    assert failed.sources[0].complete is False and "server_error" in (failed.sources[0].problem or "")
    assert sum(sleeps) <= 60.0 and sleeps
    assert post_row(archive, deleted).status == "live"

    # getPosts omits it, but getRecord answers 500: still no claim.
    hook_on(sandbox, "com.atproto.repo.getRecord", lambda r: SandboxResponse.json({"error": "Oops"}, 502))
    collect(archive, cfg)
    assert post_row(archive, deleted).status == "live"
    assert count(archive, T_STATUS_EVENT) == 0

    # The PDS says RecordNotFound: now it is deleted, with that answer as the evidence.
    sandbox.fault_hook = None
    outcome = collect(archive, cfg)
    assert outcome.result.status_changes == {"deleted": 1}
    assert post_row(archive, deleted).status == "deleted"
    event = rows(archive, select(T_STATUS_EVENT))[0]
    assert event.reason == "Bluesky: RecordNotFound"
    capture = rows(archive, select(T_CAPTURE).where(T_CAPTURE.c.id == event.capture_id))[0]
    body = zlib.decompress(capture.body) if capture.compression == "zlib" else capture.body
    assert capture.status == 400 and orjson.loads(body)["error"] == "RecordNotFound"
    assert post_row(archive, uri("b_wh_repost_presssec")).status == "live"


def test_handle_rename_is_followed_by_did(archive: Archive, sandbox: SandboxServer) -> None:
    cfg = config(sandbox, source("wire"))  # the config keeps naming the old handle
    collect(archive, cfg)
    sandbox.set_step(2)
    collect(archive, cfg)
    third = collect(archive, cfg)
    assert third.status == "complete"
    accounts = rows(archive, select(T_ACCOUNT).where(T_ACCOUNT.c.platform_id == person("wire").did))
    assert len(accounts) == 1 and accounts[0].handle == "wireagency-sample.bsky.social"
    handles = {r.handle for r in rows(archive, select(T_HANDLE).where(T_HANDLE.c.account_id == accounts[0].id))}
    assert handles == {"wire-sample.bsky.social", "wireagency-sample.bsky.social"}


def test_reposts_keep_exact_time_and_via(archive: Archive, sandbox: SandboxServer) -> None:
    cfg = config(sandbox, source("nayib"), source("rubio"), source("whitehouse"))
    collect(archive, cfg)
    rubio = post_row(archive, uri("b_rubio_repost_oopsie"))
    assert (rubio.kind, rubio.reposted_id, rubio.via_id) == ("repost", uri("b_nayib_oopsie"), None)
    assert rubio.created_at.isoformat().startswith("2025-03-16T08:40:00")
    # A repost of a repost, by ordinary accounts found through getRepostedBy + their repos.
    user09 = post_row(archive, uri("b_user09_repost_oopsie"))
    assert (user09.reposted_id, user09.via_id) == (uri("b_nayib_oopsie"), uri("b_user08_repost_oopsie"))
    user08 = post_row(archive, uri("b_user08_repost_oopsie"))
    assert user08.via_id == uri("b_rubio_repost_oopsie")
    # The feed's repost item yields the original only; the repost record is a post of its own.
    assert post_row(archive, uri("b_nayib_oopsie")).kind == "quote"
    sandbox.set_step(2)
    collect(archive, cfg)
    via_rubio = post_row(archive, uri("b_wh_repost_oopsie_via_rubio"))
    assert via_rubio.via_id == uri("b_rubio_repost_oopsie")
    assert via_rubio.created_at.isoformat().startswith("2025-03-17T09:10:00")


def test_every_snapshot_cid_is_verified_from_the_bytes_received(archive: Archive, sandbox: SandboxServer) -> None:
    cfg = config(sandbox, *(source(p.key) for p in SCENARIO.officials()))
    collect(archive, cfg)
    sandbox.set_step(2)
    collect(archive, cfg)
    snapshots = rows(archive, select(T_SNAPSHOT.c.raw, T_SNAPSHOT.c.platform_cid, T_SNAPSHOT.c.cid_verified))
    assert len(snapshots) > 60
    for raw, platform_cid, verified in snapshots:
        data = orjson.loads(raw)
        record = data.get("record") or data.get("value")
        assert verified is True and bluesky_cid(record) == platform_cid
    kinds = {r.kind for r in rows(archive, select(T_POST.c.kind))}
    assert kinds == {"post", "repost", "quote", "reply"}


def test_tampered_record_is_stored_unverified(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive
    def tamper(request: SandboxRequest) -> SandboxResponse:
        response = bsky_api.handle(request, sandbox.world)
        response.body = response.body.replace(b"Oopsie", b"Oopsje", 1)  # one byte of one record's text
        return response

    hook_on(sandbox, "app.bsky.feed.getAuthorFeed", tamper)
    collect(archive, config(sandbox, source("nayib", quotes=False, replies=False, reposters=False)))
    snaps = rows(archive, select(T_SNAPSHOT.c.text, T_SNAPSHOT.c.cid_verified, T_SNAPSHOT.c.platform_cid))
    tampered = [s for s in snaps if s.text.startswith("Oopsje")]
    assert len(tampered) == 1 and tampered[0].cid_verified is False
    assert tampered[0].platform_cid == REPOS.records["b_nayib_oopsie"].cid
    assert all(s.cid_verified is True for s in snaps if s not in tampered)


def test_media_is_downloaded_once_and_deduplicated(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive
    cfg = config(sandbox, source("nayib"), source("rubio"))  # rubio's feed shows the same post
    collect(archive, cfg)
    collect(archive, cfg)
    data = SCENARIO.images["headline"].data()
    digest = hashlib.sha256(data).hexdigest()
    media = rows(archive, select(T_MEDIA.c.sha256))
    assert [m.sha256 for m in media] == [digest]
    assert (archive.media_dir / digest[:2] / digest).read_bytes() == data
    links = rows(archive, select(T_SNAPSHOT_MEDIA.c.media_sha256, T_SNAPSHOT_MEDIA.c.media_ref))
    assert links and {link.media_sha256 for link in links} == {digest}
    assert {link.media_ref for link in links} == {REPOS.blob_of_image["headline"].cid}
    assert sum(1 for r in sandbox.requests if r[1].startswith("/bsky-media/")) == 1


def _rate_limited(reset_in: int) -> SandboxResponse:
    reset = int(time.time()) + reset_in
    return SandboxResponse.json({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, 429,
                                {"ratelimit-limit": "3000", "ratelimit-remaining": "0",
                                 "ratelimit-reset": str(reset)})


def test_rate_limit_reset_is_honoured(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive
    left = [2]

    def limited(request: SandboxRequest) -> SandboxResponse | None:
        if left[0]:
            left[0] -= 1
            return _rate_limited(30)
        return None

    hook_on(sandbox, "app.bsky.feed.getAuthorFeed", limited)
    sleeps = Sleeps()
    outcome = collect(archive, config(sandbox, source("aclu"), max_wait=120.0), sleep=sleeps)
    assert outcome.status == "complete"
    assert len(sleeps) == 2 and all(29.0 <= s <= 35.0 for s in sleeps)  # until the reset, plus jitter
    assert post_row(archive, uri("b_aclu_statement")).status == "live"


def test_rate_limit_wait_is_bounded_and_other_sources_go_on(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive
    nayib = person("nayib").did
    hook_on(sandbox, "app.bsky.feed.getAuthorFeed",
            lambda r: _rate_limited(100) if r.arg("actor") == nayib else None)
    sleeps = Sleeps()
    cfg = config(sandbox, source("nayib"), source("aclu"), max_wait=150.0)
    outcome = collect(archive, cfg, sleep=sleeps)
    by_name = {o.source: o for o in outcome.sources}
    assert by_name["bluesky:nayib"].complete is False
    assert (by_name["bluesky:nayib"].problem or "").startswith("rate_limited")
    assert by_name["bluesky:aclu"].complete is True and by_name["bluesky:aclu"].posts > 0
    assert len(sleeps) == 1 and sum(sleeps) <= 150.0
    assert outcome.status == "partial" and count(archive, T_STATUS_EVENT) == 0


def test_unknown_handle_is_reported_while_others_are_collected(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive
    outcome = collect(archive, config(sandbox, source("ghost", account="nobody-sample.bsky.social"), source("aclu")))
    by_name = {o.source: o for o in outcome.sources}
    problem = by_name["bluesky:ghost"].problem or ""
    assert by_name["bluesky:ghost"].complete is False
    assert problem.startswith("unknown_account") and "nobody-sample.bsky.social" in problem
    assert by_name["bluesky:aclu"].complete is True
    assert post_row(archive, uri("b_aclu_statement")).status == "live"


def test_malformed_json_is_retried(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive
    left = [1]

    def broken(request: SandboxRequest) -> SandboxResponse | None:
        if left[0]:
            left[0] -= 1
            return SandboxResponse(200, b'{"feed": [', {"content-type": "application/json"})
        return None

    hook_on(sandbox, "app.bsky.feed.getAuthorFeed", broken)
    sleeps = Sleeps()
    outcome = collect(archive, config(sandbox, source("aclu")), sleep=sleeps)
    assert outcome.status == "complete" and len(sleeps) == 1
    bodies = [r.body_sha256 for r in rows(archive, select(T_CAPTURE.c.body_sha256))]
    assert hashlib.sha256(b'{"feed": [').hexdigest() not in bodies  # a broken answer is not evidence


def test_optional_login_never_stores_tokens(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive
    secrets = Secrets({"BSKY_HANDLE": person("aclu").bsky_handle or "",
                       "BSKY_APP_PASSWORD": bsky_api.SANDBOX_APP_PASSWORD})
    outcome = collect(archive, config(sandbox, source("aclu")), secrets=secrets)
    assert outcome.status == "complete"
    assert ("POST", "/xrpc/com.atproto.server.createSession", 200) in sandbox.requests
    for capture in rows(archive, select(T_CAPTURE)):
        body = zlib.decompress(capture.body) if capture.compression == "zlib" else capture.body
        assert b"accessJwt" not in body and b"refreshJwt" not in body
        assert "createSession" not in capture.url and "authorization" not in capture.headers.lower()
    wrong = collect(archive, config(sandbox, source("aclu")), secrets=Secrets({"BSKY_HANDLE": "aclu-sample.bsky.social",
                                                                                   "BSKY_APP_PASSWORD": "x"}))
    assert wrong.sources[0].complete is True and "login_failed" in (wrong.sources[0].problem or "")


def test_dropped_connection_and_timeout_are_retried(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive
    faults = [SandboxResponse(drop=True), SandboxResponse(delay=2.0)]

    def flaky(request: SandboxRequest) -> SandboxResponse | None:
        return faults.pop(0) if faults else None

    hook_on(sandbox, "app.bsky.actor.getProfile", flaky)
    settings = PlatformSettings(base_url=sandbox.base_url, pds_url=sandbox.base_url, timeout_seconds=0.5)
    cfg = Config(sources=[source("aclu")], platforms={"bluesky": settings})
    sleeps = Sleeps()
    outcome = collect(archive, cfg, sleep=sleeps)
    assert outcome.status == "complete" and len(sleeps) == 2
    assert post_row(archive, uri("b_aclu_statement")).status == "live"


def test_backfill_reads_the_repo_car_without_new_content(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive
    cfg = config(sandbox, source("nayib", quotes=False, replies=False, reposters=False))
    backfilled = collect(archive, cfg, backfill=True)
    assert backfilled.status == "complete"
    assert ("GET", "/xrpc/com.atproto.sync.getRepo", 200) in sandbox.requests
    archived = {r.platform_id for r in rows(archive, select(T_POST.c.platform_id))}
    assert {r.uri for r in REPOS.by_author(person("nayib").did, 1)} <= archived
    snapshots = count(archive, T_SNAPSHOT)
    again = collect(archive, cfg, backfill=True)
    assert again.result.new_snapshots == 0 and count(archive, T_SNAPSHOT) == snapshots  # CAR and AppView agree
    verified = {v for (v,) in rows(archive, select(T_SNAPSHOT.c.cid_verified))}
    assert verified == {True}


def test_malformed_record_is_skipped_and_reported(sqlite_archive: Archive, sandbox: SandboxServer) -> None:
    archive = sqlite_archive

    def corrupt(request: SandboxRequest) -> SandboxResponse:
        response = bsky_api.handle(request, sandbox.world)
        response.body = response.body.replace(b'"createdAt":"2025-03-16T08:40:00.000Z"', b'"createdAt":"yesterday"')
        return response

    hook_on(sandbox, "com.atproto.repo.listRecords", corrupt)
    outcome = collect(archive, config(sandbox, source("rubio", quotes=False, replies=False, reposters=False)))
    problem = outcome.sources[0].problem or ""
    assert outcome.sources[0].complete is True
    assert problem.startswith("bad_record") and uri("b_rubio_repost_oopsie") in problem and "createdAt" in problem
    archived = {r.platform_id for r in rows(archive, select(T_POST.c.platform_id))}
    assert uri("b_rubio_repost_oopsie") not in archived and uri("b_rubio_thanks") in archived


def test_record_and_view_normalize_to_the_same_content(sandbox: SandboxServer) -> None:
    """The CAR importer and the AppView collector must agree, or a backfill would fork every post."""
    view = bsky_api.view_for(sandbox.world)
    checked = 0
    for record in REPOS.records.values():
        if not record.item.visible_at(1):
            continue
        author = AccountRecord("bluesky", record.did, None)
        from_record = normalize_record(record.uri, record.cid, record.value, author, b"{}")
        if record.collection == "app.bsky.feed.post":
            from_view = normalize_post_view(view.post_view(record), b"{}")
            blanks: list[str | None] = [None] * len(from_view.media)
            assert normalized_content(from_record, blanks) == normalized_content(from_view, blanks), record.uri
            assert [m.ref for m in from_view.media] == [m.ref for m in from_record.media]
            assert all(m.url for m in from_view.media)
        else:
            target = REPOS.records[record.item.target or ""]
            assert (from_record.kind, from_record.reposted_id) == ("repost", target.uri)
        assert from_record.cid_verified is True
        checked += 1
    assert checked > 60
    broken = dict(REPOS.records["b_nayib_oopsie"].value)
    del broken["text"]
    with pytest.raises(BadInputError) as err:
        normalize_record(uri("b_nayib_oopsie"), REPOS.records["b_nayib_oopsie"].cid, broken,
                         AccountRecord("bluesky", person("nayib").did, None), b"{}")
    assert uri("b_nayib_oopsie") in str(err.value) and "'text'" in str(err.value)
