"""The archive's posts as compact columns, with every reference already resolved to a row.

Why columns of ``array`` rather than one object per post: cascade analysis holds every post at once,
and an archive of a million reshares as Python objects costs several hundred MB; typed arrays cost
about 70 bytes a post. References are resolved to row numbers once, in SQL (one indexed self-join
per reference), so the analysis below never touches platform ids or strings.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from archiver.tables import T_ACCOUNT, T_POST

NONE = -1  # the post makes no such reference
MISSING = -2  # it does, but the referenced post is not in the archive

KIND_CODES: dict[str, int] = {"post": 0, "repost": 1, "quote": 2, "reply": 3}
KIND_NAMES: tuple[str, ...] = ("post", "repost", "quote", "reply")
REFERENCES: tuple[str, ...] = ("reposted", "quoted", "replied", "via", "thread_root")
_FETCH = 20_000


@dataclass
class PostTable:
    """One row per post, in ``post.id`` order. Reference columns hold a row number, NONE or MISSING."""

    ids: array = field(default_factory=lambda: array("q"))
    platform: array = field(default_factory=lambda: array("b"))  # index into platforms
    kind: array = field(default_factory=lambda: array("b"))  # index into KIND_NAMES
    account: array = field(default_factory=lambda: array("q"))  # account.id
    created: array = field(default_factory=lambda: array("d"))  # epoch seconds, UTC
    reposted: array = field(default_factory=lambda: array("q"))
    quoted: array = field(default_factory=lambda: array("q"))
    replied: array = field(default_factory=lambda: array("q"))
    via: array = field(default_factory=lambda: array("q"))
    thread_root: array = field(default_factory=lambda: array("q"))
    platforms: list[str] = field(default_factory=list)
    tracked: set[int] = field(default_factory=set)  # account ids of the tracked officials

    def __len__(self) -> int:
        return len(self.ids)

    def add_row(self, post_id: int, platform: int, kind: int, account: int, created: float, *,
                reposted: int = NONE, quoted: int = NONE, replied: int = NONE, via: int = NONE,
                thread_root: int = NONE) -> None:
        """Append one post (references are row numbers, NONE or MISSING): for tests and benchmarks
        that build a table without an archive."""
        self.ids.append(post_id)
        self.platform.append(platform)
        self.kind.append(kind)
        self.account.append(account)
        self.created.append(created)
        self.reposted.append(reposted)
        self.quoted.append(quoted)
        self.replied.append(replied)
        self.via.append(via)
        self.thread_root.append(thread_root)

    def platform_code(self, name: str) -> int:
        try:
            return self.platforms.index(name)  # a handful of platforms: a list is the fastest map
        except ValueError:
            self.platforms.append(name)
            return len(self.platforms) - 1


def epoch(moment: datetime | str) -> float:
    """Seconds since the epoch; a naive value is UTC (the archive stores UTC only). SQLite hands
    the driver's text (``2025-03-16 15:45:00.000000``), PostgreSQL a datetime."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def load_post_table(conn: Connection) -> PostTable:
    """Read every post with its references resolved to post ids, then to row numbers.

    The joins use the unique (platform, platform_id) index: references never cross platforms.
    """
    refs = {
        "reposted": T_POST.c.reposted_id,
        "quoted": T_POST.c.quoted_id,
        "replied": T_POST.c.replied_to_id,
        "via": T_POST.c.via_id,
        "thread_root": T_POST.c.thread_root_id,
    }
    aliases = {name: T_POST.alias(f"ref_{name}") for name in refs}
    columns: list[Any] = [T_POST.c.id, T_POST.c.platform, T_POST.c.kind, T_POST.c.account_id,
                          T_POST.c.created_at]
    joined: Any = T_POST
    for name, column in refs.items():
        target = aliases[name]
        joined = joined.outerjoin(
            target, and_(target.c.platform == T_POST.c.platform, target.c.platform_id == column)
        )
        # NONE when there is no reference, 0 when the referenced post is not archived
        columns.append(case((column.is_(None), NONE), else_=func.coalesce(target.c.id, 0)).label(name))
    query = select(*columns).select_from(joined).order_by(T_POST.c.id)
    # Driver rows in chunks, columns extended per chunk: the per-row cost of Row objects and of the
    # datetime type decorator was most of the load time on a million posts. ``stream_results`` keeps
    # PostgreSQL from buffering the whole result on the client.
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    result = conn.execution_options(stream_results=True, yield_per=_FETCH).exec_driver_sql(sql)
    table = PostTable()
    raw_refs: dict[str, array] = {name: array("q") for name in refs}
    for chunk in result.partitions(_FETCH):
        cols = list(zip(*chunk, strict=True))
        table.ids.extend(cols[0])
        table.platform.extend(map(table.platform_code, cols[1]))
        table.kind.extend(KIND_CODES.get(kind, 0) for kind in cols[2])
        table.account.extend(cols[3])
        table.created.extend(map(epoch, cols[4]))
        for offset, name in enumerate(refs):
            raw_refs[name].extend(cols[5 + offset])
    position = _positions(table.ids)
    for name, values in raw_refs.items():
        setattr(table, name, _to_rows(values, position))
    table.tracked = {int(r[0]) for r in conn.execute(select(T_ACCOUNT.c.id).where(T_ACCOUNT.c.tracked))}
    return table


def _positions(ids: array) -> array | dict[int, int]:
    """post id -> row number. Ids are autoincrement, so a dense array costs about 8 bytes a post;
    an archive whose ids are sparse (copied, or many rolled-back inserts) gets a dict instead."""
    top = max(ids) if ids else 0
    if top > 4 * len(ids) + 100_000:
        return {post_id: row for row, post_id in enumerate(ids)}
    position = array("q", [NONE]) * (top + 1)
    for row, post_id in enumerate(ids):
        position[post_id] = row
    return position


def _to_rows(values: array, position: array | dict[int, int]) -> array:
    out = array("q", values)
    for i, value in enumerate(values):
        if value > 0:
            out[i] = position[value]
        elif value == 0:
            out[i] = MISSING
    return out
