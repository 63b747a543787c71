"""Bad config gives one clear line naming the file and field; secrets come only from the env."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.config import load_config, secrets_from_env
from archiver.errors import ConfigError

GOOD = """
[archive]
media = false

[platforms.x]
base_url = "http://127.0.0.1:9"
page_size = 10

[[sources]]
name = "nayib-x"
platform = "x"
account = "@sample_nayib"
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "archiver.toml"
    path.write_text(body)
    return path


def test_good_config_parses(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.media is False
    assert config.sources[0].account == "sample_nayib"
    assert config.platform("x").page_size == 10
    assert config.platform("bluesky").base_url is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (GOOD.replace('platform = "x"', 'platform = "mastodon"'), "sources[0].platform: must be 'x' or 'bluesky'"),
        (GOOD.replace("page_size = 10", "page_size = 1000"), "platforms.x.page_size: must be between 5 and 100"),
        (GOOD.replace("media = false", 'media = "yes"'), "archive.media: expected bool"),
        (GOOD.replace('base_url = "http://127.0.0.1:9"', 'base_url = "ftp://x"'), "platforms.x.base_url"),
        (GOOD + "\n[[sources]]\nplatform = 'x'\naccount = 'a'\nname = 'nayib-x'\n", "duplicate source name"),
        (GOOD.replace('account = "@sample_nayib"', 'acount = "typo"'), "sources[0].account: expected str"),
        ("[[sources]\n", "invalid TOML"),
        ("[archive]\n", "no [[sources]] listed"),
    ],
)
def test_bad_config_names_the_field(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_unknown_source_selection(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="no source named other"):
        config.select(["other"])


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "super-secret-token")
    secrets = secrets_from_env()
    assert secrets.get("X_BEARER_TOKEN") == "super-secret-token"
    assert "super-secret-token" not in repr(secrets)


def test_the_shipped_example_config_is_valid() -> None:
    from importlib import resources

    path = Path(str(resources.files("archiver").joinpath("example-config.toml")))
    config = load_config(path)
    assert {s.platform for s in config.sources} == {"x", "bluesky"}
