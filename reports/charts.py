"""Charts as inline SVG, drawn in Python when the site is built.

Why hand-written SVG instead of a plotting library: the site must open offline, need no
JavaScript, and be byte-identical for the same archive. matplotlib's SVG output embeds ids and
metadata that vary, and JavaScript chart libraries draw in the browser. A bar or point chart is a
few dozen elements, so writing them directly is simpler than taming a library.

Every chart carries a ``<title>`` and ``<desc>`` (read by screen readers), uses presentation
attributes and CSS classes only (the Content-Security-Policy forbids inline ``style``), and the
page shows the same numbers as a table beside it. Text is escaped with MarkupSafe.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 48
PAD_RIGHT = 12
PAD_TOP = 12
PAD_BOTTOM = 36


def _num(value: float) -> str:
    """Fixed two-decimal coordinates: stable text whatever the float's last bits."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _frame(chart_id: str, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _axes(max_label: str, min_label: str, first: str, last: str) -> list[str]:
    bottom = HEIGHT - PAD_BOTTOM
    return [
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{bottom}"/>',
        f'<line class="axis" x1="{PAD_LEFT}" y1="{bottom}" x2="{WIDTH - PAD_RIGHT}" y2="{bottom}"/>',
        f'<text class="tick" x="{PAD_LEFT - 4}" y="{PAD_TOP + 10}" text-anchor="end">{escape(max_label)}</text>',
        f'<text class="tick" x="{PAD_LEFT - 4}" y="{bottom}" text-anchor="end">{escape(min_label)}</text>',
        f'<text class="tick" x="{PAD_LEFT}" y="{HEIGHT - 12}">{escape(first)}</text>',
        f'<text class="tick" x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 12}" text-anchor="end">{escape(last)}</text>',
    ]


def bar_chart(chart_id: str, title: str, points: Sequence[tuple[str, int]], unit: str) -> Markup:
    """Counts per period (``points`` in time order), one bar each, scaled to the largest."""
    if not points:
        return _frame(chart_id, title, "No data.", [
            f'<text class="tick" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No data</text>'])
    top = max(v for _, v in points) or 1
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / len(points)
    bar_w = max(1.0, step * 0.8)
    body = _axes(str(top), "0", points[0][0], points[-1][0])
    for n, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = PAD_LEFT + n * step + (step - bar_w) / 2
        y = PAD_TOP + plot_h - h
        body.append(
            f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(bar_w)}" height="{_num(h)}">'
            f"<title>{escape(label)}: {value} {escape(unit)}</title></rect>"
        )
    total = sum(v for _, v in points)
    desc = f"{total} {unit} from {points[0][0]} to {points[-1][0]}; largest period {top}."
    return _frame(chart_id, title, desc, body)


def score_chart(chart_id: str, title: str, points: Sequence[tuple[str, float | None, int]]) -> Markup:
    """Mean tone per period on a -1..1 scale (``(label, mean or None, n scored)``); periods without
    a scored post are left empty rather than drawn as 0, which would read as 'neutral'."""
    scored = [(n, label, mean, count) for n, (label, mean, count) in enumerate(points) if mean is not None]
    if not scored:
        return _frame(chart_id, title, "No scored posts.", [
            f'<text class="tick" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No scored posts</text>'])
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / len(points)
    zero = PAD_TOP + plot_h / 2
    body = _axes("+1", "-1", points[0][0], points[-1][0])
    body.append(f'<line class="zero" x1="{PAD_LEFT}" y1="{_num(zero)}" x2="{WIDTH - PAD_RIGHT}" '
                f'y2="{_num(zero)}"/>')
    body.append(f'<text class="tick" x="{PAD_LEFT - 4}" y="{_num(zero + 4)}" text-anchor="end">0</text>')
    coords = []
    for n, label, mean, count in scored:
        x = PAD_LEFT + n * step + step / 2
        y = zero - (plot_h / 2) * max(-1.0, min(1.0, float(mean or 0.0)))
        coords.append(f"{_num(x)},{_num(y)}")
        body.append(f'<circle class="point" cx="{_num(x)}" cy="{_num(y)}" r="4">'
                    f"<title>{escape(label)}: mean {mean:+.2f} over {count} scored posts</title></circle>")
    body.insert(len(body) - len(scored), f'<polyline class="line" points="{" ".join(coords)}"/>')
    desc = f"Mean tone in {len(scored)} of {len(points)} periods, from {points[0][0]} to {points[-1][0]}."
    return _frame(chart_id, title, desc, body)
