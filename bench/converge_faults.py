"""How many runs does an archive need to converge under harsh faults?

The fault mix of the issue that found the problem: 15% rate limits, 10% server errors, 5% malformed
bodies, a 5-second wait budget per source and run. Each round is one `run_collect` of every sandbox
source against the faulted sandbox; the archive has converged when it equals a fault-free
collection (same posts, same versions by content hash, same statuses). Waits are counted against
the budget but not slept, so the figure does not depend on the machine.

    .venv/bin/python bench/converge_faults.py [--seeds 1,2,3] [--max-runs 30]

Prints, per seed, the number of runs until convergence (or "not within N"), and how many sources
were still incomplete after each run. The figure goes in docs/operations.md.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from archiver.archive import open_archive
from archiver.collect import run_collect
from archiver.config import Secrets
from archiver.sandbox.config import sandbox_config
from archiver.sandbox.faults import parse_faults
from archiver.sandbox.server import SandboxServer
from tests.test_ops_faults_collect import archive_state

MIX = "rate_limit=0.15,server_error=0.10,malformed=0.05,reset_header_missing=0.5"
BUDGET = 5.0
NO_SECRETS = Secrets()


def converge(seed: int, max_runs: int, workdir: Path) -> tuple[int | None, list[int]]:
    with SandboxServer() as clean:
        config = sandbox_config(clean.base_url, timeout_seconds=2.0, max_wait_seconds=BUDGET)
        ref = open_archive(workdir / f"ref-{seed}", None, create=True)
        assert run_collect(ref.store(False), config, config.sources, NO_SECRETS,
                           sleep=lambda _s: None).status == "complete"
        reference = archive_state(ref)
        ref.close()
    plan = parse_faults(f"{MIX},seed={seed}")
    incomplete: list[int] = []
    with SandboxServer(fault_hook=plan) as sandbox:
        config = sandbox_config(sandbox.base_url, timeout_seconds=2.0, max_wait_seconds=BUDGET)
        archive = open_archive(workdir / f"faulted-{seed}", None, create=True)
        try:
            for run in range(1, max_runs + 1):
                outcome = run_collect(archive.store(False), config, config.sources, NO_SECRETS,
                                      sleep=lambda _s: None)
                incomplete.append(sum(not s.complete for s in outcome.sources))
                if archive_state(archive) == reference:
                    return run, incomplete
        finally:
            archive.close()
    return None, incomplete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--max-runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            runs, incomplete = converge(seed, args.max_runs, Path(tmp))
            verdict = f"converged after {runs} runs" if runs else f"not within {args.max_runs} runs"
            print(f"seed {seed}: {verdict}; incomplete sources per run: {incomplete}", flush=True)


if __name__ == "__main__":
    main()
