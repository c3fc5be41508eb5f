from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.directory.models import MentorListing
from equimentor.enrolment import services as enrolment
from equimentor.enrolment.forms import ProfileForm
from equimentor.enrolment.models import Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.matching import services as matching
from equimentor.relationships import services as relationships
from equimentor.relationships.models import Relationship
from tests.matching_setup import choose
from tests.relationships_setup import pair


def _profile(participant, **overrides):
    data = {
        "role": "mentee",
        "job_title": "Lecturer",
        "career_stage": "2",
        "pathway": "clinical",
        "institution": participant.institution_id,
        "department": "Public Health",
        "research_interests": "genomics",
        "career_summary": "Ten years in public health.",
        "offers": "",
        "seeks": "Fellowship advice",
        "mentor_capacity": "",
        "meeting_mode": "virtual",
        "meeting_notes": "",
    }
    data.update(overrides)
    return data


def test_a_participant_edits_their_profile(client, bob, bob_participant):
    client.force_login(bob)
    response = client.post(
        reverse("enrolment:edit_profile", args=["scheme-a"]), _profile(bob_participant)
    )
    assert response.status_code == 302
    bob_participant.refresh_from_db()
    assert bob_participant.research_interests == "genomics"
    event = AuditEvent.objects.filter(action="enrolment.profile.updated").latest("id")
    assert event.data["fields"] == ["research_interests"]
    assert event.actor == bob


def test_a_role_change_is_recorded(client, bob, bob_participant):
    client.force_login(bob)
    response = client.post(
        reverse("enrolment:edit_profile", args=["scheme-a"]),
        _profile(bob_participant, role="both", offers="Grant writing", mentor_capacity="2"),
    )
    assert response.status_code == 302
    bob_participant.refresh_from_db()
    assert bob_participant.is_mentor and bob_participant.is_mentee
    assert bob_participant.mentor_capacity == 2
    event = AuditEvent.objects.get(action="enrolment.roles.changed")
    assert event.data == {"old": "mentee", "new": "both"}


def test_a_bad_edit_keeps_input(client, bob, bob_participant):
    client.force_login(bob)
    response = client.post(
        reverse("enrolment:edit_profile", args=["scheme-a"]),
        _profile(bob_participant, job_title="", research_interests="kept text"),
    )
    assert response.status_code == 400
    assert "kept text" in response.content.decode()
    bob_participant.refresh_from_db()
    assert bob_participant.research_interests != "kept text"


def test_withdrawal(client, bob, bob_participant, django_capture_on_commit_callbacks):
    client.force_login(bob)
    response = client.post(reverse("enrolment:withdraw", args=["scheme-a"]), {})
    assert response.status_code == 400
    assert "Tick the box to confirm." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("enrolment:withdraw", args=["scheme-a"]),
            {"confirm": "on", "erase_identity": "on"},
        )
    assert response.status_code == 302
    bob_participant.refresh_from_db()
    assert bob_participant.status == Participant.Status.WITHDRAWN
    assert IdentityAnswer.objects.count() == 0
    assert "withdrawn" in mail.outbox[-1].subject
    response = client.get(reverse("enrolment:edit_profile", args=["scheme-a"]))
    assert response.status_code == 302


def test_nobody_else_sees_a_participation(client, bob, scheme_b, charlie):
    client.force_login(charlie)
    assert client.get(reverse("enrolment:participation", args=["scheme-a"])).status_code == 404
    assert client.get(reverse("enrolment:edit_identity", args=["scheme-a"])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, bob):
    response = client.get(reverse("enrolment:participation", args=["scheme-a"]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url


# -- a mentor with mentees ------------------------------------------------------------------------


@pytest.fixture
def busy_mentor(scheme_a, alice, django_capture_on_commit_callbacks):
    """A mentor (capacity 3) in two open one-to-one relationships."""
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice, capacity=3, mentees=2)
        for mentee in mentees:
            choose(mentee, mentors[0])
        matching_round = matching.open_round(scheme_a, actor=alice)
        matching.close_choices(matching_round, actor=alice)
        rels = []
        for proposal in matching.publish(matching_round, actor=alice):
            matching.reply(proposal, proposal.mentor, accept=True, actor=proposal.mentor.user)
            matching.reply(proposal, proposal.mentee, accept=True, actor=proposal.mentee.user)
            rels.append(Relationship.objects.get(proposal=proposal))
    assert len(rels) == 2
    mentor = Participant.objects.get(pk=mentors[0].pk)
    return mentor, rels


def _mentor_profile(participant, **overrides):
    return _profile(
        participant,
        **{
            "role": "mentor",
            "offers": "Grant writing",
            "seeks": "",
            "mentor_capacity": str(participant.mentor_capacity),
            **overrides,
        },
    )


def _as_saved(participant, **overrides):
    """The profile as the service takes it: the participant's own values, with changes."""
    return {name: getattr(participant, name) for name in ProfileForm.PROFILE_FIELDS} | overrides


def test_a_mentor_with_open_relationships_cannot_become_only_a_mentee(client, busy_mentor):
    mentor, rels = busy_mentor
    client.force_login(mentor.user)
    response = client.post(
        reverse("enrolment:edit_profile", args=["scheme-a"]),
        _mentor_profile(
            mentor, role="mentee", seeks="Typed: leadership advice", mentor_capacity=""
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "You are the mentor in 2 open mentoring relationships" in page
    assert "Close them or hand them over to another mentor first" in page
    assert "a@example.org" in page  # the coordinator to ask
    assert "Typed: leadership advice" in page  # nothing typed is lost
    mentor.refresh_from_db()
    assert mentor.is_mentor and not mentor.is_mentee and mentor.mentor_capacity == 3
    assert MentorListing.objects.get(participant=mentor).is_published
    assert not AuditEvent.objects.filter(action="enrolment.roles.changed").exists()


def test_the_mentor_role_can_go_once_the_relationships_have_closed(client, alice, busy_mentor):
    mentor, rels = busy_mentor
    relationships.close(rels[0], reason="goals_met", actor=alice)
    with pytest.raises(enrolment.EnrolmentError, match="mentor in 1 open mentoring relationship,"):
        enrolment.update_profile(
            mentor,
            role="mentee",
            profile=_as_saved(mentor, seeks="Fellowship advice"),
            actor=mentor.user,
        )
    relationships.close(rels[1], reason="goals_met", actor=alice)
    client.force_login(mentor.user)
    response = client.post(
        reverse("enrolment:edit_profile", args=["scheme-a"]),
        _mentor_profile(mentor, role="mentee", seeks="Fellowship advice", mentor_capacity=""),
    )
    assert response.status_code == 302
    mentor.refresh_from_db()
    assert mentor.is_mentee and not mentor.is_mentor


def test_adding_the_mentee_role_keeps_a_busy_mentor_mentoring(client, busy_mentor):
    mentor, _ = busy_mentor
    client.force_login(mentor.user)
    response = client.post(
        reverse("enrolment:edit_profile", args=["scheme-a"]),
        _mentor_profile(mentor, role="both", seeks="Fellowship advice"),
    )
    assert response.status_code == 302
    mentor.refresh_from_db()
    assert mentor.is_mentor and mentor.is_mentee


def test_lowering_capacity_below_current_mentees_is_saved_and_explained(client, busy_mentor):
    mentor, _ = busy_mentor
    client.force_login(mentor.user)
    response = client.post(
        reverse("enrolment:edit_profile", args=["scheme-a"]),
        _mentor_profile(mentor, mentor_capacity="1"),
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your profile is saved. You keep your current 2 mentees." in page
    assert (
        "You now offer 1 place, so you will not be proposed new mentees until you have a free place"
        in page
    )
    mentor.refresh_from_db()
    assert mentor.mentor_capacity == 1
    # raising it again, or saving without lowering it, says nothing more
    response = client.post(
        reverse("enrolment:edit_profile", args=["scheme-a"]),
        _mentor_profile(mentor, mentor_capacity="2"),
        follow=True,
    )
    assert "Your profile is saved." in response.content.decode()
    assert "You keep your current" not in response.content.decode()


def test_lowering_capacity_with_room_to_spare_says_nothing_more(busy_mentor):
    mentor, _ = busy_mentor
    saved = enrolment.update_profile(
        mentor,
        role="mentor",
        profile=_as_saved(mentor, mentor_capacity=2),
        actor=mentor.user,
    )
    assert saved.current_mentees == 2 and not saved.over_capacity and saved.notice == ""
