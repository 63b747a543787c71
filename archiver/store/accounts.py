"""Account bookkeeping for one page: the authors and accounts it names, their handles over time.

An account row is rewritten from what is read here, so the read locks the rows (``Bulk.select_in``
takes FOR UPDATE on PostgreSQL; SQLite's writer already holds the database lock): a concurrent
writer must wait, not be overwritten by a stale view (a rename rolled back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archiver.bulk import Bulk
from archiver.collectors.records import AccountRecord, Page, PostRecord
from archiver.store.results import PageResult
from archiver.store.sql import ids_by_platform, insert_ignoring_conflicts
from archiver.tables import T_ACCOUNT, T_HANDLE

AccountKey = tuple[str, str]  # (platform, platform id)


@dataclass(frozen=True, slots=True)
class StoredAccount:
    id: int
    handle: str | None
    tracked: bool
    last_seen_at: datetime | None


@dataclass(frozen=True, slots=True)
class HandleSeen:
    """One handle observation worth recording in the handle history."""

    account_id: int
    handle: str
    seen_at: datetime
    previous: str | None  # the handle it replaced, on a rename
    previous_seen: datetime | None  # when the account was last seen before this page
    known_account: bool  # False for an account this page created


def upsert_accounts(
    bulk: Bulk, page: Page, posts: list[PostRecord], seen_at: datetime, result: PageResult
) -> dict[AccountKey, int]:
    """Every account the page names, created or brought up to date; their row ids by key."""
    records = _merged_records([*(p.author for p in posts), *page.accounts])
    if not records:
        return {}
    existing = select_accounts(bulk, list(records))
    missing = [k for k in records if k not in existing]
    if missing:
        bulk.conn.execute(
            insert_ignoring_conflicts(bulk.conn, T_ACCOUNT, ["platform", "platform_id"]),
            [{"platform": k[0], "platform_id": k[1], "handle": records[k].handle,
              "display_name": records[k].display_name, "tracked": records[k].tracked,
              "first_seen_at": seen_at, "last_seen_at": seen_at} for k in missing],
        )
        existing.update(select_accounts(bulk, missing))
    created = set(missing)
    handles: list[HandleSeen] = []
    updates = []
    only_seen: list[int] = []
    for key, record in records.items():
        stored = existing[key]
        newest = stored.last_seen_at is None or seen_at >= stored.last_seen_at
        new_handle = record.handle if (record.handle and newest) else stored.handle
        renamed = new_handle != stored.handle and stored.handle is not None and key not in created
        if renamed:
            result.renames += 1
        new_tracked = stored.tracked or record.tracked
        new_seen = max(seen_at, stored.last_seen_at) if stored.last_seen_at else seen_at
        if (new_handle, new_tracked) != (stored.handle, stored.tracked):
            updates.append((new_handle, new_tracked, new_seen, stored.id))
        elif new_seen != stored.last_seen_at:
            only_seen.append(stored.id)  # the common case: one statement for the whole page
        if record.handle and (key in created or record.handle != stored.handle or not newest):
            handles.append(HandleSeen(stored.id, record.handle, seen_at, stored.handle if renamed else None,
                                      stored.last_seen_at, key not in created))
    bulk.update(T_ACCOUNT, ("handle", "tracked", "last_seen_at", "id"), updates)
    bulk.raise_to(T_ACCOUNT, "last_seen_at", seen_at, only_seen)
    if handles:
        record_handles(bulk, handles)
    return {k: v.id for k, v in existing.items()}


def _merged_records(records: list[AccountRecord]) -> dict[AccountKey, AccountRecord]:
    """One record per account: tracked if any mention is, the last non-empty handle and name."""
    merged: dict[AccountKey, AccountRecord] = {}
    for record in records:
        key = (record.platform, record.platform_id)
        previous = merged.get(key)
        if previous is None:
            merged[key] = AccountRecord(record.platform, record.platform_id, record.handle,
                                        record.display_name, record.tracked)
        else:
            previous.tracked = previous.tracked or record.tracked
            previous.handle = record.handle or previous.handle
            previous.display_name = record.display_name or previous.display_name
    return merged


def record_handles(bulk: Bulk, rows: list[HandleSeen]) -> None:
    """Handle history, written only when something changes: a new account, a rename, or an
    observation older than what is known (imports). A renamed-away handle's ``last_seen_at``
    becomes the last time the account was seen with it; the current handle's last sighting is
    ``account.last_seen_at``."""
    conn = bulk.conn
    conn.execute(insert_ignoring_conflicts(conn, T_HANDLE, ["account_id", "handle"]), [
        {"account_id": row.account_id, "handle": row.handle, "first_seen_at": row.seen_at,
         "last_seen_at": row.seen_at} for row in rows
    ])
    # a new account's only handle row was just inserted with exact times
    known = [(row.seen_at, row.account_id, row.handle) for row in rows if row.known_account]
    bulk.update_guarded(T_HANDLE, "first_seen_at", ">", ("account_id", "handle"), known)
    bulk.update_guarded(T_HANDLE, "last_seen_at", "<", ("account_id", "handle"), known)
    bulk.update_guarded(T_HANDLE, "last_seen_at", "<", ("account_id", "handle"), [
        (row.previous_seen, row.account_id, row.previous) for row in rows
        if row.known_account and row.previous is not None and row.previous_seen is not None])


def select_accounts(bulk: Bulk, keys: list[AccountKey]) -> dict[AccountKey, StoredAccount]:
    """Accounts by (platform, platform id), locked (see the module docstring), sorted so that
    writers lock in one order."""
    found: dict[AccountKey, StoredAccount] = {}
    for platform, ids in ids_by_platform(keys):
        rows = bulk.select_in(T_ACCOUNT, ("platform_id", "id", "handle", "tracked", "last_seen_at"),
                              ("platform", platform), ("platform_id", ids))
        for platform_id, account_id, handle, tracked, last_seen in rows:
            found[(platform, platform_id)] = StoredAccount(account_id, handle, bool(tracked),
                                                           bulk.read_when(last_seen))
    return found
