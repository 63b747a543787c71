"""Bad ``--out`` and ``--archive`` paths: one line on stderr and exit 2, never a traceback; only
``init`` (or ``collect --init``) creates an archive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archiver.archive import Archive
from tests.fixtures_gen.run import run_cli


def _bad_outs(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return {"under a file": a_file / "site", "unwritable": locked / "site", "an existing file": a_file,
            "deep under a file": a_file / "x" / "y"}


def _one_line_exit_2(code: int, err: str) -> None:
    assert code == 2, err
    assert err.startswith("archiver: error: --out ") and err.count("\n") == 1 and "Traceback" not in err


def test_unwritable_out_folder(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # root may write into a mode-500 folder, but no one can create folders in /proc
    out = Path("/proc/archiver-test/site") if os.geteuid() == 0 else _bad_outs(tmp_path)["unwritable"]
    _one_line_exit_2(*run_cli(capsys, archive, "report", "--out", str(out))[::2])


@pytest.mark.parametrize("case", ["under a file", "an existing file", "deep under a file"])
def test_bad_report_out(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    out = _bad_outs(tmp_path)[case]
    code, _, err = run_cli(capsys, archive, "report", "--out", str(out))
    _one_line_exit_2(code, err)


@pytest.mark.parametrize("case", ["under a file", "missing parent", "a folder", "deep under a file"])
def test_bad_export_out(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    out = {**_bad_outs(tmp_path), "missing parent": tmp_path / "nowhere" / "posts.jsonl", "a folder": tmp_path}[case]
    for command in (["export", "posts"], ["export", "versions"], ["export", "twarc"]):
        code, _, err = run_cli(capsys, archive, *command, "--out", str(out))
        _one_line_exit_2(code, err)


def test_collect_refuses_a_missing_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from archiver.cli import main

    config = tmp_path / "archiver.toml"
    config.write_text('[[sources]]\nname = "s"\nplatform = "x"\naccount = "someone"\n')
    import sys

    typo = tmp_path / "typo"
    old = sys.argv
    sys.argv = ["archiver", "collect", "--config", str(config), "--archive", str(typo)]
    try:
        with pytest.raises(SystemExit) as exit_info:
            main()
    finally:
        sys.argv = old
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "no archive at" in err and "archiver init" in err
    assert not (typo / "archive.db").exists()
