"""What of a post's text is scored for tone: the author's own words, nothing the platform added.

Why: a retweet's "RT @user:" prefix, link URLs and the leading/trailing mention lists of a reply
are not part of the statement. They would shift a lexicon score (a handle like ``@GoodNewsNetwork``
is not a positive word) and make the same statement score differently as a reply and as a post.
Hashtags keep their word (``#proud`` is the author's word) and lose only the ``#``.

Contractions of "not" are spelled out ("isn't" -> "is not"): TextBlob's tokenizer loses them.
Emoji are split out here as well, because they are scored by their own table (``analysis.tone``):
neither TextBlob nor VADER's word lexicon reads them well.

Hand-written with ``re`` on purpose: the rules are a few documented lines, and the usual libraries
(tweet-preprocessor, the ``emoji`` package) would add a dependency for what is a regex each.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# One or more "RT @user:" prefixes (a retweet of a retweet in an X archive export nests them).
_RT_PREFIX = re.compile(r"^\s*(?:RT\s+@\w{1,30}\s*:\s*)+", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Leading mention list ("@a @b text") and trailing one ("text @a @b").
_LEAD_MENTIONS = re.compile(r"^(?:\s*[.]?@[\w.-]+)+\s*[:,]?\s*")
_TRAIL_MENTIONS = re.compile(r"(?:\s+@[\w.-]+)+\s*$")
# A mention left inside a sentence: the handle is a name, not a word, so it goes too.
_MENTION = re.compile(r"(?<![\w@])@[\w.-]+")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_SPACE = re.compile(r"\s+")

# Pictographic emoji, dingbats, symbols, regional-indicator flags. Variation selectors, skin tones
# and the zero-width joiner only modify an emoji and carry no tone of their own.
_EMOJI = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001faff]"
)
_EMOJI_MODIFIERS = re.compile("[\ufe0e\ufe0f\u200d\u20e3\U0001f3fb-\U0001f3ff]")
_LETTER = re.compile(r"[^\W\d_]")
# TextBlob's tokenizer splits "isn't" into "is n ' t" and so loses the negation ("isn't great" reads
# as +0.8). Spelling the contraction out keeps it; VADER treats "is not" as it treats "isn't".
_IRREGULAR_NOT = {"wo": "will", "ca": "can", "sha": "shall", "ai": "is"}  # the stem before "n't"
_NOT_CONTRACTION = re.compile(r"\b(\w+)n[’']t\b", re.IGNORECASE)


def _spell_out_not(match: re.Match[str]) -> str:
    stem = match.group(1)
    return f"{_IRREGULAR_NOT.get(stem.lower(), stem)} not"


@dataclass(frozen=True, slots=True)
class CleanText:
    """The scoreable parts of a post: its words (no emoji) and its emoji, in order; and the post's
    own text as a whole (``strip_platform_text``: emoji kept), which the Spanish reader reads."""

    words: str
    emoji: tuple[str, ...]
    platform_text: str = ""

    @property
    def has_words(self) -> bool:
        """True when at least one letter remains: only then is there a language to decide."""
        return _LETTER.search(self.words) is not None


def strip_platform_text(text: str) -> str:
    """Remove what the platform or the reply mechanism added: RT prefix, URLs, mention lists."""
    text = html.unescape(text)  # X API v2 sends "&amp;", "&lt;" in text
    text = _RT_PREFIX.sub("", text)
    text = _URL.sub(" ", text)
    text = _LEAD_MENTIONS.sub("", text)
    text = _TRAIL_MENTIONS.sub("", text)
    text = _MENTION.sub(" ", text)
    text = _HASHTAG.sub(r"\1", text)
    return _SPACE.sub(" ", text).strip()


def clean(text: str | None) -> CleanText:
    """Split a post's text into its scoreable words and its emoji."""
    own = strip_platform_text(text or "")
    stripped = _EMOJI_MODIFIERS.sub("", own)
    stripped = _NOT_CONTRACTION.sub(_spell_out_not, stripped)
    emoji = tuple(_EMOJI.findall(stripped))
    words = _SPACE.sub(" ", _EMOJI.sub(" ", stripped)).strip() if emoji else stripped
    return CleanText(words=words, emoji=emoji, platform_text=own)
