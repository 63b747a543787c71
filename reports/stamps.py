"""Cheap change detection for incremental builds: one stamp per post, account and cascade page.

Why: hashing each page's full context is exact but means building all 100k contexts (~10 s) just to
find the few hundred that changed. A stamp is a digest of the *columns* a page's context is built
from, read for every page in a handful of indexed queries (~1 s). When a page's stamp equals the
previous build's, the page is kept without building its context; otherwise the context is built,
hashed and written only if that hash changed too (``reports.manifest``).

What each stamp covers (anything a page shows must be here, or ``archiver report --full`` is needed
after it changes; ``tests/test_report_build.py`` checks that an incremental build after a run
equals a full build):

- post page: the post row (status, times, version count, current snapshot), its account's handle
  and name, the newest sighting and status event ids (both tables are append-only), whether each
  referenced post is archived, its cascade edge and the fingerprint of its cascade, its tone row.
  Snapshots and their media are append-only and reached through ``current_snapshot_id``.
- account page: the account row (but last_seen_at, which the page does not show), its handle
  history (handle and first seen), aggregates over its posts that move whenever a post is added,
  edited or changes status, its posts' tones, its amplification rows, and
  the names of all accounts (amplification lists other accounts by handle).
- cascade page: the cascade's fingerprint (analysis.compute: every edge and provenance), its
  measured row, the root's current snapshot, and the names of all accounts (nodes are labelled).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import and_, exists, func, select
from sqlalchemy.engine import Connection

from archiver.tables import T_ACCOUNT, T_HANDLE, T_POST, T_SIGHTING, T_STATUS_EVENT
from reports.paths import account_page, cascade_page, post_page

_REF_COLUMNS = ("reposted_id", "quoted_id", "replied_to_id", "thread_root_id", "via_id")


def digest(*parts: Any) -> str:
    """128-bit digest of plain values (orjson: datetimes as ISO text, fast for 100k rows)."""
    return hashlib.blake2b(orjson.dumps(parts, default=repr), digest_size=16).hexdigest()


def accounts_digest(conn: Connection) -> str:
    rows = conn.execute(select(T_ACCOUNT.c.id, T_ACCOUNT.c.handle, T_ACCOUNT.c.display_name, T_ACCOUNT.c.tracked)
                        .order_by(T_ACCOUNT.c.id)).all()
    return digest([tuple(r) for r in rows])


def _tone_part(tone: Any) -> Any:
    """A post's tone is fixed by the tone row (immutable per content hash and analyzer version) and
    by how it was resolved: these four values determine every tone field a page shows."""
    if tone is None:
        return None
    return (tone.content_sha256, tone.analyzer_version, tone.scored_as, tone.abstain_reason)


def post_stamps(conn: Connection, tones: dict[int, Any] | None,
                has_cascades: bool) -> Iterator[tuple[int, int, str, str]]:
    """(post id, account id, page path, stamp) for every post, in id order."""
    p = T_POST
    columns: list[Any] = [p.c.id, p.c.account_id, p.c.platform, p.c.platform_id, p.c.url, p.c.kind, p.c.status,
                          p.c.status_changed_at, p.c.first_seen_at, p.c.last_seen_at, p.c.version_count,
                          p.c.current_snapshot_id, T_ACCOUNT.c.handle, T_ACCOUNT.c.display_name]
    for name in _REF_COLUMNS:
        other = T_POST.alias(f"ref_{name}")
        columns.append(exists().where(and_(other.c.platform == p.c.platform,
                                           other.c.platform_id == p.c[name])).label(f"has_{name}"))
    columns.append(select(func.max(T_SIGHTING.c.id)).where(T_SIGHTING.c.post_id == p.c.id)
                   .scalar_subquery().label("last_sighting"))
    columns.append(select(func.max(T_STATUS_EVENT.c.id)).where(T_STATUS_EVENT.c.post_id == p.c.id)
                   .scalar_subquery().label("last_event"))
    query = select(*columns).join(T_ACCOUNT, T_ACCOUNT.c.id == p.c.account_id)
    if has_cascades:
        from archiver.tables import T_CASCADE, T_EDGE

        member = T_CASCADE.alias("member_of")
        rooted = T_CASCADE.alias("rooted")
        query = (query.add_columns(T_EDGE.c.parent_post_id, T_EDGE.c.provenance, T_EDGE.c.root_post_id,
                                   member.c.fingerprint, rooted.c.fingerprint)
                 .outerjoin(T_EDGE, T_EDGE.c.child_post_id == p.c.id)
                 .outerjoin(member, member.c.root_post_id == T_EDGE.c.root_post_id)
                 .outerjoin(rooted, rooted.c.root_post_id == p.c.id))
    for row in conn.execute(query.order_by(p.c.id)):
        tone = _tone_part(tones.get(row.id)) if tones is not None else "no tone analysis"
        yield row.id, row.account_id, post_page(row.platform, row.platform_id), digest(list(row), tone)


def account_stamps(conn: Connection, tones: dict[int, Any] | None, post_accounts: dict[int, list[int]],
                   amplification: list[dict[str, Any]] | None, names: str) -> dict[int, tuple[str, str]]:
    """(page path, stamp) per account id; ``post_accounts`` maps account id -> its post ids."""
    p = T_POST
    aggregates = {row.account_id: tuple(row[1:]) for row in conn.execute(
        select(p.c.account_id, func.count(), func.sum(p.c.version_count), func.max(p.c.id),
               func.sum(p.c.current_snapshot_id), func.max(p.c.status_changed_at),
               func.sum(func.length(p.c.status)))
        .group_by(p.c.account_id))}
    handles: dict[int, list[Any]] = {}
    for row in conn.execute(select(T_HANDLE.c.account_id, T_HANDLE.c.handle, T_HANDLE.c.first_seen_at)
                            .order_by(T_HANDLE.c.account_id, T_HANDLE.c.id)):
        handles.setdefault(row.account_id, []).append((row.handle, row.first_seen_at))
    amp: dict[int, list[Any]] = {}
    for amp_row in amplification or []:
        for side in ("source_account_id", "target_account_id"):
            amp.setdefault(amp_row[side], []).append(sorted(amp_row.items()))
    out = {}
    # An account's last_seen_at moves on every run that sees it; its page does not show it.
    shown = [c for c in T_ACCOUNT.c if c.name != "last_seen_at"]
    for account in conn.execute(select(*shown).order_by(T_ACCOUNT.c.id)):
        aid = account[0]
        tone = None if tones is None else [_tone_part(tones.get(pid)) for pid in post_accounts.get(aid, [])]
        out[aid] = (account_page(account.platform, account.platform_id),
                    digest(list(account), aggregates.get(aid), handles.get(aid), tone, amp.get(aid),
                           amplification is None, names))
    return out


def cascade_stamps(conn: Connection, names: str) -> dict[int, tuple[str, str]]:
    """(page path, stamp) per cascade root post id."""
    from archiver.tables import T_CASCADE

    query = (select(T_CASCADE, T_POST.c.current_snapshot_id.label("root_snapshot"),
                    T_POST.c.platform_id.label("root_pid"))
             .join(T_POST, T_POST.c.id == T_CASCADE.c.root_post_id))
    # computed_at is left out: a re-analysis that finds the same tree must not rewrite the page.
    return {row.root_post_id: (cascade_page(row.platform, row.root_pid),
                               digest([v for k, v in row._mapping.items() if k != "computed_at"], names))
            for row in conn.execute(query)}
