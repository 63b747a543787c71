"""Report benchmark: build the static site from a generated archive of 100k posts, 500 accounts
and 5k cascades; then add one run and rebuild incrementally.

The archive is generated through the real write path: normalized ``PostRecord`` pages of 1000 posts
handed to ``Store.ingest`` (one transaction each), then ``run_analysis`` (cascades, amplification,
tone). Each cascade is one original post with 19 reshares (reposts, quotes, replies, some quoting
or answering an earlier reshare, so trees have depth). One of every 50 originals is edited in a
second run, one of every 100 deleted. Texts come from a small set of sentences so tone scoring
(memoized per text) stays quick.

The build runs in a child process so its peak RSS is measured alone. "One new run" for the
incremental build: a collect run that re-sees 200 posts, edits 5 and adds 100 new reshares, followed
by ``run_analysis``; only the build after it is timed.

Targets: full build <= 60 s, incremental build after one run <= 5 s, peak RSS <= 400 MB.
Usage: python bench/report.py [--posts 100000] [--accounts 500] [--cascades 5000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from archiver.archive import open_archive
from archiver.collectors.records import AccountRecord, CaptureRecord, Page, PostRecord, StatusClaim

T0 = datetime(2025, 1, 6, tzinfo=UTC)
TEXTS = [
    "The court's order has no lawful basis and we will not comply.",
    "Great news for our country, thank you all for the support!",
    "This is a dangerous step toward lawlessness.",
    "Statement on tonight's flights to follow.",
    "Due process is not a joke. Courts exist for a reason.",
    "Promises kept. 🇺🇸",
    "Oopsie... Too late 😂",
    "Esto es una vergüenza para el Estado de derecho.",
    "Who decided this? Where is the oversight?",
    "Read the full ruling here.",
]


def _account(n: int) -> AccountRecord:
    return AccountRecord("x", str(20_000_000 + n), f"bench_{n:03d}", f"Bench account {n}", tracked=n < 50)


def _pid(n: int) -> str:
    return str(1_950_000_000_000_000_000 + n)


def _post(n: int, posts_per_cascade: int, accounts: int, text_suffix: str = "") -> PostRecord:
    cascade, position = divmod(n, posts_per_cascade)
    root = cascade * posts_per_cascade
    author = _account((cascade * 7 + position * 13) % accounts)
    created = T0 + timedelta(minutes=cascade * 17 + position * 3)
    refs: dict[str, str | None] = {}
    text = TEXTS[(cascade + position) % len(TEXTS)] + text_suffix
    if position == 0:
        kind = "post"
    elif position % 3 == 1:
        kind, refs["reposted_id"], text = "repost", _pid(root), ""
    elif position % 3 == 2:
        kind, refs["quoted_id"] = "quote", _pid(root if position < 5 else n - 3)
    else:
        kind, refs["replied_to_id"] = "reply", _pid(root if position < 6 else n - 4)
        refs["thread_root_id"] = _pid(root)
    raw = orjson.dumps({"id": _pid(n), "text": text, "author_id": author.platform_id,
                        "created_at": created.isoformat(), "kind": kind, "refs": refs})
    return PostRecord(platform="x", platform_id=_pid(n), url=f"https://x.com/{author.handle}/status/{_pid(n)}",
                      author=author, created_at=created, text=text, lang="es" if "Esto" in text else "en",
                      kind=kind, raw=raw, content_id=_pid(n), metrics={"like_count": n % 500},  # type: ignore[arg-type]
                      **refs)  # type: ignore[arg-type]


def _page(posts: list[PostRecord], at: datetime, statuses: list[StatusClaim] | None = None) -> Page:
    body = orjson.dumps([p.platform_id for p in posts]) + at.isoformat().encode()
    return Page(capture=CaptureRecord("http", "https://api.twitter.com/2/bench", 200, at, body),
                posts=posts, statuses=statuses or [])


def generate(archive_dir: Path, posts: int, accounts: int, cascades: int) -> None:
    from analysis.analyze import run_analysis

    per = max(1, posts // cascades)
    with open_archive(archive_dir, None, create=True) as handle:
        store = handle.store(fetch_media=False)
        clock = time.perf_counter()
        run = store.start_run("collect", ["bench"])
        at = datetime(2025, 6, 1, tzinfo=UTC)
        for start in range(0, posts, 1000):
            store.ingest(_page([_post(n, per, accounts) for n in range(start, min(posts, start + 1000))], at), run)
        store.finish_run(run, "complete", {}, [])
        run = store.start_run("collect", ["bench"])
        edited = [_post(n, per, accounts, " (edited)") for n in range(0, posts, per * 50)]
        deleted = [StatusClaim("x", _pid(n), "deleted", "Not Found Error") for n in range(per * 25, posts, per * 100)]
        store.ingest(_page(edited, at + timedelta(days=1), deleted), run)
        store.finish_run(run, "complete", {}, [])
        print(f"generated {posts} posts in {time.perf_counter() - clock:.1f} s (Store.ingest, pages of 1000)")
        clock = time.perf_counter()
        run_analysis(handle.engine)
        print(f"analysed in {time.perf_counter() - clock:.1f} s")


def one_more_run(archive_dir: Path, posts: int, accounts: int, cascades: int) -> None:
    from analysis.analyze import run_analysis

    per = max(1, posts // cascades)
    with open_archive(archive_dir) as handle:
        store = handle.store(fetch_media=False)
        run = store.start_run("collect", ["bench"])
        at = datetime(2025, 6, 3, tzinfo=UTC)
        seen = [_post(n, per, accounts) for n in range(1, 400, 2)]
        edits = [_post(n, per, accounts, " (corrected)") for n in range(per * 3, per * 8, per)]
        new = [_post(n, per, accounts) for n in range(posts, posts + 100)]
        store.ingest(_page(seen + edits + new, at), run)
        store.finish_run(run, "complete", {}, [])
        clock = time.perf_counter()
        run_analysis(handle.engine)
        print(f"new run: 200 re-seen, 5 edited, 100 new posts; analysed in {time.perf_counter() - clock:.1f} s")


def build_child(archive_dir: Path, out: Path, full: bool) -> None:
    from reports.build import build_site

    with open_archive(archive_dir) as handle:
        result = build_site(handle.engine, handle.media_dir, out, incremental=not full)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(orjson.dumps({**result.as_dict(), "peak_rss_mb": round(peak_rss_mb(), 1),
                        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1)}).decode())


def peak_rss_mb() -> float:
    """Peak RSS of this process's own memory. ``ru_maxrss`` would not do: Linux carries it across
    fork and exec, so a child started by a parent that just ran the analysis reports the parent's
    peak. ``VmHWM`` belongs to the address space, which exec replaces."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_build(archive_dir: Path, out: Path, full: bool) -> dict:
    clock = time.perf_counter()
    command = [sys.executable, __file__, "--child", str(archive_dir), str(out)] + (["--full"] if full else [])
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - clock
    figures = orjson.loads(done.stdout.strip().splitlines()[-1])
    figures["wall_s"] = round(wall, 2)
    return figures


def io_floor(directory: Path, site: Path) -> float:
    """Seconds to write as many files, of the same sizes, into as many directories, with plain
    ``open().write()`` on two threads (as the build does): the disk's share of a full build."""
    from concurrent.futures import ThreadPoolExecutor

    files = [(p.relative_to(site), p.stat().st_size) for p in site.rglob("*") if p.is_file()]
    dirs = {directory / rel.parent for rel, _ in files}
    clock = time.perf_counter()
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda item: (directory / item[0]).write_bytes(b"x" * item[1]), files, chunksize=256))
    seconds = time.perf_counter() - clock
    import shutil

    shutil.rmtree(directory, ignore_errors=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--cascades", type=int, default=5_000)
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        build_child(args.child[0], args.child[1], args.full)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-report-"))
    archive_dir, out = work / "archive", work / "site"
    generate(archive_dir, args.posts, args.accounts, args.cascades)
    full = timed_build(archive_dir, out, full=True)
    print(f"full build: {full['pages']} pages, {full['written']} files in {full['seconds']} s "
          f"(process {full['wall_s']} s, {full['cpu_s']} CPU s), peak RSS {full['peak_rss_mb']} MB  "
          f"[targets: 60 s, 400 MB]; load average {os.getloadavg()[0]:.1f}")
    print(f"  disk floor: writing the same {full['written']} files with plain open().write() takes "
          f"{io_floor(work / 'floor', out):.1f} s here")
    same = timed_build(archive_dir, out, full=False)
    print(f"rebuild, nothing changed: {same['written']} written, {same['skipped']} unchanged in {same['seconds']} s")
    one_more_run(archive_dir, args.posts, args.accounts, args.cascades)
    inc = timed_build(archive_dir, out, full=False)
    print(f"incremental build after one run: {inc['written']} written, {inc['skipped']} unchanged in "
          f"{inc['seconds']} s (process {inc['wall_s']} s, {inc['cpu_s']} CPU s), peak RSS {inc['peak_rss_mb']} MB"
          f"  [target: 5 s]; load average {os.getloadavg()[0]:.1f}")
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
