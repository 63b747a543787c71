"""The method page's coverage-accuracy curve of each language's tone reader, as inline SVG.

Why on the method page: a tone label is only as good as the reader that made it, and for a reader
that abstains when unsure (Spanish) one accuracy figure hides the trade-off. The curve shows, on the
held-out half of each language's labelled set, how often the sign is right among the X% of texts the
reader is most confident about; the Spanish operating point is where the archive stops abstaining.
The figures come from ``analysis/data/tone_curves.json`` (written by the validation benches), so the
page shows the analyzer's measured behaviour, the same for every archive. Same drawing conventions as
``reports.charts``: fixed-precision coordinates, presentation attributes, ``<title>``/``<desc>``.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from analysis.tone_curves import load_curves

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 40
LOW = 0.5  # the y axis runs from chance (0.5) to 1.0
LANGUAGES = {"en": "English", "es": "Spanish"}
DASH = {"en": "", "es": ' stroke-dasharray="7 4"'}


def _x(coverage: float) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * coverage / 100


def _y(accuracy: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - max(LOW, min(1.0, accuracy))) / (1.0 - LOW)


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def curve_svg(curves: dict[str, Any]) -> Markup:
    bottom = HEIGHT - BOTTOM
    bar = _y(0.8)
    body = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}"/>',
        f'<line class="zero" x1="{LEFT}" y1="{_n(bar)}" x2="{WIDTH - RIGHT}" y2="{_n(bar)}"/>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end">1.0</text>',
        f'<text class="tick" x="{LEFT - 4}" y="{_n(bar + 4)}" text-anchor="end">0.8</text>',
        f'<text class="tick" x="{LEFT - 4}" y="{bottom}" text-anchor="end">0.5</text>',
        f'<text class="tick" x="{LEFT}" y="{HEIGHT - 22}">0%</text>',
        f'<text class="tick" x="{WIDTH - RIGHT}" y="{HEIGHT - 22}" text-anchor="end">100% of texts scored</text>',
    ]
    legend_y = HEIGHT - 6
    legend_x = float(LEFT)
    for lang, entry in sorted(curves.items()):
        name = LANGUAGES.get(lang, lang)
        points = " ".join(f"{_n(_x(c))},{_n(_y(a))}" for c, a in entry["curve"])
        body.append(f'<polyline class="line" points="{points}"{DASH.get(lang, "")}>'
                    f"<title>{escape(name)}: held-out sign accuracy by coverage</title></polyline>")
        body.append(f'<line class="line" x1="{_n(legend_x)}" y1="{legend_y - 4}" x2="{_n(legend_x + 24)}" '
                    f'y2="{legend_y - 4}"{DASH.get(lang, "")}/>')
        body.append(f'<text class="tick" x="{_n(legend_x + 30)}" y="{legend_y}">{escape(name)}</text>')
        legend_x += 120
        point = entry["operating_point"]
        if entry.get("threshold") is not None:
            body.append(f'<circle class="point" cx="{_n(_x(100 * point["coverage"]))}" '
                        f'cy="{_n(_y(point["accuracy"]))}" r="5"><title>{escape(name)} operating point: '
                        f'{100 * point["accuracy"]:.1f}% right at {100 * point["coverage"]:.1f}% coverage'
                        f"</title></circle>")
    desc = "; ".join(
        f"{LANGUAGES.get(lang, lang)}: {100 * e['curve'][0][1]:.0f}% right among the {e['curve'][0][0]}% most "
        f"confident, {100 * e['curve'][-1][1]:.0f}% over all" for lang, e in sorted(curves.items()))
    head = (f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
            f'aria-labelledby="tone-curve-t tone-curve-d" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="tone-curve-t">Sign accuracy by coverage, held-out texts</title>'
            f'<desc id="tone-curve-d">{escape(desc)}. The horizontal line marks 0.80.</desc>')
    return Markup(head + "".join(body) + "</svg>")


def tone_validation_context() -> dict[str, Any] | None:
    """The curve, a table of the same numbers, and each language's operating point; None when no
    curve is shipped."""
    curves = {lang: entry for lang, entry in load_curves().items() if lang in LANGUAGES}
    if not curves:
        return None
    langs = sorted(curves)
    coverages = [c for c, _ in curves[langs[0]]["curve"]]
    rows = [{"coverage": c, "values": [f"{dict(map(tuple, curves[lang]['curve'])).get(c, float('nan')):.3f}"
                                       for lang in langs]} for c in coverages if c % 10 == 0 or c == 5]
    points = [{"lang": LANGUAGES[lang], "method": curves[lang]["method"], "threshold": curves[lang]["threshold"],
               "held_out": curves[lang]["held_out"],
               "coverage": f"{100 * curves[lang]['operating_point']['coverage']:.1f}",
               "accuracy": f"{curves[lang]['operating_point']['accuracy']:.3f}"} for lang in langs]
    spanish = curves.get("es")
    es = None if spanish is None else {
        "threshold": spanish["threshold"], "accuracy_pct": f"{100 * spanish['operating_point']['accuracy']:.0f}",
        "coverage_pct": f"{100 * spanish['operating_point']['coverage']:.0f}",
        "wrong_in": f"{1 / max(1e-9, 1 - spanish['operating_point']['accuracy']):.0f}"}
    return {"svg": curve_svg(curves), "languages": [LANGUAGES[lang] for lang in langs], "rows": rows,
            "points": points, "es": es}
