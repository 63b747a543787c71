"""Scoring one text's tone: TextBlob, VADER and an emoji table, combined, or an honest abstention.

Public surface (used by ``analysis.tone_store`` and the report):

- ``score_text(text, lang_hint) -> ToneResult``: everything the ``tone`` table stores for one
  content. Pure: no database, no network, no NLTK data.
- ``ANALYZER`` and ``ANALYZER_VERSION``: the cache key's second half. The version names this
  module's rules, every library version and the weights, so changing any of them rescored
  everything once (``archiver analyze`` is incremental per version).
- ``label_for(score)`` and the thresholds ``POSITIVE_AT`` / ``NEGATIVE_AT``.

Why three readers, not one (docs/tone.md has the figures):

- TextBlob (the design card's choice) reads English adjectives well, but ignores emoji and misses
  plain gratitude ("thank you for your assistance and friendship" is 0.0). It is called through
  ``textblob.en.sentiment``: the exact function ``TextBlob(text).sentiment`` uses (PatternAnalyzer),
  which tokenizes with a regex and needs no NLTK corpus, and which also returns the words it read.
- VADER (``vaderSentiment``) is built for social media: negation, intensifiers, capitals, "!!!",
  emoticons. It reads the words only; emoji are removed first because VADER turns an emoji into its
  English name and scores that ("🔥" becomes the negative word "fire").
- Emoji use the Emoji Sentiment Ranking v1.0 (Kralj Novak et al. 2015: 1.6M tweets in 13 European
  languages rated by 83 annotators; ``analysis/data/README.md``). Being multilingual, the emoji tone
  is stored even when the words' language is unsupported, but it never becomes that post's ``score``
  unless the post has no words at all.

Spanish has its own reader (``analysis.tone_es``: EvoMSA's ``ha_Es`` model, names removed first) and
is scored only when the model is confident enough that its measured sign accuracy meets 0.80; below
that it abstains as ``low_confidence:es``. Its ``confidence`` (the model's margin) is stored with
every Spanish row, scored or not; English rows have none (the English path is not thresholded).

Abstentions (``score`` is NULL, never 0.0): ``unsupported_language:<code>`` (no validated analyzer
for that language: English and Spanish are validated, see docs/tone.md), ``low_confidence:es``, ``language_unknown``
(no usable platform tag and the detector is unsure), ``no_signal`` (no word or emoji that any
lexicon rates), ``no_text`` (nothing left after removing RT prefix, URLs and mentions).
"""

from __future__ import annotations

import csv
import functools
import importlib.metadata
import string
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analysis import tone_es
from analysis.tone_lang import decide
from analysis.tone_text import clean

TONE_RULES = "1"
ANALYZER = "textblob+vader+emoji;es:evomsa"

# Combination weights. W_TEXTBLOB and W_VADER were chosen on the tuning half of the UCI sentiment
# sentences (bench/tone_validate.py, docs/tone.md), never on the half whose figures are reported.
# W_EMOJI is set a priori: that benchmark has no emoji, so no figure here could choose it.
W_TEXTBLOB = 0.3
W_VADER = 0.7
W_EMOJI = 0.5

# Labels: VADER's published cut-offs for its compound score, applied to the combined score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
# possible_irony: words and emoji both clearly toned, in opposite directions ("Too late 😂").
IRONY_MIN = 0.2
# An emoji seen fewer times than this in the ranking's corpus has no reliable tone.
EMOJI_MIN_OCCURRENCES = 5

SPANISH = tone_es.enabled() and tone_es.evomsa_version() is not None
SUPPORTED_LANGUAGES = frozenset({"en", "es"} if SPANISH else {"en"})
_DATA = Path(__file__).parent / "data" / "emoji_sentiment_v1.0.csv"


def _versions() -> str:
    parts = []
    for dist in ("textblob", "vaderSentiment", "lingua-language-detector"):
        try:
            parts.append(f"{dist.split('-')[0].lower()}{importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - broken install
            parts.append(f"{dist}?")
    return "+".join(parts)


def _spanish_version() -> str:
    """The Spanish reader's part of the version: its library, model file and threshold, or "es:off"."""
    if not SPANISH:
        return "es:off"
    return f"es:evomsa{tone_es.evomsa_version()}-{tone_es.MODEL_FILE}-t{tone_es.THRESHOLD}/s{tone_es.SCALE}"


ANALYZER_VERSION = f"r{TONE_RULES}+{_versions()}+esr1.0+w{W_TEXTBLOB}/{W_VADER}/{W_EMOJI}+{_spanish_version()}"


@dataclass(frozen=True, slots=True)
class ToneResult:
    """One content's tone, column for column as the ``tone`` table stores it."""

    lang: str | None
    lang_method: str
    lang_confidence: float | None
    textblob_polarity: float | None
    textblob_subjectivity: float | None
    vader_compound: float | None
    emoji_tone: float | None
    emoji_count: int
    signal_words: int
    score: float | None
    label: str | None
    method: str | None
    possible_irony: bool
    abstain_reason: str | None
    confidence: float | None = None
    model_polarity: float | None = None

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


def label_for(score: float) -> str:
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


@functools.cache
def emoji_table() -> dict[str, float]:
    """Emoji -> tone in [-1, 1]: P(positive) - P(negative), Laplace-smoothed as in the paper."""
    table: dict[str, float] = {}
    with _DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            total = int(row["Occurrences"])
            if total < EMOJI_MIN_OCCURRENCES:
                continue
            table[row["Emoji"]] = (int(row["Positive"]) - int(row["Negative"])) / (total + 3)
    return table


@functools.cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@functools.cache
def _textblob() -> Any:
    from textblob.en import sentiment  # TextBlob's PatternAnalyzer; regex tokenizer, no NLTK

    return sentiment


_PUNCT = string.punctuation


def _signal_words(words: str, assessed: set[str]) -> tuple[int, int]:
    """Tokens some lexicon rates (TextBlob's assessed words or VADER's lexicon), and VADER's share.

    VADER's own tokenizer splits on whitespace and strips surrounding punctuation, as done here.
    """
    lexicon = _vader().lexicon
    count = vader_hits = 0
    for token in words.split():
        low = token.lower()
        bare = low.strip(_PUNCT)
        in_vader = low in lexicon or bare in lexicon
        vader_hits += in_vader
        if in_vader or (bare and bare in assessed):
            count += 1
    return count, vader_hits


def _emoji_tone(emoji: tuple[str, ...]) -> tuple[float | None, int]:
    table = emoji_table()
    tones = [table[e] for e in emoji if e in table]
    return (sum(tones) / len(tones) if tones else None), len(tones)


def combine(textblob: float | None, vader: float | None, emoji: float | None,
            weights: tuple[float, float, float] = (W_TEXTBLOB, W_VADER, W_EMOJI)) -> float | None:
    """Weighted mean of the readers that found something (None = that reader found nothing).

    Renormalising over the readers present means a post with only emoji, or only words VADER
    knows, is not pulled towards 0 by readers that had nothing to say. Clipped to [-1, 1].
    """
    parts = [(w, v) for w, v in zip(weights, (textblob, vader, emoji), strict=True) if v is not None]
    total = sum(w for w, _ in parts)
    if not parts or total == 0:
        return None
    return max(-1.0, min(1.0, sum(w * v for w, v in parts) / total))


def score_text(text: str | None, lang_hint: str | None) -> ToneResult:
    """Score one post's text (see the module docstring for what each field means)."""
    cleaned = clean(text)
    decision = decide(cleaned.words, cleaned.has_words, lang_hint)
    emoji_tone, emoji_count = _emoji_tone(cleaned.emoji)
    bare = ToneResult(
        lang=decision.lang, lang_method=decision.method, lang_confidence=decision.confidence,
        textblob_polarity=None, textblob_subjectivity=None, vader_compound=None,
        emoji_tone=emoji_tone, emoji_count=emoji_count, signal_words=0, score=None, label=None,
        method=None, possible_irony=False, abstain_reason=None,
    )
    if decision.method == "no_text":
        if emoji_tone is None:
            return replace(bare, abstain_reason="no_signal" if cleaned.emoji else "no_text")
        return replace(bare, score=emoji_tone, label=label_for(emoji_tone), method="emoji")
    if decision.lang is None:
        return replace(bare, abstain_reason="language_unknown")
    if decision.lang not in SUPPORTED_LANGUAGES:
        return replace(bare, abstain_reason=f"unsupported_language:{decision.lang}")
    if decision.lang == "es":
        return _score_spanish(cleaned.platform_text, bare)

    blob = _textblob()(cleaned.words)  # a (polarity, subjectivity) tuple with .assessments
    polarity, subjectivity = float(blob[0]), float(blob[1])
    assessed = {w for a in blob.assessments for w in a[0] if a[1] != 0}
    vader = float(_vader().polarity_scores(cleaned.words)["compound"])
    signal, vader_hits = _signal_words(cleaned.words, assessed)
    tb_part = polarity if assessed else None
    vader_part = vader if vader_hits else None
    combined = combine(tb_part, vader_part, emoji_tone)
    text_tone = combine(tb_part, vader_part, None)
    readers = (("textblob", tb_part), ("vader", vader_part), ("emoji", emoji_tone))
    names = [name for name, value in readers if value is not None]
    irony = (text_tone is not None and emoji_tone is not None and abs(text_tone) >= IRONY_MIN
             and abs(emoji_tone) >= IRONY_MIN and (text_tone > 0) != (emoji_tone > 0))
    return replace(
        bare,
        textblob_polarity=polarity,
        textblob_subjectivity=subjectivity,
        vader_compound=vader,
        signal_words=signal,
        score=combined,
        label=None if combined is None else label_for(combined),
        method="+".join(names) or None,
        possible_irony=irony,
        abstain_reason=None if combined is not None else "no_signal",
    )


def _score_spanish(own_text: str, bare: ToneResult) -> ToneResult:
    """EvoMSA's margin on the post's own words (names removed), scored only above ``THRESHOLD``."""
    polarity = tone_es.read_own_text(own_text)
    if polarity is None:
        return replace(bare, abstain_reason="no_signal")
    confidence = abs(polarity)
    if confidence < tone_es.THRESHOLD:
        return replace(bare, model_polarity=polarity, confidence=confidence, abstain_reason="low_confidence:es")
    score = tone_es.score_of(polarity)
    return replace(bare, model_polarity=polarity, confidence=confidence, score=score, label=label_for(score),
                   method=tone_es.METHOD)
