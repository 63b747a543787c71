"""Incremental builds: remember a hash of each file's inputs, write only files whose inputs changed,
and remove files whose subject vanished from the archive (a cascade that no longer exists).

The manifest is ``<site>/.manifest.json``: ``{"format": 2, "files": {relative path: input hash},
"units": {unit: [stamp, [paths]]}}``. A *unit* is one subject (a post, an account, a cascade) with
the files it produced; when its stamp (``reports.stamps``) is unchanged, its files are kept without
building anything.
It is written last, after every page, so a build that dies half-way leaves the old manifest and the
next build rewrites whatever it may have left half-written. A directory that holds files but no
manifest is refused: it is not a report site, and a build must never delete a stranger's files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from archiver.errors import BadInputError

NAME = ".manifest.json"
FORMAT = 2


class Manifest:
    """Old and new input hashes for every file of one site directory."""

    def __init__(self, out_dir: Path, full: bool) -> None:
        self.out_dir = out_dir
        previous, units = self._load(out_dir)
        self.old: dict[str, str] = {} if full else previous
        self.old_units: dict[str, list[Any]] = {} if full else units
        self.previous_files = set(previous)
        self.new: dict[str, str] = {}
        self.units: dict[str, list[Any]] = {}
        self.written_paths: set[str] = set()
        self._made: set[Path] = set()

    @staticmethod
    def _load(out_dir: Path) -> tuple[dict[str, str], dict[str, list[Any]]]:
        path = out_dir / NAME
        if not path.exists():
            if out_dir.exists() and any(out_dir.iterdir()):
                raise BadInputError(f"{out_dir.name}: directory is not empty and holds no report site "
                                    f"({NAME} missing); choose an empty or new --out directory")
            return {}, {}
        try:
            data = orjson.loads(path.read_bytes())
            files = {str(k): str(v) for k, v in data["files"].items()}
            if data.get("format") != FORMAT:
                return files, {}  # an older layout: its files may be replaced, nothing is reused
            return files, dict(data["units"])
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return {}, {}  # unreadable: rebuild everything (the files themselves are regenerable)

    def reuse(self, unit: str, stamp: str) -> bool:
        """Keep ``unit``'s files when its stamp is unchanged and they are all still there."""
        old = self.old_units.get(unit)
        if old is not None and old[0] == stamp and all(
                p in self.old and (self.out_dir / p).exists() for p in old[1]):
            for p in old[1]:
                self.new[p] = self.old[p]
            self.units[unit] = old
            return True
        self.units[unit] = [stamp, []]
        return False

    def claim(self, unit: str, rel: str) -> None:
        """Record that ``rel`` belongs to ``unit`` (so reusing the unit keeps it)."""
        self.units[unit][1].append(rel)

    def wanted(self, rel: str, digest: str) -> bool:
        """Record ``rel`` as part of the site; True when it must be (re)written."""
        self.new[rel] = digest
        return not (self.old.get(rel) == digest and (self.out_dir / rel).exists())

    def write(self, rel: str, data: bytes) -> None:
        target = self.out_dir / rel
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        target.write_bytes(data)
        self.written_paths.add(rel)

    @property
    def written(self) -> int:
        return len(self.written_paths)

    @property
    def skipped(self) -> int:
        """Files of this site that were already up to date."""
        return len(self.new.keys() - self.written_paths)

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
        data = orjson.dumps({"format": FORMAT, "files": self.new, "units": self.units},
                            option=orjson.OPT_SORT_KEYS)
        tmp = self.out_dir / (NAME + ".tmp")
        tmp.write_bytes(data + b"\n")
        os.replace(tmp, self.out_dir / NAME)
        return removed


def _prune_empty(directory: Path, stop: Path) -> None:
    while directory != stop and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
