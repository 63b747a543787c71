"""``--out`` checked before any work: one line and exit 2 for a path that cannot be written.

Why: a typo in ``--out`` (a path under a file, a missing parent, an unwritable folder, an existing
file where a folder belongs) used to surface as a Python traceback after the work was done.
"""

from __future__ import annotations

import os
from pathlib import Path

from archiver.errors import BadInputError


def _nearest_existing(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def out_dir(path: Path, flag: str = "--out") -> Path:
    """A folder to write into, created (with missing parents) when absent."""
    if path.exists() and not path.is_dir():
        raise BadInputError(f"{flag} {path}: exists and is not a folder")
    base = _nearest_existing(path)
    if not base.is_dir():
        raise BadInputError(f"{flag} {path}: {base} is a file, so no folder can be made under it")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"{flag} {path}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise BadInputError(f"{flag} {path}: the folder is not writable")
    return path


def out_file(path: Path, flag: str = "--out") -> Path:
    """A file to (over)write: its parent folder must exist and be writable, and it must not be a folder."""
    if path.is_dir():
        raise BadInputError(f"{flag} {path}: is a folder; give a file name")
    parent = path.parent
    if not parent.exists() and not _nearest_existing(parent).is_dir():
        raise BadInputError(f"{flag} {path}: {_nearest_existing(parent)} is a file, not a folder")
    if not parent.exists():
        raise BadInputError(f"{flag} {path}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise BadInputError(f"{flag} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise BadInputError(f"{flag} {path}: not writable")
    return path


__all__ = ["out_dir", "out_file"]
