"""The command line: one-line errors with the documented exit codes, and the core commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from archiver.archive import open_archive
from tests.factories import page, post


def archiver(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_missing_archive_is_a_one_line_error(tmp_path: Path) -> None:
    result = archiver("status", "--archive", str(tmp_path / "none"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "run `archiver init` first" in result.stderr


def test_bad_config_exits_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[[sources]]\nplatform = 'myspace'\naccount = 'a'\n")
    result = archiver("collect", "--config", str(tmp_path / "bad.toml"), "--archive", str(tmp_path / "a"))
    assert result.returncode == 2
    assert "sources[0].platform" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "a").exists()  # nothing written for a bad config


def test_init_status_show_and_verify(tmp_path: Path) -> None:
    target = tmp_path / "arch"
    assert archiver("init", "--archive", str(target)).returncode == 0
    handle = open_archive(target)
    handle.store(fetch_media=False).ingest(page(post(text="first")))
    handle.close()

    status = archiver("status", "--archive", str(target), "--json")
    assert status.returncode == 0, status.stderr
    summary = orjson.loads(status.stdout)
    assert (summary["posts"], summary["snapshots"], summary["sample_data"]) == (1, 1, False)

    show = archiver("show", "https://x.com/user1/status/1900000000000000001", "--archive", str(target), "--json")
    assert show.returncode == 0, show.stderr
    history = orjson.loads(show.stdout)
    assert [v["text"] for v in history["versions"]] == ["first"]
    assert len(history["versions"][0]["content_sha256"]) == 64

    assert archiver("show", "404", "--archive", str(target)).returncode == 2
    verify = archiver("verify", "--archive", str(target))
    assert verify.returncode == 0 and "verify OK" in verify.stdout


def test_outdated_schema_asks_for_init(tmp_path: Path) -> None:
    from archiver.db import locate, make_engine, upgrade

    location = locate(tmp_path / "old")
    upgrade(make_engine(location), "0001")
    result = archiver("status", "--archive", str(tmp_path / "old"))
    assert result.returncode == 2 and "run `archiver init` to upgrade" in result.stderr
    assert archiver("init", "--archive", str(tmp_path / "old")).returncode == 0
    assert archiver("status", "--archive", str(tmp_path / "old")).returncode == 0


def test_usage_errors_are_short_and_exit_2(tmp_path: Path) -> None:
    for args in (["show"], ["export", "posts", "--nope"], ["no-such-command"]):
        result = archiver(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
