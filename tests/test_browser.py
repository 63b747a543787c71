"""The report site in a real browser: Debian's Chromium driven by Playwright, from ``file://``.

One site is built per module from the scenario archive (real collectors against the sandbox), and
every page is visited once. For each page: no console error, no request that is not ``file:``, every
link and image resolves. On the evidence pages: the hashes shown equal ``sha256sum`` of the raw JSON
download. On the post with script markup: nothing runs and nothing is injected. axe-core (the copy
bundled in the ``axe-playwright-python`` package, evaluated in the page) runs on one page of each
template, chosen as that template's largest page, plus the pages with media, an edit, a deletion
and the markup: running axe on all ~200 pages would take minutes and the pages of one template
differ only in their data.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from archiver.sandbox.scenario import MARKUP_TEXT
from archiver.tables import T_POST, T_SNAPSHOT
from reports import paths
from reports.build import build_site
from tests.conftest import require
from tests.test_report_support import scenario_archive

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# Collected in one evaluate per page (round trips to the browser are the slow part): every reference
# the page makes to another file, and each version's shown raw hash with its download link.
_PAGE_JS = """() => ({
  refs: [
    ...[...document.querySelectorAll('a[href]')].map(a => ['a', new URL(a.getAttribute('href'), document.baseURI).href,
                                                            a.getAttribute('rel') || '']),
    ...[...document.querySelectorAll('link[href]')].map(l => ['link', l.href, '']),
    ...[...document.querySelectorAll('img')].map(i => ['img', i.src, String(i.complete && i.naturalWidth > 0)]),
  ],
  versions: [...document.querySelectorAll('article.version')].map(v => [
    v.querySelector('code[data-hash="raw"]').textContent, v.querySelector('a.raw').href]),
})"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install chromium")
    handle = scenario_archive()
    out = tmp_path_factory.mktemp("browser") / "site"
    build_site(handle.engine, handle.media_dir, out)
    return out


@pytest.fixture(scope="module")
def browser_page(site: Path) -> Iterator[tuple[Any, dict[str, list[Any]]]]:
    from playwright.sync_api import sync_playwright

    seen: dict[str, list[Any]] = {"console": [], "requests": [], "blocked": [], "dialogs": [], "errors": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(java_script_enabled=True)

        def guard(route: Any) -> None:
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                seen["blocked"].append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        def on_console(message: Any) -> None:
            if message.type == "error":
                seen["console"].append((message.type, message.text))

        def on_dialog(dialog: Any) -> None:
            seen["dialogs"].append(dialog.message)
            dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda error: seen["errors"].append(str(error)))
        page.on("request", lambda request: seen["requests"].append(request.url))
        page.on("dialog", on_dialog)
        yield page, seen
        browser.close()


@functools.cache
def _text(path: Path) -> str:
    return path.read_text("utf-8")


def _local(url: str) -> tuple[Path, str]:
    parts = urlsplit(url)
    return Path(unquote(parts.path)), parts.fragment


def _axe(page: Any) -> list[tuple[str, str, list[Any]]]:
    from axe_playwright_python.sync_playwright import Axe

    # preload off: axe would otherwise re-fetch the stylesheet with XHR, which the page's CSP
    # (connect-src 'none') rightly blocks and reports as a console error.
    result = Axe().run(page, options={"resultTypes": ["violations"], "preload": False})
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result.response["violations"] if v["impact"] in ("serious", "critical")]


def _special_pages(site: Path) -> set[str]:
    """Pages axe must see beyond one per template: media, an edit, a deletion, the markup post."""
    handle = scenario_archive()
    from sqlalchemy import select

    picks: set[str] = set()
    with handle.engine.connect() as conn:
        for where in (T_POST.c.version_count > 1, T_POST.c.status == "deleted",
                      T_SNAPSHOT.c.text.contains(MARKUP_TEXT)):
            row = conn.execute(select(T_POST.c.platform, T_POST.c.platform_id)
                               .join(T_SNAPSHOT, T_SNAPSHOT.c.post_id == T_POST.c.id).where(where)).first()
            assert row is not None
            picks.add(paths.post_page(*row))
    for page in site.rglob("posts/**/*.html"):
        if "<img src=" in page.read_text("utf-8"):
            picks.add(page.relative_to(site).as_posix())
            break
    for section in ("accounts", "posts", "cascades"):
        pages = [p for p in site.rglob(f"{section}/**/*.html") if p.name != "index.html"]
        picks.add(max(pages, key=lambda p: (p.stat().st_size, p.as_posix())).relative_to(site).as_posix())
    return picks | {"index.html", "method.html", "accounts/index.html", "cascades/index.html"}


def test_every_page_in_chromium(site: Path, browser_page: tuple[Any, dict[str, list[Any]]]) -> None:
    page, seen = browser_page
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert len(pages) > 150
    for_axe = _special_pages(site)
    markup_page = next(p for p in for_axe if MARKUP_TEXT[:20] in (site / p).read_text("utf-8").replace("&lt;", "<"))
    raw_checks: list[tuple[str, Path]] = []
    problems: list[str] = []
    for rel in pages:
        for key in seen:
            seen[key].clear()
        page.goto((site / rel).as_uri(), wait_until="load")
        found = page.evaluate(_PAGE_JS)
        for kind, url, extra in found["refs"]:
            if kind == "a" and not url.startswith("file:"):
                if extra != "noopener noreferrer nofollow":
                    problems.append(f"{rel}: outbound link {url} without rel")
                continue
            target, fragment = _local(url)
            if not target.is_file():
                problems.append(f"{rel}: {kind} -> {url} does not resolve")
            elif fragment and target.suffix == ".html" and f'id="{fragment}"' not in _text(target):
                problems.append(f"{rel}: link to missing #{fragment} in {target.name}")
            if kind == "img" and extra != "true":
                problems.append(f"{rel}: image {url} did not load")
        raw_checks += [(shown, _local(href)[0]) for shown, href in found["versions"]]
        if rel == markup_page:
            quoted = page.query_selector("blockquote.post-text p")
            assert quoted.inner_text().endswith(MARKUP_TEXT)
            assert quoted.evaluate("p => p.children.length") == 0  # text only: no injected element
            assert page.evaluate("document.scripts.length") == 0
            assert page.evaluate("document.querySelectorAll('[onerror], a[href^=\"javascript:\"]').length") == 0
        if rel in for_axe:
            problems += [f"{rel}: axe {v}" for v in _axe(page)]
        problems += [f"{rel}: console {c}" for c in seen["console"]]
        problems += [f"{rel}: page error {e}" for e in seen["errors"]]
        problems += [f"{rel}: dialog {d}" for d in seen["dialogs"]]
        problems += [f"{rel}: request {u}" for u in seen["requests"] if not u.startswith(("file:", "data:"))]
        problems += [f"{rel}: blocked request {u}" for u in seen["blocked"]]
    assert not problems, "\n".join(problems[:40])

    # The hashes on the evidence pages against what sha256sum prints for the downloaded files.
    assert len(raw_checks) >= 120
    files = sorted({str(path) for _, path in raw_checks})
    printed = subprocess.run(["sha256sum", *files], check=True, capture_output=True, text=True).stdout
    digests = {m.group(2): m.group(1) for m in re.finditer(r"^([0-9a-f]{64}) [ *](.+)$", printed, re.M)}
    for shown, path in raw_checks:
        assert digests[str(path)] == shown, path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == shown


def test_keyboard_phone_and_print(site: Path, browser_page: tuple[Any, dict[str, list[Any]]]) -> None:
    page, _seen = browser_page
    evidence = next(p for p in sorted(site.rglob("posts/**/*.html")) if "<del>" in _text(p))
    for target in (site / "index.html", evidence):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.emulate_media(media="screen")
        page.goto(target.as_uri())
        # Keyboard: the first Tab reaches the skip link, Enter moves focus into the main content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # Phone: nothing wider than a 360 px screen except inside its own scroll box.
        page.set_viewport_size({"width": 360, "height": 740})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), target
        # Print: navigation hidden, the sample notice and the evidence kept, outbound URLs spelled out.
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('header nav')).display") == "none"
        assert page.evaluate("getComputedStyle(document.querySelector('.sample')).display") != "none"
        assert page.pdf(format="A4")[:5] == b"%PDF-"
    page.emulate_media(media="print")
    after = page.evaluate("getComputedStyle(document.querySelector('a[rel~=nofollow]'), '::after').content")
    assert "https://" in after
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})
