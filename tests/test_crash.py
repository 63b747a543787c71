"""Crash safety: SIGKILL ``archiver run`` (a real process) at random points while it writes.

Each run is a real child process running the ``archiver`` entry point; it is forked from the test
process (which has already imported the SDKs) only so that the test does not pay Python's and
atproto's start-up for every run. The sandbox runs in its own process (``archiver sandbox serve``).

After every kill ``archiver verify`` passes and the lock is free; the run that finally completes
leaves exactly the posts and versions an uninterrupted run leaves, and every killed run is marked
``interrupted`` by its successor. Kill points are chosen by how many captures the run has written
(polled from the database), so each kill lands in the middle of collection, not during start-up;
a last kill lands after the collect, during analysis or the report.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archiver.archive import Archive, open_archive
from archiver.collect import run_collect
from archiver.config import Secrets, load_config
from archiver.sandbox.config import sandbox_config_toml
from archiver.tables import T_CAPTURE, T_RUN
from tests.fixtures_gen.run import run_cli
from tests.test_ops_faults_collect import archive_state

ARCHIVER = str(Path(sys.executable).with_name("archiver"))
KILLS = 3


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """The sandbox in its own process, as `archiver sandbox serve` runs it for a person."""
    proc = subprocess.Popen([ARCHIVER, "sandbox", "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    url = first.split("listening on ", 1)[1].split()[0]
    try:
        yield url
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def config_and_reference(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    config = tmp_path_factory.mktemp("cfg") / "archiver.toml"
    config.write_text(sandbox_config_toml(sandbox_url))
    ref = open_archive(tmp_path_factory.mktemp("ref") / "archive", None, create=True)
    cfg = load_config(config)
    assert run_collect(ref.store(cfg.media), cfg, cfg.sources, Secrets()).status == "complete"
    state = archive_state(ref)
    ref.close()
    import archiver.cli  # noqa: F401  (loaded before forking, like the collectors above)
    return config, state


def _captures(archive: Archive) -> int:
    with archive.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(T_CAPTURE)).scalar_one())


def _child(argv: list[str]) -> None:
    from archiver.cli import main

    os.environ.pop("X_BEARER_TOKEN", None)
    sys.argv = argv
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the process ends right after
    main()


def _start_run(archive: Archive, config: Path, *steps: str) -> multiprocessing.process.BaseProcess:
    argv = ["archiver", "run", "--config", str(config), "--archive", str(archive.location.directory),
            "--quiet", *(steps or ("--no-analyze", "--no-report"))]
    if not archive.location.is_sqlite:
        argv += ["--db", archive.location.db_url]
    proc = multiprocessing.get_context("fork").Process(target=_child, args=(argv,))
    proc.start()
    return proc


def test_sigkill_at_random_points_then_rerun_equals_an_uninterrupted_run(
    archive: Archive, config_and_reference: tuple[Path, object], capsys: pytest.CaptureFixture[str]
) -> None:
    config, reference = config_and_reference
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20261128")))
    killed = 0
    for _attempt in range(KILLS + 3):
        start = _captures(archive)
        target = start + rng.randint(1, 25)
        proc = _start_run(archive, config)
        while proc.is_alive() and _captures(archive) < target:
            time.sleep(0.01)
        if proc.is_alive() and killed < KILLS:
            proc.kill()  # SIGKILL
            proc.join()
            assert proc.exitcode == -signal.SIGKILL
            killed += 1
            code, _out, err = run_cli(capsys, archive, "verify", "--quiet")
            assert code == 0, err
            continue
        proc.join(timeout=120)
        assert proc.exitcode == 0  # the rerun completes (and found the lock free: not 75)
        break
    assert killed == KILLS
    assert archive_state(archive) == reference
    code, _out, err = run_cli(capsys, archive, "verify", "--quiet")
    assert code == 0, err
    with archive.engine.connect() as conn:
        statuses = conn.execute(select(T_RUN.c.status).order_by(T_RUN.c.id)).scalars().all()
    assert statuses == ["interrupted"] * KILLS + ["complete"]

    # once more, killed after its collect, while analyzing or building the report
    log, site = archive.location.directory / "run.jsonl", archive.location.directory / "site"
    proc = _start_run(archive, config, "--log-file", str(log), "--site", str(site))
    while proc.is_alive() and '"collect.done"' not in (log.read_text() if log.exists() else ""):
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 0.15))
    proc.kill()
    proc.join()
    assert proc.exitcode == -signal.SIGKILL  # it was still analyzing or building the report
    code, _out, err = run_cli(capsys, archive, "verify", "--quiet")
    assert code == 0, err
    proc = _start_run(archive, config, "--log-file", str(log), "--site", str(site))
    proc.join(timeout=120)
    assert proc.exitcode == 0 and (site / "index.html").exists()
    assert archive_state(archive) == reference
