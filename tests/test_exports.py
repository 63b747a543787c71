"""Exports: every format carries the same rows; hashes in the export re-check against the
exported bytes; a twarc export imports back to the same posts and content hashes."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, text

from archiver.archive import Archive, open_archive
from archiver.exports import rows as rows_module
from archiver.exports import twarc as twarc_module
from archiver.platforms.bluesky.sandbox.repo_car import build_repo_car
from archiver.tables import T_POST, T_SNAPSHOT
from tests.fixtures_gen.bluesky_repo import DID, sample_records
from tests.fixtures_gen.run import run_cli
from tests.fixtures_gen.twarc import BASE_ID, write_twarc


def _fill(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, archive, "import", "twarc", str(write_twarc(tmp_path / "t.jsonl", 3, 20)))[0] == 0
    car = tmp_path / "repo.car"
    car.write_bytes(build_repo_car(DID, sample_records()))
    assert run_cli(capsys, archive, "import", "bluesky-car", str(car))[0] == 0


def _jsonl(out: str) -> list[dict]:
    return [orjson.loads(line) for line in out.splitlines()]


def test_posts_in_every_format_agree(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(archive, tmp_path, capsys)
    monkeypatch.setattr(rows_module, "YIELD_PER", 7)  # many fetch batches
    code, out, err = run_cli(capsys, archive, "export", "posts", "--format", "jsonl")
    assert code == 0, err
    posts = _jsonl(out)
    assert len(posts) == 78 + 7
    with archive.engine.connect() as conn:
        want = dict(conn.execute(text("select p.platform_id, s.content_sha256 from post p "
                                      "join snapshot s on s.id = p.current_snapshot_id")).all())
    assert {p["platform_id"]: p["content_sha256"] for p in posts} == want
    assert all(isinstance(p["platform_id"], str) and isinstance(p["author_id"], str) for p in posts)
    assert str(BASE_ID) in want
    bsky = [p for p in posts if p["platform"] == "bluesky"]
    assert all(p["cid_verified"] is True and p["platform_cid"].startswith("bafyrei") for p in bsky)
    assert {p["kind"] for p in bsky} == {"post", "reply", "quote", "repost"}
    assert sum(1 for p in bsky if p["via_id"]) == 1
    x = [p for p in posts if p["platform"] == "x" and p["kind"] == "repost"]
    assert all(p["reposted_id"] and p["like_count"] is not None for p in x)

    code, out, _ = run_cli(capsys, archive, "export", "posts", "--format", "csv")
    assert code == 0
    as_csv = list(csv.DictReader(io.StringIO(out)))
    assert len(as_csv) == len(posts)
    for row, post in zip(as_csv, posts, strict=True):
        assert row["platform_id"] == post["platform_id"] and row["text"] == post["text"]
        assert row["content_sha256"] == post["content_sha256"]
        assert row["cid_verified"] == {True: "true", False: "false", None: ""}[post["cid_verified"]]

    target = tmp_path / "posts.parquet"
    code, _, err = run_cli(capsys, archive, "export", "posts", "--format", "parquet", "--out", str(target))
    assert code == 0, err
    table = pq.read_table(target)
    assert table.num_rows == len(posts)
    assert str(table.schema.field("platform_id").type) == "string"
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert table.column("platform_id").to_pylist() == [p["platform_id"] for p in posts]
    assert table.column("text").to_pylist() == [p["text"] for p in posts]


def test_versions_rehash_to_their_recorded_hashes(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(archive, tmp_path, capsys)
    code, out, err = run_cli(capsys, archive, "export", "versions", "--format", "jsonl")
    assert code == 0, err
    versions = _jsonl(out)
    assert len(versions) == 85
    for v in versions:
        assert hashlib.sha256(v["content"].encode()).hexdigest() == v["content_sha256"]
        assert hashlib.sha256(v["raw"].encode()).hexdigest() == v["raw_sha256"]
    code, out, _ = run_cli(capsys, archive, "export", "versions", "--format", "csv", "--platform", "bluesky")
    assert code == 0
    assert [r["platform_id"] for r in csv.DictReader(io.StringIO(out))] == \
        [v["platform_id"] for v in versions if v["platform"] == "bluesky"]


def test_twarc_export_round_trips_to_the_same_posts_and_hashes(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(archive, tmp_path, capsys)
    monkeypatch.setattr(twarc_module, "YIELD_PER", 11)
    out_file = tmp_path / "export.jsonl"
    code, _, err = run_cli(capsys, archive, "export", "twarc", "--out", str(out_file))
    assert code == 0, err
    lines = out_file.read_bytes().splitlines()
    assert len(lines) == 78  # X posts only
    first = orjson.loads(lines[0])
    assert set(first) == {"data", "includes", "meta", "__twarc"} and isinstance(first["data"][0]["id"], str)

    other = open_archive(tmp_path / "other", None, create=True)
    try:
        code, out, err = run_cli(capsys, other, "import", "twarc", str(out_file), "--json")
        assert code == 0, err
        # Core columns, so that times compare as datetimes on SQLite and PostgreSQL alike.
        query = (select(T_POST.c.platform_id, T_POST.c.kind, T_SNAPSHOT.c.content_sha256, T_SNAPSHOT.c.captured_at)
                 .join(T_SNAPSHOT, T_SNAPSHOT.c.id == T_POST.c.current_snapshot_id).where(T_POST.c.platform == "x"))
        with archive.engine.connect() as a, other.engine.connect() as b:
            assert sorted(a.execute(query).all()) == sorted(b.execute(query).all())
    finally:
        other.close()


def test_bad_export_options_exit_2(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, archive, "export", "posts", "--format", "xlsx")
    assert code == 2 and "--format must be one of jsonl, csv, parquet" in err
    code, _, err = run_cli(capsys, archive, "export", "posts", "--format", "parquet")
    assert code == 2 and "needs --out FILE" in err
    code, _, err = run_cli(capsys, archive, "export", "versions", "--format", "parquet", "--out", str(tmp_path / "v"))
    assert code == 2
    code, _, err = run_cli(capsys, archive, "export", "posts", "--platform", "myspace")
    assert code == 2 and "--platform" in err
