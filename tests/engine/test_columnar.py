"""Choices in columnar form (``Instance.choices``: mentor positions) against choices by id."""

from __future__ import annotations

import copy

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from equimentor.engine import (
    Choices,
    Instance,
    InstanceError,
    Mentee,
    Mentor,
    Settings,
    instance_from_dict,
    instance_to_dict,
    match,
    validate,
)
from equimentor.engine.cli import main
from equimentor.engine.generate import generate_instance, skewed_cohort
from equimentor.engine.validate import columnar_choices, id_key, instance_shape_from_dict
from tests.engine.helpers import instances, outcome

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _columnar(inst: Instance, as_lists: bool = False) -> Instance:
    """A copy of ``inst`` with its choices as positions (looked up here, one by one)."""
    out = copy.deepcopy(inst)
    pos = {id_key(r.id): j for j, r in enumerate(out.mentors)}
    ptr, mentor = [0], []
    for mentee in out.mentees:
        mentor += [pos[id_key(c)] for c in mentee.choices]
        ptr.append(len(mentor))
        mentee.choices = []
    if as_lists:
        out.choices = Choices(ptr, mentor)
    else:
        out.choices = Choices(np.array(ptr, dtype=np.int32), np.array(mentor, dtype=np.uint16))
    return out


@FAST
@given(instances())
def test_columnar_choices_give_the_same_result(inst):
    expected = outcome(inst)
    assert outcome(_columnar(inst)) == expected
    assert outcome(_columnar(inst, as_lists=True)) == expected
    assert outcome(_columnar(inst), stable_only=True) == outcome(inst, stable_only=True)


@pytest.mark.parametrize(
    "data",
    [
        generate_instance(400, 100, seed=7),
        skewed_cohort(400, 0.8, seed=2),
        # integer ids, and a mentee who is also a mentor
        {
            "mentors": [{"id": 1, "capacity": 1}, {"id": 2, "capacity": 2}],
            "mentees": [{"id": 2, "choices": [2, 1]}, {"id": 3, "choices": [2]}],
        },
    ],
)
def test_the_file_reader_gives_positions_and_the_same_result(data):
    as_ids = instance_from_dict(data)
    read = columnar_choices(instance_shape_from_dict(orjson.loads(orjson.dumps(data))))
    assert read.choices is not None
    assert not any(m.choices for m in read.mentees)
    assert instance_to_dict(read) == instance_to_dict(as_ids)
    for stable_only in (True, False):
        assert outcome(read, stable_only) == outcome(as_ids, stable_only)


@pytest.mark.parametrize(
    "ids",
    [
        # an int hashes to itself: these all share one slot of the reader's table (its size is
        # a power of two far below 2**20), and -1 and -2 hash alike
        [k << 20 for k in range(40)] + [-1, -2, 3, 1],
        # text: the slots hashes give, some shared
        [f"mentor-{k}" for k in range(3000)],
    ],
)
@pytest.mark.parametrize("slots_from", [0, validate._SLOTS_FROM])
def test_the_file_reader_places_every_choice_where_the_ids_say(ids, slots_from, monkeypatch):
    """The reader's positions are exactly the ids' positions, through the dict (a few mentors)
    and through the table of slots (many), also for mentors whose hashes share a slot (looked
    up one by one)."""
    monkeypatch.setattr(validate, "_SLOTS_FROM", slots_from)
    rng = np.random.default_rng(5)
    where = rng.integers(0, len(ids), size=(300, 8))
    data = {
        "mentors": [{"id": x, "capacity": 1} for x in ids],
        "mentees": [
            {"id": f"e{i}", "choices": [ids[j] for j in row]} for i, row in enumerate(where)
        ],
    }
    read = columnar_choices(instance_shape_from_dict(orjson.loads(orjson.dumps(data))))
    assert read.choices is not None
    assert read.choices.mentor.tolist() == where.reshape(-1).tolist()
    assert read.choices.ptr.tolist() == list(range(0, 300 * 8 + 1, 8))


@pytest.mark.parametrize(
    "data",
    [
        {"mentors": [{"id": "a", "capacity": 1}], "mentees": [{"id": 1, "choices": ["b"]}]},
        # as text in the index, 5 is "5": valid, but read as ids
        {"mentors": [{"id": "5", "capacity": 1}], "mentees": [{"id": 1, "choices": [5]}]},
        {"mentors": [{"id": 1, "capacity": 1}], "mentees": [{"id": 1, "choices": [True]}]},
        {"mentors": [{"id": 1, "capacity": 1}], "mentees": [{"id": 1, "choices": [1.0]}]},
        # not a mentor, in the slot of mentor 0 (the table is smaller than 2**20)
        {"mentors": [{"id": 0, "capacity": 1}], "mentees": [{"id": 1, "choices": [1 << 20]}]},
        {"mentors": [{"id": "a", "capacity": 1}], "mentees": [{"id": 1, "choices": [None]}]},
        {"mentors": [{"id": 1, "capacity": 1}], "mentees": [{"id": 1, "choices": [[1]]}]},
        {"mentors": [{"id": "a", "capacity": 1}, {"id": 5, "capacity": 1}], "mentees": []},
        {
            "mentors": [{"id": "a", "capacity": 1}, {"id": "a", "capacity": 1}],
            "mentees": [{"id": 1, "choices": ["a"]}],
        },
    ],
)
@pytest.mark.parametrize("slots_from", [0, validate._SLOTS_FROM])
def test_the_file_reader_leaves_ids_it_cannot_plainly_place(data, slots_from, monkeypatch):
    monkeypatch.setattr(validate, "_SLOTS_FROM", slots_from)
    read = columnar_choices(instance_shape_from_dict(data))
    assert read.choices is None
    assert [m.choices for m in read.mentees] == [m["choices"] for m in data["mentees"]]


def _bad(change):
    data = generate_instance(50, 20, seed=4, choices=(2, 4))
    change(data)
    return data


@pytest.mark.parametrize(
    "data",
    [
        _bad(lambda d: d["mentees"][0]["choices"].append("nobody")),
        _bad(lambda d: d["mentees"][1]["choices"].append(d["mentees"][1]["choices"][0])),
        _bad(lambda d: d["mentees"][5]["choices"].append(True)),
        _bad(lambda d: d["mentees"][5]["choices"].append(7)),
        _bad(lambda d: d["settings"].update(max_choices=3)),
        _bad(lambda d: d["mentors"][2].update(capacity=-1)),
        _bad(lambda d: d["mentors"][4].update(id="")),
        _bad(lambda d: (d["mentees"][3].update(id="e4"), d["mentees"][9]["choices"].append("x"))),
        _bad(lambda d: (d["mentees"][9]["choices"].append("x"), d["mentors"][4].update(id=" "))),
        _bad(
            lambda d: (
                d["mentees"][8]["choices"].append("r0"),
                d["mentees"][8]["choices"].append("r0"),
            )
        ),
        _bad(lambda d: d["mentors"][0].update(ranking=["nobody"])),
        _bad(lambda d: d.update(pinned=[["e1", "r0"], ["e1", "r1"]])),
    ],
)
@pytest.mark.parametrize("slots_from", [0, validate._SLOTS_FROM])
def test_bad_files_get_the_same_message_as_before(tmp_path, capsys, data, slots_from, monkeypatch):
    monkeypatch.setattr(validate, "_SLOTS_FROM", slots_from)
    with pytest.raises(InstanceError) as err:
        instance_from_dict(copy.deepcopy(data))
    path = tmp_path / "inst.json"
    path.write_bytes(orjson.dumps(data))
    assert main([str(path)]) == 2
    assert capsys.readouterr().err == f"equimentor match: error: {path}: {err.value}\n"


def _small() -> Instance:
    return Instance(
        mentors=[Mentor(id="a", capacity=1), Mentor(id=7, capacity=1)],
        mentees=[Mentee(id="x"), Mentee(id="y")],
        settings=Settings(max_choices=2),
    )


@pytest.mark.parametrize(
    "ptr, mentor, message",
    [
        ([0, 1], [0], "choices: ptr must have one entry per mentee and one more (3), got 2"),
        ([0, 2, 1], [0, 1], "choices: ptr must rise from 0 to the number of choices (2) "),
        ([1, 1, 2], [0, 1], "choices: ptr must rise from 0 to the number of choices (2) "),
        ([0, 1, 3], [0, 1], "choices: ptr must rise from 0 to the number of choices (2) "),
        ([0, 1, 2], [0.0, 1.0], "choices: mentor must be a list of whole numbers"),
        ([0, 1, 2], [0, True], "choices: mentor must be a list of whole numbers"),
        (np.array([0, 1, 2.0]), [0, 1], "choices: ptr must be a list of whole numbers"),
        ([0, 1, 2], np.array([[0, 1]]), "choices: mentor must be a list of whole numbers"),
        (
            [0, 1, 2],
            [0, 2],
            'mentees[1] (id "y"): choice at mentor position 2 is not a mentor position '
            "(there are 2 mentors)",
        ),
        (
            [0, 1, 2],
            np.array([-1, 0]),
            'mentees[0] (id "x"): choice at mentor position -1 is not a mentor position '
            "(there are 2 mentors)",
        ),
        ([0, 0, 2], [1, 1], 'mentees[1] (id "y"): choice 7 is listed more than once'),
        (
            [0, 0, 3],
            [1, 0, 0],
            'mentees[1] (id "y"): 3 choices but the scheme allows at most 2',
        ),
        (
            np.array([0, 1, 2], dtype=np.uint64),
            np.array([0, 2**63], dtype=np.uint64),
            "choices: mentor must",
        ),
    ],
)
def test_bad_columnar_choices_are_named(ptr, mentor, message):
    inst = _small()
    inst.choices = Choices(ptr, mentor)
    with pytest.raises(InstanceError) as err:
        match(inst)
    assert str(err.value).startswith(message)


def test_columnar_choices_given_twice_or_after_a_bad_entry():
    inst = _small()
    inst.choices = Choices([0, 1, 1], [1])
    inst.mentees[1].choices = ["a"]
    with pytest.raises(InstanceError) as err:
        match(inst)
    assert str(err.value) == (
        'mentees[1] (id "y"): choices given both here and in the instance\'s columnar choices'
    )
    inst = _small()
    inst.choices = Choices([0, 1, 2], [5, 5])  # the mentors' error comes first, as by ids
    inst.mentors[1].capacity = -1
    with pytest.raises(InstanceError) as err:
        match(inst)
    assert str(err.value) == "mentors[1] (id 7): capacity must be a whole number ≥ 0, got -1"
    inst.choices = "not choices"
    inst.mentors[1].capacity = 1
    with pytest.raises(InstanceError, match="choices must be a Choices, got str"):
        match(inst)


def test_the_callers_arrays_are_left_as_they_were():
    inst = _small()
    ptr, mentor = np.array([0, 1, 2]), np.array([1, 0])
    inst.choices = Choices(ptr, mentor)
    result = match(inst, stable_only=True)
    assert [(a.mentee, a.mentor, a.choice_rank) for a in result.assignments] == [
        ("x", 7, 1),
        ("y", "a", 1),
    ]
    assert ptr.tolist() == [0, 1, 2] and mentor.tolist() == [1, 0]


class _Text(str):
    """Valid wherever a str is (the vectorised checks call it unusual)."""


def test_columnar_choices_with_ids_in_unusual_but_valid_types():
    inst = instance_from_dict(generate_instance(120, 40, seed=5))
    unusual = _columnar(inst)
    for mentor in unusual.mentors:
        mentor.id = _Text(mentor.id)
    assert outcome(unusual) == outcome(inst)
