"""Amplification between tracked accounts: counts, latencies, first/last, and what is left out."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from analysis.amplification import amplification
from analysis.analyze import run_cascades
from analysis.cascade_summary import describe, load_amplification
from analysis.post_table import KIND_CODES, NONE, PostTable
from archiver.archive import Archive
from archiver.cli import app
from archiver.collectors.records import AccountRecord, Follow
from archiver.tables import T_ACCOUNT, T_AMPLIFICATION
from tests.cascade_pages import T0, X_ACCOUNTS, build, ingest, post

VP = AccountRecord("x", "400", "vp", "Vice President", tracked=True)


def officials_scenario(archive: Archive) -> None:
    """On top of cascade_pages: secstate quotes potus twice more, potus answers secstate once,
    potus threads onto his own post, vp retweets potus before secstate does, and secstate follows vp."""
    build(archive)
    a = X_ACCOUNTS
    ingest(archive, [
        post(a["potus"], "2000", 100),
        post(VP, "2001", 101, "repost", reposted_id="2000"),
        post(a["secstate"], "2002", 103, "repost", reposted_id="2000"),
        post(a["secstate"], "2003", 130, "quote", quoted_id="2000"),
        post(a["secstate"], "2004", 400, "quote", quoted_id="1000"),
        post(a["potus"], "2005", 140, "reply", replied_to_id="2003", thread_root_id="2000"),
        post(a["potus"], "2006", 150, "reply", replied_to_id="2000", thread_root_id="2000"),
    ], [Follow("x", "200", "400")])


def test_amplification_pairs_counts_and_latencies(archive: Archive) -> None:
    officials_scenario(archive)
    run_cascades(archive.engine)
    rows = {(r["source_handle"], r["target_handle"], r["kind"]): r for r in load_amplification(archive.engine)}
    assert set(rows) == {
        ("secstate", "potus", "repost"), ("secstate", "potus", "quote"), ("vp", "potus", "repost"),
        ("potus", "secstate", "reply"), ("fm.example", "pres.example", "repost"),
    }
    reposts = rows[("secstate", "potus", "repost")]
    # 1001 five minutes after 1000; 2002 three minutes after 2000 (its inferred parent is vp's 2001,
    # but amplification counts the post the platform says was reposted)
    assert reposts["count"] == 2
    assert reposts["median_latency_s"] == pytest.approx(240.0)
    assert reposts["min_latency_s"] == pytest.approx(180.0)
    assert reposts["first_at"] == T0 + timedelta(minutes=5)
    assert reposts["last_at"] == T0 + timedelta(minutes=103)
    quotes = rows[("secstate", "potus", "quote")]
    assert (quotes["count"], quotes["median_latency_s"]) == (2, pytest.approx((30 * 60 + 400 * 60) / 2))
    assert rows[("potus", "secstate", "reply")]["min_latency_s"] == pytest.approx(600.0)
    assert rows[("fm.example", "pres.example", "repost")]["median_latency_s"] == pytest.approx(120.0)
    lines = describe(archive.engine)
    assert "  @secstate reposted @potus 2x (x), median 4 min after the post, fastest 3 min" in lines


def test_amplification_is_rebuilt_each_run(archive: Archive) -> None:
    officials_scenario(archive)
    run_cascades(archive.engine)
    ingest(archive, [post(VP, "2007", 500, "quote", quoted_id="1000")])
    second = run_cascades(archive.engine)
    with archive.engine.connect() as conn:
        vp = conn.execute(select(T_ACCOUNT.c.id).where(T_ACCOUNT.c.handle == "vp")).scalar_one()
        kinds = conn.execute(select(T_AMPLIFICATION.c.kind, T_AMPLIFICATION.c.analysis_run_id)
                             .where(T_AMPLIFICATION.c.source_account_id == vp)).all()
    assert sorted(kinds) == [("quote", second.analysis_run_id), ("repost", second.analysis_run_id)]


def test_pure_function_leaves_out_untracked_self_and_missing() -> None:
    table = PostTable()
    x = table.platform_code("x")
    table.tracked = {1, 2}
    rows = [  # id, kind, account, created, reposted, quoted, replied
        (1, "post", 1, 0.0, NONE, NONE, NONE),
        (2, "repost", 2, 60.0, 0, NONE, NONE),      # tracked 2 reposts tracked 1
        (3, "reply", 1, 90.0, NONE, NONE, 0),       # 1 answers itself: a thread, not amplification
        (4, "repost", 3, 100.0, 0, NONE, NONE),     # untracked account 3
        (5, "quote", 2, 200.0, NONE, -2, NONE),     # quoted post not archived (MISSING)
        (6, "quote", 2, 300.0, NONE, 0, NONE),      # 2 quotes 1
    ]
    for post_id, kind, account, created, reposted, quoted, replied in rows:
        table.add_row(post_id, x, KIND_CODES[kind], account, created, reposted=reposted, quoted=quoted,
                      replied=replied)
    result = {(r.source_account_id, r.target_account_id, r.kind): r for r in amplification(table)}
    assert set(result) == {(2, 1, "repost"), (2, 1, "quote")}
    assert (result[(2, 1, "repost")].count, result[(2, 1, "repost")].median_latency_s) == (1, 60.0)
    assert (result[(2, 1, "quote")].first_at, result[(2, 1, "quote")].last_at) == (300.0, 300.0)


def test_export_amplification_csv(archive: Archive, tmp_path: Path) -> None:
    officials_scenario(archive)
    run_cascades(archive.engine)
    out = tmp_path / "amp.csv"
    location = ["--archive", str(archive.location.directory), "--db", archive.location.db_url]
    result = CliRunner().invoke(app, ["export", "amplification", "--out", str(out), *location])
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5
    first = rows[0]
    # most frequent first, then by handles and kind: secstate's two quotes of potus
    assert (first["source_handle"], first["target_handle"], first["kind"], first["count"]) == (
        "secstate", "potus", "quote", "2")
    assert first["source_id"] == "200" and first["first_at"] == "2025-03-16T14:10:00+00:00"
