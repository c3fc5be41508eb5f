"""Attendance after a session, the two anonymous feedback questions, and peer-support
confidentiality (attendance seen only by the coordinator and the person)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from equimentor.core.models import AuditEvent, OutgoingEmail
from equimentor.training import services
from equimentor.training.models import (
    FeedbackInvitation,
    PendingFeedback,
    Registration,
    SessionFeedback,
)
from tests.training_setup import members, session


@pytest.fixture
def circle(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        people = members(scheme_a, alice, 4)
    for p, name in zip(people, ["Ada Ansah", "Bea Brown", "Cai Chen", "Dee Das"], strict=True):
        p.user.full_name = name
        p.user.save(update_fields=["full_name"])
    s = session(scheme_a, alice, title="Peer circle", kind="peer_support", capacity=3)
    regs = [services.register(s, p, actor=p.user) for p in people]
    mail.outbox.clear()
    return s, people, regs


def test_attendance_is_recorded_after_the_start_and_attendees_are_asked_once(
    client, scheme_a, alice, circle, django_capture_on_commit_callbacks
):
    s, people, regs = circle
    came = {regs[0].pk, regs[1].pk}
    with pytest.raises(services.TrainingError, match="once the session has started"):
        services.record_attendance(s, came, actor=alice)
    with time_machine.travel(s.ends_at + timedelta(hours=1)):
        with pytest.raises(services.TrainingError, match="Only people with a place"):
            services.record_attendance(s, {regs[3].pk}, actor=alice)  # on the waiting list
        client.force_login(alice)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("training:manage_attendance", args=["scheme-a", s.pk]),
                {"attended": sorted(came)},
            )
        assert dict(Registration.objects.values_list("pk", "attended")) == {
            regs[0].pk: True,
            regs[1].pk: True,
            regs[2].pk: False,
            regs[3].pk: None,
        }
        assert sorted(m.to[0] for m in mail.outbox) == sorted(p.user.email for p in people[:2])
        assert all("/feedback/" in m.body for m in mail.outbox)
        # filed under no scheme: the coordinator's email list does not say who was asked
        assert set(
            OutgoingEmail.objects.filter(template="tr_feedback_request").values_list(
                "scheme", flat=True
            )
        ) == {None}
        page = client.get(reverse("training:manage_session", args=["scheme-a", s.pk]))
        assert page.content.count(b" checked") == 2
        # a correction: the second person did not come after all; the first is not asked twice
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.record_attendance(s, {regs[0].pk}, actor=alice)
        assert mail.outbox == []
        assert list(FeedbackInvitation.objects.values_list("registration_id", flat=True)) == [
            regs[0].pk
        ]
    event = AuditEvent.objects.filter(action="training.attendance.recorded").latest("id")
    assert event.data == {"places": 3, "attended": 1}  # counts only, never who


def test_feedback_is_anonymous_once_and_only_for_those_asked(client, scheme_a, alice, circle):
    s, people, regs = circle
    with time_machine.travel(s.ends_at + timedelta(hours=1)):
        services.record_attendance(s, {regs[0].pk, regs[1].pk}, actor=alice)
        url = reverse("training:feedback", args=["scheme-a", s.pk])
        client.force_login(people[2].user)  # had a place, did not come
        assert client.get(url).status_code == 404
        client.force_login(people[0].user)
        page = client.get(reverse("training:session", args=["scheme-a", s.pk]))
        assert b"You attended." in page.content and b"Give feedback" in page.content
        bad = client.post(url, {"usefulness": "9", "would_recommend": "yes"})
        assert bad.status_code == 400
        client.post(url, {"usefulness": "4", "would_recommend": "yes"})
        # kept sealed, with nothing linking it to the request, until a batch is due
        assert not SessionFeedback.objects.exists()
        pending = PendingFeedback.objects.get()
        assert "usefulness" not in pending.sealed and "mentee" not in pending.sealed
        assert services.store_pending_feedback() == 0  # one other attendee may still answer
    with time_machine.travel(s.ends_at + timedelta(days=30)):
        assert services.store_pending_feedback() == 1  # nobody else can answer now
        answer = SessionFeedback.objects.get()
        assert (answer.usefulness, answer.would_recommend, answer.role) == (4, True, "mentee")
        assert answer.month.day == 1
        fields = {f.name for f in SessionFeedback._meta.get_fields()}
        assert not fields & {"participant", "registration", "invitation", "user", "created_at"}
        assert not PendingFeedback.objects.exists()
        stored = AuditEvent.objects.get(action="training.feedback.stored")
        assert stored.actor is None and stored.data == {"count": 1}
    with time_machine.travel(s.ends_at + timedelta(hours=2)):
        client.force_login(people[0].user)
        again = client.post(url, {"usefulness": "1", "would_recommend": "no"}, follow=True)
        assert b"already given feedback" in again.content
        assert SessionFeedback.objects.count() == 1
        # the coordinator sees only how many answered, as the small-number rules allow
        client.force_login(alice)
        page = client.get(reverse("training:manage_session", args=["scheme-a", s.pk]))
        assert b"&lt;5 answered so far" in page.content
    inv = FeedbackInvitation.objects.get(registration=regs[1])
    with time_machine.travel(s.ends_at + timedelta(days=40)):
        with pytest.raises(services.TrainingError, match="has closed"):
            services.submit_feedback(inv, usefulness=3, would_recommend=True)


def test_peer_support_attendance_is_seen_by_the_coordinator_and_the_person_only(
    client, scheme_a, alice, circle
):
    from tests import factories

    s, people, regs = circle
    with time_machine.travel(s.ends_at + timedelta(hours=1)):
        services.record_attendance(s, {regs[0].pk, regs[1].pk}, actor=alice)
        # the other attendee's page says nothing about who else came
        client.force_login(people[1].user)
        page = client.get(reverse("training:session", args=["scheme-a", s.pk])).content.decode()
        assert "You attended." in page
        assert "Ada Ansah" not in page
        # no other staff role reaches the session page
        for role in ("evaluator", "committee", "safeguarding"):
            client.force_login(factories.make_staff(scheme_a, role))
            url = reverse("training:manage_session", args=["scheme-a", s.pk])
            assert client.get(url).status_code == 403
        # a person's own data export has their attendance; nobody else's
        from equimentor.privacy.services import export_person

        mine = export_person(people[0].user)["training"]["session_registrations"]
        assert [(r["session_id"], r["attended"]) for r in mine] == [(s.pk, True)]


def test_another_schemes_people_reach_no_attendance_or_feedback(
    client, scheme_a, scheme_b, alice, charlie, circle
):
    from tests import factories

    s, people, regs = circle
    with time_machine.travel(s.ends_at + timedelta(hours=1)):
        services.record_attendance(s, {regs[0].pk}, actor=alice)
        client.force_login(charlie)
        for slug in ("scheme-a", "scheme-b"):
            url = reverse("training:manage_attendance", args=[slug, s.pk])
            assert client.post(url, {"attended": [regs[1].pk]}).status_code == 403
        outsider = factories.register_participant(
            scheme_b, "outsider@example.org", approve_by=charlie
        )
        client.force_login(outsider.user)
        for slug in ("scheme-a", "scheme-b"):
            url = reverse("training:feedback", args=[slug, s.pk])
            assert client.get(url).status_code == 404
            assert client.post(url, {"usefulness": "1", "would_recommend": "no"}).status_code == 404
    assert Registration.objects.get(pk=regs[1].pk).attended is False
    assert not SessionFeedback.objects.exists()
