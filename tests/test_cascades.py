"""Reshare edges and cascades on an archive built through Store.ingest (see cascade_pages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from analysis.analyze import run_cascades
from analysis.cascades import load_cascade_tree
from archiver.archive import Archive
from archiver.cli import app
from archiver.tables import T_ANALYSIS_RUN, T_CASCADE, T_EDGE, T_FOLLOW, T_POST
from tests.cascade_pages import BSKY_ACCOUNTS, GONE, R1, R2, R3, T0, X_ACCOUNTS, P, Q, build, ingest, post


def edges_by_platform_id(archive: Archive) -> dict[str, tuple[str, str, str, str]]:
    """child platform id -> (parent platform id, kind, provenance, root platform id)."""
    child, parent, root = T_POST.alias("c"), T_POST.alias("p"), T_POST.alias("r")
    query = (select(child.c.platform_id, parent.c.platform_id, T_EDGE.c.kind, T_EDGE.c.provenance,
                    root.c.platform_id)
             .join(child, child.c.id == T_EDGE.c.child_post_id)
             .join(parent, parent.c.id == T_EDGE.c.parent_post_id)
             .join(root, root.c.id == T_EDGE.c.root_post_id))
    with archive.engine.connect() as conn:
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in conn.execute(query)}


def cascades_by_root(archive: Archive) -> dict[str, dict[str, Any]]:
    query = select(T_POST.c.platform_id, T_CASCADE).join(T_POST, T_POST.c.id == T_CASCADE.c.root_post_id)
    with archive.engine.connect() as conn:
        return {r["platform_id"]: dict(r) for r in conn.execute(query).mappings()}


def test_provenance_labels_on_mixed_platform_data(archive: Archive) -> None:
    build(archive)
    summary = run_cascades(archive.engine)
    assert edges_by_platform_id(archive) == {
        "1001": ("1000", "repost", "root_default", "1000"),
        "1002": ("1000", "repost", "root_default", "1000"),
        "1003": ("1002", "repost", "inferred", "1000"),  # u2 follows u1 (t+10) and secstate (t+5)
        "1004": ("1000", "quote", "exact", "1000"),
        "1005": ("1004", "reply", "exact", "1000"),
        "1101": ("1100", "reply", "exact", "1100"),
        R1: (P, "repost", "root_default", P),
        R2: (R1, "repost", "exact", P),  # via names the repost it was seen through
        R3: (P, "repost", "root_default", P),  # its via is not archived
        Q: (P, "quote", "exact", P),
    }
    assert summary.edges == {"exact": 5, "inferred": 1, "root_default": 4}
    assert summary.unplaced == 2  # 1007 (retweet of an unarchived post), 1100 (quote of one)
    assert summary.missing_parents == 2  # 1006 (reply, thread root 1000) and R3's via

    cascades = cascades_by_root(archive)
    assert set(cascades) == {"1000", "1100", P}
    x = cascades["1000"]
    assert (x["size_posts"], x["size_accounts"], x["depth"], x["max_breadth"]) == (6, 6, 2, 3)
    assert (x["reposts"], x["quotes"], x["replies"], x["missing_parents"]) == (3, 1, 1, 1)
    assert (x["exact_edges"], x["inferred_edges"], x["root_default_edges"]) == (2, 1, 2)
    assert x["depth_is_lower_bound"] and x["virality_is_lower_bound"] and x["size_is_lower_bound"]
    assert x["time_to_first_reshare_s"] == 300.0
    assert x["median_latency_s"] == 1200.0  # 5, 10, 20, 30, 40 minutes
    assert orjson.loads(x["time_to_depth"]) == [300.0, 1200.0]  # 1003 at depth 2 comes before 1005
    assert orjson.loads(x["by_platform"]) == {"x": 6}
    assert x["analyzer_version"] == summary.version
    # edges 1000-1001, 1000-1002, 1002-1003, 1000-1004, 1004-1005: subtree sizes 1, 2, 1, 2, 1 of n=6
    assert x["structural_virality"] == pytest.approx((5 + 8 + 5 + 8 + 5) / 15)
    bsky = cascades[P]
    assert (bsky["size_posts"], bsky["depth"], bsky["missing_parents"]) == (5, 2, 1)
    assert orjson.loads(bsky["by_platform"]) == {"bluesky": 5}
    exact_only = cascades["1100"]
    assert not exact_only["depth_is_lower_bound"] and not exact_only["size_is_lower_bound"]


def test_results_do_not_depend_on_ingest_order(archive: Archive, tmp_path: Path) -> None:
    """The same posts stored one page each in reverse order (so post ids run backwards, and
    children are stored before their parents) give the same edges and the same measures."""
    from archiver.archive import open_archive
    from tests.cascade_pages import U2_FOLLOWS, bluesky_posts, x_posts

    build(archive)
    run_cascades(archive.engine)
    other = open_archive(tmp_path / "reversed", None, create=True)
    try:
        posts = [*x_posts(), *bluesky_posts()]
        ingest(other, [], U2_FOLLOWS)
        for record in reversed(posts):
            ingest(other, [record])
        run_cascades(other.engine)
        assert edges_by_platform_id(other) == edges_by_platform_id(archive)
        ignored = {"root_post_id", "root_account_id", "analysis_run_id", "computed_at", "fingerprint"}
        expected = {k: {c: v for c, v in row.items() if c not in ignored}
                    for k, row in cascades_by_root(archive).items()}
        got = {k: {c: v for c, v in row.items() if c not in ignored} for k, row in cascades_by_root(other).items()}
        assert got == expected
    finally:
        other.close()


def test_without_follows_every_retweet_attaches_to_the_original(archive: Archive) -> None:
    build(archive, follows=False)
    summary = run_cascades(archive.engine)
    assert edges_by_platform_id(archive)["1003"] == ("1000", "repost", "root_default", "1000")
    assert summary.edges.get("inferred", 0) == 0


def test_incremental_run_touches_only_changed_cascades(archive: Archive) -> None:
    build(archive)
    first = run_cascades(archive.engine)
    assert (first.recomputed, first.unchanged, first.removed) == (3, 0, 0)
    again = run_cascades(archive.engine)
    assert (again.recomputed, again.unchanged, again.removed) == (0, 3, 0)
    before = cascades_by_root(archive)

    # one new Bluesky repost: only that cascade is measured again
    ingest(archive, [post(BSKY_ACCOUNTS["b1"], "at://did:plc:b1/app.bsky.feed.repost/r9", 30, "repost",
                          reposted_id=P, via_id=R2)])
    third = run_cascades(archive.engine)
    assert (third.recomputed, third.unchanged, third.removed) == (1, 2, 0)
    after = cascades_by_root(archive)
    assert after[P]["size_posts"] == 6 and after[P]["depth"] == 3
    assert after[P]["analysis_run_id"] == third.analysis_run_id != before[P]["analysis_run_id"]
    for root in ("1000", "1100"):
        assert after[root] == before[root]

    # the post 1100 quoted arrives: 1100's cascade becomes part of 1099's; 1000 stays untouched
    ingest(archive, [post(X_ACCOUNTS["potus"], "1099", -60)])
    fourth = run_cascades(archive.engine)
    assert (fourth.recomputed, fourth.unchanged, fourth.removed) == (1, 2, 1)
    final = cascades_by_root(archive)
    assert set(final) == {"1000", "1099", P}
    assert final["1099"]["size_posts"] == 3 and final["1000"] == before["1000"]
    assert edges_by_platform_id(archive)["1100"] == ("1099", "quote", "exact", "1099")
    assert fourth.unplaced == 1

    forced = run_cascades(archive.engine, force=True)
    assert (forced.recomputed, forced.unchanged) == (3, 0)
    with archive.engine.connect() as conn:
        runs = conn.execute(select(T_ANALYSIS_RUN.c.analyzer, T_ANALYSIS_RUN.c.version,
                                   T_ANALYSIS_RUN.c.ended_at)).all()
    assert len(runs) == 5 and all(r[0] == "cascades" and r[1] == forced.version and r[2] for r in runs)


def test_overlapping_runs_do_not_collide(archive: Archive) -> None:
    """Two analyze runs that read the archive before either wrote (cron overlap) both succeed."""
    from unittest import mock

    from analysis import analyze

    build(archive)
    real_compute = analyze.compute

    def compute_then_let_another_run_finish(*args: Any, **kwargs: Any) -> Any:
        result = real_compute(*args, **kwargs)
        with mock.patch.object(analyze, "compute", real_compute):
            run_cascades(archive.engine)  # the other run writes every cascade first
        return result

    with mock.patch.object(analyze, "compute", compute_then_let_another_run_finish):
        summary = run_cascades(archive.engine)
    assert summary.recomputed == 3
    assert len(cascades_by_root(archive)) == 3 and len(edges_by_platform_id(archive)) == 10


def test_new_follows_change_only_the_inferred_cascade(archive: Archive) -> None:
    build(archive, follows=False)
    run_cascades(archive.engine)
    from tests.cascade_pages import U2_FOLLOWS, page

    archive.store(fetch_media=False).ingest(page([], U2_FOLLOWS))
    summary = run_cascades(archive.engine)
    assert (summary.recomputed, summary.unchanged) == (1, 2)
    assert edges_by_platform_id(archive)["1003"][2] == "inferred"


def test_load_cascade_tree_from_any_member(archive: Archive) -> None:
    build(archive)
    run_cascades(archive.engine)
    with archive.engine.connect() as conn:
        ids = dict(conn.execute(select(T_POST.c.platform_id, T_POST.c.id)).all())
    tree = load_cascade_tree(archive.engine, ids["1005"])
    assert tree is not None and tree.root_post_id == ids["1000"]
    assert [(n.platform_id, n.depth) for n in tree.nodes][:1] == [("1000", 0)]
    depth = {n.platform_id: n.depth for n in tree.nodes}
    assert depth == {"1000": 0, "1001": 1, "1002": 1, "1004": 1, "1003": 2, "1005": 2}
    handles = {n.platform_id: n.handle for n in tree.nodes}
    assert handles["1001"] == "secstate"
    assert {e.provenance for e in tree.edges} == {"exact", "inferred", "root_default"}
    assert [n.depth for n in tree.nodes] == sorted(n.depth for n in tree.nodes)  # breadth-first
    assert load_cascade_tree(archive.engine, ids["1000"]).nodes == tree.nodes  # type: ignore[union-attr]
    assert load_cascade_tree(archive.engine, ids["1007"]) is None


def test_a_cycle_in_bad_data_is_cut_not_looped(archive: Archive) -> None:
    a = X_ACCOUNTS
    ingest(archive, [post(a["u1"], "5001", 0, "reply", replied_to_id="5002"),
                     post(a["u2"], "5002", 1, "reply", replied_to_id="5001")])
    summary = run_cascades(archive.engine)
    assert summary.cycles_cut == 1 and summary.cascades == 1
    assert len(edges_by_platform_id(archive)) == 1


def test_analyze_command_prints_a_summary(archive: Archive, tmp_path: Path) -> None:
    build(archive)
    runner = CliRunner()
    location = ["--archive", str(archive.location.directory), "--db", archive.location.db_url]
    result = runner.invoke(app, ["analyze", *location])
    assert result.exit_code == 0, result.output
    assert "cascades: 3 (3 recomputed, 0 unchanged, 0 removed)" in result.output
    assert "5 exact, 1 inferred, 4 root_default" in result.output
    result = runner.invoke(app, ["analyze", "--json", *location])
    assert result.exit_code == 0
    assert orjson.loads(result.output)["cascades"]["unchanged"] == 3


def test_import_follows_by_handle_and_id(archive: Archive, tmp_path: Path) -> None:
    build(archive, follows=False)
    csv_file = tmp_path / "follows.csv"
    csv_file.write_text("follower,followed\n@U2,u1\n302,200\n")
    location = ["--archive", str(archive.location.directory), "--db", archive.location.db_url]
    result = CliRunner().invoke(app, ["import", "follows", str(csv_file), "--platform", "x", *location])
    assert result.exit_code == 0, result.output
    assert "2 follows read, 2 new" in result.output
    with archive.engine.connect() as conn:
        assert set(conn.execute(select(T_FOLLOW.c.follower_id, T_FOLLOW.c.followed_id)).all()) == {
            ("302", "301"), ("302", "200")}
    run_cascades(archive.engine)
    assert edges_by_platform_id(archive)["1003"] == ("1002", "repost", "inferred", "1000")


def test_import_follows_bad_line_names_file_and_line_and_writes_nothing(archive: Archive, tmp_path: Path) -> None:
    build(archive, follows=False)
    csv_file = tmp_path / "follows.csv"
    csv_file.write_text("302,301\n@nobody,301\n")
    from archiver.cli import main

    location = ["--archive", str(archive.location.directory), "--db", archive.location.db_url]
    import sys

    argv = sys.argv
    sys.argv = ["archiver", "import", "follows", str(csv_file), "--platform", "x", *location]
    try:
        with pytest.raises(SystemExit) as exit_info:
            main()
    finally:
        sys.argv = argv
    assert exit_info.value.code == 2
    with archive.engine.connect() as conn:
        assert conn.execute(select(T_FOLLOW)).all() == []


def test_bad_follows_message(tmp_path: Path) -> None:
    from analysis.follows_import import parse_follows
    from archiver.errors import BadInputError

    path = tmp_path / "f.csv"
    with pytest.raises(BadInputError, match=r"f\.csv:2: followed '@ghost' is neither"):
        parse_follows(path, b"1,2\n3,@ghost\n", "x", {})
    with pytest.raises(BadInputError, match=r"f\.csv:1: expected two fields"):
        parse_follows(path, b"1,2,3\n", "x", {})
    follows = parse_follows(path, b"did:plc:a,@B.example\n", "bluesky", {"b.example": "did:plc:b"})
    assert [(f.follower_id, f.followed_id) for f in follows] == [("did:plc:a", "did:plc:b")]
    assert T0.tzinfo is not None and GONE.startswith("at://")


def test_sandbox_scenario_provenance_labels(tmp_path: Path) -> None:
    """The bundled scenario, collected through the real SDKs from the loopback sandbox."""
    from archiver.archive import open_archive
    from archiver.collect import run_collect
    from archiver.config import Secrets
    from archiver.sandbox.config import sandbox_config
    from archiver.sandbox.server import SandboxServer

    handle = open_archive(tmp_path / "archive", None, create=True)
    try:
        with SandboxServer(port=0) as sandbox:
            config = sandbox_config(sandbox.base_url)
            for step in (1, 2):
                sandbox.set_step(step)
                run_collect(handle.store(fetch_media=False), config, config.sources, Secrets())
        summary = run_cascades(handle.engine)
        query = (select(T_POST.c.platform, T_POST.c.kind, T_POST.c.via_id, T_EDGE.c.provenance,
                        T_EDGE.c.parent_post_id)
                 .join(T_EDGE, T_EDGE.c.child_post_id == T_POST.c.id))
        with handle.engine.connect() as conn:
            rows = conn.execute(query).all()
            platform_ids = dict(conn.execute(select(T_POST.c.id, T_POST.c.platform_id)).all())
    finally:
        handle.close()
    assert summary.cascades >= 2 and {r[0] for r in rows} == {"x", "bluesky"}
    for platform, kind, via, provenance, parent in rows:
        if kind in ("quote", "reply") or (via is not None and platform_ids[parent] == via):
            assert provenance == "exact", (platform, kind)
        else:  # a repost without an archived via: never presented as exact
            assert kind == "repost" and provenance in ("root_default", "inferred"), (platform, kind, provenance)
            assert platform == "x" or via is None or via not in platform_ids.values()
    assert any(r[0] == "bluesky" and r[2] is not None and r[3] == "exact" for r in rows)
    assert any(r[0] == "x" and r[1] == "repost" and r[3] == "root_default" for r in rows)


def test_demo_lines_show_cascades_and_amplification(archive: Archive) -> None:
    from archiver.app.demo_analysis import analyse_for_demo

    build(archive)
    lines: list[str] = []
    summaries = analyse_for_demo(archive, lines.append)
    assert summaries["cascades"].cascades == 3
    assert lines[0].startswith("analyze: cascades: 3 (3 recomputed")
    assert "largest cascades:" in lines and "amplification between tracked accounts:" in lines
    assert any(line.startswith("  @potus https://x.com/potus/status/1000: 6 posts by 6 accounts") for line in lines)
    assert "  @secstate reposted @potus 1x (x), median 5 min after the post, fastest 5 min" in lines


def test_sparse_post_ids_resolve_like_dense_ones() -> None:
    from array import array

    from analysis.post_table import MISSING, NONE, _positions, _to_rows

    for ids in (array("q", [5, 6, 7]), array("q", [5, 10**12, 7])):  # dense array / dict fallback
        positions = _positions(ids)
        assert list(_to_rows(array("q", [ids[1], 0, NONE, 5]), positions)) == [1, MISSING, NONE, 0]


def test_derived_rows_store_times_and_flags_exactly_like_the_core_tables(archive: Archive) -> None:
    """Rows written by the bulk insert must be byte-for-byte what the ORM writes, or text comparisons
    of times on SQLite (and joins on them) would silently disagree."""
    from sqlalchemy import text

    build(archive)
    run_cascades(archive.engine)
    with archive.engine.connect() as conn:
        pairs = conn.execute(text(
            "SELECT CAST(e.created_at AS TEXT), CAST(p.created_at AS TEXT) FROM reshare_edge e "
            "JOIN post p ON p.id = e.child_post_id")).all()
        assert pairs and all(edge == post_time for edge, post_time in pairs)
        roots = conn.execute(text(
            "SELECT CAST(c.root_created_at AS TEXT), CAST(p.created_at AS TEXT) FROM cascade c "
            "JOIN post p ON p.id = c.root_post_id")).all()
        assert roots and all(a == b for a, b in roots)
        flags = conn.execute(text("SELECT depth_is_lower_bound FROM cascade")).scalars().all()
        assert sorted(bool(f) for f in flags) == [False, True, True]
