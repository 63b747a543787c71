"""Tone scoring of single texts: the behaviour docs/tone.md describes, with no database involved."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from textblob import TextBlob

from analysis.tone import ANALYZER_VERSION, emoji_table, label_for, score_text
from analysis.tone_lang import decide, platform_lang
from analysis.tone_text import clean, strip_platform_text


@pytest.mark.parametrize("text,hint", [("😂😂", "zxx"), ("🙏", None), ("😍", "und"), ("👏👏👏", "en")])
def test_emoji_only_posts_get_a_positive_score(text: str, hint: str | None) -> None:
    tone = score_text(text, hint)
    assert tone.score is not None and tone.score > 0
    assert tone.method == "emoji" and tone.abstain_reason is None
    assert tone.lang is None and tone.lang_method == "no_text"


def test_an_angry_emoji_only_post_scores_negative() -> None:
    tone = score_text("😡😡", None)
    assert tone.score is not None and tone.score < 0 and tone.label == "negative"


def test_emoji_table_reads_the_bundled_ranking() -> None:
    table = emoji_table()
    assert len(table) > 700
    assert table["😍"] > 0.5 and table["😭"] < 0.2 and table["😡"] < 0
    assert all(-1 <= value <= 1 for value in table.values())


@pytest.mark.parametrize("positive,negated", [
    ("This is a good decision.", "This is not a good decision."),
    ("We are happy with the result.", "We are not happy with the result."),
    ("The agreement is great for our people.", "The agreement isn't great for our people."),
])
def test_negation_flips_the_sign(positive: str, negated: str) -> None:
    plain, flipped = score_text(positive, "en"), score_text(negated, "en")
    assert plain.score is not None and flipped.score is not None
    assert plain.score > 0 > flipped.score
    assert (plain.label, flipped.label) == ("positive", "negative")


@pytest.mark.parametrize("decorated", [
    "RT @PressOffice: A historic and wonderful day for our nation",
    "A historic and wonderful day for our nation https://t.co/AbC123 https://example.gov/x?y=1",
    "RT @a: RT @b: A historic and wonderful day for our nation https://t.co/x",
    "@Allies @Partners.bsky.social A historic and wonderful day for our nation",
])
def test_rt_prefix_urls_and_mention_lists_do_not_change_the_score(decorated: str) -> None:
    assert score_text(decorated, "en") == score_text("A historic and wonderful day for our nation", "en")


def test_a_handle_with_a_sentiment_word_is_not_read() -> None:
    # "@GoodNews" is a name; scored as a word it would make this neutral text positive.
    assert score_text("@GoodNews The meeting is on Tuesday", "en").abstain_reason == "no_signal"
    assert strip_platform_text("Thanks @GoodNews for the #great coverage") == "Thanks for the great coverage"


def test_an_unsupported_language_abstains_with_its_reason_never_zero() -> None:
    for hint in ("de", "de-AT", None):
        tone = score_text("Vielen Dank an alle für die Unterstützung und die Freundschaft unserer Verbündeten", hint)
        assert tone.score is None and tone.label is None
        assert tone.abstain_reason == "unsupported_language:de"
        assert tone.lang == "de"
    assert score_text("Vielen Dank an alle für die Unterstützung", None).lang_method == "detector"


def test_spanish_goes_to_its_own_reader_whatever_the_tag_form() -> None:
    for hint in ("es", "es-MX", None):
        tone = score_text("Estoy harto de tanta corrupción, mentiras y abusos de poder.", hint)
        assert tone.lang == "es" and tone.method == "evomsa-ha_es" and tone.label == "negative"


def test_an_unsupported_language_keeps_its_emoji_tone_but_no_score() -> None:
    tone = score_text("Merci beaucoup à tous nos partenaires 🙏", "fr")
    assert tone.score is None and tone.abstain_reason == "unsupported_language:fr"
    assert tone.emoji_tone is not None and tone.emoji_tone > 0 and tone.emoji_count == 1


def test_text_without_sentiment_words_abstains_as_no_signal() -> None:
    tone = score_text("The delegation will arrive on Tuesday at 10:00.", "en")
    assert tone.score is None and tone.abstain_reason == "no_signal" and tone.signal_words == 0
    # TextBlob itself says 0.0 here: the abstention is what keeps that from reading as "neutral".
    assert tone.textblob_polarity == 0.0


def test_empty_text_and_links_only_abstain_as_no_text() -> None:
    assert score_text("", "en").abstain_reason == "no_text"
    assert score_text("https://t.co/abc @someone", "en").abstain_reason == "no_text"


def test_textblob_figure_is_textblobs_own() -> None:
    text = "Oopsie... Too late, a terrible and sad decision!"
    assert score_text(text, "en").textblob_polarity == pytest.approx(TextBlob(text).sentiment.polarity)
    assert score_text(text, "en").textblob_subjectivity == pytest.approx(TextBlob(text).sentiment.subjectivity)


def test_gratitude_that_textblob_misses_is_scored_positive() -> None:
    tone = score_text("Thank you for your assistance and friendship", "en")
    assert tone.textblob_polarity == 0.0
    assert tone.score is not None and tone.score > 0 and "vader" in (tone.method or "")


def test_mocking_emoji_on_negative_words_is_flagged_as_possible_irony() -> None:
    mocking = score_text("Oopsie... Too late 😂", "en")
    assert mocking.textblob_polarity is not None and mocking.textblob_polarity < 0
    assert mocking.emoji_tone is not None and mocking.emoji_tone > 0
    assert mocking.possible_irony
    assert not score_text("A wonderful, happy day 😂", "en").possible_irony
    assert not score_text("Too late", "en").possible_irony


def test_words_counted_are_the_sentiment_bearing_ones() -> None:
    assert score_text("The terrible, awful decision was announced on Monday", "en").signal_words == 2


def test_labels_follow_the_documented_thresholds() -> None:
    assert [label_for(x) for x in (0.05, 0.049, 0.0, -0.049, -0.05)] == [
        "positive", "neutral", "neutral", "neutral", "negative"]


def test_language_platform_tag_first_then_detector_then_abstain() -> None:
    assert platform_lang("en-GB") == "en" and platform_lang("und") is None and platform_lang("qme") is None
    decision = decide("Bonjour", True, "en")
    assert (decision.lang, decision.method) == ("en", "platform")
    detected = decide("The minister welcomed the agreement with our allies today", True, "und")
    assert (detected.lang, detected.method) == ("en", "detector")
    assert detected.confidence is not None and detected.confidence >= 0.6
    unsure = score_text("ok ok", None)
    assert unsure.abstain_reason == "language_unknown" and unsure.score is None


def test_clean_splits_emoji_from_words() -> None:
    result = clean("RT @x: Too late 😂👍🏽 https://t.co/a")
    assert result.words == "Too late" and result.emoji == ("😂", "👍")


def test_analyzer_version_names_its_libraries() -> None:
    assert "textblob" in ANALYZER_VERSION and "vader" in ANALYZER_VERSION and "lingua" in ANALYZER_VERSION


def test_nothing_needs_nltk_data(tmp_path: Path) -> None:
    """Score in a fresh interpreter whose NLTK data path is an empty directory: any call into an
    NLTK corpus (punkt, wordnet, brown) would raise LookupError there."""
    empty = tmp_path / "nltk_data"
    empty.mkdir()
    script = textwrap.dedent("""
        import nltk
        nltk.data.path[:] = [__import__("os").environ["NLTK_DATA"]]
        from textblob import TextBlob
        from analysis.tone import score_text
        for text, lang in [("This is not good at all. Terrible!", "en"), ("Too late 😂", "en"),
                           ("Gracias", None), ("😡", None), ("Thank you for your friendship", "und"),
                           ("Estoy harto de tanta corrupción", "es")]:
            score_text(text, lang)
            TextBlob(text).sentiment
        print("ok")
    """)
    env = {**os.environ, "NLTK_DATA": str(empty), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
