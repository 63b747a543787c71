"""Amplification between tracked accounts: how often official A reposted, quoted or replied to
official B, how fast, and when it first and last happened.

It counts the reference the platform records (``reposted_id``, ``quoted_id``, ``replied_to_id``),
never an inferred cascade edge: "A reposted B's post" is a fact even when the chain it travelled
is not. An account answering itself (a thread) is not amplification and is left out.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from itertools import compress

from analysis.post_table import PostTable

_REFERENCES: tuple[tuple[str, str], ...] = (("reposted", "repost"), ("quoted", "quote"), ("replied", "reply"))


@dataclass(slots=True)
class AmplificationRow:
    source_account_id: int  # who amplified
    target_account_id: int  # whose post was amplified
    kind: str
    count: int
    median_latency_s: float
    min_latency_s: float
    first_at: float  # epoch seconds of the source's earliest such post
    last_at: float


def amplification(table: PostTable) -> list[AmplificationRow]:
    """One row per (source, target, kind) among tracked accounts, ordered by count then ids."""
    tracked = table.tracked
    if len(tracked) < 2:
        return []
    account, created = table.account, table.created
    # Only posts by tracked accounts can be amplification; itertools.compress picks them at C speed,
    # so a million-post archive costs one pass over its authors, not three Python loops.
    by_tracked = [row for row in compress(range(len(account)), map(tracked.__contains__, account))]
    found: dict[tuple[int, int, str], list[tuple[float, float]]] = {}
    for column, kind in _REFERENCES:
        targets = getattr(table, column)
        for row in by_tracked:
            target = targets[row]
            if target < 0:
                continue
            source_account, target_account = account[row], account[target]
            if source_account == target_account or not {source_account, target_account} <= tracked:
                continue
            found.setdefault((source_account, target_account, kind), []).append(
                (created[row], created[row] - created[target])
            )
    rows = []
    for (source, target, kind), events in found.items():
        latencies = [latency for _, latency in events]
        times = [at for at, _ in events]
        rows.append(AmplificationRow(source, target, kind, len(events), statistics.median(latencies),
                                     min(latencies), min(times), max(times)))
    rows.sort(key=lambda r: (-r.count, r.source_account_id, r.target_account_id, r.kind))
    return rows
