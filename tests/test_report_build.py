"""The report site built from the scenario archive: evidence, safety, determinism, incremental builds.

Browser checks (console, requests, axe, links as a browser resolves them) are in test_browser.py;
these tests read the built files directly and run without a browser.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import delete, select

from analysis.analyze import run_analysis
from archiver.archive import Archive, open_archive
from archiver.collectors.records import AccountRecord, StatusClaim
from archiver.db import writer
from archiver.errors import BadInputError
from archiver.sandbox.scenario import MARKUP_TEXT, SYNTHETIC_NOTICE
from archiver.tables import T_ACCOUNT, T_CASCADE, T_EDGE, T_POST, T_SNAPSHOT
from reports import paths
from reports.build import build_site
from reports.render import CSP
from tests import factories
from tests.test_report_support import FAKE_TOKEN, scenario_archive


@pytest.fixture(scope="module")
def scenario() -> Archive:
    return scenario_archive()


@pytest.fixture(scope="module")
def site(scenario: Archive, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "report"
    build_site(scenario.engine, scenario.media_dir, out)
    return out


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _html(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def _post_page(archive: Archive, where: Any) -> str:
    with archive.engine.connect() as conn:
        row = conn.execute(select(T_POST.c.platform, T_POST.c.platform_id)
                           .join(T_SNAPSHOT, T_SNAPSHOT.c.post_id == T_POST.c.id).where(where)).first()
    assert row is not None
    return paths.post_page(row[0], row[1])


def test_every_page_has_csp_landmarks_and_the_sample_notice(site: Path) -> None:
    pages = _html(site)
    assert len(pages) > 150  # index, method, lists, 62 accounts, 123 posts, cascades
    for page in pages:
        text = page.read_text("utf-8")
        assert f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">' in text, page
        assert "default-src 'none'" in CSP and "img-src 'self' data:" in CSP and "style-src 'self'" in CSP
        assert "Illustrative sample data, not captured from the platforms." in text, page
        assert SYNTHETIC_NOTICE in text, page
        assert '<main id="main"' in text and 'href="#main"' in text and '<html lang="en">' in text, page
        assert "<script" not in text.lower(), page


def test_raw_downloads_hold_exactly_the_snapshot_bytes(scenario: Archive, site: Path) -> None:
    with scenario.engine.connect() as conn:
        rows = conn.execute(select(T_SNAPSHOT.c.id, T_SNAPSHOT.c.raw, T_SNAPSHOT.c.raw_sha256)).all()
    assert rows
    for snapshot_id, raw, digest in rows:
        data = (site / paths.raw_file(snapshot_id)).read_bytes()
        assert data == raw.encode("utf-8")
        assert hashlib.sha256(data).hexdigest() == digest


def test_evidence_page_shows_each_versions_hashes_diff_and_status(scenario: Archive, site: Path) -> None:
    edited = _post_page(scenario, T_POST.c.version_count == 2)
    text = (site / edited).read_text("utf-8")
    with scenario.engine.connect() as conn:
        snaps = conn.execute(select(T_SNAPSHOT.c.id, T_SNAPSHOT.c.raw_sha256, T_SNAPSHOT.c.content_sha256)
                             .join(T_POST, T_POST.c.id == T_SNAPSHOT.c.post_id)
                             .where(T_POST.c.version_count == 2).order_by(T_SNAPSHOT.c.version)).all()
    for snapshot_id, raw_sha, content_sha in snaps:
        assert raw_sha in text and content_sha in text
        assert f'href="{paths.relative(edited, paths.raw_file(snapshot_id))}"' in text
    assert "<del>movments</del>" in text and "<ins>movements</ins>" in text
    deleted = _post_page(scenario, T_POST.c.status == "deleted")
    text = (site / deleted).read_text("utf-8")
    assert "Status: deleted" in text and "detected" in text


def test_bluesky_cid_check_and_media_copies(scenario: Archive, site: Path) -> None:
    with scenario.engine.connect() as conn:
        cid = conn.execute(select(T_SNAPSHOT.c.platform_cid).where(T_SNAPSHOT.c.cid_verified.is_(True))).scalar()
    evidence = site / _post_page(scenario, T_SNAPSHOT.c.platform_cid == cid)
    assert "recomputed from the raw record and matches" in evidence.read_text("utf-8")
    copies = sorted((site / "media").iterdir())
    assert len(copies) == 2
    for copy in copies:
        sha = copy.name.split(".")[0]
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == sha
    for page in _html(site):
        for src in re.findall(r'<img src="([^"]+)"', page.read_text("utf-8")):
            assert not src.startswith(("http:", "https:", "//")), (page, src)
            assert (page.parent / src).resolve().is_file()


def test_script_markup_in_a_post_is_escaped(scenario: Archive, site: Path) -> None:
    page = site / _post_page(scenario, T_SNAPSHOT.c.text.contains(MARKUP_TEXT))
    text = page.read_text("utf-8")
    assert str(escape(MARKUP_TEXT)) in text
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in text
    assert "<script" not in text and "<img src=x" not in text and 'href="javascript:' not in text


def test_outbound_links_are_marked_and_only_http(site: Path) -> None:
    seen = 0
    for page in _html(site):
        for tag in re.findall(r"<a [^>]*>", page.read_text("utf-8")):
            href = re.search(r'href="([^"]*)"', tag)
            assert href, tag
            if re.match(r"^[a-z][a-z0-9+.-]*:", href.group(1)):
                assert href.group(1).startswith(("https://", "http://")), tag
                assert 'rel="noopener noreferrer nofollow"' in tag, tag
                seen += 1
    assert seen > 100


def test_no_local_path_or_secret_in_output(scenario: Archive, site: Path) -> None:
    forbidden = [str(scenario.location.directory.resolve()), str(scenario.media_dir.resolve()),
                 str(site.resolve()), "/tmp/", FAKE_TOKEN, "sqlite:", "archive.db"]
    for rel, data in _tree(site).items():
        for needle in forbidden:
            assert needle.encode() not in data, (rel, needle)
        # The sandbox's address is inside the captured raw JSON (its image URLs), which is evidence
        # and kept byte for byte; no page of the site may show it.
        if not rel.startswith("raw/"):
            assert b"127.0.0.1" not in data, rel


def test_same_archive_gives_byte_identical_site_wherever_it_lives(
    scenario: Archive, site: Path, tmp_path: Path
) -> None:
    again = tmp_path / "elsewhere" / "site"
    build_site(scenario.engine, scenario.media_dir, again, incremental=False)
    scenario.engine.dispose()  # checkpoint the WAL so the copy is the whole database
    moved = tmp_path / "moved-archive"
    shutil.copytree(scenario.location.directory, moved)
    copy = open_archive(moved)
    try:
        third = tmp_path / "third"
        build_site(copy.engine, copy.media_dir, third)
    finally:
        copy.close()
    assert _tree(again) == _tree(site)
    assert _tree(third) == _tree(site)


def _copy_archive(scenario: Archive, target: Path) -> Archive:
    scenario.engine.dispose()
    shutil.copytree(scenario.location.directory, target)
    return open_archive(target)


def test_incremental_build_writes_only_changed_pages(scenario: Archive, tmp_path: Path) -> None:
    handle = _copy_archive(scenario, tmp_path / "archive")
    try:
        out = tmp_path / "site"
        first = build_site(handle.engine, handle.media_dir, out)
        assert first.written > first.pages > 150 and first.skipped == 0
        second = build_site(handle.engine, handle.media_dir, out)
        assert second.written == 0 and second.skipped == first.written
        before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}

        store = handle.store(fetch_media=False)
        run = store.start_run("collect", ["x:test"])
        newcomer = factories.account(77, "newcomer_77", tracked=True)
        store.ingest(factories.page(factories.post("1999000000000000077", "A new statement.", author=newcomer)),
                     run)
        store.finish_run(run, "complete", {}, [])
        third = build_site(handle.engine, handle.media_dir, out)
        with handle.engine.connect() as conn:
            snap = conn.execute(select(T_SNAPSHOT.c.id).order_by(T_SNAPSHOT.c.id.desc()).limit(1)).scalar_one()
        changed = {p.relative_to(out).as_posix() for p in out.rglob("*")
                   if p.is_file() and before.get(p) != p.stat().st_mtime_ns}
        assert changed == {
            "index.html", "accounts/index.html", ".manifest.json",
            paths.account_page("x", newcomer.platform_id), paths.post_page("x", "1999000000000000077"),
            paths.raw_file(snap),
        }
        assert third.written == len(changed) - 1  # the manifest is not counted as a page
        assert "A new statement." in (out / paths.post_page("x", "1999000000000000077")).read_text("utf-8")

        # An edit of a scenario post and a deletion claim, then re-analysis: the incremental build
        # must end exactly where a full build from scratch does.
        with handle.engine.connect() as conn:
            pid, author_pid, handle_name = conn.execute(
                select(T_POST.c.platform_id, T_ACCOUNT.c.platform_id, T_ACCOUNT.c.handle)
                .join(T_ACCOUNT, T_ACCOUNT.c.id == T_POST.c.account_id)
                .where(T_POST.c.platform == "x", T_POST.c.kind == "post", T_POST.c.status == "live")
                .order_by(T_POST.c.id).limit(1)).one()
        run = store.start_run("collect", ["x:test"])
        author = AccountRecord("x", author_pid, handle_name, "Renamed (sample)", True)
        edit = factories.post(pid, "An edited statement.", author=author)
        gone = StatusClaim("x", "1999000000000000077", "deleted", "Not Found Error")
        store.ingest(factories.page(edit, at=factories.T0 + timedelta(days=400), statuses=[gone]), run)
        store.finish_run(run, "complete", {}, [])
        run_analysis(handle.engine)
        fourth = build_site(handle.engine, handle.media_dir, out)
        assert 0 < fourth.written < fourth.pages / 2
        fresh = tmp_path / "fresh"
        build_site(handle.engine, handle.media_dir, fresh, incremental=False)
        assert _tree(out) == _tree(fresh)
    finally:
        handle.close()


def test_pages_whose_subject_vanished_are_removed(scenario: Archive, tmp_path: Path) -> None:
    handle = _copy_archive(scenario, tmp_path / "archive")
    try:
        out = tmp_path / "site"
        build_site(handle.engine, handle.media_dir, out)
        with handle.engine.connect() as conn:
            root, platform, pid = conn.execute(
                select(T_CASCADE.c.root_post_id, T_POST.c.platform, T_POST.c.platform_id)
                .join(T_POST, T_POST.c.id == T_CASCADE.c.root_post_id)
                .order_by(T_CASCADE.c.size_posts, T_CASCADE.c.root_post_id).limit(1)).one()
        page = out / paths.cascade_page(platform, pid)
        assert page.is_file()
        with writer(handle.engine).begin() as conn:  # derived rows: what a re-analysis may drop
            conn.execute(delete(T_EDGE).where(T_EDGE.c.root_post_id == root))
            conn.execute(delete(T_CASCADE).where(T_CASCADE.c.root_post_id == root))
        result = build_site(handle.engine, handle.media_dir, out)
        assert result.removed == 1 and not page.exists()
        assert paths.cascade_page(platform, pid) not in (out / ".manifest.json").read_text()
    finally:
        handle.close()


def test_refuses_a_directory_that_is_not_a_site(scenario: Archive, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("keep me")
    with pytest.raises(BadInputError, match="not empty"):
        build_site(scenario.engine, scenario.media_dir, out)
    assert (out / "thesis.txt").read_text() == "keep me"


def test_unanalysed_archive_says_so_instead_of_failing(archive: Archive, tmp_path: Path) -> None:
    store = archive.store(fetch_media=False)
    run = store.start_run("collect", ["x:test"])
    store.ingest(factories.page(factories.post()), run)
    out = tmp_path / "site"
    result = build_site(archive.engine, archive.media_dir, out)
    assert result.index_path == out / "index.html"
    index = result.index_path.read_text("utf-8")
    assert index.count("not yet analysed. Run <code>archiver analyze</code>") == 2  # cascades, tone
    assert "has not been verified yet" in index
    assert "Illustrative sample data" not in index  # not a sandbox archive
    with archive.engine.connect() as conn:
        pid = conn.execute(select(T_ACCOUNT.c.platform_id).limit(1)).scalar_one()
    assert "not yet analysed" in (out / paths.account_page("x", pid)).read_text("utf-8")


def test_compact_tones_equal_tone_store(scenario: Archive) -> None:
    from analysis.tone_store import post_tones
    from reports.tones import Tone, load_tones

    expected = post_tones(scenario.engine)
    got = load_tones(scenario.engine)
    assert list(got) == sorted(expected) and len(got) > 100
    for post_id, tone in expected.items():
        assert got[post_id] == Tone(*(getattr(tone, name) for name in Tone._fields))
    assert {t.abstain_reason for t in got.values()} >= {None, "low_confidence:es"}


def test_cli_builds_and_reports_the_index(scenario: Archive, tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "cli-site"
    run = [sys.executable, "-m", "archiver.cli", "report", "--archive", str(scenario.location.directory),
           "--out", str(out)]
    done = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"open {(out / 'index.html').resolve()}" in done.stdout
    assert (out / "index.html").is_file() and (out / ".manifest.json").is_file()
    again = subprocess.run([*run, "--json"], capture_output=True, text=True, timeout=120)
    assert '"written":0' in again.stdout
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    refused = subprocess.run([*run[:-1], str(tmp_path / "other")], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "not empty" in refused.stderr and refused.stderr.count("\n") == 1


def test_analysed_archive_on_each_backend_builds_the_same_twice(archive: Archive, tmp_path: Path) -> None:
    """The report's queries on SQLite and PostgreSQL: a small analysed archive with a cascade,
    an edit and tone, built twice (full, then incremental) with identical results."""
    store = archive.store(fetch_media=False)
    run = store.start_run("collect", ["x:test"])
    official = factories.account(1, "official_1", tracked=True)
    other = factories.account(2, "other_2", tracked=True)
    root = factories.post("1900000000000000001", "Great news for everyone!", author=official)
    quote = factories.post("1900000000000000002", "This is terrible.", author=other, kind="quote",
                           quoted_id="1900000000000000001")
    store.ingest(factories.page(root, quote), run)
    edited = factories.post("1900000000000000001", "Great news for everyone, truly!", author=official)
    store.ingest(factories.page(edited, at=factories.T0 + timedelta(days=1)), run)
    store.finish_run(run, "complete", {}, [])
    run_analysis(archive.engine)
    first, second = tmp_path / "a", tmp_path / "b"
    build_site(archive.engine, archive.media_dir, first, incremental=False)
    again = build_site(archive.engine, archive.media_dir, first)
    build_site(archive.engine, archive.media_dir, second)
    assert again.written == 0
    assert _tree(first) == _tree(second)
    cascade = (first / paths.cascade_page("x", "1900000000000000001")).read_text("utf-8")
    assert "edge-exact" in cascade and "other_2" in cascade
    post = (first / paths.post_page("x", "1900000000000000001")).read_text("utf-8")
    assert "<ins>truly!</ins>" in post or "<ins>everyone, truly!</ins>" in post
    assert "not yet analysed" not in post
