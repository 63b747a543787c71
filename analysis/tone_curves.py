"""The measured coverage-accuracy curve of each language's tone reader, as shipped with the code.

Why a data file: the curve describes the analyzer (its validation), not an archive, so the report
shows it without recomputing it, and a report stays a pure function of the archive plus the code's
version. ``bench/tone_validate.py --write`` (English) and ``bench/tone_es_validate.py --write``
(Spanish) write it; ``tests/test_tone_spanish.py`` checks that the Spanish entry still equals what
the code computes.

Each entry: ``method``, ``threshold`` (None when the reader is not thresholded), ``held_out`` (rows),
``operating_point`` (held-out ``coverage`` and ``accuracy`` at the threshold, or over all rows),
``curve``: ``[coverage %, held-out sign accuracy of that share of the most confident rows]``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import orjson

CURVES_FILE = Path(__file__).parent / "data" / "tone_curves.json"


@functools.cache
def load_curves() -> dict[str, Any]:
    return dict(orjson.loads(CURVES_FILE.read_bytes())) if CURVES_FILE.exists() else {}


def write_curve(lang: str, entry: dict[str, Any]) -> None:
    """Replace one language's entry (the other languages' entries are kept)."""
    curves = dict(orjson.loads(CURVES_FILE.read_bytes())) if CURVES_FILE.exists() else {}
    curves[lang] = entry
    CURVES_FILE.write_bytes(orjson.dumps(curves, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n")
    load_curves.cache_clear()
