"""Bluesky: atproto collector, normalizer, CAR + MST reader and repo importer, sandbox part.

Nothing here imports atproto at load time: the registry loads this module for every command.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver.platforms import Importer, Platform, SandboxPart
from archiver.platforms.bluesky.grammar import is_account_id, page_parts, parse_post, post_id

if TYPE_CHECKING:
    from archiver.collectors.base import Collector
    from archiver.config import PlatformSettings, Secrets
    from archiver.importers.runner import ImportSource
    from archiver.sandbox.scenario import Person


def _collector(settings: PlatformSettings, secrets: Secrets, sleep: Callable[[float], None] | None) -> Collector:
    from archiver.platforms.bluesky.collector import BlueskyCollector

    return BlueskyCollector(settings, secrets, sleep=sleep)


def _car(path: Path, handle: str | None) -> ImportSource:
    from archiver.platforms.bluesky.car_import import CarSource

    return CarSource(path, handle)


def _content_cid(raw: dict[str, Any]) -> str | None:
    from archiver.platforms.bluesky.normalize import content_cid

    return content_cid(raw)


def _sandbox_account(person: Person) -> str | None:
    return person.bsky_handle


PLATFORM = Platform(
    name="bluesky",
    label="Bluesky",
    collector=_collector,
    parse_post=parse_post,
    post_id=post_id,
    is_account_id=is_account_id,
    secrets=("BSKY_HANDLE", "BSKY_APP_PASSWORD"),
    page_parts=page_parts,
    content_cid=_content_cid,
    importers=(
        Importer("bluesky-car", "Bluesky CAR",
                 "Import Bluesky repo CARs: every block's hash checked, the whole tree walked.",
                 "Repo exports (com.atproto.sync.getRepo .car files).", _car, skip_bad=False, handle=True),
    ),
    sandbox=SandboxPart(prefixes=("/xrpc/", "/bsky-media/"), handler="archiver.platforms.bluesky.sandbox.api:handle",
                        account=_sandbox_account, api_prefixes=("/xrpc/",),
                        faults="archiver.platforms.bluesky.sandbox.faults:FAULTS",
                        settings=lambda base_url: {"base_url": base_url, "pds_url": base_url}),
)
