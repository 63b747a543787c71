"""Validate the Spanish tone reader, choose its threshold on the tuning half, report the held-out half.

Every Spanish figure in docs/tone.md comes from this one command (about 10 s, no network):

    python bench/tone_es_validate.py            # print the figures
    python bench/tone_es_validate.py --write    # also store the held-out curve for the report
    python bench/tone_es_validate.py --apertium # also measure Apertium->VADER and the ensemble

Data: the 1,000 labelled Spanish tweets that the EvoMSA package ships (``EvoMSA/tests/tweets.json``:
P, N, NEU, NONE); the 797 positive/negative ones measure sign accuracy, the 203 NEU/NONE ones how
often a text with no polarity still clears the bar. Split by ``analysis.tone_validation.split``
(seed 1); the threshold rule and the figures are ``analysis.tone_validation``'s, the same code
``tests/test_tone_spanish.py`` checks. Then the hand-labelled public-affairs sentences of
``tests/data/tone_es_public_affairs.tsv`` as their own row: a sanity check in the archive's register,
not the validation. Not a timed test.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis import tone_es  # noqa: E402
from analysis import tone_validation as v  # noqa: E402
from analysis.tone import score_text  # noqa: E402
from analysis.tone_curves import CURVES_FILE, write_curve  # noqa: E402

PUBLIC_AFFAIRS = ROOT / "tests" / "data" / "tone_es_public_affairs.tsv"


def point_line(name: str, point: v.Point) -> str:
    return (f"  {name:9s} n={point.total:4d} scored={point.scored:4d} ({100 * point.coverage:5.1f}%) "
            f"accuracy={point.accuracy:.3f} (95% lower {point.lower_bound:.3f}; positive "
            f"{point.positive_correct}/{point.positive_scored}, "
            f"negative {point.negative_correct}/{point.negative_scored})")


def raw_rule(tuning: list[v.Row]) -> float | None:
    """The rule without the bound: the smallest margin whose tuning accuracy is >= 0.80."""
    return next((t / 100 for t in range(0, 300, 5) if v.at_threshold(tuning, t / 100).scored >= v.MIN_ROWS
                 and v.at_threshold(tuning, t / 100).accuracy >= v.TARGET), None)


def seeds_line(polar: list[v.Row], seeds: range, choose: Any = v.choose_threshold) -> str:
    found = []
    for seed in seeds:
        tuning, held = v.split(polar, seed)
        threshold = choose(tuning)
        if threshold is not None:
            found.append(v.at_threshold(held, threshold))
    if not found:
        return f"  seeds {seeds.start}-{seeds.stop - 1}: the rule found no threshold in any"
    accuracies = sorted(p.accuracy for p in found)
    coverages = sorted(p.coverage for p in found)
    return (f"  seeds {seeds.start}-{seeds.stop - 1}: threshold found in {len(found)} of {len(seeds)}; "
            f"held-out accuracy min {accuracies[0]:.3f} median {accuracies[len(found) // 2]:.3f} "
            f"max {accuracies[-1]:.3f}, "
            f"below 0.80 in {sum(a < v.TARGET for a in accuracies)}; coverage min {100 * coverages[0]:.1f}% "
            f"median {100 * coverages[len(found) // 2]:.1f}%")


def public_affairs() -> None:
    rows = [line.split("\t") for line in PUBLIC_AFFAIRS.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    results = [(label, text, score_text(text, "es")) for label, _register, text in rows]
    polar = [(label, r) for label, _t, r in results if label != "neutral"]
    scored = [(label, r) for label, r in polar if r.score is not None]
    correct = sum((r.score or 0) > 0 if label == "positive" else (r.score or 0) < 0 for label, r in scored)
    neutral = [r for label, _t, r in results if label == "neutral"]
    print(f"\npublic-affairs sentences ({PUBLIC_AFFAIRS.relative_to(ROOT)}, labelled before scoring): "
          f"{len(polar)} positive/negative, {len(neutral)} neutral")
    print(f"  scored {len(scored)} of {len(polar)} polar ({100 * len(scored) / len(polar):.1f}%), right sign "
          f"{correct} of {len(scored)}" + (f" ({correct / len(scored):.3f})" if scored else ""))
    signs = sum((r.model_polarity or 0) > 0 if label == "positive" else (r.model_polarity or 0) < 0
                for label, r in polar)
    print(f"  the model's sign before the threshold: right on {signs} of {len(polar)} ({signs / len(polar):.3f})")
    print(f"  neutral sentences scored anyway: {sum(r.score is not None for r in neutral)} of {len(neutral)}")
    for label, text, r in results:
        shown = f"{r.score:+.2f}" if r.score is not None else r.abstain_reason
        margin = f"{r.model_polarity:+.2f}" if r.model_polarity is not None else "  -  "
        print(f"    {label:8s} margin {margin} -> {shown:18s} {text[:70]}")


def apertium(polar: list[v.Row]) -> None:
    """Apertium (spa-eng) then VADER, and its standardised average with EvoMSA: the alternatives."""
    if shutil.which("apertium") is None:
        print("\napertium: not installed (apt-get install apertium-eng-spa) - skipped")
        return
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from analysis.tone_names import strip_names
    from analysis.tone_text import clean, strip_platform_text

    texts = [" ".join(strip_names(strip_platform_text(r.text)).split()) or "." for r in polar]
    began = time.perf_counter()
    done = subprocess.run(["apertium", "-u", "spa-eng"], input="\n\n".join(texts) + "\n", capture_output=True,
                          text=True, check=True)
    seconds = time.perf_counter() - began
    english = done.stdout.strip("\n").split("\n\n")
    assert len(english) == len(texts), "apertium changed the number of paragraphs"
    vader = SentimentIntensityAnalyzer()
    translated = [v.Row(r.text, r.label, vader.polarity_scores(clean(e).words)["compound"])
                  for r, e in zip(polar, english, strict=True)]
    tuning, _held = v.split(polar)
    tuning_t, _ = v.split(translated)

    def zscore(rows: list[v.Row], ref: list[v.Row]) -> dict[str, float]:
        values = [r.value or 0.0 for r in ref]
        mean = sum(values) / len(values)
        sd = (sum((x - mean) ** 2 for x in values) / len(values)) ** 0.5
        return {r.text: ((r.value or 0.0) - mean) / sd for r in rows}

    ze, za = zscore(polar, tuning), zscore(translated, tuning_t)  # standardised on the tuning half only
    ensemble = [v.Row(r.text, r.label, ze[r.text] + za[r.text]) for r in polar]
    print(f"\napertium spa-eng: {len(texts)} tweets in {seconds:.2f} s = {len(texts) / seconds:,.0f} posts/s "
          "(one process, startup included)")
    for name, rows in (("apertium->VADER", translated), ("EvoMSA+apertium", ensemble), ("EvoMSA alone", polar)):
        tune, held = v.split(rows)
        threshold = v.choose_threshold(tune)
        curve = dict(v.curve(held))
        chosen = (f"rule threshold {threshold}: held-out {v.at_threshold(held, threshold).accuracy:.3f} at "
                  f"{100 * v.at_threshold(held, threshold).coverage:.1f}%" if threshold is not None
                  else "rule finds no threshold")
        print(f"  {name:16s} held-out AUC {v.auc(held):.3f} r {v.pearson(held):.3f}; accuracy at 10/20/30%: "
              f"{curve[10]:.3f}/{curve[20]:.3f}/{curve[30]:.3f}; {chosen}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"store the held-out curve in {CURVES_FILE.name}")
    parser.add_argument("--apertium", action="store_true", help="also measure Apertium->VADER and the ensemble")
    args = parser.parse_args()

    began = time.perf_counter()
    model = tone_es.model()
    load = time.perf_counter() - began
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"EvoMSA {tone_es.evomsa_version()} {tone_es.MODEL_FILE}: loaded in {load:.2f} s "
          f"(import and unpickle), peak RSS {rss:.0f} MB")
    _ = model
    polar, neutral = v.spanish_rows()
    tuning, held = v.split(polar)
    threshold = v.choose_threshold(tuning)
    print(f"tweets: {len(polar)} positive/negative (tuning {len(tuning)}, held-out {len(held)}), "
          f"{len(neutral)} NEU/NONE; seed {v.SEED}")
    print(f"threshold rule (tuning half only): smallest margin in steps of {v.GRID} whose tuning rows are right "
          f"in sign >= {v.TARGET} by a one-sided 95% Wilson lower bound -> {threshold} (shipped: {tone_es.THRESHOLD})")
    if threshold is None:
        print("no threshold meets the rule: Spanish must keep abstaining")
        return
    print("\nat the threshold")
    print(point_line("tuning", v.at_threshold(tuning, threshold)))
    print(point_line("held-out", v.at_threshold(held, threshold)))
    print(f"  NEU/NONE tweets clearing it (scored though unpolar): "
          f"{100 * v.at_threshold(neutral, threshold).coverage:.1f}% of {len(neutral)}")
    print(f"\nheld-out: AUC {v.auc(held):.3f}, Pearson r {v.pearson(held):.3f} (margin against the 0/1 label, "
          f"all {len(held)}); sign accuracy over all of them {v.curve(held)[-1][1]:.3f}")
    print("coverage-accuracy curve (the X% most confident):")
    print("  coverage  " + " ".join(f"{c:5d}%" for c, _ in v.curve(held)))
    print("  held-out  " + " ".join(f"{a:6.3f}" for _, a in v.curve(held)))
    print("  tuning    " + " ".join(f"{a:6.3f}" for _, a in v.curve(tuning)))
    naive = raw_rule(tuning)
    if naive is not None:
        print(f"\nfor comparison, the raw rule (tuning accuracy >= 0.80, no bound) would pick {naive}: held-out "
              f"{v.at_threshold(held, naive).accuracy:.3f} at {100 * v.at_threshold(held, naive).coverage:.1f}%")
    print("the same rule over other splits (how much one split can move the figures):")
    print(seeds_line(polar, range(1, 21)))
    print("  and the raw rule over the same splits:")
    print(seeds_line(polar, range(1, 21), raw_rule))
    public_affairs()
    if args.apertium:
        apertium(polar)
    if args.write:
        write_curve("es", {"method": tone_es.METHOD, "threshold": threshold, "seed": v.SEED,
                           "held_out": len(held), "operating_point": {
                               "coverage": round(v.at_threshold(held, threshold).coverage, 4),
                               "accuracy": round(v.at_threshold(held, threshold).accuracy, 4)},
                           "curve": [[c, round(a, 4)] for c, a in v.curve(held)]})
        print(f"\nwrote the held-out curve to {CURVES_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
