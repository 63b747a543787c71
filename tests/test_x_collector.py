"""The X collector end to end: real tweepy against the loopback sandbox, into a real archive.

Faults are injected with the server's fault hook (429 with a reset header, 5xx, dropped
connections, truncated JSON); the collector's sleep is injected, so waits are asserted, not spent.
"""

from __future__ import annotations

import dataclasses
import gc
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from archiver.archive import Archive
from archiver.collect import RunOutcome, run_collect
from archiver.collectors.base import SourceState
from archiver.collectors.records import SourceProblem
from archiver.config import Config, PlatformSettings, Secrets, Source
from archiver.platforms.x.collector import XCollector
from archiver.platforms.x.sandbox.api import set_account_state
from archiver.platforms.x.sandbox.render import build_view
from archiver.sandbox.config import sandbox_config
from archiver.sandbox.scenario import Scenario, load
from archiver.sandbox.server import SandboxRequest, SandboxResponse, SandboxServer

NO_SECRETS = Secrets()


def first_id(key: str, scenario: Scenario | None = None) -> str:
    return build_view(scenario or load(), 1, "").latest_of[key]


class Hook:
    """A fault hook: answers matching API requests with ``fault`` while ``remaining`` lasts."""

    def __init__(self, path_part: str, fault: Callable[[], SandboxResponse], times: int = 10**9) -> None:
        self.path_part = path_part
        self.fault = fault
        self.remaining = times
        self.hits = 0
        self.authorizations: list[str] = []

    def __call__(self, request: SandboxRequest) -> SandboxResponse | None:
        if request.path.startswith("/2/"):
            self.authorizations.append(request.headers.get("authorization", ""))
        if self.path_part in request.path and self.remaining > 0:
            self.remaining -= 1
            self.hits += 1
            return self.fault()
        return None


def too_many(reset_in: float) -> Callable[[], SandboxResponse]:
    def make() -> SandboxResponse:
        reset = str(int(time.time() + reset_in))
        return SandboxResponse.json({"title": "Too Many Requests", "detail": "Too Many Requests",
                                     "type": "about:blank", "status": 429}, 429,
                                    {"x-rate-limit-limit": "1500", "x-rate-limit-remaining": "0",
                                     "x-rate-limit-reset": reset})
    return make


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


def config(server: SandboxServer, **changes: Any) -> Config:
    base = sandbox_config(server.base_url, platforms=("x",), page_size=10)
    if changes:
        settings = dataclasses.replace(base.platform("x"), **changes)
        base = dataclasses.replace(base, platforms={"x": settings})
    return base


def collect(archive: Archive, cfg: Config, sources: list[Source] | None = None,
            sleeps: list[float] | None = None, secrets: Secrets = NO_SECRETS) -> RunOutcome:
    sleep = (sleeps.append if sleeps is not None else (lambda _s: None))
    store = archive.store()
    try:
        return run_collect(store, cfg, sources or cfg.sources, secrets, sleep=sleep)
    finally:
        if store.fetcher is not None:  # the store leaves its media client open
            store.fetcher.close()


def rows(archive: Archive, sql: str, **params: Any) -> list[Any]:
    with archive.engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def count(archive: Archive, table: str) -> int:
    return int(rows(archive, f"SELECT count(*) FROM {table}")[0][0])


def status_of(archive: Archive, platform_id: str) -> str:
    return str(rows(archive, "SELECT status FROM post WHERE platform='x' AND platform_id=:p", p=platform_id)[0][0])


def test_first_collect_pages_through_the_timeline_and_follows_quotes_replies_and_follows(
        archive: Archive, sandbox: SandboxServer) -> None:
    outcome = collect(archive, config(sandbox))
    assert outcome.status == "complete", [o.problem for o in outcome.sources]
    view = build_view(load(), 1, "")
    nayib = load().people["nayib"].x_id
    timeline_calls = [p for _m, p, s in sandbox.requests if p == f"/2/users/{nayib}/tweets"]
    assert len(timeline_calls) == 3, "29 posts at 10 a page"
    archived = {r[0] for r in rows(archive, "SELECT platform_id FROM post WHERE platform='x'")}
    own = {t.id for t in view.timeline(nayib)}
    assert len(own) == 29 and own <= archived
    # the quote chain, three deep, and a reply found through conversation search
    for key in ("x_user02_chain0", "x_user04_chain1", "x_user06_chain2", "x_user13_markup"):
        assert first_id(key) in archived, key
    kinds = dict(rows(archive, "SELECT platform_id, kind FROM post WHERE platform='x'"))
    assert kinds[first_id("x_rubio_rt_oopsie")] == "repost" and kinds[first_id("x_user13_markup")] == "reply"
    tracked = {r[0] for r in rows(archive, "SELECT handle FROM account WHERE tracked")}
    assert tracked == {p.x_username for p in load().officials()}
    follows = {(a, b) for a, b in rows(archive, "SELECT follower_id, followed_id FROM follow")}
    assert (load().people["rubio"].x_id, nayib) in follows
    # every page's capture is the exact body received, and its posts' raw JSON is inside it
    captures = rows(archive, "SELECT body, compression, body_sha256, url FROM capture")
    assert all(url.startswith(sandbox.base_url + "/2/") for *_b, url in captures)
    bodies = [zlib.decompress(b) if c == "zlib" else b for b, c, _s, _u in captures]
    raw = rows(archive, "SELECT raw FROM snapshot")
    assert all(any(r.encode() in body for body in bodies) for (r,) in raw)


def test_second_collect_without_change_adds_sightings_but_no_snapshots(
        archive: Archive, sandbox: SandboxServer) -> None:
    collect(archive, config(sandbox))
    snapshots, sightings = count(archive, "snapshot"), count(archive, "sighting")
    before = len(sandbox.requests)
    again = collect(archive, config(sandbox))
    assert again.status == "complete"
    assert again.result.new_snapshots == 0 and again.result.new_posts == 0
    assert count(archive, "snapshot") == snapshots and count(archive, "sighting") > sightings
    assert again.result.status_changes == {}
    nayib = load().people["nayib"].x_id
    later = [p for _m, p, _s in sandbox.requests[before:] if p == f"/2/users/{nayib}/tweets"]
    assert len(later) == 2, "incremental: a continuity check, then one empty page after since_id"


def test_step_two_edit_deletion_and_no_flip_flop(archive: Archive, sandbox: SandboxServer) -> None:
    collect(archive, config(sandbox))
    sandbox.set_step(2)
    outcome = collect(archive, config(sandbox))
    assert outcome.status == "complete"
    judge = first_id("x_presssec_judge")
    versions = rows(archive, "SELECT s.version, s.content_id, s.text FROM snapshot s JOIN post p ON p.id = s.post_id "
                             "WHERE p.platform_id = :p ORDER BY s.version", p=judge)
    assert [v[0] for v in versions] == [1, 2]
    assert versions[0][1] == judge and versions[1][1] == build_view(load(), 2, "").latest_of["x_presssec_judge"]
    assert "movments" in versions[0][2] and "movements" in versions[1][2]
    deleted = first_id("x_wh_flights_note")
    assert status_of(archive, deleted) == "deleted"
    event = rows(archive, "SELECT e.previous_status, e.reason FROM post_status_event e JOIN post p "
                          "ON p.id = e.post_id WHERE p.platform_id = :p", p=deleted)
    assert event == [("live", "X: Not Found Error")]
    assert outcome.result.status_changes == {"deleted": 1}
    # a third run sees both versions again (the old one through lookups and quotes): nothing new
    third = collect(archive, config(sandbox))
    assert third.result.new_snapshots == 0 and third.result.edits == 0
    assert rows(archive, "SELECT version_count FROM post WHERE platform_id = :p", p=judge) == [(2,)]


def test_protected_account_gives_unavailable_and_an_incomplete_source(
        archive: Archive, sandbox: SandboxServer) -> None:
    collect(archive, config(sandbox))
    set_account_state(sandbox.world, "aclu", "protected")
    outcome = collect(archive, config(sandbox))
    by_source = {o.source: o for o in outcome.sources}
    assert not by_source["x:aclu"].complete and "Authorization Error" in (by_source["x:aclu"].problem or "")
    assert all(o.complete for name, o in by_source.items() if name != "x:aclu")
    for key in ("x_aclu_statement", "x_aclu_quote_presssec"):
        assert status_of(archive, first_id(key)) == "unavailable"
    reasons = {r[0] for r in rows(archive, "SELECT reason FROM post_status_event")}
    assert reasons == {"X: Authorization Error"}


def test_suspended_account_is_reported_and_its_posts_become_unavailable(
        archive: Archive, sandbox: SandboxServer) -> None:
    collect(archive, config(sandbox))
    set_account_state(sandbox.world, "wire", "suspended")
    outcome = collect(archive, config(sandbox))
    wire = next(o for o in outcome.sources if o.source == "x:wire")
    assert not wire.complete and (wire.problem or "").startswith("account_unavailable")
    assert "User has been suspended" in (wire.problem or "")
    assert status_of(archive, first_id("x_wire_ruling")) == "unavailable"
    assert status_of(archive, first_id("x_nayib_oopsie")) == "live"


def test_media_is_stored_once_per_hash(archive: Archive, tmp_path: Any) -> None:
    """Two posts carry the same picture under two media keys: one file, one media row."""
    base = load()
    items = dict(base.items)
    items["x_nayib_flags"] = dataclasses.replace(items["x_nayib_flags"], image="headline")
    scenario = dataclasses.replace(base, items=items)
    with SandboxServer(scenario=scenario) as server:
        source = Source(name="x:nayib", platform="x", account="sample_nayib", replies=False, quotes=False)
        outcome = collect(archive, config(server), [source])
    assert outcome.status == "complete"
    links = rows(archive, "SELECT DISTINCT sm.media_ref, sm.media_sha256 FROM snapshot_media sm")
    by_hash: dict[str, set[str]] = {}
    for ref, sha in links:
        by_hash.setdefault(sha, set()).add(ref)
    headline = [refs for refs in by_hash.values() if len(refs) == 2]
    assert len(headline) == 1, links
    assert count(archive, "media") == 2 and count(archive, "media_failure") == 0
    files = [p for p in archive.media_dir.rglob("*") if p.is_file()]
    assert len(files) == 2
    assert {p.read_bytes() for p in files} == {base.images["headline"].data(), base.images["cecot"].data()}


def test_rate_limit_reset_is_honoured(archive: Archive) -> None:
    hook = Hook("/tweets", too_many(reset_in=30), times=3)
    sleeps: list[float] = []
    with SandboxServer(fault_hook=hook) as server:
        source = Source(name="x:nayib", platform="x", account="sample_nayib")
        outcome = collect(archive, config(server, max_wait_seconds=600.0), [source], sleeps=sleeps)
    assert outcome.status == "complete" and hook.hits == 3
    assert len(sleeps) == 3
    # until the reset (29-30 s away when read) plus one second, with at most 10 % jitter
    assert all(29.0 < s <= 31.0 * 1.1 + 0.01 for s in sleeps), sleeps
    assert count(archive, "post") > 28


def test_waiting_is_bounded_and_changes_no_status(archive: Archive) -> None:
    with SandboxServer() as server:
        collect(archive, config(server))
    statuses = rows(archive, "SELECT platform_id, status FROM post ORDER BY platform_id")
    hook = Hook("/2/tweets", too_many(reset_in=60))  # lookups refused for ever
    sleeps: list[float] = []
    with SandboxServer(step=2, fault_hook=hook) as server:
        source = Source(name="x:whitehouse", platform="x", account="sample_whouse")
        outcome = collect(archive, config(server, max_wait_seconds=600.0), [source], sleeps=sleeps)
        tried = sum(1 for _m, p, s in server.requests if p == "/2/tweets" and s == 429)
    assert outcome.status == "partial"
    problem = outcome.sources[0].problem or ""
    assert problem.startswith("rate_limited") and "refresh" in problem
    assert rows(archive, "SELECT platform_id, status FROM post ORDER BY platform_id") == statuses
    assert status_of(archive, first_id("x_wh_flights_note")) == "live", "no claim without an answer"
    assert 1 <= tried <= 9 and sum(sleeps) <= 600.0
    coverage = rows(archive, "SELECT complete, reason FROM source_coverage ORDER BY id DESC LIMIT 1")
    assert coverage == [(False, "rate_limited")]


def test_server_errors_drops_and_bad_json_are_retried_then_given_up(archive: Archive) -> None:
    flaky = iter([SandboxResponse.json({"title": "Internal Error"}, 503), SandboxResponse(drop=True),
                  SandboxResponse(200, b'{"data": [{"id": "1', {"content-type": "application/json"}),
                  SandboxResponse(200, b"{}", delay=1.0)])
    hook = Hook("/tweets", lambda: next(flaky), times=4)
    sleeps: list[float] = []
    with SandboxServer(fault_hook=hook) as server:
        source = Source(name="x:rubio", platform="x", account="sample_secrubio")
        outcome = collect(archive, config(server, timeout_seconds=0.3), [source], sleeps=sleeps)
    assert outcome.status == "complete" and hook.hits == 4
    assert len(sleeps) == 4 and sleeps == sorted(sleeps), "backoff grows"
    failing = Hook("/2/users/", lambda: SandboxResponse.json({"title": "Service Unavailable"}, 503))
    with SandboxServer(fault_hook=failing) as server:
        outcome = collect(archive, config(server, max_wait_seconds=600.0), [source], sleeps=[])
    assert outcome.status == "failed" and (outcome.sources[0].problem or "").startswith("server_error")
    assert failing.hits == 9, "one try and eight retries, then the source is given up"


def test_unknown_account_is_reported_and_other_sources_are_collected(
        archive: Archive, sandbox: SandboxServer) -> None:
    sources = [Source(name="x:ghost", platform="x", account="no_such_offcl"),
               Source(name="x:nayib", platform="x", account="sample_nayib", replies=False)]
    outcome = collect(archive, config(sandbox), sources)
    ghost, nayib = outcome.sources
    assert not ghost.complete and ghost.pages == 0
    assert ghost.problem is not None and ghost.problem.startswith("unknown_account")
    assert "'no_such_offcl'" in ghost.problem and "Could not find user" in ghost.problem
    assert nayib.complete and nayib.posts >= 28
    assert outcome.status == "partial"


def test_tweepy_emits_no_warnings(archive: Archive, sandbox: SandboxServer) -> None:
    sandbox.set_step(2)  # the edited tweet's versions and a deletion in play
    gc.collect()  # sockets leaked by earlier tests must not warn inside this block
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = collect(archive, config(sandbox))
    assert outcome.status == "complete"
    assert [str(w.message) for w in caught if "tweepy" in w.filename] == []
    assert caught == [], [f"{w.filename}: {w.message}" for w in caught]


def test_no_capture_stores_the_bearer_token(archive: Archive) -> None:
    token = "AAAA-secret-bearer-token-for-the-test"
    hook = Hook("/never-faulted/", lambda: SandboxResponse())
    with SandboxServer(fault_hook=hook) as server:
        outcome = collect(archive, config(server), secrets=Secrets({"X_BEARER_TOKEN": token} if token else {}))
    assert outcome.status == "complete"
    assert hook.authorizations and set(hook.authorizations) == {f"Bearer {token}"}, "the token was sent"
    for url, headers, body, compression, meta in rows(
            archive, "SELECT url, headers, body, compression, meta FROM capture"):
        data = zlib.decompress(body) if compression == "zlib" else body
        for stored in (url, headers, meta, data.decode()):
            assert token not in stored
        assert "authorization" not in orjson.loads(headers)


def test_missing_token_against_the_real_api_is_a_clear_problem() -> None:
    collector = XCollector(PlatformSettings(base_url=None), NO_SECRETS)
    try:
        items = list(collector.collect(Source(name="x:someone", platform="x", account="someone"), SourceState()))
    finally:
        collector.close()
    assert len(items) == 1 and isinstance(items[0], SourceProblem)
    assert items[0].reason == "no_credentials" and "X_BEARER_TOKEN" in items[0].detail
    assert collector.session.request_count == 0


def test_a_faulty_night_ends_with_the_same_archive_as_a_clean_one(archive: Archive, tmp_path: Any) -> None:
    """429s (with and without reset header), 500s, stalls past the client timeout and truncated
    JSON on a third of the API calls: the collector retries through all of it, and the archive
    holds what a fault-free collection holds, with no status claimed wrongly."""
    from archiver.archive import open_archive
    from archiver.sandbox.faults import FaultPlan

    def summary(target: Archive) -> set[tuple[Any, ...]]:
        return set(rows(target, "SELECT p.platform_id, p.status, p.version_count, s.content_sha256 FROM post p "
                                "JOIN snapshot s ON s.id = p.current_snapshot_id"))

    clean = open_archive(tmp_path / "clean", None, create=True)
    plan = FaultPlan(rate_limit=0.1, server_error=0.1, timeout=0.05, malformed=0.08, reset_header_missing=0.5,
                     seed=11, stall=0.5, reset_after=3.0)
    sleeps: list[float] = []
    try:
        for step in (1, 2):
            with SandboxServer(step=step) as server:
                assert collect(clean, config(server)).status == "complete"
            with SandboxServer(step=step, fault_hook=plan) as server:
                outcome = collect(archive, config(server, timeout_seconds=0.2, max_wait_seconds=3600.0),
                                  sleeps=sleeps)
            assert outcome.status == "complete", [o.problem for o in outcome.sources]
        assert summary(archive) == summary(clean)
    finally:
        clean.close()
    assert {"rate_limit", "server_error", "timeout", "malformed"} <= set(plan.injected)
    assert len(sleeps) >= sum(plan.injected.values())
