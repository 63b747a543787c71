"""Reading an atproto repo CAR *with proof*: every block re-hashed against its CID, then the
Merkle Search Tree walked from the commit to every record.

Hand-written framing because ``libipld.decode_car`` and ``atproto.CAR`` hand back decoded blocks
only: the raw block bytes, which are what a CID hashes, are gone by then, and neither checks the
hashes. The format is small: a varint-prefixed dag-cbor header, then
varint-prefixed (CID bytes + block bytes) sections. Decoding stays with ``libipld``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import libipld

from archiver.errors import BadInputError
from archiver.limits import DEFAULT, Limits

_SHA256 = 0x12
_DAG_CBOR = 0x71
_RAW = 0x55


@dataclass(slots=True)
class RepoRecord:
    """One record found in the tree: its key, its CID (verified) and its decoded IPLD value."""

    collection: str
    rkey: str
    cid: str
    value: Any


@dataclass(slots=True)
class Repo:
    did: str
    rev: str | None
    commit_cid: str
    records: list[RepoRecord]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise BadInputError(f"CAR truncated at byte {pos} (inside a length prefix)")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise BadInputError(f"CAR length prefix too long at byte {pos}")


def _cid_length(data: bytes, pos: int) -> int:
    """Length of the binary CIDv1 that starts at ``pos`` (version, codec, multihash code, size)."""
    start = pos
    if data[pos : pos + 2] == b"\x12\x20":  # CIDv0: a bare sha2-256 multihash
        return 34
    version, pos = _varint(data, pos)
    if version != 1:
        raise BadInputError(f"CAR block at byte {start}: unsupported CID version {version}")
    _, pos = _varint(data, pos)
    _, pos = _varint(data, pos)
    size, pos = _varint(data, pos)
    return pos + size - start


def cid_str(cid: bytes) -> str:
    """The CID's usual text form; bytes that are no CID are shown as hex (for error messages)."""
    try:
        return str(libipld.encode_cid(cid))
    except (ValueError, TypeError):
        return f"<not a CID: {bytes(cid[:40]).hex()}>"


def read_blocks(car: bytes, limits: Limits = DEFAULT) -> tuple[list[bytes], dict[bytes, bytes]]:
    """(root CIDs, {cid bytes: block bytes}) with every block's hash checked against its CID.

    A mismatch raises ``BadInputError`` naming the block: a flipped byte anywhere in a record or a
    tree node is caught here, before anything is decoded or written. A block larger than
    ``limits.block_bytes`` or a CAR larger than ``limits.car_bytes`` is refused.
    """
    if len(car) > limits.car_bytes:
        raise BadInputError(limits.refuse(f"CAR of {len(car):,} bytes", limits.car_bytes, "--max-car-bytes"))
    header_len, pos = _varint(car, 0)
    if header_len > limits.block_bytes:
        raise BadInputError(limits.refuse("CAR header", limits.block_bytes, "--max-block-bytes"))
    try:
        header = libipld.decode_dag_cbor(car[pos : pos + header_len])
    except (ValueError, RecursionError, OverflowError) as exc:
        raise BadInputError(f"CAR header is not valid dag-cbor: {exc}") from None
    if not isinstance(header, dict) or header.get("version") != 1 or not header.get("roots"):
        raise BadInputError("CAR header must be version 1 with at least one root")
    pos += header_len
    blocks: dict[bytes, bytes] = {}
    while pos < len(car):
        length, pos = _varint(car, pos)
        end = pos + length
        if end > len(car):
            raise BadInputError(f"CAR truncated: a block at byte {pos} needs {length} bytes")
        if length > limits.block_bytes:
            raise BadInputError(limits.refuse(f"CAR block at byte {pos} ({length:,} bytes)", limits.block_bytes,
                                              "--max-block-bytes"))
        clen = _cid_length(car, pos)
        if clen > length:
            raise BadInputError(f"CAR block at byte {pos}: its CID is longer than the block")
        cid, block = car[pos : pos + clen], car[pos + clen : end]
        _verify(cid, block)
        blocks[cid] = block
        pos = end
    roots = header["roots"]
    if not isinstance(roots, list) or not all(isinstance(r, bytes) for r in roots):
        raise BadInputError("CAR header: roots must be a list of CIDs")
    return roots, blocks


def _verify(cid: bytes, block: bytes) -> None:
    try:
        decoded = libipld.decode_cid(cid)
    except ValueError as exc:
        raise BadInputError(f"CAR block: not a valid CID ({exc})") from None
    digest = decoded["hash"]
    if decoded["codec"] not in (_DAG_CBOR, _RAW) or digest["code"] != _SHA256:
        raise BadInputError(f"CAR block {cid_str(cid)}: unsupported codec or hash")
    if hashlib.sha256(block).digest() != bytes(digest["digest"]):
        raise BadInputError(f"CAR block {cid_str(cid)}: content does not match its CID (corrupted block)")


def _link(value: Any, where: str) -> bytes:
    """A CID link as decoded by libipld (bytes); anything else is a malformed node."""
    if not isinstance(value, bytes):
        raise BadInputError(f"{where}: a link must be a CID, got {type(value).__name__}")
    return value


def _decode(blocks: dict[bytes, bytes], cid: bytes, what: str) -> Any:
    block = blocks.get(cid)
    if block is None:
        raise BadInputError(f"CAR is missing {what} block {cid_str(cid)}")
    try:
        return libipld.decode_dag_cbor(block)
    except (ValueError, RecursionError, OverflowError) as exc:
        raise BadInputError(f"CAR block {cid_str(cid)}: not valid dag-cbor: {exc}") from None


def walk_mst(blocks: dict[bytes, bytes], root: bytes, limits: Limits = DEFAULT) -> Iterator[tuple[str, bytes]]:
    """(key, record CID) for every leaf, in key order. Iterative, so a deep tree cannot hit the
    recursion limit; a missing node names its CID.

    Bounded: a tree is a tree, so a node reached a second time (a subtree shared between two
    parents, the "DAG bomb" that makes a 9 KB CAR hold 2^40 leaves) is refused, as is a walk past
    ``limits.mst_nodes`` nodes, ``limits.depth`` levels or ``limits.records`` leaves.
    """
    seen: set[bytes] = set()
    leaves = 0
    stack: list[tuple[str, bytes | None, str, int]] = [("node", root, "", 1)]
    while stack:
        kind, cid, key, depth = stack.pop()
        if kind == "leaf":
            assert cid is not None
            leaves += 1
            if leaves > limits.records:
                raise BadInputError(limits.refuse("records in the repo", limits.records, "--max-records"))
            yield key, cid
            continue
        if cid is None:
            continue
        if cid in seen:
            raise BadInputError(f"CAR MST node {cid_str(cid)} is reached twice: not a tree (refused)")
        seen.add(cid)
        if len(seen) > limits.mst_nodes:
            raise BadInputError(limits.refuse("MST nodes visited", limits.mst_nodes, "--max-mst-nodes"))
        if depth > limits.depth:
            raise BadInputError(limits.refuse("MST depth", limits.depth, "--max-depth"))
        stack.extend(reversed(_node_entries(blocks, cid, depth)))


def _node_entries(blocks: dict[bytes, bytes], cid: bytes, depth: int) -> list[tuple[str, bytes | None, str, int]]:
    """One MST node's children in key order: left subtree, then (leaf, right subtree) pairs."""
    where = f"CAR block {cid_str(cid)}"
    node = _decode(blocks, cid, "MST node")
    if not isinstance(node, dict) or not isinstance(node.get("e"), list):
        raise BadInputError(f"{where}: not an MST node")
    left = node.get("l")
    todo: list[tuple[str, bytes | None, str, int]] = [
        ("node", None if left is None else _link(left, where), "", depth + 1)]
    last = b""
    for entry in node["e"]:
        if not isinstance(entry, dict):
            raise BadInputError(f"{where}: malformed MST entry (not a map)")
        prefix, suffix, tree = entry.get("p"), entry.get("k"), entry.get("t")
        if not isinstance(prefix, int) or not isinstance(suffix, bytes) or not 0 <= prefix <= len(last):
            raise BadInputError(f"{where}: malformed MST entry (bad key prefix or suffix)")
        full = last[:prefix] + suffix
        try:
            text = full.decode()
        except UnicodeDecodeError:
            raise BadInputError(f"{where}: malformed MST entry (key is not UTF-8)") from None
        todo.append(("leaf", _link(entry.get("v"), where), text, depth))
        todo.append(("node", None if tree is None else _link(tree, where), "", depth + 1))
        last = full
    return todo


def read_repo(car: bytes, limits: Limits = DEFAULT) -> Repo:
    """Verify and walk a repo export: commit -> MST -> every record."""
    roots, blocks = read_blocks(car, limits)
    commit = _decode(blocks, roots[0], "commit")
    if not isinstance(commit, dict) or not isinstance(commit.get("did"), str) or "data" not in commit:
        raise BadInputError(f"CAR root {cid_str(roots[0])} is not a repo commit")
    data = _link(commit["data"], f"CAR commit {cid_str(roots[0])}")
    records: list[RepoRecord] = []
    for key, cid in walk_mst(blocks, data, limits):
        collection, _, rkey = key.rpartition("/")
        value = _decode(blocks, cid, f"record {key}")
        records.append(RepoRecord(collection, rkey, cid_str(cid), value))
    rev = commit.get("rev")
    return Repo(did=commit["did"], rev=rev if isinstance(rev, str) else None,
                commit_cid=cid_str(roots[0]), records=records)


def ipld_to_json(value: Any) -> Any:
    """A decoded record back in the JSON form the API shows: links as ``{"$link"}``, bytes as
    ``{"$bytes"}``. libipld decodes both to ``bytes``; it also *encodes* any bytes that parse as a
    CID as a link, so treating CID-shaped bytes as links is exactly its round trip."""
    if isinstance(value, dict):
        return {k: ipld_to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [ipld_to_json(v) for v in value]
    if isinstance(value, bytes):
        if value[:1] == b"\x01" or value[:2] == b"\x12\x20":
            try:
                return {"$link": str(libipld.encode_cid(value))}
            except ValueError:
                pass
        return {"$bytes": base64.b64encode(value).decode().rstrip("=")}
    return value
