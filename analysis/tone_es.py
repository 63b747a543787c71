"""The Spanish reader: EvoMSA's ``ha_Es`` model, read offline, and scored only when it is confident.

Why this model (docs/tone.md has the measurements, ``bench/tone_es_validate.py`` reproduces them):
EvoMSA (PyPI ``EvoMSA``, Apache-2.0) ships ``models/ha_Es.tm``, a linear model (LinearSVC, classes
negative / neutral / positive) over TF-IDF word and character n-grams, trained on human-annotated
Spanish tweets. It was measured against Apertium->VADER, their ensemble and lexicons on the labelled
tweets EvoMSA ships (``EvoMSA/tests/tweets.json``); alone it has the best accuracy among its most
confident posts, and Apertium alone runs far below the speed this step needs.

- The model is loaded from the installed package with ``microtc.utils.load_model(path)``, never
  with EvoMSA's downloader: no network at run time.
- ``polarity`` = the positive class's decision value minus the negative class's, exactly what
  ``LabeledDataSet.transform`` gives (``test_tone_spanish`` pins the equality on EvoMSA's tweets).
  It is computed here from the model's own tokenizer, vocabulary, IDF and coefficients, in one pass
  per text, because microtc's generic TF-IDF step builds NumPy arrays per text and ran at 1,500
  tweets/s, under the 2,000/s this path must reach.
- ``confidence`` = ``|polarity|``, the model's margin. A post is scored only when its confidence is
  at least ``THRESHOLD``, the smallest margin at which the *tuning* half of the labelled tweets is
  right in sign at least 80% of the time by a one-sided 95% Wilson lower bound (the held-out half
  then reports the accuracy; see ``bench/tone_es_validate.py``). Below it: ``low_confidence:es``.
- The text read is the post's own words (``analysis.tone_text.strip_platform_text``: no RT prefix,
  URLs or mentions) with the field's names removed (``analysis.tone_names``). Emoji stay: the model
  was trained on tweets with their emoji.
"""

from __future__ import annotations

import functools
import importlib.metadata
import math
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The margin at and above which a Spanish post is scored. Chosen by bench/tone_es_validate.py on the
# tuning half only; tests/test_tone_spanish.py recomputes it and checks the held-out accuracy.
THRESHOLD = 1.1
# A score in [-1, 1] for a scored post: the margin over SCALE, clipped. The margin is the model's
# certainty, not an intensity: a Spanish score says "which side, how surely", never "how strongly".
SCALE = 2.0
MODEL_FILE = "ha_Es.tm"
METHOD = "evomsa-ha_es"
# Set to 0/off/no to keep Spanish abstaining (``unsupported_language:es``), e.g. to measure before/after.
ENV_SWITCH = "ARCHIVER_TONE_ES"


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "off", "no", "false")


def evomsa_version() -> str | None:
    try:
        return importlib.metadata.version("EvoMSA")
    except importlib.metadata.PackageNotFoundError:
        return None


def model_path() -> Path:
    import EvoMSA  # only to find the installed package; its __init__ reaches no network

    return Path(EvoMSA.__file__).parent / "models" / MODEL_FILE


@dataclass(frozen=True, slots=True)
class SpanishModel:
    """What scoring needs from ``ha_Es``: its tokenizer, and per token (IDF, w_pos - w_neg)."""

    tokenize: Any
    table: dict[str, tuple[float, float]]
    bias: float
    load_seconds: float

    def polarity(self, text: str) -> float | None:
        """Positive minus negative decision value, or None when no token of ``text`` is known."""
        get = self.table.get
        dot = norm = 0.0
        for token, count in Counter(self.tokenize(text)).items():
            entry = get(token)
            if entry is None:
                continue
            idf, weight = entry
            value = count * idf
            dot += value * weight
            norm += value * value
        if norm == 0.0:
            return None
        return self.bias + dot / math.sqrt(norm)


@functools.cache
def raw_model() -> Any:
    """EvoMSA's own ``LabeledDataSet`` from the installed file (the reference for tests and bench)."""
    from microtc.utils import load_model

    return load_model(str(model_path()))


def _fast_tokenizer(text_model: Any) -> Any:
    """microtc's tokenizer for this model's settings, with its token lists built by slicing.

    Same tokens (the library's own text transformations and word list, then word bigrams, words and
    character 2/3/4-grams of the transformed text, in any order: only their counts matter), a third
    faster. Any other setting falls back to the library's ``tokenize``."""
    if (list(text_model.n_grams) != [-2, -1] or text_model.skip_grams or text_model.q_grams_words
            or text_model.select_suff or text_model.select_conn):
        return text_model.tokenize
    transform, word_list, q_grams = text_model.text_transformations, text_model.get_word_list, text_model.q_grams

    def tokenize(text: str) -> list[str]:
        norm = transform(text)
        words = word_list(norm)
        tokens = [a + "~" + b for a, b in zip(words, words[1:])]  # noqa: B905 - pairs of neighbours
        tokens += words
        for q in q_grams:
            tokens += ["q:" + norm[i : i + q] for i in range(len(norm) - q + 1)]
        return tokens or ["~"]

    return tokenize


@functools.cache
def model() -> SpanishModel:
    """Load once per process (about half a second: unpickling the vocabulary)."""
    began = time.perf_counter()
    raw = raw_model()
    labels = list(raw._labels)
    pos, neg, nclass = labels.index("positive"), labels.index("negative"), len(labels)
    text_model = raw._textModel
    weighting = text_model.model
    coef = raw._coef
    idf = weighting.wordWeight
    table = {token: (float(idf[i]), coef[nclass * i + pos] - coef[nclass * i + neg])
             for token, i in weighting._w2id.items()}
    bias = raw._intercept[pos] - raw._intercept[neg]
    return SpanishModel(_fast_tokenizer(text_model), table, bias, time.perf_counter() - began)


def read(text: str) -> float | None:
    """The model's polarity for a post's text as the archive scores it: the post's own words
    (no RT prefix, URLs, mentions) with the field's names removed (``analysis.tone_names``)."""
    from analysis.tone_text import strip_platform_text

    return read_own_text(strip_platform_text(text))


def read_own_text(own: str) -> float | None:
    """``read`` for a text already passed through ``strip_platform_text`` (``CleanText.platform_text``)."""
    from analysis.tone_names import strip_names

    words = strip_names(own)
    if not any(char.isalpha() for char in words):  # only names (or nothing) were said
        return None
    return model().polarity(words)


def score_of(polarity: float) -> float:
    return max(-1.0, min(1.0, polarity / SCALE))
