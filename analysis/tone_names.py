"""Names are not sentiment: take the names of the field out of a text before a model reads it.

Why: the Spanish reader (``analysis.tone_es``) is a linear model over words and character n-grams
learned from tweets. A name carries the tone of the tweets that mentioned it ("Bukele", "CECOT"), or
of the words it is spelled with: "El Salvador" holds "salvador" (saviour), "Maduro" is "ripe",
"Rubio" is "blond". Read as words, names would move a statement's score by who it is about, not by
what it says. Handles and @mentions are already removed by ``analysis.tone_text``; this module
removes the names listed in ``analysis/data/tone_names.txt`` (matched whole, case-insensitively,
with or without accents on vowels and with or without the spaces between words, so "#ElSalvador",
"EL SALVADOR" and "Régimen de Excepción" / "regimen de excepcion" all match).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

_NAMES = Path(__file__).parent / "data" / "tone_names.txt"
_VOWELS = {"a": "aáàä", "e": "eéèë", "i": "iíìï", "o": "oóòö", "u": "uúùü"}
_SPACE = re.compile(r"\s+")


def names() -> tuple[str, ...]:
    """The protected names, as listed (comments and blank lines left out)."""
    lines = _NAMES.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))


def _pattern(name: str) -> str:
    parts = []
    for char in name:
        base = next((b for b, variants in _VOWELS.items() if char.lower() in variants), None)
        if base is not None:
            parts.append(f"[{_VOWELS[base]}]")
        elif char.isspace():
            parts.append(r"\s*")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


@functools.cache
def _regex() -> re.Pattern[str]:
    # Longest first, so "Nayib Bukele" goes whole before "Bukele" could leave "Nayib" behind. The
    # name's article goes with it ("el CECOT"); a contraction keeps its preposition ("del" -> "de").
    alternatives = "|".join(_pattern(n) for n in sorted(names(), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:(?:(?P<article>el|la|los|las)|(?P<contraction>del|al))\s+)?(?:{alternatives})(?!\w)",
                      re.IGNORECASE)


def _replace(match: re.Match[str]) -> str:
    contraction = match.group("contraction")
    return f" {contraction[:-1]} " if contraction else " "


def strip_names(text: str) -> str:
    """``text`` without the protected names and their articles (spaces then collapsed)."""
    return _SPACE.sub(" ", _regex().sub(_replace, text)).strip()
