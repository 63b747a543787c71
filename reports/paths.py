"""Where each page of the site lives, and how one page links to another.

Why a module of its own: every page links to others, and a link is only correct when the page it
names is built under exactly that name. One function per kind of page keeps both sides in step.

URL scheme (docs/report.md; each platform's ``page_parts`` splits its ids):

- ``posts/x/<tweet id>.html``
- ``posts/bluesky/<did>/<collection>/<rkey>.html`` for ``at://<did>/app.bsky.feed.<collection>/<rkey>``
- ``accounts/<platform>/<platform id>.html``; ``cascades/<post path>.html`` keyed by the root post
- ``raw/<snapshot id>.json`` and ``media/<sha256>.<ext>``

A path segment keeps ``A-Z a-z 0-9 . -``; ``:`` becomes ``_`` (so ``did:plc:abc`` reads as
``did_plc_abc``, and a relative link can never be mistaken for a URL scheme), and every other byte
becomes ``~`` plus two hex digits (``_`` itself is ``~5f``). The mapping is therefore one-to-one:
two different ids never share a file.
"""

from __future__ import annotations

from archiver import platforms
from archiver.errors import ConfigError

_KEEP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_MIME_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp",
             "image/avif": "avif", "video/mp4": "mp4"}


def segment(value: str) -> str:
    """One filesystem- and URL-safe path segment, reversible and readable for ordinary ids."""
    out: list[str] = []
    for char in value:
        if char in _KEEP:
            out.append(char)
        elif char == ":":
            out.append("_")
        else:
            out.extend(f"~{byte:02x}" for byte in char.encode("utf-8"))
    text = "".join(out)
    if text in ("", ".", ".."):
        text = "~" + text.encode().hex() if text else "~"
    return text


def _id_path(platform: str, platform_id: str) -> str:
    """The post's own part of the path; the platform splits its id into readable segments."""
    try:
        parts = platforms.get(platform).page_parts(platform_id)
    except ConfigError:  # an archive row of a platform this installation does not know
        parts = [platform_id]
    return "/".join(segment(p) for p in parts)


def post_page(platform: str, platform_id: str) -> str:
    return f"posts/{segment(platform)}/{_id_path(platform, platform_id)}.html"


def account_page(platform: str, platform_id: str) -> str:
    return f"accounts/{segment(platform)}/{segment(platform_id)}.html"


def cascade_page(platform: str, root_platform_id: str) -> str:
    return f"cascades/{segment(platform)}/{_id_path(platform, root_platform_id)}.html"


def raw_file(snapshot_id: int) -> str:
    return f"raw/{snapshot_id}.json"


def media_file(sha256: str, mime: str | None) -> str:
    return f"media/{sha256}.{_MIME_EXT.get((mime or '').lower(), 'bin')}"


def relative(from_page: str, to_path: str) -> str:
    """A link from one site file to another that works from ``file://`` (no leading slash).

    Both are site-relative paths without ``.`` or ``..`` parts (every path here is built by this
    module), so the common directory prefix is all there is to it. Hand-written because
    ``posixpath.relpath`` calls ``getcwd`` twice per link: a tenth of a full build's time.
    """
    src = from_page.split("/")[:-1]
    dst = to_path.split("/")
    common = 0
    while common < len(src) and common < len(dst) - 1 and src[common] == dst[common]:
        common += 1
    return "../" * (len(src) - common) + "/".join(dst[common:])
