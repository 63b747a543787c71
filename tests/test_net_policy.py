"""``import twarc --fetch-media`` reaches public addresses only: loopback needs an explicit flag,
private and link-local addresses are never fetched, and a redirect is checked before it is
followed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import text

from archiver.archive import Archive
from archiver.media import MediaFetcher
from archiver.net_policy import NetPolicy
from tests.fixtures_gen import hostile
from tests.fixtures_gen.run import run_cli

SECRET = b"internal-only-answer"


class _Handler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        _Handler.hits.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.end_headers()
        self.wfile.write(SECRET)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.hits.clear()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _file_with_media(tmp_path: Path, url: str) -> Path:
    tweet = hostile.v2_tweet("77", attachments={"media_keys": ["3_1"]})
    line = hostile.twarc_line([tweet]).replace(b'"includes":{', b'"includes":{"media":[{"media_key":"3_1",'
                                               b'"type":"photo","url":"' + url.encode() + b'"}],', 1)
    path = tmp_path / "media.jsonl"
    path.write_bytes(line)
    return path


def _media_errors(archive: Archive) -> list[str]:
    with archive.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("select error from media_failure")).all()]


def _stored(archive: Archive) -> int:
    with archive.engine.connect() as conn:
        return int(conn.execute(text("select count(*) from media")).scalar_one())


def test_loopback_media_is_refused_by_default(archive: Archive, tmp_path: Path, server: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = _file_with_media(tmp_path, f"{server}/secret.jpg")
    code, _, err = run_cli(capsys, archive, "import", "twarc", str(path), "--fetch-media")
    assert code == 0, err
    assert _Handler.hits == [] and _stored(archive) == 0
    assert any("not a public address" in e for e in _media_errors(archive))


def test_explicit_flag_allows_loopback_but_redirects_are_rechecked(archive: Archive, tmp_path: Path, server: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = _file_with_media(tmp_path, f"{server}/ok.jpg")
    code, _, err = run_cli(capsys, archive, "import", "twarc", str(path), "--fetch-media", "--allow-loopback-media")
    assert code == 0, err
    assert _stored(archive) == 1
    fetched = MediaFetcher(policy=NetPolicy(allow_loopback=True))
    try:
        got = fetched.fetch(f"{server}/redirect")
    finally:
        fetched.close()
    assert got.data is None and "169.254.169.254" in (got.error or "") and "not a public address" in got.error


@pytest.mark.parametrize("url", ["http://10.0.0.1/x.jpg", "http://[::1]/x.jpg", "http://192.168.1.1/x.jpg",
                                 "file:///etc/passwd", "http://0.0.0.0/x", "http://[::ffff:127.0.0.1]/x"])
def test_private_and_odd_addresses_are_never_fetched(url: str) -> None:
    assert NetPolicy(allow_loopback=False).refusal(url) is not None
    if "127.0.0.1" not in url and "::1" not in url:
        assert NetPolicy(allow_loopback=True).refusal(url) is not None
