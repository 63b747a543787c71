"""twarc2 import benchmark: ``archiver import twarc`` vs ``twarc-csv`` on the same file.

Generates a deterministic twarc2 JSONL of raw timeline pages (tests/fixtures_gen/twarc.py: retweets,
quotes, replies, edits, long posts, media, 64-bit ids) with ``--tweets`` timeline tweets, 100 per
page; the originals behind retweets and quotes come on top, and are stored as posts too. Then:

* ours: ``archiver import twarc FILE`` in a fresh SQLite archive (validate pass, then normalize,
  hash and store every post with per-line captures), timed as a separate process;
* peer: ``twarc2 csv`` (twarc-csv, the tool researchers use) converting the same file, installed
  in its own venv under bench/out/ (never a project dependency). twarc-csv 0.7.2 needs
  ``pandas<3`` (it calls ``DataFrame.applymap``) and ``--extra-input-columns note_tweet.text``.

Prints posts/s and peak RSS for both, and the speed ratio. Then the database floor: every row our
import wrote, read back and replayed into a fresh archive of the same schema with plain sqlite3
executemany (same pragmas, the same background checkpointer, one transaction per BATCH_POSTS rows
per table), no Python work at all. It bounds how fast any import that keeps these rows can be here.
Target: >= 3x faster than twarc-csv, peak RSS < 300 MB.
Usage: python bench/import_twarc.py [--tweets 200000] [--skip-peer]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from sqlmodel import SQLModel  # noqa: E402

import archiver.models  # noqa: E402,F401 (registers the tables on SQLModel.metadata)
from archiver.archive import open_archive  # noqa: E402
from archiver.checkpointer import WalCheckpointer  # noqa: E402
from archiver.db import sqlite_pragmas  # noqa: E402
from archiver.importers.runner import BATCH_POSTS  # noqa: E402
from tests.fixtures_gen.twarc import write_twarc  # noqa: E402

PEER_VENV = OUT / "twarc-venv"
PEER_PACKAGES = ["twarc-csv==0.7.2", "pandas<3"]


def timed(cmd: list[str], env: dict[str, str] | None = None,
          cwd: str | None = None) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """(wall seconds, peak RSS MB of that process alone, result): os.wait4 reports the one child."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    assert proc.stdout is not None and proc.stderr is not None
    # Small outputs only (both tools print a summary), so reading after exit cannot deadlock.
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def ensure_peer() -> Path:
    twarc2 = PEER_VENV / "bin" / "twarc2"
    if not twarc2.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "--quiet", *PEER_PACKAGES], check=True)
    return twarc2


def replay_floor(archive_db: Path, workdir: Path) -> tuple[float, int]:
    """(seconds, rows): the rows of ``archive_db`` inserted into a fresh archive made by the same
    migrations (same indexes and constraints), parents before children, through plain sqlite3
    executemany with the archive's own connection pragmas (``archiver.db``) and background WAL
    checkpointer. Rows are read into memory before the clock starts."""
    source = sqlite3.connect(archive_db)
    tables = []
    for table in SQLModel.metadata.sorted_tables:  # parents first, so foreign keys hold row by row
        cursor = source.execute(f"SELECT * FROM {table.name} ORDER BY rowid")  # noqa: S608 (our own names)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        if rows:
            marks = ", ".join("?" * len(columns))
            tables.append((f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows))  # noqa: S608
    source.close()
    floor_dir = workdir / "floor"
    open_archive(floor_dir, None, create=True).close()
    conn = sqlite3.connect(floor_dir / "archive.db", isolation_level=None)
    sqlite_pragmas(conn, None)  # WAL, synchronous=NORMAL, foreign keys on, cache, autocheckpoint
    checkpointer = WalCheckpointer(floor_dir / "archive.db").start()
    started = time.perf_counter()
    for sql, rows in tables:
        for at in range(0, len(rows), BATCH_POSTS):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, rows[at:at + BATCH_POSTS])
            conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    checkpointer.stop()
    conn.close()
    return elapsed, sum(len(rows) for _, rows in tables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=200_000, help="timeline tweets (100 per page)")
    parser.add_argument("--skip-peer", action="store_true", help="do not run twarc-csv")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    pages = max(1, args.tweets // 100)
    data = OUT / f"twarc_{pages * 100}.jsonl"
    if not data.exists():
        write_twarc(data, pages=pages)
    size_mb = data.stat().st_size / 1e6
    print(f"input: {data.name}, {pages} pages, {pages * 100} timeline tweets, {size_mb:.0f} MB")

    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        cmd = [sys.executable, "-m", "archiver.cli", "import", "twarc", str(data), "--archive", f"{tmp}/archive",
               "--json"]
        ours_s, ours_rss, result = timed(cmd)
        if result.returncode != 0:
            sys.exit(f"archiver import failed: {result.stderr.decode()}")
        outcome = orjson.loads(result.stdout)
        posts = outcome["posts"]
        print(f"archiver import twarc: {posts} posts ({outcome['new_snapshots']} snapshots) in {ours_s:.1f} s = "
              f"{posts / ours_s:,.0f} posts/s; peak RSS {ours_rss:.0f} MB")
        if not args.skip_peer:
            peer_s = run_peer(data)
            ratio = peer_s / ours_s
            met = ratio >= 3 and ours_rss < 300
            print(f"speed: archiver is {ratio:.2f}x twarc-csv's speed on the same file "
                  f"(target >= 3x, RSS < 300 MB): {'MET' if met else 'NOT MET'}")
        # Last: the floor holds every row in this process, and a child forked after it would
        # report that memory as its own peak RSS.
        floor_s, floor_rows = replay_floor(Path(tmp) / "archive" / "archive.db", Path(tmp))
        print(f"database floor (the {floor_rows:,} rows the import wrote, replayed by plain executemany): "
              f"{floor_s:.1f} s; the import takes {ours_s / floor_s:.2f}x the floor")
        if not args.skip_peer:
            print(f"ceiling: an import with no work but these inserts would be {peer_s / floor_s:.2f}x "
                  f"twarc-csv's speed (3x needs the whole import in {peer_s / 3:.1f} s)")


def run_peer(data: Path) -> float:
    """``twarc2 csv`` on ``data`` in its own venv and home; prints and returns its wall time."""
    twarc2 = ensure_peer()
    with tempfile.TemporaryDirectory(dir=OUT) as home:
        # twarc2 insists on a credential before any command; csv never uses the network.
        env = {**os.environ, "HOME": home, "BEARER_TOKEN": "offline-benchmark"}
        csv_out = Path(home) / "out.csv"
        peer_s, peer_rss, result = timed([str(twarc2), "csv", "--extra-input-columns", "note_tweet.text",
                                          str(data), str(csv_out)], env, cwd=home)  # twarc.log lands there
        if result.returncode != 0:
            sys.exit(f"twarc-csv failed: {result.stderr.decode()[-2000:]}")
        with csv_out.open("rb") as fh:
            rows = sum(1 for _ in fh) - 1  # our generated texts hold no newlines
    print(f"twarc-csv (twarc2 csv): {rows} rows in {peer_s:.1f} s = {rows / peer_s:,.0f} tweets/s; "
          f"peak RSS {peer_rss:.0f} MB")
    return peer_s

if __name__ == "__main__":
    main()
