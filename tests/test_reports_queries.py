"""The reports pages run a fixed number of SQL queries, however many people a scheme has."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from equimentor.identity.models import IdentityAnswer
from equimentor.matching import services as matching
from equimentor.matching.models import Proposal
from equimentor.relationships.models import Membership, Milestone, Relationship, SponsorshipAct
from equimentor.reports.models import Benchmark
from equimentor.schemes.models import StaffRole
from tests import factories
from tests.matching_setup import choose, people

QUERIES = ["", "?by1=institution", "?by1=ethnicity", "?by1=ethnicity&by2=gender&by3=career_stage"]


@pytest.fixture
def matched(scheme_a, alice):
    mentors, mentees = people(scheme_a, alice, mentors=3, mentees=3, capacity=1)
    for mentee, mentor in zip(mentees, mentors, strict=True):
        choose(mentee, mentor)
    rnd = matching.open_round(scheme_a, actor=alice)
    matching.close_choices(rnd, actor=alice)
    for p in matching.publish(rnd, actor=alice):
        matching.reply(p, p.mentor, accept=True, actor=p.mentor.user)
        matching.reply(p, p.mentee, accept=True, actor=p.mentee.user)
    Benchmark.objects.create(
        scheme=scheme_a,
        label="Black women",
        groups={"ethnicity": "black", "gender": "woman"},
        expected_percent=9,
    )
    return mentors


def grow(scheme, coordinator, mentors, n: int, start: int) -> None:
    """``n`` more matched mentees, with relationships (some closed), sponsorship and milestones."""
    now = timezone.now()
    for i in range(start, start + n):
        mentee = factories.register_participant(
            scheme, f"more{i}@example.org", role="mentee", approve_by=coordinator
        )
        IdentityAnswer.objects.update_or_create(
            participant=mentee, dimension="gender", defaults={"value": ["woman", "man"][i % 2]}
        )
        mentor = mentors[i % len(mentors)]
        proposal = Proposal.objects.create(
            scheme=scheme,
            mentee=mentee,
            mentor=mentor,
            via="choice",
            choice_rank=1 + i % 3,
            status="accepted",
            proposed_at=now - timedelta(days=20),
            decided_at=now,
        )
        closed = i % 2 == 0
        rel = Relationship.objects.create(
            scheme=scheme,
            proposal=proposal,
            state="closed" if closed else "active",
            close_reason="goals_met" if closed else "",
            closed_at=now if closed else None,
            started_at=now - timedelta(days=300),
            start_date=(now - timedelta(days=300)).date(),
            end_date=now.date(),
            original_end_date=now.date(),
            activated_at=now - timedelta(days=290),
            last_activity_at=now,
        )
        Membership.objects.create(
            relationship=rel, participant=mentor, side="mentor", joined_at=now
        )
        Membership.objects.create(
            relationship=rel, participant=mentee, side="mentee", joined_at=now
        )
        SponsorshipAct.objects.create(
            relationship=rel, mentor=mentor, mentee=mentee, kind="nomination", on_date=now.date()
        )
        Milestone.objects.create(
            participant=mentee,
            relationship=rel,
            kind="grant",
            title="Grant",
            achieved_on=now.date(),
        )


def query_counts(client, url_name) -> dict:
    out = {}
    for q in QUERIES:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(url_name, args=["scheme-a"]) + q)
        assert response.status_code == 200, q
        out[q] = len(ctx)
    return out


@pytest.mark.parametrize("url_name", ["reports:dashboard", "reports:committee"])
def test_queries_do_not_grow_with_participants(client, alice, scheme_a, matched, url_name):
    client.force_login(alice)
    grow(scheme_a, alice, matched, 2, 0)
    small = query_counts(client, url_name)
    grow(scheme_a, alice, matched, 8, 2)
    large = query_counts(client, url_name)
    assert large == small
    assert max(small.values()) <= 80, small  # a fixed budget, not one query per person


def test_committee_member_with_institution_queries_do_not_grow(
    client, alice, scheme_a, matched, institution
):
    member = factories.UserFactory(email="cm@example.org")
    StaffRole.objects.create(user=member, scheme=scheme_a, role="committee").institutions.add(
        institution
    )
    client.force_login(member)
    grow(scheme_a, alice, matched, 2, 0)
    small = query_counts(client, "reports:committee")
    grow(scheme_a, alice, matched, 6, 2)
    assert query_counts(client, "reports:committee") == small
