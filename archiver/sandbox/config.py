"""A collection config that points every official account of the scenario at a running sandbox."""

from __future__ import annotations

from archiver.config import Config, PlatformSettings, Source
from archiver.sandbox.scenario import Scenario, load


def sandbox_sources(scenario: Scenario | None = None, platforms: tuple[str, ...] = ("x", "bluesky")) -> list[Source]:
    scenario = scenario or load()
    sources = []
    for person in scenario.officials():
        if "x" in platforms and person.x_username:
            sources.append(Source(name=f"x:{person.key}", platform="x", account=person.x_username, follows=True))
        if "bluesky" in platforms and person.bsky_handle:
            sources.append(Source(name=f"bluesky:{person.key}", platform="bluesky", account=person.bsky_handle))
    return sources


def sandbox_config(
    base_url: str,
    platforms: tuple[str, ...] = ("x", "bluesky"),
    page_size: int = 100,
    media: bool = True,
    max_wait_seconds: float = 60.0,
    timeout_seconds: float = 10.0,
) -> Config:
    settings = PlatformSettings(base_url=base_url, pds_url=base_url, page_size=page_size,
                                max_wait_seconds=max_wait_seconds, timeout_seconds=timeout_seconds)
    return Config(
        sources=sandbox_sources(platforms=platforms),
        platforms={p: settings for p in platforms},
        media=media,
    )


def sandbox_config_toml(base_url: str) -> str:
    """The same config as TOML, for a person exploring `archiver sandbox serve`."""
    lines = ["# Collect the sandbox's official accounts (illustrative sample data).",
             "[archive]", "media = true", ""]
    for platform in ("x", "bluesky"):
        lines += [f"[platforms.{platform}]", f'base_url = "{base_url}"']
        if platform == "bluesky":
            lines.append(f'pds_url = "{base_url}"')
        lines.append("")
    for source in sandbox_sources():
        lines += ["[[sources]]", f'name = "{source.name}"', f'platform = "{source.platform}"',
                  f'account = "{source.account}"']
        if source.follows:
            lines.append("follows = true")
        lines.append("")
    return "\n".join(lines)
