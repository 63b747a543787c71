"""The Jinja2 environment: autoescape on for every template, strict undefined, and the site key.

Why ``StrictUndefined``: a misspelt variable must fail the build, not silently print nothing on a
page that a court may read. Why the site key: a page's input hash must change when its template or
the code that builds its context changes, or an incremental build would keep a stale page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2

import reports
import templates
from archiver import __version__

TEMPLATE_DIR = Path(templates.__file__).parent
CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
       "connect-src 'none'; font-src 'none'; object-src 'none'; media-src 'self'; frame-src 'none'; "
       "base-uri 'none'; form-action 'none'")
OUTBOUND_REL = "noopener noreferrer nofollow"


def outbound_url(url: str | None) -> str | None:
    """Only http(s) URLs become links: a ``javascript:`` or ``data:`` URL in untrusted data never does."""
    if not url:
        return None
    lowered = url.strip().lower()
    return url.strip() if lowered.startswith(("https://", "http://")) else None


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        auto_reload=False,  # templates do not change during a build: no stat per render
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(CSP=CSP, OUTBOUND_REL=OUTBOUND_REL)
    env.filters["outbound"] = outbound_url
    return env


def site_key() -> str:
    """Hash of every template, the stylesheet and the report code: part of every page's input hash."""
    digest = hashlib.sha256(__version__.encode())
    sources = sorted(TEMPLATE_DIR.glob("*.html")) + sorted(TEMPLATE_DIR.glob("*.css")) + \
        sorted(Path(reports.__file__).parent.glob("*.py"))
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()

