from __future__ import annotations

from django.core import mail
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.enrolment.models import Participant
from equimentor.identity.models import IdentityAnswer


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
