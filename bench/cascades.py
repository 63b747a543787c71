"""Benchmark: cascade edges + metrics + amplification on 1M reshares over 10k cascades.

    .venv/bin/python bench/cascades.py [--reshares 1000000] [--cascades 10000] [--seed 4]

The archive is generated **in memory** as the ``PostTable`` columns that ``load_post_table`` would
read from the database (references already resolved), so the figure is the analysis itself, not
SQLite's read speed. It then runs ``analysis.compute.compute``, the exact code ``archiver analyze``
runs: edges with provenance (Goel follows inference included), roots, fingerprints, every metric of
every cascade, and amplification between tracked accounts. Sizes are heavy-tailed (Pareto, alpha
1.2) with one cascade forced above 100k nodes. X reposts name the original; Bluesky reposts carry
``via`` half the time; quotes and replies name their parent.

Prints seconds per phase and peak RSS (the whole process, generation included). Target: <= 10 s and
<= 500 MB. Then times networkx's all-pairs structural virality against the linear method on one
3k-node tree. Figures are recorded in docs/performance.md.

``--sqlite DIR`` additionally writes the same posts straight into a new SQLite archive (account and
post rows by executemany, not through Store.ingest: no captures or snapshots) and times the real
``archiver analyze`` path there: a first run (reading, measuring, writing every edge and cascade),
then an incremental run after one new repost.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import networkx as nx  # noqa: E402

from analysis.analyze import run_cascades  # noqa: E402
from analysis.cascade_metrics import structural_virality  # noqa: E402
from analysis.compute import compute  # noqa: E402
from analysis.post_table import KIND_CODES, KIND_NAMES, NONE, PostTable  # noqa: E402

ACCOUNTS = 200_000
TRACKED = 60
FOLLOWERS_WITH_LISTS = 20_000
FOLLOWS_EACH = 25


def cascade_sizes(rng: random.Random, reshares: int, cascades: int, biggest: int) -> list[int]:
    """Heavy-tailed reshare counts summing to ``reshares``; the first one is ``biggest``."""
    weights = [rng.paretovariate(1.2) for _ in range(cascades - 1)]
    rest = reshares - biggest
    total = sum(weights)
    sizes = [max(1, int(w / total * rest)) for w in weights]
    sizes[0] += rest - sum(sizes)  # keep the exact total
    return [biggest, *sizes]


def generate(reshares: int, cascades: int, seed: int) -> tuple[PostTable, dict[int, set[int]]]:
    rng = random.Random(seed)
    table = PostTable()
    x, bsky = table.platform_code("x"), table.platform_code("bluesky")
    repost, quote, reply, post = (KIND_CODES[k] for k in ("repost", "quote", "reply", "post"))
    table.tracked = set(range(1, TRACKED + 1))
    for size in cascade_sizes(rng, reshares, cascades, max(100_001, reshares // 8)):
        platform = x if rng.random() < 0.5 else bsky
        root = len(table)
        t0 = 1.7e9 + rng.random() * 3e7
        table.add_row(root + 1, platform, post, rng.randint(1, TRACKED), t0)
        content = [root]  # per node: the post a reshare of it names (a repost names its subject)
        for i in range(size):
            local = len(content)
            # earlier nodes, biased towards the root and early adopters
            parent_local = 0 if rng.random() < 0.45 else int(local * rng.random() ** 2)
            parent_row = root + parent_local
            named = content[parent_local]
            kind = repost if rng.random() < 0.8 else (quote if rng.random() < 0.5 else reply)
            account = rng.randint(1, TRACKED) if i < 20 else rng.randint(1, ACCOUNTS)
            created = table.created[parent_row] + rng.expovariate(1 / 1800)
            row = len(table)
            if kind == repost:
                via = parent_row if (platform == bsky and table.kind[parent_row] == repost
                                     and rng.random() < 0.5) else NONE
                table.add_row(row + 1, platform, kind, account, created, reposted=named, via=via)
                content.append(named)
            else:
                table.add_row(row + 1, platform, kind, account, created,
                              quoted=named if kind == quote else NONE, replied=named if kind == reply else NONE)
                content.append(row)
    follows = {a: {rng.randint(1, ACCOUNTS) for _ in range(FOLLOWS_EACH)}
               for a in rng.sample(range(1, ACCOUNTS + 1), FOLLOWERS_WITH_LISTS)}
    return table, follows



def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def all_pairs_ratio(n: int, seed: int) -> tuple[float, float, float, float]:
    rng = random.Random(seed)
    parent = [-1] + [rng.randrange(i) for i in range(1, n)]
    start = time.perf_counter()
    linear = structural_virality(parent)
    linear_s = time.perf_counter() - start
    graph = nx.Graph((i, p) for i, p in enumerate(parent) if p >= 0)
    start = time.perf_counter()
    reference = nx.average_shortest_path_length(graph)
    all_pairs_s = time.perf_counter() - start
    return linear, reference, linear_s, all_pairs_s


def write_sqlite(table: PostTable, follows: dict[int, set[int]], directory: Path) -> object:
    """The generated posts as rows of a fresh SQLite archive; returns the Archive."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from archiver.archive import open_archive
    from archiver.db import writer
    from archiver.tables import T_ACCOUNT, T_FOLLOW, T_POST

    archive = open_archive(directory, None, create=True)
    now = datetime.now(UTC)
    platform_of: dict[int, str] = {}
    for row in range(len(table)):
        platform_of.setdefault(table.account[row], table.platforms[table.platform[row]])
    with writer(archive.engine).begin() as conn:
        conn.execute(insert(T_ACCOUNT), [
            {"id": a, "platform": platform_of.get(a, "x"), "platform_id": f"u{a}", "handle": f"user{a}",
             "tracked": a <= TRACKED, "first_seen_at": now, "last_seen_at": now}
            for a in range(1, ACCOUNTS + 1)])
        pairs = [(a, b) for a, followed in follows.items() for b in followed]
        for start in range(0, len(pairs), 20_000):
            conn.execute(insert(T_FOLLOW), [
                {"platform": platform_of.get(a, "x"), "follower_id": f"u{a}", "followed_id": f"u{b}",
                 "first_seen_at": now} for a, b in pairs[start:start + 20_000]])
        ids = table.ids
        batch = []
        for row in range(len(table)):
            refs = {}
            for column, name in (("reposted", "reposted_id"), ("quoted", "quoted_id"), ("replied", "replied_to_id"),
                                 ("via", "via_id")):
                target = getattr(table, column)[row]
                refs[name] = f"p{ids[target]}" if target >= 0 else None
            created = datetime.fromtimestamp(table.created[row], UTC)
            batch.append({"id": ids[row], "platform": table.platforms[table.platform[row]],
                          "platform_id": f"p{ids[row]}", "url": f"https://example.invalid/{ids[row]}",
                          "account_id": table.account[row], "kind": KIND_NAMES[table.kind[row]], **refs,
                          "created_at": created, "status": "live", "first_seen_at": now, "last_seen_at": now,
                          "version_count": 1})
            if len(batch) == 20_000:
                conn.execute(insert(T_POST), batch)
                batch = []
        if batch:
            conn.execute(insert(T_POST), batch)
    return archive


def sqlite_phase(table: PostTable, follows: dict[int, set[int]], directory: Path) -> None:
    start = time.perf_counter()
    archive = write_sqlite(table, follows, directory)
    size_mb = os.path.getsize(directory / "archive.db") / 2**20
    print(f"sqlite: wrote {len(table):,} posts in {time.perf_counter() - start:.1f} s ({size_mb:.0f} MB)")
    engine = archive.engine  # type: ignore[attr-defined]
    start = time.perf_counter()
    first = run_cascades(engine)
    print(f"sqlite: first analyze {time.perf_counter() - start:.1f} s "
          f"({first['recomputed']:,} cascades, {sum(first['edges'].values()):,} edges written)")
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from archiver.db import writer
    from archiver.tables import T_POST

    now = datetime.now(UTC)
    with writer(engine).begin() as conn:
        conn.execute(insert(T_POST), {"platform": table.platforms[table.platform[0]], "platform_id": "p-new",
                                      "url": "https://example.invalid/new", "account_id": table.account[1],
                                      "kind": "repost", "reposted_id": f"p{table.ids[0]}",
                                      "created_at": now, "status": "live", "first_seen_at": now,
                                      "last_seen_at": now, "version_count": 1})
    start = time.perf_counter()
    second = run_cascades(engine)
    print(f"sqlite: incremental analyze after one new repost {time.perf_counter() - start:.1f} s "
          f"({second['recomputed']} recomputed, {second['unchanged']:,} unchanged)")
    print(f"sqlite: peak RSS {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reshares", type=int, default=1_000_000)
    parser.add_argument("--cascades", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--tree", type=int, default=3000, help="nodes in the networkx comparison tree")
    parser.add_argument("--sqlite", type=Path, help="also time analyze on a new SQLite archive in this dir")
    args = parser.parse_args()

    start = time.perf_counter()
    table, follows = generate(args.reshares, args.cascades, args.seed)
    print(f"generated {len(table):,} posts ({args.reshares:,} reshares, {args.cascades:,} cascades), "
          f"{sum(map(len, follows.values())):,} follows in {time.perf_counter() - start:.1f} s; "
          f"RSS so far {peak_rss_mb():.0f} MB")

    start = time.perf_counter()
    result = compute(table, follows)
    elapsed = time.perf_counter() - start
    biggest = max(result.cascades, key=lambda c: c.metrics.size_posts)
    print(f"analysis: {elapsed:.2f} s for {len(result.cascades):,} cascades, "
          f"edges {result.provenance_counts()}, {len(result.amplification)} amplification rows")
    print(f"largest cascade: {biggest.metrics.size_posts:,} posts, depth {biggest.metrics.depth}, "
          f"virality {biggest.metrics.structural_virality:.3f}")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    verdict = "meets" if elapsed <= 10 and peak_rss_mb() <= 500 else "MISSES"
    print(f"target <= 10 s and <= 500 MB: {verdict}")

    del result
    if args.sqlite:
        sqlite_phase(table, follows, args.sqlite)
    del table, follows
    linear, reference, linear_s, all_pairs_s = all_pairs_ratio(args.tree, args.seed)
    print(f"{args.tree}-node tree: linear {linear_s * 1000:.2f} ms, networkx all-pairs {all_pairs_s:.2f} s "
          f"(x{all_pairs_s / linear_s:,.0f}); virality {linear:.6f} vs {reference:.6f}")


if __name__ == "__main__":
    main()
