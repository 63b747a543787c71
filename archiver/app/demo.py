"""``archiver demo``: the whole pipeline on the bundled illustrative scenario, offline.

It starts the sandbox on a free loopback port, collects scenario step 1 into ``<out>/archive``,
advances the sandbox to step 2 (an edit, two deletions, a rename, new reposts and quotes),
collects again, then analyses, verifies and builds the report, printing what a newcomer should
notice at each stage.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from analysis.results import StepSummary
from archiver.archive import Archive, open_archive
from archiver.collect import RunOutcome, run_collect
from archiver.config import Secrets
from archiver.errors import BadInputError
from archiver.queries import archive_summary
from archiver.sandbox.config import sandbox_config
from archiver.sandbox.scenario import SYNTHETIC_NOTICE
from archiver.sandbox.server import SandboxServer
from archiver.tables import T_META
from archiver.verify import verify_archive

Say = Callable[[str], None]


@dataclass
class DemoResult:
    archive_dir: Path
    runs: list[RunOutcome] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    analysis: dict[str, StepSummary] = field(default_factory=dict)
    verified: bool = False
    report_index: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "notice": SYNTHETIC_NOTICE,
            "archive": str(self.archive_dir),
            "runs": [{"id": r.run_id, "status": r.status, **r.result.as_dict()} for r in self.runs],
            "summary": self.summary,
            "analysis": {name: summary.as_dict() for name, summary in self.analysis.items()},
            "verified": self.verified,
            "report_index": str(self.report_index) if self.report_index else None,
        }


def _prepare(out: Path) -> Path:
    """A fresh ``<out>/archive``; an earlier demo archive is replaced, anything else is refused."""
    archive_dir = out / "archive"
    if archive_dir.exists():
        db = archive_dir / "archive.db"
        if not db.exists() or not _is_sample_archive(archive_dir):
            raise BadInputError(f"{archive_dir} exists and is not a demo archive; choose another --out")
        shutil.rmtree(archive_dir)
    return archive_dir


def _is_sample_archive(archive_dir: Path) -> bool:
    try:
        handle = open_archive(archive_dir, f"sqlite:///{(archive_dir / 'archive.db').resolve()}")
    except Exception:
        return False
    with handle, handle.engine.connect() as conn:
        value = conn.execute(select(T_META.c.value).where(T_META.c.key == "sample_data")).scalar()
    return value == "1"


def run_demo(out: Path, say: Say, build_report: bool = True) -> DemoResult:
    archive_dir = _prepare(out)
    handle = open_archive(archive_dir, f"sqlite:///{(archive_dir / 'archive.db').resolve()}", create=True)
    result = DemoResult(archive_dir=archive_dir)
    say(f"NOTE: {SYNTHETIC_NOTICE}")
    with handle:
        with SandboxServer(port=0) as sandbox:
            say(f"sandbox on {sandbox.base_url}; archive at {archive_dir}")
            config = sandbox_config(sandbox.base_url)
            store = handle.store(fetch_media=True)
            no_secrets = Secrets()
            for step in (1, 2):
                sandbox.set_step(step)
                outcome = run_collect(store, config, config.sources, no_secrets)
                result.runs.append(outcome)
                r = outcome.result
                say(f"step {step}: run {outcome.run_id} {outcome.status}: {r.new_posts} new posts, "
                    f"{r.new_snapshots} new snapshots ({r.edits} edits), "
                    f"{r.status_changes.get('deleted', 0)} deletions, {r.renames} renames")
                for source in outcome.sources:
                    if not source.complete:
                        say(f"  {source.source}: INCOMPLETE: {source.problem}")
        result.analysis = _analyse(handle, say)
        report = verify_archive(handle.engine, handle.media_dir)
        result.verified = report.ok
        say(f"verify: {'OK' if report.ok else 'FAILED'} ({report.checked['captures']} captures, "
            f"{report.checked['snapshots']} snapshots, {report.checked['cids']} Bluesky CIDs, "
            f"{report.checked['media']} media files re-hashed)")
        result.summary = archive_summary(handle.engine)
        _say_summary(result.summary, say)
        if build_report:
            result.report_index = _report(handle, out / "report", say)
    return result


def _say_summary(s: dict[str, Any], say: Say) -> None:
    say("summary:")
    say(f"  accounts          {s['accounts']} ({s['tracked_accounts']} tracked officials)")
    say(f"  posts             {s['posts']}")
    say(f"  snapshots         {s['snapshots']}")
    say(f"  edited posts      {s['edited_posts']}")
    say(f"  deletions         {s['deleted_posts']} detected")
    say(f"  handle renames    {s['handle_renames']}")
    say(f"  media files       {s['media_files']}")
    say(f"  CIDs verified     {s['cids_verified']} (failed: {s['cids_failed']})")


def _analyse(handle: Archive, say: Say) -> dict[str, StepSummary]:
    from archiver.app.demo_analysis import analyse_for_demo

    return analyse_for_demo(handle, say)


def _report(handle: Archive, out: Path, say: Say) -> Path | None:
    from reports.build import build_site

    built = build_site(handle.engine, handle.media_dir, out)
    index = Path(built.index_path)
    say(f"report: open {index.resolve()}")
    return index
