"""Output safety: terminal escapes never reach the terminal, a right-to-left override never flips
the report's sentence, and a planted report manifest never makes a build delete outside --out."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from archiver.archive import Archive
from archiver.terminal import clean
from reports.manifest import NAME, Manifest
from tests.fixtures_gen import hostile
from tests.fixtures_gen.run import run_cli


def _import(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, name: str) -> None:
    path = tmp_path / "hostile.jsonl"
    users = [{"id": "2244994945", "username": "ministry", "name": name}]
    path.write_bytes(hostile.twarc_line([hostile.v2_tweet("42", text)], users=users))
    code, _, err = run_cli(capsys, archive, "import", "twarc", str(path))
    assert code == 0, err


def test_clean_makes_every_control_visible() -> None:
    out = clean(hostile.ESCAPES + "\u202etxt.exe\x7f")
    assert not any(ch in out for ch in "\x1b\x07\x9b\x7f\u202e")
    assert "\\u001b]0;pwned" in out and "\\u202e" in out
    assert clean("line one\n\tline two — Ελλάδα 日本") == "line one\n\tline two — Ελλάδα 日本"


def test_show_strips_terminal_escapes(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import(archive, tmp_path, capsys, "hello " + hostile.ESCAPES, "Evil\x1b]0;title\x07")
    code, out, err = run_cli(capsys, archive, "show", "42")
    assert code == 0, err
    assert "hello" in out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out


def test_error_lines_strip_terminal_escapes(archive: Archive, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad\x1b[2J.jsonl"
    path.write_bytes(b"[1]\n")
    code, _, err = run_cli(capsys, archive, "import", "twarc", str(path))
    assert code == 2 and "\x1b" not in err and "bad\\u001b[2J.jsonl" in err


def test_right_to_left_override_in_a_name_is_isolated(archive: Archive, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    name = "\u202eLanoisiciffo"
    _import(archive, tmp_path, capsys, "A statement.", name)
    site = tmp_path / "site"
    code, _, err = run_cli(capsys, archive, "report", "--out", str(site))
    assert code == 0, err
    page = next(p for p in site.rglob("*.html") if "42" in p.name).read_text()
    assert f"<bdi>{name}</bdi>" in page
    assert "unicode-bidi: isolate" in (site / "site.css").read_text()


def test_planted_manifest_never_deletes_outside_the_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "f.html").write_text("keep me too")
    (site / "linked").symlink_to(outside)
    (site / "own.html").write_text("a page of ours")
    planted = ["../victim.txt", str(victim), "linked/f.html", "sub/../../victim.txt", "own.html"]
    (site / NAME).write_bytes(orjson.dumps({"format": 3, "files": {p: "0" * 32 for p in planted}}))
    manifest = Manifest(site, full=False)
    try:
        removed = manifest.finish()
    finally:
        manifest.close()
    assert victim.read_text() == "keep me" and (outside / "f.html").read_text() == "keep me too"
    assert removed == 1 and not (site / "own.html").exists()
