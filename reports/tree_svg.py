"""A cascade tree drawn as SVG: the root on the left, each depth one column to the right.

Why a tidy layered layout written here rather than graphviz: graphviz is a system binary a user
may lack, and its output carries version strings. The layout is the classic one: leaves take
successive rows in depth-first order, a parent sits midway between its first and last child.

Edge provenance must be visible without colour: ``exact`` is a solid line, ``inferred`` dashed,
``root_default`` dotted (and each has its own colour class, and a legend says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

ROW = 22
COLUMN = 200
LEFT = 14
TOP = 16
LABEL_ROOM = 190
PROVENANCE_DASH = {"exact": "", "inferred": ' stroke-dasharray="7 4"', "root_default": ' stroke-dasharray="2 3"'}


@dataclass(slots=True)
class TreeNode:
    """One post in the drawing; ``parent`` is an index into the node list, -1 for the root."""

    parent: int
    label: str
    detail: str
    provenance: str | None
    href: str | None


def _layout(nodes: list[TreeNode]) -> tuple[list[float], list[int]]:
    children: list[list[int]] = [[] for _ in nodes]
    root = 0
    for index, node in enumerate(nodes):
        if node.parent < 0:
            root = index
        else:
            children[node.parent].append(index)
    y = [0.0] * len(nodes)
    depth = [0] * len(nodes)
    next_row = 0
    # Iterative post-order walk: deep cascades must not hit Python's recursion limit.
    stack: list[tuple[int, bool]] = [(root, False)]
    while stack:
        index, done = stack.pop()
        kids = children[index]
        if done:
            y[index] = (y[kids[0]] + y[kids[-1]]) / 2
            continue
        if not kids:
            y[index] = float(next_row)
            next_row += 1
            continue
        stack.append((index, True))
        for kid in reversed(kids):
            depth[kid] = depth[index] + 1
            stack.append((kid, False))
    return y, depth


def tree_svg(chart_id: str, title: str, nodes: list[TreeNode]) -> Markup:
    """Draw ``nodes`` (node 0 or the one with parent -1 is the root; children in the given order)."""
    y_rows, depth = _layout(nodes)
    rows = int(max(y_rows, default=0)) + 1
    width = LEFT + (max(depth, default=0)) * COLUMN + LABEL_ROOM
    height = TOP * 2 + rows * ROW

    def xy(index: int) -> tuple[float, float]:
        return LEFT + depth[index] * COLUMN, TOP + y_rows[index] * ROW

    parts = [
        f'<svg class="tree" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="group" '
        f'aria-labelledby="{chart_id}-t" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
    ]
    for index, node in enumerate(nodes):
        if node.parent < 0:
            continue
        x1, y1 = xy(node.parent)
        x2, y2 = xy(index)
        prov = node.provenance or "root_default"
        dash = PROVENANCE_DASH.get(prov, "")
        parts.append(
            f'<path class="edge edge-{escape(prov)}"{dash} d="M{x1:.0f} {y1:.0f} H{(x1 + x2) / 2:.0f} '
            f'V{y2:.0f} H{x2:.0f}"><title>{escape(prov)} edge</title></path>'
        )
    for index, node in enumerate(nodes):
        x, y = xy(index)
        label = node.label if len(node.label) <= 24 else node.label[:23] + "…"
        shape = (f'<circle class="node{" root" if node.parent < 0 else ""}" cx="{x:.0f}" cy="{y:.0f}" r="5">'
                 f"<title>{escape(node.detail)}</title></circle>"
                 f'<text class="node-label" x="{x + 8:.0f}" y="{y + 4:.0f}">{escape(label)}</text>')
        if node.href:
            parts.append(f'<a href="{escape(node.href)}" aria-label="{escape(node.detail)}">{shape}</a>')
        else:
            parts.append(shape)
    parts.append("</svg>")
    return Markup("".join(parts))


def legend_svg() -> Markup:
    """The three line styles with their names, so the distinction never rests on colour alone."""
    items = []
    for n, (name, text) in enumerate((("exact", "exact (the platform records this parent)"),
                                      ("inferred", "inferred (follows rule)"),
                                      ("root_default", "root_default (attached to the original)"))):
        y = 12 + n * 20
        items.append(f'<line class="edge edge-{name}"{PROVENANCE_DASH[name]} x1="4" y1="{y}" x2="44" y2="{y}"/>'
                     f'<text class="node-label" x="52" y="{y + 4}">{escape(text)}</text>')
    return Markup('<svg class="legend" viewBox="0 0 360 64" width="360" height="64" role="img" '
                  'aria-label="Legend: solid line exact, dashed line inferred, dotted line root_default" '
                  'xmlns="http://www.w3.org/2000/svg">' + "".join(items) + "</svg>")
