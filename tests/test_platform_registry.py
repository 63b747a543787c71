"""The registry is the only seam: a third platform registered here, with its own sandbox routes, is
collected through the generic path (config, sandbox server, run_collect, store) with no other edit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from archiver import platforms
from archiver.archive import Archive
from archiver.collect import run_collect
from archiver.collectors.base import SourceState
from archiver.collectors.records import AccountRecord, CaptureRecord, Page, PostRecord, SourceProblem
from archiver.config import PlatformSettings, Secrets, Source, parse_config
from archiver.errors import ConfigError
from archiver.platforms import Platform, PostRef, SandboxPart
from archiver.resolve import resolve_post
from archiver.sandbox.faults import parse_faults
from archiver.sandbox.server import SandboxRequest, SandboxResponse, SandboxServer, World
from archiver.tables import T_POST, T_SNAPSHOT

POSTS = {"ada": [("1", "first toot"), ("2", "second toot")]}


def _serve(request: SandboxRequest, world: World) -> SandboxResponse:
    """The fake platform's API: ``/toot/<account>/posts`` lists an account's posts."""
    account = request.path.split("/")[2]
    return SandboxResponse.json([{"id": i, "text": t} for i, t in POSTS.get(account, [])])


class _TootCollector:
    def __init__(self, settings: PlatformSettings) -> None:
        self.client = httpx.Client(base_url=settings.base_url or "", timeout=settings.timeout_seconds)

    def collect(self, source: Source, state: SourceState) -> Iterator[Page | SourceProblem]:
        response = self.client.get(f"/toot/{source.account}/posts")
        if response.status_code != 200:
            yield SourceProblem(source.name, "server_error", response.json()["oops"])
            return
        now = datetime.now(UTC)
        author = AccountRecord("toot", f"uid:{source.account}", source.account, tracked=True)
        capture = CaptureRecord("http", str(response.url), response.status_code, now, response.content)
        posts = [PostRecord("toot", f"{source.account}/{p['id']}", f"https://toot.example/{source.account}/{p['id']}",
                            author, now, p["text"], None, "post", repr(p).encode())
                 for p in response.json()]
        yield Page(capture=capture, posts=posts, accounts=[author], source=source.name)

    def close(self) -> None:
        self.client.close()


class _TootFaults:
    malformed_body = b'[{"id": '

    def rate_limited(self, reset: int | None) -> SandboxResponse:
        return SandboxResponse.json({"oops": "slow down"}, 429)

    def server_error(self) -> SandboxResponse:
        return SandboxResponse.json({"oops": "toot is down"}, 500)


def _parse(text: str) -> PostRef | None:
    prefix = "https://toot.example/"
    if not text.startswith(prefix):
        return None
    author, _, key = text[len(prefix):].partition("/")
    return PostRef("toot", author=author, key=key)


TOOT = Platform(
    name="toot", label="Toot",
    collector=lambda settings, secrets, sleep: _TootCollector(settings),
    parse_post=_parse,
    post_id=lambda account_id, key: f"{account_id.removeprefix('uid:')}/{key}",
    is_account_id=lambda value: value.startswith("uid:"),
    secrets=("TOOT_TOKEN",),
    sandbox=SandboxPart(prefixes=("/toot/",), handler=_serve, account=lambda person: None,
                        api_prefixes=("/toot/",), faults=_TootFaults()),
)


@pytest.fixture
def toot() -> Iterator[Platform]:
    platforms.register(TOOT)
    yield TOOT
    platforms.unregister("toot")


def test_a_registered_platform_is_collected_through_the_generic_path(toot: Platform, archive: Archive) -> None:
    started: list[int] = []
    with SandboxServer() as sandbox:
        config = parse_config({"platforms": {"toot": {"base_url": sandbox.base_url}},
                               "sources": [{"platform": "toot", "account": "ada"}]})
        record: Callable[[int], None] = started.append
        outcome = run_collect(archive.store(fetch_media=False), config, config.sources, Secrets(),
                              on_run_start=record)
    assert outcome.status == "complete" and started == [outcome.run_id]
    assert [(s.source, s.posts) for s in outcome.sources] == [("toot:ada", 2)]
    with archive.engine.connect() as conn:
        rows = conn.execute(select(T_SNAPSHOT.c.text, T_POST.c.platform, T_POST.c.platform_id)
                            .join(T_POST, T_POST.c.id == T_SNAPSHOT.c.post_id).order_by(T_POST.c.platform_id)).all()
        assert [tuple(r) for r in rows] == [("first toot", "toot", "ada/1"), ("second toot", "toot", "ada/2")]
        # the resolver reads the fake platform's URLs through the registry, author by handle
        second = resolve_post(conn, "https://toot.example/ada/2")
        assert conn.execute(select(T_POST.c.platform_id).where(T_POST.c.id == second)).scalar_one() == "ada/2"
    assert ("GET", "/toot/ada/posts", 200) in sandbox.requests


def test_injected_faults_take_the_platform_shape(toot: Platform, archive: Archive) -> None:
    with SandboxServer(fault_hook=parse_faults("server_error=1")) as sandbox:
        config = parse_config({"platforms": {"toot": {"base_url": sandbox.base_url}},
                               "sources": [{"platform": "toot", "account": "ada"}]})
        outcome = run_collect(archive.store(fetch_media=False), config, config.sources, Secrets())
    assert outcome.status == "failed"  # no page from any source
    assert outcome.sources[0].problem == "server_error: toot is down"


def test_config_and_secrets_come_from_the_registry(toot: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    from archiver.config import secrets_from_env

    assert platforms.names() == ("x", "bluesky", "toot")
    monkeypatch.setenv("TOOT_TOKEN", "t0ken")
    assert secrets_from_env().get("TOOT_TOKEN") == "t0ken"
    platforms.unregister("toot")
    with pytest.raises(ConfigError, match="must be 'x' or 'bluesky', got 'toot'"):
        parse_config({"sources": [{"platform": "toot", "account": "ada"}]})


def test_the_builtin_platforms_are_registered() -> None:
    assert [p.name for p in platforms.platforms()] == ["x", "bluesky"]
    assert platforms.get("x").secrets == ("X_BEARER_TOKEN",)
    with pytest.raises(ConfigError, match="unknown platform 'mastodon'"):
        platforms.get("mastodon")
