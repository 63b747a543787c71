"""Fault plans for the sandbox: the spec parser and what each fault looks like on the wire."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import orjson
import pytest

from archiver.errors import BadInputError
from archiver.sandbox.faults import FaultPlan, parse_faults
from archiver.sandbox.server import SandboxRequest, SandboxServer


def _request(path: str = "/2/users/1/tweets") -> SandboxRequest:
    return SandboxRequest("GET", path, {}, {}, b"")


def test_spec_from_the_issue_parses() -> None:
    plan = parse_faults("rate_limit=0.1,server_error=0.05,timeout=0.02,malformed=0.02,reset_header_missing=0.5,seed=7")
    assert (plan.rate_limit, plan.server_error, plan.timeout, plan.malformed) == (0.1, 0.05, 0.02, 0.02)
    assert plan.reset_header_missing == 0.5 and plan.seed == 7


@pytest.mark.parametrize("spec, fragment", [
    ("rate_limit=2", "between 0 and 1"),
    ("rate_limt=0.1", "rate_limt=0.1"),
    ("rate_limit", "expected name=value"),
    ("seed=x", "seed='x' is not a number"),
    ("rate_limit=0.6,server_error=0.6", "add up to 1.2"),
    ("timeout=0.1,timeout=0.2", "given twice"),
])
def test_bad_specs_are_one_line_errors(spec: str, fragment: str) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_faults(spec)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_same_seed_same_faults_and_rates_are_honoured() -> None:
    spec = "rate_limit=0.1,server_error=0.05,timeout=0.02,malformed=0.02,seed=3"
    first, second = parse_faults(spec), parse_faults(spec)
    kinds = []
    for _ in range(4000):
        a, b = first(_request()), second(_request())
        assert (a is None) == (b is None) and (a is None or (a.status, a.delay) == (b.status, b.delay))  # type: ignore[union-attr]
        kinds.append(None if a is None else a.status)
    seen = Counter(kinds)
    assert 300 < seen[429] < 500  # ~400 expected
    assert 130 < seen[500] < 280  # server errors (~200)
    assert 40 < seen[504] < 130  # timeouts (~80: a stall, then the connection is dropped)
    assert 40 < seen[200] < 130  # malformed (~80)
    assert first.injected == second.injected


def test_control_and_media_paths_are_never_faulted() -> None:
    plan = FaultPlan(server_error=1.0)
    assert plan(_request("/_sandbox")) is None
    assert plan(_request("/x-media/abc.png")) is None and plan(_request("/bsky-media/x")) is None
    assert plan(_request("/xrpc/app.bsky.feed.getAuthorFeed")) is not None


def test_faults_on_the_wire() -> None:
    plan = FaultPlan(rate_limit=1.0, reset_after=5)
    with SandboxServer(fault_hook=plan) as sandbox, httpx.Client(base_url=sandbox.base_url, timeout=5) as client:
        x = client.get("/2/users/by/username/someone")
        assert x.status_code == 429 and x.json()["title"] == "Too Many Requests"
        assert int(x.headers["x-rate-limit-reset"]) >= int(time.time()) + 3
        xrpc = client.get("/xrpc/app.bsky.feed.getAuthorFeed", params={"actor": "a"})
        assert xrpc.status_code == 429 and xrpc.json()["error"] == "RateLimitExceeded"
        assert "ratelimit-reset" in xrpc.headers and "x-rate-limit-reset" not in xrpc.headers

        plan.reset_header_missing = 1.0
        bare = client.get("/2/users/by/username/someone")
        assert bare.status_code == 429 and "x-rate-limit-reset" not in bare.headers
        assert plan.injected["rate_limit_no_reset"] == 1

        plan.rate_limit, plan.server_error = 0.0, 1.0
        failed = client.get("/xrpc/app.bsky.actor.getProfile", params={"actor": "a"})
        assert failed.status_code == 500 and failed.json()["error"] == "InternalServerError"

        plan.server_error, plan.malformed = 0.0, 1.0
        broken = client.get("/2/tweets", params={"ids": "1"})
        assert broken.status_code == 200
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(broken.content)

        plan.malformed, plan.timeout, plan.stall = 0.0, 1.0, 3.0
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.get("/2/tweets", params={"ids": "1"}, timeout=0.3)
        assert time.monotonic() - started < 2.0
