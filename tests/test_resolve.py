"""One post resolver: every form a user pastes finds the same post, through every command that takes one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from analysis.analyze import run_cascades
from archiver.archive import Archive
from archiver.collectors.records import AccountRecord, PostRecord
from archiver.errors import BadInputError
from archiver.resolve import resolve_post
from archiver.tables import T_POST
from tests.factories import T0, account, page, post
from tests.fixtures_gen.run import run_cli

TWEET = "1900000000000000001"
EDITED = "1900000000000000099"  # X gives the edit its own id; the post keeps the first one
DID = "did:plc:wireagencysample000000"
RKEY = "3lk4wire7abc2"
URI = f"at://{DID}/app.bsky.feed.post/{RKEY}"


def _skeet(handle: str) -> PostRecord:
    author = AccountRecord("bluesky", DID, handle, "Wire", True)
    return PostRecord(platform="bluesky", platform_id=URI, url=f"https://bsky.app/profile/{DID}/post/{RKEY}",
                      author=author, created_at=T0, text="BREAKING: ruling", lang="en", kind="post",
                      raw=orjson.dumps({"uri": URI}), content_id="bafyreib" + "a" * 51)


@pytest.fixture
def ids(archive: Archive) -> dict[str, int]:
    store = archive.store(fetch_media=False)
    nayib = account(1, "sample_nayib")
    store.ingest(page(post(TWEET, "first words", author=nayib)))
    later = post(TWEET, "second words", author=nayib)
    later.content_id = EDITED
    store.ingest(page(later, at=T0 + timedelta(hours=2)))
    store.ingest(page(post("1900000000000000777", "another", author=account(2, "other"))))
    store.ingest(page(_skeet("wire-sample.bsky.social")))
    store.ingest(page(_skeet("wireagency-sample.bsky.social"), at=T0 + timedelta(days=1)))  # renamed
    with archive.engine.connect() as conn:
        rows = conn.execute(select(T_POST.c.platform_id, T_POST.c.id)).all()
    return {platform_id: int(row_id) for platform_id, row_id in rows}


def _resolve(archive: Archive, text: str) -> int:
    with archive.engine.connect() as conn:
        return resolve_post(conn, text)


@pytest.mark.parametrize("text", [
    TWEET,
    EDITED,
    f"https://x.com/sample_nayib/status/{TWEET}",
    f"https://x.com/sample_nayib/status/{TWEET}?s=20&t=Xyz",
    f"https://twitter.com/renamed_since/status/{TWEET}?ref_src=twsrc",
    f"https://mobile.twitter.com/sample_nayib/statuses/{TWEET}/photo/1",
    f"x.com/sample_nayib/status/{EDITED}",
])
def test_every_x_form_finds_the_tweet(archive: Archive, ids: dict[str, int], text: str) -> None:
    assert _resolve(archive, text) == ids[TWEET]


@pytest.mark.parametrize("text", [
    URI,
    f"https://bsky.app/profile/{DID}/post/{RKEY}",
    f"https://bsky.app/profile/wireagency-sample.bsky.social/post/{RKEY}",
    f"https://bsky.app/profile/wire-sample.bsky.social/post/{RKEY}?utm=1",  # the handle before the rename
    f"at://wireagency-sample.bsky.social/app.bsky.feed.post/{RKEY}",
    f"at://wire-sample.bsky.social/app.bsky.feed.post/{RKEY}",
])
def test_every_bluesky_form_finds_the_post(archive: Archive, ids: dict[str, int], text: str) -> None:
    assert _resolve(archive, text) == ids[URI]


def test_a_row_id_finds_its_post(archive: Archive, ids: dict[str, int]) -> None:
    for row_id in ids.values():
        assert _resolve(archive, f" {row_id} ") == row_id


@pytest.mark.parametrize("text", [
    "", "nope", "999999", "https://x.com/a/status/1", f"https://bsky.app/profile/stranger.bsky.social/post/{RKEY}",
    f"at://did:plc:other/app.bsky.feed.post/{RKEY}",
])
def test_an_unknown_reference_is_one_clear_error(archive: Archive, ids: dict[str, int], text: str) -> None:
    with pytest.raises(BadInputError, match="no such post in the archive") as err:
        _resolve(archive, text)
    assert "\n" not in str(err.value)


def test_show_tone_show_and_graph_use_the_same_resolver(
    archive: Archive, ids: dict[str, int], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    link = f"https://bsky.app/profile/wire-sample.bsky.social/post/{RKEY}"
    code, out, err = run_cli(capsys, archive, "show", link, "--json")
    assert code == 0, err
    assert orjson.loads(out)["post"]["platform_id"] == URI
    code, out, err = run_cli(capsys, archive, "show", EDITED, "--json")
    assert code == 0 and orjson.loads(out)["post"]["platform_id"] == TWEET
    code, out, err = run_cli(capsys, archive, "tone", "show", link)
    assert code == 0 and out.startswith("tone:"), err
    run_cascades(archive.engine)
    graph = tmp_path / "edges.csv"
    code, out, err = run_cli(capsys, archive, "export", "graph", "--format", "csv", "--cascade", link,
                             "--out", str(graph))
    assert code == 2 and "the post is in no cascade" in err  # found by its old handle; nobody reshared it
    code, out, err = run_cli(capsys, archive, "export", "graph", "--cascade", "nope", "--out", str(graph))
    assert code == 2 and "--cascade nope: no such post in the archive" in err
    code, out, err = run_cli(capsys, archive, "show", "https://x.com/a/status/1")
    assert code == 2 and err.count("\n") == 1 and "no such post in the archive" in err
