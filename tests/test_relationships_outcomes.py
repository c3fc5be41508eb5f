"""Goals (owned by the mentee, reviewed at meetings), milestones and sponsorship acts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.relationships import services
from equimentor.relationships.models import Goal, Milestone, SponsorshipAct
from tests.relationships_setup import accepted, member, pair, plan


@pytest.fixture
def rel_world(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    return rel, member(rel, mentors[0]), member(rel, mentees[0])


def test_the_mentee_owns_goals_and_reviews_them_at_a_meeting(rel_world):
    rel, mentor, mentee = rel_world
    target = date.today() + timedelta(days=90)
    goal = services.add_goal(
        rel,
        mentee,
        title="Submit a fellowship application",
        detail="By the spring call",
        target_date=target,
        actor=mentee.participant.user,
    )
    assert goal.owner == mentee.participant and goal.status == Goal.Status.NOT_STARTED
    with pytest.raises(services.RelationshipError, match="Goals belong to the mentee"):
        services.add_goal(
            rel, mentor, title="x", detail="", target_date=target, actor=mentor.participant.user
        )
    with pytest.raises(services.RelationshipError, match="target date"):
        services.add_goal(
            rel,
            mentee,
            title="Late",
            detail="",
            target_date=date(2001, 1, 1),
            actor=mentee.participant.user,
        )
    meeting = services.schedule_meeting(
        rel, mentor, plan("2020-02-03T10:00"), actor=mentor.participant.user
    )
    services.log_meeting(
        meeting,
        mentee,
        happened=True,
        actual_minutes=45,
        agenda="Fellowship draft",
        agenda_by="mentee",
        shared_notes="Read the draft together.",
        actions="Redraft aims",
        reviews=[
            services.GoalCheck(
                goal=goal, status=Goal.Status.IN_PROGRESS, progress=40, note="Aims drafted"
            )
        ],
        actor=mentee.participant.user,
    )
    goal.refresh_from_db()
    assert (goal.status, goal.progress) == (Goal.Status.IN_PROGRESS, 40)
    review = goal.reviews.get()
    assert review.meeting == meeting and review.note == "Aims drafted"
    with pytest.raises(services.RelationshipError, match="Only the mentee who owns this goal"):
        services.update_goal(
            goal,
            mentor,
            services.GoalCheck(goal=goal, status="done", progress=100),
            actor=mentor.participant.user,
        )
    assert "Aims drafted" not in str(AuditEvent.objects.values_list("data", flat=True))


def test_milestones_are_the_mentees_own(client, rel_world):
    rel, mentor, mentee = rel_world
    milestone = services.add_milestone(
        mentee.participant,
        kind="grant",
        title="Pilot grant awarded",
        achieved_on=date.today(),
        actor=mentee.participant.user,
    )
    assert milestone.participant == mentee.participant
    with pytest.raises(services.RelationshipError, match="recorded by mentees"):
        services.add_milestone(
            mentor.participant,
            kind="grant",
            title="x",
            achieved_on=date.today(),
            actor=mentor.participant.user,
        )
    client.force_login(mentee.participant.user)
    page = client.get(reverse("relationships:milestones", args=[rel.scheme.slug]))
    assert "Pilot grant awarded" in page.content.decode()
    client.force_login(mentor.participant.user)
    page = client.get(reverse("relationships:milestones", args=[rel.scheme.slug]))
    assert "Pilot grant awarded" not in page.content.decode()
    assert Milestone.objects.count() == 1


def test_sponsorship_is_recorded_by_the_mentor(rel_world):
    rel, mentor, mentee = rel_world
    act = services.record_sponsorship(
        rel,
        mentor,
        mentee=mentee.participant,
        kind="nomination",
        description="Nominated for the early-career prize",
        on_date=date.today(),
        actor=mentor.participant.user,
    )
    assert (act.mentor, act.mentee) == (mentor.participant, mentee.participant)
    with pytest.raises(services.RelationshipError):
        services.record_sponsorship(
            rel,
            mentee,
            mentee=mentee.participant,
            kind="nomination",
            description="",
            on_date=date.today(),
            actor=mentee.participant.user,
        )
    assert SponsorshipAct.objects.count() == 1


def test_a_refused_sponsorship_keeps_what_the_mentor_typed(client, rel_world):
    rel, mentor, mentee = rel_world
    url = reverse("relationships:sponsorship", args=[rel.scheme.slug, rel.pk])
    client.force_login(mentor.participant.user)
    response = client.post(
        url,
        {
            "mentee": mentee.participant.pk,
            "kind": "introduction",
            "description": "Introduced to the MRC panel chair",
            "on_date": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Give the date it happened (today or earlier)." in page
    assert 'value="Introduced to the MRC panel chair"' in page
    assert SponsorshipAct.objects.count() == 0
    # the mentee, who is shown no form, still gets a message rather than a silent page
    client.force_login(mentee.participant.user)
    response = client.post(
        url,
        {"mentee": mentee.participant.pk, "kind": "nomination", "on_date": date.today()},
        follow=True,
    )
    assert "Choose the mentee, what you did and when." in response.content.decode()
    assert SponsorshipAct.objects.count() == 0
