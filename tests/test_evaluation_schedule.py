"""Questionnaires under the coordinator's control (#21): added on hold, a schedule of who is due
when, preview, hold and resume (reminders included), send now, and response rates as they come
in with small numbers withheld."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from equimentor.core.models import AuditEvent, OutgoingEmail
from equimentor.evaluation import services
from equimentor.evaluation.models import Invitation, Questionnaire
from tests import evaluation_setup as es
from tests.matching_setup import people

BASELINE = "aimms-baseline"


def _tick(capture) -> str:
    out = StringIO()
    with capture(execute=True):
        call_command("tick", stdout=out)
    return out.getvalue()


def _url(name, scheme, code=BASELINE):
    return reverse(f"evaluation:{name}", args=[scheme.slug, code])


def _matched(scheme, coordinator, capture, n=2, tag="first"):
    """``n`` pairs matched in one round (their relationships start now)."""
    with capture(execute=True):
        mentors, mentees = people(scheme, coordinator, mentors=n, mentees=n, tag=tag)
        es.matched(scheme, coordinator, list(zip(mentors, mentees, strict=True)))
    return mentors, mentees


def test_added_from_the_page_on_hold_nothing_goes_until_started(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    mentors, mentees = _matched(scheme_a, alice, capture)
    client.force_login(alice)
    with capture(execute=True):
        added = client.post(reverse("evaluation:install", args=[scheme_a.slug]), follow=True)
    assert "on hold" in added.content.decode()
    assert not Questionnaire.objects.filter(scheme=scheme_a, is_active=True).exists()
    assert "evaluation_baseline" not in _tick(capture)
    assert not Invitation.objects.exists()

    page = client.get(_url("schedule", scheme_a)).content.decode()
    assert "On hold" in page and "Due now (4)" in page
    for person in [*mentors, *mentees]:
        assert person.user.full_name in page

    with capture(execute=True):
        started = client.post(_url("resume", scheme_a), follow=True)
    assert "being sent again" in started.content.decode()
    assert AuditEvent.objects.filter(action="evaluation.questionnaire.resumed").count() == 1
    assert "evaluation_baseline: 4" in _tick(capture)


def test_hold_stops_new_invitations_and_reminders_and_resume_restarts_them(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        es.install(scheme_a, alice)  # sending (the service's default)
    mentors, mentees = _matched(scheme_a, alice, capture, n=1)
    assert "evaluation_baseline: 2" in _tick(capture)
    client.force_login(alice)
    with capture(execute=True):
        client.post(_url("hold", scheme_a))
    assert AuditEvent.objects.filter(action="evaluation.questionnaire.held").count() == 1
    # a new person becomes due and the reminders fall due: neither goes while held
    more_mentors, more_mentees = _matched(scheme_a, alice, capture, n=1, tag="second")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        mail.outbox.clear()
        out = _tick(capture)
        assert "evaluation_baseline" not in out and "evaluation_reminders" not in out
        assert not mail.outbox
        # a new version of a held questionnaire stays held
        q = Questionnaire.objects.get(scheme=scheme_a, code=BASELINE, is_active=False)
        v2 = services.save_definition(scheme_a, q.definition, actor=alice)
        assert v2.version == 2 and not v2.is_active
        assert services.resume(v2, actor=alice)
        out = _tick(capture)
    assert "evaluation_baseline: 2" in out and "evaluation_reminders: 2" in out
    assert set(Invitation.objects.values_list("participant_id", flat=True)) == {
        p.pk for p in [*mentors, *mentees, *more_mentors, *more_mentees]
    }


def test_send_now_invites_everyone_due_once_through_a_task(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        es.install(scheme_a, alice)
        services.hold(Questionnaire.objects.get(scheme=scheme_a, code=BASELINE), actor=alice)
    mentors, mentees = _matched(scheme_a, alice, capture)
    client.force_login(alice)
    mail.outbox.clear()
    with capture(execute=True):
        sent = client.post(_url("send_now", scheme_a), follow=True)
    assert "to 4 people now" in sent.content.decode()
    invited = Invitation.objects.filter(code=BASELINE)
    assert sorted(invited.values_list("participant_id", flat=True)) == sorted(
        p.pk for p in [*mentors, *mentees]
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.user.email for p in [*mentors, *mentees]
    )
    event = AuditEvent.objects.get(action="evaluation.questionnaire.sent_now")
    assert event.data["sent"] == 4
    # pressed again: nobody is due, nothing is sent twice
    mail.outbox.clear()
    with capture(execute=True):
        again = client.post(_url("send_now", scheme_a), follow=True)
    assert "Nobody is due this questionnaire now" in again.content.decode()
    assert invited.count() == 4 and not mail.outbox
    # the questionnaire stays on hold: send now is one batch, not a start
    assert not Questionnaire.objects.get(scheme=scheme_a, code=BASELINE).is_active
    # sent people leave the schedule's names; what they did is shown only as counts
    page = client.get(_url("schedule", scheme_a)).content.decode()
    assert "Due now (0)" in page
    assert not any(p.user.full_name in page for p in [*mentors, *mentees])


def test_the_schedule_lists_later_follow_ups_with_their_dates(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        es.install(scheme_a, alice)
    mentors, mentees = _matched(scheme_a, alice, capture, n=1)
    client.force_login(alice)
    page = client.get(_url("schedule", scheme_a, "aimms-month-6")).content.decode()
    assert "Due now (0)" in page and "Due later (2)" in page
    due_on = timezone.localdate() + timedelta(days=182)
    assert mentees[0].user.full_name in page
    # six months on, give or take the month's length
    assert any((due_on + timedelta(days=d)).strftime("%-d %b %Y") in page for d in range(-3, 4))


def test_response_rates_withhold_small_numbers(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    es.set_thresholds(scheme_a, k=3, k_text=3)
    with capture(execute=True):
        es.install(scheme_a, alice)
    _matched(scheme_a, alice, capture, n=4)
    _tick(capture)
    invs = list(Invitation.objects.filter(code=BASELINE, role="mentee").order_by("pk"))
    Invitation.objects.filter(pk__in=[i.pk for i in invs[:2]]).update(has_responded=True)
    client.force_login(alice)
    rows = client.get(_url("schedule", scheme_a)).context["rates"]
    mentees_row = dict((label, (s, a, r)) for label, s, a, r in rows)["Mentees"]
    assert mentees_row[0] == "4" and mentees_row[1] != "2" and mentees_row[2] != "50%"
    Invitation.objects.filter(pk=invs[2].pk).update(has_responded=True)
    rows = client.get(_url("schedule", scheme_a)).context["rates"]
    assert dict((label, (s, a, r)) for label, s, a, r in rows)["Mentees"] == ("4", "3", "75%")


def test_preview_shows_both_emails_and_the_questions_and_sends_nothing(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        es.install(scheme_a, alice)
    before = OutgoingEmail.objects.count()
    client.force_login(alice)
    mail.outbox.clear()
    mentee = client.get(_url("preview", scheme_a)).content.decode()
    mentor = client.get(_url("preview", scheme_a) + "?role=mentor").content.decode()
    assert "To receive practical advice" in mentee and "To receive practical advice" not in mentor
    assert "To increase my understanding" in mentor
    for page in (mentee, mentor):
        assert "Invitation:" in page and "Reminder:" in page
        assert alice.full_name in page  # addressed to the reader, as an example
        assert "<form" not in page.split('id="form-h"')[1]  # nothing there can be sent
    assert not mail.outbox and OutgoingEmail.objects.count() == before
    assert client.get(_url("preview", scheme_a) + "?role=admin").status_code == 404


def test_another_schemes_coordinator_gets_nothing(
    client, scheme_a, alice, charlie, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        es.install(scheme_a, alice)
    client.force_login(charlie)
    for name in ("schedule", "preview"):
        assert client.get(_url(name, scheme_a)).status_code == 403
    for name in ("hold", "resume", "send_now"):
        assert client.post(_url(name, scheme_a)).status_code == 403
    # and their own scheme has no such questionnaire
    assert client.get(reverse("evaluation:schedule", args=["x", BASELINE])).status_code == 404
    assert Questionnaire.objects.get(scheme=scheme_a, code=BASELINE).is_active
    assert not AuditEvent.objects.filter(action__startswith="evaluation.questionnaire.h").exists()


def test_schedule_queries_do_not_grow_with_people(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        es.install(scheme_a, alice)
    _matched(scheme_a, alice, capture, n=1)
    client.force_login(alice)
    with CaptureQueriesContext(connection) as few:
        assert client.get(_url("schedule", scheme_a)).status_code == 200
    _matched(scheme_a, alice, capture, n=5, tag="second")
    with CaptureQueriesContext(connection) as many:
        page = client.get(_url("schedule", scheme_a))
    assert "Due now (12)" in page.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    with CaptureQueriesContext(connection) as listing:
        assert client.get(reverse("evaluation:manage", args=[scheme_a.slug])).status_code == 200
    _tick(capture)
    with CaptureQueriesContext(connection) as listing_after:
        assert client.get(reverse("evaluation:manage", args=[scheme_a.slug])).status_code == 200
    assert len(listing_after.captured_queries) == len(listing.captured_queries)
