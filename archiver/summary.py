"""Human-readable summaries of runs, printed by collect and run."""

from __future__ import annotations

import sys

from archiver.collect import RunOutcome
from archiver.terminal import clean


def print_run(outcome: RunOutcome, quiet: bool = False) -> None:
    out = sys.stderr if quiet else sys.stdout
    r = outcome.result
    if not quiet:
        deleted = r.status_changes.get("deleted", 0)
        print(f"run {outcome.run_id}: {outcome.status}; {r.new_posts} new posts, {r.new_snapshots} new snapshots "
              f"({r.edits} edits), {r.sightings} sightings, {deleted} deletions, {r.renames} renames, "
              f"{r.media_stored} media", file=out)
    for source in outcome.sources:
        if not source.complete or not quiet:
            state = "complete" if source.complete else "INCOMPLETE"
            detail = f": {source.problem}" if source.problem else ""
            print(clean(f"  {source.source}: {state}, {source.pages} pages, {source.posts} posts{detail}"), file=out)
