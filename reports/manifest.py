"""Incremental builds: remember a hash of each file's inputs, write only files whose inputs changed,
and remove files whose subject vanished from the archive (a cascade that no longer exists).

``<site>/.manifest.json`` holds ``{"format": 3, "files": {path: input hash}, "stamps": {page: stamp},
"extras": {page: [paths]}, "raw": [[first, last], ...]}``. A *unit* is one subject (a post, an
account, a cascade) named by its main page; ``stamps`` holds its stamp (``reports.stamps``) and
``extras`` the other files it produced (media, further list pages). When a unit's stamp is unchanged
its files are kept without building anything. Raw JSON downloads are evidence copies of append-only
snapshots, so only the ranges of snapshot ids already written are kept, not one entry per file.
Hashes are 128-bit (32 hex digits): this detects change, it proves nothing, so short is enough, and
an archive of 100k posts keeps its manifest in tens of MB of memory.

The manifest is written last, after every page, so a build that dies half-way leaves the old one and
the next build rewrites whatever it may have left half-written. A directory that holds files but no
manifest is refused: it is not a report site, and a build must never delete a stranger's files.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from archiver.errors import BadInputError
from archiver.safe_paths import deletable

NAME = ".manifest.json"
FORMAT = 3
RAW_DIR = "raw"
MAX_PENDING = 256


def _ranges(ids: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for n in sorted(ids):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        elif not out or n > out[-1][1]:
            out.append([n, n])
    return out


class Manifest:
    """Old and new input hashes for the files of one site directory."""

    def __init__(self, out_dir: Path, full: bool) -> None:
        self.out_dir = out_dir
        data = self._load(out_dir)
        self.previous_files: set[str] = set(data.get("files", {}))
        self.old: dict[str, str] = {} if full else data.get("files", {})
        self.old_stamps: dict[str, str] = {} if full else data.get("stamps", {})
        self.old_extras: dict[str, list[str]] = {} if full else data.get("extras", {})
        self.old_raw: list[list[int]] = [] if full else data.get("raw", [])
        self.existing = self._scan(out_dir)
        self.new: dict[str, str] = {}
        self.stamps: dict[str, str] = {}
        self.extras: dict[str, list[str]] = {}
        self.raw: list[int] = []
        self.written_paths: set[str] = set()
        self.raw_written = 0
        self.raw_kept = 0
        self._made: set[Path] = set()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="report-write")
        self._pending: deque[Future[int]] = deque()

    @staticmethod
    def _load(out_dir: Path) -> dict[str, Any]:
        path = out_dir / NAME
        if not path.exists():
            if out_dir.exists() and any(out_dir.iterdir()):
                raise BadInputError(f"{out_dir.name}: directory is not empty and holds no report site "
                                    f"({NAME} missing); choose an empty or new --out directory")
            return {}
        try:
            data = orjson.loads(path.read_bytes())
            files = data["files"]
            if not isinstance(files, dict):
                return {}
            if data.get("format") != FORMAT:
                return {"files": files}  # an older layout: its files may be replaced, nothing is reused
            return dict(data)
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return {}  # unreadable: rebuild everything (the files themselves are regenerable)

    @staticmethod
    def _scan(out_dir: Path) -> set[str]:
        """Every file now in the site except raw downloads, found in one walk (not one stat each)."""
        found: set[str] = set()
        root = str(out_dir)
        for directory, dirs, files in os.walk(root):
            rel = os.path.relpath(directory, root)
            if rel == RAW_DIR:
                dirs[:] = []
                continue
            prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            found.update(prefix + name for name in files)
        return found

    def reuse(self, unit: str, stamp: str) -> bool:
        """Keep ``unit``'s files when its stamp is unchanged and they are all still there."""
        self.stamps[unit] = stamp
        if self.old_stamps.get(unit) != stamp:
            return False
        files = [unit, *self.old_extras.get(unit, [])]
        if not all(p in self.old and p in self.existing for p in files):
            return False
        for p in files:
            self.new[p] = self.old[p]
        if len(files) > 1:
            self.extras[unit] = files[1:]
        return True

    def claim(self, unit: str, rel: str) -> None:
        """Record that ``rel`` is one of ``unit``'s files besides its main page."""
        if rel != unit:
            self.extras.setdefault(unit, []).append(rel)

    def wanted(self, rel: str, digest: str) -> bool:
        """Record ``rel`` as part of the site; True when it must be (re)written."""
        self.new[rel] = digest
        return not (self.old.get(rel) == digest and rel in self.existing)

    def _write(self, rel: str, data: bytes) -> None:
        """Queue one file write. Creating a file costs 0.1-0.5 ms of kernel time on ext4, about as much
        as rendering the page, so writes run on two threads (file I/O releases the GIL) while the
        main thread renders the next pages; at most ``MAX_PENDING`` writes wait, bounding memory."""
        target = self.out_dir / rel
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        self._pending.append(self._pool.submit(target.write_bytes, data))
        if len(self._pending) > MAX_PENDING:
            self._pending.popleft().result()

    def drain(self) -> None:
        """Wait for every queued write; the first failure is raised here."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Stop the writer threads (after a failure too: queued writes finish, none is cut short)."""
        self._pool.shutdown(wait=True)

    def write(self, rel: str, data: bytes) -> None:
        self._write(rel, data)
        self.written_paths.add(rel)

    def put(self, rel: str, digest: str, data: bytes) -> None:
        if self.wanted(rel, digest):
            self.write(rel, data)

    def raw_due(self, snapshot_ids: list[int]) -> list[int]:
        """Snapshots whose raw download is not yet in the site (ids in ascending order)."""
        self.raw = snapshot_ids
        raw_dir = self.out_dir / RAW_DIR
        present = {name for name in os.listdir(raw_dir)} if raw_dir.is_dir() else set()
        spans = self.old_raw
        due, span = [], 0
        for n in snapshot_ids:
            while span < len(spans) and spans[span][1] < n:
                span += 1
            written_before = span < len(spans) and spans[span][0] <= n
            if written_before and f"{n}.json" in present:
                self.raw_kept += 1
            else:
                due.append(n)
        return due

    def write_raw(self, rel: str, data: bytes) -> None:
        self._write(rel, data)
        self.raw_written += 1

    @property
    def written(self) -> int:
        return len(self.written_paths) + self.raw_written

    @property
    def skipped(self) -> int:
        """Files of this site that were already up to date."""
        return len(self.new.keys() - self.written_paths) + self.raw_kept

    def finish(self) -> int:
        """Remove files of the previous build that this build did not produce; save the manifest."""
        self.drain()
        removed = 0
        for rel in sorted(self.previous_files - self.new.keys()):
            # The manifest is a file in the site: whoever can write there could plant "../x" or an
            # absolute path in it. Only plain relative names inside --out are ever deleted.
            target = deletable(self.out_dir, rel)
            if target is None:
                continue
            if target.is_symlink() or target.is_file():  # a symlink itself is removed, never its target
                target.unlink()
                removed += 1
                _prune_empty(target.parent, self.out_dir)
        data = orjson.dumps({"format": FORMAT, "files": self.new, "stamps": self.stamps, "extras": self.extras,
                             "raw": _ranges(self.raw)}, option=orjson.OPT_SORT_KEYS)
        tmp = self.out_dir / (NAME + ".tmp")
        tmp.write_bytes(data + b"\n")
        os.replace(tmp, self.out_dir / NAME)
        return removed


def _prune_empty(directory: Path, stop: Path) -> None:
    while directory != stop and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
