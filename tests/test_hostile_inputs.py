"""Hostile files (generated here, see tests/fixtures_gen/hostile.py): each is refused with one clean
line and exit 2, names the file and what was wrong, and leaves the archive exactly as it was."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from archiver.archive import Archive
from tests.fixtures_gen import hostile
from tests.fixtures_gen import x_archive as xa
from tests.fixtures_gen.run import counts, run_cli


def _refused(capsys: pytest.CaptureFixture[str], archive: Archive, *args: str) -> str:
    before = counts(archive)
    code, _, err = run_cli(capsys, archive, *args)
    assert code == 2, err
    assert err.startswith("archiver: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert counts(archive) == before
    assert not any((archive.location.directory / "media").rglob("*")) if (
        archive.location.directory / "media").exists() else True
    return err


# ---- 1. bounded work -------------------------------------------------------------------------
def test_dag_bombed_mst_is_refused_as_not_a_tree(archive: Archive, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    car = tmp_path / "bomb.car"
    car.write_bytes(hostile.dag_bomb_car(40))
    assert car.stat().st_size < 20_000
    err = _refused(capsys, archive, "import", "bluesky-car", str(car))
    assert "bomb.car" in err and "reached twice" in err


def test_deep_mst_and_deep_record_are_refused(archive: Archive, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.car"
    deep.write_bytes(hostile.deep_car(200))
    assert "MST depth exceeds the limit of 64 (--max-depth" in _refused(capsys, archive, "import", "bluesky-car",
                                                                         str(deep))
    nested = tmp_path / "nested.car"
    nested.write_bytes(hostile.nested_record_car(100_000))
    assert "nested.car" in _refused(capsys, archive, "import", "bluesky-car", str(nested))


@pytest.mark.parametrize("flag, value, needle", [
    ("--max-mst-nodes", "3", "MST nodes visited exceeds the limit of 3"),
    ("--max-records", "2", "records in the repo exceeds the limit of 2"),
    ("--max-block-bytes", "100", "--max-block-bytes"),
    ("--max-car-bytes", "1000", "CAR size exceeds the limit of 1,000"),
])
def test_car_limits_are_flags(tmp_path: Path, archive: Archive, capsys: pytest.CaptureFixture[str],
                              flag: str, value: str, needle: str) -> None:
    from archiver.platforms.bluesky.sandbox.repo_car import build_repo_car
    from tests.fixtures_gen.bluesky_repo import DID, sample_records

    car = tmp_path / "repo.car"
    car.write_bytes(build_repo_car(DID, sample_records(extra_posts=50)))
    err = _refused(capsys, archive, "import", "bluesky-car", str(car), flag, value)
    assert needle in err and "repo.car" in err


def test_twarc_line_and_gzip_bomb_limits(archive: Archive, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    path = tmp_path / "long.jsonl"
    path.write_bytes(hostile.twarc_line([hostile.v2_tweet("1")]) + b'{"id": "' + b"9" * 300_000 + b'"}\n')
    err = _refused(capsys, archive, "import", "twarc", str(path), "--max-line-bytes", "100000")
    assert "long.jsonl:2: line exceeds the limit of 100,000 (--max-line-bytes" in err
    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        for _ in range(64):
            fh.write(b" " * (1 << 20) + b"\n")
    assert bomb.stat().st_size < 200_000
    err = _refused(capsys, archive, "import", "twarc", str(bomb), "--max-total-bytes", str(8 << 20))
    assert "uncompressed size exceeds" in err


def test_zip_bomb_member_is_refused_before_it_is_read(archive: Archive, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    name = f"data/tweets_media/{xa.BASE + 6}-FpMapAbC.jpg"
    path = hostile.x_zip(tmp_path / "bomb.zip", extra={name: b"\x00" * (3 << 20)})
    err = _refused(capsys, archive, "import", "x-archive", str(path), "--max-member-bytes", str(1 << 20))
    assert "member size exceeds the limit of 1,048,576" in err and "FpMapAbC.jpg" in err


# ---- 2. never leave the folder ---------------------------------------------------------------
def test_symlinked_media_in_an_unpacked_archive_is_refused(archive: Archive, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "id_ed25519"
    secret.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY----- secret")
    folder = xa.write_folder(tmp_path / "unpacked")
    media = folder / "data" / "tweets_media" / f"{xa.BASE + 6}-FpMapAbC.jpg"
    media.unlink()
    media.symlink_to(secret)
    err = _refused(capsys, archive, "import", "x-archive", str(folder))
    assert "is a symlink" in err and "FpMapAbC.jpg" in err


def test_device_file_in_an_unpacked_archive_is_refused(archive: Archive, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = xa.write_folder(tmp_path / "unpacked")
    os.mkfifo(folder / "data" / "tweets_media" / "pipe.jpg")
    assert "not a regular file" in _refused(capsys, archive, "import", "x-archive", str(folder))


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "duplicate"])
def test_unsafe_zip_members_are_refused(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        kind: str) -> None:
    path = tmp_path / "x.zip"
    if kind == "dotdot":
        hostile.x_zip(path, extra={"data/../../escape.js": b"x"})
    elif kind == "absolute":
        hostile.x_zip(path, extra={"/etc/cron.d/x": b"x"})
    elif kind == "symlink":
        hostile.x_zip(path, symlink=(f"data/tweets_media/{xa.BASE + 6}-Other.jpg", "/etc/passwd"))
    else:
        hostile.x_zip(path, duplicate="data/tweets.js")
    err = _refused(capsys, archive, "import", "x-archive", str(path))
    assert {"dotdot": "points outside", "absolute": "points outside", "symlink": "is a symlink",
            "duplicate": "appears twice"}[kind] in err


# ---- 3/4. atomic: values that parse but cannot be stored ---------------------------------------
def test_overflowing_count_after_good_posts_leaves_no_trace(archive: Archive, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("wb") as fh:
        for n in range(1, 121):  # more than one batch of pages before the bad value
            fh.write(hostile.twarc_line([hostile.v2_tweet(str(10_000 + n))]))
        bad = hostile.v2_tweet("99999", public_metrics={"like_count": 2**63})
        fh.write(hostile.twarc_line([bad]))
    err = _refused(capsys, archive, "import", "twarc", str(path))
    assert "big.jsonl:121" in err and "signed 64-bit" in err
    assert counts(archive)["run"] == 0  # not even a run row; re-running fails the same clean way
    assert "signed 64-bit" in _refused(capsys, archive, "import", "twarc", str(path))


def test_thirty_digit_favorite_count_in_an_x_archive(archive: Archive, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    items = [*xa.tweets(), hostile.tweet(20, favorite_count="1" * 30)]
    path = hostile.x_zip(tmp_path / "x.zip", tweet_items=items)
    assert "signed 64-bit" in _refused(capsys, archive, "import", "x-archive", str(path))


def test_nul_in_text_is_refused_before_the_database(archive: Archive, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nul.jsonl"
    path.write_bytes(hostile.twarc_line([hostile.v2_tweet("5", text="a\u0000b")]))
    assert "contains a NUL character" in _refused(capsys, archive, "import", "twarc", str(path))


# ---- 14. smaller holes ---------------------------------------------------------------------------
@pytest.mark.parametrize("bad_id", ["", "-5", "../../etc/passwd", "\u0661\u0662\u0663", "99999999999999999999"])
def test_bad_x_ids_are_refused(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               bad_id: str) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_bytes(hostile.twarc_line([hostile.v2_tweet(bad_id)]))
    assert "ids.jsonl:1" in _refused(capsys, archive, "import", "twarc", str(path))
    zipped = hostile.x_zip(tmp_path / "x.zip", tweet_items=[hostile.tweet(1, id_str=bad_id, id=bad_id)])
    _refused(capsys, archive, "import", "x-archive", str(zipped))


def test_duplicate_id_with_different_content_in_one_page(archive: Archive, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_bytes(hostile.twarc_line([hostile.v2_tweet("7", "first"), hostile.v2_tweet("7", "second")]))
    assert "appears twice in one page" in _refused(capsys, archive, "import", "twarc", str(path))


def test_credentials_in_twarc_url_are_stripped_from_meta_too(archive: Archive, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import text

    path = tmp_path / "creds.jsonl"
    url = "https://user:hunter2@api.twitter.com/2/tweets?ids=1&access_token=SECRET123"
    path.write_bytes(hostile.twarc_line([hostile.v2_tweet("8")], twarc={"url": url, "version": "2.14.0",
                                                                         "retrieved_at": "2024-01-01T00:00:00Z"}))
    code, _, err = run_cli(capsys, archive, "import", "twarc", str(path))
    assert code == 0, err
    with archive.engine.connect() as conn:
        rows = conn.execute(text("select url, meta from capture")).all()
    dumped = orjson.dumps([list(r) for r in rows]).decode()
    assert "hunter2" not in dumped and "SECRET123" not in dumped and "api.twitter.com" in dumped


@pytest.mark.parametrize("change", [
    {"edit_info": {"edit": "not-an-object"}},
    {"extended_entities": {"media": 5}},
    {"entities": {"media": "x"}},
])
def test_malformed_x_archive_shapes_exit_2(archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           change: dict[str, object]) -> None:
    path = hostile.x_zip(tmp_path / "x.zip", tweet_items=[hostile.tweet(1, **change)])
    code, _, err = run_cli(capsys, archive, "import", "x-archive", str(path))
    assert code in (0, 2) and "Traceback" not in err


def test_car_link_of_the_wrong_type_exits_2(archive: Archive, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    car = tmp_path / "link.car"
    car.write_bytes(hostile.wrong_link_car())
    assert "a link must be a CID" in _refused(capsys, archive, "import", "bluesky-car", str(car))


def test_bad_value_in_flatten_output_names_its_own_line(archive: Archive, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    author = {"id": "2244994945", "username": "a", "name": "A"}
    lines = [orjson.dumps(hostile.v2_tweet(str(500 + n), author=author)) for n in range(10)]
    lines[4] = orjson.dumps(hostile.v2_tweet("504", author=author, public_metrics={"like_count": 2**63}))
    path = tmp_path / "flat.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert "flat.jsonl:5:" in _refused(capsys, archive, "import", "twarc", str(path))
    report = tmp_path / "reports"
    report.mkdir()
    code, _, err = run_cli(capsys, archive, "import", "twarc", str(path), "--skip-bad", "--report-dir", str(report))
    assert code == 0, err
    assert counts(archive)["post"] == 9  # only the bad line was skipped, not its whole run of lines
