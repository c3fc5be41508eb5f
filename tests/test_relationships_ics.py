"""The meeting invitation parses back with the right times across time zones."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest
from django.core import mail
from django.urls import reverse

from equimentor.relationships import services
from tests.test_relationships_setup import accepted, member, pair, plan


@pytest.fixture
def rel_pair(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mail.outbox.clear()
    return rel, member(rel, mentors[0]), member(rel, mentees[0])


def test_a_meeting_at_nine_in_kolkata(client, rel_pair, django_capture_on_commit_callbacks):
    rel, mentor, mentee = rel_pair
    mentee.participant.user.time_zone = "America/New_York"
    mentee.participant.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.schedule_meeting(
            rel,
            mentor,
            plan(
                "2031-01-15T09:00",
                "Asia/Kolkata",
                duration_minutes=45,
                video_link="https://meet.example/abc",
            ),
            actor=None,
        )
    assert meeting.starts_at == datetime(2031, 1, 15, 3, 30, tzinfo=UTC)
    assert len(mail.outbox) == 2
    to_mentee = next(m for m in mail.outbox if m.to == [mentee.participant.user.email])
    assert "22:30" in to_mentee.subject and "America/New_York" in to_mentee.subject
    name, data, mimetype = to_mentee.attachments[0]
    assert mimetype.startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["METHOD"]) == "REQUEST"
    event = next(iter(cal.walk("VEVENT")))
    start = event.decoded("DTSTART")
    assert start.tzinfo is not None and str(event["DTSTART"].params["TZID"]) == "Asia/Kolkata"
    assert (start.hour, start.minute) == (9, 0)
    assert start.astimezone(UTC) == datetime(2031, 1, 15, 3, 30, tzinfo=UTC)
    assert (event.decoded("DTEND") - start).total_seconds() == 45 * 60
    assert str(event["UID"]).startswith(str(meeting.uid))
    assert int(event["SEQUENCE"]) == 0
    assert any(tz["TZID"] == "Asia/Kolkata" for tz in cal.walk("VTIMEZONE"))
    # organiser and attendees carry the names and nothing else about anyone
    text = data if isinstance(data, str) else data.decode()
    for m in (mentor, mentee):
        assert m.participant.user.full_name in text
        assert m.participant.user.email not in text
    assert len(event.get("ATTENDEE")) == 2
    # the same file is downloadable by members only; moving it raises SEQUENCE
    client.force_login(mentee.participant.user)
    url = reverse("relationships:meeting_ics", args=["scheme-a", rel.pk, meeting.pk])
    assert client.get(url)["Content-Type"].startswith("text/calendar")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.reschedule_meeting(
            meeting, mentee, plan("2031-01-16T09:00", "Asia/Kolkata"), actor=None
        )
        services.cancel_meeting(meeting, mentor, actor=None)
    cancel = icalendar.Calendar.from_ical(mail.outbox[-1].attachments[0][1])
    event = next(iter(cancel.walk("VEVENT")))
    assert str(cancel["METHOD"]) == "CANCEL" and int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"


def test_daylight_saving_in_london(rel_pair):
    rel, mentor, _ = rel_pair
    meeting = services.schedule_meeting(rel, mentor, plan("2031-07-01T09:00"), actor=None)
    assert meeting.starts_at == datetime(2031, 7, 1, 8, 0, tzinfo=UTC)
    from equimentor.relationships.ics import build

    event = next(iter(icalendar.Calendar.from_ical(build(meeting)).walk("VEVENT")))
    assert event.decoded("DTSTART").astimezone(UTC) == meeting.starts_at
