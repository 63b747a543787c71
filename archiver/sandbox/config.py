"""A collection config that points every official account of the scenario at a running sandbox."""

from __future__ import annotations

from archiver import platforms as registry
from archiver.config import Config, PlatformSettings, Source
from archiver.sandbox.scenario import Scenario, load


def _sandboxed(platforms: tuple[str, ...] | None) -> list[registry.Platform]:
    """The registered platforms with a sandbox part (all of them unless ``platforms`` narrows)."""
    return [p for p in registry.platforms() if p.sandbox is not None and (platforms is None or p.name in platforms)]


def sandbox_sources(scenario: Scenario | None = None, platforms: tuple[str, ...] | None = None) -> list[Source]:
    scenario = scenario or load()
    chosen = _sandboxed(platforms)
    sources = []
    for person in scenario.officials():
        for platform in chosen:
            assert platform.sandbox is not None
            account = platform.sandbox.account(person)
            if account:
                sources.append(Source(name=f"{platform.name}:{person.key}", platform=platform.name, account=account,
                                      follows=platform.sandbox.follows))
    return sources


def sandbox_config(
    base_url: str,
    platforms: tuple[str, ...] | None = None,
    page_size: int = 100,
    media: bool = True,
    max_wait_seconds: float = 60.0,
    timeout_seconds: float = 10.0,
) -> Config:
    settings = PlatformSettings(base_url=base_url, pds_url=base_url, page_size=page_size,
                                max_wait_seconds=max_wait_seconds, timeout_seconds=timeout_seconds)
    return Config(
        sources=sandbox_sources(platforms=platforms),
        platforms={p.name: settings for p in _sandboxed(platforms)},
        media=media,
    )


def sandbox_config_toml(base_url: str) -> str:
    """The same config as TOML, for a person exploring `archiver sandbox serve`."""
    lines = ["# Collect the sandbox's official accounts (illustrative sample data).",
             "[archive]", "media = true", ""]
    for platform in _sandboxed(None):
        assert platform.sandbox is not None
        lines.append(f"[platforms.{platform.name}]")
        lines += [f'{key} = "{value}"' for key, value in platform.sandbox.settings(base_url).items()]
        lines.append("")
    for source in sandbox_sources():
        lines += ["[[sources]]", f'name = "{source.name}"', f'platform = "{source.platform}"',
                  f'account = "{source.account}"']
        if source.follows:
            lines.append("follows = true")
        lines.append("")
    return "\n".join(lines)
