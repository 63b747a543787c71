"""X (formerly Twitter): tweepy collector, normalizer, twarc and X-archive importers, sandbox part.

Nothing here imports tweepy at load time: the registry loads this module for every command.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.platforms import Importer, Platform, SandboxPart
from archiver.platforms.x.grammar import is_account_id, parse_post, post_id

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from archiver.collectors.base import Collector
    from archiver.config import PlatformSettings, Secrets
    from archiver.importers.runner import ImportSource
    from archiver.sandbox.scenario import Person


def _collector(settings: PlatformSettings, secrets: Secrets, sleep: Callable[[float], None] | None) -> Collector:
    from archiver.platforms.x.collector import XCollector

    return XCollector(settings, secrets, sleep=sleep)


def _newest_id(conn: Connection, account_pk: int, platform_id: str) -> str | None:
    from archiver.platforms.x.state import newest_timeline_id

    return newest_timeline_id(conn, account_pk, platform_id)


def _twarc(path: Path, handle: str | None) -> ImportSource:
    from archiver.platforms.x.twarc import TwarcSource

    return TwarcSource(path)


def _x_archive(path: Path, handle: str | None) -> ImportSource:
    from archiver.platforms.x.x_archive import XArchiveSource

    return XArchiveSource(path)


def _sandbox_account(person: Person) -> str | None:
    return person.x_username


PLATFORM = Platform(
    name="x",
    label="X",
    collector=_collector,
    parse_post=parse_post,
    post_id=post_id,
    is_account_id=is_account_id,
    secrets=("X_BEARER_TOKEN",),
    newest_id=_newest_id,
    importers=(
        Importer("twarc", "twarc2 JSONL",
                 "Import twarc2 JSONL: each file completely or not at all, resumable, never twice.",
                 "twarc2 JSONL files (raw pages or flattened; .gz ok).", _twarc, fetch_media=True),
        Importer("x-archive", "X archive",
                 "Import an X account archive: tweets, long posts, deleted tweets, the account, media.",
                 "The X 'download your archive' zip, or its unpacked folder.", _x_archive, many=False),
    ),
    sandbox=SandboxPart(prefixes=("/2/", "/x-media/"), handler="archiver.platforms.x.sandbox.api:handle",
                        account=_sandbox_account, follows=True, api_prefixes=("/2/",),
                        faults="archiver.platforms.x.sandbox.faults:FAULTS"),
)
