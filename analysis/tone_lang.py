"""Which language a post is in, and how we know: the platform's word first, then a detector.

Why this order: X and Bluesky tag most posts (X ``lang``, Bluesky's first ``langs`` entry), and the
author or platform knows better than any detector on 280 characters. When the tag is missing or is
one of X's non-language codes (``und`` undetermined, ``zxx`` no text, ``qme`` media only, ``qam``
mentions only, ``qct``/``qht`` cashtags/hashtags only, ``qst`` very short, ``art`` seen on emoji- or GIF-only
posts; ``mul``/``mis`` are ISO 639-2 "multiple" and "uncoded"),
``lingua`` decides, restricted to the languages plausible in this archive (a detector choosing among
75 languages is wrong far more often on short texts than one choosing among six). When its top
confidence is below ``MIN_CONFIDENCE`` we abstain (``language_unknown``) instead of guessing.

The detector is built once per process and reused: building it and loading its models is the slow
part (about a second), detection itself runs at >10k short texts/s.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

LangMethod = Literal["platform", "detector", "undetermined", "no_text"]

# ISO 639-1 codes the detector may answer with. Plausible for official statements in this field:
# English, Spanish, French, Portuguese, German, Italian.
PLAUSIBLE: tuple[str, ...] = ("en", "es", "fr", "pt", "de", "it")
MIN_CONFIDENCE = 0.6
NON_LANGUAGE_TAGS = frozenset({"und", "zxx", "qme", "qam", "qct", "qht", "qst", "art", "mul", "mis"})


@dataclass(frozen=True, slots=True)
class LangDecision:
    """``lang`` is an ISO 639-1 (or the platform's primary subtag) code, or None when undecided."""

    lang: str | None
    method: LangMethod
    confidence: float | None = None


def platform_lang(hint: str | None) -> str | None:
    """The primary subtag of a usable platform tag ("en-US" -> "en"), or None."""
    if not hint:
        return None
    primary = hint.strip().lower().replace("_", "-").split("-", 1)[0]
    if not primary or primary in NON_LANGUAGE_TAGS or not primary.isalpha():
        return None
    return primary


@functools.cache
def _detector() -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in PLAUSIBLE]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detect(words: str) -> LangDecision:
    """lingua's best guess among ``PLAUSIBLE``, or an abstention when it is unsure."""
    values = _detector().compute_language_confidence_values(words)
    if not values or values[0].value < MIN_CONFIDENCE:
        best = values[0].value if values else None
        return LangDecision(None, "undetermined", best)
    top = values[0]
    return LangDecision(top.language.iso_code_639_1.name.lower(), "detector", float(top.value))


def decide(words: str, has_words: bool, hint: str | None) -> LangDecision:
    """Decide the language of a post's cleaned words (see the module docstring for the order)."""
    if not has_words:
        return LangDecision(None, "no_text")
    tagged = platform_lang(hint)
    if tagged is not None:
        return LangDecision(tagged, "platform")
    return detect(words)
