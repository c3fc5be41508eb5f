"""Helpers for the relationship tests: accepted proposals made through the real services."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core import mail
from django.test import TestCase
from django.utils import timezone

from equimentor.matching import services as matching
from equimentor.relationships import services
from equimentor.relationships.models import Membership, Relationship
from tests import factories
from tests.matching_setup import choose, people


def accepted(scheme, coordinator, mentor, mentee) -> Relationship:
    """Run a round in which ``mentee`` chose ``mentor`` and both accept."""
    choose(mentee, mentor)
    matching_round = matching.open_round(scheme, actor=coordinator)
    matching.close_choices(matching_round, actor=coordinator)
    proposals = matching.publish(matching_round, actor=coordinator)
    proposal = next(p for p in proposals if p.mentee_id == mentee.pk)
    matching.reply(proposal, mentor, accept=True, actor=mentor.user)
    matching.reply(proposal, mentee, accept=True, actor=mentee.user)
    return Relationship.objects.get(proposal=proposal)


def pair(scheme, coordinator, *, capacity: int = 2, mentees: int = 1, mentors: int = 1):
    mentor_rows, mentee_rows = people(
        scheme, coordinator, mentors=mentors, mentees=mentees, capacity=capacity
    )
    return mentor_rows, mentee_rows


def relationship_rows():
    """Scheme A, alice, and a mentor and two mentees, the first in a relationship with the mentor
    accepted through a round (its emails sent, then cleared): ``(scheme_a, alice, (relationship,
    the mentor's membership, the mentee's, the other mentee))``. A module's ``make_rows``
    (``module_rows`` in tests/conftest.py)."""
    scheme_a = factories.scheme_a()
    alice = factories.alice(scheme_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice, mentees=2)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mail.outbox.clear()
    return scheme_a, alice, (rel, member(rel, mentors[0]), member(rel, mentees[0]), mentees[1])


def member(rel: Relationship, participant) -> Membership:
    return Membership.objects.select_related("participant__user").get(
        relationship=rel, participant=participant
    )


def plan(local: str, tz: str = "Europe/London", **kw) -> services.MeetingPlan:
    return services.MeetingPlan(local_start=datetime.fromisoformat(local), time_zone=tz, **kw)


def hold_first_meeting(rel, mentor_m, *, when="2020-01-06T10:00"):
    """Record a past first meeting as held (moves accepted → trial)."""
    meeting = services.schedule_meeting(rel, mentor_m, plan(when), actor=mentor_m.participant.user)
    services.log_meeting(
        meeting,
        mentor_m,
        happened=True,
        actual_minutes=50,
        agenda="Career plan",
        agenda_by="mentee",
        actor=mentor_m.participant.user,
    )
    return meeting


def agree(rel, *members):
    version = services.save_agreement(
        rel, members[0], services.default_agreement(rel), actor=members[0].participant.user
    )
    for m in members:
        services.confirm_agreement(rel, m, version, actor=m.participant.user)
    return version


def group_meeting_next_week(scheme, coordinator, *, mentees: int = 3):
    """A group of one mentor and ``mentees`` mentees, named "Thursday group", with a meeting
    a week from now: (relationship, mentors, mentees, meeting). Wrap in
    ``django_capture_on_commit_callbacks`` to send the emails it makes."""
    mentors, mentee_rows = pair(scheme, coordinator, capacity=mentees, mentees=mentees)
    rel = services.create_relationship(
        scheme,
        Relationship.Kind.GROUP,
        [services.NewMember(mentors[0], "mentor")]
        + [services.NewMember(m, "mentee") for m in mentee_rows],
        actor=coordinator,
        name="Thursday group",
    )
    when = (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%dT10:00")
    meeting = services.schedule_meeting(
        rel, member(rel, mentors[0]), plan(when), actor=mentors[0].user
    )
    return rel, mentors, mentee_rows, meeting
