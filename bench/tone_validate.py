"""Validate the tone scorer against human-labelled sentences, and choose the combination weights.

Benchmark: the UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015): 3 x 1000 sentences
from Amazon, IMDB and Yelp reviews, each labelled positive (1) or negative (0) by people. It is
shipped inside the npm package ``sentiment`` 5.0.2 (MIT) as ``test/fixtures/{amazon,imdb,yelp}.json``,
so it is obtained with npm's own client, from the registry only:

    python bench/tone_validate.py                    # runs `npm pack sentiment@5.0.2` in a temp dir
    python bench/tone_validate.py --fixtures DIR     # DIR holds amazon.json, imdb.json, yelp.json
    python bench/tone_validate.py --write            # also store the held-out curve (analysis/data)

Split: a sentence belongs to the *tuning* half when the first byte of SHA-256(text) is < 128, else
to the *held-out* half. The weight grid is searched on the tuning half only (maximum Pearson r of
the combined score against the label); every reported figure is computed on the held-out half.

Pearson r against a 0/1 label is the point-biserial correlation. Sign agreement: the share of
sentences whose score is > 0 for a positive label and < 0 for a negative one (0.0 counts as wrong).
Not a timed test: it prints its figures for docs/tone.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textblob import TextBlob  # noqa: E402
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from analysis import tone  # noqa: E402
from analysis import tone_validation as validation  # noqa: E402
from analysis.tone_curves import CURVES_FILE, write_curve  # noqa: E402

SETS = ("amazon", "imdb", "yelp")
PACKAGE = "sentiment@5.0.2"

# Illustrative only (written for this doc, not human-rated): the register of official statements.
DIPLOMATIC = [
    "We thank our partners for their assistance and friendship.",
    "The Ministry expresses its deep concern over the recent developments.",
    "We categorically reject these unfounded allegations.",
    "The Government takes note of the court's decision.",
    "We call on all parties to exercise restraint.",
    "This decision is a violation of international law and will not go unanswered.",
    "We welcome the constructive dialogue held today.",
    "Oopsie... Too late 😂",
]


def fetch_fixtures(work: Path) -> Path:
    """`npm pack` the package into ``work`` and unpack its fixtures; returns their directory."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=work, check=True, capture_output=True)
    tgz = next(work.glob("sentiment-*.tgz"))
    with tarfile.open(tgz) as archive:
        for name in SETS:
            member = archive.getmember(f"package/test/fixtures/{name}.json")
            (work / f"{name}.json").write_bytes(archive.extractfile(member).read())  # type: ignore[union-attr]
    return work


def load(directory: Path) -> list[tuple[str, str, int]]:
    rows = []
    for name in SETS:
        for item in json.loads((directory / f"{name}.json").read_text(encoding="utf-8")):
            if item.get("text", "").strip():
                rows.append((name, item["text"], int(item["class"])))
    return rows


def is_tuning(text: str) -> bool:
    return hashlib.sha256(text.encode("utf-8")).digest()[0] < 128


def pearson(xs: list[float], ys: list[float]) -> float:
    return statistics.correlation(xs, ys) if len(xs) > 2 else float("nan")


def sign_agreement(scores: list[float], labels: list[int]) -> float:
    right = sum(1 for s, y in zip(scores, labels, strict=True) if (s > 0 and y == 1) or (s < 0 and y == 0))
    return right / len(scores) if scores else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", type=Path, help="directory with amazon.json, imdb.json, yelp.json")
    parser.add_argument("--write", action="store_true", help="store the held-out curve for the report")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.fixtures or fetch_fixtures(Path(tmp))
        rows = load(directory)
    rows_in = rows

    vader = SentimentIntensityAnalyzer()
    scored = []
    for source, text, label in rows:
        result = tone.score_text(text, "en")
        parts = result.method.split("+") if result.method else []
        scored.append({
            "source": source, "label": label, "tuning": is_tuning(text),
            "textblob": TextBlob(text).sentiment.polarity,
            "vader": vader.polarity_scores(text)["compound"],
            "tb_part": result.textblob_polarity if "textblob" in parts else None,
            "vader_part": result.vader_compound if "vader" in parts else None,
            "score": result.score, "abstain": result.abstain_reason,
        })
    tuning = [r for r in scored if r["tuning"]]
    held = [r for r in scored if not r["tuning"]]
    print(f"sentences: {len(scored)} (tuning {len(tuning)}, held-out {len(held)})")

    def combined(rs: list[dict], w_tb: float) -> list[float]:
        out = []
        for r in rs:
            value = tone.combine(r["tb_part"], r["vader_part"], None, (w_tb, 1 - w_tb, tone.W_EMOJI))
            out.append(0.0 if value is None else value)  # an abstention, compared as 0 (see docs)
        return out

    grid = [round(i * 0.05, 2) for i in range(21)]
    best = max(grid, key=lambda w: pearson(combined(tuning, w), [r["label"] for r in tuning]))
    print(f"tuning half: best W_TEXTBLOB={best} W_VADER={round(1 - best, 2)} "
          f"(r={pearson(combined(tuning, best), [r['label'] for r in tuning]):.3f}); "
          f"shipped: W_TEXTBLOB={tone.W_TEXTBLOB} W_VADER={tone.W_VADER}")

    print("\nheld-out half             n     Pearson r  sign agreement")
    for name in ("all", *SETS):
        part = [r for r in held if name == "all" or r["source"] == name]
        labels = [r["label"] for r in part]
        covered = [r for r in part if r["score"] is not None]
        lines = [
            ("TextBlob alone", [r["textblob"] for r in part]),
            ("VADER alone", [r["vader"] for r in part]),
            ("combined (abstain=0)", [r["score"] if r["score"] is not None else 0.0 for r in part]),
        ]
        for reader, values in lines:
            print(f"{name:7s} {reader:20s} {len(values):5d}  {pearson(values, labels):8.3f}  "
                  f"{sign_agreement(values, labels):10.3f}")
        values = [r["score"] for r in covered]
        clabels = [r["label"] for r in covered]
        print(f"{name:7s} {'combined, scored only':20s} {len(values):5d}  {pearson(values, clabels):8.3f}  "
              f"{sign_agreement(values, clabels):10.3f}   (abstained: {len(part) - len(covered)})")

    # Coverage-accuracy curve of the English path on the held-out half: the X% with the largest |score|
    # (abstentions last, counted wrong), the same measure as the Spanish reader's.
    rows = [validation.Row(text, r["label"], r["score"]) for (_s, text, _l), r in zip(rows_in, scored, strict=True)
            if not r["tuning"]]
    curve = validation.curve(rows)
    print("\nheld-out coverage-accuracy curve (X% with the largest |score|; abstentions last):")
    print("  coverage  " + " ".join(f"{c:5d}%" for c, _ in curve))
    print("  accuracy  " + " ".join(f"{a:6.3f}" for _, a in curve))
    covered = [r for r in rows if r.value is not None]
    if args.write:
        write_curve("en", {"method": tone.ANALYZER.split(";")[0], "threshold": None, "seed": None,
                           "held_out": len(rows), "operating_point": {
                               "coverage": round(len(covered) / len(rows), 4),
                               "accuracy": round(sum(map(validation.right, covered)) / len(covered), 4)},
                           "curve": [[c, round(a, 4)] for c, a in curve]})
        print(f"wrote the held-out curve to {CURVES_FILE.name}")

    print("\nillustrative official register (not a benchmark):")
    for text in DIPLOMATIC:
        result = tone.score_text(text, "en")
        print(f"  tb={TextBlob(text).sentiment.polarity:+.2f} vader={vader.polarity_scores(text)['compound']:+.2f}"
              f" score={'   -' if result.score is None else f'{result.score:+.2f}'} "
              f"{result.label or result.abstain_reason}: {text}")


if __name__ == "__main__":
    main()
