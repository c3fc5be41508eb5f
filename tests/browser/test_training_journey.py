"""A coordinator schedules a peer-support session with one place; two mentees register, the second
goes to the waiting list and is promoted when the first cancels; after the session the coordinator
records attendance and the attendee answers the two anonymous questions. Every page is checked for
accessibility."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long demo password 42"


def _mentee(make_registration, scheme, coordinator, *, email, name):
    from equimentor.enrolment import services

    participant = make_registration(scheme, email=email, name=name, role="mentee")
    services.approve(participant, actor=coordinator)
    participant.user.set_password(PASSWORD)
    participant.user.save(update_fields=["password"])
    return participant


def _sign_out(site):
    site.submit(site.page.get_by_role("button", name="Sign out"), "signed out")


def test_peer_support_session_waitlist_attendance_feedback(
    site, scheme, coordinator, make_registration
):
    from equimentor.training.models import Registration, Session, SessionFeedback

    first = _mentee(make_registration, scheme, coordinator, email="noor@example.org", name="Noor")
    second = _mentee(make_registration, scheme, coordinator, email="efua@example.org", name="Efua")
    day = timezone.localdate() + timedelta(days=3)

    # The coordinator schedules a peer-support circle for mentees, with one place.
    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    site.visit(f"/manage/{scheme.slug}/sessions/", "sessions")
    site.follow(site.page.get_by_role("link", name="Schedule a session").first, "new session")
    form = site.page.locator("main form")
    form.get_by_label("Title").fill("Peer support circle")
    form.get_by_label("Kind of session").select_option("peer_support")
    form.get_by_label("Who it is for").select_option("mentees")
    form.get_by_label("Date:", exact=True).fill(day.isoformat())
    form.get_by_label("Starts at").fill("17:00")
    form.get_by_label("Ends at").fill("18:00")
    form.get_by_label("Time zone").select_option("Europe/London")
    form.get_by_label("Online link").fill("https://meet.example/circle")
    form.get_by_label("Places").fill("1")
    site.submit(form.get_by_role("button", name="Schedule"), "scheduled")
    expect(site.page.locator("main")).to_contain_text("0 of 1 taken")
    session = Session.objects.get()
    _sign_out(site)

    # The first mentee takes the place; the second joins the waiting list.
    mail.outbox.clear()
    site.sign_in_with_password(first.user.email, PASSWORD)
    site.visit(f"/me/schemes/{scheme.slug}/sessions/", "my sessions")
    site.follow(site.page.get_by_role("link", name="Peer support circle"), "session")
    site.submit(site.page.get_by_role("button", name="Register"), "registered")
    expect(site.page.get_by_text("You have a place.")).to_be_visible()
    _sign_out(site)
    site.sign_in_with_password(second.user.email, PASSWORD)
    site.visit(f"/me/schemes/{scheme.slug}/sessions/{session.pk}/", "session full")
    site.phone_screenshot("session full")
    site.submit(site.page.get_by_role("button", name="Join the waiting list"), "waitlisted")
    expect(site.page.get_by_text("You are number 1 on the waiting list.")).to_be_visible()
    _sign_out(site)
    assert [m.to[0] for m in mail.outbox] == ["noor@example.org", "efua@example.org"]
    assert mail.outbox[0].attachments[0][2].startswith("text/calendar; method=REQUEST")

    # The first cancels: the place goes to the second, who is emailed an invitation.
    mail.outbox.clear()
    site.sign_in_with_password(first.user.email, PASSWORD)
    site.visit(f"/me/schemes/{scheme.slug}/sessions/{session.pk}/", "session with a place")
    site.submit(site.page.get_by_role("button", name="Cancel my place"), "cancelled")
    _sign_out(site)
    promoted = next(m for m in mail.outbox if m.to == ["efua@example.org"])
    assert "A place for you" in promoted.subject
    assert promoted.attachments[0][2].startswith("text/calendar; method=REQUEST")
    site.sign_in_with_password(second.user.email, PASSWORD)
    site.visit(f"/me/schemes/{scheme.slug}/sessions/{session.pk}/", "promoted")
    expect(site.page.get_by_text("You have a place.")).to_be_visible()
    _sign_out(site)

    # After the session: attendance, then the attendee's two anonymous answers.
    with time_machine.travel(session.ends_at + timedelta(hours=1), tick=True):
        mail.outbox.clear()
        site.sign_in_with_password(coordinator.email, coordinator.raw_password)
        site.visit(f"/manage/{scheme.slug}/sessions/{session.pk}/", "attendance")
        site.page.get_by_label("Efua attended").check()
        site.submit(site.page.get_by_role("button", name="Save attendance"), "attendance saved")
        expect(site.page.get_by_text(re.compile("Attendance saved: 1 of 1 came"))).to_be_visible()
        _sign_out(site)
        assert [m.to[0] for m in mail.outbox] == ["efua@example.org"]
        site.sign_in_with_password(second.user.email, PASSWORD)
        site.visit(f"/me/schemes/{scheme.slug}/sessions/{session.pk}/", "attended")
        expect(site.page.get_by_text("You attended.", exact=True)).to_be_visible()
        site.follow(site.page.get_by_role("link", name=re.compile("Give feedback")), "feedback")
        site.page.get_by_label("5 — very useful").check()
        site.page.get_by_label("Yes").check()
        site.submit(site.page.get_by_role("button", name="Send my answers"), "feedback sent")
        expect(site.page.get_by_text(re.compile("stored without your name"))).to_be_visible()
        _sign_out(site)

    assert Registration.objects.get(participant=second).attended is True
    answer = SessionFeedback.objects.get()
    assert (answer.usefulness, answer.would_recommend) == (5, True)
