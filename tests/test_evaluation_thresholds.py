"""Small-number suppression: property tests, including filters and differencing two views."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from equimentor.evaluation.analysis import Resp, groups
from equimentor.evaluation.models import MIN_THRESHOLD, EvaluationSettings
from equimentor.lib import disclosure
from equimentor.lib.disclosure import visible_cells, visible_parts

sizes = st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 20), min_size=1, max_size=6)
thresholds = st.integers(MIN_THRESHOLD, 10)


@given(sizes, thresholds)
def test_shown_parts_are_big_enough_and_the_hidden_remainder_is_too(parts, k):
    shown = visible_parts(parts, k)
    assert all(parts[p] == 0 or parts[p] >= k for p in shown)
    if sum(parts.values()) < k:  # the whole is hidden too, and so is every part
        assert shown == set()
        return
    remainder = sum(parts.values()) - sum(parts[p] for p in shown)
    assert remainder == 0 or remainder >= k


@given(sizes, thresholds)
def test_differencing_the_whole_and_any_shown_parts_never_reveals_a_small_group(parts, k):
    shown = sorted(visible_parts(parts, k))
    total = sum(parts.values())
    if total < k:
        assert shown == []
        return
    for r in range(len(shown) + 1):
        for subset in combinations(shown, r):
            rest = total - sum(parts[p] for p in subset)
            assert rest == 0 or rest >= k


tables = st.dictionaries(
    st.sampled_from(["mentee", "mentor"]),
    st.dictionaries(st.sampled_from(["u30", "30s", "40s", None]), st.integers(0, 15), max_size=4),
    min_size=1,
)


@given(tables, thresholds, st.booleans())
@settings(max_examples=300)
def test_no_two_views_difference_to_a_small_group(table, k, whole_shown):
    """Every quantity shown by any view (each role unfiltered, each role × filter answer, and the
    whole if shown) is a set of people; for any shown set and any disjoint shown subsets of it,
    what is left is empty or has k or more."""
    shown_groups, cells = visible_cells(table, k, whole_shown=whole_shown)
    shown = {}
    for g in shown_groups:
        shown[(g,)] = frozenset((g, s, i) for s, n in table[g].items() for i in range(n))
    for g, s in cells:
        shown[(g, s)] = frozenset((g, s, i) for i in range(table[g][s]))
    if whole_shown and sum(sum(p.values()) for p in table.values()) >= k:
        shown[()] = frozenset(
            (g, s, i) for g, p in table.items() for s, n in p.items() for i in range(n)
        )
    for key, people in shown.items():
        assert len(people) == 0 or len(people) >= k
        inside = [v for other, v in shown.items() if other != key and v <= people]
        for r in range(1, min(len(inside), 4) + 1):
            for subset in combinations(inside, r):
                if sum(len(x) for x in subset) != len(frozenset().union(*subset)):
                    continue  # overlapping subsets are not a partition
                left = len(people - frozenset().union(*subset))
                assert left == 0 or left >= k, (key, table, k)


@given(
    st.lists(
        st.tuples(st.sampled_from(["mentee", "mentor"]), st.sampled_from(["a", "b", "c"])),
        max_size=30,
    ),
    thresholds,
)
def test_the_analysis_groups_follow_the_rules_through_filters(rows, k):
    resps = [Resp(role=r, wave="month_6", values={"age": (v, "")}) for r, v in rows]
    unfiltered = {role: (len(rs), shown) for role, rs, shown in groups(resps, k)}
    for _role, (n, shown) in unfiltered.items():
        assert shown == (n >= k)
    for value in "abc":
        for role, rs, shown in groups(resps, k, "age", value):
            if shown:
                n_all = unfiltered[role][0]
                assert len(rs) >= k and unfiltered[role][1]
                assert n_all - len(rs) == 0 or n_all - len(rs) >= k


def test_thresholds_are_never_below_three_and_free_text_is_higher(scheme_a):
    conf = EvaluationSettings(scheme=scheme_a, threshold=2, text_threshold=2)
    import pytest
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        conf.full_clean()
    assert conf.k == 3 and conf.k_text == 4
    assert EvaluationSettings.for_scheme(scheme_a).k == 5


def test_the_existing_helpers_behave_as_before():
    assert disclosure.count(3) == "<5" and disclosure.count(0) == "0" and disclosure.count(7) == "7"
    assert disclosure.share(2, 10) == "–" and disclosure.share(5, 10) == "50%"
    assert disclosure.mean([1, 2]) == "–" and disclosure.mean([1, 2, 3, 4, 5]) == "3.00"
