"""Strategies and oracles shared by the matching-engine tests (no Django, no DB)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

from equimentor.engine import (
    Instance,
    InstanceError,
    Mentee,
    Mentor,
    Settings,
    match,
    result_to_dict,
)

ENGINE_DIR = Path(__file__).resolve().parents[2] / "equimentor" / "engine"

WORDS = [
    "health services research",
    "clinical trials",
    "heart failure",
    "mental health",
    "global health",
    "cancer",
    "dementia",
    "primary care",
    "statistics",
]

GROUPS = [[], ["a"], ["a"], ["b"], ["b"], ["a", "x"], ["c"]]


@st.composite
def instances(
    draw,
    *,
    max_mentors: int = 6,
    max_mentees: int = 10,
    rank_all: bool = False,
    with_pinned: bool = True,
    full_fallback: bool = True,
    policy: str | None = None,
) -> Instance:
    """Small random instances exercising every hard rule (``policy``: drawn when None).

    Mentees carry group labels (some none, some two), so several cells compete
    for places under the ``"fair"`` policy.
    """
    n_r = draw(st.integers(1, max_mentors))
    n_e = draw(st.integers(0, max_mentees))
    insts = st.sampled_from([None, "A", "B", "C", ""])
    stages = st.one_of(st.none(), st.integers(0, 6))
    texts = st.lists(st.sampled_from(WORDS), max_size=3).map(" and ".join)
    attrs = st.fixed_dictionaries(
        {},
        optional={
            "gender": st.sampled_from(["woman", "man", "prefer_not_to_say", ""]),
            "pathway": st.sampled_from(["clinical academic", "researcher"]),
            "specialty": st.sampled_from(["cardiology", "oncology"]),
        },
    )
    # integer mentor ids; some mentee ids collide with them (same person)
    mentor_ids = list(range(n_r))
    mentee_ids = []
    for i in range(n_e):
        same = draw(st.booleans()) and draw(st.booleans()) and i < n_r
        mentee_ids.append(str(i) if same else f"e{i}")
    mentors = [
        Mentor(
            id=mid,
            capacity=draw(st.integers(0, 3)),
            institution=draw(insts),
            career_stage=draw(stages),
            interests=draw(texts),
            attributes=draw(attrs),
        )
        for mid in mentor_ids
    ]
    mentees = []
    for eid in mentee_ids:
        perm = draw(st.permutations(mentor_ids))
        choices = perm[: draw(st.integers(0, n_r))]
        mentees.append(
            Mentee(
                id=eid,
                choices=list(choices),
                institution=draw(insts),
                career_stage=draw(stages),
                interests=draw(texts),
                attributes=draw(attrs),
                wants_shared=draw(st.lists(st.sampled_from(["gender", "pathway"]), unique=True)),
                avoid=draw(st.lists(st.sampled_from(mentor_ids), max_size=2, unique=True)),
                groups=draw(st.sampled_from(GROUPS)),
            )
        )
    forbidden = []
    if n_e:
        forbidden = draw(
            st.lists(
                st.tuples(st.sampled_from(mentee_ids), st.sampled_from(mentor_ids)), max_size=3
            )
        )
    settings = Settings(
        different_institutions=draw(st.booleans()),
        ideal_seniority_gap=draw(st.integers(0, 3)),
        fallback_full_limit=2000 if full_fallback else draw(st.integers(0, 3)),
        fallback_candidates=draw(st.integers(1, 3)),
        policy=policy or draw(st.sampled_from(["fair", "score"])),
    )
    inst = Instance(mentors=mentors, mentees=mentees, settings=settings, forbidden=forbidden)
    if rank_all:
        for mentor in mentors:
            who = [m.id for m in mentees if mentor.id in m.choices]
            mentor.ranking = list(draw(st.permutations(who)))
    elif n_e:
        for mentor in mentors:
            if draw(st.booleans()) and draw(st.booleans()):
                mentor.ranking = list(draw(st.permutations(mentee_ids)))[: draw(st.integers(0, 4))]
    if with_pinned and n_e:
        left = {m.id: m.capacity for m in mentors}
        for mentee in mentees:
            if draw(st.integers(0, 5)) == 0:
                ok = [r for r in mentors if left[r.id] > 0 and allowed(inst, mentee, r)]
                if ok:
                    r = draw(st.sampled_from(ok))
                    left[r.id] -= 1
                    inst.pinned.append((mentee.id, r.id))
    return inst


def allowed(inst: Instance, mentee: Mentee, mentor: Mentor) -> bool:
    """Independent oracle for the hard rules (other than capacity)."""
    if str(mentee.id) == str(mentor.id):
        return False
    if any(str(a) == str(mentor.id) for a in mentee.avoid):
        return False
    if any(str(e) == str(mentee.id) and str(r) == str(mentor.id) for e, r in inst.forbidden):
        return False
    if inst.settings.different_institutions:
        a = (mentee.institution or "").strip().casefold()
        b = (mentor.institution or "").strip().casefold()
        if a and b and a == b:
            return False
    return True


def by_id(inst: Instance):
    return {str(m.id): m for m in inst.mentees}, {str(r.id): r for r in inst.mentors}


def check_rules(inst, result) -> None:
    """Nobody matched twice, every pair keeps the hard rules, capacities kept, everyone
    accounted for."""
    mentees, mentors = by_id(inst)
    load = {}
    seen = set()
    for a in result.assignments:
        assert str(a.mentee) not in seen, "mentee matched twice"
        seen.add(str(a.mentee))
        mentee, mentor = mentees[str(a.mentee)], mentors[str(a.mentor)]
        assert allowed(inst, mentee, mentor), (a.mentee, a.mentor)
        load[str(a.mentor)] = load.get(str(a.mentor), 0) + 1
        assert 0 <= a.score <= 1
        assert a.reasons
    for rid, count in load.items():
        assert count <= mentors[rid].capacity
    assert len(result.assignments) + len(result.unmatched) == len(inst.mentees)


def outcome(inst: Instance, stable_only: bool = False):
    """The result as JSON data (without the time taken), or the error message: what two ways of
    giving the same instance must agree on."""
    try:
        data = result_to_dict(match(inst, stable_only=stable_only))
    except InstanceError as err:
        return str(err)
    del data["metrics"]["seconds"]
    return data
