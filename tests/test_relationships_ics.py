"""The meeting invitation parses back with the right times across time zones."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest
from django.core import mail
from django.urls import reverse

from equimentor.relationships import services
from tests.relationships_setup import accepted, member, pair, plan


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


def test_leaving_cancels_the_meetings_to_come_in_everyone_s_calendar(
    client, rel_pair, django_capture_on_commit_callbacks
):
    """Ending a relationship (here: the mentee leaves without fault, with a confidential reason)
    cancels its future meetings; each member's closing email (the one who left included) carries
    one calendar cancellation per meeting at their own local time, and nothing says who left or
    why. Past meetings stay."""
    from equimentor.core.models import AuditEvent
    from equimentor.relationships.models import Meeting

    rel, mentor, mentee = rel_pair
    mentor.participant.user.time_zone = "Asia/Kolkata"
    mentor.participant.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.schedule_meeting(rel, mentor, plan("2031-01-15T09:00"), actor=None)
        second = services.schedule_meeting(rel, mentee, plan("2031-02-12T09:00"), actor=None)
    past = Meeting.objects.create(
        relationship=rel,
        starts_at=datetime(2020, 1, 1, 9, tzinfo=UTC),
        time_zone="Europe/London",
    )
    mail.outbox.clear()
    client.force_login(mentee.participant.user)
    reason = "He keeps cancelling at the last minute"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("safeguarding:leave", args=[rel.scheme.slug, rel.pk]), {"reason": reason}
        )
    assert response.status_code == 302
    statuses = dict(Meeting.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == Meeting.Status.CANCELLED
    assert statuses[past.pk] == Meeting.Status.SCHEDULED  # the past is not rewritten
    events = AuditEvent.objects.filter(action="relationships.meeting.cancelled")
    assert sorted(e.data["because"] for e in events) == ["relationship_closed"] * 2

    to_mentor = next(m for m in mail.outbox if m.to == [mentor.participant.user.email])
    assert reason not in to_mentor.body and "cancelled" in to_mentor.body
    assert "Wednesday 15 January 2031, 14:30" in to_mentor.body  # 09:00 London in Kolkata
    assert "Asia/Kolkata" in to_mentor.body
    sent = [icalendar.Calendar.from_ical(data) for _, data, _ in to_mentor.attachments]
    assert [str(c["METHOD"]) for c in sent] == ["CANCEL", "CANCEL"]
    uids = sorted(str(next(iter(c.walk("VEVENT")))["UID"]).split("@")[0] for c in sent)
    assert uids == sorted([str(first.uid), str(second.uid)])
    for cal in sent:
        event = next(iter(cal.walk("VEVENT")))
        assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    # the one who left has them removed from her calendar too, at her own local time
    to_mentee = next(m for m in mail.outbox if m.to == [mentee.participant.user.email])
    assert "Wednesday 15 January 2031, 09:00" in to_mentee.body
    assert len(to_mentee.attachments) == 2
