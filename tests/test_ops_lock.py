"""The run lock: one run per job, a held lock names its holder, and a killed holder frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from archiver.archive import Archive
from archiver.errors import LockHeldError
from archiver.ops.lock import RunLockHandle, acquire, default_lock_name
from archiver.tables import T_COVERAGE, T_RUN
from tests.fixtures_gen.run import run_cli

HOLDER = textwrap.dedent("""
    import sys, time
    from archiver.archive import open_archive
    from archiver.ops.lock import acquire
    handle = open_archive(sys.argv[1], sys.argv[2] if sys.argv[2] != "-" else None)
    lock = acquire(handle, sys.argv[3])
    print("locked", flush=True)
    time.sleep(120)
""")


def _hold_in_subprocess(archive: Archive, name: str) -> subprocess.Popen[str]:
    db = "-" if archive.location.is_sqlite else archive.location.db_url
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(archive.location.directory), db, name],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_default_name_depends_only_on_the_set_of_sources() -> None:
    assert default_lock_name(["b", "a"]) == default_lock_name(["a", "b", "a"])
    assert default_lock_name(["a"]) != default_lock_name(["a", "b"])


def test_second_holder_is_refused_with_exit_75_naming_the_holder(archive: Archive) -> None:
    proc = _hold_in_subprocess(archive, "nightly")
    try:
        with pytest.raises(LockHeldError) as caught:
            acquire(archive, "nightly")
        assert caught.value.exit_code == 75
        message = str(caught.value)
        assert f"pid {proc.pid}" in message and "host " in message and "started 20" in message
        with acquire(archive, "other-job"):  # a different job is not blocked
            pass
    finally:
        proc.kill()
        proc.wait()
    # SIGKILL left no stale lock behind: the OS / the server released it with the process
    with _acquire_after_release(archive, "nightly") as lock:
        assert lock.previous is not None and lock.previous.pid == proc.pid


def _acquire_after_release(archive: Archive, name: str, within: float = 10.0) -> RunLockHandle:
    """The lock, once its killed holder's lock is gone. A file lock goes with the process at
    once; PostgreSQL ends the session (and its advisory lock) when its backend notices the closed
    socket, a moment after the kill. A stale lock still fails after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            return acquire(archive, name)
        except LockHeldError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_release_lets_the_next_run_in(archive: Archive) -> None:
    with acquire(archive, "job"), pytest.raises(LockHeldError):
        acquire(archive, "job")
    with acquire(archive, "job") as again:
        assert again.previous is not None and again.previous.pid == os.getpid()


def test_next_holder_marks_a_crashed_run_interrupted(archive: Archive) -> None:
    lock = acquire(archive, "job")
    store = archive.store(fetch_media=False)
    run_id = store.start_run("run", ["x:a"])
    lock.set_run(run_id)  # what run_collect's on_run_start does for `archiver run`
    store.start_coverage(run_id, "x:a", "x", "a")
    lock.release()  # what the kernel does when the process is killed: no finish_run, no finish_coverage
    with acquire(archive, "job") as successor:
        assert successor.close_interrupted() == run_id
        assert successor.close_interrupted() is None  # only once
    with archive.engine.connect() as conn:
        assert conn.execute(select(T_RUN.c.status).where(T_RUN.c.id == run_id)).scalar_one() == "interrupted"
        cov = conn.execute(select(T_COVERAGE.c.complete, T_COVERAGE.c.reason, T_COVERAGE.c.ended_at)).one()
    assert cov.complete is False and cov.reason == "interrupted" and cov.ended_at is not None


def test_archiver_run_exits_75_while_another_run_holds_the_lock(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "archiver.toml"
    config.write_text('[[sources]]\nplatform = "x"\naccount = "someone"\n'
                      '[platforms.x]\nbase_url = "http://127.0.0.1:9"\n')
    proc = _hold_in_subprocess(archive, default_lock_name(["x:someone"]))
    try:
        code, out, err = run_cli(capsys, archive, "run", "--config", str(config), "--quiet")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert code == 75
    assert out == ""
    lines = [line for line in err.splitlines() if line.startswith("archiver: error:")]
    assert len(lines) == 1 and f"pid {proc.pid}" in lines[0]
