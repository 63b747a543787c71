"""Readable differences between two versions of a post, with the standard library's difflib.

Two views, because readers ask two questions: *what words changed* (a word-level diff of the text,
rendered with ``<del>``/``<ins>`` so it reads without colour and prints) and *what else changed*
(the normalized content fields whose values differ: media, references, language).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

import orjson

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text that is ``same``, ``removed`` or ``added``."""

    op: str
    text: str


def word_diff(old: str, new: str) -> list[Segment]:
    """Word-level diff; whitespace is kept as its own token so the result re-reads as the text."""
    a = _TOKENS.findall(old)
    b = _TOKENS.findall(new)
    out: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(Segment("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Segment("removed", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(Segment("added", "".join(b[j1:j2])))
    return out


def changed_fields(old_content: str, new_content: str) -> list[dict[str, str]]:
    """Top-level normalized-content fields (other than text) whose values differ, as JSON text."""
    try:
        old: dict[str, Any] = orjson.loads(old_content)
        new: dict[str, Any] = orjson.loads(new_content)
    except orjson.JSONDecodeError:
        return []
    out = []
    for key in sorted(set(old) | set(new)):
        if key == "text" or old.get(key) == new.get(key):
            continue
        out.append({"field": key,
                    "old": orjson.dumps(old.get(key), option=orjson.OPT_SORT_KEYS).decode(),
                    "new": orjson.dumps(new.get(key), option=orjson.OPT_SORT_KEYS).decode()})
    return out
