"""Content hashes must be exactly RFC 8785, and Bluesky CIDs must match the platform's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from archiver.hashing import bluesky_cid, canonical_json, cid_for_block, sha256_hex

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples"

json_scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_equals_rfc8785_library(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_values_outside_the_fast_path_still_match_rfc8785(number: float) -> None:
    # floats and keys whose UTF-16 order differs from code-point order go through the library
    value = {"f": number, "\ue000": 1, "\U0001f600": 2}
    assert canonical_json(value) == rfc8785.dumps(value)


def test_integers_beyond_json_precision_are_refused_not_rounded() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json({"id": 2**60})


def test_key_order_does_not_change_the_hash() -> None:
    a = {"text": "Oopsie... Too late 😂", "author": "1", "refs": {"quoted": "2", "reposted": None}}
    b = {"refs": {"reposted": None, "quoted": "2"}, "author": "1", "text": "Oopsie... Too late 😂"}
    assert sha256_hex(canonical_json(a)) == sha256_hex(canonical_json(b))
    assert canonical_json(a) != canonical_json({**a, "text": "Oopsie... Too late"})


def _feed_records() -> list[tuple[dict, str]]:
    path = EXAMPLES / "bsky_author_feed_page.json"
    if not path.exists():
        pytest.skip("shared/examples not present beside the checkout")
    feed = json.loads(path.read_text())["feed"]
    return [(item["post"]["record"], item["post"]["cid"]) for item in feed]


def test_bluesky_cid_matches_the_platform_examples() -> None:
    for record, cid in _feed_records():
        assert bluesky_cid(record) == cid


def test_bluesky_cid_detects_a_changed_byte() -> None:
    record, cid = _feed_records()[0]
    tampered = {**record, "text": record["text"].replace("R", "r", 1)}
    assert bluesky_cid(tampered) != cid


def test_blob_links_are_encoded_as_cids_not_strings() -> None:
    blob = {"$type": "blob", "ref": {"$link": cid_for_block(b"image")}, "mimeType": "image/png", "size": 5}
    as_link = bluesky_cid({"$type": "app.bsky.feed.post", "text": "", "createdAt": "2025-01-01T00:00:00Z",
                           "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": blob}]}})
    as_string = bluesky_cid({"$type": "app.bsky.feed.post", "text": "", "createdAt": "2025-01-01T00:00:00Z",
                             "embed": {"$type": "app.bsky.embed.images",
                                       "images": [{"alt": "", "image": {**blob, "ref": blob["ref"]["$link"]}}]}})
    assert as_link != as_string
    assert as_link.startswith("bafyrei")
