"""Adapt database rows to the engine's plain data, and the engine's result back to rows.

Identity answers reach the engine only for people who consented to their use in matching: as
attribute values for the characteristics a mentee asked to share, and as opaque group labels
(``group_label``) for the fair fallback (never names or free text). Everyone else is in each
question's "not stated" group.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Q

from equimentor import engine
from equimentor.directory.models import Choice, Conflict, MenteePreference, MentorRanking
from equimentor.enrolment.models import Consent, Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.matching.models import Adjustment, MatchingRound, Proposal
from equimentor.pairing import exclusions
from equimentor.pairing.gate import MENTEE, MENTOR, ready
from equimentor.pairing.load import with_load
from equimentor.schemes.dimensions import DIMENSIONS, PREFER_NOT

NON_IDENTITY_SHARED = {"pathway", "specialty"}


@dataclass
class Prepared:
    """An engine instance plus the rows it came from."""

    instance: engine.Instance
    mentees: dict[int, Participant] = field(default_factory=dict)
    mentors: dict[int, Participant] = field(default_factory=dict)

    @property
    def places(self) -> dict[str, int]:
        """Each mentor's free places in this run, by participant id (as text)."""
        return {str(m.id): m.capacity for m in self.instance.mentors}


NOT_STATED = "-"


def group_label(dimension: str, value: str | None) -> str:
    """The engine's opaque label for an answer: the question's code and the answer's position
    among its options (``"ethnicity:2"``), or ``"<code>:-"`` for not stated."""
    codes = [code for code, _ in DIMENSIONS[dimension].options]
    return f"{dimension}:{codes.index(value) if value in codes else NOT_STATED}"


def fair_groups(scheme, answers: dict[int, dict[str, str]], pk: int) -> list[str]:
    """The fair-matching group labels of participant ``pk``, from answers given with consent
    to their use in matching (``answers``); without an answer, the question's "not stated"."""
    own = answers.get(pk, {})
    return [group_label(dim, own.get(dim)) for dim in scheme.fair_dimensions]


def _consented(participant_ids) -> set[int]:
    return set(
        Consent.objects.filter(
            participant_id__in=participant_ids,
            purpose=Consent.Purpose.IDENTITY_MATCHING,
            withdrawn_at__isnull=True,
        ).values_list("participant_id", flat=True)
    )


def forbidden_pairs(scheme) -> set[tuple[int, int]]:
    """Pairs never to be proposed again: a proposal either side declined, and relationships that
    ended by a step-away, a no-fault or safeguarding close, or where someone asked never to be
    matched with the other again."""
    declined = set(
        Proposal.objects.filter(scheme=scheme, status=Proposal.Status.DECLINED).values_list(
            "mentee_id", "mentor_id"
        )
    )
    return declined | exclusions.never_again(scheme)


def explained_pairs(scheme) -> set[tuple[int, int]]:
    """The pairs of :func:`forbidden_pairs` whose reason the mentee already knows: a proposal
    between them that was declined (she was told it is not going ahead), and relationships that
    ended in a way she was told of. The others — a safeguarding block or suspension, the
    mentor's own wish never to be matched again, the coordinator leaving a pair out — must not
    be told to her, not even as "declined or ended before" (#23)."""
    declined = set(
        Proposal.objects.filter(scheme=scheme, status=Proposal.Status.DECLINED).values_list(
            "mentee_id", "mentor_id"
        )
    )
    return declined | exclusions.never_again(scheme, told_only=True)


def eligible_mentees(scheme):
    """Approved mentees with no proposal waiting and no open one-to-one relationship (a mentee in
    a group, circle or network may still be matched one-to-one), and with their required
    induction done where the scheme asks it."""
    busy = Proposal.objects.filter(scheme=scheme, status=Proposal.Status.PROPOSED).values(
        "mentee_id"
    )
    return (
        Participant.objects.filter(
            scheme=scheme, status=Participant.Status.APPROVED, is_mentee=True
        )
        .exclude(pk__in=busy)
        .exclude(pk__in=exclusions.busy_mentees(scheme))
        .filter(ready(MENTEE))
    )


@dataclass(frozen=True)
class LeftOut:
    """An approved mentee a new round leaves out, and why (for the coordinator)."""

    participant: Participant
    reason: str  # one of LEFT_OUT
    since: object = None  # when the waiting proposal was made


LEFT_OUT = {
    "proposal_waiting": "A proposed match waits for a reply; she joins a round again if it "
    "does not go ahead.",
    "in_relationship": "Already in a one-to-one mentoring relationship.",
    "induction": "Required induction not yet done.",
}


def left_out_mentees(scheme) -> list[LeftOut]:
    """Approved mentees :func:`eligible_mentees` leaves out, each with the first reason that
    applies (in the order of ``LEFT_OUT``), by name. A fixed number of queries."""
    approved = Participant.objects.filter(
        scheme=scheme, status=Participant.Status.APPROVED, is_mentee=True
    )
    waiting = dict(
        Proposal.objects.filter(scheme=scheme, status=Proposal.Status.PROPOSED).values_list(
            "mentee_id", "proposed_at"
        )
    )
    in_relationship = set(
        approved.filter(pk__in=exclusions.busy_mentees(scheme)).values_list("pk", flat=True)
    )
    not_ready = set(approved.exclude(ready(MENTEE)).values_list("pk", flat=True))
    out = []
    for person in (
        approved.filter(pk__in=set(waiting) | in_relationship | not_ready)
        .select_related("user")
        .order_by("user__full_name", "pk")
    ):
        if person.pk in waiting:
            out.append(LeftOut(person, "proposal_waiting", waiting[person.pk]))
        elif person.pk in in_relationship:
            out.append(LeftOut(person, "in_relationship"))
        else:
            out.append(LeftOut(person, "induction"))
    return out


def available_mentors(scheme):
    """Approved mentors whose listing is published (or who have none yet), with their required
    induction done where the scheme asks it, with ``free`` places."""
    mentors = Participant.objects.filter(
        scheme=scheme, status=Participant.Status.APPROVED, is_mentor=True
    ).filter(ready(MENTOR))
    mentors = mentors.filter(Q(listing__isnull=True) | Q(listing__is_published=True))
    return with_load(mentors)


def mentee_choices(mentees: dict, mentors: dict, max_choices: int | None) -> engine.Choices:
    """Each of ``mentees``' choices among ``mentors``, best first, at most ``max_choices``
    each, in the engine's columnar form: positions in the two dicts' orders (those of the
    instance's lists). The rows' participant ids are mapped to positions with numpy, not
    looked up one by one, so the engine reads no id per choice."""
    rows = np.array(
        list(
            Choice.objects.filter(mentee_id__in=mentees, mentor_id__in=mentors)
            .order_by("mentee_id", "rank")
            .values_list("mentee_id", "mentor_id")
        ),
        dtype=np.int64,
    ).reshape(-1, 2)
    by_mentee = _positions(mentees, rows[:, 0])
    order = np.argsort(by_mentee, kind="stable")  # by mentee, each mentee's in rank order
    by_mentee, mentor = by_mentee[order], _positions(mentors, rows[order, 1])
    counts = np.bincount(by_mentee, minlength=len(mentees))
    if max_choices is not None:
        rank = np.arange(len(by_mentee)) - np.repeat(np.cumsum(counts) - counts, counts)
        mentor = mentor[rank < max_choices]
        counts = np.minimum(counts, max_choices)
    ptr = np.zeros(len(mentees) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return engine.Choices(ptr, mentor)


def _positions(people: dict, pks: np.ndarray) -> np.ndarray:
    """The position among ``people``'s keys (in their order) of each id in ``pks`` (each one
    of them)."""
    keys = np.fromiter(people, dtype=np.int64, count=len(people))
    order = np.argsort(keys)
    return order[np.searchsorted(keys, pks, sorter=order)]


def build_instance(matching_round: MatchingRound) -> Prepared:
    """The engine instance for a round: choices, rankings, profiles, hard rules, adjustments."""
    scheme = matching_round.scheme
    mentees = {p.pk: p for p in eligible_mentees(scheme)}
    mentors = {p.pk: p for p in available_mentors(scheme)}
    people = set(mentees) | set(mentors)
    consented = _consented(people)

    answers: dict[int, dict[str, str]] = defaultdict(dict)
    for pid, dim, value in IdentityAnswer.objects.filter(participant_id__in=consented).values_list(
        "participant_id", "dimension", "value"
    ):
        if value and value != PREFER_NOT:
            answers[pid][dim] = value

    wants = dict(
        MenteePreference.objects.filter(mentee_id__in=mentees).values_list(
            "mentee_id", "wants_shared"
        )
    )
    avoid: dict[int, list[int]] = defaultdict(list)
    for mentee_id, mentor_id in Conflict.objects.filter(mentee_id__in=mentees).values_list(
        "mentee_id", "mentor_id"
    ):
        avoid[mentee_id].append(mentor_id)
    rankings: dict[int, list[int]] = defaultdict(list)
    for mentor_id, mentee_id in (
        MentorRanking.objects.filter(mentor_id__in=mentors, mentee_id__in=mentees)
        .order_by("mentor_id", "rank")
        .values_list("mentor_id", "mentee_id")
    ):
        rankings[mentor_id].append(mentee_id)

    def attributes(p: Participant) -> dict[str, str]:
        return {
            "pathway": p.pathway.replace("_", "-"),
            "specialty": p.department.strip().lower(),
            **answers.get(p.pk, {}),
        }

    def wanted(p: Participant) -> list[str]:
        codes = wants.get(p.pk) or []
        allowed = NON_IDENTITY_SHARED | (
            set(scheme.identity_dimensions) if p.pk in consented else set()
        )
        return [c for c in codes if c in allowed]

    adjustments = list(
        matching_round.adjustments.filter(mentee_id__in=mentees, mentor_id__in=mentors)
    )
    pinned = [(a.mentee_id, a.mentor_id) for a in adjustments if a.kind == Adjustment.Kind.PIN]
    excluded = {
        (a.mentee_id, a.mentor_id) for a in adjustments if a.kind == Adjustment.Kind.EXCLUDE
    }
    forbidden = sorted((forbidden_pairs(scheme) | excluded) - set(pinned))
    forbidden = [pair for pair in forbidden if pair[0] in mentees and pair[1] in mentors]

    weights = {**engine.DEFAULT_WEIGHTS, **(scheme.matching_weights or {})}
    instance = engine.Instance(
        mentors=[
            engine.Mentor(
                id=p.pk,
                capacity=p.free,
                ranking=rankings.get(p.pk) or None,
                institution=str(p.institution_id),
                career_stage=p.career_stage,
                interests=p.research_interests,
                attributes=attributes(p),
            )
            for p in mentors.values()
        ],
        mentees=[
            engine.Mentee(
                id=p.pk,
                institution=str(p.institution_id),
                career_stage=p.career_stage,
                interests=p.research_interests,
                attributes=attributes(p),
                wants_shared=wanted(p),
                avoid=avoid.get(p.pk, []),
                groups=fair_groups(scheme, answers, p.pk),
            )
            for p in mentees.values()
        ],
        settings=engine.Settings(
            weights=weights,
            different_institutions=scheme.different_institutions,
            ideal_seniority_gap=scheme.ideal_seniority_gap,
            max_choices=scheme.max_choices,
            policy=scheme.matching_policy,
        ),
        pinned=pinned,
        forbidden=forbidden,
        choices=mentee_choices(mentees, mentors, scheme.max_choices),
    )
    return Prepared(instance=instance, mentees=mentees, mentors=mentors)
