"""The TOML config: which accounts to collect, from where, and whether to keep media.

Secrets never live here: each platform names the environment variables it reads (for example
X_BEARER_TOKEN, BSKY_HANDLE, BSKY_APP_PASSWORD), and ``secrets_from_env`` reads only those. They
are never logged, stored or rendered.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver import platforms as registry
from archiver.errors import ConfigError


@dataclass(frozen=True)
class Source:
    """One account on one platform to collect."""

    name: str
    platform: str
    account: str  # X username or numeric id; Bluesky handle or DID
    replies: bool = True
    quotes: bool = True
    reposters: bool = True
    follows: bool = False
    max_pages: int = 50


@dataclass(frozen=True)
class PlatformSettings:
    base_url: str | None = None  # X API host or Bluesky AppView; the sandbox sets this
    pds_url: str | None = None  # Bluesky PDS for listRecords/getRepo (default: resolved from the DID)
    page_size: int = 100
    max_wait_seconds: float = 900.0  # total rate-limit waiting allowed per source and run
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class Config:
    sources: list[Source]
    platforms: dict[str, PlatformSettings] = field(default_factory=dict)
    media: bool = True
    path: Path | None = None

    def platform(self, name: str) -> PlatformSettings:
        return self.platforms.get(name, PlatformSettings())

    def select(self, names: list[str] | None) -> list[Source]:
        if not names:
            return list(self.sources)
        known = {s.name: s for s in self.sources}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(f"--source: no source named {', '.join(unknown)} in {self.path or 'the config'}")
        return [known[n] for n in names]


def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{where}: expected {names}, got {type(value).__name__} {value!r}")
    return value


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate a parsed TOML document; every error names the file and the field."""
    label = str(path) if path else "config"
    archive = _expect(data.get("archive", {}), dict, f"{label}: [archive]")
    media = _expect(archive.get("media", True), bool, f"{label}: archive.media")
    unknown_top = set(data) - {"archive", "platforms", "sources"}
    if unknown_top:
        raise ConfigError(f"{label}: unknown section {sorted(unknown_top)[0]!r}")

    platforms: dict[str, PlatformSettings] = {}
    for name, table in _expect(data.get("platforms", {}), dict, f"{label}: [platforms]").items():
        where = f"{label}: platforms.{name}"
        if name not in registry.names():
            raise ConfigError(f"{where}: unknown platform (expected {' or '.join(registry.names())})")
        _expect(table, dict, where)
        allowed = {"base_url", "pds_url", "page_size", "max_wait_seconds", "timeout_seconds"}
        extra = set(table) - allowed
        if extra:
            raise ConfigError(f"{where}.{sorted(extra)[0]}: unknown setting")
        page_size = _expect(table.get("page_size", 100), int, f"{where}.page_size")
        if not 5 <= page_size <= 100:
            raise ConfigError(f"{where}.page_size: must be between 5 and 100, got {page_size}")
        platforms[name] = PlatformSettings(
            base_url=_optional_url(table.get("base_url"), f"{where}.base_url"),
            pds_url=_optional_url(table.get("pds_url"), f"{where}.pds_url"),
            page_size=page_size,
            max_wait_seconds=float(_expect(table.get("max_wait_seconds", 900.0), (int, float),
                                           f"{where}.max_wait_seconds")),
            timeout_seconds=float(_expect(table.get("timeout_seconds", 30.0), (int, float),
                                          f"{where}.timeout_seconds")),
        )

    sources: list[Source] = []
    seen: set[str] = set()
    for index, entry in enumerate(_expect(data.get("sources", []), list, f"{label}: sources")):
        where = f"{label}: sources[{index}]"
        _expect(entry, dict, where)
        platform = _expect(entry.get("platform"), str, f"{where}.platform")
        if platform not in registry.names():
            expected = " or ".join(repr(n) for n in registry.names())
            raise ConfigError(f"{where}.platform: must be {expected}, got {platform!r}")
        account = _expect(entry.get("account"), str, f"{where}.account").strip().lstrip("@")
        if not account:
            raise ConfigError(f"{where}.account: must not be empty")
        name = _expect(entry.get("name", f"{platform}:{account}"), str, f"{where}.name")
        if name in seen:
            raise ConfigError(f"{where}.name: duplicate source name {name!r}")
        seen.add(name)
        allowed = {"name", "platform", "account", "replies", "quotes", "reposters", "follows", "max_pages"}
        extra = set(entry) - allowed
        if extra:
            raise ConfigError(f"{where}.{sorted(extra)[0]}: unknown setting")
        sources.append(Source(
            name=name,
            platform=platform,
            account=account,
            replies=_expect(entry.get("replies", True), bool, f"{where}.replies"),
            quotes=_expect(entry.get("quotes", True), bool, f"{where}.quotes"),
            reposters=_expect(entry.get("reposters", True), bool, f"{where}.reposters"),
            follows=_expect(entry.get("follows", False), bool, f"{where}.follows"),
            max_pages=_expect(entry.get("max_pages", 50), int, f"{where}.max_pages"),
        ))
    if not sources:
        raise ConfigError(f"{label}: no [[sources]] listed")
    return Config(sources=sources, platforms=platforms, media=media, path=path)


def _optional_url(value: Any, where: str) -> str | None:
    if value is None:
        return None
    _expect(value, str, where)
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: must start with http:// or https://, got {value!r}")
    return str(value).rstrip("/")


def load_config(path: Path) -> Config:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(data, path)


@dataclass(frozen=True)
class Secrets:
    """Environment variable name -> value, for the variables the platforms declare."""

    values: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.values.get(name) or None

    def __repr__(self) -> str:  # never print a secret, even in a traceback
        return "Secrets(<redacted>)"


def secrets_from_env() -> Secrets:
    wanted = {name for platform in registry.platforms() for name in platform.secrets}
    return Secrets({name: os.environ[name] for name in sorted(wanted) if os.environ.get(name)})
