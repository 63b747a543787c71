"""Reading and deleting only inside a folder: never through a symlink, a device or ``..``.

Why: a stranger's unpacked archive may hold ``data/tweets_media/x.jpg -> ~/.ssh/id_ed25519``
(plain ``unzip`` restores symlinks); following it would store a private key as evidence and
publish it in the report. A planted report manifest may name ``../x`` or ``/etc/passwd`` as a
file to delete. Every such path is refused with a message naming it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from archiver.errors import BadInputError


def clean_relative(name: str) -> str | None:
    """``name`` as a plain relative POSIX path (no ``..``, no absolute root, no NUL, no empty
    parts), or None when it could point outside its folder."""
    if not name or "\x00" in name or "\\" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("..", "") for part in path.parts):
        return None
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    return path.as_posix()


def walk_regular(root: Path) -> Iterator[str]:
    """Every regular file under ``root`` (relative POSIX paths, sorted), without following any
    symlink; a symlink, device, FIFO or socket anywhere in the tree is refused."""
    if root.is_symlink():
        raise BadInputError(f"{root}: is a symlink; give the folder itself")
    found: list[str] = []
    for directory, dirs, files in os.walk(root, followlinks=False):
        for name in [*dirs, *files]:
            full = os.path.join(directory, name)
            mode = os.lstat(full).st_mode
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if stat.S_ISLNK(mode):
                raise BadInputError(f"{root}: {rel} is a symlink; refusing to read outside the folder")
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise BadInputError(f"{root}: {rel} is not a regular file (device, FIFO or socket); refused")
            if stat.S_ISREG(mode):
                found.append(rel)
    return iter(sorted(found))


def open_inside(root: Path, rel: str) -> int:
    """A read-only descriptor for ``root/rel``, refused unless it is a regular file whose real path
    lies inside ``root`` and which is no symlink (checked on the opened file, not before it)."""
    name = clean_relative(rel)
    if name is None:
        raise BadInputError(f"{root}: {rel!r} points outside the folder; refused")
    target = root / name
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(target)]) != real_root:
        raise BadInputError(f"{root}: {rel} resolves outside the folder; refused")
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise BadInputError(f"{root}: cannot open {rel} ({exc.strerror or exc}); refused") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BadInputError(f"{root}: {rel} is not a regular file; refused")
    return fd


def read_inside(root: Path, rel: str, limit: int) -> bytes:
    """The bytes of ``root/rel`` (see ``open_inside``), at most ``limit`` of them: a longer file
    raises ``OverflowError`` so the caller can name its own limit."""
    with os.fdopen(open_inside(root, rel), "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise OverflowError(rel)
    return data


def deletable(root: Path, rel: str) -> Path | None:
    """``root/rel`` when it may be deleted by a tool that owns ``root``: a relative name without
    ``..``, whose parent folders are no symlinks and whose real path is inside ``root``."""
    name = clean_relative(rel)
    if name is None:
        return None
    target = root / name
    real_root = os.path.realpath(root)
    parent = os.path.realpath(target.parent)
    if os.path.commonpath([real_root, parent]) != real_root:
        return None
    return target


__all__ = ["clean_relative", "deletable", "open_inside", "read_inside", "walk_regular"]
