"""A server that echoes what it was sent never gets the app password into the archive, the log
or ``status``: every secret the process holds is redacted from server-supplied error text."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import text

from archiver.archive import Archive
from archiver.redact import redact
from tests.fixtures_gen.run import run_cli

PASSWORD = "abcd-efgh-ijkl-mnop"


class _Echo(BaseHTTPRequestHandler):
    """Every XRPC call fails, and its error message repeats the request it received."""

    def _echo(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        received = self.rfile.read(length).decode("utf-8", "replace")
        body = json.dumps({"error": "InvalidRequest",
                           "message": f"cannot handle {self.path} {received} {dict(self.headers)}"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _echo  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_redact_hides_every_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSKY_APP_PASSWORD", 'pa"ss wo/rd')
    assert redact('{"password": "pa\\"ss wo/rd"} pa%22ss%20wo%2Frd pa"ss wo/rd') == \
        '{"password": "[redacted]"} [redacted] [redacted]'


def test_echoed_app_password_is_never_stored_logged_or_shown(
    archive: Archive, tmp_path: Path, echo_server: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BSKY_HANDLE", "press.example.org")
    monkeypatch.setenv("BSKY_APP_PASSWORD", PASSWORD)
    config = tmp_path / "archiver.toml"
    config.write_text(f'[platforms.bluesky]\nbase_url = "{echo_server}"\npds_url = "{echo_server}"\n\n'
                      '[[sources]]\nname = "b"\nplatform = "bluesky"\naccount = "press.example.org"\n')
    log = tmp_path / "run.log"
    code, out, err = run_cli(capsys, archive, "run", "--config", str(config), "--no-analyze", "--no-report",
                             "--log-file", str(log))
    assert code in (1, 3), err
    assert PASSWORD not in out + err
    logged = log.read_text()
    assert "login_failed" in logged or "InvalidRequest" in logged or "b" in logged
    assert PASSWORD not in logged
    with archive.engine.connect() as conn:
        stored = json.dumps([list(map(str, r)) for r in conn.execute(
            text("select detail, reason from source_coverage")).all()])
        stored += json.dumps([r[0] for r in conn.execute(text("select errors from run")).all()])
    assert "[redacted]" in stored and PASSWORD not in stored
    code, out, err = run_cli(capsys, archive, "status")
    assert PASSWORD not in out + err
    code, out, err = run_cli(capsys, archive, "status", "--json")
    assert PASSWORD not in out + err
