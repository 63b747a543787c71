"""Selective-prediction validation: split, choose a threshold on one half, report on the other.

Shared by ``bench/tone_es_validate.py`` (which prints every figure docs/tone.md gives) and by
``tests/test_tone_spanish.py`` (which fails when the shipped operating point stops holding), so the
figures the documentation shows and the ones the tests check are computed by the same code.

- ``split(texts, seed)``: a text is in the tuning half when the first byte of SHA-256 of
  ``"<seed>:<text>"`` is below 128. Fixed by the seed, independent of file order.
- ``choose_threshold(rows)``: the smallest margin on the grid (steps of ``GRID``) whose rows at or
  above it are right in sign at least ``TARGET`` of the time *by a one-sided 95% Wilson lower
  bound*, with at least ``MIN_ROWS`` rows. The bound, not the raw accuracy: a threshold chosen
  where the tuning half just touches 0.80 is expected to fall below it on fresh data.
- ``curve(rows)``: sign accuracy of the X% most confident rows, X = 5, 10, ... 100.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TARGET = 0.80
Z_ONE_SIDED_95 = 1.6449
MIN_ROWS = 30
GRID = 0.05
COVERAGES = tuple(range(5, 101, 5))
SEED = 1


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled text and the reader's signed value for it (None: the reader had nothing)."""

    text: str
    label: int  # 1 positive, 0 negative
    value: float | None


def is_tuning(text: str, seed: int = SEED) -> bool:
    return hashlib.sha256(f"{seed}:{text}".encode()).digest()[0] < 128


def split(rows: Iterable[Row], seed: int = SEED) -> tuple[list[Row], list[Row]]:
    tuning: list[Row] = []
    held: list[Row] = []
    for row in rows:
        (tuning if is_tuning(row.text, seed) else held).append(row)
    return tuning, held


def right(row: Row) -> bool:
    """Sign agreement: > 0 for a positive label, < 0 for a negative one (0 and None are wrong)."""
    return row.value is not None and ((row.value > 0 and row.label == 1) or (row.value < 0 and row.label == 0))


def wilson_lower(k: int, n: int, z: float = Z_ONE_SIDED_95) -> float:
    if n == 0:
        return 0.0
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


@dataclass(frozen=True, slots=True)
class Point:
    """What a threshold does on a set of rows: ``scored`` of ``total`` clear it, ``correct`` of
    those have the right sign; per class as well (the tweets are two-thirds positive)."""

    threshold: float
    total: int
    scored: int
    correct: int
    positive_scored: int
    positive_correct: int
    negative_scored: int
    negative_correct: int

    @property
    def coverage(self) -> float:
        return self.scored / self.total if self.total else 0.0

    @property
    def accuracy(self) -> float:
        return self.correct / self.scored if self.scored else float("nan")

    @property
    def lower_bound(self) -> float:
        return wilson_lower(self.correct, self.scored, Z_ONE_SIDED_95)


def at_threshold(rows: Sequence[Row], threshold: float) -> Point:
    chosen = [r for r in rows if r.value is not None and abs(r.value) >= threshold]
    pos = [r for r in chosen if r.label == 1]
    neg = [r for r in chosen if r.label == 0]
    return Point(threshold, len(rows), len(chosen), sum(map(right, chosen)), len(pos), sum(map(right, pos)),
                 len(neg), sum(map(right, neg)))


def choose_threshold(rows: Sequence[Row], target: float = TARGET) -> float | None:
    """The smallest grid margin meeting the target by its lower bound (see the module docstring)."""
    top = max((abs(r.value) for r in rows if r.value is not None), default=0.0)
    for step in range(int(top / GRID) + 1):
        threshold = round(step * GRID, 4)
        point = at_threshold(rows, threshold)
        if point.scored >= MIN_ROWS and point.lower_bound >= target:
            return threshold
    return None


def curve(rows: Sequence[Row]) -> list[tuple[int, float]]:
    """(coverage %, sign accuracy of that share of the most confident rows); None values last."""
    ranked = sorted(rows, key=lambda r: -abs(r.value) if r.value is not None else 1.0)
    out = []
    for percent in COVERAGES:
        head = ranked[: max(1, round(len(ranked) * percent / 100))]
        out.append((percent, sum(map(right, head)) / len(head)))
    return out


def auc(rows: Sequence[Row]) -> float:
    """Probability that a random positive outranks a random negative (ties count half; None = 0)."""
    pos = sorted(r.value or 0.0 for r in rows if r.label == 1)
    neg = sorted(r.value or 0.0 for r in rows if r.label == 0)
    if not pos or not neg:
        return float("nan")
    wins = 0.0
    lo = hi = 0
    for value in pos:  # two pointers over the sorted negatives
        while lo < len(neg) and neg[lo] < value:
            lo += 1
        hi = max(hi, lo)
        while hi < len(neg) and neg[hi] == value:
            hi += 1
        wins += lo + 0.5 * (hi - lo)
    return wins / (len(pos) * len(neg))


def pearson(rows: Sequence[Row]) -> float:
    values = [r.value or 0.0 for r in rows]
    labels = [float(r.label) for r in rows]
    return statistics.correlation(values, labels) if len(rows) > 2 else float("nan")


def evomsa_tweets() -> list[tuple[str, str]]:
    """(text, klass) of the 1,000 labelled Spanish tweets EvoMSA ships (P, N, NEU, NONE)."""
    import orjson

    from analysis.tone_es import model_path

    path = model_path().parent.parent / "tests" / "tweets.json"
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return [(row["text"], row["klass"]) for row in rows]


def spanish_rows() -> tuple[list[Row], list[Row]]:
    """The tweets read by the Spanish path: (positive/negative rows, neutral/none rows as label -1)."""
    from analysis.tone_es import read

    polar: list[Row] = []
    neutral: list[Row] = []
    for text, klass in evomsa_tweets():
        if klass in ("P", "N"):
            polar.append(Row(text, 1 if klass == "P" else 0, read(text)))
        else:
            neutral.append(Row(text, -1, read(text)))
    return polar, neutral
