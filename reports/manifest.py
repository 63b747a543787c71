"""Incremental builds: remember a hash of each file's inputs, write only files whose inputs changed,
and remove files whose subject vanished from the archive (a cascade that no longer exists).

The manifest is ``<site>/.manifest.json``: ``{"format": 1, "files": {relative path: input hash}}``.
It is written last, after every page, so a build that dies half-way leaves the old manifest and the
next build rewrites whatever it may have left half-written. A directory that holds files but no
manifest is refused: it is not a report site, and a build must never delete a stranger's files.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from archiver.errors import BadInputError

NAME = ".manifest.json"
FORMAT = 1


class Manifest:
    """Old and new input hashes for every file of one site directory."""

    def __init__(self, out_dir: Path, full: bool) -> None:
        self.out_dir = out_dir
        self.old: dict[str, str] = {} if full else self._load(out_dir)
        self.previous_files = set(self._load(out_dir)) if full else set(self.old)
        self.new: dict[str, str] = {}
        self.written = 0
        self.skipped = 0

    @staticmethod
    def _load(out_dir: Path) -> dict[str, str]:
        path = out_dir / NAME
        if not path.exists():
            if out_dir.exists() and any(out_dir.iterdir()):
                raise BadInputError(f"{out_dir.name}: directory is not empty and holds no report site "
                                    f"({NAME} missing); choose an empty or new --out directory")
            return {}
        try:
            data = orjson.loads(path.read_bytes())
            files = data["files"]
            if data.get("format") != FORMAT or not isinstance(files, dict):
                return {}
            return {str(k): str(v) for k, v in files.items()}
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return {}  # unreadable: rebuild everything (the files themselves are regenerable)

    def wanted(self, rel: str, digest: str) -> bool:
        """Record ``rel`` as part of the site; True when it must be (re)written."""
        self.new[rel] = digest
        if self.old.get(rel) == digest and (self.out_dir / rel).exists():
            self.skipped += 1
            return False
        return True

    def write(self, rel: str, data: bytes) -> None:
        target = self.out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.written += 1

    def put(self, rel: str, digest: str, data: bytes) -> None:
        if self.wanted(rel, digest):
            self.write(rel, data)

    def finish(self) -> int:
        """Remove files of the previous build that this build did not produce; save the manifest."""
        removed = 0
        for rel in sorted(self.previous_files - set(self.new)):
            target = self.out_dir / rel
            if target.is_file():
                target.unlink()
                removed += 1
                _prune_empty(target.parent, self.out_dir)
        data = orjson.dumps({"format": FORMAT, "files": dict(sorted(self.new.items()))},
                            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        tmp = self.out_dir / (NAME + ".tmp")
        tmp.write_bytes(data + b"\n")
        os.replace(tmp, self.out_dir / NAME)
        return removed


def _prune_empty(directory: Path, stop: Path) -> None:
    while directory != stop and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
