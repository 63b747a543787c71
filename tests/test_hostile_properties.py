"""Property tests (hypothesis, fixed seed): valid twarc pages, X archive files and CAR blocks,
mutated at random, are either imported or refused cleanly. Never a traceback; on a refusal the
archive is exactly as it was.

Two levels: every example runs the reader and the storability checks (fast, in-process); every
``E2E_EVERY``-th goes through the real ``archiver import`` into one SQLite archive. The number of
examples comes from ``ARCHIVER_HOSTILE_EXAMPLES`` (``.ci/run`` sets a few thousand; plain
``make test`` runs fewer).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import libipld
import orjson
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from archiver.archive import Archive, open_archive
from archiver.errors import BadInputError
from archiver.importers.runner import BadRow, ImportSource, checked_items
from archiver.platforms.bluesky.car_import import CarSource
from archiver.platforms.bluesky.sandbox.repo_car import build_repo_car
from archiver.platforms.x.twarc import TwarcSource
from archiver.platforms.x.x_archive import XArchiveSource
from tests.fixtures_gen import hostile
from tests.fixtures_gen import x_archive as xa
from tests.fixtures_gen.bluesky_repo import DID, sample_records
from tests.fixtures_gen.run import counts, run_cli
from tests.fixtures_gen.twarc import raw_page

EXAMPLES = int(os.environ.get("ARCHIVER_HOSTILE_EXAMPLES", "150"))
E2E_EVERY = 10
SEED = 20261202
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=False, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])

HOSTILE_VALUES: list[Any] = [
    None, True, 0, -1, 1.5, 2**63, -(2**63) - 1, 10**30, "", "-5", "../../etc/passwd", "\u0661\u0662",
    "a\u0000b", "\u202eevil", hostile.ESCAPES, "x" * 5000, [], {}, [[[[[]]]]], {"a": None}, "9" * 25,
    "did:plc:x", "at://x", "Sat Feb 18 12:33:11 +0000 2023", "2024-13-45T99:99:99Z",
]
HOSTILE_BYTES = [b"\x00", b"\\u0000", b"99999999999999999999999", b'"', b"{", b"[", b"\xff\xfe", b"\\ud800",
                 "\u202e".encode(), b"-1", b"1e400", b"null", b'""', b"\x1b[2J", b"]", b"}", b","]


# ---- mutations -----------------------------------------------------------------------------------
def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replace(v, rest, new) if k == head else v) for k, v in value.items()}
    return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(value)]


@st.composite
def mutated_json(draw: st.DrawFn, valid: Any) -> Any:
    """``valid`` with one to three values (anywhere in it) replaced by hostile ones."""
    paths = list(_paths(valid))
    out = valid
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        out = _replace(out, path, draw(st.sampled_from(HOSTILE_VALUES)))
        paths = list(_paths(out))
    return out


@st.composite
def mutated_bytes(draw: st.DrawFn, valid: bytes) -> bytes:
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[at:at] = draw(st.sampled_from(HOSTILE_BYTES))
        elif action == "delete":
            del data[at: at + draw(st.integers(1, 40))]
        elif action == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at: at + draw(st.integers(1, 200))]
    return bytes(data)


# ---- the invariant ---------------------------------------------------------------------------------
def _read_all(source: ImportSource) -> None:
    """The reader + checks: pages or bad rows, or one BadInputError; anything else fails the test."""
    try:
        for _, item in checked_items(source, "0" * 64):
            assert isinstance(item, BadRow) or item.capture is not None
    except BadInputError:
        pass


class _E2E:
    """Every ``E2E_EVERY``-th example through the real CLI into one archive: exit 0 or 2, and on
    2 the archive's rows unchanged."""

    def __init__(self, archive: Archive, capsys: pytest.CaptureFixture[str]) -> None:
        self.archive, self.capsys, self.n = archive, capsys, 0

    def __call__(self, *args: str) -> None:
        self.n += 1
        if self.n % E2E_EVERY:
            return
        before = counts(self.archive)
        code, _, err = run_cli(self.capsys, self.archive, "import", *args)
        assert code in (0, 2), err
        assert "Traceback" not in err
        if code == 2:
            assert err.startswith("archiver: error: ") and err.count("\n") == 1, err
            assert counts(self.archive) == before


@pytest.fixture
def e2e(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[_E2E]:
    handle = open_archive(tmp_path / "archive", None, create=True)
    try:
        yield _E2E(handle, capsys)
    finally:
        handle.close()


def _writer(tmp_path: Path, name: str) -> Callable[[bytes], Path]:
    def write(data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path
    return write


# ---- twarc -----------------------------------------------------------------------------------------
VALID_PAGE = raw_page(1, per_page=4)


@seed(SEED)
@SETTINGS
@given(page=mutated_json(VALID_PAGE))
def test_mutated_twarc_pages(page: Any, tmp_path: Path, e2e: _E2E) -> None:
    path = _writer(tmp_path, "m.jsonl")(json.dumps(page).encode() + b"\n")  # json: ints past 64 bits too
    _read_all(TwarcSource(path))
    e2e("twarc", str(path))


@seed(SEED)
@SETTINGS
@given(data=mutated_bytes(orjson.dumps(VALID_PAGE) + b"\n" + orjson.dumps(raw_page(2, per_page=2)) + b"\n"))
def test_mutated_twarc_bytes(data: bytes, tmp_path: Path, e2e: _E2E) -> None:
    path = _writer(tmp_path, "b.jsonl")(data)
    _read_all(TwarcSource(path))
    e2e("twarc", str(path))


# ---- X archive ---------------------------------------------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


VALID_TWEETS = [{"tweet": t} for t in xa.tweets()[:5]]


@seed(SEED)
@SETTINGS
@given(items=mutated_json(VALID_TWEETS))
def test_mutated_x_archive_tweets(items: Any, tmp_path: Path, e2e: _E2E) -> None:
    members = xa.files() | {"data/tweets.js": b"window.YTD.tweets.part0 = " + json.dumps(items).encode()}
    path = _writer(tmp_path, "x.zip")(_zip(members))
    _read_all(XArchiveSource(path))
    e2e("x-archive", str(path))


@seed(SEED)
@SETTINGS
@given(data=st.data())
def test_mutated_x_archive_members(data: st.DataObject, tmp_path: Path, e2e: _E2E) -> None:
    members = xa.files()
    name = data.draw(st.sampled_from(sorted(members)))
    members[name] = data.draw(mutated_bytes(members[name]))
    raw = _zip(members)
    if data.draw(st.booleans()):
        raw = data.draw(mutated_bytes(raw))  # the container itself
    path = _writer(tmp_path, "x.zip")(raw)
    _read_all(XArchiveSource(path))
    e2e("x-archive", str(path))


# ---- Bluesky CAR -----------------------------------------------------------------------------------
VALID_RECORDS = sample_records()


@seed(SEED)
@SETTINGS
@given(data=st.data())
def test_mutated_car_records(data: st.DataObject, tmp_path: Path, e2e: _E2E) -> None:
    index = data.draw(st.integers(0, len(VALID_RECORDS) - 1))
    collection, rkey, record = VALID_RECORDS[index]
    records = list(VALID_RECORDS)
    records[index] = (collection, rkey, data.draw(mutated_json(record)))
    try:
        car = build_repo_car(DID, records)
    except (ValueError, TypeError, OverflowError):
        return  # the builder itself cannot encode it: not a CAR anyone can hand us
    path = _writer(tmp_path, "r.car")(car)
    _read_all(CarSource(path))
    e2e("bluesky-car", str(path))


def _rebuild_root_node(car: bytes, mutate: Callable[[Any], Any]) -> bytes:
    from archiver.platforms.bluesky.car import read_blocks

    roots, blocks = read_blocks(car)
    commit = libipld.decode_dag_cbor(blocks[roots[0]])
    node = mutate(libipld.decode_dag_cbor(blocks[commit["data"]]))
    node_block = libipld.encode_dag_cbor(node)
    commit["data"] = hostile.cid_of(node_block)
    others = [b for cid, b in blocks.items() if cid != roots[0]]
    return hostile.car_file(commit, [node_block, *others])


@seed(SEED)
@SETTINGS
@given(data=st.data())
def test_mutated_car_blocks(data: st.DataObject, tmp_path: Path, e2e: _E2E) -> None:
    car = build_repo_car(DID, VALID_RECORDS, rev="3kvalid222222")
    if data.draw(st.booleans()):
        values = [None, 0, -1, 2**40, b"", b"\x01\x71\x12\x20" + b"\x00" * 32, "str", [], {}, b"\xff" * 40]

        def mutate(node: Any) -> Any:
            entries = node.get("e") or []
            if entries and data.draw(st.booleans()):
                entry = entries[data.draw(st.integers(0, len(entries) - 1))]
                entry[data.draw(st.sampled_from(["p", "k", "v", "t"]))] = data.draw(st.sampled_from(values))
            else:
                node[data.draw(st.sampled_from(["l", "e"]))] = data.draw(st.sampled_from(values))
            return node

        try:
            raw = _rebuild_root_node(car, mutate)
        except (ValueError, TypeError, OverflowError):
            return
    else:
        raw = data.draw(mutated_bytes(car))
    path = _writer(tmp_path, "r.car")(raw)
    _read_all(CarSource(path))
    e2e("bluesky-car", str(path))
