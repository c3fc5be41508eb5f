"""The demo's relationships: made through the services, in several states, seeded once."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from equimentor.relationships.models import (
    AgreementConfirmation,
    CheckIn,
    Flag,
    Goal,
    Meeting,
    Membership,
    Milestone,
    PrivateNote,
    Relationship,
    SponsorshipAct,
)


def _snapshot():
    return (
        sorted(Relationship.objects.values_list("id", "state", "start_date", "end_date")),
        Meeting.objects.count(),
        Goal.objects.count(),
        Milestone.objects.count(),
        SponsorshipAct.objects.count(),
        Flag.objects.count(),
        CheckIn.objects.count(),
    )


@pytest.mark.django_db
def test_demo_relationships(seeded_demo, db, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from equimentor.demo.seed import seed
    from equimentor.relationships.demo import seed_relationships
    from equimentor.schemes.models import Scheme

    scheme = Scheme.objects.get(pk=seeded_demo)  # seed() returned True (tests/demo_snapshot.py)
    with django_capture_on_commit_callbacks(execute=False):
        seed_relationships(scheme, random.Random(1))  # seed() has run it: a no-op now
    first = _snapshot()
    states = Counter(Relationship.objects.filter(scheme=scheme).values_list("state", flat=True))
    assert states["active"] > states["trial"] > 0
    assert states["paused"] == 2 and states["closed"] == 2
    assert set(
        Relationship.objects.filter(state="closed").values_list("close_reason", flat=True)
    ) == {
        "no_fault",
        "goals_met",
    }
    assert Flag.objects.filter(kind="low_check_in", relationship__isnull=False).count() == 1
    now = timezone.now()
    # everything happened in the past, in a consistent order
    for rel in Relationship.objects.filter(scheme=scheme).prefetch_related("meetings"):
        assert rel.started_at <= now and rel.last_activity_at <= now
        held = [m for m in rel.meetings.all() if m.status == "held"]
        assert len(held) <= 4
        for m in held:
            assert rel.started_at <= m.starts_at < now and m.logged_at <= now
        if rel.state in ("active", "paused"):
            assert held and rel.activated_at is not None
            assert AgreementConfirmation.objects.filter(version__relationship=rel).count() == 2
        if rel.state == "closed":
            assert rel.closed_at <= now
            assert not rel.memberships.filter(left_at__isnull=True).exists()
    agendas = Counter(Meeting.objects.filter(status="held").values_list("agenda_by", flat=True))
    assert agendas["mentee"] > agendas["mentor"] + agendas["both"]
    assert Meeting.objects.filter(status="scheduled", starts_at__gt=now).exists()
    assert Goal.objects.filter(progress__gt=0).exists()
    assert Milestone.objects.exists() and SponsorshipAct.objects.exists()
    assert not PrivateNote.objects.exists()
    # the demo mentor has an open relationship to look at
    assert Membership.objects.filter(
        participant__user__email="mentor@demo.equimentor.org",
        side="mentor",
        relationship__state__in=Relationship.OPEN_STATES,
    ).exists()
    # and a mentoring group, under way, for its pages to show
    group = Relationship.objects.get(scheme=scheme, kind="group")
    assert group.name == "Fellowship writing group" and group.state in Relationship.OPEN_STATES
    sides = Counter(group.memberships.values_list("side", flat=True))
    assert sides == {"mentor": 1, "mentee": 3}
    assert group.meetings.filter(status="held").count() == 1
    assert group.meetings.filter(status="scheduled", starts_at__gt=now).count() == 1
    # seeding again changes nothing
    with django_capture_on_commit_callbacks(execute=False):
        assert seed() is False
    assert _snapshot() == first
