"""Content hashes that a reader can re-check with ordinary tools.

* ``sha256_hex`` of bytes: what ``sha256sum`` prints.
* ``canonical_json``: RFC 8785 (JCS) bytes of the normalized content, so that the same content always
  gives the same ``content_sha256`` whatever order the platform sent its fields in.
* ``bluesky_cid``: the platform's own content hash of a record (CIDv1, dag-cbor, sha2-256).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import libipld
import orjson
import rfc8785

_CID_PREFIX = b"\x01\x71\x12\x20"  # CIDv1, dag-cbor codec, sha2-256, 32-byte digest


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_simple(value: Any) -> bool:
    """True when orjson's sorted output is provably identical to RFC 8785 for ``value``.

    JCS differs from plain sorted JSON only for floats (ECMAScript number formatting), integers
    beyond 2**53, and keys whose UTF-16 order differs from code-point order (non-BMP vs U+E000+).
    Normalized content holds strings, small ints, bools and None under ASCII keys, so this check is
    cheap and almost always true; anything else goes through the ``rfc8785`` library.
    """
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return -(2**53) < value < 2**53
    if isinstance(value, list):
        return all(_is_simple(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _is_simple(v) for k, v in value.items())
    return False


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical bytes.

    Why not always ``rfc8785.dumps``: it is pure Python (~17 us for a post) and ingest must reach
    20k posts/s. orjson with sorted keys yields the same bytes for simple values (property-tested
    against ``rfc8785`` in tests/test_hashing.py); other values fall back to the library.
    """
    if _is_simple(value):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return rfc8785.dumps(value)


def canonical_content(content: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of ``normalized_content`` output, which holds only strings, None and lists
    or dicts of them under ASCII keys, so orjson's sorted output *is* JCS (tests/test_hashing.py
    checks both the equivalence and that normalized content always has that shape)."""
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)


def _to_ipld(value: Any) -> Any:
    """Turn the JSON form of an atproto record back into its IPLD data model.

    ``{"$link": cid}`` becomes CID bytes and ``{"$bytes": b64}`` raw bytes; strongRef ``cid``
    fields are plain strings in the record and stay so. Hand-written because neither atproto nor
    libipld exposes this JSON->IPLD step for records as received.
    """
    if isinstance(value, dict):
        if len(value) == 1 and "$link" in value and isinstance(value["$link"], str):
            return cid_bytes(value["$link"])
        if len(value) == 1 and "$bytes" in value and isinstance(value["$bytes"], str):
            data = value["$bytes"]
            return base64.b64decode(data + "=" * (-len(data) % 4))
        return {k: _to_ipld(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_ipld(v) for v in value]
    return value


def cid_bytes(cid: str) -> bytes:
    """Binary CID (what dag-cbor tag 42 wraps, and what libipld decodes links to)."""
    return bytes(libipld.decode_multibase(cid)[1])


def bluesky_cid(record: dict[str, Any]) -> str:
    """Recompute a record's CID from its JSON as received."""
    encoded = libipld.encode_dag_cbor(_to_ipld(record))
    return cid_for_block(encoded)


def cid_for_block(block: bytes) -> str:
    """CIDv1 dag-cbor sha2-256 of an encoded block, base32 ``bafyrei...``."""
    return str(libipld.encode_cid(_CID_PREFIX + hashlib.sha256(block).digest()))
