"""Leaving the scheme ends one's part in its mentoring: open relationships are left (a
relationship that cannot go on without the leaver closes, its meetings to come cancelled),
proposals still waiting are declined, and those who remain are told neutrally, never why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from equimentor.core.models import AuditEvent
from equimentor.enrolment import services as enrolment
from equimentor.matching import services as matching
from equimentor.matching.adapter import eligible_mentees
from equimentor.matching.models import Proposal
from equimentor.relationships import services
from equimentor.relationships.models import Meeting, Membership, Relationship
from tests.matching_setup import choose
from tests.relationships_setup import accepted, group_meeting_next_week, member, pair, plan

S = Relationship.State
PRIVATE_WORDS = ("withdr", "left the scheme", "leaving", "reason", "because", "declined")


def _soon(days: int = 7) -> str:
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT10:00")


def _ics_methods(message) -> list[str]:
    return [
        "CANCEL"
        if b"METHOD:CANCEL" in (content if isinstance(content, bytes) else content.encode())
        else "OTHER"
        for _name, content, _type in message.attachments
    ]


@pytest.fixture
def one_to_one(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
        mentor_m = member(rel, mentors[0])
        meeting = services.schedule_meeting(rel, mentor_m, plan(_soon()), actor=mentors[0].user)
    mail.outbox.clear()
    return rel, mentors[0], mentees[0], meeting


def test_a_mentee_who_withdraws_closes_a_one_to_one_and_its_meetings(
    scheme_a, one_to_one, django_capture_on_commit_callbacks
):
    rel, mentor, mentee, meeting = one_to_one
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.withdraw(mentee, actor=mentee.user, erase_identity=False)
    rel.refresh_from_db()
    meeting.refresh_from_db()
    assert rel.state == S.CLOSED and rel.close_reason == Relationship.CloseReason.WITHDRAWN
    left = member(rel, mentee)
    assert left.left_reason == Membership.LeftReason.WITHDREW and left.left_at is not None
    assert member(rel, mentor).left_reason == Membership.LeftReason.CLOSED
    assert meeting.status == Meeting.Status.CANCELLED
    # one email each: the mentor is told it ended (never why), the leaver gets the calendar
    # cancellation, and the withdrawal's own confirmation
    by_subject = {(m.to[0], m.subject) for m in mail.outbox}
    assert by_subject == {
        (mentor.user.email, f"Your mentoring in {scheme_a.name} has ended"),
        (mentee.user.email, f"Meetings removed from your calendar: {scheme_a.name}"),
        (mentee.user.email, f"You have withdrawn from {scheme_a.name}"),
    }
    to_mentor = next(m for m in mail.outbox if m.to == [mentor.user.email])
    text = (to_mentor.subject + to_mentor.body).lower()
    assert "has ended" in text and "no-fault" in text
    for word in PRIVATE_WORDS:
        assert word not in text
    assert _ics_methods(to_mentor) == ["CANCEL"]
    to_leaver = next(m for m in mail.outbox if m.subject.startswith("Meetings removed"))
    assert _ics_methods(to_leaver) == ["CANCEL"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"relationships.member.left", "relationships.relationship.closed"} <= actions


def test_a_mentor_who_withdraws_frees_the_mentee_for_the_next_round(
    scheme_a, one_to_one, django_capture_on_commit_callbacks
):
    rel, mentor, mentee, _meeting = one_to_one
    assert mentee not in eligible_mentees(scheme_a)
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.withdraw(mentor, actor=mentor.user, erase_identity=False)
    rel.refresh_from_db()
    assert rel.state == S.CLOSED
    assert mentee in eligible_mentees(scheme_a)
    to_mentee = next(m for m in mail.outbox if m.to == [mentee.user.email])
    assert "next matching round" in to_mentee.body


def test_a_group_carries_on_without_a_mentee_who_withdraws(
    scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rel, mentors, mentees, meeting = group_meeting_next_week(scheme_a, alice)
    mail.outbox.clear()
    leaver = mentees[0].user
    leaver.full_name = "Zainab Leaver"
    leaver.save(update_fields=["full_name"])
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.withdraw(mentees[0], actor=mentees[0].user, erase_identity=False)
    rel.refresh_from_db()
    meeting.refresh_from_db()
    assert rel.state != S.CLOSED and rel.close_reason == ""
    assert meeting.status == Meeting.Status.SCHEDULED  # the others still meet
    assert {m.participant_id for m in rel.active_members()} == {
        mentors[0].pk,
        mentees[1].pk,
        mentees[2].pk,
    }
    remaining = {mentors[0].user.email, mentees[1].user.email, mentees[2].user.email}
    told = [m for m in mail.outbox if m.to[0] in remaining]
    assert sorted(m.to[0] for m in told) == sorted(remaining)
    for message in told:
        text = message.body.lower()
        assert "carries on with" in text
        assert "zainab" not in text  # the leaver is not named, nor listed among the others
        for word in PRIVATE_WORDS:
            assert word not in text
        assert message.attachments == []  # nothing was cancelled for them
    # the leaver's own calendar loses the group's meeting
    to_leaver = next(m for m in mail.outbox if m.subject.startswith("Meetings removed"))
    assert to_leaver.to == [mentees[0].user.email]
    assert _ics_methods(to_leaver) == ["CANCEL"]


def test_proposals_waiting_are_declined_when_someone_leaves(
    scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        choose(mentees[0], mentors[0])
        matching_round = matching.open_round(scheme_a, actor=alice)
        matching.close_choices(matching_round, actor=alice)
        (proposal,) = matching.publish(matching_round, actor=alice)
        # the mentee had already said yes: the proposal still waits for the mentor
        matching.reply(proposal, mentees[0], accept=True, actor=mentees[0].user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.withdraw(mentors[0], actor=mentors[0].user, erase_identity=False)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DECLINED
    assert proposal.mentor_reply == Proposal.Reply.DECLINE
    assert proposal.mentee_reply == Proposal.Reply.ACCEPT
    to_mentee = [m for m in mail.outbox if m.to == [mentees[0].user.email]]
    assert len(to_mentee) == 1 and "will not go ahead" in to_mentee[0].body
    assert mentees[0] in eligible_mentees(scheme_a)


def test_the_withdraw_page_says_what_leaving_ends(client, one_to_one, scheme_a):
    _rel, _mentor, mentee, _meeting = one_to_one
    client.force_login(mentee.user)
    page = client.get(reverse("enrolment:withdraw", args=[scheme_a.slug])).content.decode()
    assert "Withdrawing also ends your part" in page
    assert "you leave your 1 open mentoring relationship. The other members are told" in page
    assert "waiting for your reply" not in page  # no proposal waits for them
    assert "pause a relationship from its page instead" in page


def test_the_withdraw_page_says_nothing_extra_without_mentoring(client, bob_participant, scheme_a):
    client.force_login(bob_participant.user)
    page = client.get(reverse("enrolment:withdraw", args=[scheme_a.slug])).content.decode()
    assert "Withdrawing also ends" not in page


def test_the_withdraw_page_counts_every_waiting_proposal_it_declines(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    """Withdrawing declines every proposal still waiting that names the person, including one
    they already said yes to: the page counts both kinds before they confirm."""
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        choose(mentees[0], mentors[0])
        matching_round = matching.open_round(scheme_a, actor=alice)
        matching.close_choices(matching_round, actor=alice)
        (proposal,) = matching.publish(matching_round, actor=alice)
        matching.reply(proposal, mentees[0], accept=True, actor=mentees[0].user)
    url = reverse("enrolment:withdraw", args=[scheme_a.slug])
    client.force_login(mentees[0].user)
    page = client.get(url).content.decode()
    assert "Withdrawing also ends your part" in page
    assert "waiting for your reply" not in page
    assert (
        "the 1 proposed match you have replied to but the other person has not is declined too"
        in page
    )
    client.force_login(mentors[0].user)
    page = client.get(url).content.decode()
    assert "the 1 proposed match waiting for your reply is declined" in page
    assert "you have replied to" not in page
