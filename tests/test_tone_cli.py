"""``archiver tone ...`` and the tone step of ``archiver analyze``, through the real command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from analysis.analyze import STEPS
from archiver.archive import open_archive
from tests.factories import account, page, post


def archiver(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True,
                          timeout=120)


def _archive(tmp_path: Path) -> Path:
    target = tmp_path / "arch"
    handle = open_archive(target, create=True)
    spanish = post(pid="1900000000000000002", text="Un acuerdo vergonzoso", author=account(1, "president"))
    spanish.lang = "es"
    handle.store(fetch_media=False).ingest(page(post(text="Oopsie... Too late 😂"), spanish))
    handle.close()
    return target


def test_tone_run_show_and_coverage(tmp_path: Path) -> None:
    target = str(_archive(tmp_path))
    ran = archiver("tone", "run", "--archive", target, "--json")
    assert ran.returncode == 0, ran.stderr
    result = orjson.loads(ran.stdout)
    assert (result["analysed"], result["already"]) == (2, 0)
    assert result["coverage"] == {"total": 2, "scored": 1, "share": 0.5,
                                  "reasons": {"low_confidence:es": 1}}

    shown = archiver("tone", "show", "https://x.com/user1/status/1900000000000000001", "--archive", target)
    assert shown.returncode == 0, shown.stderr
    assert "POSSIBLE IRONY" in shown.stdout and "textblob:  -0.300" in shown.stdout
    spanish = archiver("tone", "show", "1900000000000000002", "--archive", target, "--json")
    shown_es = orjson.loads(spanish.stdout)
    assert shown_es["abstain_reason"] == "low_confidence:es" and shown_es["score"] is None
    assert shown_es["lang"] == "es" and 0 < shown_es["confidence"] < 1.1 and "es:evomsa" in shown_es["analyzer_version"]
    text = archiver("tone", "show", "1900000000000000002", "--archive", target).stdout
    assert "no score: low_confidence:es (es by platform, confidence 0.41, bar 1.1)" in text
    assert "language: es (by platform)" in text and "evomsa:    +0.405" in text and "analyzer:  r1+" in text


def test_unknown_post_is_a_one_line_error(tmp_path: Path) -> None:
    result = archiver("tone", "show", "nope", "--archive", str(_archive(tmp_path)))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "POST 'nope': no such post" in result.stderr


def test_analyze_runs_tone_incrementally(tmp_path: Path) -> None:
    assert "tone" in [name for name, _ in STEPS]
    handle = open_archive(_archive(tmp_path), create=False)
    try:
        step = dict(STEPS)["tone"]
        first = step(handle.engine, False)
        assert (first.analysed, first.already) == (2, 0) and first.coverage.scored == 1
        second = step(handle.engine, False)
        assert (second.analysed, second.already) == (0, 2)
        assert second.analysis_run_id > first.analysis_run_id
        assert second.line().startswith("tone: 0 contents scored or abstained, 2 already done; 1 of 2 posts "
                                      "scored (50.0%); not scored: low_confidence:es 1 (analyzer r")
    finally:
        handle.close()
