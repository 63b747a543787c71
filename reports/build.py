"""``build_site``: the archive rendered as a static site, written incrementally and deterministically.

Every page is a pure function of the archive. Two levels decide what is
rebuilt (``reports.manifest``): a subject (post, account, cascade) whose *stamp* is unchanged keeps
its files without its page being built (``reports.stamps``); otherwise its context is built from
queries, hashed together with the site key (templates + code), and the page is rendered and written
only when that hash differs from the previous build's. Raw JSON downloads are written once per
snapshot (append-only) and media once per content hash. The overview, method and list pages are
always rebuilt (a few queries). Writes run on two threads beside rendering.

No path of the machine that built the site, and no clock reading, enters any output file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Engine

from archiver.chunks import chunked
from archiver.media import media_path
from archiver.tables import T_SNAPSHOT
from reports import paths
from reports.context_accounts import account_list, account_pages
from reports.context_cascades import amplification_rows, cascade_list, cascade_pages
from reports.context_index import index_context, method_context, tone_summary
from reports.context_posts import post_pages
from reports.facts import SiteFacts, site_facts
from reports.manifest import Manifest
from reports.render import TEMPLATE_DIR, environment, site_key
from reports.stamps import account_stamps, accounts_digest, cascade_stamps, digest, post_stamps
from reports.tones import load_tones

Progress = Callable[[str, int], None]


@dataclass
class BuildResult:
    """What a build did. ``index_path`` is the site's entry page."""

    out_dir: Path
    index_path: Path
    written: int
    skipped: int
    removed: int
    pages: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"index": str(self.index_path), "written": self.written, "skipped": self.skipped,
                "removed": self.removed, "pages": self.pages, "seconds": round(self.seconds, 3)}


class _Site:
    """One build: hashes each page's inputs and renders only the pages whose hash changed."""

    def __init__(self, out_dir: Path, full: bool, layout: dict[str, Any]) -> None:
        self.env = environment()
        self.key = site_key()
        self.manifest = Manifest(out_dir, full)
        self.layout = layout
        self.templates: dict[str, Any] = {}
        self.layout_key = orjson.dumps(layout, option=orjson.OPT_SORT_KEYS)

    def reuse(self, unit: str, stamp: str) -> bool:
        """``unit`` is the subject's main page; see ``Manifest.reuse``."""
        return self.manifest.reuse(unit, digest(self.key, stamp))

    def page(self, template: str, context: dict[str, Any], unit: str | None = None) -> None:
        path = context["page_path"]
        full = {**self.layout, **context, "nav": _nav(path)}
        inputs = hashlib.blake2b(self.key.encode() + template.encode() + self.layout_key +
                                 orjson.dumps(context, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()
        if unit is not None:
            self.manifest.claim(unit, path)
        if self.manifest.wanted(path, inputs):
            if template not in self.templates:
                self.templates[template] = self.env.get_template(template)
            self.manifest.write(path, self.templates[template].render(**full).encode("utf-8"))

    def pages_from(self, template: str, units: dict[int, str], items: Iterable[tuple[int, dict[str, Any]]],
                   progress: Progress | None) -> None:
        for n, (subject, context) in enumerate(items, start=1):
            self.page(template, context, units[subject])
            if progress and n % 1000 == 0:
                progress(template.replace(".html", " pages"), n)


@functools.lru_cache(maxsize=64)
def _nav_for_dir(directory: str) -> tuple[tuple[str, str], ...]:
    probe = f"{directory}/x.html" if directory else "x.html"
    return tuple((name, paths.relative(probe, target)) for name, target in (
        ("home", "index.html"), ("accounts", "accounts/index.html"), ("cascades", "cascades/index.html"),
        ("method", "method.html"), ("css", "site.css")))


def _nav(page: str) -> dict[str, str]:
    links = dict(_nav_for_dir(page.rpartition("/")[0]))
    section = page.split("/", 1)[0]
    links["current"] = {"index.html": "home", "method.html": "method", "accounts": "accounts",
                        "cascades": "cascades"}.get(section, "")
    return links


def build_site(engine: Engine, media_dir: Path, out_dir: Path, incremental: bool = True,
               progress: Progress | None = None) -> BuildResult:
    """Build (or bring up to date) the site in ``out_dir``; see the module docstring."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        facts = site_facts(conn)
    site = _Site(out_dir, not incremental, {"site": facts.as_dict()})
    try:
        _build(engine, media_dir, site, facts, progress)
        removed = site.manifest.finish()
    finally:
        site.manifest.close()
    pages = sum(1 for rel in site.manifest.new if rel.endswith(".html"))
    return BuildResult(out_dir=out_dir, index_path=out_dir / "index.html", written=site.manifest.written,
                       skipped=site.manifest.skipped, removed=removed, pages=pages,
                       seconds=time.perf_counter() - started)


def _build(engine: Engine, media_dir: Path, site: _Site, facts: SiteFacts, progress: Progress | None) -> None:
    with engine.connect() as conn, _small_cache(conn):
        tones = load_tones(engine) if facts.has_tone else None
        amplification = amplification_rows(conn) if facts.has_cascades else None
        names = accounts_digest(conn)

        css = (TEMPLATE_DIR / "site.css").read_bytes()
        site.manifest.put("site.css", hashlib.sha256(css).hexdigest()[:32], css)
        site.page("index.html", {**index_context(conn, tone_summary(tones) if tones is not None else None,
                                                 facts.has_cascades), "as_of": facts.as_of})
        site.page("method.html", method_context(conn, facts.has_cascades, facts.has_tone))
        site.page("accounts.html", account_list(conn))
        cascades = cascade_list(conn) if facts.has_cascades else None
        site.page("cascades.html", {"page_path": "cascades/index.html", "title": "Cascades", "cascades": cascades})

        post_accounts: dict[int, list[int]] = {}
        due_posts: dict[int, str] = {}
        for post_id, account_id, page, stamp in post_stamps(conn, tones, facts.has_cascades):
            post_accounts.setdefault(account_id, []).append(post_id)
            if not site.reuse(page, stamp):
                due_posts[post_id] = page
        due_accounts = {aid: page for aid, (page, stamp) in account_stamps(conn, tones, post_accounts,
                                                                            amplification, names).items()
                        if not site.reuse(page, stamp)}
        site.pages_from("account.html", due_accounts,
                        account_pages(conn, tones, amplification, set(due_accounts)), progress)

        available: dict[str, bool] = {}

        def has_media(sha: str) -> bool:
            if sha not in available:
                available[sha] = media_path(media_dir, sha).is_file()
            return available[sha]

        media_seen: dict[str, str | None] = {}
        for n, (post_id, context) in enumerate(post_pages(conn, tones, facts.has_cascades, media_seen, has_media,
                                                          list(due_posts)), start=1):
            site.page("post.html", context, due_posts[post_id])
            for version in context["versions"]:
                for item in version["media"]:
                    if item["present"]:
                        site.manifest.claim(due_posts[post_id], paths.media_file(item["sha256"], item["mime"]))
            if progress and n % 1000 == 0:
                progress("post pages", n)
        if facts.has_cascades:
            due_cascades = {root: page for root, (page, stamp) in cascade_stamps(conn, names).items()
                            if not site.reuse(page, stamp)}
            site.pages_from("cascade.html", due_cascades, cascade_pages(conn, set(due_cascades)), progress)
        _raw_files(conn, site.manifest)
    _media_files(media_dir, media_seen, site.manifest)


@contextlib.contextmanager
def _small_cache(conn: Any) -> Iterator[None]:
    """A build reads each table once, in order: SQLite's page cache (64 MB as the archive sets it,
    for ingest) buys nothing here and would count in the build's peak memory, so it is shrunk for
    this connection and restored afterwards."""
    if conn.dialect.name != "sqlite":
        yield
        return
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql("PRAGMA cache_size=-4096")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")


def _raw_files(conn: Any, manifest: Manifest) -> None:
    """``raw/<snapshot id>.json``: exactly ``snapshot.raw`` as UTF-8, so ``sha256sum`` gives
    ``raw_sha256``. Snapshots are append-only, so a file is read from the database only when new."""
    ids = list(conn.execute(select(T_SNAPSHOT.c.id).order_by(T_SNAPSHOT.c.id)).scalars())
    for part in chunked(manifest.raw_due(ids)):
        for snapshot_id, raw in conn.execute(select(T_SNAPSHOT.c.id, T_SNAPSHOT.c.raw)
                                             .where(T_SNAPSHOT.c.id.in_(part))):
            manifest.write_raw(paths.raw_file(snapshot_id), raw.encode("utf-8"))


def _media_files(media_dir: Path, seen: dict[str, str | None], manifest: Manifest) -> None:
    """Copy the archive's own copies of the images the pages show (never a hotlink)."""
    for sha in sorted(seen):
        rel = paths.media_file(sha, seen[sha])
        if manifest.wanted(rel, sha[:32]):
            target = manifest.out_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(media_path(media_dir, sha), target)
            manifest.written_paths.add(rel)
