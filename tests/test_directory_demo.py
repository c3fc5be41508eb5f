"""The demo's directory data: deterministic, realistic, and within the rules."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from equimentor.directory.demo import seed_directory
from equimentor.directory.models import Choice, Conflict, MenteePreference, MentorListing
from equimentor.enrolment.models import Participant


def _snapshot():
    choices = sorted(
        Choice.objects.values_list("mentee__user__email", "mentor__user__email", "rank", "note")
    )
    conflicts = sorted(
        Conflict.objects.values_list("mentee__user__email", "mentor__user__email", "reason")
    )
    prefs = sorted(MenteePreference.objects.values_list("mentee__user__email", "wants_shared"))
    return choices, conflicts, [(e, list(w)) for e, w in prefs]


@pytest.mark.django_db
def test_it_works_and_is_deterministic(seeded_demo, db):
    from equimentor.schemes.models import Scheme

    scheme = Scheme.objects.get(pk=seeded_demo)  # seed() returned True (tests/demo_snapshot.py)
    mentors = Participant.objects.filter(scheme=scheme, is_mentor=True)
    assert MentorListing.objects.filter(participant__in=mentors).count() == mentors.count()

    approved_mentees = Participant.objects.filter(scheme=scheme, is_mentee=True, status="approved")
    with_choices = Choice.objects.values("mentee").distinct().count()
    assert 0.6 < with_choices / approved_mentees.count() < 0.9

    for choice in Choice.objects.select_related("mentee", "mentor"):
        assert choice.mentee.institution_id != choice.mentor.institution_id  # the scheme's rule
        assert choice.mentee_id != choice.mentor_id
        assert choice.mentor.status == "approved" and choice.mentee.status == "approved"
    per_mentee = Counter(Choice.objects.values_list("mentee_id", flat=True))
    assert max(per_mentee.values()) <= scheme.max_choices
    for mentee_id in per_mentee:
        ranks = sorted(Choice.objects.filter(mentee_id=mentee_id).values_list("rank", flat=True))
        assert ranks == list(range(1, len(ranks) + 1))

    # popularity is skewed: some mentors are chosen well beyond their places
    demand = Counter(Choice.objects.values_list("mentor_id", flat=True))
    capacity = dict(mentors.values_list("pk", "mentor_capacity"))
    assert sum(1 for pk, n in demand.items() if n > capacity[pk]) >= 3
    assert len(demand) < mentors.filter(status="approved").count()  # some wait for a choice

    assert Choice.objects.exclude(note="").exists()
    wants = list(MenteePreference.objects.values_list("wants_shared", flat=True))
    assert any("pathway" in w for w in wants) and any("ethnicity" in w for w in wants)
    for pref in MenteePreference.objects.select_related("mentee"):
        if "ethnicity" in pref.wants_shared:
            assert pref.mentee.consents.filter(
                purpose="identity_matching", withdrawn_at__isnull=True
            ).exists()
    assert 2 <= Conflict.objects.count() <= 3
    for conflict in Conflict.objects.all():
        assert not Choice.objects.filter(mentee=conflict.mentee, mentor=conflict.mentor).exists()

    # The same data and the same seed give the same choices, preferences and conflicts. (Two
    # fresh ``seed()`` runs are not compared here: ``seed()`` draws consents in ``-registered_at``
    # order, whose ties PostgreSQL may break differently from run to run.)
    runs = []
    for _ in range(2):
        for model in (Choice, Conflict, MenteePreference, MentorListing):
            model.objects.all().delete()
        seed_directory(scheme, random.Random(7))
        runs.append(_snapshot())
    assert runs[0] == runs[1]
    assert runs[0][0]


@pytest.mark.django_db
def test_the_demo_people_see_their_pages(client, seeded_demo, db):
    from django.urls import reverse

    from equimentor.accounts.models import User
    from equimentor.demo.seed import demo_email

    pages = {
        "mentee": ["directory:mentors", "directory:choices"],
        "mentor": ["directory:mentors", "directory:listing"],
        "coordinator": ["directory:mentors"],
    }
    for who, names in pages.items():
        client.force_login(User.objects.get(email=demo_email(who)))
        for name in names:
            response = client.get(reverse(name, args=["horizons"]))
            assert response.status_code == 200, (who, name)


@pytest.mark.django_db
def test_demo_interest_is_dated_before_registration(seeded_demo, db):
    """Expressions of interest date from their links, so the funnel by quarter is not empty."""
    from datetime import timedelta

    from django.utils import timezone

    from equimentor.enrolment.models import ExpressionOfInterest

    registered = Participant.objects.filter(expression__isnull=False).select_related("expression")
    assert registered and all(p.expression.created_at <= p.registered_at for p in registered)
    old = timezone.now() - timedelta(days=120)
    assert ExpressionOfInterest.objects.filter(created_at__lt=old).count() > 50
