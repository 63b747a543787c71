"""Collecting through injected faults (real tweepy and atproto against the sandbox).

Under faults a collect either completes or reports the source incomplete, marks nothing deleted
that the platform did not delete, and waits within its budget; a later fault-free run then
fills every gap, so the archive ends equal (same posts, same versions by content hash, same
statuses) to one collected without faults.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from archiver.archive import Archive, open_archive
from archiver.collect import RunOutcome, run_collect
from archiver.config import Config, Secrets
from archiver.sandbox.config import sandbox_config
from archiver.sandbox.faults import FaultPlan, parse_faults
from archiver.sandbox.server import SandboxServer
from archiver.tables import T_COVERAGE, T_POST, T_SNAPSHOT

NO_SECRETS = Secrets()
MAX_WAIT = 60.0  # per source and run, as sandbox_config sets it
FAULTS = "rate_limit=0.2,server_error=0.12,timeout=0.02,malformed=0.04,reset_header_missing=0.5,stall=2"

State = dict[tuple[str, str], tuple[str, tuple[str, ...]]]


def archive_state(archive: Archive) -> State:
    """Per post: its status and its versions' content hashes in order (what 'equal' means here)."""
    with archive.engine.connect() as conn:
        posts = {row.id: (row.platform, row.platform_id, row.status) for row in conn.execute(
            select(T_POST.c.id, T_POST.c.platform, T_POST.c.platform_id, T_POST.c.status))}
        versions: dict[int, list[str]] = {}
        for post_id, digest in conn.execute(
                select(T_SNAPSHOT.c.post_id, T_SNAPSHOT.c.content_sha256).order_by(T_SNAPSHOT.c.version)):
            versions.setdefault(post_id, []).append(digest)
    return {(p, pid): (status, tuple(versions.get(i, []))) for i, (p, pid, status) in posts.items()}


def collect(archive: Archive, config: Config, waits: list[float] | None = None) -> RunOutcome:
    sleeps = waits if waits is not None else []
    return run_collect(archive.store(config.media), config, config.sources, NO_SECRETS, sleep=sleeps.append)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[State, State, int]]:
    """Fault-free collection after step 1 and after step 2, and the requests step 1 needed."""
    with SandboxServer() as sandbox:
        config = sandbox_config(sandbox.base_url, timeout_seconds=0.5)
        archive = open_archive(tmp_path_factory.mktemp("ref") / "archive", None, create=True)
        assert collect(archive, config).status == "complete"
        first, requests = archive_state(archive), len(sandbox.requests)
        sandbox.set_step(2)
        assert collect(archive, config).status == "complete"
        yield first, archive_state(archive), requests
        archive.close()


def _check_faulted_run(archive: Archive, outcome: RunOutcome, waits: list[float], config: Config) -> None:
    with archive.engine.connect() as conn:
        coverage = {r.source: r for r in conn.execute(select(T_COVERAGE).where(T_COVERAGE.c.run_id == outcome.run_id))}
    assert set(coverage) == {s.name for s in config.sources}
    for source in outcome.sources:  # complete, or incomplete with a reason, never silently short
        row = coverage[source.source]
        assert row.complete == source.complete and row.ended_at is not None
        if not source.complete:
            assert source.problem and row.reason and row.detail
    # retries are bounded: no single wait beyond the budget, and the total within every source's budget
    assert all(0 <= w <= MAX_WAIT for w in waits)
    assert sum(waits) <= MAX_WAIT * len(config.sources)


def test_faults_then_a_clean_run_end_equal_to_a_fault_free_archive(
    archive: Archive, reference: tuple[State, State, int]
) -> None:
    ref_step1, ref_step2, ref_requests = reference
    plan: FaultPlan = parse_faults(f"{FAULTS},seed=11")
    incomplete = 0
    with SandboxServer(fault_hook=plan) as sandbox:
        config = sandbox_config(sandbox.base_url, timeout_seconds=0.5)
        for step, ref in ((1, ref_step1), (2, ref_step2)):
            sandbox.set_step(step)
            plan.rate_limit, plan.server_error, plan.timeout, plan.malformed = 0.2, 0.12, 0.02, 0.04
            waits: list[float] = []
            before = len(sandbox.requests)
            outcome = collect(archive, config, waits)
            _check_faulted_run(archive, outcome, waits, config)
            incomplete += sum(not s.complete for s in outcome.sources)
            assert len(sandbox.requests) - before < 4 * ref_requests  # bounded in count
            faulted = archive_state(archive)
            # nothing is marked deleted (or unavailable) unless the fault-free archive says so too
            for key, (status, _versions) in faulted.items():
                assert status == "live" or ref[key][0] == status, key
            # and no version exists that a fault-free collection would not have
            for key, (_status, versions) in faulted.items():
                assert set(versions) <= set(ref[key][1]), key

            plan.rate_limit = plan.server_error = plan.timeout = plan.malformed = 0.0
            assert collect(archive, config).status == "complete"
            assert archive_state(archive) == ref
    assert sum(plan.injected.values()) > 20 and incomplete >= 2  # the faults really happened and left gaps
