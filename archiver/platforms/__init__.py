"""The platform registry: the one seam between generic code and everything that knows a platform.

Each platform is a package under ``archiver/platforms/<name>/`` whose ``__init__`` defines
``PLATFORM``, a ``Platform`` object. Generic code (the collect runner, the config, the resolver,
analysis, the sandbox server, the CLI) asks the registry, never a platform module, so adding a
platform is one new folder plus one line in ``_BUILTIN``. See docs/platforms.md.

Platform packages import their SDK lazily (inside ``collector`` and friends), so loading the
registry stays cheap for every CLI command.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archiver.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Connection

    from archiver.collectors.base import Collector
    from archiver.config import PlatformSettings, Secrets
    from archiver.importers.runner import ImportSource
    from archiver.sandbox.faults import FaultShapes
    from archiver.sandbox.scenario import Person
    from archiver.sandbox.server import SandboxRequest, SandboxResponse, World

__all__ = ["Importer", "Platform", "PostRef", "SandboxPart", "get", "labels", "names", "platforms", "register",
           "unregister"]

# name -> the package that defines PLATFORM. One line per platform.
_BUILTIN: dict[str, str] = {
    "x": "archiver.platforms.x",
    "bluesky": "archiver.platforms.bluesky",
}


@dataclass(frozen=True, slots=True)
class PostRef:
    """What a pasted reference names, before the archive is asked.

    Either ``platform_id`` is known outright (a tweet id from an X URL, an at:// URI), or the
    post is named by its ``author`` (a handle or the platform's account id) and a ``key`` local to
    that author (a Bluesky record key); the resolver turns the author into an account id through
    the archive's handle history and asks the platform for ``post_id(account_id, key)``.
    """

    platform: str
    platform_id: str | None = None
    author: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class SandboxPart:
    """A platform's share of the loopback sandbox: the paths it answers and how it answers them.

    ``handler`` is a function, or ``"module:function"`` loaded on first use so that the sandbox
    server imports nothing of a platform it is not asked about; ``faults`` likewise. ``account``
    picks a scenario person's account on this platform; ``settings`` are the config settings that
    point a collector at the sandbox.
    """

    prefixes: tuple[str, ...]
    handler: str | Callable[[SandboxRequest, World], SandboxResponse]
    account: Callable[[Person], str | None]
    settings: Callable[[str], dict[str, str]] = lambda base_url: {"base_url": base_url}
    follows: bool = False  # collect the sandbox accounts' follow lists too
    api_prefixes: tuple[str, ...] = ()  # the API paths (not media) where --faults may strike
    faults: str | FaultShapes | None = None  # how a fault looks here ("module:attribute" or the object)

    def handle(self, request: SandboxRequest, world: World) -> SandboxResponse:
        if callable(self.handler):
            return self.handler(request, world)
        module, _, function = self.handler.partition(":")
        answer: Callable[[SandboxRequest, World], SandboxResponse] = getattr(importlib.import_module(module),
                                                                             function)
        return answer(request, world)

    def fault_shapes(self) -> FaultShapes | None:
        if self.faults is None or not isinstance(self.faults, str):
            return self.faults
        module, _, name = self.faults.partition(":")
        shapes: FaultShapes = getattr(importlib.import_module(module), name)
        return shapes


@dataclass(frozen=True)
class Importer:
    """One ``archiver import <command>`` a platform offers. The CLI builds the command from this:
    one or several files, and only the options the format supports."""

    command: str
    label: str  # the format, for the import group's help: "twarc2 JSONL"
    help: str  # the command's help text
    files_help: str
    open: Callable[[Path, str | None], ImportSource]  # (file, --handle) -> the source to run
    many: bool = True  # several files in one command
    skip_bad: bool = True  # offers --skip-bad and --report-dir
    fetch_media: bool = False  # offers --fetch-media
    handle: bool = False  # offers --handle


@dataclass(frozen=True)
class Platform:
    """Exactly what generic code needs from a platform, and nothing more."""

    name: str
    label: str  # for people: "X", "Bluesky"
    collector: Callable[[PlatformSettings, Secrets, Callable[[float], None] | None], Collector]
    parse_post: Callable[[str], PostRef | None]  # a URL, URI or id pasted by a user; None if not ours
    post_id: Callable[[str, str], str]  # (author's account id, key) -> the post's platform id
    is_account_id: Callable[[str], bool]  # a stable account id (X user id, DID), not a handle
    secrets: tuple[str, ...] = ()  # environment variables the collector reads; never stored
    newest_id: Callable[[Connection, int, str], str | None] | None = None  # where the next run starts
    importers: tuple[Importer, ...] = ()
    page_parts: Callable[[str], list[str]] = lambda platform_id: [platform_id]  # the report's path for a post
    content_cid: Callable[[dict[str, Any]], str | None] | None = None  # its own content hash, from raw JSON
    sandbox: SandboxPart | None = None


_LOADED: dict[str, Platform] = {}
_EXTRA: dict[str, Platform] = {}


def register(platform: Platform) -> None:
    """Add a platform at run time (a plugin, or a test's fake platform)."""
    _EXTRA[platform.name] = platform


def unregister(name: str) -> None:
    _EXTRA.pop(name, None)


def names() -> tuple[str, ...]:
    return (*_BUILTIN, *(n for n in _EXTRA if n not in _BUILTIN))


def get(name: str) -> Platform:
    """The platform called ``name``; ConfigError naming the known ones otherwise."""
    if name in _EXTRA:
        return _EXTRA[name]
    if name not in _BUILTIN:
        raise ConfigError(f"unknown platform {name!r} (expected {' or '.join(names())})")
    if name not in _LOADED:
        _LOADED[name] = importlib.import_module(_BUILTIN[name]).PLATFORM
    return _LOADED[name]


def platforms() -> Iterator[Platform]:
    for name in names():
        yield get(name)


def labels() -> str:
    """The platforms for a help text: "X and Bluesky"."""
    shown = [p.label for p in platforms()]
    return ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else "".join(shown)
