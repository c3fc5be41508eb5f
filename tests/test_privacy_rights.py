"""Subject access, erasure (no personal data left, totals kept) and the retention job."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.core.models import AuditEvent
from equimentor.enrolment.models import Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.privacy import services
from equimentor.privacy.models import RetentionSettings
from equimentor.relationships import services as rel_services
from equimentor.relationships.models import Membership, PrivateNote, Relationship
from equimentor.safeguarding import services as sg
from equimentor.safeguarding.models import Case
from tests import factories
from tests.relationships_setup import accepted, pair, plan


def _setup(scheme, coordinator, capture):
    with capture(execute=True):
        mentors, mentees = pair(scheme, coordinator)
        rel = accepted(scheme, coordinator, mentors[0], mentees[0])
    mentee, mentor = mentees[0], mentors[0]
    m_mentee = Membership.objects.get(relationship=rel, participant=mentee)
    m_mentor = Membership.objects.get(relationship=rel, participant=mentor)
    rel_services.add_private_note(rel, m_mentee, "MY OWN NOTE", actor=mentee.user)
    rel_services.add_private_note(rel, m_mentor, "MENTOR PRIVATE NOTE", actor=mentor.user)
    # Someone else reported the mentee anonymously: the mentee's export must not show it.
    sg.raise_concern(
        mentor.user,
        scheme,
        sg.Concern(
            "boundaries",
            "REPORT ABOUT MENTEE",
            "record",
            anonymous=True,
            passphrase="p" * 12,
            subject=mentee.user,
        ),
    )
    sg.raise_concern(mentee.user, scheme, sg.Concern("wellbeing", "MY OWN CONCERN", "talk"))
    return rel, mentee, mentor


def test_subject_access_export(client, scheme_a, alice, django_capture_on_commit_callbacks):
    rel, mentee, mentor = _setup(scheme_a, alice, django_capture_on_commit_callbacks)
    client.force_login(mentee.user)
    response = client.get(reverse("privacy:export"))
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    text = json.dumps(data)
    assert mentee.user.email in text and "MY OWN NOTE" in text and "MY OWN CONCERN" in text
    assert "British Bangladeshi" in text  # identity answers are theirs
    assert "MENTOR PRIVATE NOTE" not in text
    assert "REPORT ABOUT MENTEE" not in text
    assert "hash" not in text and "password" not in text


def test_export_and_erasure_work_for_someone_with_a_meeting(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    """A meeting's calendar uid (a UUID) must not break the JSON download (it gave a 500)."""
    rel, mentee, mentor = _setup(scheme_a, alice, django_capture_on_commit_callbacks)
    m_mentee = Membership.objects.get(relationship=rel, participant=mentee)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = rel_services.schedule_meeting(
            rel, m_mentee, plan("2031-01-15T09:00"), actor=mentee.user
        )
    client.force_login(mentee.user)
    response = client.get(reverse("privacy:export"))
    assert response.status_code == 200
    meetings = json.loads(response.content)["relationships"]["meetings"]
    assert [m["uid"] for m in meetings] == [str(meeting.uid)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:erase"), {"confirm": "erase my data"})
    assert response.status_code == 200
    assert str(meeting.uid) in response.content.decode()  # they still get their copy


def test_erasure_leaves_no_personal_data_and_keeps_totals(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    rel, mentee, mentor = _setup(scheme_a, alice, django_capture_on_commit_callbacks)
    user = mentee.user
    email, name = user.email, user.full_name
    before = {
        "participants": Participant.objects.filter(scheme=scheme_a).count(),
        "relationships": Relationship.objects.filter(scheme=scheme_a).count(),
        "memberships": Membership.objects.count(),
        "cases": Case.objects.count(),
        "events": AuditEvent.objects.count(),
        "users": User.objects.count(),
    }
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:erase"), {"confirm": "erase my data"})
    assert response.status_code == 200
    assert email in response.content.decode()  # they are handed their export
    user.refresh_from_db()
    assert user.email != email and user.full_name != name and not user.is_active
    assert not IdentityAnswer.objects.filter(participant__user=user).exists()
    assert not PrivateNote.objects.filter(author=user).exists()
    assert PrivateNote.objects.filter(body="MENTOR PRIVATE NOTE").exists()
    mentee.refresh_from_db()
    assert mentee.career_summary == "" and mentee.status == "withdrawn"
    assert Case.objects.get(what_happened="MY OWN CONCERN").reporter is None
    # Nothing personal is left anywhere in the database rows that mention this person.
    leftovers = json.dumps(services.export_person(user))
    for needle in (email, "Ten years in public health", "British Bangladeshi", "MY OWN NOTE"):
        assert needle not in leftovers
    assert not AuditEvent.objects.filter(data__icontains=email).exists()
    # Totals stay correct; the audit trail kept every event and gained the erasure's own.
    assert Participant.objects.filter(scheme=scheme_a).count() == before["participants"]
    assert Relationship.objects.filter(scheme=scheme_a).count() == before["relationships"]
    assert Membership.objects.count() == before["memberships"]
    assert Case.objects.count() == before["cases"]
    assert User.objects.count() == before["users"]
    assert AuditEvent.objects.count() > before["events"]
    assert AuditEvent.objects.filter(actor=user).exists()


def test_retention_job(scheme_a, alice, django_capture_on_commit_callbacks, time_machine):
    rel, mentee, mentor = _setup(scheme_a, alice, django_capture_on_commit_callbacks)
    RetentionSettings.objects.create(
        scheme=scheme_a, identity_months=1, closed_case_months=1, inactive_account_months=2
    )
    Participant.objects.filter(pk=mentee.pk).update(status="withdrawn", withdrawn_at=timezone.now())
    case = Case.objects.get(what_happened="MY OWN CONCERN")
    sg.set_status(case, "closed", actor=None)
    call_command("tick")
    assert IdentityAnswer.objects.filter(participant=mentee).exists()  # not yet
    time_machine.move_to(timezone.now() + timedelta(days=75))
    call_command("tick")
    assert not IdentityAnswer.objects.filter(participant=mentee).exists()
    case.refresh_from_db()
    assert case.what_happened == "" and case.category == "wellbeing"  # counted still
    mentee.user.refresh_from_db()
    assert not mentee.user.is_active and mentee.user.email.endswith("@erased.invalid")


def test_privacy_notice_shows_retention_periods(client, scheme_a):
    RetentionSettings.objects.create(scheme=scheme_a, identity_months=7, closed_case_months=60)
    page = client.get(reverse("privacy:notice", args=[scheme_a.slug])).content.decode()
    assert "7 months" in page and "60 months" in page


def test_retention_job_prunes_failed_sign_ins_after_a_day(db, time_machine):
    from axes.models import AccessAttempt

    from equimentor.privacy.services import run_retention

    AccessAttempt.objects.create(
        username="someone@example.org", ip_address="192.0.2.1", failures_since_start=3
    )
    assert run_retention()["failed_sign_ins"] == 0
    assert AccessAttempt.objects.count() == 1  # still within the day
    time_machine.move_to(timezone.now() + timedelta(days=2))
    assert run_retention()["failed_sign_ins"] == 1
    assert not AccessAttempt.objects.exists()


def test_the_data_download_can_be_read_by_a_person(client, scheme_a, bob_participant):
    """The download was a raw database dump (#21): the readable page says the same in words."""
    from equimentor.core.models import AuditEvent

    bob = bob_participant.user
    client.force_login(bob)
    html = client.get(reverse("privacy:export_readable")).content.decode()
    assert "<h1>Everything we hold about you</h1>" in html
    # the scheme, institution and documents by name, not number; codes and answers in words
    assert "<dd>Scheme A</dd>" in html and "<dd>University of Exampleton</dd>" in html
    assert "Code of conduct" in html and ", version 1</dd>" in html
    assert "<dt>Dimension</dt><dd>Ethnicity</dd>" in html
    assert "<dd>British Bangladeshi</dd>" in html
    assert "<dt>Registered at</dt>" in html
    # no database ids, no ISO timestamps
    assert "<dt>Participant id</dt>" not in html and "<dt>Id</dt>" not in html
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", html)
    assert AuditEvent.objects.filter(action="privacy.export.read", actor=bob).count() == 1
    # another person's data never appears: each reads only their own
    other = factories.register_participant(scheme_a, "other@example.org", full_name="Zed Other")
    client.force_login(other.user)
    assert "bob@example.org" not in client.get(reverse("privacy:export_readable")).content.decode()
