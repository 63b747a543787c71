"""``archiver import follows FILE``: a researcher's follows list, for the Goel retweet inference.

The CSV has two columns, ``follower,followed`` (an optional header row with those names), each a
platform account id (X user id, Bluesky DID) or a handle the archive already knows (``@`` optional;
renamed handles are found through their history). Every line is checked before anything is
written; the file itself is kept as a capture (evidence of what the inference rested on) and its
follows are stored with it in one transaction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from archiver import platforms
from archiver.archive import Archive
from archiver.collectors.records import CaptureRecord, Follow, Page, Platform
from archiver.errors import BadInputError
from archiver.tables import T_ACCOUNT, T_FOLLOW, T_HANDLE
from archiver.timeutil import utcnow


@dataclass
class FollowsImport:
    rows: int
    new_follows: int
    run_id: int


def _is_platform_id(platform: str, value: str) -> bool:
    return platforms.get(platform).is_account_id(value)


def _handle_index(conn: Connection, platform: str) -> dict[str, str]:
    """lower-cased handle (current or past) -> account platform id."""
    index: dict[str, str] = {}
    query = (select(T_HANDLE.c.handle, T_ACCOUNT.c.platform_id)
             .join(T_ACCOUNT, T_ACCOUNT.c.id == T_HANDLE.c.account_id)
             .where(T_ACCOUNT.c.platform == platform))
    for handle, platform_id in conn.execute(query):
        index.setdefault(handle.lower(), platform_id)
    current = select(T_ACCOUNT.c.handle, T_ACCOUNT.c.platform_id).where(
        (T_ACCOUNT.c.platform == platform) & T_ACCOUNT.c.handle.is_not(None))
    for handle, platform_id in conn.execute(current):
        index[handle.lower()] = platform_id  # the current holder of a handle wins over a past one
    return index


def parse_follows(path: Path, data: bytes, platform: str, handles: dict[str, str]) -> list[Follow]:
    """Every line as a Follow, or BadInputError naming the file, line and field."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    follows: list[Follow] = []
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row]
        if line_no == 1 and [c.lower() for c in cells] == ["follower", "followed"]:
            continue
        if len(cells) != 2 or not all(cells):
            raise BadInputError(f"{path}:{line_no}: expected two fields 'follower,followed', got {row!r}")
        ids = []
        for field_name, value in zip(("follower", "followed"), cells, strict=True):
            if _is_platform_id(platform, value):
                ids.append(value)
                continue
            known = handles.get(value.lstrip("@").lower())
            if known is None:
                raise BadInputError(f"{path}:{line_no}: {field_name} {value!r} is neither a {platform} account "
                                    "id nor a handle in the archive")
            ids.append(known)
        follows.append(Follow(platform=_platform(platform), follower_id=ids[0], followed_id=ids[1]))
    return follows


def _platform(name: str) -> Platform:
    if name not in platforms.names():
        raise BadInputError(f"--platform {name}: expected {' or '.join(platforms.names())}")
    return name


def import_follows(archive: Archive, path: Path, platform: str) -> FollowsImport:
    _platform(platform)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read: {exc.strerror}") from None
    with archive.engine.connect() as conn:
        handles = _handle_index(conn, platform)
        before = conn.execute(select(func.count()).select_from(T_FOLLOW)).scalar_one()
    follows = parse_follows(path, data, platform, handles)
    store = archive.store(fetch_media=False)
    run_id = store.start_run("import", [f"follows:{path.name}"])
    capture = CaptureRecord(kind="file", url=path.resolve().as_uri(), status=200, fetched_at=utcnow(), body=data,
                            meta={"file": path.name, "size": len(data), "format": "follows-csv",
                                  "platform": platform})
    store.ingest(Page(capture=capture, follows=follows, source=f"follows:{path.name}"), run_id)
    with archive.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(T_FOLLOW)).scalar_one()
    result = FollowsImport(rows=len(follows), new_follows=int(after - before), run_id=run_id)
    store.finish_run(run_id, "complete", {"follows_read": result.rows, "new_follows": result.new_follows}, [])
    return result
