"""Untrusted text made safe for a terminal.

Why: post text, handles, display names and server error details are written by strangers. An
ESC sequence in them can retitle the window (OSC 0), clear the screen (CSI 2J), plant a hyperlink
(OSC 8) or, in some terminals, answer back keystrokes; rich's ``Text`` passes them through. Every
C0 control except newline and tab, DEL, every C1 control (U+0080-U+009F, which includes the
8-bit CSI) and the bidi embedding, override and isolate controls (which reorder what the reader
sees) are shown as a visible ``\\u....`` escape instead, so nothing is hidden either.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: object) -> str:
    """``str(text)`` with every control character that could act on a terminal made visible."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


__all__ = ["clean"]
