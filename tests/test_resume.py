"""Progress that persists: under the harsh fault mix (15% rate limits, 10% server errors, 5%
malformed bodies, a 5-second wait budget) an incomplete Bluesky source resumes its sub-fetches
where the last run stopped, so the archive converges to the fault-free collection in a bounded
number of runs (it used to restart every source from the beginning and never converge)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from archiver.archive import open_archive
from archiver.collect import run_collect
from archiver.config import Secrets
from archiver.resume import T_PROGRESS, streak_done
from archiver.sandbox.config import sandbox_config
from archiver.sandbox.faults import parse_faults
from archiver.sandbox.server import SandboxServer
from tests.test_ops_faults_collect import archive_state

MIX = "rate_limit=0.15,server_error=0.10,malformed=0.05,reset_header_missing=0.5"
NO_SECRETS = Secrets()
MAX_RUNS = 20  # bench/converge_faults.py measured 5-15 runs (docs/operations.md)


def test_harsh_faults_converge_within_a_bounded_number_of_runs(tmp_path: Path) -> None:
    with SandboxServer() as clean:
        config = sandbox_config(clean.base_url, timeout_seconds=2.0, max_wait_seconds=5.0)
        ref = open_archive(tmp_path / "ref", None, create=True)
        assert run_collect(ref.store(False), config, config.sources, NO_SECRETS,
                           sleep=lambda _s: None).status == "complete"
        reference = archive_state(ref)
        ref.close()
    plan = parse_faults(f"{MIX},seed=3")
    archive = open_archive(tmp_path / "faulted", None, create=True)
    try:
        with SandboxServer(fault_hook=plan) as sandbox:
            config = sandbox_config(sandbox.base_url, timeout_seconds=2.0, max_wait_seconds=5.0)
            resumed = 0
            for _run in range(MAX_RUNS):
                before = {s.name: streak_done(archive.engine, s.name) for s in config.sources}
                resumed += sum(bool(done) for done in before.values())
                run_collect(archive.store(False), config, config.sources, NO_SECRETS, sleep=lambda _s: None)
                if archive_state(archive) == reference:
                    break
            else:
                raise AssertionError(f"not converged within {MAX_RUNS} runs")
        assert resumed > 0  # some run really resumed an unfinished streak
        with archive.engine.connect() as conn:
            steps = set(conn.execute(select(T_PROGRESS.c.step)).scalars())
        assert {"feed", "quotes"} <= steps
    finally:
        archive.close()
