"""A mentee leaves a relationship without fault (#21): the meeting still to come is cancelled, the
mentor's email carries the calendar cancellation and never the reason given; axe on
every page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "Our working patterns do not fit"


def test_mentee_leaves_and_the_meeting_to_come_is_cancelled(site, scheme, coordinator):
    from equimentor.relationships import services
    from equimentor.relationships.models import Meeting, Membership, Relationship
    from tests.relationships_setup import accepted, pair, plan

    mentors, mentees = pair(scheme, coordinator)
    mentor, mentee = mentors[0], mentees[0]
    rel = accepted(scheme, coordinator, mentor, mentee)
    mentor_m = Membership.objects.get(relationship=rel, participant=mentor)
    soon = (timezone.localtime() + timedelta(days=10)).replace(hour=10, minute=0)
    meeting = services.schedule_meeting(
        rel, mentor_m, plan(soon.strftime("%Y-%m-%dT%H:%M")), actor=mentor.user
    )
    mentee.user.set_password("leaving-journey-pw")
    mentee.user.save()
    mail.outbox.clear()

    page = site.page
    site.sign_in_with_password(mentee.user.email, "leaving-journey-pw")
    site.visit(f"/me/schemes/{scheme.slug}/relationships/{rel.pk}/", "relationship")
    page.get_by_text("Close this relationship", exact=True).click()  # a <details>
    site.follow(page.get_by_role("link", name="Leave without fault"), "leave")
    expect(page.get_by_role("heading", level=1)).to_have_text("End this relationship without fault")
    page.get_by_role("textbox").first.fill(REASON)
    site.submit(page.get_by_role("button", name="End the relationship"), "left")
    site.phone_screenshot("after leaving")

    rel.refresh_from_db()
    meeting.refresh_from_db()
    assert rel.state == Relationship.State.CLOSED
    assert meeting.status == Meeting.Status.CANCELLED
    to_mentor = [m for m in mail.outbox if m.to == [mentor.user.email]]
    assert to_mentor
    cancels = [
        content for m in to_mentor for _name, content, kind in m.attachments if "calendar" in kind
    ]
    assert cancels and all(
        "METHOD:CANCEL" in (c.decode() if isinstance(c, bytes) else c) for c in cancels
    )
    # told that it ended, never why (the reason went to the coordinator in confidence)
    assert all(REASON not in m.body for m in to_mentor)
