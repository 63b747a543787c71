"""Run the real ``archiver`` entry point in-process (fast) and count archive rows."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import func, select, text

from archiver.archive import Archive


def run_cli(capsys: pytest.CaptureFixture[str], archive: Archive, *args: str) -> tuple[int, str, str]:
    """``archiver <args> --archive <dir> [--db <url>]`` -> (exit code, stdout, stderr)."""
    from archiver.cli import main

    argv = ["archiver", *args, "--archive", str(archive.location.directory)]
    if not archive.location.is_sqlite:
        argv += ["--db", archive.location.db_url]
    capsys.readouterr()
    old = sys.argv
    sys.argv = argv
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err


TABLES = ("run", "capture", "account", "post", "snapshot", "sighting", "import_file")


def counts(archive: Archive, tables: tuple[str, ...] = TABLES) -> dict[str, int]:
    with archive.engine.connect() as conn:
        return {t: int(conn.execute(select(func.count()).select_from(text(t))).scalar_one()) for t in tables}
