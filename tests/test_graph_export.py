"""Graph export through networkx: read each format back and check nodes, edges and labels."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from analysis.analyze import run_cascades
from analysis.graph_export import build_graph
from archiver.archive import Archive
from archiver.cli import app, main
from archiver.errors import BadInputError
from tests.cascade_pages import R1, R2, P, build


def _location(archive: Archive) -> list[str]:
    return ["--archive", str(archive.location.directory), "--db", archive.location.db_url]


def test_gexf_posts_graph_round_trips(archive: Archive, tmp_path: Path) -> None:
    build(archive)
    run_cascades(archive.engine)
    out = tmp_path / "cascades.gexf"
    result = CliRunner().invoke(app, ["export", "graph", "--format", "gexf", "--out", str(out),
                                      *_location(archive)])
    assert result.exit_code == 0, result.output
    assert "13 nodes (posts), 10 edges (gexf)" in result.output
    graph = nx.read_gexf(out)
    assert graph.is_directed() and graph.number_of_nodes() == 13 and graph.number_of_edges() == 10
    edge = graph.edges["x:1002", "x:1003"]  # parent -> child, the way the statement travelled
    assert (edge["kind"], edge["provenance"]) == ("repost", "inferred")
    assert graph.edges[f"bluesky:{R1}", f"bluesky:{R2}"]["provenance"] == "exact"
    root = graph.nodes["x:1000"]
    assert (root["handle"], root["kind"], root["url"]) == ("potus", "post", "https://x.com/potus/status/1000")
    assert root["created_at"].startswith("2025-03-16T12:00:00")
    assert not list(tmp_path.glob("*.partial"))


def test_graphml_accounts_graph_aggregates_edges(archive: Archive, tmp_path: Path) -> None:
    build(archive)
    run_cascades(archive.engine)
    out = tmp_path / "accounts.graphml"
    result = CliRunner().invoke(app, ["export", "graph", "--format", "graphml", "--nodes", "accounts",
                                      "--out", str(out), *_location(archive)])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(out)
    potus_to_sec = graph.edges["x:100", "x:200"]
    assert (potus_to_sec["weight"], potus_to_sec["repost"], potus_to_sec["root_default"]) == (1, 1, 1)
    assert potus_to_sec["kind"] == "repost" and potus_to_sec["provenance"] == "root_default"
    u1_to_u2 = graph.edges["x:301", "x:302"]
    assert u1_to_u2["provenance"] == "inferred"
    pres_out = graph.edges["bluesky:did:plc:pres", "bluesky:did:plc:b2"]  # R3 (repost) and Q (quote)
    assert (pres_out["weight"], pres_out["kind"]) == (2, "repost,quote")
    assert graph.nodes["x:100"]["tracked"] is True and graph.nodes["x:301"]["tracked"] is False
    assert sum(d["weight"] for _, _, d in graph.edges(data=True)) == 10


def test_csv_edge_list_for_one_cascade_by_url(archive: Archive, tmp_path: Path) -> None:
    build(archive)
    run_cascades(archive.engine)
    out = tmp_path / "one.csv"
    url = "https://bsky.app/profile/pres.example/post/p1"
    result = CliRunner().invoke(app, ["export", "graph", "--format", "csv", "--cascade", url, "--out", str(out),
                                      *_location(archive)])
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4
    assert {r["source"] for r in rows} == {f"bluesky:{P}", f"bluesky:{R1}"}
    assert {(r["target"], r["provenance"]) for r in rows if r["source"] == f"bluesky:{R1}"} == {
        (f"bluesky:{R2}", "exact")}
    # a member's platform id selects the same cascade, and so do links in other forms
    assert build_graph(archive.engine, "posts", R2).number_of_edges() == 4
    assert build_graph(archive.engine, "posts", "https://bsky.app/profile/did:plc:pres/post/p1").number_of_edges() == 4
    assert build_graph(archive.engine, "posts", "https://twitter.com/renamed/status/1004?s=20").number_of_edges() == 5


def test_unknown_post_and_missing_analysis_are_clear_errors(archive: Archive, tmp_path: Path) -> None:
    build(archive)
    with pytest.raises(BadInputError, match="run `archiver analyze` first"):
        build_graph(archive.engine)
    run_cascades(archive.engine)
    with pytest.raises(BadInputError, match="--cascade nope: no such post in the archive"):
        build_graph(archive.engine, "posts", "nope")
    with pytest.raises(BadInputError, match="in no cascade"):
        build_graph(archive.engine, "posts", "1007")
    argv = sys.argv
    out = tmp_path / "x.gexf"
    sys.argv = ["archiver", "export", "graph", "--cascade", "nope", "--out", str(out), *_location(archive)]
    try:
        with pytest.raises(SystemExit) as exit_info:
            main()
    finally:
        sys.argv = argv
    assert exit_info.value.code == 2 and not out.exists()
