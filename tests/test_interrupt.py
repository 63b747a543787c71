"""Honest interruption and complete files on disk: SIGINT and SIGTERM during ``collect`` end the run
``interrupted`` (exit 130 and 143) with its sources as coverage gaps; a run left ``running`` by a
SIGKILLed process is closed by the next writing command, whichever it is; after ``collect`` exits,
a copy of ``archive.db`` alone holds every post; ``archiver backup`` copies a database in use."""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from archiver.archive import Archive
from archiver.sandbox.config import sandbox_config_toml
from archiver.tables import T_CAPTURE, T_COVERAGE, T_RUN
from tests.fixtures_gen import hostile
from tests.fixtures_gen.run import run_cli

ARCHIVER = str(Path(sys.executable).with_name("archiver"))


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    proc = subprocess.Popen([ARCHIVER, "sandbox", "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().split("listening on ", 1)[1].split()[0]
    path = tmp_path_factory.mktemp("cfg") / "archiver.toml"
    path.write_text(sandbox_config_toml(url))
    import archiver.cli  # noqa: F401  (loaded before forking)
    try:
        yield path
    finally:
        proc.kill()
        proc.wait()


def _child(argv: list[str]) -> None:
    from archiver.cli import main

    os.environ.pop("X_BEARER_TOKEN", None)
    sys.argv = argv
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the process ends right after
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    main()


def _start(archive: Archive, *args: str) -> multiprocessing.process.BaseProcess:
    argv = ["archiver", *args, "--archive", str(archive.location.directory)]
    if not archive.location.is_sqlite:
        argv += ["--db", archive.location.db_url]
    proc = multiprocessing.get_context("fork").Process(target=_child, args=(argv,))
    proc.start()
    return proc


def _captures(archive: Archive) -> int:
    with archive.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(T_CAPTURE)).scalar_one())


def _collect_until(archive: Archive, config: Path, captures: int) -> multiprocessing.process.BaseProcess:
    proc = _start(archive, "collect", "--config", str(config), "--quiet")
    deadline = time.monotonic() + 60
    while proc.is_alive() and _captures(archive) < captures and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.is_alive(), "the collect finished before it could be interrupted"
    return proc


def _runs(archive: Archive) -> list[tuple[int, str]]:
    with archive.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(T_RUN.c.id, T_RUN.c.status).order_by(T_RUN.c.id)).all()]


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_ends_the_run_interrupted_with_gaps(archive: Archive, config: Path, capsys: pytest.CaptureFixture[str],
                                                   signum: int, code: int) -> None:
    proc = _collect_until(archive, config, 3)
    os.kill(proc.pid, signum)
    proc.join(timeout=60)
    assert proc.exitcode == code
    [(run_id, status)] = _runs(archive)
    assert status == "interrupted"
    with archive.engine.connect() as conn:
        open_rows = conn.execute(select(func.count()).select_from(T_COVERAGE).where(
            T_COVERAGE.c.run_id == run_id, T_COVERAGE.c.ended_at.is_(None))).scalar_one()
        reasons = conn.execute(select(T_COVERAGE.c.reason).where(T_COVERAGE.c.run_id == run_id)).scalars().all()
    assert open_rows == 0 and "interrupted" in reasons
    rc, out, err = run_cli(capsys, archive, "status", "--json")
    assert rc == 0, err
    gaps = orjson.loads(out)["coverage_gaps"]
    assert f"interrupted runs: {run_id}" in gaps
    assert any("interrupted" in line and line.startswith("source ") for line in gaps)


def test_a_killed_run_is_closed_by_the_next_writing_command(archive: Archive, config: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    proc = _collect_until(archive, config, 3)
    proc.kill()
    proc.join()
    assert _runs(archive)[0][1] == "running"
    rc, out, err = run_cli(capsys, archive, "status", "--json")  # read-only, but no false assurance
    assert rc == 0, err
    assert any("still marked running" in gap for gap in orjson.loads(out)["coverage_gaps"])
    path = tmp_path / "one.jsonl"
    path.write_bytes(hostile.twarc_line([hostile.v2_tweet("123")]))
    rc, _, err = run_cli(capsys, archive, "import", "twarc", str(path))  # not `archiver run`
    assert rc == 0, err
    assert [s for _, s in _runs(archive)] == ["interrupted", "complete"]


def test_after_collect_a_copy_of_archive_db_alone_is_complete(sqlite_archive: Archive, config: Path,
                                                              tmp_path: Path) -> None:
    archive = sqlite_archive
    proc = _start(archive, "collect", "--config", str(config), "--quiet")
    proc.join(timeout=120)
    assert proc.exitcode == 0
    directory = archive.location.directory
    wal = directory / "archive.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy.db"
    shutil.copyfile(directory / "archive.db", copy)
    with sqlite3.connect(copy) as conn:
        copied = conn.execute("select count(*) from post").fetchone()[0]
    with archive.engine.connect() as conn:
        assert copied > 0 and copied == conn.exec_driver_sql("select count(*) from post").scalar_one()


def test_backup_copies_a_database_in_use(sqlite_archive: Archive, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    archive = sqlite_archive
    path = tmp_path / "one.jsonl"
    path.write_bytes(hostile.twarc_line([hostile.v2_tweet("321")]))
    assert run_cli(capsys, archive, "import", "twarc", str(path))[0] == 0
    reader = sqlite3.connect(archive.location.directory / "archive.db")
    reader.execute("begin")
    reader.execute("select count(*) from post").fetchone()  # a reader holds a snapshot meanwhile
    target = tmp_path / "backup" / "archive.db"
    target.parent.mkdir()
    rc, _, err = run_cli(capsys, archive, "backup", str(target))
    reader.close()
    assert rc == 0, err
    with sqlite3.connect(target) as conn:
        assert conn.execute("select count(*) from post").fetchone()[0] == 1
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    rc, _, err = run_cli(capsys, archive, "backup", str(target))
    assert rc == 2 and "exists" in err
