"""X archive imports: zip and folder alike; long posts, edits, deletions, media bytes; bad
records named and rolled back; the owner's e-mail never stored."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from archiver.archive import Archive
from tests.fixtures_gen.run import counts, run_cli
from tests.fixtures_gen.x_archive import ACCOUNT_ID, BASE, IMAGE, LONG, USERNAME, tweets, write_folder, write_zip


def _rows(archive: Archive, sql: str, **params: object) -> list:
    with archive.engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def test_zip_import_maps_every_file(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_zip(tmp_path / "twitter-2023-03-01.zip")
    code, out, err = run_cli(capsys, archive, "import", "x-archive", str(path), "--json")
    assert code == 0, err
    assert orjson.loads(out)["posts"] == 8

    sql = ("select p.platform_id, p.kind, p.status, s.text, s.content_id, p.replied_to_id, a.handle "
           "from post p join snapshot s on s.id = p.current_snapshot_id join account a on a.id = p.account_id")
    posts = {r[0]: r[1:] for r in _rows(archive, sql)}
    assert {v[5] for v in posts.values()} == {USERNAME}
    assert posts[str(BASE + 3)][0] == "repost"
    assert posts[str(BASE + 4)][0] == "reply" and posts[str(BASE + 4)][4] == str(BASE + 500)
    assert posts[str(BASE + 5)][2] == LONG  # the whole long post, from note-tweet.js
    # The edited tweet's identity is the first id of its history; its own id is the content id.
    assert posts[str(BASE + 8)][3] == str(BASE + 7)
    assert posts[str(BASE + 9)][1] == "deleted"
    assert posts[str(BASE + 2)][2] == "Ανακοίνωση: οι δρόμοι κλείνουν. 道路封闭。"
    reason = _rows(archive, "select reason from post_status_event")
    assert reason and "deleted at 2023-02-19" in reason[0][0]

    media = _rows(archive, "select m.sha256, sm.media_ref from media m join snapshot_media sm "
                           "on sm.media_sha256 = m.sha256")
    assert media == [(hashlib.sha256(IMAGE).hexdigest(), f"3_{BASE + 900}")]
    stored = archive.media_dir / media[0][0][:2] / media[0][0]
    assert stored.read_bytes() == IMAGE

    # Provenance: captures of kind file with the archive member's bytes; no e-mail anywhere.
    captures = _rows(archive, "select url, body_sha256 from capture where url like '%!/data/tweets.js'")
    import zipfile

    member = zipfile.ZipFile(path).read("data/tweets.js")
    assert captures == [(f"{path.resolve().as_uri()}!/data/tweets.js", hashlib.sha256(member).hexdigest())]
    assert not _rows(archive, "select id from capture where meta like '%press@%' or url like '%press@%'")
    import zlib  # capture bodies are stored zlib-compressed

    bodies = [zlib.decompress(r[0]) for r in _rows(archive, "select body from capture where url like '%account.js'")]
    assert bodies and b"press@example.org" not in bodies[0] and ACCOUNT_ID.encode() in bodies[0]
    snap_times = {str(r[0]) for r in _rows(archive, "select captured_at from snapshot")}
    assert any("2023-03-01" in t for t in snap_times)  # the archive's generation date, not today


def test_folder_and_zip_hold_the_same_content(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, archive, "import", "x-archive", str(write_zip(tmp_path / "a.zip")))[0] == 0
    before = counts(archive)
    code, out, _ = run_cli(capsys, archive, "import", "x-archive", str(write_folder(tmp_path / "unpacked")), "--json")
    assert code == 0
    assert orjson.loads(out)["new_snapshots"] == 0
    assert counts(archive)["snapshot"] == before["snapshot"]
    again = counts(archive)
    code, out, _ = run_cli(capsys, archive, "import", "x-archive", str(tmp_path / "unpacked"))
    assert code == 0 and "already imported" in out and counts(archive) == again


def test_a_bad_record_is_named_and_nothing_is_written(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = tweets()
    items[3]["created_at"] = 1676723591  # a number where a date string belongs
    path = write_zip(tmp_path / "bad.zip", items)
    before = counts(archive)
    code, _, err = run_cli(capsys, archive, "import", "x-archive", str(path))
    assert code == 2
    assert "bad.zip!data/tweets.js: record 4: field 'created_at' missing or not a string" in err
    assert counts(archive) == before

    code, out, err = run_cli(capsys, archive, "import", "x-archive", str(path), "--skip-bad",
                             "--report-dir", str(tmp_path), "--json")
    assert code == 0, err
    assert orjson.loads(out)["skipped"] == 1 and counts(archive)["post"] == 7
    report = orjson.loads((tmp_path / "bad.zip.skipped.jsonl").read_bytes())
    assert report["where"].endswith("data/tweets.js: record 4")


def test_not_an_archive(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 this is not really a zip")
    code, _, err = run_cli(capsys, archive, "import", "x-archive", str(junk))
    assert code == 2 and "junk.zip: not a zip file" in err
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(capsys, archive, "import", "x-archive", str(tmp_path / "empty"))
    assert code == 2 and "not an X archive" in err
