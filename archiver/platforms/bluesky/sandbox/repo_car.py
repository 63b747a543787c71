"""Build a real atproto repository export (CAR v1) for the sandbox's ``com.atproto.sync.getRepo``
and for test fixtures.

The output has the structure a PDS serves: a commit block (the CAR root) whose ``data`` is the
root of a Merkle Search Tree (fanout 4) over ``collection/rkey`` keys, whose leaves are the CIDs of
the record blocks. Every CID is the true sha2-256 of its dag-cbor block, so a reader that re-hashes
blocks (ours does) accepts it, and flipping any byte is detectable.

The commit's ``sig`` is a fixed 64-byte dummy, not a signature: the sandbox has no signing key and
nothing in the archive verifies repo signatures (the DID document would be needed). This is the
only part of the export that is not real.

Hand-written because neither ``atproto`` nor ``libipld`` can *write* a CAR or an MST (the SDK only
decodes). The MST layout follows the atproto repository spec: a key's layer is the number of
leading zero bits of sha256(key) counted in 2-bit steps; nodes hold ``l`` (left subtree) and
``e`` entries ``{p: shared prefix length with the previous key in the node, k: key suffix, v:
record CID, t: right subtree}``; layers without entries of their own appear as nodes with only
``l``.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import libipld

from archiver.hashing import _to_ipld, cid_bytes, cid_for_block

DUMMY_SIG = b"\x00" + b"sandbox-unsigned-commit".ljust(63, b"\x00")  # leading 0x00: encodes as bytes
_B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"


def key_layer(key: bytes) -> int:
    """MST layer of a key: leading zero bits of sha256(key), in 2-bit steps (fanout 4)."""
    zeros = 0
    for byte in hashlib.sha256(key).digest():
        if byte == 0:
            zeros += 4
            continue
        if byte & 0xFC == 0:
            zeros += 3
        elif byte & 0xF0 == 0:
            zeros += 2
        elif byte & 0xC0 == 0:
            zeros += 1
        break
    return zeros


def make_tid(micros: int, clock_id: int = 0) -> str:
    """An atproto TID (13 chars, base32-sortable) from microseconds since the epoch: the form of
    a repo ``rev`` and of most record keys."""
    value = (micros << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_B32_SORTABLE[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


class _Blocks:
    """Encoded blocks in the order they are written to the CAR (deduplicated by CID)."""

    def __init__(self) -> None:
        self.items: dict[bytes, bytes] = {}

    def put(self, value: Any) -> bytes:
        data = libipld.encode_dag_cbor(value)
        cid = cid_bytes(cid_for_block(data))
        self.items.setdefault(cid, data)
        return cid


def _shared_prefix(a: bytes, b: bytes) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _build_node(items: list[tuple[bytes, bytes, int]], layer: int, blocks: _Blocks) -> bytes | None:
    """Node for ``items`` (sorted (key, value cid, key layer), all layers <= ``layer``)."""
    if not items:
        return None
    left: bytes | None = None
    entries: list[dict[str, Any]] = []
    segment: list[tuple[bytes, bytes, int]] = []
    last_key = b""

    def close_segment() -> None:
        nonlocal left
        sub = _build_node(segment, layer - 1, blocks) if segment else None
        if entries:
            entries[-1]["t"] = sub
        else:
            left = sub

    for key, value, key_lay in items:
        if key_lay == layer:
            close_segment()
            segment = []
            prefix = _shared_prefix(last_key, key)
            entries.append({"p": prefix, "k": key[prefix:], "v": value, "t": None})
            last_key = key
        else:
            segment.append((key, value, key_lay))
    close_segment()
    return blocks.put({"l": left, "e": entries})


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def build_repo_car(
    did: str, records: list[tuple[str, str, dict[str, Any]]], rev: str | None = None
) -> bytes:
    """A CAR v1 repo export of ``records`` = (collection NSID, rkey, record JSON as the API shows
    it, with ``{"$link": ...}`` for blob refs). ``rev`` defaults to a TID of the current time."""
    blocks = _Blocks()
    record_blocks = _Blocks()
    items: list[tuple[bytes, bytes, int]] = []
    seen: set[bytes] = set()
    for collection, rkey, record in sorted(records, key=lambda r: (r[0], r[1])):  # deterministic bytes
        key = f"{collection}/{rkey}".encode()
        if key in seen:
            raise ValueError(f"duplicate record key {key.decode()}")
        seen.add(key)
        items.append((key, record_blocks.put(_to_ipld(record)), key_layer(key)))
    items.sort()
    top = max((lay for _, _, lay in items), default=0)
    mst_blocks = _Blocks()
    root = _build_node(items, top, mst_blocks) or mst_blocks.put({"l": None, "e": []})
    commit = blocks.put({
        "did": did,
        "version": 3,
        "data": root,
        "rev": rev or make_tid(time.time_ns() // 1000),
        "prev": None,
        "sig": DUMMY_SIG,
    })
    ordered = {**blocks.items, **mst_blocks.items, **record_blocks.items}
    header = libipld.encode_dag_cbor({"version": 1, "roots": [commit]})
    out = bytearray(_varint(len(header)) + header)
    for cid, data in ordered.items():
        out += _varint(len(cid) + len(data)) + cid + data
    return bytes(out)
