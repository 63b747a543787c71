"""Properties of the edge rules and cascade grouping on random archives (hypothesis).

Random post tables (references to any row, to missing posts, cycles, follows) must always give
edges whose provenance matches the rule that made them, and cascades that are trees.
"""

from __future__ import annotations

from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cascades import EXACT, INFERRED, ROOT_DEFAULT
from analysis.compute import compute
from analysis.post_table import KIND_CODES, MISSING, NONE, PostTable

REPOST, QUOTE, REPLY = KIND_CODES["repost"], KIND_CODES["quote"], KIND_CODES["reply"]


@st.composite
def archives(draw: st.DrawFn) -> tuple[PostTable, dict[int, set[int]]]:
    n = draw(st.integers(min_value=1, max_value=40))
    ref = st.one_of(st.just(NONE), st.just(MISSING), st.integers(min_value=0, max_value=n - 1))
    table = PostTable()
    code = table.platform_code("x")
    for row in range(n):
        kind = draw(st.sampled_from(list(KIND_CODES.values())))
        account = draw(st.integers(min_value=1, max_value=6))
        created = float(draw(st.integers(min_value=0, max_value=20)))
        table.add_row(row + 1, code, kind, account, created,
                      reposted=draw(ref) if kind == REPOST else NONE,
                      quoted=draw(ref) if kind == QUOTE else NONE,
                      replied=draw(ref) if kind == REPLY else NONE,
                      via=draw(ref) if kind == REPOST else NONE,
                      thread_root=draw(ref) if kind == REPLY else NONE)
    follows = draw(st.dictionaries(st.integers(min_value=1, max_value=6),
                                   st.sets(st.integers(min_value=1, max_value=6), max_size=4), max_size=6))
    return table, follows


@settings(max_examples=300, deadline=None)
@given(archives())
def test_every_edge_is_labelled_by_the_rule_that_made_it(case: tuple[PostTable, dict[int, set[int]]]) -> None:
    table, follows = case
    result = compute(table, follows)
    parent, provenance = result.edges.parent, result.edges.provenance
    for row in range(len(table)):
        up, label, kind = parent[row], provenance[row], table.kind[row]
        if up < 0:
            assert label == 0
            continue
        if label == EXACT:
            assert (kind == QUOTE and up == table.quoted[row]) or (kind == REPLY and up == table.replied[row]) \
                or (kind == REPOST and up == table.via[row])
        elif label == ROOT_DEFAULT:
            assert kind == REPOST and table.via[row] < 0 and up == table.reposted[row]
        else:
            assert label == INFERRED
            assert kind == REPOST and table.via[row] < 0 and table.kind[up] == REPOST
            assert table.reposted[up] == table.reposted[row]  # an earlier resharer of the same post
            assert table.created[up] < table.created[row]
            assert table.account[up] in follows[table.account[row]]


@settings(max_examples=300, deadline=None)
@given(archives())
def test_cascades_are_disjoint_trees_and_fingerprints_are_stable(
    case: tuple[PostTable, dict[int, set[int]]],
) -> None:
    table, follows = case
    result = compute(table, follows)
    parent = result.edges.parent
    seen: set[int] = set()
    for cascade in result.cascades:
        rows = cascade.rows
        assert rows[0] == cascade.root_row and parent[rows[0]] < 0
        members = set(rows)
        assert len(members) == len(rows) and not members & seen
        seen |= members
        assert all(parent[row] in members for row in rows[1:])
        m = cascade.metrics
        assert m.size_posts == len(rows) >= 2 and 1 <= m.depth <= m.size_posts - 1
        assert sum(m.by_kind.values()) == len(rows) - 1
    # every post with a parent is in exactly one cascade
    assert seen == {row for row in range(len(table)) if parent[row] >= 0} | {c.root_row for c in result.cascades}
    again = compute(table, follows, {table.ids[c.root_row]: c.fingerprint for c in result.cascades})
    assert again.cascades == [] and again.unchanged == len(result.cascades)


def test_inference_prefers_the_most_recent_followed_resharer() -> None:
    table = PostTable()
    code = table.platform_code("bluesky")
    # row 0 the post; rows 1-4 reposts of it by accounts 2, 3, 4, 5 at t=1, 2, 3, 3; row 5 by account 9 at t=3
    for row, (kind, account, created) in enumerate(
            [("post", 1, 0.0), ("repost", 2, 1.0), ("repost", 3, 2.0), ("repost", 4, 3.0), ("repost", 5, 4.0),
             ("repost", 9, 3.0)]):
        table.add_row(row + 1, code, KIND_CODES[kind], account, created,
                      reposted=0 if kind == "repost" else NONE)
    follows = {9: {2, 3, 4}, 5: {7}}
    edges = compute(table, follows).edges
    assert list(edges.parent) == [NONE, 0, 0, 0, 0, 2]  # account 4's repost is not *earlier* (same second)
    assert list(edges.provenance) == [0, ROOT_DEFAULT, ROOT_DEFAULT, ROOT_DEFAULT, ROOT_DEFAULT, INFERRED]
    assert isinstance(edges.parent, array)
