"""The vectorised code paths agree with their references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from equimentor.engine import (
    Deferred,
    Instance,
    InstanceError,
    Mentee,
    Mentor,
    Settings,
    check_stability,
    instance_from_dict,
    match,
)
from equimentor.engine import fallback as fallback_mod
from equimentor.engine.generate import generate_instance
from equimentor.engine.scoring import Scorer, tfidf
from equimentor.engine.stable import sort_for_mentors
from equimentor.engine.validate import prepare
from tests.engine.helpers import WORDS, check_rules, instances, outcome

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class _Text(str):
    """Valid wherever a str is."""


class _Whole(int):
    """Valid wherever an int is."""


class _List(list):
    """Valid wherever a list is."""


def _id(value):
    return _Text(value) if isinstance(value, str) else _Whole(value)


def _unusual(inst: Instance) -> Instance:
    """The same instance in subclasses of the types the engine reads (which its
    vectorised checks call unusual and hand to the checks entry by entry)."""
    mentors = _List(
        Mentor(
            id=_id(r.id),
            capacity=_Whole(r.capacity),
            ranking=None if r.ranking is None else _List(map(_id, r.ranking)),
            institution=None if r.institution is None else _Text(r.institution),
            career_stage=None if r.career_stage is None else _Whole(r.career_stage),
            interests=r.interests,
            attributes=r.attributes,
        )
        for r in inst.mentors
    )
    mentees = _List(
        Mentee(
            id=_id(e.id),
            choices=_List(map(_id, e.choices)),
            institution=e.institution,
            career_stage=e.career_stage,
            interests=None if e.interests is None else _Text(e.interests),
            attributes=e.attributes,
            wants_shared=tuple(e.wants_shared),
            avoid=_List(map(_id, e.avoid)),
            groups=_List(e.groups),
        )
        for e in inst.mentees
    )
    return Instance(mentors, mentees, inst.settings, _List(inst.pinned), inst.forbidden)


@FAST
@given(instances())
def test_unusual_but_valid_types_give_the_same_result(inst):
    assert outcome(_unusual(inst)) == outcome(inst)


def test_unusual_but_valid_types_on_a_generated_instance():
    inst = instance_from_dict(generate_instance(300, 80, seed=3))
    assert outcome(_unusual(inst)) == outcome(inst)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda i: i.mentees[0].choices.append("nobody"),
            'mentees[0] (id "e0"): choice "nobody" is not a known mentor id',
        ),
        (
            lambda i: i.mentees[1].choices.append(i.mentees[1].choices[0]),
            'mentees[1] (id "e1"): choice "r18" is listed more than once',
        ),
        (
            lambda i: setattr(i.mentors[2], "capacity", -1),
            'mentors[2] (id "r2"): capacity must be a whole number ≥ 0, got -1',
        ),
        (
            lambda i: setattr(i.mentees[3], "id", i.mentees[4].id),
            'mentees[4] (id "e4"): duplicate mentee id "e4" (also mentees[3])',
        ),
        (
            lambda i: setattr(i.mentees[3], "career_stage", "senior"),
            'mentees[3] (id "e3"): career_stage must be a whole number or null, got "senior"',
        ),
        (
            lambda i: setattr(i.mentors[0], "ranking", ["nobody"]),
            'mentors[0] (id "r0"): ranking entry "nobody" is not a known mentee id',
        ),
        (
            lambda i: i.mentees[5].choices.append(True),
            'mentees[5] (id "e5"): choice true is not a known mentor id',
        ),
        # several errors: the first entry's, whatever kind of error comes first in the checks
        (
            lambda i: (
                i.mentees[5].choices.append("nobody"),
                setattr(i.mentees[2], "wants_shared", [1]),
            ),
            'mentees[2] (id "e2"): wants_shared must be a list of attribute names',
        ),
        (
            lambda i: (i.mentees[0].choices.append("nobody"), setattr(i.mentors[4], "id", "")),
            'mentors[4]: id must be a non-empty string or an integer, got ""',
        ),
        (
            lambda i: (
                setattr(i, "pinned", [("e1", "r0"), ("e1", "r1")]),
                setattr(i.mentors[3], "ranking", ["e2", "e2"]),
            ),
            'mentors[3] (id "r3"): ranking lists mentee "e2" more than once',
        ),
        (
            lambda i: setattr(i, "pinned", [("e1", "r0"), ("e1", "r1")]),
            'pinned[1] ("e1", "r1"): mentee "e1" is pinned more than once',
        ),
    ],
)
def test_errors_name_the_first_offending_entry(mutate, message):
    inst = instance_from_dict(generate_instance(50, 20, seed=4, choices=(2, 4)))
    mutate(inst)
    with pytest.raises(InstanceError) as err:
        match(inst)
    assert str(err.value) == message
    with pytest.raises(InstanceError) as again:  # the same through the other public entry
        check_stability(inst, match(Instance(mentors=[], mentees=[])))
    assert str(again.value) == message


@given(
    st.lists(
        st.one_of(
            st.lists(st.sampled_from([*WORDS, "the", "and", "x", "Über", "über-care"]), max_size=5)
            .map(" ".join)
            .map(lambda t: t.title() if len(t) % 2 else t),
            st.text(max_size=20),
        ),
        min_size=1,
        max_size=30,
    )
)
@FAST
def test_tfidf_equals_scikit_learn(texts):
    model = tfidf(texts)
    vec = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True)
    try:
        expected = vec.fit_transform(texts).tocsr()
    except ValueError:  # empty vocabulary
        assert model is None
        return
    x, features = model
    assert list(features) == list(vec.get_feature_names_out())
    assert abs(x - expected).max() < 1e-12 if x.nnz or expected.nnz else True
    # a missing text (None) counts as an empty one
    with_none = tfidf([None if t == "" else t for t in texts])
    assert list(with_none[1]) == list(features) and abs(with_none[0] - x).max() == 0


@given(
    st.lists(
        st.one_of(
            st.lists(
                st.sampled_from([*WORDS, "the", "a", "x", "i.e.", "co-author", "_"]), max_size=6
            )
            .map(" ".join)
            .map(lambda t: t.upper() if len(t) % 3 == 0 else t),
            st.text(alphabet=st.characters(max_codepoint=127), max_size=25),
        ),
        min_size=1,
        max_size=30,
    )
)
@FAST
def test_tfidf_on_ascii_text_equals_scikit_learn(texts):
    """ASCII text takes the byte-splitting path; it must find exactly \\w\\w+'s words."""
    test_tfidf_equals_scikit_learn.hypothesis.inner_test(texts)


@FAST
@given(instances(full_fallback=False))
def test_grouped_candidates_keep_the_rules(inst):
    """The interest-group path of the pruned candidate set (tiny groups forced)."""
    old = fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES
    fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES = 1, 1
    try:
        result = match(inst)
    finally:
        fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES = old
    check_rules(inst, result)
    assert check_stability(inst, result) == []


@FAST
@given(instances(full_fallback=False), st.integers(1, 6))
def test_candidates_scored_in_small_blocks_keep_the_rules(inst, block):
    """Blocks of a few pairs: each mentee's best and each mentor's best (overall and of each
    cell) are merged across blocks, with tiny interest groups and scarce places or not."""
    old = fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES, fallback_mod.BLOCK_PAIRS
    fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES, fallback_mod.BLOCK_PAIRS = 2, 2, block
    try:
        result = match(inst)
    finally:
        fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES, fallback_mod.BLOCK_PAIRS = old
    check_rules(inst, result)
    assert check_stability(inst, result) == []


def test_grouped_candidates_reach_every_mentor_with_room():
    mentors = [Mentor(id=f"r{j}", capacity=1, interests=WORDS[j % len(WORDS)]) for j in range(12)]
    mentees = [Mentee(id=f"e{i}", interests=WORDS[i % 3]) for i in range(30)]
    inst = Instance(
        mentors=mentors,
        mentees=mentees,
        settings=Settings(fallback_full_limit=0, fallback_candidates=2),
    )
    prep = prepare(inst)
    scorer = Scorer(prep)
    rows, cols = np.arange(30), np.arange(12)
    old = fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES
    fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES = 2, 1
    try:
        cr, cc = fallback_mod.candidate_pairs(prep, scorer, rows, cols, np.ones(12, dtype=np.int64))
    finally:
        fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES = old
    # every mentee keeps K candidates, every mentor (group) gets its K nearest mentees
    assert np.array_equal(np.bincount(cr, minlength=30) >= 2, np.ones(30, dtype=bool))
    assert set(cc.tolist()) == set(range(12))


@FAST
@given(
    st.integers(1, 40),
    st.integers(1, 5),
    st.integers(1, 45),
    st.lists(st.sampled_from([0.0, 0.1, 0.1, 0.5, 0.5, 0.9, 1.0]), min_size=200, max_size=200),
)
def test_first_k_rows_equal_a_stable_sort(n, m, k, values):
    """The K mentees nearest to each group: the same set as the first K of a stable sort
    of each column by descending similarity, ties (many here) to the earlier row."""
    sim = np.resize(np.array(values), (n, m))
    rows, cols = fallback_mod.first_k_rows(sim, min(k, n))
    near = np.argsort(-sim, axis=0, kind="stable")[:k]
    expected = {(r, c) for c in range(m) for r in near[:, c].tolist()}
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == expected
    assert len(rows) == len(expected)


def test_balanced_groups_hold_at_most_their_share():
    """With scarce places the mentors' interest groups are balanced: k groups of at most
    ceil(mentors / k), every mentor in one, however unevenly the interests cluster."""
    texts = (
        [WORDS[0]] * 40 + [WORDS[1]] * 5 + [f"{WORDS[2]} {WORDS[j % len(WORDS)]}" for j in range(9)]
    )
    model = tfidf(texts)
    assert model is not None
    label, cent = fallback_mod.balanced_groups(model[0].tocsr(), 5)
    sizes = np.bincount(label, minlength=5)
    assert sizes.sum() == len(texts) and sizes.max() == -(-len(texts) // 5)
    assert np.allclose(np.linalg.norm(cent, axis=1), 1.0, atol=1e-6)
    # (plain k-means leaves the 40 identical texts in one group)
    plain = np.bincount(fallback_mod.spherical_kmeans(model[0].tocsr(), 5)[0], minlength=5)
    assert plain.max() >= 40


def test_scarce_places_compare_each_mentee_with_one_balanced_group():
    """Scarce places (fewer than a quarter of the leftover mentees): each mentee is scored
    against one balanced group of about `budget` mentors (here CLUSTER_SIZE // 2 = 2) plus
    the groups whose K nearest she is, not against a number of mentors that grows."""
    mentors = [Mentor(id=f"r{j}", capacity=1, interests=WORDS[j % 3]) for j in range(12)]
    mentees = [Mentee(id=f"e{i}", interests=WORDS[i % 3]) for i in range(200)]
    inst = Instance(
        mentors=mentors,
        mentees=mentees,
        settings=Settings(fallback_full_limit=0, fallback_candidates=1),
    )
    prep = prepare(inst)
    scorer = Scorer(prep)
    old = fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES
    fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES = 4, 1
    try:
        cand = fallback_mod.Candidates(
            prep,
            scorer,
            np.arange(200),
            np.arange(12),
            np.ones(12, dtype=np.int64),
            np.zeros(200, dtype=np.int64),
        )
    finally:
        fallback_mod.CLUSTER_SIZE, fallback_mod.PROBES = old
    assert cand.scarcity() < 1
    # 12 mentors in round(12 / 2) = 6 groups of 2; each mentee in one group's block
    assert [len(c) for _, c in cand.blocks] == [2] * 6
    per_mentee = np.bincount(np.concatenate([r for r, _ in cand.blocks]), minlength=200)
    assert per_mentee.min() == 1 and per_mentee.max() <= 6


@FAST
@given(instances())
def test_rounds_equal_one_at_a_time_deferred_acceptance(inst):
    from equimentor.engine.stable import (
        collect,
        deferred_acceptance,
        deferred_acceptance_rounds,
        mentor_order,
    )

    prep = prepare(inst)
    mo = mentor_order(prep, Scorer(prep))
    heaps = deferred_acceptance(
        prep.acc_ptr.tolist(),
        prep.acc_mentor.tolist(),
        mo.gpos.tolist(),
        mo.pair_mentee[mo.order].tolist(),
        list(prep.capacity),
    )
    one = collect(prep.n, heaps, mo)
    rounds = deferred_acceptance_rounds(prep.acc_ptr, prep.acc_mentor, mo, list(prep.capacity))
    assert np.array_equal(one[0], rounds[0]) and np.array_equal(one[1], rounds[1])


def _lex(mentor, explicit, score):
    return np.lexsort((-score, explicit, mentor))


@FAST
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), min_size=0, max_size=60),
    st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.5, 1.0]), min_size=60, max_size=60),
)
def test_sort_for_mentors_equals_lexsort(pairs, scores):
    mentor = np.array([p[0] for p in pairs], dtype=np.int64)
    explicit = np.array([p[1] for p in pairs], dtype=np.int64)
    score = np.array(scores[: len(pairs)], dtype=np.float64)
    assert np.array_equal(sort_for_mentors(mentor, explicit, score), _lex(mentor, explicit, score))
    # too few bits left for the score: the stable sorts
    for big in (mentor + (1 << 60), mentor + (1 << 40)):
        assert np.array_equal(sort_for_mentors(big, explicit, score), _lex(big, explicit, score))
    wide = explicit + (1 << 40)
    assert np.array_equal(sort_for_mentors(mentor, wide, score), _lex(mentor, wide, score))


_HALF_UP = float(np.nextafter(0.5, 1.0))


@FAST
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=0, max_size=80),
    st.lists(
        st.sampled_from([0.0, 0.5, 0.5 + 1e-12, _HALF_UP, 0.5 - 1e-9, 0.7, 1.0, 1.0 - 1e-15]),
        min_size=80,
        max_size=80,
    ),
)
def test_sort_for_mentors_exact_for_scores_closer_than_rounding(pairs, scores):
    """Scores that round to the same packed value are still ordered exactly."""
    explicit = np.array([p[1] for p in pairs], dtype=np.int64)
    score = np.array(scores[: len(pairs)], dtype=np.float64)
    # small mentor numbers leave 52 bits for the score; numbers near 2**38 leave 17 or 18
    for offset in (0, 1 << 38):
        mentor = np.array([p[0] for p in pairs], dtype=np.int64) + offset
        got = sort_for_mentors(mentor, explicit, score)
        assert np.array_equal(got, _lex(mentor, explicit, score))


def test_sort_for_mentors_puts_right_a_rounded_tie():
    mentor = np.full(4, 1 << 38, dtype=np.int64)
    explicit = np.zeros(4, dtype=np.int64)
    score = np.array([0.5, 0.5 + 1e-9, 0.5, 0.25])
    assert sort_for_mentors(mentor, explicit, score).tolist() == [1, 0, 2, 3]


@FAST
@given(
    st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 50)), min_size=1, max_size=50),
    st.lists(
        st.one_of(st.floats(-2.0, 2.0, allow_nan=False), st.sampled_from([1.0, 1.0 + 2**-52])),
        min_size=50,
        max_size=50,
    ),
)
def test_sort_for_mentors_any_scores(pairs, scores):
    """Scores outside [0, 1] (as a sum's rounding can give), and NaN, are ordered exactly too."""
    mentor = np.array([p[0] for p in pairs], dtype=np.int64)
    explicit = np.array([p[1] for p in pairs], dtype=np.int64)
    score = np.array(scores[: len(pairs)], dtype=np.float64)
    assert np.array_equal(sort_for_mentors(mentor, explicit, score), _lex(mentor, explicit, score))
    nan = np.where(np.arange(len(pairs)) % 7 == 3, np.nan, score)
    assert np.array_equal(sort_for_mentors(mentor, explicit, nan), _lex(mentor, explicit, nan))


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Both code arrays say the same about which values are equal or unknown."""
    return np.array_equal(a < 0, b < 0) and np.array_equal(
        a[:, None] == a[None, :], b[:, None] == b[None, :]
    )


def _as_documented(value) -> str:
    """docs/matching.md: values are compared after trimming and case-folding; empty values
    and prefer_not_to_say count as unknown ('')."""
    text = "" if value is None else str(value).strip().casefold()
    return "" if text in ("prefer_not_to_say", "prefer not to say") else text


@pytest.mark.parametrize(
    "values",
    [
        ["man", "woman", " Man", "prefer_not_to_say", None, "", "woman"],  # texts: by value
        [1, True, "1", "true", 1.0, None, "1.0"],  # equal keys, different texts: one by one
        [["a"], "a", None],  # unhashable: one by one
    ],
)
def test_attribute_codes_follow_the_normalised_text(values):
    mentees = [
        Mentee(id=f"e{k}", attributes={"gender": v}, wants_shared=["gender"])
        for k, v in enumerate(values)
    ]
    mentors = [Mentor(id="r", capacity=1, attributes={"gender": "man"})]
    scorer = Scorer(prepare(Instance(mentors=mentors, mentees=mentees)))
    col = scorer.key_pos["gender"]
    texts = [_as_documented(v) for v in values]
    expected = np.array([sorted(set(texts)).index(t) if t else -1 for t in texts])
    assert _same_partition(scorer.code_e[:, col], expected)
    # the mentor's "man" has the same code as exactly the mentees whose text is "man"
    same = scorer.code_e[:, col] == scorer.code_r[0, col]
    assert same.tolist() == [t == "man" for t in texts]


def test_result_reasons_are_phrased_on_first_read():
    inst = Instance(
        mentors=[Mentor(id="ana", capacity=1, interests="health services research")],
        mentees=[
            Mentee(id=1, choices=["ana"], interests="health services research"),
            Mentee(id=2, choices=["ana"]),
        ],
    )
    result = match(inst, stable_only=True)
    assert isinstance(result.assignments, Deferred)
    assert not result.assignments.built and not result.unmatched.built
    assert len(result.assignments) == result.metrics["matched"] == 1
    assert len(result.unmatched) == result.metrics["unmatched"] == 1
    assert "not built yet" in repr(result.assignments)
    first = result.assignments[0]
    assert result.assignments.built
    assert first.reasons[0] == "your 1st choice"
    assert result.assignments[0] is first  # built once, kept
    assert result.assignments == [first] and [first] == list(result.assignments)
    assert result.assignments[:1] == [first]
    assert result.assignments != "something else"
    assert result.unmatched[0].mentee == 2
    again = match(inst, stable_only=True)
    again.metrics["seconds"] = result.metrics["seconds"]
    assert again == result  # results compare by content
