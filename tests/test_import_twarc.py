"""twarc2 JSONL imports: raw pages and flatten output give the same posts; provenance per line;
bad lines are named and change nothing; --skip-bad reports; interrupted imports resume."""

from __future__ import annotations

import gc
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from archiver.archive import Archive
from archiver.importers import runner
from archiver.platforms.x.twarc import TwarcSource
from archiver.store import Store
from tests.fixtures_gen.run import counts, run_cli
from tests.fixtures_gen.twarc import BASE_ID, LONG, USERS, raw_page, write_twarc


def _rows(archive: Archive, sql: str, **params: object) -> list:
    with archive.engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def test_raw_pages_import_every_kind_with_exact_ids(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_twarc(tmp_path / "timeline.jsonl", pages=3, per_page=20)
    code, out, err = run_cli(capsys, archive, "import", "twarc", str(path), "--json")
    assert code == 0, err
    result = orjson.loads(out)
    # 60 timeline tweets + 18 originals from includes.tweets (retweeted, quoted, quoted-in-reply)
    assert (result["posts"], result["new_posts"], result["new_snapshots"]) == (78, 78, 78)

    kinds = dict(_rows(archive, "select kind, count(*) from post group by kind"))
    assert kinds == {"post": 54, "repost": 6, "quote": 12, "reply": 6}

    # 64-bit ids survive as exact strings (a float would round the last digits).
    ids = {r[0] for r in _rows(archive, "select platform_id from post")}
    assert str(BASE_ID) in ids and all(i.isdigit() for i in ids)
    # Originals behind retweets are archived as posts of their own authors.
    authors = _rows(archive, "select distinct a.handle from post r join post o on o.platform_id = r.reposted_id "
                             "join account a on a.id = o.account_id where r.kind = 'repost'")
    assert {a[0] for a in authors} == {USERS[1]["username"], USERS[2]["username"]}
    # A reply that also quotes is a quote with replied_to set.
    both = _rows(archive, "select count(*) from post where kind = 'quote' and replied_to_id is not null")
    assert both[0][0] == 6
    # The edited tweet is stored under its first id; the version id is the content id.
    edited = _rows(archive, "select p.platform_id, s.content_id, s.text from post p "
                            "join snapshot s on s.post_id = p.id where s.text like '%(corrected)'")
    assert edited and all(int(cid) - int(pid) == -4 for pid, cid, _ in edited)
    # Long posts keep their whole text; non-Latin and emoji text is unchanged.
    assert _rows(archive, "select count(*) from snapshot where text = :t", t=LONG)[0][0] == 6
    assert _rows(archive, "select count(*) from snapshot where text like '%政府公告%'")[0][0] > 0


def test_provenance_is_per_line_with_the_original_retrieval_time(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_twarc(tmp_path / "t.jsonl", pages=2, per_page=10)
    assert run_cli(capsys, archive, "import", "twarc", str(path))[0] == 0
    lines = path.read_bytes().splitlines()
    captures = _rows(archive, "select url, meta, body_sha256, fetched_at from capture order by id")
    assert len(captures) == 3  # the file's own capture, then one per line
    manifest = orjson.loads(captures[0][1])
    assert manifest["file"] == "t.jsonl" and manifest["size"] == path.stat().st_size
    import hashlib

    assert manifest["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    for (url, meta, body_sha, _), line in zip(captures[1:], lines, strict=True):
        page = orjson.loads(line)
        assert body_sha == hashlib.sha256(line).hexdigest()
        assert url == page["__twarc"]["url"]
        assert orjson.loads(meta)["twarc"]["retrieved_at"] == page["__twarc"]["retrieved_at"]
    snap_times = {r[0] for r in _rows(archive, "select captured_at from snapshot")}
    assert len(snap_times) == 2 and all("2024-03-0" in str(t) for t in snap_times)


def test_flatten_and_gzip_give_the_same_content_and_reimport_adds_no_snapshot(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = write_twarc(tmp_path / "raw.jsonl", pages=2, per_page=30)
    flat = write_twarc(tmp_path / "flat.jsonl", pages=2, per_page=30, flatten=True)
    gz = write_twarc(tmp_path / "raw.jsonl.gz", pages=2, per_page=30, gz=True)
    assert run_cli(capsys, archive, "import", "twarc", str(raw))[0] == 0
    first = counts(archive)
    hashes = {r[0] for r in _rows(archive, "select content_sha256 from snapshot")}

    code, out, err = run_cli(capsys, archive, "import", "twarc", str(flat), str(gz), "--json")
    assert code == 0, err
    results = [orjson.loads(line) for line in out.splitlines()]
    assert [r["posts"] for r in results] == [78, 78]
    assert [r["new_snapshots"] for r in results] == [0, 0]
    assert counts(archive)["snapshot"] == first["snapshot"]
    assert {r[0] for r in _rows(archive, "select content_sha256 from snapshot")} == hashes

    again = counts(archive)
    code, out, _ = run_cli(capsys, archive, "import", "twarc", str(raw))
    assert code == 0 and "already imported" in out
    assert counts(archive) == again


def test_an_edit_in_a_later_file_becomes_a_second_version(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = raw_page(0, per_page=10)
    edited = next(t for t in page["data"] if len(t["edit_history_tweet_ids"]) == 2)
    first_id = edited["edit_history_tweet_ids"][0]
    original = {**edited, "id": first_id, "text": edited["text"].replace(" (corrected)", ""),
                "edit_history_tweet_ids": [first_id]}
    early = {**page, "data": [original], "__twarc": {**page["__twarc"], "retrieved_at": "2024-02-01T00:00:00Z"}}
    (tmp_path / "early.jsonl").write_bytes(orjson.dumps(early) + b"\n")
    (tmp_path / "late.jsonl").write_bytes(orjson.dumps(page) + b"\n")
    for name in ("late.jsonl", "early.jsonl"):  # out of order on purpose
        assert run_cli(capsys, archive, "import", "twarc", str(tmp_path / name))[0] == 0
    versions = _rows(archive, "select s.version, s.content_id, s.text from snapshot s join post p on p.id = s.post_id "
                              "where p.platform_id = :i order by s.captured_at", i=first_id)
    assert [v[1] for v in versions] == [first_id, edited["id"]]
    assert versions[1][2].endswith("(corrected)")


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda lines: lines[:-1] + [lines[-1][: len(lines[-1]) // 2]], "truncated line"),
        (lambda lines: lines[:1] + [b"{not json"] + lines[1:], "invalid JSON"),
        (lambda lines: lines[:1] + [lines[1].replace(b'"id":"', b'"id":', 1).replace(b'","text"', b',"text"', 1)]
         + lines[2:], "field 'id' must be a string, got int"),
        (lambda lines: lines[:1] + [lines[1].replace(b'"created_at":"2023', b'"created_at":"yesterday', 1)]
         + lines[2:], "field 'created_at' is not a time"),
    ],
    ids=["truncated", "invalid-json", "int-id", "bad-time"],
)
def test_each_corruption_is_named_and_rolls_back(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str], mangle, reason: str
) -> None:
    path = write_twarc(tmp_path / "t.jsonl", pages=3, per_page=10)
    lines = mangle(path.read_bytes().splitlines())
    bad_line = next(i for i, line in enumerate(lines, 1) if line not in path.read_bytes().splitlines())
    path.write_bytes(b"\n".join(lines) + (b"" if reason == "truncated line" else b"\n"))
    before = counts(archive)
    code, _, err = run_cli(capsys, archive, "import", "twarc", str(path))
    assert code == 2
    assert f"t.jsonl:{bad_line}: " in err and reason in err and err.count("\n") == 1
    assert counts(archive) == before


def test_skip_bad_imports_the_rest_and_reports(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_twarc(tmp_path / "t.jsonl", pages=3, per_page=10)
    lines = path.read_bytes().splitlines()
    path.write_bytes(b"\n".join([lines[0], b'{"data": [1, 2]}', lines[1], lines[2]]) + b"\n")
    code, out, err = run_cli(capsys, archive, "import", "twarc", str(path), "--skip-bad",
                             "--report-dir", str(tmp_path), "--json")
    assert code == 0, err
    result = orjson.loads(out)
    assert result["skipped"] == 1 and result["posts"] == 39
    report = [orjson.loads(x) for x in (tmp_path / "t.jsonl.skipped.jsonl").read_bytes().splitlines()]
    assert report == [{"file": str(path), "position": 2, "where": f"{path}:2",
                       "reason": "field 'data' must be a list of objects"}]
    assert counts(archive)["post"] == 39


def test_an_interrupted_import_resumes_without_duplicates(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_twarc(tmp_path / "t.jsonl", pages=6, per_page=10)
    monkeypatch.setattr(runner, "BATCH_POSTS", 20)  # one page (13 posts) short of a batch: 2 pages each
    real = Store.ingest_batch
    calls = {"n": 0}

    def crash_on_second(self: Store, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the user pressed ^C mid-import
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "ingest_batch", crash_on_second)
    code, _, _ = run_cli(capsys, archive, "import", "twarc", str(path))
    assert code == 130
    partial = _rows(archive, "select status, checkpoint, posts from import_file")
    assert partial == [("running", 2, 26)]

    monkeypatch.setattr(Store, "ingest_batch", real)
    code, out, err = run_cli(capsys, archive, "import", "twarc", str(path), "--json")
    assert code == 0, err
    assert orjson.loads(out)["status"] == "resumed"
    assert _rows(archive, "select status, checkpoint, posts from import_file") == [("complete", 6, 78)]
    final = counts(archive)
    assert (final["post"], final["snapshot"], final["sighting"]) == (78, 78, 78)
    assert final["capture"] == 1 + 6  # the file, then each line exactly once


def test_a_truncated_gzip_is_named_and_rolls_back(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_twarc(tmp_path / "t.jsonl.gz", pages=3, per_page=10, gz=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])  # an interrupted download
    before = counts(archive)
    code, _, err = run_cli(capsys, archive, "import", "twarc", str(path))
    assert code == 2 and "t.jsonl.gz:" in err and "unreadable gzip data" in err
    assert counts(archive) == before


def test_flatten_runs_are_exact_file_bytes_and_break_at_skipped_lines(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    path = write_twarc(tmp_path / "flat.jsonl", pages=2, per_page=10, flatten=True)
    lines = path.read_bytes().splitlines()
    lines[4] = lines[4][:50]  # line 5 is cut short
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = run_cli(capsys, archive, "import", "twarc", str(path), "--skip-bad", "--report-dir",
                             str(tmp_path), "--json")
    assert code == 0, err
    assert orjson.loads(out)["skipped"] == 1
    captures = _rows(archive, "select meta, body_sha256 from capture where meta like '%lines%' order by id")
    assert [orjson.loads(m)["lines"] for m, _ in captures] == [[1, 4], [6, 20]]
    assert [sha for _, sha in captures] == [hashlib.sha256(b"\n".join(lines[0:4])).hexdigest(),
                                           hashlib.sha256(b"\n".join(lines[5:20])).hexdigest()]
    # 19 flattened tweets plus the originals inlined in them, each once.
    assert counts(archive)["post"] == 19 + sum(1 for line in lines[:4] + lines[5:] if b'"retweeted","id"' in line
                                               or b'"quoted","id"' in line)


def test_the_garbage_collector_is_paused_only_for_the_import(archive: Archive, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """run_import switches Python's cyclic collector off for speed (see cyclic_gc_paused) and must
    give it back however the import ends, and leave it off if the caller had it off."""
    seen: list[bool] = []
    real_batches = runner._batches

    def watching(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real_batches(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "_batches", watching)
    good = write_twarc(tmp_path / "good.jsonl", pages=1, per_page=5)
    store = archive.store(fetch_media=False)
    runner.run_import(store, TwarcSource(good))
    assert seen == [False] and gc.isenabled()

    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(good.read_bytes() + b'{"data": [\n')
    with pytest.raises(Exception, match="bad.jsonl:2"):
        runner.run_import(store, TwarcSource(bad))
    assert gc.isenabled()

    gc.disable()
    try:
        with runner.cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
