"""The directory's order as read after a change (``access.read_order``: the names' order from
the database, the loads from grouped queries) is the order the database sorts with each mentor's
load counted per mentor (``with_load``), after random changes to everything it reads:
capacities, names (ties, case, accents), listings, proposals, relationships and their members,
in this scheme and another (#17)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.directory.access import listed_base, read_order
from equimentor.directory.models import MentorListing
from equimentor.enrolment.models import Participant
from equimentor.matching.models import Proposal
from equimentor.pairing.load import with_load
from equimentor.relationships.models import Membership, Relationship
from tests import directory_support as support

NAMES = ["Ada Obi", "ada obi", "Ada Obi", "Émile Zola", "Emile Zola", "Zoë Adams", "Zoe Adams"]
NAMES += ["Ng", "Ng Li", "O'Neil", "Oneil", "李明", "Ångström", "Bulk Mentor"]


def _sorted_by_database(scheme) -> list[tuple[int, int]]:
    return list(
        with_load(listed_base(scheme))
        .order_by(
            Case(When(free__gt=0, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "user__full_name",
            "pk",
        )
        .values_list("pk", "free")
    )


def _relationship(rng, scheme, people) -> Relationship:
    now = timezone.now()
    today = now.date()
    rel = Relationship.objects.create(
        scheme=scheme,
        kind=rng.choice(Relationship.Kind.values),
        state=rng.choice(Relationship.State.values),
        started_at=now,
        start_date=today,
        end_date=today + timedelta(days=180),
        original_end_date=today + timedelta(days=180),
        last_activity_at=now,
    )
    for person in rng.sample(people, rng.randint(1, 4)):
        Membership.objects.create(
            relationship=rel,
            participant=person,
            side=rng.choice(Membership.Side.values),
            joined_at=now,
            left_at=now if rng.random() < 0.25 else None,
        )
    return rel


def _change(rng, scheme, mentors, everyone) -> None:
    """One random write to what the order reads."""
    kind = rng.choice([0, 1, 2, 3, 3, 4, 5, 5, 5, 6, 6, 7])
    mentor = rng.choice(mentors)
    if kind == 0:
        Participant.objects.filter(pk=mentor.pk).update(
            mentor_capacity=rng.choice([None, 0, 1, 3, 6, 9])
        )
    elif kind == 1:
        User.objects.filter(pk=mentor.user_id).update(full_name=rng.choice(NAMES))
    elif kind == 2:
        MentorListing.objects.filter(participant=mentor).update(is_published=rng.random() < 0.7)
    elif kind == 3:
        Proposal.objects.create(
            scheme=scheme,
            mentee=rng.choice(everyone),
            mentor=rng.choice(everyone),
            via="fallback",
            status=rng.choice(Proposal.Status.values),
            proposed_at=timezone.now(),
        )
    elif kind == 4 and Proposal.objects.exists():
        proposal = rng.choice(list(Proposal.objects.all()))
        proposal.status = rng.choice(Proposal.Status.values)
        proposal.save(update_fields=["status"])
    elif kind == 5:
        _relationship(rng, scheme, everyone)
    elif kind == 6 and Membership.objects.exists():
        member = rng.choice(list(Membership.objects.all()))
        member.left_at = None if member.left_at else timezone.now()
        member.side = rng.choice(Membership.Side.values)
        member.save(update_fields=["left_at", "side"])
    elif kind == 7 and Relationship.objects.exists():
        rel = rng.choice(list(Relationship.objects.all()))
        rel.state = rng.choice(Relationship.State.values)
        rel.save(update_fields=["state"])


@pytest.mark.parametrize("seed", range(5))
def test_the_order_read_after_a_change_is_the_databases(seed, scheme_a, scheme_b):
    rng = random.Random(seed)
    support.bulk_mentors(scheme_a, 14)
    support.bulk_mentors(scheme_b, 4)
    mentors = list(Participant.objects.filter(scheme=scheme_a).order_by("pk"))
    everyone = list(Participant.objects.order_by("pk"))  # both schemes: members across them
    for i, mentor in enumerate(mentors):  # names with ties; room for loads to show in free
        User.objects.filter(pk=mentor.user_id).update(full_name=NAMES[i % len(NAMES)])
    Participant.objects.filter(scheme=scheme_a).update(mentor_capacity=6)
    assert read_order(scheme_a) == _sorted_by_database(scheme_a)
    for _ in range(60):
        _change(rng, rng.choice([scheme_a, scheme_a, scheme_b]), mentors, everyone)
        assert read_order(scheme_a) == _sorted_by_database(scheme_a)
    free = [f for _, f in read_order(scheme_a)]
    assert any(free) and not all(free)  # both sides of the order were exercised
