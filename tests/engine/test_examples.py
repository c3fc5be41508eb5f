"""Example tests: explanations, pinned pairs, validation errors from the library API."""

from __future__ import annotations

import pytest

from equimentor.engine import (
    Instance,
    InstanceError,
    Mentee,
    Mentor,
    Settings,
    check_stability,
    instance_from_dict,
    match,
    result_to_dict,
)
from equimentor.engine.explain import merge_phrases, ordinal


def _two_choice_instance():
    return Instance(
        mentors=[
            Mentor(id="a", capacity=1, career_stage=5, interests="cardiology"),
            Mentor(
                id="b",
                capacity=1,
                career_stage=3,
                interests="health services research and primary care",
                attributes={"ethnicity": "black", "pathway": "clinical academic"},
            ),
        ],
        mentees=[
            Mentee(id="m1", choices=["a"], career_stage=1),
            Mentee(
                id="m2",
                choices=["a", "b"],
                career_stage=1,
                interests="health services research in primary care settings",
                attributes={"ethnicity": "black", "pathway": "clinical academic"},
                wants_shared=["ethnicity"],
            ),
        ],
        settings=Settings(ideal_seniority_gap=2),
    )


def test_second_choice_and_component_reasons():
    inst = _two_choice_instance()
    inst.mentors[0].ranking = ["m1"]  # "a" prefers m1
    result = match(inst)
    by = {a.mentee: a for a in result.assignments}
    assert by["m1"].mentor == "a" and by["m1"].reasons[0] == "your 1st choice"
    m2 = by["m2"]
    assert (m2.mentor, m2.via, m2.choice_rank) == ("b", "choice", 2)
    assert m2.reasons[0] == "your 2nd choice"
    assert "mentor two career stages ahead" in m2.reasons
    assert "shared: ethnicity" in m2.reasons
    assert "both on the clinical academic pathway" in m2.reasons
    interest = [r for r in m2.reasons if r.startswith("shared interest in")]
    assert interest and "health services research" in interest[0]
    assert m2.components["seniority"] == 1.0
    assert m2.components["shared"] == 1.0
    assert m2.components["pathway"] == 1.0
    assert 0 < m2.components["interests"] < 1
    assert 0 <= m2.score <= 1
    assert result.metrics["first_choice"] == 1
    assert result.metrics["top_choices"] == 2
    assert check_stability(inst, result) == []


def test_a_shared_pathway_is_said_once():
    inst = _two_choice_instance()
    inst.mentees[1].wants_shared = ["ethnicity", "pathway"]
    m2 = {a.mentee: a for a in match(inst).assignments}["m2"]
    assert "shared: ethnicity" in m2.reasons
    assert "both on the clinical academic pathway" in m2.reasons
    assert not [r for r in m2.reasons if r.startswith("shared:") and "pathway" in r]


def test_fallback_and_unmatched_reasons():
    inst = Instance(
        mentors=[
            Mentor(id="a", capacity=1, institution="Leeds"),
            Mentor(id="b", capacity=1, institution="York", career_stage=4),
        ],
        mentees=[
            Mentee(id=1, choices=["a"], career_stage=3),
            Mentee(id=2, choices=["a"], institution="York", career_stage=1),
            Mentee(id=3, choices=[], institution="Leeds"),
        ],
        settings=Settings(different_institutions=True),
    )
    inst.mentors[0].ranking = [1]
    result = match(inst)
    by = {a.mentee: a for a in result.assignments}
    assert by[1].mentor == "a"
    # mentee 2 cannot have b (same institution); mentee 3 can
    assert by[3].mentor == "b" and by[3].via == "fallback" and by[3].choice_rank is None
    assert [u.mentee for u in result.unmatched] == [2]
    assert result.unmatched[0].reason == (
        "all your choices were full and no mentor with free capacity meets the scheme's rules"
    )
    stable = match(inst, stable_only=True)
    reasons = {u.mentee: u.reason for u in stable.unmatched}
    assert reasons[3].startswith("you made no choices")
    assert result.metrics["fallback"] == 1 and result.metrics["unmatched"] == 1


def test_no_free_capacity_reason_and_dropped_choice_note():
    inst = Instance(
        mentors=[Mentor(id="a", capacity=1)],
        mentees=[Mentee(id="x", choices=["a"]), Mentee(id="y", choices=["a"], avoid=["a"])],
    )
    result = match(inst)
    assert result.assignments[0].mentee == "x"
    reason = result.unmatched[0].reason
    assert reason.startswith("none of your choices could be used and no mentor had free capacity")
    assert 'your choice "a" was not considered: you asked not to be matched with this mentor' in (
        reason
    )


def test_pinned_pairs_consume_capacity_and_are_reported():
    inst = _two_choice_instance()
    inst.pinned = [("m2", "a")]
    result = match(inst)
    by = {a.mentee: a for a in result.assignments}
    assert by["m2"].via == "pinned" and by["m2"].mentor == "a" and by["m2"].choice_rank == 1
    assert by["m2"].reasons[0] == "set by the scheme coordinator"
    assert by["m1"].mentor == "b" and by["m1"].via == "fallback"
    assert result.metrics["pinned"] == 1


@pytest.mark.parametrize(
    ("pinned", "message"),
    [
        ([("m1", "zz")], '"zz" is not a known mentor id'),
        ([("m1", "a"), ("m1", "b")], "pinned more than once"),
        ([("m1", "a"), ("m2", "a")], "no capacity left"),
    ],
)
def test_invalid_pinned(pinned, message):
    inst = _two_choice_instance()
    inst.pinned = pinned
    with pytest.raises(InstanceError, match=message):
        match(inst)


def test_pinned_pair_breaking_hard_rule_is_an_error():
    inst = _two_choice_instance()
    inst.forbidden = [("m1", "a")]
    inst.pinned = [("m1", "a")]
    with pytest.raises(InstanceError, match=r"pinned\[0\].*breaks a hard rule: a match between"):
        match(inst)


def test_peer_scheme_never_matches_a_person_with_themselves():
    inst = Instance(
        mentors=[Mentor(id=7, capacity=2), Mentor(id=8, capacity=0)],
        mentees=[Mentee(id="7", choices=[7])],
    )
    result = match(inst)
    assert result.assignments == []
    assert "this is you" in result.unmatched[0].reason


def test_ids_are_returned_as_given():
    d = {
        "mentors": [{"id": 5, "capacity": 1}],
        "mentees": [{"id": "m-1", "choices": ["5"]}],
    }
    out = result_to_dict(match(instance_from_dict(d)))
    assert out["assignments"][0]["mentee"] == "m-1"
    assert out["assignments"][0]["mentor"] == 5


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["mentees"][1]["choices"].append("x-9"),
            'mentees[1] (id "m-77"): choice "x-9" is not a known mentor id',
        ),
        (
            lambda d: d["mentors"][1].update(capacity=-1),
            "mentors[1] (id 5): capacity must be a whole number ≥ 0, got -1",
        ),
        (
            lambda d: d["mentors"][1].update(capacity=1.5),
            "mentors[1] (id 5): capacity must be a whole number ≥ 0, got 1.5",
        ),
        (
            lambda d: d["mentors"].append({"id": "5", "capacity": 1}),
            'mentors[2] (id "5"): duplicate mentor id "5" (also mentors[1])',
        ),
        (
            lambda d: d["mentees"].append({"id": "m-77"}),
            'mentees[2] (id "m-77"): duplicate mentee id "m-77" (also mentees[1])',
        ),
        (
            lambda d: d["mentees"][0]["choices"].append("a"),
            'mentees[0] (id "m-1"): choice "a" is listed more than once',
        ),
        (
            lambda d: d["mentees"][0].update(choise=["a"]),
            'mentees[0] (id "m-1"): unknown field "choise"',
        ),
        (lambda d: d.pop("mentors"), 'instance: missing "mentors" list'),
        (
            lambda d: d.update(settings={"weights": {"interests": -1}}),
            'settings: weight "interests" must be ≥ 0, got -1',
        ),
        (
            lambda d: d.update(settings={"max_choices": 1}),
            'mentees[1] (id "m-77"): 2 choices but the scheme allows at most 1',
        ),
        (
            lambda d: d["mentors"][0].update(ranking=["nobody"]),
            'mentors[0] (id "a"): ranking entry "nobody" is not a known mentee id',
        ),
        (lambda d: d["mentees"][0].update(id=True), "mentees[0]: id must be a non-empty string"),
    ],
)
def test_validation_messages(mutate, message):
    d = {
        "mentors": [{"id": "a", "capacity": 1}, {"id": 5, "capacity": 2}],
        "mentees": [{"id": "m-1", "choices": ["a"]}, {"id": "m-77", "choices": [5, "a"]}],
    }
    instance_from_dict(d)  # the base is valid
    mutate(d)
    with pytest.raises(InstanceError) as info:
        instance_from_dict(d)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bad_arguments_raise():
    with pytest.raises(InstanceError):
        match("not an instance")
    with pytest.raises(TypeError):
        result_to_dict(None)


def test_helpers():
    assert [ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
    ]
    assert merge_phrases(["health services", "services research", "health"]) == [
        "health services research"
    ]
    assert merge_phrases(["cancer", "heart failure", "heart", "trials", "stroke"]) == [
        "cancer",
        "heart failure",
        "trials",
    ]


def test_engine_imports_no_django_and_nothing_else_from_equimentor():
    import subprocess
    import sys

    code = (
        "import sys, equimentor.engine, equimentor.engine.cli, equimentor.engine.generate;"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'django' or "
        "(m.startswith('equimentor.') and not m.startswith('equimentor.engine'))];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_shared_interests_are_quoted_as_written_and_never_across_punctuation():
    inst = Instance(
        mentors=[
            Mentor(
                id="a",
                capacity=1,
                interests="Cardiovascular epidemiology; stroke rehabilitation. Women's health",
            )
        ],
        mentees=[
            Mentee(
                id="m",
                choices=["a"],
                interests="women's health, cardiovascular epidemiology; stroke rehabilitation",
            )
        ],
    )
    [reason] = [r for r in match(inst).assignments[0].reasons if r.startswith("shared interest")]
    assert "women's health" in reason and "women health" not in reason
    assert "cardiovascular epidemiology" in reason and "stroke rehabilitation" in reason
    assert "epidemiology stroke" not in reason  # ";" ends a phrase
