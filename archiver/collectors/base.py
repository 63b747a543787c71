"""What a collector receives and yields. Collectors hold no database code: the runner
(``archiver.collect``) reads what they need from the archive into a ``SourceState`` and stores
the ``Page`` objects they yield."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from archiver.collectors.records import Page, Progress, SourceProblem
from archiver.config import PlatformSettings, Secrets, Source


@dataclass
class SourceState:
    """What the archive already knows about a source before this run."""

    account_id: str | None = None  # the platform's stable id (X user id, DID), when known
    handle: str | None = None
    newest_id: str | None = None  # where an incremental read starts (X: since_id), from the platform
    archived_ids: list[str] = field(default_factory=list)  # this account's live posts, to refresh
    tracked_ids: list[str] = field(default_factory=list)  # originals whose quotes/reposts/replies to follow
    backfill: bool = False  # Bluesky: also fetch the whole repo as a CAR (com.atproto.sync.getRepo)
    # sub-fetches finished since the source's last complete run: (step, unit) -> what each found
    done: dict[tuple[str, str], list[str]] = field(default_factory=dict)


class Collector(Protocol):
    def collect(self, source: Source, state: SourceState) -> Iterator[Page | SourceProblem | Progress]: ...

    def close(self) -> None: ...


def make_collector(
    platform: str, settings: PlatformSettings, secrets: Secrets, sleep: Callable[[float], None] | None = None
) -> Collector:
    """Build the collector for ``platform`` through the registry (ConfigError if unknown)."""
    from archiver import platforms

    return platforms.get(platform).collector(settings, secrets, sleep)
