"""Content-addressed media files: <archive>/media/<sha256[:2]>/<sha256>.

Files are written to a temporary name and renamed, so a crash never leaves a partial file under a
hash name; the name *is* the hash, so the same image is stored once however many posts carry it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from archiver.hashing import sha256_hex
from archiver.net_policy import PUBLIC_ONLY, NetPolicy

MAX_MEDIA_BYTES = 50 * 1024 * 1024
MAX_REDIRECTS = 5


def media_path(media_dir: Path, sha256: str) -> Path:
    return media_dir / sha256[:2] / sha256


def store_bytes(media_dir: Path, data: bytes) -> str:
    """Write ``data`` under its hash (no-op when present) and return the hash."""
    digest = sha256_hex(data)
    target = media_path(media_dir, digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


@dataclass(slots=True)
class Download:
    data: bytes | None
    mime: str | None
    error: str | None


class MediaFetcher:
    """Downloads images through httpx with a bounded size and timeout; failures are values.

    Every URL, and every redirect target before it is followed, must pass ``policy``
    (``archiver.net_policy``): public addresses only unless loopback is explicitly allowed."""

    def __init__(self, client: httpx.Client | None = None, timeout: float = 20.0,
                 policy: NetPolicy = PUBLIC_ONLY) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self.policy = policy

    def fetch(self, url: str) -> Download:
        for _ in range(MAX_REDIRECTS + 1):
            refusal = self.policy.refusal(url)
            if refusal is not None:
                return Download(None, None, refusal)
            result = self._get(url)
            if isinstance(result, Download):
                return result
            url = result
        return Download(None, None, f"more than {MAX_REDIRECTS} redirects")

    def _get(self, url: str) -> Download | str:
        """The download, or the absolute URL a redirect points to (to be checked, then followed)."""
        try:
            with self._client.stream("GET", url) as response:
                if response.is_redirect and "location" in response.headers:
                    return str(response.url.join(response.headers["location"]))
                if response.status_code != 200:
                    return Download(None, None, f"HTTP {response.status_code}")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_MEDIA_BYTES:
                        return Download(None, None, f"larger than {MAX_MEDIA_BYTES} bytes")
                    chunks.append(chunk)
                mime = response.headers.get("content-type", "").split(";")[0].strip() or None
                return Download(b"".join(chunks), mime, None)
        except httpx.HTTPError as exc:
            return Download(None, None, f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        self._client.close()
