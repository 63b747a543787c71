"""The scenario archive the report tests read, built through the real path (no test functions here).

SandboxServer on 127.0.0.1 + ``run_collect`` with the real tweepy and atproto collectors, scenario
steps 1 and 2 (an edit, two deletions, a rename), then ``archiver analyze`` and ``archiver verify``:
the same archive a user gets from ``archiver demo``. Built once per test session (``scenario_archive``)
and shared by test_report_build.py and test_browser.py, which only read it (tests that change an
archive change a copy).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from archiver.archive import Archive, open_archive
from archiver.collect import run_collect
from archiver.config import Secrets
from archiver.sandbox.config import sandbox_config
from archiver.sandbox.server import SandboxServer
from archiver.verify import verify_archive

# A credential the collectors are handed; the built site must never contain it.
FAKE_TOKEN = "report-test-bearer-7f3a9c0e"


def build_scenario_archive(directory: Path) -> Archive:
    from analysis.analyze import run_analysis

    handle = open_archive(directory, None, create=True)
    with SandboxServer(port=0) as sandbox:
        config = sandbox_config(sandbox.base_url)
        store = handle.store(fetch_media=True)
        for step in (1, 2):
            sandbox.set_step(step)
            outcome = run_collect(store, config, config.sources, Secrets({"X_BEARER_TOKEN": FAKE_TOKEN}))
            assert outcome.status == "complete", outcome
    run_analysis(handle.engine)
    assert verify_archive(handle.engine, handle.media_dir).ok
    return handle


_SHARED: dict[str, Archive] = {}


def scenario_archive() -> Archive:
    """The scenario archive, built on first use in this test session and removed at exit."""
    if "archive" not in _SHARED:
        directory = Path(tempfile.mkdtemp(prefix="report-scenario-"))
        atexit.register(shutil.rmtree, directory, True)
        _SHARED["archive"] = build_scenario_archive(directory / "archive")
    return _SHARED["archive"]
