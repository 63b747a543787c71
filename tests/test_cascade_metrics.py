"""Cascade metrics against closed forms, networkx's all-pairs reference, and properties."""

from __future__ import annotations

import random
from fractions import Fraction

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cascade_metrics import (
    NotATreeError,
    percentile,
    structural_virality,
    traversal,
    tree_metrics,
    wiener_index,
)


def star(n: int) -> list[int]:
    return [-1] + [0] * (n - 1)


def chain(n: int) -> list[int]:
    return [-1] + list(range(n - 1))


def perfect(k: int, height: int) -> list[int]:
    """A perfect k-ary tree in BFS numbering: node i's parent is (i - 1) // k."""
    n = sum(k**d for d in range(height + 1))
    return [-1] + [(i - 1) // k for i in range(1, n)]


def random_tree(n: int, rng: random.Random) -> list[int]:
    """A random recursive tree, relabelled so the root and parents sit at random positions."""
    parent = [-1] + [rng.randrange(i) for i in range(1, n)]
    labels = list(range(n))
    rng.shuffle(labels)
    out = [0] * n
    for i, p in enumerate(parent):
        out[labels[i]] = -1 if p < 0 else labels[p]
    return out


def reference_virality(parent: list[int]) -> float:
    graph = nx.Graph()
    graph.add_nodes_from(range(len(parent)))
    graph.add_edges_from((i, p) for i, p in enumerate(parent) if p >= 0)
    return float(nx.average_shortest_path_length(graph))


@pytest.mark.parametrize("n", [2, 3, 10, 257])
def test_star_virality_is_two_minus_two_over_n(n: int) -> None:
    assert structural_virality(star(n)) == pytest.approx(2 - 2 / n, rel=1e-12)


@pytest.mark.parametrize("n", [2, 3, 10, 500])
def test_chain_virality_is_n_plus_one_over_three(n: int) -> None:
    assert structural_virality(chain(n)) == pytest.approx((n + 1) / 3, rel=1e-12)


def perfect_tree_wiener(k: int, height: int) -> int:
    """Closed form: the k^d edges entering depth d each separate a subtree of (k^(h-d+1)-1)/(k-1)."""
    n = sum(k**d for d in range(height + 1))
    total = 0
    for d in range(1, height + 1):
        below = sum(k**j for j in range(height - d + 1))
        total += k**d * below * (n - below)
    return total


@pytest.mark.parametrize(("k", "height"), [(2, 1), (2, 2), (2, 5), (3, 3), (4, 4)])
def test_balanced_trees_match_closed_form(k: int, height: int) -> None:
    parent = perfect(k, height)
    n = len(parent)
    assert wiener_index(parent) == perfect_tree_wiener(k, height)
    expected = Fraction(perfect_tree_wiener(k, height), n * (n - 1) // 2)
    assert structural_virality(parent) == pytest.approx(float(expected), rel=1e-12)


def test_seven_node_binary_tree_by_hand() -> None:
    # two edges below the root cut off 3 nodes (3*4 pairs each), four leaf edges 1 (1*6): W = 48, 21 pairs
    assert wiener_index(perfect(2, 2)) == 48
    assert structural_virality(perfect(2, 2)) == pytest.approx(48 / 21)


def test_random_trees_match_networkx_all_pairs() -> None:
    rng = random.Random(20161104)
    for n in [2, 3, 5, 17, 64, 150, 300, *(rng.randrange(2, 301) for _ in range(40))]:
        parent = random_tree(n, rng)
        assert structural_virality(parent) == pytest.approx(reference_virality(parent), rel=1e-9), n


def test_not_a_tree_is_refused() -> None:
    with pytest.raises(NotATreeError, match="two roots"):
        traversal([-1, -1])
    with pytest.raises(NotATreeError, match="no root"):
        traversal([1, 0])
    with pytest.raises(NotATreeError, match="not reachable"):
        traversal([-1, 2, 1])


def test_time_metrics_on_a_hand_made_tree() -> None:
    #        0 (t=0)
    #      /   \
    #  1 (t=60)  2 (t=30)
    #     |
    #  3 (t=600, quote)    4 (t=90, reply to 2)
    parent = [-1, 0, 0, 1, 2]
    created = [1000.0, 1060.0, 1030.0, 1600.0, 1090.0]
    m = tree_metrics(parent, created, [7, 8, 9, 8, 7], ["post", "repost", "repost", "quote", "reply"],
                     ["x"] * 5, [None, "root_default", "exact", "exact", "exact"])
    assert (m.size_posts, m.size_accounts, m.depth, m.max_breadth) == (5, 3, 2, 2)
    assert m.time_to_first_reshare_s == 30.0
    assert m.median_latency_s == 75.0  # latencies 30, 60, 90, 600
    assert m.p90_latency_s == pytest.approx(90 + 0.7 * 510)
    assert m.time_to_depth == [30.0, 90.0]
    assert m.time_to_size == {10: None, 100: None, 1000: None}
    assert m.by_kind == {"quote": 1, "reply": 1, "repost": 2}
    assert m.by_provenance == {"exact": 3, "root_default": 1}
    assert m.structural_virality == pytest.approx(reference_virality(parent))


def test_time_to_size_counts_the_root() -> None:
    n = 12
    m = tree_metrics(star(n), [float(i * 10) for i in range(n)], list(range(n)),
                     ["post"] + ["repost"] * (n - 1), ["bluesky"] * n, [None] + ["exact"] * (n - 1))
    assert m.time_to_size[10] == 90.0  # the 9th reshare makes 10 posts
    assert m.by_platform == {"bluesky": 12}


def test_percentile_is_linear_interpolation() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([0.0, 10.0], 0.9) == 9.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], 0.9) == 10.0


Case = tuple[list[int], list[float], list[int], list[int]]


@st.composite
def trees_with_order(draw: st.DrawFn) -> tuple[list[int], list[float], list[int], list[int]]:
    n = draw(st.integers(min_value=1, max_value=60))
    parent = [-1] + [draw(st.integers(min_value=0, max_value=i - 1)) for i in range(1, n)]
    created = [0.0] + [float(draw(st.integers(min_value=0, max_value=10_000))) for _ in range(1, n)]
    account = [draw(st.integers(min_value=0, max_value=5)) for _ in range(n)]
    permutation = draw(st.permutations(list(range(n))))
    return parent, created, account, permutation


def _metrics(parent: list[int], created: list[float], account: list[int]) -> dict[str, object]:
    n = len(parent)
    # a node's kind is its own attribute (derived from its account), so it moves with the node
    kinds = ["post" if up < 0 else ("repost", "quote", "reply")[account[i] % 3]
             for i, up in enumerate(parent)]
    provenance = [None if up < 0 else "exact" for up in parent]
    m = tree_metrics(parent, created, account, kinds, ["x"] * n, provenance)
    values = {name: getattr(m, name) for name in m.__slots__}  # type: ignore[attr-defined]
    values["structural_virality"] = round(m.structural_virality, 9)
    return values


@settings(max_examples=150, deadline=None)
@given(trees_with_order())
def test_metrics_do_not_depend_on_input_order(case: Case) -> None:
    parent, created, account, permutation = case
    n = len(parent)
    where = {old: new for new, old in enumerate(permutation)}  # node old is placed at position new
    shuffled_parent = [0] * n
    shuffled_created = [0.0] * n
    shuffled_account = [0] * n
    for old in range(n):
        new = where[old]
        shuffled_parent[new] = -1 if parent[old] < 0 else where[parent[old]]
        shuffled_created[new] = created[old]
        shuffled_account[new] = account[old]
    assert _metrics(parent, created, account) == _metrics(shuffled_parent, shuffled_created, shuffled_account)


@settings(max_examples=150, deadline=None)
@given(trees_with_order())
def test_depth_and_virality_bounds(case: Case) -> None:
    parent, created, account, _ = case
    n = len(parent)
    m = tree_metrics(parent, created, account, ["post"] * n, ["x"] * n, [None] * n)
    assert 0 <= m.depth <= n - 1
    assert 1 <= m.max_breadth <= max(1, n - 1)
    if n > 1:
        # the star is the least viral tree and the chain the most
        assert 2 - 2 / n - 1e-9 <= m.structural_virality <= (n + 1) / 3 + 1e-9
        assert m.depth >= 1
