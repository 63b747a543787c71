"""The report's small parts: page paths, links, outbound URLs, diffs, charts."""

from __future__ import annotations

import posixpath
import re

from hypothesis import given
from hypothesis import strategies as st

from reports import paths
from reports.charts import bar_chart, score_chart
from reports.context_cascades import duration
from reports.diffs import changed_fields, word_diff
from reports.render import outbound_url
from reports.tree_svg import TreeNode, tree_svg

SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")


def test_readable_paths_for_both_platforms() -> None:
    assert paths.post_page("x", "1901153958097848370") == "posts/x/1901153958097848370.html"
    uri = "at://did:plc:74mnw662wilpmcrepkmhyizg/app.bsky.feed.post/3lkhbv4qr22sy"
    assert paths.post_page("bluesky", uri) == "posts/bluesky/did_plc_74mnw662wilpmcrepkmhyizg/post/3lkhbv4qr22sy.html"
    repost = "at://did:plc:abc/app.bsky.feed.repost/3k"
    assert paths.post_page("bluesky", repost) == "posts/bluesky/did_plc_abc/repost/3k.html"
    assert paths.cascade_page("bluesky", uri).startswith("cascades/bluesky/did_plc_74mnw662wilpmcrepkmhyizg/post/")
    assert paths.account_page("bluesky", "did:web:example.com") == "accounts/bluesky/did_web_example.com.html"


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_segments_are_safe_and_one_to_one(a: str, b: str) -> None:
    sa, sb = paths.segment(a), paths.segment(b)
    assert SEGMENT.match(sa) and sa not in (".", "..")
    assert (sa == sb) == (a == b)


@given(st.lists(st.sampled_from(["a", "b", "posts", "x"]), min_size=0, max_size=3),
       st.lists(st.sampled_from(["a", "b", "posts", "x"]), min_size=0, max_size=3))
def test_relative_links_match_posixpath(src: list[str], dst: list[str]) -> None:
    from_page = "/".join([*src, "p.html"])
    to_path = "/".join([*dst, "q.html"])
    assert paths.relative(from_page, to_path) == posixpath.relpath(to_path, posixpath.dirname(from_page) or ".")


def test_only_http_urls_become_outbound_links() -> None:
    assert outbound_url("https://x.com/a/status/1") == "https://x.com/a/status/1"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>", "file:///etc/passwd", "", None):
        assert outbound_url(bad) is None


def test_word_diff_marks_the_changed_word_only() -> None:
    segments = word_diff("cannot direct the movments of", "cannot direct the movements of")
    assert [(s.op, s.text) for s in segments if s.op != "same"] == [("removed", "movments"), ("added", "movements")]
    assert "".join(s.text for s in segments if s.op != "added") == "cannot direct the movments of"
    assert "".join(s.text for s in segments if s.op != "removed") == "cannot direct the movements of"


def test_changed_fields_lists_content_fields_other_than_text() -> None:
    old = '{"text":"a","lang":"en","media":[]}'
    new = '{"text":"b","lang":"es","media":[]}'
    assert changed_fields(old, new) == [{"field": "lang", "old": '"en"', "new": '"es"'}]


def test_bar_chart_scales_to_the_largest_and_escapes_labels() -> None:
    svg = str(bar_chart("c", "Posts <b>", [("w1", 5), ("w2", 10), ("w3", 0)], "posts"))
    heights = [float(h) for h in re.findall(r'<rect class="bar" [^>]*height="([0-9.]+)"', svg)]
    assert heights[1] == 2 * heights[0] and heights[2] == 0
    assert "Posts &lt;b&gt;" in svg and "<b>" not in svg
    assert 'role="img"' in svg and "<title" in svg and "style=" not in svg


def test_score_chart_leaves_unscored_periods_empty() -> None:
    svg = str(score_chart("t", "Tone", [("w1", 0.5, 3), ("w2", None, 0), ("w3", -0.5, 1)]))
    assert svg.count('<circle class="point"') == 2
    assert "No scored posts" in str(score_chart("t", "Tone", [("w1", None, 0)]))


def test_tree_svg_distinguishes_provenance_without_colour() -> None:
    nodes = [TreeNode(-1, "root", "root post", None, "a.html"),
             TreeNode(0, "q", "quote", "exact", "b.html"),
             TreeNode(1, "r", "repost", "inferred", None),
             TreeNode(0, "s", "repost", "root_default", None)]
    svg = str(tree_svg("t", "Tree <x>", nodes))
    exact = re.search(r'<path class="edge edge-exact"([^>]*)>', svg)
    inferred = re.search(r'<path class="edge edge-inferred"([^>]*)>', svg)
    default = re.search(r'<path class="edge edge-root_default"([^>]*)>', svg)
    assert exact and "dasharray" not in exact.group(1)
    assert inferred and 'stroke-dasharray="7 4"' in inferred.group(1)
    assert default and 'stroke-dasharray="2 3"' in default.group(1)
    assert svg.count("<a href=") == 2 and "Tree &lt;x&gt;" in svg


def test_deep_tree_draws_without_recursion() -> None:
    nodes = [TreeNode(-1, "n0", "n0", None, None)] + [TreeNode(i, f"n{i + 1}", "d", "exact", None)
                                                       for i in range(3000)]
    assert str(tree_svg("t", "deep", nodes)).count("<circle") == 3001


def test_durations_read_like_a_person_would_say_them() -> None:
    assert [duration(s) for s in (None, 42, 425, 11520, 187200, -600)] == \
        [None, "42 s", "7 min 5 s", "3 h 12 min", "2 d 4 h", "-10 min 0 s"]
