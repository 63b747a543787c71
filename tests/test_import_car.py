"""Bluesky repo CARs: the sandbox builder and the verifying reader agree, every tampering is
caught before anything is written, and the import archives posts, reposts (with via) and the
profile with verified CIDs."""

from __future__ import annotations

from pathlib import Path

import libipld
import orjson
import pytest
from sqlalchemy import text

from archiver.archive import Archive
from archiver.collectors.records import CaptureRecord
from archiver.errors import BadInputError
from archiver.hashing import bluesky_cid, cid_bytes
from archiver.platforms.bluesky.car import ipld_to_json, read_blocks, read_repo
from archiver.platforms.bluesky.car_import import pages_from_car
from archiver.platforms.bluesky.sandbox.repo_car import _varint, build_repo_car, key_layer, make_tid
from archiver.timeutil import utcnow
from tests.fixtures_gen.bluesky_repo import DID, OTHER, sample_records
from tests.fixtures_gen.run import counts, run_cli


def _capture(data: bytes) -> CaptureRecord:
    return CaptureRecord(kind="file", url="file:///repo.car", status=200, fetched_at=utcnow(), body=data)


def _rewrite(roots: list[bytes], blocks: dict[bytes, bytes]) -> bytes:
    header = libipld.encode_dag_cbor({"version": 1, "roots": roots})
    out = bytearray(_varint(len(header)) + header)
    for cid, data in blocks.items():
        out += _varint(len(cid) + len(data)) + cid + data
    return bytes(out)


def test_mst_layers_match_the_atproto_spec_examples() -> None:
    # Heights given in the atproto repository spec.
    assert key_layer(b"2653ae71") == 0
    assert key_layer(b"blue") == 1
    assert key_layer(b"app.bsky.feed.post/454397e440ec") == 4
    assert key_layer(b"app.bsky.feed.post/9adeb165882c") == 8


def test_builder_and_reader_round_trip_every_record() -> None:
    records = sample_records(extra_posts=400)  # enough keys for a multi-layer tree
    car = build_repo_car(DID, records, rev=make_tid(1_717_000_000_000_000))
    repo = read_repo(car)
    assert repo.did == DID and repo.rev == make_tid(1_717_000_000_000_000)
    got = {(r.collection, r.rkey): (r.cid, ipld_to_json(r.value)) for r in repo.records}
    want = {(c, k): (bluesky_cid(rec), rec) for c, k, rec in records}
    assert got == want
    keys = [f"{r.collection}/{r.rkey}" for r in repo.records]
    assert keys == sorted(keys)  # the walk is in key order
    assert max(key_layer(k.encode()) for k in keys) >= 2
    # Deterministic: the same records in another order give the same bytes.
    assert build_repo_car(DID, list(reversed(records)), rev=repo.rev) == car


def test_pages_from_car_maps_posts_reposts_and_profile() -> None:
    car = build_repo_car(DID, sample_records())
    [page] = list(pages_from_car(car, _capture(car), handle="ministry.example"))
    assert page.accounts[0].display_name == "Ministry (official) 🏛️"
    assert page.accounts[0].handle == "ministry.example"
    by_kind: dict[str, list] = {}
    for post in page.posts:
        by_kind.setdefault(post.kind, []).append(post)
        assert post.cid_verified is True
        assert post.platform_cid == post.content_id == bluesky_cid(orjson.loads(post.raw))
    assert {k: len(v) for k, v in by_kind.items()} == {"post": 2, "reply": 1, "quote": 2, "repost": 2}
    with_via = [p for p in by_kind["repost"] if p.via_id]
    assert len(with_via) == 1 and with_via[0].via_id.startswith("at://did:plc:third/app.bsky.feed.repost/")
    assert all(p.reposted_id and p.reposted_id.startswith(f"at://{OTHER}/") for p in by_kind["repost"])
    assert all(p.platform_id.startswith(f"at://{DID}/app.bsky.feed.repost/") for p in by_kind["repost"])
    greek = next(p for p in by_kind["post"] if p.text.startswith("Ανακοίνωση"))
    assert greek.lang == "el" and greek.media[0].alt == "map of closures"
    assert greek.url.startswith(f"https://bsky.app/profile/{DID}/post/")
    assert page.follows[0].followed_id == OTHER


def test_a_flipped_byte_names_the_block() -> None:
    car = bytearray(build_repo_car(DID, sample_records()))
    target = b"Replying to clarify."
    at = car.index(target)
    car[at] ^= 0x01
    record = next(r for c, k, r in sample_records() if r.get("text") == "Replying to clarify.")
    with pytest.raises(BadInputError, match=f"CAR block {bluesky_cid(record)}: content does not match its CID"):
        read_blocks(bytes(car))


def test_a_missing_mst_node_is_named() -> None:
    roots, blocks = read_blocks(build_repo_car(DID, sample_records(extra_posts=60)))
    commit = libipld.decode_dag_cbor(blocks[roots[0]])
    root_node = libipld.decode_dag_cbor(blocks[commit["data"]])
    child = next(x for x in [root_node["l"], *[e["t"] for e in root_node["e"]]] if x)
    del blocks[child]
    with pytest.raises(BadInputError, match=f"missing MST node block {libipld.encode_cid(child)}"):
        read_repo(_rewrite(roots, blocks))


def test_import_via_cli_is_verified_atomic_and_idempotent(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "repo.car"
    good.write_bytes(build_repo_car(DID, sample_records()))
    bad = tmp_path / "tampered.car"
    data = bytearray(good.read_bytes())
    data[data.index(b"Worth reading:")] ^= 0x20
    bad.write_bytes(bytes(data))

    before = counts(archive)
    code, _, err = run_cli(capsys, archive, "import", "bluesky-car", str(bad))
    assert code == 2 and "tampered.car: CAR block bafy" in err and "does not match its CID" in err
    assert counts(archive) == before  # nothing written, not even a run

    code, out, err = run_cli(capsys, archive, "import", "bluesky-car", str(good), "--json")
    assert code == 0, err
    result = orjson.loads(out)
    assert (result["posts"], result["new_snapshots"]) == (7, 7)
    with archive.engine.connect() as conn:
        rows = conn.execute(text("select s.platform_cid, s.cid_verified, s.raw, p.kind, p.via_id, c.kind "
                                 "from snapshot s join post p on p.id = s.post_id "
                                 "join capture c on c.id = s.capture_id")).all()
        handle = conn.execute(text("select display_name from account where platform_id = :d"), {"d": DID}).scalar()
    assert handle == "Ministry (official) 🏛️"
    assert all(r[1] for r in rows) and all(r[5] == "file" for r in rows)
    assert all(r[0] == bluesky_cid(orjson.loads(r[2])) for r in rows)
    assert sum(1 for r in rows if r[3] == "repost" and r[4]) == 1

    after = counts(archive)
    code, out, _ = run_cli(capsys, archive, "import", "bluesky-car", str(good))
    assert code == 0 and "already imported" in out
    assert counts(archive) == after


def test_roots_must_point_at_a_commit() -> None:
    roots, blocks = read_blocks(build_repo_car(DID, sample_records()))
    record_cid = cid_bytes(bluesky_cid(sample_records()[1][2]))
    with pytest.raises(BadInputError, match="is not a repo commit"):
        read_repo(_rewrite([record_cid], blocks))


def test_a_record_of_the_wrong_shape_is_named_and_nothing_is_written(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = sample_records()
    records.append(("app.bsky.feed.post", "3zzzzzzzzzzzz", {"$type": "app.bsky.feed.post", "text": 42,
                                                            "createdAt": "2024-05-29T10:00:00.000Z"}))
    path = tmp_path / "odd.car"
    path.write_bytes(build_repo_car(DID, records))
    before = counts(archive)
    code, _, err = run_cli(capsys, archive, "import", "bluesky-car", str(path))
    assert code == 2
    assert "odd.car: record app.bsky.feed.post/3zzzzzzzzzzzz (bafyrei" in err and "'text'" in err
    assert counts(archive) == before
