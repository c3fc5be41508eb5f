"""The personal calendar feed: one secret address per person, revocable, carrying their meetings
and the sessions they hold a place at; nothing about anyone else."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import icalendar
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.relationships import services as rel_services
from equimentor.training import services
from equimentor.training.models import CalendarFeed
from tests.relationships_setup import accepted, member, pair
from tests.relationships_setup import plan as meeting_plan
from tests.training_setup import local, plan, session


@pytest.fixture
def world(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice, mentees=2)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mentee = mentees[0]
    for p, name in (
        (mentee, "Maya Mentee"),
        (mentees[1], "Zara Circle"),
        (mentors[0], "Ola Mentor"),
    ):
        p.user.full_name = name
        p.user.save(update_fields=["full_name"])
    meeting = rel_services.schedule_meeting(
        rel,
        member(rel, mentors[0]),
        meeting_plan(local(days=4, hour=15).isoformat(), video_link="https://meet.example/m"),
        actor=None,
    )
    circle = session(scheme_a, alice, title="Peer circle", kind="peer_support", capacity=1)
    services.register(circle, mentees[1], actor=mentees[1].user)  # somebody else in the circle
    training = session(scheme_a, alice, title="Skills", local_start=local(days=6))
    services.register(training, mentee, actor=mentee.user)
    full = session(scheme_a, alice, title="Full one", capacity=1, local_start=local(days=8))
    services.register(full, mentees[1], actor=mentees[1].user)
    services.register(full, mentee, actor=mentee.user)  # waiting: not in the feed
    services.register(circle, mentee, actor=mentee.user)  # waiting too
    mail.outbox.clear()
    return {
        "mentee": mentee,
        "other": mentees[1],
        "mentor": mentors[0],
        "meeting": meeting,
        "training": training,
        "circle": circle,
        "full": full,
    }


def _address(client, user) -> str:
    client.force_login(user)
    page = client.post(reverse("training:calendar_feed"), {"action": "issue"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    found = re.search(rb'value="(http[^"]+\.ics)"', page.content)
    assert found, "the new address is shown"
    return found.group(1).decode()


def _events(client, address):
    client.logout()
    response = client.get(address.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    return cal, {str(e["SUMMARY"]).split(" · ")[0]: e for e in cal.walk("VEVENT")}


def test_the_feed_carries_meetings_and_places_only(client, world):
    mentee = world["mentee"]
    address = _address(client, mentee.user)
    assert "/calendar/" in address
    cal, events = _events(client, address)
    assert "METHOD" not in cal  # a published calendar, not an invitation
    assert str(cal["X-WR-CALNAME"]).endswith("your mentoring")
    assert set(events) == {"Mentoring meeting", "Skills"}
    meeting, training = world["meeting"], world["training"]
    assert events["Mentoring meeting"].decoded("DTSTART").astimezone(UTC) == meeting.starts_at
    assert str(events["Skills"]["UID"]).startswith(str(training.uid))
    assert events["Skills"].get("ATTENDEE") is None
    text = icalendar.Calendar.to_ical(cal).decode()
    for p in (mentee, world["other"], world["mentor"]):
        assert p.user.email not in text
    assert world["other"].user.full_name not in text  # not in the circle, nor anywhere
    assert CalendarFeed.objects.get(user=mentee.user).last_fetched_at is not None


def test_the_feed_follows_changes(client, world, scheme_a, alice):
    mentee = world["mentee"]
    address = _address(client, mentee.user)
    training = world["training"]
    services.update(training, plan(title="Skills", local_start=local(days=6, hour=16)), actor=alice)
    _, events = _events(client, address)
    training.refresh_from_db()
    assert events["Skills"].decoded("DTSTART").astimezone(UTC) == training.starts_at
    assert int(events["Skills"]["SEQUENCE"]) == 1
    # a place freed for the mentee appears; a cancelled session and a cancelled place disappear
    other_reg = world["other"].session_registrations.get(session=world["full"])
    services.cancel_registration(other_reg, actor=None)
    services.cancel_session(training, actor=alice)
    _, events = _events(client, address)
    assert set(events) == {"Mentoring meeting", "Full one"}


def test_replacing_or_revoking_stops_the_old_address(client, world):
    user = world["mentee"].user
    first = _address(client, user)
    second = _address(client, user)
    assert first != second
    client.logout()
    assert client.get(first.removeprefix("http://testserver")).status_code == 404
    assert client.get(second.removeprefix("http://testserver")).status_code == 200
    client.force_login(user)
    page = client.get(reverse("training:calendar_feed"))
    assert b"You have an address" in page.content and second.encode() not in page.content
    client.post(reverse("training:calendar_feed"), {"action": "revoke"})
    client.logout()
    assert client.get(second.removeprefix("http://testserver")).status_code == 404
    assert not CalendarFeed.objects.filter(user=user).exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="training.feed")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["training.feed.issued", "training.feed.issued", "training.feed.revoked"]
    assert not any("token" in str(e.data) for e in AuditEvent.objects.all())


def test_each_address_shows_only_its_owner(client, world):
    mine = _address(client, world["mentee"].user)
    theirs = _address(client, world["other"].user)
    _, events = _events(client, theirs)
    assert set(events) == {"Peer circle", "Full one"}
    _, events = _events(client, mine)
    assert "Peer circle" not in events
    assert client.get(reverse("training:feed", args=["not-a-real-token"])).status_code == 404
    # the page that makes an address is for the signed-in person only
    assert client.get(reverse("training:calendar_feed")).status_code == 302


def test_the_feed_costs_the_same_queries_however_much_it_holds(client, world, scheme_a, alice):
    address = _address(client, world["mentee"].user).removeprefix("http://testserver")
    client.logout()
    with CaptureQueriesContext(connection) as before:
        client.get(address)
    for i in range(5):
        s = session(scheme_a, alice, title=f"Extra {i}", local_start=local(days=10 + i))
        services.register(s, world["mentee"], actor=None)
    with CaptureQueriesContext(connection) as after:
        response = client.get(address)
    assert response.content.count(b"BEGIN:VEVENT") == 7
    assert len(after.captured_queries) == len(before.captured_queries)


def test_past_window(client, world):
    import time_machine

    address = _address(client, world["mentee"].user)
    with time_machine.travel(world["meeting"].starts_at + timedelta(days=89)):
        _, events = _events(client, address)
        assert "Mentoring meeting" in events
    with time_machine.travel(world["meeting"].starts_at + timedelta(days=91)):
        _, events = _events(client, address)
        assert "Mentoring meeting" not in events
