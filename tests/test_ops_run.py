"""``archiver run`` as cron sees it: exit codes, silence under --quiet, JSON-lines logs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from archiver.app.run import RunOptions, parse_every, run_scheduled
from archiver.archive import Archive
from archiver.errors import BadInputError
from archiver.ops import logging as oplog
from archiver.ops.coverage import coverage_gaps
from archiver.sandbox.config import sandbox_config_toml
from archiver.sandbox.server import SandboxServer
from tests.fixtures_gen.run import run_cli


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


def _events(stderr: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def _config(tmp_path: Path, sandbox: SandboxServer, extra: str = "") -> Path:
    path = tmp_path / "archiver.toml"
    path.write_text(sandbox_config_toml(sandbox.base_url) + extra)
    return path


def test_complete_run_collects_analyzes_reports_and_logs_json(
    archive: Archive, sandbox: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, sandbox)
    log_file = tmp_path / "logs" / "run.jsonl"
    code, out, err = run_cli(capsys, archive, "run", "--config", str(config), "--log-file", str(log_file),
                             "--site", str(tmp_path / "site"), "--every", "1h")
    events = _events(err)
    names = [e["event"] for e in events]
    assert code == 0, err
    assert names[0] == "run.start" and names[-1] == "run.done" and events[-1]["exit_code"] == 0
    assert names.count("source.done") == 12 and all(e["complete"] for e in events if e["event"] == "source.done")
    assert {"collect.done", "analyze.done", "report.done"} <= set(names)
    assert (tmp_path / "site" / "index.html").exists()
    assert all(e["ts"].endswith("Z") and e["level"] in ("info", "warning", "error") for e in events)  # type: ignore[union-attr]
    assert [orjson.loads(line)["event"] for line in log_file.read_text().splitlines()] == names

    # a second run under --quiet: nothing at all on a good night
    code, out, err = run_cli(capsys, archive, "run", "--config", str(config), "--quiet", "--no-report")
    assert (code, out, err) == (0, "", "")
    assert coverage_gaps(archive.engine) == []


def test_partial_run_exits_3_and_quiet_prints_only_the_problem(
    archive: Archive, sandbox: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, sandbox, '\n[[sources]]\nname = "x:ghost"\nplatform = "x"\naccount = "nobody_here_42"\n')
    code, out, err = run_cli(capsys, archive, "run", "--config", str(config), "--quiet", "--no-analyze",
                             "--no-report", "--source", "x:ghost", "--source", "x:rubio")
    assert code == 3 and out == ""
    events = _events(err)
    assert [e["event"] for e in events] == ["source.done", "collect.done", "run.done"]
    assert events[0]["source"] == "x:ghost" and events[0]["complete"] is False and events[0]["problem"]
    assert events[-1]["exit_code"] == 3 and all(e["level"] == "warning" for e in events)
    assert any("x:ghost" in line for line in coverage_gaps(archive.engine))


def test_bad_config_exits_2_with_one_line(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "archiver.toml"
    config.write_text('[[sources]]\nplatform = "myspace"\naccount = "a"\n')
    code, out, err = run_cli(capsys, archive, "run", "--config", str(config), "--quiet")
    assert code == 2 and out == ""
    errors = [line for line in err.splitlines() if line.startswith("archiver: error:")]
    assert len(errors) == 1 and "sources[0].platform" in errors[0]


def test_failed_collect_exits_1(archive: Archive, tmp_path: Path) -> None:
    config = tmp_path / "archiver.toml"
    config.write_text('[[sources]]\nplatform = "x"\naccount = "a"\n[platforms.x]\nbase_url = "http://127.0.0.1:9"\n')
    waits: list[float] = []
    oplog.configure(quiet=True)
    try:
        code = run_scheduled(RunOptions(config_path=config, archive=archive.location.directory,
                                        db=None if archive.location.is_sqlite else archive.location.db_url,
                                        analyze=False, report=False), sleep=waits.append)
    finally:
        oplog.close()
    assert code == 1


def test_every_parses_durations() -> None:
    assert parse_every("90m").total_seconds() == 5400 and parse_every("1d").total_seconds() == 86400
    with pytest.raises(BadInputError, match="--every"):
        parse_every("soon")
